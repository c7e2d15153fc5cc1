"""Statistics on screening results (statsmodels lives here and only here, imported inside the functions).

* :func:`alpha_regression`: time-series regression of a strategy's excess return on the market's excess return
  (and any other factor returns given) with Newey-West HAC standard errors, as in METHODOLOGY s.6::

      R_p,t - R_f,t = alpha + beta MKT_t [+ s SMB_t + h HML_t + ...] + e_t

  The HAC lag is the Bartlett-kernel rule of thumb ``L = floor(4 (T / 100)^(2/9))`` (Newey & West 1994), T the
  number of observations (:func:`newey_west_lags`).
* :func:`cross_section_regression`: subsequent returns of companies on their pillar scores with peer-group
  fixed effects, through the formula API (``ret ~ energy + water + ... + C(peer_group)``) with
  heteroskedasticity-robust (HC1) errors.

Both results carry a plain-words ``conclusion`` and ``caveat``: with about 50 companies, about 11 of them rated,
and eight years of prices, most questions cannot be answered with confidence, and the output says so rather
than letting a coefficient speak for itself. Significance level: 5 % (``alpha_level``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.vocabulary import PILLARS

__all__ = [
    "newey_west_lags", "AlphaResult", "CrossSectionResult", "alpha_regression", "cross_section_regression",
    "subsequent_returns", "MIN_OBSERVATIONS",
]


#: Fewer observations than this and a result is reported as unable to support a conclusion.
MIN_OBSERVATIONS = 30
_PILLARS = PILLARS


def newey_west_lags(n_obs: int) -> int:
    """Newey-West (1994) rule-of-thumb lag for the Bartlett kernel: ``floor(4 x (T / 100)^(2/9))``.

    Examples: T = 100 -> 4, T = 60 -> 3, T = 250 -> 4, T = 1000 -> 6.
    """
    if int(n_obs) < 1:
        raise ConfigError(f"`n_obs` must be >= 1, got {n_obs!r}")
    return int(math.floor(4 * (int(n_obs) / 100) ** (2 / 9)))


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def _coef_table(fit) -> pd.DataFrame:
    ci = fit.conf_int()
    return pd.DataFrame({"coef": fit.params, "std_err": fit.bse, "t": fit.tvalues, "p_value": fit.pvalues,
                         "ci_low": ci.iloc[:, 0], "ci_high": ci.iloc[:, 1]})


@dataclass(frozen=True, eq=False)
class AlphaResult:
    """Time-series alpha regression (output of :func:`alpha_regression`).

    Attributes
    ----------
    alpha : float
        Intercept per period (e.g. per month); ``alpha_annual = alpha x periods_per_year``.
    alpha_t, alpha_p : float
        HAC t-statistic and two-sided p-value of the intercept.
    beta : float
        Market coefficient; ``beta_t`` its HAC t-statistic.
    coefficients : DataFrame
        ``coef, std_err, t, p_value, ci_low, ci_high`` per term (``const``, ``market``, factors).
    n_obs, lags : int
        Observations and the Newey-West lag used.
    r_squared : float
    cov_type : str
    conclusion, caveat : str
        What the numbers do (and do not) support, in plain words.
    """

    alpha: float
    alpha_annual: float
    alpha_t: float
    alpha_p: float
    beta: float
    beta_t: float
    coefficients: pd.DataFrame = field(repr=False)
    n_obs: int = 0
    lags: int = 0
    r_squared: float = np.nan
    periods_per_year: int = 12
    cov_type: str = ""
    conclusion: str = ""
    caveat: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return _clean({
            "alpha": self.alpha, "alpha_annual": self.alpha_annual, "alpha_t": self.alpha_t, "alpha_p": self.alpha_p,
            "beta": self.beta, "beta_t": self.beta_t, "n_obs": self.n_obs, "lags": self.lags,
            "r_squared": self.r_squared, "periods_per_year": self.periods_per_year, "cov_type": self.cov_type,
            "conclusion": self.conclusion, "caveat": self.caveat,
            "coefficients": {k: self.coefficients.loc[k].to_dict() for k in self.coefficients.index}})


def alpha_regression(returns: pd.Series, market: pd.Series, factors: pd.DataFrame | None = None, *,
                     risk_free: float | pd.Series = 0.0, frequency: str = "M", lags: int | None = None,
                     alpha_level: float = 0.05, min_obs: int = MIN_OBSERVATIONS) -> AlphaResult:
    """Regress the strategy's excess return on the market's (and factors') with Newey-West HAC errors.

    Parameters
    ----------
    returns : Series
        Strategy simple returns (DatetimeIndex); daily returns are compounded to ``frequency``.
    market : Series
        Market (benchmark ETF) simple returns on the same kind of index.
    factors : DataFrame, optional
        Other factor returns (e.g. SMB, HML), already long-short (not reduced by the risk-free rate), at the
        same frequency as the compounded returns.
    risk_free : float or Series
        Annual rate (float, default 0: no rate series is bundled) or a per-period Series.
    frequency : {"M", "W", "D"}
        ``M`` (default, METHODOLOGY s.6): compound to calendar months; ``W`` weeks; ``D`` use as given.
    lags : int, optional
        HAC lag (default :func:`newey_west_lags` of the number of observations).
    alpha_level : float
        Significance level for the conclusion.
    min_obs : int
        Below this many observations the conclusion says the sample cannot support one.

    Returns
    -------
    AlphaResult

    Raises
    ------
    ConfigError
        Unknown frequency, or fewer than 3 overlapping observations.
    """
    import statsmodels.api as sm

    freq = str(frequency).upper()
    rules = {"M": ("ME", 12), "W": ("W-FRI", 52), "D": (None, 252)}
    if freq not in rules:
        raise ConfigError(f"`frequency` must be 'M', 'W' or 'D', got {frequency!r}")
    rule, ppy = rules[freq]

    def comp(s: pd.Series) -> pd.Series:
        s = s.astype("float64")
        return s if rule is None else (1 + s).resample(rule).prod(min_count=1) - 1

    y, m = comp(returns), comp(market)
    df = pd.concat({"strategy": y, "market": m}, axis=1)
    if factors is not None:
        df = df.join(factors.astype("float64"), how="left")
    if isinstance(risk_free, pd.Series):
        rf = risk_free.reindex(df.index).astype("float64")
    else:
        rf = pd.Series((1 + float(risk_free)) ** (1 / ppy) - 1, index=df.index)
    df = df.dropna()
    rf = rf.reindex(df.index).fillna(0.0)
    n = len(df)
    if n < 3:
        raise ConfigError(f"need at least 3 overlapping observations of strategy and market returns, got {n}")
    yv = df["strategy"] - rf
    X = df.drop(columns="strategy").copy()
    X["market"] = X["market"] - rf
    X = sm.add_constant(X, has_constant="add")
    L = newey_west_lags(n) if lags is None else int(lags)
    fit = sm.OLS(yv, X).fit(cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True})
    table = _coef_table(fit)
    a, at, ap = (float(table.at["const", c]) for c in ("coef", "t", "p_value"))
    b, bt = float(table.at["market", "coef"]), float(table.at["market", "t"])
    unit = {"M": "month", "W": "week", "D": "day"}[freq]
    if n < min_obs:
        conclusion = (f"cannot support a conclusion: only {n} {unit}ly observations (< {min_obs}); alpha "
                      f"{a * ppy:+.2%} a year (t = {at:.2f}) is descriptive only")
    elif ap < alpha_level:
        conclusion = (f"alpha {a * ppy:+.2%} a year is significantly different from zero at {alpha_level:.0%} "
                      f"(t = {at:.2f}, Newey-West, {L} lags, n = {n})")
    else:
        conclusion = (f"no evidence of alpha: {a * ppy:+.2%} a year is not significantly different from zero "
                      f"(t = {at:.2f}, p = {ap:.2f}, n = {n}); the return difference is explained by exposure to the "
                      f"benchmark (beta {b:.2f}) and noise")
    caveat = ("single-theme universe (AI-footprint companies): sector and style exposures are not controlled unless "
              "factor returns are given, so alpha may be a sector bet; one backtest path, no multiple-testing "
              "adjustment")
    return AlphaResult(alpha=a, alpha_annual=a * ppy, alpha_t=at, alpha_p=ap, beta=b, beta_t=bt, coefficients=table,
                       n_obs=n, lags=L, r_squared=float(fit.rsquared), periods_per_year=ppy,
                       cov_type=f"HAC (Newey-West, Bartlett kernel, maxlags={L}, small-sample correction)",
                       conclusion=conclusion, caveat=caveat)


@dataclass(frozen=True, eq=False)
class CrossSectionResult:
    """Cross-sectional regression of subsequent returns on pillar scores (output of :func:`cross_section_regression`).

    Attributes
    ----------
    formula : str
        The statsmodels formula fitted.
    coefficients : DataFrame
        ``coef, std_err, t, p_value, ci_low, ci_high`` per term (empty when the model could not be fitted).
    n_obs : int
        Companies used.
    n_params : int
        Parameters estimated (intercept, pillars, peer-group effects).
    r_squared : float
    significant : tuple of str
        Pillars with p-value below ``alpha_level``.
    conclusion, caveat : str
    """

    formula: str
    coefficients: pd.DataFrame = field(repr=False)
    n_obs: int = 0
    n_params: int = 0
    r_squared: float = np.nan
    cov_type: str = ""
    significant: tuple[str, ...] = ()
    conclusion: str = ""
    caveat: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return _clean({"formula": self.formula, "n_obs": self.n_obs, "n_params": self.n_params,
                       "r_squared": self.r_squared, "cov_type": self.cov_type, "significant": list(self.significant),
                       "conclusion": self.conclusion, "caveat": self.caveat,
                       "coefficients": {k: self.coefficients.loc[k].to_dict() for k in self.coefficients.index}})


def cross_section_regression(forward_returns: pd.Series, scores: pd.DataFrame, pillars: Sequence[str] = _PILLARS, *,
                             peer_effects: bool = True, rated_only: bool = False, alpha_level: float = 0.05,
                             min_obs: int = MIN_OBSERVATIONS) -> CrossSectionResult:
    """Regress companies' subsequent returns on their pillar scores with peer-group effects.

    Parameters
    ----------
    forward_returns : Series
        Return of each company over the period *after* the scores were known, by ticker
        (:func:`subsequent_returns`).
    scores : DataFrame
        :func:`esglib.scoring.score` output (as of the start of that period), with the ``pillars`` columns and
        ``peer_group``.
    pillars : sequence of str
        Score columns used as regressors (0-100).
    peer_effects : bool
        Add ``C(peer_group)`` fixed effects (compare companies with their peers only).
    rated_only : bool
        Use only companies with a composite (default: every company; a pillar of 0 means not disclosed).
    alpha_level : float
        Significance level.
    min_obs : int
        Below this many companies the conclusion says the sample cannot support one.

    Returns
    -------
    CrossSectionResult
        With ``conclusion`` "cannot be estimated" when there are no more companies than parameters.
    """
    import statsmodels.formula.api as smf

    missing = [c for c in (*pillars, "peer_group") if c not in scores.columns]
    if missing:
        raise ConfigError(f"`scores` lacks column(s) {missing}")
    s = scores if not rated_only else scores[scores["composite"].notna()]
    df = s[list(pillars) + ["peer_group"]].copy()
    df["ret"] = forward_returns.reindex(df.index).astype("float64")
    df = df.dropna()
    df[list(pillars)] = df[list(pillars)].astype("float64")
    # a pillar that is constant over the sample cannot be estimated: leave it out and say so
    constant = [p for p in pillars if df[p].nunique() <= 1]
    used = [p for p in pillars if p not in constant]
    groups = df["peer_group"].nunique()
    rhs = " + ".join(used) if used else "1"
    if peer_effects and groups > 1:
        rhs += " + C(peer_group)"
    formula = f"ret ~ {rhs}"
    n = len(df)
    k = 1 + len(used) + (groups - 1 if peer_effects and groups > 1 else 0)
    caveat = (f"{n} companies, {k} parameters; scores are point-in-time only if `scores` was computed as of the "
              "start of the return period; one period, so one draw of the cross-section")
    if constant:
        caveat += f"; left out (constant in the sample): {', '.join(constant)}"
    if n <= k:
        return CrossSectionResult(formula=formula, coefficients=pd.DataFrame(
            columns=["coef", "std_err", "t", "p_value", "ci_low", "ci_high"]), n_obs=n, n_params=k,
            cov_type="not fitted", conclusion=(f"cannot be estimated: {n} companies for {k} parameters; the sample "
                                               "cannot support any conclusion"), caveat=caveat)
    fit = smf.ols(formula, data=df).fit(cov_type="HC1")
    table = _coef_table(fit)
    sig = tuple(p for p in used if p in table.index and table.at[p, "p_value"] < alpha_level)
    if n < min_obs:
        conclusion = (f"cannot support a conclusion: only {n} companies (< {min_obs}) for {k} parameters; "
                      "coefficients are descriptive only")
    elif not sig:
        conclusion = (f"no pillar score is significantly related to subsequent returns at {alpha_level:.0%} "
                      f"(n = {n}); no evidence either way")
    else:
        conclusion = ("significant at " + f"{alpha_level:.0%}: "
                      + ", ".join(f"{p} ({table.at[p, 'coef']:+.4f} per point, t = {table.at[p, 't']:.2f})"
                                  for p in sig)
                      + f" (n = {n}; one period, so treat as a hypothesis, not a finding)")
    return CrossSectionResult(formula=formula, coefficients=table, n_obs=n, n_params=k, r_squared=float(fit.rsquared),
                              cov_type="HC1 (heteroskedasticity-robust)", significant=sig, conclusion=conclusion,
                              caveat=caveat)


def subsequent_returns(prices: pd.DataFrame, start, months: int = 12) -> pd.Series:
    """Each column's simple return from ``start`` to ``months`` later (last prices on or before each date).

    Parameters
    ----------
    prices : DataFrame
        Total-return prices (DatetimeIndex x tickers); not modified.
    start : date-like
        Start of the period (e.g. the date the scores were known).
    months : int
        Horizon in calendar months.

    Returns
    -------
    Series
        Return by ticker; NaN where a price is missing at either end.
    """
    if int(months) < 1:
        raise ConfigError(f"`months` must be >= 1, got {months!r}")
    t0 = pd.Timestamp(start)
    t1 = t0 + pd.DateOffset(months=int(months))
    px = prices.sort_index()
    if t1 > px.index[-1]:
        raise ConfigError(f"`start` {t0.date()} + {months} months is after the last price ({px.index[-1].date()})")
    p0 = px.loc[:t0].iloc[-1] if len(px.loc[:t0]) else pd.Series(np.nan, index=px.columns)
    p1 = px.loc[:t1].ffill().iloc[-1]
    return (p1 / p0 - 1).rename("return")
