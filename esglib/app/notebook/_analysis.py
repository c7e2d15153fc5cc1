"""Notebook helpers for analysis: variants, screens, backtests and statistics on the bundled data."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from esglib.analysis import alpha_regression
from esglib.app import bundled
from esglib.backtest import esg_backtest, scored_returns
from esglib.errors import ConfigError, EsglibError
from esglib.market import prices
from esglib.outputs import plots
from esglib.portfolio import apply_screens, holdings_weights, portfolio_summary
from esglib.scoring import ScoreConfig, score

__all__ = [
    "compare_variants", "run_screen_backtests", "backtest_returns", "backtest_metrics", "alpha_table",
    "universe_prices", "scorer", "screen_view", "screen_dashboard",
]


# ------------------------------------------------------------------------------------------------ scoring
def compare_variants(variants: Mapping[str, Any], disclosures: pd.DataFrame | None = None,
                     companies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score the universe under several configurations and put composites and ranks side by side.

    Parameters
    ----------
    variants : mapping of str to ScoreConfig
        Label -> configuration (e.g. percentile / minmax / zscore, arithmetic / geometric).
    disclosures, companies : DataFrame, optional
        As for :func:`esglib.scoring.score` (default: bundled). Not modified.

    Returns
    -------
    DataFrame
        Index ticker (companies with a composite in at least one variant, ordered by the first variant):
        ``company``, then ``<label>`` (composite 0-100) and ``rank <label>`` for each variant, and
        ``rank_spread`` (largest minus smallest rank across variants).
    """
    if not variants:
        raise ConfigError("`variants` must hold at least one configuration, got none")
    companies = bundled.companies() if companies is None else companies
    disclosures = bundled.disclosures() if disclosures is None else disclosures
    cols: dict[str, pd.Series] = {}
    names = None
    for label, cfg in variants.items():
        s = score(disclosures, cfg, companies=companies, fx=bundled.fx_rates())
        names = s["company"] if names is None else names
        cols[label] = s["composite"]
        cols[f"rank {label}"] = s["composite"].rank(ascending=False, method="min").astype("Int64")
    out = pd.DataFrame(cols)
    out.insert(0, "company", names.reindex(out.index))
    out = out[out[list(variants)].notna().any(axis=1)]
    ranks = out[[f"rank {k}" for k in variants]].astype("float64")
    out["rank_spread"] = (ranks.max(axis=1) - ranks.min(axis=1)).astype("Int64")
    first = next(iter(variants))
    return out.sort_values(f"rank {first}", na_position="last")


# ------------------------------------------------------------------------------------------------ notebook 03
def scorer(disclosures: pd.DataFrame | None = None, companies: pd.DataFrame | None = None
           ) -> Callable[[Any], pd.DataFrame]:
    """A ``scores_for(config)`` function that scores the universe and remembers results by pillar weights.

    Moving a slider back to an earlier position then costs nothing (scoring takes about a second).
    """
    companies = bundled.companies() if companies is None else companies
    disclosures = bundled.disclosures() if disclosures is None else disclosures
    cache: dict[tuple, pd.DataFrame] = {}

    def scores_for(config: Any) -> pd.DataFrame:
        key = tuple(round(float(v), 6) for v in config.weights)
        if key not in cache:
            cache[key] = score(disclosures, config, companies=companies, fx=bundled.fx_rates())
        return cache[key]

    return scores_for


def screen_view(holdings: pd.DataFrame, scores_for: Callable[[Any], pd.DataFrame], *, energy: float = 0.2,
                water: float = 0.2, procurement: float = 0.2, circularity: float = 0.2, disclosure: float = 0.2,
                min_rating: str = "none", best_in_class: float = 1.0, tilt: float = 0.0,
                disclosures: pd.DataFrame | None = None) -> dict[str, Any]:
    """Rescore with the given pillar weights, screen the holdings and summarise before and after.

    Parameters
    ----------
    holdings : DataFrame
        :func:`esglib.portfolio.load_holdings` output (index ticker, ``weight``). Not modified.
    scores_for : callable
        ``scores_for(config) -> scores``, e.g. :func:`scorer`.
    energy, water, procurement, circularity, disclosure : float
        Pillar weights (any scale, >= 0, not all zero).
    min_rating : str
        Exclude holdings rated below this band (``"none"``: no exclusion; unrated holdings are kept).
    best_in_class : float
        Keep holdings in the top ``best_in_class`` share of their peer group; 1.0 switches the screen off
        (unrated holdings would otherwise be dropped).
    tilt : float
        Score-tilt strength (0 = none).

    Returns
    -------
    dict
        ``config``, ``scores``, ``screen`` (:class:`esglib.portfolio.ScreenResult`), ``table`` (one row per
        holding: company, rating, composite, weight before/after and the reason for any exclusion) and
        ``summary`` (headline figures before and after: composite, pillars, WACI, coverage).

    Raises
    ------
    ConfigError
        Invalid weights, or a screen that excludes every holding.
    """
    cfg = ScoreConfig(pillar_weights={"energy": energy, "water": water, "procurement": procurement,
                                      "circularity": circularity, "disclosure": disclosure})
    scores = scores_for(cfg)
    w = holdings_weights(holdings)
    screen = apply_screens(w, scores, min_rating=None if min_rating in (None, "", "none") else min_rating,
                           best_in_class_share=None if best_in_class >= 1 else best_in_class,
                           tilt=tilt if tilt > 0 else None)
    table = screen.to_frame()
    table = scores[["company", "peer_group", "rating", "composite"]].reindex(table.index).join(table)
    table = table.sort_values("weight_before", ascending=False, kind="stable")
    if "company" in holdings.columns:
        table["company"] = table["company"].fillna(holdings["company"].reindex(table.index))
    disclosures = bundled.disclosures() if disclosures is None else disclosures
    companies = bundled.companies()
    before = portfolio_summary(w, scores, disclosures, companies=companies, config=cfg).to_frame()
    after = portfolio_summary(screen.weights, scores, disclosures, companies=companies, config=cfg).to_frame()
    keep = ["composite", "energy", "water", "procurement", "circularity", "disclosure", "waci"]
    summary = pd.DataFrame({"before": before["value"], "after": after["value"], "unit": before["unit"],
                            "coverage before": before["coverage"], "coverage after": after["coverage"]}).loc[keep]
    return {"config": cfg, "scores": scores, "screen": screen, "table": table, "summary": summary}


def screen_dashboard(holdings: pd.DataFrame, scores_for: Callable[[Any], pd.DataFrame],
                     png: str | os.PathLike[str] | None = None) -> Callable[..., dict[str, Any] | None]:
    """The update function of notebook 03: ``update(**slider_values)`` shows the screened holdings.

    Each call runs :func:`screen_view` and displays the screen description, the holdings table, the portfolio
    summary before and after, and the before/after weights chart (saved to ``png`` when given). A setting that
    screens out every holding prints the reason instead of failing, so a slider can never break the notebook.

    Parameters
    ----------
    holdings : DataFrame
        :func:`esglib.portfolio.load_holdings` output.
    scores_for : callable
        ``scores_for(config) -> scores`` (:func:`scorer`).
    png : path-like, optional
        Where each rendered chart is also saved.

    Returns
    -------
    callable
        ``update(energy, water, procurement, circularity, disclosure, min_rating, best_in_class, tilt)`` returning
        the :func:`screen_view` dict (None when the settings were rejected).
    """
    from IPython.display import Markdown, display


    def update(**settings: Any) -> dict[str, Any] | None:
        try:
            view = screen_view(holdings, scores_for, **settings)
        except EsglibError as exc:
            display(Markdown(f"**These settings do not work:** {exc}"))
            return None
        display(Markdown(f"**Screen:** {view['screen'].method}"))
        display(view["table"].style.format(precision=3, na_rep="-"))
        display(view["summary"].style.format(precision=2, na_rep="-"))
        ax = plots.screen_weights(view["table"])
        if png is not None:
            plots.keep(ax, png)
        plots.show()
        return view

    return update


# ------------------------------------------------------------------------------------------------ notebook 04
def run_screen_backtests(strategies: tuple[str, ...] = ("tilt", "best-in-class", "exclusion"), *,
                         disclosures: pd.DataFrame | None = None, companies: pd.DataFrame | None = None,
                         **kwargs: Any) -> dict[str, Any]:
    """Run :func:`esglib.backtest.esg_backtest` once per strategy with the same settings.

    Parameters
    ----------
    strategies : tuple of str
        Strategy names (:data:`esglib.backtest.STRATEGIES`).
    disclosures, companies : DataFrame, optional
        Loaded once and shared (default: bundled).
    **kwargs
        Passed to every :func:`~esglib.backtest.esg_backtest` call (``start``, ``rebalance``, ``benchmark``...);
        ``prices`` default to :func:`esglib.bundled.prices` (``source=`` picks the market-data source).

    Returns
    -------
    dict
        Strategy name -> :class:`esglib.backtest.BacktestResult`.
    """
    companies = bundled.companies() if companies is None else companies
    disclosures = bundled.disclosures() if disclosures is None else disclosures
    source = kwargs.pop("source", "snapshot")
    if kwargs.get("prices") is None:  # fetched once (default: the bundled snapshot) and shared
        kwargs["prices"] = bundled.prices(companies, holdings=kwargs.get("holdings"),
                                          benchmark=kwargs.get("benchmark", "SPY"), end=kwargs.get("end"),
                                          source=source)
    kwargs.setdefault("scores_cache", {})  # same data and config for every strategy: score each date once
    return {s: esg_backtest(s, disclosures=disclosures, companies=companies, **kwargs) for s in strategies}


def backtest_returns(results: Mapping[str, Any]) -> pd.DataFrame:
    """Daily net returns of each strategy, the unscreened base portfolio and the benchmark, side by side.

    Returns
    -------
    DataFrame
        DatetimeIndex x (strategies..., ``base: <base>``, ``benchmark: <ticker>``), simple returns.
    """
    first = next(iter(results.values()))
    cols = {name: r.returns for name, r in results.items()}
    if first.base_returns is not None:
        cols[f"base: {first.params.get('base', 'base')}"] = first.base_returns
    cols[f"benchmark: {first.params.get('benchmark', '')}"] = first.benchmark_returns
    return pd.DataFrame(cols)


def backtest_metrics(results: Mapping[str, Any]) -> pd.DataFrame:
    """Performance metrics of each strategy, the base portfolio and the benchmark, plus what each screen added.

    Returns
    -------
    DataFrame
        Rows: the metrics of :func:`esglib.backtest.performance_table`; columns: each strategy, ``base``,
        ``benchmark`` and ``<strategy> vs base`` (beta, tracking error, information ratio and active share of
        the strategy measured against the unscreened base).
    """
    first = next(iter(results.values()))
    cols = {name: r.metrics["strategy"] for name, r in results.items()}
    cols["base"] = first.metrics["base"] if "base" in first.metrics else np.nan
    cols["benchmark"] = first.metrics["benchmark"]
    for name, r in results.items():
        if "strategy_vs_base" in r.metrics:
            cols[f"{name} vs base"] = r.metrics["strategy_vs_base"]
    return pd.DataFrame(cols)


def alpha_table(results: Mapping[str, Any], against: str = "benchmark") -> pd.DataFrame:
    """Monthly alpha regression (Newey-West) of each strategy against the benchmark or the unscreened base.

    Parameters
    ----------
    results : mapping
        Strategy name -> :class:`esglib.backtest.BacktestResult`.
    against : {"benchmark", "base"}
        Market series of the regression: the benchmark ETF (whole run), or the base portfolio over the scored
        period (:func:`esglib.backtest.scored_returns`: what the screen itself added).

    Returns
    -------
    DataFrame
        One row per strategy: ``alpha_annual, alpha_t, alpha_p, beta, beta_t, r_squared, n_obs, lags,
        conclusion``; ``attrs["caveat"]`` holds the caveat of the regressions.
    """
    if against not in ("benchmark", "base"):
        raise ConfigError(f"`against` must be 'benchmark' or 'base', got {against!r}")
    rows = {}
    caveat = ""
    for name, r in results.items():
        if against == "benchmark":
            a = alpha_regression(r.returns, r.benchmark_returns)
        else:  # before the first scores the strategy *is* the base: compare over the scored period only
            scored = scored_returns(r)
            a = alpha_regression(scored["strategy"], scored["base"])
        rows[name] = {"alpha_annual": a.alpha_annual, "alpha_t": a.alpha_t, "alpha_p": a.alpha_p, "beta": a.beta,
                      "beta_t": a.beta_t, "r_squared": a.r_squared, "n_obs": a.n_obs, "lags": a.lags,
                      "conclusion": a.conclusion}
        caveat = a.caveat
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = f"strategy vs {against}"
    out.attrs["caveat"] = caveat
    return out


def universe_prices(companies: pd.DataFrame | None = None, source: str = "snapshot") -> pd.DataFrame:
    """Total-return prices of the universe, columns renamed from Yahoo tickers to universe tickers.

    Listings in other currencies keep their own currency (returns are in local currency); tickers without
    prices in the source are left out (named in ``attrs["missing"]``).
    """
    import warnings


    companies = bundled.companies() if companies is None else companies
    to_universe = dict(zip(companies["yahoo_ticker"], companies["ticker"], strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing tickers are reported in attrs
        px = prices(list(to_universe), source=source, adjust="total", allow_mixed_currency=True)
    out = px.loc[:, px.notna().any(axis=0)].rename(columns=to_universe)
    missing = [to_universe.get(t, t) for t in px.attrs.get("missing", [])]
    out.attrs = {"as_of": px.attrs.get("as_of"), "missing": missing}
    return out
