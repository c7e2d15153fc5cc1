"""Screens on portfolio weights: exclusion, best-in-class and score tilt."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.portfolio._holdings import CASH, holdings_weights
from esglib.portfolio._summary import RATING_ORDER

__all__ = ['ScreenResult', 'exclusion_screen', 'best_in_class', 'score_tilt', 'apply_screens']


# ------------------------------------------------------------------------------------------------ screens
@dataclass(frozen=True, eq=False)
class ScreenResult:
    """Weights before and after a screen, and why each removed name was removed.

    Attributes
    ----------
    weights : Series
        Screened weights by ticker (sum equals the input's sum; excluded names are absent).
    before : Series
        Input weights.
    excluded : DataFrame
        Columns ``ticker, weight, reason`` (weight before the screen).
    method : str
        Description of the screen(s) applied.
    """

    weights: pd.Series
    before: pd.Series
    excluded: pd.DataFrame = field(repr=False)
    method: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Weights before and after (index ticker), with the exclusion reason."""
        df = pd.DataFrame({"weight_before": self.before, "weight_after": self.weights}).fillna({"weight_after": 0.0})
        reasons = self.excluded.set_index("ticker")["reason"] if len(self.excluded) else pd.Series(dtype=object)
        df["reason"] = reasons.reindex(df.index).fillna("")
        df.index.name = "ticker"
        return df


def _check_scores(scores) -> None:
    if not isinstance(scores, pd.DataFrame):
        raise ConfigError(f"`scores` must be the DataFrame esglib.score returns, got {type(scores).__name__}")
    missing = [c for c in ("rating", "composite", "flags") if c not in scores.columns]
    if missing:
        raise ConfigError(f"`scores` is missing column(s) {', '.join(missing)}: pass the frame esglib.score returns")


def _check_unrated(unrated: str, allowed: tuple[str, ...]) -> None:
    if unrated not in allowed:
        raise ConfigError(f"`unrated` must be one of {', '.join(map(repr, allowed))}, got {unrated!r}")


def _renormalise(w: pd.Series, keep: pd.Series, total: float, what: str) -> pd.Series:
    out = w[keep]
    s = float(out.sum())
    if not s > 0:
        raise ConfigError(f"the {what} excludes every holding (nothing left to invest in); loosen it")
    return out / s * total


#: Every flag :func:`esglib.scoring.score` can set (``no_<pillar>_disclosure`` for each footprint pillar;
#: ``composite_withheld`` is followed by the coverage threshold).
KNOWN_FLAGS = ("certificate_reliance", "100pct_renewable_claim_without_instrument_detail", "pue_design_value_only",
               "mostly_secondary_sources", "figure_choice_among_editions", "no_energy_disclosure",
               "no_water_disclosure", "no_procurement_disclosure", "no_circularity_disclosure",
               "stale_figures_carried_forward", "composite_withheld")


def check_flags(flags: Iterable[str], scores: pd.DataFrame | None = None, arg: str = "exclude_flags") -> list[str]:
    """The flags asked for, each checked against the flags scoring can set (exact or as a prefix).

    Raises
    ------
    ConfigError
        For a flag no company could carry, with the nearest known flag ("did you mean").
    """
    import difflib

    known = set(KNOWN_FLAGS)
    if scores is not None and "flags" in scores:
        for text in scores["flags"].dropna().astype(str):
            known.update(x.strip() for x in text.split(";") if x.strip())
    wanted = [str(f).strip() for f in flags if f is not None and str(f).strip()]
    for f in wanted:
        if any(k == f or k.startswith(f) for k in known):
            continue
        close = difflib.get_close_matches(f, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"`{arg}` names unknown flag {f!r}{hint}; flags are {', '.join(KNOWN_FLAGS)}")
    return wanted


def _excluded_frame(w: pd.Series, reasons: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"ticker": list(reasons), "weight": [float(w[t]) for t in reasons],
                         "reason": list(reasons.values())}, columns=["ticker", "weight", "reason"])


def exclusion_screen(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, *, min_rating: str | None = None,
                     exclude_flags: Iterable[str] = (), unrated: str = "keep") -> ScreenResult:
    """Negative screen: drop holdings rated below a floor or carrying chosen flags; renormalise the rest.

    Parameters
    ----------
    weights : Series or mapping
        Weights by ticker (``CASH`` is never screened).
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    min_rating : str, optional
        Lowest rating kept (``CCC`` .. ``AAA``).
    exclude_flags : iterable of str
        Scoring flags that exclude a holding (e.g. ``certificate_reliance``); a flag matches exactly or as a
        prefix (``composite_withheld`` matches ``composite_withheld_coverage_below_0.5``).
    unrated : {"keep", "exclude"}
        What happens to holdings without a rating (NR or not in the universe) under ``min_rating``.

    Returns
    -------
    ScreenResult
        Excluded weight is redistributed pro rata over what is kept (so the total is unchanged).
    """
    _check_scores(scores)
    _check_unrated(unrated, ("keep", "exclude"))
    if min_rating is not None and str(min_rating).upper() not in RATING_ORDER:
        raise ConfigError(f"`min_rating` must be one of {', '.join(RATING_ORDER)}, got {min_rating!r}")
    if isinstance(exclude_flags, str):
        exclude_flags = exclude_flags.split(",")
    flags_wanted = check_flags(exclude_flags, scores)
    w = holdings_weights(weights)
    total = float(w.sum())
    S = scores.reindex(w.index)
    reasons: dict[str, str] = {}
    floor = RATING_ORDER.index(str(min_rating).upper()) if min_rating is not None else None
    for t in w.index:
        if t == CASH:
            continue
        rating = S.at[t, "rating"] if t in scores.index else "NR"
        if floor is not None:
            if rating in RATING_ORDER:
                if RATING_ORDER.index(rating) < floor:
                    reasons[t] = f"rating {rating} below {RATING_ORDER[floor]}"
                    continue
            elif unrated == "exclude":
                reasons[t] = "not rated" if t in scores.index else "not in the universe (unrated)"
                continue
        if flags_wanted and t in scores.index:
            have = [x.strip() for x in str(S.at[t, "flags"] or "").split(";") if x.strip()]
            hit = [f for f in flags_wanted if any(h == f or h.startswith(f) for h in have)]
            if hit:
                reasons[t] = "flagged " + ", ".join(hit)
    keep = ~w.index.isin(list(reasons))
    keep = pd.Series(keep, index=w.index)
    desc = []
    if floor is not None:
        desc.append(f"rating >= {RATING_ORDER[floor]} (unrated: {unrated})")
    if flags_wanted:
        desc.append("exclude flags " + ", ".join(flags_wanted))
    out = _renormalise(w, keep, total, "exclusion screen")
    return ScreenResult(out, w, _excluded_frame(w, reasons), "exclusion: " + ("; ".join(desc) or "none"))


def best_in_class(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, share: float = 0.5, *,
                  within: str = "universe", unrated: str = "exclude") -> ScreenResult:
    """Positive screen: keep holdings whose composite ranks in the top ``share`` of their peer group.

    Parameters
    ----------
    weights : Series or mapping
        Weights by ticker (``CASH`` is always kept).
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    share : float
        Share of each peer group kept, in (0, 1]: a name is kept when its rank among the rated names of its
        peer group is at most ``ceil(share x n_rated)``.
    within : {"universe", "holdings"}
        Rank against every rated company of the peer group (default: best in class among peers) or only
        against the rated holdings.
    unrated : {"exclude", "keep"}
        Holdings without a composite (and names outside the universe) are excluded by default.

    Returns
    -------
    ScreenResult
    """
    _check_scores(scores)
    if not (isinstance(share, (int, float)) and 0 < float(share) <= 1):
        raise ConfigError(f"`share` must be in (0, 1], got {share!r}")
    if within not in ("universe", "holdings"):
        raise ConfigError(f"`within` must be 'universe' or 'holdings', got {within!r}")
    _check_unrated(unrated, ("exclude", "keep"))
    w = holdings_weights(weights)
    total = float(w.sum())
    pool = scores[scores["composite"].notna()]
    if within == "holdings":
        pool = pool[pool.index.isin(w.index)]
    rank = pool.groupby("peer_group")["composite"].rank(ascending=False, method="min")
    n = pool.groupby("peer_group")["composite"].transform("size")
    cut = np.ceil(float(share) * n)
    reasons: dict[str, str] = {}
    for t in w.index:
        if t == CASH:
            continue
        if t not in rank.index:
            if unrated == "exclude":
                reasons[t] = "not rated" if t in scores.index else "not in the universe (unrated)"
            continue
        if rank[t] > cut[t]:
            reasons[t] = (f"rank {int(rank[t])} of {int(n[t])} rated in {pool.at[t, 'peer_group']} "
                          f"(top {float(share):.0%} kept)")
    keep = pd.Series(~w.index.isin(list(reasons)), index=w.index)
    out = _renormalise(w, keep, total, "best-in-class screen")
    return ScreenResult(out, w, _excluded_frame(w, reasons),
                        f"best-in-class: top {float(share):.0%} per peer group (within {within}; unrated: {unrated})")


def score_tilt(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, strength: float = 1.0, *,
               method: str = "exp", unrated: str = "reduce", unrated_factor: float = 0.5) -> ScreenResult:
    """Tilt weights towards better scores: ``w_i x f(score_i)``, renormalised.

    Parameters
    ----------
    weights : Series or mapping
        Benchmark or portfolio weights by ticker (``CASH`` keeps its multiplier 1).
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    strength : float
        Tilt strength (>= 0; 0 returns the input weights).
    method : {"exp", "power"}
        ``exp``: ``f = exp(strength x z)`` with ``z = (c - mean) / std`` of the composite over the rated
        companies of ``scores`` (population std; z = 0 when fewer than two are rated or std is 0);
        ``power``: ``f = (c / mean)^strength``.
    unrated : {"reduce", "exclude", "neutral"}
        Holdings without a composite: multiplied by ``unrated_factor`` (default), dropped, or left at
        multiplier 1.
    unrated_factor : float
        Multiplier for unrated holdings under ``unrated="reduce"`` (0..1).

    Returns
    -------
    ScreenResult
        Weights sum to the input total; ``excluded`` lists names dropped (``unrated="exclude"``).
    """
    _check_scores(scores)
    if not (np.isfinite(strength) and strength >= 0):
        raise ConfigError(f"`strength` must be a finite number >= 0, got {strength!r}")
    if method not in ("exp", "power"):
        raise ConfigError(f"`method` must be 'exp' or 'power', got {method!r}")
    _check_unrated(unrated, ("reduce", "exclude", "neutral"))
    if not 0 <= unrated_factor <= 1:
        raise ConfigError(f"`unrated_factor` must be in 0..1, got {unrated_factor!r}")
    w = holdings_weights(weights)
    total = float(w.sum())
    all_c = scores["composite"].to_numpy(dtype="float64")
    rated = all_c[~np.isnan(all_c)]
    c = scores["composite"].reindex(w.index).to_numpy(dtype="float64")
    mu = float(rated.mean()) if rated.size else np.nan
    sd = float(rated.std(ddof=0)) if rated.size >= 2 else 0.0
    with np.errstate(invalid="ignore"):
        if method == "exp":
            mult = np.exp(strength * (c - mu) / sd) if sd > 0 else np.where(np.isnan(c), np.nan, 1.0)
        else:
            mult = (np.clip(c, 1e-9, None) / mu) ** strength if mu > 0 else np.where(np.isnan(c), np.nan, 1.0)
    cash = np.asarray(w.index == CASH)
    is_unrated = np.isnan(c) & ~cash
    reasons: dict[str, str] = {}
    if unrated == "reduce":
        mult = np.where(is_unrated, unrated_factor, mult)
    elif unrated == "neutral":
        mult = np.where(is_unrated, 1.0, mult)
    else:
        mult = np.where(is_unrated, 0.0, mult)
        reasons = {t: "not rated" if t in scores.index else "not in the universe (unrated)"
                   for t in w.index[is_unrated]}
    mult = np.where(cash, 1.0, mult)
    tilted = w * mult
    keep = pd.Series(~is_unrated if unrated == "exclude" else np.ones(len(w), dtype=bool), index=w.index)
    out = _renormalise(tilted, keep, total, "score tilt")
    return ScreenResult(out, w, _excluded_frame(w, reasons),
                        f"score tilt: {method}, strength {strength:g} (unrated: {unrated}"
                        + (f" x{unrated_factor:g})" if unrated == "reduce" else ")"))


def apply_screens(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, *, min_rating: str | None = None,
                  exclude_flags: Iterable[str] = (), best_in_class_share: float | None = None,
                  tilt: float | None = None, unrated: str | None = None, tilt_method: str = "exp") -> ScreenResult:
    """Apply exclusion, then best-in-class, then a score tilt (each optional) and combine the results.

    Parameters
    ----------
    weights : Series or mapping
        Weights by ticker.
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    min_rating, exclude_flags
        See :func:`exclusion_screen`.
    best_in_class_share : float, optional
        See :func:`best_in_class` (``share``).
    tilt : float, optional
        Tilt strength for :func:`score_tilt`.
    unrated : str, optional
        ``"keep"`` or ``"exclude"``: passed to every screen (tilt maps ``keep`` to ``reduce``). Default: each
        screen's own default.
    tilt_method : {"exp", "power"}

    Returns
    -------
    ScreenResult
        ``before`` is the input; ``excluded`` accumulates every removed name with the first reason.
    """
    _check_scores(scores)
    if unrated is not None:
        _check_unrated(unrated, ("keep", "exclude"))
    w0 = holdings_weights(weights)
    w = w0
    excluded = []
    methods = []
    if min_rating is not None or any(f.strip() for f in exclude_flags):
        r = exclusion_screen(w, scores, min_rating=min_rating, exclude_flags=exclude_flags,
                             unrated=unrated or "keep")
        w, _ = r.weights, excluded.append(r.excluded)
        methods.append(r.method)
    if best_in_class_share is not None:
        r = best_in_class(w, scores, best_in_class_share, unrated=unrated or "exclude")
        w, _ = r.weights, excluded.append(r.excluded)
        methods.append(r.method)
    if tilt is not None:
        tu = {"keep": "reduce", "exclude": "exclude", None: "reduce"}[unrated]
        r = score_tilt(w, scores, tilt, method=tilt_method, unrated=tu)
        w, _ = r.weights, excluded.append(r.excluded)
        methods.append(r.method)
    ex = pd.concat(excluded, ignore_index=True) if excluded else _excluded_frame(w0, {})
    if len(ex):
        ex = ex.drop_duplicates("ticker", keep="first")
        ex["weight"] = ex["ticker"].map(w0)
    return ScreenResult(w, w0, ex.reset_index(drop=True), "; ".join(methods) or "no screen")
