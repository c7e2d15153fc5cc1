"""The scoring configuration (a frozen dataclass), weight parsing and rating bands."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.scoring._metrics import KPI_SPECS, ProcurementLadder
from esglib.vocabulary import DEFAULT_PUBLICATION_LAG_DAYS, FOOTPRINT_PILLARS, PILLARS, RATINGS

__all__ = ['PILLARS', 'FOOTPRINT_PILLARS', 'RATINGS', 'CORE_DISCLOSURES', 'DC_CORE_DISCLOSURES', 'DC_OPERATOR_GROUPS',
           'DEFAULT_REFERENCE_POINTS', 'reference_points_from_frame', 'ScoreConfig', 'score_to_band', 'parse_weights']


#: Core figures whose presence (weighted by data quality) makes up the disclosure pillar. ``pue``,
#: ``wue_l_per_kwh`` and ``server_useful_life_years`` are core only for data-centre operators.
CORE_DISCLOSURES = (
    "electricity_total_mwh", "pue", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e", "scope3_tco2e",
    "renewable_share_pct", "cfe_hourly_pct", "water_withdrawal_m3", "water_consumption_m3", "wue_l_per_kwh",
    "water_replenishment_pct", "hardware_reuse_recycling_pct", "server_useful_life_years", "ewaste_tonnes",
    "revenue_usd_m",
)

#: Core figures that describe data-centre fleets (not applicable to other peer groups).
DC_CORE_DISCLOSURES = ("pue", "wue_l_per_kwh", "server_useful_life_years")

#: Within-pillar KPI weights (docs/methodology.md s.4); shown-only KPIs at 0 (configurable).
_DEFAULT_METRIC_WEIGHTS = {
    "energy": {"carbon_intensity": 1.0, "electricity_intensity": 1.0, "pue": 1.0, "scope3_intensity": 0.5},
    "water": {"water_intensity": 1.0, "water_withdrawal_intensity": 1.0, "wue": 1.0, "water_stress_exposure": 1.0,
              "water_replenishment": 0.5, "water_reuse": 0.5, "cooling_liquid_closed_loop": 0.5},
    "procurement": {"renewable_share": 1.0, "instrument_quality": 1.0, "cfe_hourly": 0.5,
                    "supplier_clean_energy": 0.5, "contractual_instruments_effect": 0.0, "certificate_share": 0.0,
                    "green_bonds": 0.0, "supplier_re_commitment": 0.0},
    "circularity": {"hardware_reuse_recycling": 1.0, "hardware_takeback_intensity": 0.5, "ewaste_intensity": 0.5,
                    "server_life": 1.0},
}

#: Peer groups that run data centres (PUE, WUE, cooling and server life apply only to them).
DC_OPERATOR_GROUPS = ("hyperscaler_cloud", "ai_cloud_miners", "datacenter_reit")

#: The bundled reference points, as in ``data/reference_points.csv`` (KPI -> ((value, score), ...)); the
#: app layer reads the file with :func:`esglib.inputs.load_reference_points` and
#: :func:`reference_points_from_frame`; a test keeps this copy equal to the file.
DEFAULT_REFERENCE_POINTS: dict[str, tuple[tuple[float, float], ...]] = {
    "pue": ((1.0, 100.0), (1.58, 50.0)),
    "wue": ((0.0, 100.0), (1.8, 50.0)),
    "renewable_share": ((100.0, 100.0), (0.0, 1.0)),
    "cfe_hourly": ((100.0, 100.0), (0.0, 1.0)),
    "instrument_quality": ((100.0, 100.0), (0.0, 1.0)),
    "water_replenishment": ((100.0, 100.0), (0.0, 1.0)),
    "water_reuse": ((100.0, 100.0), (0.0, 1.0)),
    "water_stress_exposure": ((0.0, 100.0), (100.0, 1.0)),
    "cooling_liquid_closed_loop": ((100.0, 100.0), (0.0, 1.0)),
    "hardware_reuse_recycling": ((100.0, 100.0), (0.0, 1.0)),
    "supplier_clean_energy": ((1.0, 100.0), (0.0, 1.0)),
}


def reference_points_from_frame(frame: pd.DataFrame) -> dict[str, tuple[tuple[float, float], ...]]:
    """Reference points by KPI from a ``data/reference_points.csv`` frame (columns ``kpi, value, score``).

    Raises
    ------
    ConfigError
        Missing columns, non-numeric values or scores, a KPI that is not in :data:`KPI_SPECS`, fewer than two
        points for a KPI, or two points with the same value.
    """
    missing = [c for c in ("kpi", "value", "score") if c not in frame.columns]
    if missing:
        raise ConfigError(f"reference points lack column(s) {missing}")
    out: dict[str, tuple[tuple[float, float], ...]] = {}
    for kpi, g in frame.groupby("kpi", sort=False):
        if kpi not in KPI_SPECS:
            raise ConfigError(f"reference points name {kpi!r}, which is not a KPI")
        v = pd.to_numeric(g["value"], errors="coerce")
        sc = pd.to_numeric(g["score"], errors="coerce")
        if v.isna().any() or sc.isna().any():
            raise ConfigError(f"reference points of {kpi!r} need numeric value and score")
        if len(g) < 2 or v.nunique() < len(v):
            raise ConfigError(f"reference points of {kpi!r} need at least two points with different values")
        out[str(kpi)] = tuple((float(a), float(b)) for a, b in zip(v, sc, strict=True))
    return out


def _equal_pillars() -> dict[str, float]:
    return {p: 0.2 for p in PILLARS}


@dataclass(frozen=True)
class ScoreConfig:
    """Every scoring choice, with documented defaults. Immutable: derive variants with :meth:`replace`.

    Attributes
    ----------
    pillar_weights : mapping
        Weight per pillar (``energy, water, procurement, circularity, disclosure``); equal by default
        (OECD/JRC practice). Normalised to sum to 1.
    metric_weights : mapping of mappings
        Weight of each KPI within its pillar.
    normalisation : {"percentile", "minmax", "zscore"}
        Normalisation of peer-ranked KPIs; percentile ``1 + 99 (rank - 1) / (n - 1)`` (default) is robust to
        outliers and invariant to units. Reference-point KPIs are always scored against their points.
    peer_relative : bool
        Rank peer-ranked KPIs within peer groups (default); False ranks the whole universe as one group (a
        choice, never a fallback).
    min_peer_size : int
        A peer-ranked KPI is scored only where at least this many companies of the group disclose it; with fewer
        it is unscored for the whole group (shown, counted for coverage, flagged ``kpi_unscored_small_peer_set``).
    dc_operator_groups : tuple of str
        Peer groups that run data centres: PUE, WUE, cooling and server life apply only to them.
    reference_points : mapping
        KPI -> ((value, score), ...) points (``data/reference_points.csv``); a score is linear between and beyond
        the points and clipped to 1..100. Share KPIs without points score ``1 + 0.99 x share`` (reversed where
        lower is better).
    aggregation : {"arithmetic", "geometric"}
        Pillar aggregation. Geometric is only partially compensatory (a 0 pillar drags the composite to the floor).
    geometric_floor : float
        Pillar values are floored at this before a geometric mean (the mean needs x > 0).
    missing_score : float
        Score of a KPI that is not disclosed (0: never better than disclosing the worst value).
    min_coverage : float
        Composite withheld below this weighted-KPI coverage (0-1), default 0.5.
    min_kpi_share : float
        Composite withheld when the company discloses fewer than this share of its applicable KPIs, default 0.5.
    carry_forward_years : int
        A KPI may come from a fiscal year that ended at most ``carry_forward_years + 1`` years before ``as_of``
        (with ``year=Y``: fiscal years ``Y - carry_forward_years .. Y``); older than the company's newest fiscal
        year -> flagged ``stale_figures_carried_forward``. Default 3 (a four-year window): at any date the newest
        published year is already 1-2 years old, and a narrower window cuts a June year-end a year earlier than a
        December one (docs/methodology.md, section 1).
    winsorise : bool
        Apply the JRC COIN outlier rule (|skew| > 2 and kurtosis > 3.5 -> winsorise up to 5 points) before
        min-max/z-score normalisation (percentile ranks need none).
    band_edges : tuple of float
        Six increasing composite cut-offs between the seven rating bands CCC..AAA (equal width by default).
    ladder : ProcurementLadder
        Instrument-quality ladder of the procurement-quality index.
    certificate_reliance_flag : float
        Flag ``certificate_reliance`` when the disclosed certificate share of electricity is at least this (%),
        default 50.
    quality_weights : mapping
        Weight of a disclosed figure in the disclosure pillar by data quality (1 best .. 4).
    publication_lag_days : int
        Only for figures *without* a ``published_on`` date: days after fiscal-year end before they count as
        public, default 365 (the conservative default; flagged ``published_on_estimated``). Dated figures count
        from their publication date.
    """

    pillar_weights: Mapping[str, float] = field(default_factory=_equal_pillars)
    metric_weights: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {p: dict(w) for p, w in _DEFAULT_METRIC_WEIGHTS.items()})
    normalisation: str = "percentile"
    peer_relative: bool = True
    min_peer_size: int = 5
    dc_operator_groups: tuple[str, ...] = DC_OPERATOR_GROUPS
    reference_points: Mapping[str, tuple[tuple[float, float], ...]] = field(
        default_factory=lambda: dict(DEFAULT_REFERENCE_POINTS))
    aggregation: str = "arithmetic"
    geometric_floor: float = 1.0
    missing_score: float = 0.0
    min_coverage: float = 0.5
    min_kpi_share: float = 0.5
    carry_forward_years: int = 3
    winsorise: bool = True
    band_edges: tuple[float, ...] = (100 / 7, 200 / 7, 300 / 7, 400 / 7, 500 / 7, 600 / 7)
    ladder: ProcurementLadder = field(default_factory=ProcurementLadder)
    certificate_reliance_flag: float = 50.0
    quality_weights: Mapping[int, float] = field(default_factory=lambda: {1: 1.0, 2: 0.9, 3: 0.7, 4: 0.5})
    publication_lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "pillar_weights", _check_pillar_weights(self.pillar_weights, "pillar_weights"))
        unknown_mw = set(self.metric_weights) - set(FOOTPRINT_PILLARS)
        if unknown_mw:
            raise ConfigError(f"`metric_weights` has unknown pillar(s) {sorted(unknown_mw)}; KPI pillars are "
                              f"{FOOTPRINT_PILLARS}")
        full = self.pillar_weights
        if not isinstance(self.metric_weights, Mapping) or not all(
                isinstance(v, Mapping) for v in self.metric_weights.values()):
            raise ConfigError("`metric_weights` must map each pillar to a mapping {kpi: weight}, got a "
                              f"{type(self.metric_weights).__name__}")
        mw = {p: dict(self.metric_weights.get(p, {})) for p in FOOTPRINT_PILLARS}
        for p, weights in mw.items():
            for k, v in weights.items():
                if k not in KPI_SPECS or KPI_SPECS[k].pillar != p:
                    raise ConfigError(f"`metric_weights[{p!r}]` has {k!r}, which is not a {p} KPI "
                                      f"({[n for n, s in KPI_SPECS.items() if s.pillar == p]})")
                if not _is_number(v) or not np.isfinite(v) or v < 0:
                    raise ConfigError(f"`metric_weights[{p!r}][{k!r}]` must be >= 0, got {v!r}")
            if full[p] > 0 and sum(weights.values()) <= 0:
                raise ConfigError(f"`metric_weights[{p!r}]` must have a positive weight")
        object.__setattr__(self, "metric_weights", mw)
        if self.normalisation not in ("percentile", "minmax", "zscore"):
            raise ConfigError(f"`normalisation` must be 'percentile', 'minmax' or 'zscore', got {self.normalisation!r}")
        if self.aggregation not in ("arithmetic", "geometric"):
            raise ConfigError(f"`aggregation` must be 'arithmetic' or 'geometric', got {self.aggregation!r}")
        for name in ("geometric_floor", "missing_score", "min_coverage", "certificate_reliance_flag"):
            if not _is_number(getattr(self, name)):
                raise ConfigError(f"`{name}` must be a number, got {getattr(self, name)!r}")
        for name in ("min_peer_size", "carry_forward_years", "publication_lag_days"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ConfigError(f"`{name}` must be a whole number, got {v!r}")
        for name in ("peer_relative", "winsorise"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"`{name}` must be True or False, got {getattr(self, name)!r}")
        if not 0 <= self.min_coverage <= 1:
            raise ConfigError(f"`min_coverage` must be in 0..1, got {self.min_coverage!r}")
        if not 0 <= self.min_kpi_share <= 1:
            raise ConfigError(f"`min_kpi_share` must be in 0..1, got {self.min_kpi_share!r}")
        object.__setattr__(self, "dc_operator_groups", tuple(str(g) for g in self.dc_operator_groups))
        points = {}
        for k, pts in dict(self.reference_points).items():
            if k not in KPI_SPECS:
                raise ConfigError(f"`reference_points` names {k!r}, which is not a KPI")
            pts = tuple((float(a), float(b)) for a, b in pts)
            if len(pts) < 2 or len({a for a, _ in pts}) < len(pts):
                raise ConfigError(f"`reference_points[{k!r}]` needs at least two points with different values")
            points[k] = pts
        object.__setattr__(self, "reference_points", points)
        if not 0 <= self.missing_score <= 100:
            raise ConfigError(f"`missing_score` must be in 0..100, got {self.missing_score!r}")
        if not self.geometric_floor > 0:
            raise ConfigError(f"`geometric_floor` must be > 0, got {self.geometric_floor!r}")
        if int(self.min_peer_size) < 1:
            raise ConfigError(f"`min_peer_size` must be >= 1, got {self.min_peer_size!r}")
        if int(self.carry_forward_years) < 0:
            raise ConfigError(f"`carry_forward_years` must be >= 0, got {self.carry_forward_years!r}")
        try:
            edges = tuple(float(e) for e in self.band_edges)
        except (TypeError, ValueError):
            raise ConfigError(f"`band_edges` must be {len(RATINGS) - 1} increasing numbers, got "
                              f"{self.band_edges!r}") from None
        if len(edges) != len(RATINGS) - 1 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ConfigError(f"`band_edges` must be {len(RATINGS) - 1} increasing cut-offs, got {self.band_edges!r}")
        object.__setattr__(self, "band_edges", edges)

    @property
    def weights(self) -> pd.Series:
        """Pillar weights normalised to sum to 1 (Series indexed by pillar)."""
        w = pd.Series(self.pillar_weights, dtype="float64").reindex(list(PILLARS))
        return w / w.sum()

    def replace(self, **changes) -> ScoreConfig:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _check_pillar_weights(weights, arg: str) -> dict[str, float]:
    """Return every pillar's weight (missing ones 0), checked.

    Known pillars, finite numbers >= 0, a finite positive total. Messages name the pillar and value, never the
    whole mapping.
    """
    import difflib

    if not isinstance(weights, Mapping):
        raise ConfigError(f"`{arg}` must map pillar names to numbers, e.g. {{'energy': 0.3}}, got a "
                          f"{type(weights).__name__}")
    full = dict.fromkeys(PILLARS, 0.0)
    for k, v in weights.items():
        key = str(k).strip().lower()
        if key not in PILLARS:
            close = difflib.get_close_matches(key, PILLARS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            what = f"names unknown pillar {k!r}" if arg.startswith("--") else f"has unknown pillar(s) [{k!r}]"
            raise ConfigError(f"`{arg}` {what}{hint}; pillars are {', '.join(PILLARS)}")
        if not _is_number(v) or not np.isfinite(float(v)) or float(v) < 0:
            raise ConfigError(f"`{arg}` must be finite and >= 0: the weight of {key} is {v!r}")
        full[key] = float(v)
    total = sum(full.values())
    if total <= 0:
        raise ConfigError(f"`{arg}` must not all be zero: at least one pillar needs a positive weight")
    if not np.isfinite(total):
        raise ConfigError(f"`{arg}` must add up to a finite number: these weights are too large (their total "
                          "overflows); use proportions such as 0.3 or percentages such as 30")
    return full


def parse_weights(text: str, base: ScoreConfig | None = None) -> ScoreConfig:
    """Parse ``"energy=0.3,water=0.2"`` into a config (pillars not named keep their base weight).

    Raises
    ------
    ConfigError
        Unknown pillar, malformed pair or non-numeric weight (naming the piece received).
    """
    base = base or ScoreConfig()
    weights = dict(base.pillar_weights)
    for piece in filter(None, (p.strip() for p in str(text).split(","))):
        if "=" not in piece:
            raise ConfigError(f"`--weights` pieces must look like pillar=number, got {piece!r}")
        k, v = (s.strip() for s in piece.split("=", 1))
        key = k.lower()
        if key not in PILLARS:
            _check_pillar_weights({k: 0.0}, "--weights")  # raises, with a did-you-mean
        try:
            weights[key] = float(v)
        except ValueError:
            raise ConfigError(f"`--weights` value for {key!r} must be a number, got {v!r}") from None
    return base.replace(pillar_weights=_check_pillar_weights(weights, "--weights"))


def score_to_band(x, edges: tuple[float, ...] | None = None, labels: tuple[str, ...] = RATINGS,
                  missing: str = "NR"):
    """Map scores to esglib rating bands (seven equal-width bands by default; not MSCI ESG Ratings).

    Parameters
    ----------
    x : float, array-like or Series
        Scores 0-100.
    edges : tuple of float, optional
        ``len(labels) - 1`` increasing cut-offs; a score equal to a cut-off gets the upper band.
    labels : tuple of str
        Band names from worst to best.
    missing : str
        Label for NaN.

    Returns
    -------
    str, ndarray or Series (same shape as ``x``).
    """
    edges = tuple(edges or ScoreConfig().band_edges)
    if len(edges) != len(labels) - 1:
        raise ConfigError(f"`edges` needs {len(labels) - 1} cut-offs for {len(labels)} labels, got {len(edges)}")
    arr = np.asarray(x, dtype="float64")
    idx = np.searchsorted(np.asarray(edges), arr, side="right")
    lab = np.asarray(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]
    lab = np.where(np.isnan(arr), missing, lab)
    if isinstance(x, pd.Series):
        return pd.Series(lab, index=x.index, name=x.name, dtype=object)
    if np.ndim(x) == 0:
        return str(lab)
    return lab


def _init_with_own_errors(init):
    import functools

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        import difflib

        names = [f.name for f in dataclasses.fields(ScoreConfig)]
        for k in kwargs:
            if k not in names:
                close = difflib.get_close_matches(k, names, n=1, cutoff=0.6)
                hint = (f" (did you mean {close[0]!r}?)" if close else
                        f" (pillar weights go in pillar_weights={{{k!r}: ...}})" if str(k).lower() in PILLARS else "")
                raise ConfigError(f"ScoreConfig has no option {k!r}{hint}; options are {', '.join(names)}")
        if len(args) > len(names):
            raise ConfigError(f"ScoreConfig takes at most {len(names)} options, got {len(args)}")
        init(self, *args, **kwargs)

    return __init__


ScoreConfig.__init__ = _init_with_own_errors(ScoreConfig.__init__)
