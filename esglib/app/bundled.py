"""The bundled data, loaded for you: the convenience layer over the library's frame-in functions.

The library below ``esglib.app`` never loads a file or fetches prices by itself; this module does, for the
bundled universe and disclosures in ``data/``. Each helper loads (once per process, handing out copies), runs
one scoring pass with *your* :class:`~esglib.scoring.ScoreConfig`, and passes that pass on::

    import esglib
    scores = esglib.bundled.score()                      # the bundled universe, default config
    card = esglib.bundled.write_scorecard("card.xlsx", config=cfg)

Also reachable as ``esglib.bundled``.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib import market
from esglib.analysis import carbon_price_shock as _carbon_price_shock
from esglib.analysis import carbon_prices as _carbon_prices
from esglib.analysis import company_baseline as _company_baseline
from esglib.analysis import demand_growth as _demand_growth
from esglib.analysis import electricity_growth as _electricity_growth
from esglib.analysis import water_stress as _water_stress
from esglib.backtest import BacktestResult
from esglib.backtest import esg_backtest as _esg_backtest
from esglib.backtest import point_in_time_scores as _point_in_time_scores
from esglib.errors import MarketDataError
from esglib.inputs import DATA_DIR, load_companies, load_disclosures, load_fx_rates, load_macro, load_reference_points
from esglib.outputs import write_scorecard as _write_scorecard
from esglib.portfolio import CASH, PortfolioSummary, holdings_weights
from esglib.portfolio import portfolio_summary as _portfolio_summary
from esglib.scoring import ScoreConfig
from esglib.scoring import explain as _explain
from esglib.scoring import explain_many as _explain_many
from esglib.scoring import score as _score
from esglib.scoring import sensitivity as _sensitivity

__all__ = [
    "DATA_DIR",
    "companies",
    "disclosures",
    "macro",
    "fx_rates",
    "reference_points",
    "prices",
    "latest_prices",
    "score",
    "explain",
    "explain_many",
    "sensitivity",
    "portfolio_summary",
    "write_scorecard",
    "point_in_time_scores",
    "esg_backtest",
    "company_baseline",
    "carbon_prices",
    "carbon_price_shock",
    "demand_growth",
    "electricity_growth",
    "water_stress",
]


@functools.lru_cache(maxsize=1)
def _companies() -> pd.DataFrame:
    return load_companies(DATA_DIR / "companies.csv")


@functools.lru_cache(maxsize=1)
def _disclosures() -> pd.DataFrame:
    return load_disclosures(DATA_DIR / "disclosures.csv", _companies())


@functools.lru_cache(maxsize=1)
def _macro() -> pd.DataFrame:
    return load_macro(DATA_DIR / "macro.csv")


@functools.lru_cache(maxsize=1)
def _fx() -> pd.DataFrame:
    path = DATA_DIR / "fx_rates.csv"
    return load_fx_rates(path) if path.exists() else load_fx_rates()


def fx_rates() -> pd.DataFrame:
    """The bundled FX table (``data/fx_rates.csv``; empty while the bundled data has none), a fresh copy."""
    return _fx().copy()


def reference_points() -> pd.DataFrame:
    """The bundled reference points (``data/reference_points.csv``), as a frame with sources.

    ``ScoreConfig()`` carries the same points (``esglib.scoring.DEFAULT_REFERENCE_POINTS``, kept equal to the
    file by a test); pass ``reference_points_from_frame(frame)`` to score with an edited copy.
    """
    return load_reference_points(DATA_DIR / "reference_points.csv")


def companies() -> pd.DataFrame:
    """The bundled universe (``data/companies.csv``; n_companies x 7), a fresh copy."""
    return _companies().copy()


def disclosures() -> pd.DataFrame:
    """The bundled cited disclosures (``data/disclosures.csv``, validated; n_figures x 19), a fresh copy."""
    return _disclosures().copy()


def macro() -> pd.DataFrame:
    """The bundled macro series (``data/macro.csv``, long format), a fresh copy."""
    return _macro().copy()


def prices(companies: pd.DataFrame | None = None, *, holdings: pd.DataFrame | pd.Series | None = None,
           benchmark: str | None = "SPY", end=None, source: str = "snapshot") -> pd.DataFrame:
    """Total-return prices for :func:`esglib.backtest.esg_backtest`, columns named by universe ticker.

    Fetches :func:`esglib.market.prices` (``adjust="total"``, whole history up to ``end``) for every company's
    ``yahoo_ticker``, the holdings' tickers (cash excluded) and the benchmark ticker, then renames the columns
    from ``yahoo_ticker`` to ``ticker``; columns without any price are dropped.

    Parameters
    ----------
    companies : DataFrame, optional
        The universe (default: the bundled one).
    holdings : DataFrame or Series, optional
        Base weights whose tickers need prices too.
    benchmark : str, optional
        A benchmark ticker to add (``"equal"``, ``"base"`` or None add nothing).
    end : date-like, optional
        Last date (default: the end of the history).
    source : str
        Market-data source (default the bundled snapshot: offline).

    Returns
    -------
    DataFrame of shape (n_days, n_tickers)
        ``attrs``: ``source`` (the requested source) and ``missing`` (price tickers without data).
    """
    companies = _companies() if companies is None else companies
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    ytick = uni["yahoo_ticker"] if "yahoo_ticker" in uni.columns else pd.Series(uni.index, index=uni.index)
    ymap = {t: (str(y) if str(y) else t) for t, y in ytick.items()}
    wanted = set(ymap.values())
    if holdings is not None:
        w = holdings_weights(holdings)
        wanted |= set(w.index[w != 0]) - {CASH}
    if benchmark is not None and str(benchmark).lower() not in ("equal", "base"):
        wanted.add(str(benchmark))
    with warnings.catch_warnings():  # tickers without data are reported by esg_backtest's notes instead
        warnings.simplefilter("ignore")
        px = market.prices(sorted(wanted), start=None, end=end, source=source, adjust="total")
    missing = list(px.attrs.get("missing", []))
    px = px.loc[:, px.notna().any(axis=0)]
    px.index = pd.DatetimeIndex(px.index)
    inv = {y: t for t, y in ymap.items()}
    out = px.sort_index().rename(columns=lambda c: inv.get(c, c))
    out.attrs = {**px.attrs, "source": source, "missing": missing}
    return out


def latest_prices(tickers: Iterable[str], source: str = "snapshot") -> pd.Series:
    """Latest split-adjusted close per price ticker (NaN where unknown), for :func:`esglib.load_holdings`.

    Pass the function itself as ``load_holdings(..., prices=esglib.bundled.latest_prices)`` to value a shares
    column at the bundled snapshot's latest close.

    Parameters
    ----------
    tickers : iterable of str
        Price tickers (the universe's ``yahoo_ticker``).
    source : str
        Market-data source (default the bundled snapshot: offline).

    Returns
    -------
    Series
        Indexed by ticker; ``attrs``: ``as_of`` and ``source`` of the prices. Tickers the source does not have
        are NaN (the market module's own warning is silenced: ``load_holdings`` reports them).
    """
    tickers = list(tickers)
    out = pd.Series(np.nan, index=pd.Index(tickers, dtype=object), dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            px = market.prices(tickers, source=source, adjust="split")
        except MarketDataError:
            return out
    for t in tickers:
        if t in px.columns and px[t].notna().any():
            out[t] = float(px[t].dropna().iloc[-1])
    out.attrs["as_of"] = px.attrs.get("as_of")
    out.attrs["source"] = source
    return out


def score(config: ScoreConfig | None = None, year: int | None = None, *, as_of=None) -> pd.DataFrame:
    """:func:`esglib.scoring.score` of the bundled data (one row per company, indexed by ticker)."""
    return _score(_disclosures(), config, year, companies=_companies(), as_of=as_of, fx=_fx())


def explain(ticker: str, config: ScoreConfig | None = None, year: int | None = None, *, as_of=None) -> pd.DataFrame:
    """:func:`esglib.scoring.explain` on the bundled data."""
    return _explain(ticker, _disclosures(), config, year, companies=_companies(), as_of=as_of, fx=_fx())


def explain_many(tickers: Iterable[str] | None = None, config: ScoreConfig | None = None, year: int | None = None,
                 *, as_of=None) -> dict[str, pd.DataFrame]:
    """:func:`esglib.scoring.explain_many` on the bundled data."""
    return _explain_many(tickers, _disclosures(), config, year, companies=_companies(), as_of=as_of, fx=_fx())


def sensitivity(config: ScoreConfig | None = None, **kwargs: Any) -> pd.DataFrame:
    """:func:`esglib.scoring.sensitivity` of the bundled scores under ``config`` (``kwargs`` passed on)."""
    return _sensitivity(score(config), config=config, **kwargs)


def portfolio_summary(holdings: pd.DataFrame | pd.Series | Mapping[str, float], config: ScoreConfig | None = None,
                      *, as_of=None, **kwargs: Any) -> PortfolioSummary:
    """:func:`esglib.portfolio.portfolio_summary` over the bundled scores, scored once with ``config``."""
    return _portfolio_summary(holdings, score(config, as_of=as_of), _disclosures(), companies=_companies(),
                              as_of=as_of, config=config, **kwargs)


def write_scorecard(path: str | os.PathLike[str], config: ScoreConfig | None = None, year: int | None = None,
                    **kwargs: Any) -> Path:
    """:func:`esglib.outputs.write_scorecard` of the bundled data, scored once with ``config``."""
    return _write_scorecard(path, score(config, year), _disclosures(), _companies(), config, year, fx=_fx(), **kwargs)


def point_in_time_scores(dates: Iterable, config: ScoreConfig | None = None, cache: dict | None = None
                         ) -> dict[pd.Timestamp, pd.DataFrame]:
    """:func:`esglib.backtest.point_in_time_scores` on the bundled data."""
    return _point_in_time_scores(dates, _disclosures(), _companies(), config, cache, fx=_fx())


def esg_backtest(strategy: str = "tilt", config: ScoreConfig | None = None, **kwargs: Any) -> BacktestResult:
    """:func:`esglib.backtest.esg_backtest` on the bundled data.

    Prices default to :func:`prices` (``source=`` picks the market-data source, the bundled snapshot by default).
    """
    source = kwargs.pop("source", "snapshot")
    if kwargs.get("prices") is None:
        kwargs["prices"] = prices(holdings=kwargs.get("holdings"), benchmark=kwargs.get("benchmark", "SPY"),
                                  end=kwargs.get("end"), source=source)
    kwargs.setdefault("fx", _fx())
    return _esg_backtest(strategy, disclosures=_disclosures(), companies=_companies(), config=config, **kwargs)


def company_baseline(**kwargs: Any) -> pd.DataFrame:
    """:func:`esglib.analysis.company_baseline` of the bundled disclosures."""
    return _company_baseline(_disclosures(), **kwargs)


def carbon_prices(**kwargs: Any) -> pd.DataFrame:
    """:func:`esglib.analysis.carbon_prices` from the bundled macro series and FX table."""
    kwargs.setdefault("fx", _fx())
    return _carbon_prices(_macro(), **kwargs)


def carbon_price_shock(baseline: pd.DataFrame | None = None, prices: Any = None, **kwargs: Any) -> pd.DataFrame:
    """:func:`esglib.analysis.carbon_price_shock` on the bundled disclosures and EU ETS prices."""
    if prices is None:
        prices = carbon_prices(eur_usd=kwargs["eur_usd"]) if "eur_usd" in kwargs else carbon_prices()
    if baseline is None:
        kwargs.setdefault("disclosures", _disclosures())
    return _carbon_price_shock(baseline, prices, **kwargs)


def demand_growth(**kwargs: Any) -> pd.Series:
    """:func:`esglib.analysis.demand_growth` from the bundled macro series."""
    return _demand_growth(_macro(), **kwargs)


def electricity_growth(baseline: pd.DataFrame | None = None, **kwargs: Any) -> pd.DataFrame:
    """:func:`esglib.analysis.electricity_growth` on the bundled disclosures and macro series."""
    kwargs.setdefault("disclosures", _disclosures())
    if kwargs.get("cagr") is None and "macro" not in kwargs:
        kwargs["macro"] = _macro()
    return _electricity_growth(baseline, **kwargs)


def water_stress(baseline: pd.DataFrame | None = None, **kwargs: Any) -> pd.DataFrame:
    """:func:`esglib.analysis.water_stress` on the bundled disclosures."""
    if baseline is None:
        kwargs.setdefault("disclosures", _disclosures())
    return _water_stress(baseline, **kwargs)
