"""ESG strategies for the engine: point-in-time scores and screen-based weights."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from esglib import portfolio as pf
from esglib.backtest._engine import _CASH, BacktestResult, _mean_active, rebalance_dates, run_backtest
from esglib.backtest._performance import performance_table
from esglib.errors import ConfigError
from esglib.inputs import available_as_of, publication_dates
from esglib.portfolio import covariance, holdings_weights, optimise
from esglib.portfolio._optimise import _lp_extreme
from esglib.scoring import ScoreConfig, score

__all__ = ['STRATEGIES', 'esg_backtest', 'strategy_weights', 'point_in_time_scores']


STRATEGIES = ("tilt", "best-in-class", "exclusion", "optimised")


# ------------------------------------------------------------------------------------------------ ESG layer
def point_in_time_scores(dates: Iterable, disclosures: pd.DataFrame | None = None,
                         companies: pd.DataFrame | None = None, config=None, cache: dict | None = None,
                         fx: pd.DataFrame | None = None) -> dict[pd.Timestamp, pd.DataFrame]:
    """Scores as they could have been computed on each date (no look-ahead), cached per information set.

    Each date is scored with ``esglib.scoring.score(..., as_of=date)``: only figures published on or before it
    (``published_on``; undated figures from fiscal-year end + ``config.publication_lag_days``, the conservative
    default), each KPI from a fiscal year that ended at most ``carry_forward_years + 1`` years before the date.
    Dates that see exactly the same figures in the same window share one call.

    Parameters
    ----------
    dates : iterable of date-like
    disclosures, companies, config, fx
        Inputs of :func:`esglib.scoring.score` (``fx``: rates for reported-currency revenue).
    cache : dict, optional
        A dict to reuse across calls with the *same* disclosures, companies and config (e.g. several strategies
        backtested on one data set): scores already computed for an information set are not recomputed.

    Returns
    -------
    dict
        ``{Timestamp: scores DataFrame}`` (the frames of dates with the same information are the same object;
        treat them as read-only).
    """
    cfg = config or ScoreConfig()
    if companies is None or disclosures is None:
        raise ConfigError("`disclosures` and `companies` are required (esglib.bundled gives the bundled ones)")
    cache = {} if cache is None else cache
    out: dict[pd.Timestamp, pd.DataFrame] = {}
    ends = publication_dates(companies, disclosures["fiscal_year"].to_numpy(), disclosures["ticker"].to_numpy(), 0)
    ends = ends.to_numpy()
    for d in pd.DatetimeIndex(list(dates)):
        avail = available_as_of(disclosures, companies, d, cfg.publication_lag_days).index
        # the same figures *and* the same fiscal-year window (it moves with the date) give the same scores
        cutoff = (d - pd.DateOffset(years=int(cfg.carry_forward_years) + 1)).to_datetime64()
        key = (tuple(avail), tuple(np.flatnonzero(ends >= cutoff)))
        if key not in cache:
            cache[key] = score(disclosures, cfg, companies=companies, as_of=d, fx=fx)
        out[d] = cache[key]
    return out


def strategy_weights(strategy: str, base: Callable[[pd.Timestamp], pd.Series], scores_at: Callable[[pd.Timestamp],
                     pd.DataFrame], *, prices: pd.DataFrame | None = None, min_rating: str | None = "BB",
                     exclude_flags: Iterable[str] = (), best_in_class_share: float = 0.5, tilt: float = 1.0,
                     target_uplift: float = 10.0, lookback: int = 252, carbon_at: Callable | None = None,
                     max_weight: float = 0.2, fallbacks: list | None = None) -> Callable[[pd.Timestamp], pd.Series]:
    """Build ``weights_fn(date)`` for an ESG strategy (pluggable into :func:`run_backtest`).

    Parameters
    ----------
    strategy : {"tilt", "best-in-class", "exclusion", "optimised"}
        ``tilt``: :func:`esglib.portfolio.score_tilt` (strength ``tilt``, unrated names at half weight);
        ``best-in-class``: :func:`esglib.portfolio.best_in_class` (top ``best_in_class_share`` per peer group);
        ``exclusion``: :func:`esglib.portfolio.exclusion_screen` (``min_rating``, ``exclude_flags``; unrated
        kept); ``optimised``: :func:`esglib.portfolio.optimise` -- least tracking error to the base weights with
        a composite at least ``target_uplift`` points above the base's (capped just below the highest
        achievable), covariance from the ``lookback`` trading days up to ``date``, weights <= ``max_weight``.
    base : callable
        ``base(date) -> Series`` of the starting weights (the holdings, or an equal-weight universe).
    scores_at : callable
        ``scores_at(date) -> scores`` as known on ``date`` (e.g. from :func:`point_in_time_scores`).
    prices : DataFrame, optional
        Needed by ``optimised`` (only rows up to ``date`` are read).
    fallbacks : list, optional
        Receives ``(date, reason)`` whenever the screen cannot be applied and the base weights are held.

    Returns
    -------
    callable
        ``date -> Series`` of target weights, using nothing published or priced after ``date``.
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"`strategy` must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if strategy == "optimised" and prices is None:
        raise ConfigError("the 'optimised' strategy needs `prices` for its covariance")
    log = fallbacks if fallbacks is not None else []

    def fn(date: pd.Timestamp) -> pd.Series:
        b = base(date)
        sc = scores_at(date)
        if not sc["composite"].notna().any():
            log.append((date, "no company had a composite yet"))
            return b
        try:
            if strategy == "tilt":
                return pf.score_tilt(b, sc, tilt).weights
            if strategy == "best-in-class":
                return pf.best_in_class(b, sc, best_in_class_share).weights
            if strategy == "exclusion":
                return pf.exclusion_screen(b, sc, min_rating=min_rating, exclude_flags=exclude_flags).weights
            return _optimised(date, b, sc)
        except ConfigError as exc:  # e.g. a screen that excludes everything, or an infeasible target
            log.append((date, str(exc).splitlines()[0]))
            return b

    def _optimised(date, b, sc):

        hist = prices.loc[:date].iloc[-(lookback + 1):]
        cash = float(b.get(_CASH, 0.0))
        bb = b.drop(_CASH, errors="ignore")
        rets = hist[[t for t in bb.index if t in hist.columns]].pct_change(fill_method=None).iloc[1:]
        ok = rets.notna().sum() >= max(60, lookback // 2)
        names = list(ok.index[ok])
        if len(names) < 2:
            raise ConfigError("fewer than two names with enough price history for a covariance")
        bb = bb.reindex(names).fillna(0.0)
        cov = covariance(rets[names])
        comp = sc["composite"].reindex(names)
        n = len(names)
        cap = max(max_weight, 1.0 / n + 1e-9)
        base_comp = float((bb / bb.sum() * comp.fillna(0.0)).sum())
        best = -_lp_extreme(-comp.fillna(0.0).to_numpy(), np.zeros(n), np.full(n, cap))[0]
        target = min(base_comp + target_uplift, base_comp + 0.9 * (best - base_comp))
        kw = {}
        if carbon_at is not None:
            kw["carbon_intensity"] = carbon_at(date)
        res = optimise(bb, comp, cov, target=target, bounds=(0.0, cap), **kw)
        w = res.weights * (1 - cash)
        if cash > 0:
            w[_CASH] = cash
        return w

    return fn


def esg_backtest(strategy: str = "tilt", *, holdings: pd.DataFrame | pd.Series | None = None,
                 benchmark: str = "SPY", start=None, end=None, rebalance: str = "M", cost_bps: float = 10.0,
                 prices: pd.DataFrame | None = None, disclosures: pd.DataFrame | None = None,
                 companies: pd.DataFrame | None = None, config=None, risk_free: float = 0.0,
                 scores_cache: dict | None = None, fx: pd.DataFrame | None = None,
                 **strategy_kwargs) -> BacktestResult:
    """Backtest an ESG screen on the universe (or on given holdings) point in time.

    Parameters
    ----------
    strategy : {"tilt", "best-in-class", "exclusion", "optimised"}
        See :func:`strategy_weights` (extra keyword arguments go there: ``tilt``, ``min_rating``,
        ``exclude_flags``, ``best_in_class_share``, ``target_uplift``, ``lookback``, ``max_weight``).
    holdings : DataFrame or Series, optional
        Base weights (:func:`esglib.portfolio.load_holdings` output or weights by ticker), held constant and
        rebalanced; names without prices are dropped, cash earns 0. Default: an equal-weight portfolio of every
        universe company with a price on the rebalance date.
    benchmark : str
        A ticker with prices (default ``"SPY"``, bought and held), ``"equal"`` (equal-weight universe) or
        ``"base"`` (the base weights themselves, i.e. what screening adds).
    start, end : date-like, optional
        Window (default: the whole price history).
    rebalance : {"M", "Q"}
    cost_bps : float
        Cost in bps of traded value, on the strategy (the benchmark pays none).
    prices : DataFrame of shape (n_days, n_tickers)
        Total-return prices by *universe ticker* (required; the library never fetches them):
        :func:`esglib.bundled.prices` gives the bundled snapshot's, columns renamed from ``yahoo_ticker`` to
        ``ticker``. ``prices.attrs`` may name its ``source`` (recorded in ``params``) and the tickers it has no
        data for (``missing``, reported in ``notes``), as :func:`esglib.market.prices` output does.
    disclosures, companies, config, fx
        Inputs of :func:`esglib.scoring.score` (``disclosures`` and ``companies`` required; ``config`` default
        ``ScoreConfig()``; ``fx`` converts reported-currency revenue, as ``score`` does).
    risk_free : float
        Annual risk-free rate for Sharpe and Sortino.
    scores_cache : dict, optional
        Shared cache for :func:`point_in_time_scores` when several strategies are backtested on the same
        disclosures, companies and config (pass the same empty dict to each call).

    Returns
    -------
    BacktestResult
        ``notes`` say how many rebalances held the base weights because no company was rated yet (the
        bundled data has no composite before 2022) or a screen could not be applied.
    """
    cfg = config or ScoreConfig()
    if strategy not in STRATEGIES:
        raise ConfigError(f"`strategy` must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if companies is None or disclosures is None:
        raise ConfigError("`disclosures` and `companies` are required (esglib.bundled gives the bundled ones)")
    if "source" in strategy_kwargs:
        raise ConfigError("esg_backtest does not fetch prices, so it takes no `source`: pass `prices=` "
                          "(esglib.bundled.prices(source=...) fetches them)")
    if not isinstance(prices, pd.DataFrame):
        raise ConfigError("`prices` is required: a DataFrame of total-return prices by universe ticker "
                          "(esglib.bundled.prices() gives the bundled snapshot's)")
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    base_fixed = None
    if holdings is not None:
        base_fixed = holdings_weights(holdings)
        base_fixed = base_fixed[base_fixed != 0]
    bench_key = str(benchmark)
    source = str(prices.attrs.get("source", "given"))
    no_data = list(prices.attrs.get("missing", []))
    notes: list[str] = []
    if no_data:
        notes.append(f"no prices from source {source!r} for {', '.join(no_data)}: left out of the backtest")
    if base_fixed is not None:
        no_px = [t for t in base_fixed.index if t != _CASH and t not in prices.columns]
        if no_px:
            notes.append(f"holdings without prices left out: {', '.join(no_px)} "
                         f"({float(base_fixed[no_px].sum() / base_fixed.sum()):.1%} of weight)")
            base_fixed = base_fixed.drop(no_px)
        if not (base_fixed > 0).any():
            raise ConfigError("none of the holdings has prices to backtest")
    bench_is_ticker = bench_key.lower() not in ("equal", "base")
    if bench_is_ticker and bench_key not in prices.columns:
        raise ConfigError(f"`benchmark` {bench_key!r} has no prices (use a ticker in the snapshot, 'equal' or "
                          "'base')")
    universe_cols = [t for t in uni.index if t in prices.columns]
    strat_cols = sorted(set(universe_cols) | (set(base_fixed.index) - {_CASH} if base_fixed is not None else set()))
    sim_cols = strat_cols + ([bench_key] if bench_is_ticker and bench_key not in strat_cols else [])
    px_all = prices[sim_cols]
    # trading days of the names held (drops days on which only foreign listings traded)
    px_all = px_all.loc[px_all[strat_cols].notna().any(axis=1)]
    prices = px_all
    idx = prices.index
    pos = {d: i for i, d in enumerate(idx)}

    def base(date: pd.Timestamp) -> pd.Series:
        if base_fixed is not None:
            return base_fixed / base_fixed.sum()
        return _equal_live(date)

    def _equal_live(date: pd.Timestamp) -> pd.Series:
        row = px_all.iloc[pos[date]][universe_cols]
        live = row.index[row.notna()]
        if not len(live):
            raise ConfigError(f"no universe company has a price on {date.date()}")
        return pd.Series(1.0 / len(live), index=live)

    dates = rebalance_dates(idx, rebalance, start, end)
    panel = point_in_time_scores(dates, disclosures, companies, cfg, cache=scores_cache, fx=fx)
    fallbacks: list = []
    fn = strategy_weights(strategy, base, panel.__getitem__, prices=px_all, fallbacks=fallbacks,
                          **strategy_kwargs)
    if bench_is_ticker:
        bench = bench_key
    elif bench_key.lower() == "equal":
        bench = _equal_live
    else:
        bench = base
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = run_backtest(px_all, fn, benchmark=bench, rebalance=rebalance, cost_bps=cost_bps,
                           start=start, end=end, risk_free=risk_free,
                           base_weights=base if bench_is_ticker else None)
        base_res = run_backtest(px_all, base, benchmark=bench, rebalance=rebalance, cost_bps=cost_bps,
                                start=start, end=end, risk_free=risk_free)
        vs_base = performance_table(res.returns, base_res.returns, risk_free=risk_free, turnover=res.turnover,
                                    active_share_mean=float(_mean_active(res.weights, base_res.weights)))
    metrics = res.metrics.copy()
    metrics.insert(1, "base", base_res.metrics["strategy"])
    relative = ["beta", "tracking_error", "information_ratio", "active_share"]
    metrics["strategy_vs_base"] = vs_base["strategy"].where(vs_base.index.isin(relative))
    unscored = sum(1 for _, why in fallbacks if why.startswith("no company"))
    other = [(d, why) for d, why in fallbacks if not why.startswith("no company")]
    scored = [d for d in dates if panel[d]["composite"].notna().any()]
    if unscored:
        hint = (f"; the strategy equals the base until {scored[0].date()}: to measure the scored period only, "
                f"start there (--start {scored[0].date()})") if scored else ""
        notes.append(f"{unscored} of {len(dates)} rebalances held the base weights: no company had a composite "
                     f"yet (figures count from their publication date; undated ones "
                     f"{cfg.publication_lag_days} days after fiscal-year end){hint}")
    if other:
        notes.append(f"{len(other)} rebalance(s) held the base weights because the screen could not be applied "
                     f"(first: {other[0][0].date()}: {other[0][1]})")
    n_sets = len({id(v) for v in panel.values()})
    notes.append(f"scores recomputed point in time at {len(dates)} rebalances ({n_sets} distinct information sets; "
                 f"figures from their published_on date, undated ones {cfg.publication_lag_days} days after "
                 "fiscal-year end)")
    params = dict(res.params)
    params.update({"strategy": strategy, "benchmark": bench_key, "source": source,
                   "base": "holdings" if base_fixed is not None else "equal-weight universe",
                   "scored_from": str(scored[0].date()) if scored else None, "n_scored_rebalances": len(scored),
                   **{k: (list(v) if isinstance(v, tuple) else v) for k, v in strategy_kwargs.items()}})
    return BacktestResult(returns=res.returns, gross_returns=res.gross_returns,
                          benchmark_returns=res.benchmark_returns, weights=res.weights, turnover=res.turnover,
                          costs=res.costs, active_share=res.active_share, metrics=metrics,
                          notes=tuple(list(res.notes) + notes), params=params, base_returns=base_res.returns)
