"""Carbon-price scenarios: EU ETS prices, cost shocks and portfolio-weighted results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from esglib.analysis._baseline import (
    _CARBON_SERIES_PREFIX,
    CARBON_INPUTS,
    _finite_number,
    _require_columns,
    _scope2_method,
    company_baseline,
)
from esglib.errors import ConfigError
from esglib.portfolio import holdings_weights

__all__ = ['carbon_prices', 'carbon_price_shock', 'portfolio_weighted']


# ------------------------------------------------------------------------------------------------ carbon price
def carbon_prices(macro: pd.DataFrame | None = None, *, eur_usd: float | None = None,
                  fx: pd.DataFrame | None = None, extra_usd: Sequence[float] = ()) -> pd.DataFrame:
    """Carbon prices to test: the EU ETS rows of ``data/macro.csv`` (converted to USD) plus prices of your own.

    Parameters
    ----------
    macro : DataFrame, optional
        :func:`esglib.inputs.load_macro` output (required). Rows whose ``series`` starts with
        ``eu_ets_allowance_price`` are used. Not modified.
    eur_usd : float, optional
        USD per EUR for every EUR price; overrides ``fx``.
    fx : DataFrame, optional
        FX table (``currency, year, usd_per_unit``; :func:`esglib.inputs.load_fx_rates`): an EUR price of year Y is
        converted with the EUR rate of Y. Without a rate (no ``eur_usd``, no row) its USD price is NaN: no rate is
        ever assumed (:data:`EUR_USD_NOTE`).
    extra_usd : sequence of float
        Additional prices in USD per tonne (e.g. a social cost of carbon you want to test).

    Returns
    -------
    DataFrame
        One row per price, cheapest first: ``scenario`` (label), ``series``, ``year``, ``price_eur_per_t`` (NaN
        for user prices), ``price_usd_per_t`` (NaN where no EUR rate is known), ``eur_usd`` (the rate used),
        ``source``. ``attrs["eur_usd"]`` holds the ``eur_usd`` argument.

    Raises
    ------
    ConfigError
        A non-positive ``eur_usd``, a negative or non-numeric extra price, or a macro row in a currency other
        than EUR or USD per tonne.
    """
    rate = None if eur_usd is None else _finite_number("eur_usd", eur_usd, minimum=0.0, strict=True)
    eur_rates: dict[int, float] = {}
    if fx is not None and len(fx):
        f = fx[fx["currency"].astype(str).str.upper() == "EUR"]
        eur_rates = {int(y): float(v) for y, v in zip(f["year"], f["usd_per_unit"], strict=True)}
    if macro is None:
        raise ConfigError("`macro` is required: pass a frame (esglib.bundled.macro() gives the bundled one)")
    m = macro
    _require_columns(m, "macro", ("series", "year", "value", "unit"), "carbon prices")
    ets = m[m["series"].astype(str).str.startswith(_CARBON_SERIES_PREFIX)]
    rows = []
    kinds = {"annual_average": "EU ETS average", "year_end": "EU ETS year-end", "peak": "EU ETS peak"}
    for _, r in ets.iterrows():
        unit = str(r["unit"]).replace(" ", "").upper()
        value = float(r["value"])
        if unit.startswith("EUR/"):
            r_used = rate if rate is not None else eur_rates.get(int(r["year"]), np.nan)
            eur, usd = value, value * r_used
        elif unit.startswith("USD/"):
            eur, usd, r_used = np.nan, value, np.nan
        else:
            raise ConfigError(f"`macro` row {r['series']} {r['year']} has unit {r['unit']!r}; carbon prices "
                              "must be in EUR/tCO2 or USD/tCO2")
        kind = str(r["series"])[len(_CARBON_SERIES_PREFIX) + 1:]
        label = f"{kinds.get(kind, 'EU ETS ' + kind)} {r['year']}"
        rows.append({"scenario": label, "series": r["series"], "year": r["year"], "price_eur_per_t": eur,
                     "price_usd_per_t": usd, "eur_usd": r_used, "source": r.get("source_title", "")})
    for i, p in enumerate(extra_usd):
        usd = _finite_number(f"extra_usd[{i}]", p, minimum=0.0)
        rows.append({"scenario": f"user USD {usd:g}", "series": "user", "year": pd.NA, "price_eur_per_t": np.nan,
                     "price_usd_per_t": usd, "eur_usd": np.nan, "source": "given by the user"})
    out = pd.DataFrame(rows, columns=["scenario", "series", "year", "price_eur_per_t", "price_usd_per_t", "eur_usd",
                                      "source"])
    out["year"] = out["year"].astype("Int64")
    out = out.drop_duplicates("scenario").sort_values("price_usd_per_t", kind="stable").reset_index(drop=True)
    out.attrs["eur_usd"] = rate
    return out


def _price_table(prices, eur_usd: float | None) -> pd.DataFrame:
    """Normalise the ``prices`` argument of :func:`carbon_price_shock` to (scenario, price_usd_per_t)."""
    if prices is None:
        raise ConfigError("`prices` is required: pass carbon_prices(macro) or prices in USD per tonne")
    if isinstance(prices, pd.DataFrame):
        _require_columns(prices, "prices", ("price_usd_per_t",), "a carbon-price shock")
        if "price_eur_per_t" in prices.columns:  # carbon_prices output: EUR prices without a known rate are left out
            prices = prices[prices["price_usd_per_t"].notna()]
        labels = prices["scenario"] if "scenario" in prices.columns else [
            f"USD {p:g}" for p in prices["price_usd_per_t"]]
        table = pd.DataFrame({"scenario": list(labels), "price_usd_per_t": list(prices["price_usd_per_t"])})
    elif isinstance(prices, pd.Series | Mapping):
        s = pd.Series(prices)
        table = pd.DataFrame({"scenario": [str(k) for k in s.index], "price_usd_per_t": list(s.to_numpy())})
    else:
        values = [prices] if np.ndim(prices) == 0 else list(prices)
        table = pd.DataFrame({"scenario": [None] * len(values), "price_usd_per_t": values})
    for i, p in enumerate(table["price_usd_per_t"]):
        table.loc[i, "price_usd_per_t"] = _finite_number(f"prices[{i}]", p, minimum=0.0)
    table["price_usd_per_t"] = table["price_usd_per_t"].astype("float64")
    blank = table["scenario"].isna()
    table.loc[blank, "scenario"] = [f"USD {p:g}" for p in table.loc[blank, "price_usd_per_t"]]
    if table.empty:
        raise ConfigError("`prices` must hold at least one price, got none")
    return table


def carbon_price_shock(baseline: pd.DataFrame | None = None, prices=None, *, scope2: str = "market",
                       eur_usd: float | None = None, disclosures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cost of a carbon price on each company's Scope 1 + 2 emissions, as a share of revenue.

    ``cost_usd_m = (scope1_tco2e + scope2_tco2e) x price_usd_per_t / 1e6`` and
    ``cost_pct_revenue = 100 x cost_usd_m / revenue_usd_m``. The cost is linear in the price.

    Parameters
    ----------
    baseline : DataFrame, optional
        Index ticker with ``scope1_tco2e``, ``scope2_market_tco2e`` (or ``scope2_location_tco2e``) and
        ``revenue_usd_m`` in the same fiscal year (:func:`company_baseline`; default: built from the bundled
        data with :data:`CARBON_INPUTS`). An ``operating_income_usd_m`` column, if present, is used too.
        Not modified.
    prices : DataFrame, Series, mapping, sequence or float, optional
        Prices in **USD per tonne**: a :func:`carbon_prices` frame, a label -> price mapping, or plain numbers.
        Default: :func:`carbon_prices` of the bundled EU ETS rows converted at ``eur_usd``.
    scope2 : {"market", "location"}
        Scope 2 method priced (market-based after certificates/PPAs, or grid-average location-based).
    eur_usd : float, optional
        USD per EUR, only checked and reported here (convert EUR prices with :func:`carbon_prices`).
    disclosures : DataFrame, optional
        Disclosures to build the baseline from when ``baseline`` is None (required then).

    Returns
    -------
    DataFrame
        Long format, one row per (ticker, scenario): ``ticker, company, fiscal_year, scenario,
        price_usd_per_t, scope2_method, emissions_tco2e, revenue_usd_m, cost_usd_m, cost_pct_revenue,
        operating_income_usd_m, cost_pct_operating_income``. The operating-income columns are NaN unless the
        baseline carries operating income (the bundled data does not). Revenue that is zero or missing gives
        NaN. ``attrs`` holds ``scope2``, ``eur_usd`` and a ``note``.

    Raises
    ------
    ConfigError
        Unknown ``scope2``, negative or non-numeric prices, a non-positive ``eur_usd`` or a baseline without
        the needed columns.
    """
    method = _scope2_method(scope2)
    rate = None if eur_usd is None else _finite_number("eur_usd", eur_usd, minimum=0.0, strict=True)
    inputs = CARBON_INPUTS[method]
    base = company_baseline(disclosures, required=inputs) if baseline is None else baseline
    _require_columns(base, "baseline", inputs, "a carbon-price shock")
    table = _price_table(prices, rate)
    b = base.copy()
    b.index = b.index.rename("ticker")
    b = b.reset_index()
    if "company" not in b.columns:
        b["company"] = b["ticker"]
    if "fiscal_year" not in b.columns:
        b["fiscal_year"] = pd.NA
    emissions = b["scope1_tco2e"].astype("float64") + b[inputs[1]].astype("float64")
    revenue = b["revenue_usd_m"].astype("float64")
    op_income = (b["operating_income_usd_m"].astype("float64") if "operating_income_usd_m" in b.columns
                 else pd.Series(np.nan, index=b.index))
    left = pd.DataFrame({"ticker": b["ticker"], "company": b["company"], "fiscal_year": b["fiscal_year"],
                         "emissions_tco2e": emissions, "revenue_usd_m": revenue,
                         "operating_income_usd_m": op_income})
    out = left.merge(table, how="cross")
    out["scope2_method"] = f"{method}-based"
    out["cost_usd_m"] = out["emissions_tco2e"] * out["price_usd_per_t"] / 1e6
    out["cost_pct_revenue"] = 100 * out["cost_usd_m"] / out["revenue_usd_m"].where(out["revenue_usd_m"] > 0)
    out["cost_pct_operating_income"] = 100 * out["cost_usd_m"] / out["operating_income_usd_m"].where(
        out["operating_income_usd_m"] > 0)
    out = out[["ticker", "company", "fiscal_year", "scenario", "price_usd_per_t", "scope2_method",
               "emissions_tco2e", "revenue_usd_m", "cost_usd_m", "cost_pct_revenue", "operating_income_usd_m",
               "cost_pct_operating_income"]]
    out = out.sort_values(["price_usd_per_t", "ticker"], kind="stable").reset_index(drop=True)
    out.attrs.update({"scope2": method, "eur_usd": rate, "note": (
        f"cost = (scope1 + scope2 {method}-based) x price; EUR prices converted with the cited rate of their year "
        "(data/fx_rates.csv) or the eur_usd given, never an assumed one; operating income is not in the bundled "
        "data, so its share is NaN unless the baseline carries operating_income_usd_m"
    )})
    return out


# ------------------------------------------------------------------------------------------------ portfolio
def _weights(weights) -> pd.Series:
    if isinstance(weights, pd.DataFrame):
        if "ticker" not in weights.columns and weights.index.name == "ticker":
            weights = weights.reset_index()  # load_holdings output: indexed by ticker
        _require_columns(weights, "weights", ("ticker", "weight"), "portfolio weighting")
    w = holdings_weights(weights)
    bad = w[~np.isfinite(w) | (w < 0)]
    if len(bad):
        raise ConfigError(f"`weights` must be finite and >= 0, got {bad.iloc[0]:g} for {bad.index[0]!r}")
    if w.sum() <= 0:
        raise ConfigError(f"`weights` must not all be zero, got {w.to_dict()}")
    return w / w.sum()


def portfolio_weighted(result: pd.DataFrame, weights, *, value: str = "cost_pct_revenue",
                       by: str = "scenario") -> pd.DataFrame:
    """Portfolio-weighted average of a per-company scenario result, with its coverage.

    ``weighted_mean = sum_i w_i x value_i / sum_i w_i`` over holdings whose value is known (weights
    renormalised over them, as in TCFD WACI); ``coverage`` is the share of portfolio weight that has a value.

    Parameters
    ----------
    result : DataFrame
        Long per-company result with ``ticker``, ``by`` and ``value`` columns (e.g. :func:`carbon_price_shock`).
        Not modified.
    weights : Series, mapping or DataFrame
        Portfolio weight per ticker (any scale, >= 0; normalised to sum to 1), or a frame with ``ticker`` and
        ``weight`` columns (or indexed by ``ticker``, as :func:`esglib.portfolio.load_holdings` returns).
        Tickers missing from ``result`` (cash, names without disclosures) count as not covered.
    value : str
        Column to average.
    by : str
        Scenario column; one output row per value of it.

    Returns
    -------
    DataFrame
        Index ``by``: ``weighted_mean`` (unit of ``value``), ``coverage`` (0-1 of portfolio weight),
        ``n_covered`` and ``n_holdings``; plus ``price_usd_per_t`` when ``result`` has it.

    Raises
    ------
    ConfigError
        Missing columns, or negative, non-finite or all-zero weights.
    """
    _require_columns(result, "result", ("ticker", by, value), "portfolio weighting")
    w = _weights(weights)
    r = result[["ticker", by, value]].copy()
    r["ticker"] = r["ticker"].astype(str).str.upper()
    rows = []
    for key, grp in r.groupby(by, sort=False):
        vals = grp.drop_duplicates("ticker").set_index("ticker")[value].astype("float64").reindex(w.index)
        known = vals.notna()
        cov = float(w[known].sum())
        mean = float((w[known] * vals[known]).sum() / cov) if cov > 0 else np.nan
        rows.append({by: key, "weighted_mean": mean, "coverage": cov, "n_covered": int(known.sum()),
                     "n_holdings": len(w)})
    out = pd.DataFrame(rows).set_index(by)
    if "price_usd_per_t" in result.columns:
        out.insert(0, "price_usd_per_t", result.groupby(by, sort=False)["price_usd_per_t"].first())
    out.attrs["value"] = value
    return out
