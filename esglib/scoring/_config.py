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

__all__ = [
    "PILLARS", "FOOTPRINT_PILLARS", "RATINGS", "CORE_DISCLOSURES", "ScoreConfig", "score_to_band", "parse_weights",
]


#: Core figures whose presence (weighted by data quality) makes up the disclosure pillar.
CORE_DISCLOSURES = (
    "electricity_total_mwh", "pue", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e", "scope3_tco2e",
    "renewable_share_pct", "cfe_hourly_pct", "water_withdrawal_m3", "water_consumption_m3", "wue_l_per_kwh",
    "water_replenishment_pct", "hardware_reuse_recycling_pct", "server_useful_life_years", "ewaste_tonnes",
    "revenue_usd_m",
)

_DEFAULT_METRIC_WEIGHTS = {
    "energy": {"pue": 1.0, "carbon_intensity": 1.0, "electricity_intensity": 1.0},
    "water": {"water_intensity": 1.0, "wue": 1.0, "water_replenishment": 1.0, "water_stress_exposure": 1.0},
    "procurement": {"procurement_quality": 0.6, "renewable_share": 0.2, "certificate_reliance": 0.2},
    "circularity": {"hardware_reuse_recycling": 1.0, "server_life": 1.0, "ewaste_intensity": 1.0},
}


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
        KPI normalisation; percentile rank (default) is robust to outliers and invariant to units.
    peer_relative : bool
        Normalise within peer groups (default) rather than across the whole universe.
    min_peer_size : int
        Fewer disclosers than this in a peer group -> that KPI is normalised against the whole universe.
    aggregation : {"arithmetic", "geometric"}
        Pillar aggregation. Geometric is only partially compensatory (a 0 pillar drags the composite to the floor).
    geometric_floor : float
        Pillar values are floored at this before a geometric mean (the mean needs x > 0).
    missing_score : float
        Score of a KPI that is not disclosed (0: never better than disclosing the worst value).
    min_coverage : float
        Composite withheld below this coverage (0-1).
    carry_forward_years : int
        A KPI may come from up to this many fiscal years before the reference year (flagged ``stale``).
    winsorise : bool
        Apply the JRC COIN outlier rule (|skew| > 2 and kurtosis > 3.5 -> winsorise up to 5 points) before
        min-max/z-score normalisation (percentile ranks need none).
    band_edges : tuple of float
        Six increasing composite cut-offs between the seven rating bands CCC..AAA (equal width by default).
    ladder : ProcurementLadder
        Instrument-quality ladder of the procurement-quality index.
    certificate_reliance_flag : float
        Flag ``certificate_reliance`` at or above this share of location-based Scope 2 removed by instruments.
    quality_weights : mapping
        Weight of a disclosed figure in the disclosure pillar by data quality (1 best .. 4).
    publication_lag_days : int
        Days after fiscal-year end before a year's figures count as public (``as_of`` scoring, backtests).
    """

    pillar_weights: Mapping[str, float] = field(default_factory=_equal_pillars)
    metric_weights: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {p: dict(w) for p, w in _DEFAULT_METRIC_WEIGHTS.items()})
    normalisation: str = "percentile"
    peer_relative: bool = True
    min_peer_size: int = 5
    aggregation: str = "arithmetic"
    geometric_floor: float = 1.0
    missing_score: float = 0.0
    min_coverage: float = 0.5
    carry_forward_years: int = 2
    winsorise: bool = True
    band_edges: tuple[float, ...] = (100 / 7, 200 / 7, 300 / 7, 400 / 7, 500 / 7, 600 / 7)
    ladder: ProcurementLadder = field(default_factory=ProcurementLadder)
    certificate_reliance_flag: float = 0.5
    quality_weights: Mapping[int, float] = field(default_factory=lambda: {1: 1.0, 2: 0.9, 3: 0.7, 4: 0.5})
    publication_lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS

    def __post_init__(self) -> None:
        pw = dict(self.pillar_weights)
        unknown = set(pw) - set(PILLARS)
        if unknown:
            raise ConfigError(f"`pillar_weights` has unknown pillar(s) {sorted(unknown)}; pillars are {PILLARS}")
        full = {p: float(pw.get(p, 0.0)) for p in PILLARS}
        if any(not np.isfinite(v) or v < 0 for v in full.values()):
            raise ConfigError(f"`pillar_weights` must be finite and >= 0, got {pw}")
        if sum(full.values()) <= 0:
            raise ConfigError(f"`pillar_weights` must not all be zero, got {pw}")
        object.__setattr__(self, "pillar_weights", full)
        unknown_mw = set(self.metric_weights) - set(FOOTPRINT_PILLARS)
        if unknown_mw:
            raise ConfigError(f"`metric_weights` has unknown pillar(s) {sorted(unknown_mw)}; KPI pillars are "
                              f"{FOOTPRINT_PILLARS}")
        mw = {p: dict(self.metric_weights.get(p, {})) for p in FOOTPRINT_PILLARS}
        for p, weights in mw.items():
            for k, v in weights.items():
                if k not in KPI_SPECS or KPI_SPECS[k].pillar != p:
                    raise ConfigError(f"`metric_weights[{p!r}]` has {k!r}, which is not a {p} KPI "
                                      f"({[n for n, s in KPI_SPECS.items() if s.pillar == p]})")
                if not np.isfinite(v) or v < 0:
                    raise ConfigError(f"`metric_weights[{p!r}][{k!r}]` must be >= 0, got {v!r}")
            if full[p] > 0 and sum(weights.values()) <= 0:
                raise ConfigError(f"`metric_weights[{p!r}]` must have a positive weight")
        object.__setattr__(self, "metric_weights", mw)
        if self.normalisation not in ("percentile", "minmax", "zscore"):
            raise ConfigError(f"`normalisation` must be 'percentile', 'minmax' or 'zscore', got {self.normalisation!r}")
        if self.aggregation not in ("arithmetic", "geometric"):
            raise ConfigError(f"`aggregation` must be 'arithmetic' or 'geometric', got {self.aggregation!r}")
        if not 0 <= self.min_coverage <= 1:
            raise ConfigError(f"`min_coverage` must be in 0..1, got {self.min_coverage!r}")
        if not 0 <= self.missing_score <= 100:
            raise ConfigError(f"`missing_score` must be in 0..100, got {self.missing_score!r}")
        if not self.geometric_floor > 0:
            raise ConfigError(f"`geometric_floor` must be > 0, got {self.geometric_floor!r}")
        if int(self.min_peer_size) < 1:
            raise ConfigError(f"`min_peer_size` must be >= 1, got {self.min_peer_size!r}")
        if int(self.carry_forward_years) < 0:
            raise ConfigError(f"`carry_forward_years` must be >= 0, got {self.carry_forward_years!r}")
        edges = tuple(float(e) for e in self.band_edges)
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
        if k not in PILLARS:
            raise ConfigError(f"`--weights` names unknown pillar {k!r}; pillars are {', '.join(PILLARS)}")
        try:
            weights[k] = float(v)
        except ValueError:
            raise ConfigError(f"`--weights` value for {k!r} must be a number, got {v!r}") from None
    return base.replace(pillar_weights=weights)


def score_to_band(x, edges: tuple[float, ...] | None = None, labels: tuple[str, ...] = RATINGS,
                  missing: str = "NR"):
    """Map scores to letter bands (MSCI-style: equal-width by default).

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
