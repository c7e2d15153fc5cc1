"""What-if scenarios on the AI footprint: a carbon-price shock, AI electricity-demand growth and water stress.

Every function is pure: it takes frames, returns a new frame and never modifies its inputs. Inputs come from
:func:`company_baseline`, which picks, per company, one fiscal year in which every required figure is disclosed
(ratios never mix years). A company that does not disclose an input is left out of the baseline, and a figure
that is not disclosed stays missing (NaN) in every result: nothing is estimated or imputed.

Assumptions are parameters with stated defaults:

* **Carbon price.** ``cost = (scope1 + scope2) x price``. Scope 2 is market-based by default
  (``scope2="location"`` for the grid-average view). EU ETS prices in ``data/macro.csv`` are in EUR per tonne
  of CO2 and are converted with an explicit ``eur_usd`` rate (default :data:`DEFAULT_EUR_USD`). Applying a CO2
  allowance price to CO2-equivalent emissions is an approximation. The cost is shown as a share of revenue.
  Operating income is *not* in the bundled data: the share of operating income is NaN unless the baseline
  carries an ``operating_income_usd_m`` column.
* **AI electricity growth.** Each company's electricity grows at a constant annual rate, by default the
  IEA's global data-centre path from 415 TWh (2024) to 945 TWh (2030) expressed as a CAGR (about 14.7 % a
  year). The grid factor is ``scope2_location / electricity`` in the base year, constant unless
  ``grid_decline_pct`` is given. The share of location-based Scope 2 covered by contractual instruments,
  ``1 - scope2_market / scope2_location``, either stays constant or ramps linearly to a target.
* **Water stress.** Exposure = water volume x share of withdrawals in high or extremely high stress basins
  (``water_withdrawal_stressed_pct``, WRI Aqueduct). The disclosed share refers to withdrawals; applying it to
  consumption assumes consumption is spread like withdrawals. A company that does not disclose the share has
  no exposure figure (NaN), never zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = [
    "DEFAULT_EUR_USD",
    "EUR_USD_NOTE",
    "CARBON_INPUTS",
    "GROWTH_INPUTS",
    "company_baseline",
    "carbon_prices",
    "carbon_price_shock",
    "portfolio_weighted",
    "demand_growth",
    "electricity_growth",
    "water_stress",
]

#: Default EUR -> USD rate for converting EU ETS prices (USD per EUR).
DEFAULT_EUR_USD = 1.08
#: Where the default rate comes from (shown in notebooks and result ``attrs``).
EUR_USD_NOTE = ("EUR->USD 1.08 USD per EUR: a round figure close to the ECB euro reference rate's annual averages "
                "for 2023 and 2024 (about 1.08). It is not in the bundled data (quoted from memory), so pass "
                "your own `eur_usd` to match a date.")

#: Disclosed metrics a carbon-price shock needs, by Scope 2 method.
CARBON_INPUTS: dict[str, tuple[str, ...]] = {
    "market": ("scope1_tco2e", "scope2_market_tco2e", "revenue_usd_m"),
    "location": ("scope1_tco2e", "scope2_location_tco2e", "revenue_usd_m"),
}
#: Disclosed metrics the electricity-growth projection needs (same fiscal year).
GROWTH_INPUTS: tuple[str, ...] = ("electricity_total_mwh", "scope2_location_tco2e", "scope2_market_tco2e")
#: Target metrics used by ``market_share="ramp"``, in order of preference.
_TARGET_METRICS = ("target_renewable_100_year", "target_24x7_cfe_year")
_CARBON_SERIES_PREFIX = "eu_ets_allowance_price"


# ------------------------------------------------------------------------------------------------ checks
def _finite_number(name: str, value, *, minimum: float | None = None, strict: bool = False,
                   maximum: float | None = None) -> float:
    """Return ``value`` as float or raise ConfigError naming the argument, the rule and the value."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"`{name}` must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ConfigError(f"`{name}` must be finite, got {value!r}")
    if minimum is not None and (x < minimum or (strict and x == minimum)):
        word = "greater than" if strict else "at least"
        raise ConfigError(f"`{name}` must be {word} {minimum:g}, got {value!r}")
    if maximum is not None and x > maximum:
        raise ConfigError(f"`{name}` must be at most {maximum:g}, got {value!r}")
    return x


def _require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str], purpose: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"`{name}` must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"`{name}` lacks column(s) {missing} needed for {purpose} (build it with "
                          f"esglib.scenarios.company_baseline)")


def _scope2_method(scope2: str) -> str:
    if scope2 not in CARBON_INPUTS:
        raise ConfigError(f"`scope2` must be 'market' or 'location', got {scope2!r}")
    return scope2


# ------------------------------------------------------------------------------------------------ baseline
def company_baseline(disclosures: pd.DataFrame | None = None, required: Sequence[str] = CARBON_INPUTS["market"],
                     optional: Sequence[str] = (), *, year: int | None = None) -> pd.DataFrame:
    """One fiscal year of figures per company: the latest year in which every required figure is disclosed.

    Parameters
    ----------
    disclosures : DataFrame, optional
        Validated disclosures (:func:`esglib.data.load_disclosures`) or their
        :func:`esglib.data.select_figures` output; default: the bundled data. Not modified.
    required : sequence of str
        Canonical metrics that must all be disclosed in the chosen year.
    optional : sequence of str
        Canonical metrics taken from the same year when disclosed. The latest year with the required *and*
        optional metrics is preferred; otherwise the latest year with the required ones (optional stay NaN).
    year : int, optional
        Use no fiscal year later than this.

    Returns
    -------
    DataFrame
        Index ``ticker``; columns ``company, fiscal_year``, the required and optional metrics (canonical units:
        tCO2e, MWh, m3, %, USD millions) and ``complete`` (every optional metric disclosed). Companies without a
        year holding all required metrics are not included.

    Raises
    ------
    ConfigError
        If ``required`` is empty or names a metric that is not canonical.
    """
    from esglib.data import load_disclosures, select_figures
    from esglib.schema import METRICS

    required = tuple(required)
    optional = tuple(m for m in optional if m not in required)
    if not required:
        raise ConfigError("`required` must name at least one metric, got ()")
    for arg, metrics in (("required", required), ("optional", optional)):
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            raise ConfigError(f"`{arg}` names metric(s) that are not canonical: {unknown}")
    if year is not None:
        year = int(_finite_number("year", year))
    d = load_disclosures() if disclosures is None else disclosures
    figures = select_figures(d)
    columns = ["company", "fiscal_year", *required, *optional, "complete"]
    if figures.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="ticker"))
    names = figures.groupby("ticker")["company"].first()
    wide = figures.pivot(index=["ticker", "fiscal_year"], columns="metric", values="value")
    wide = wide.reindex(columns=[*required, *optional]).astype("float64")
    if year is not None:
        wide = wide[wide.index.get_level_values("fiscal_year") <= year]
    has_required = wide[list(required)].notna().all(axis=1)
    complete = has_required & wide[list(optional)].notna().all(axis=1)
    wide = wide.assign(complete=complete)[has_required]
    if wide.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="ticker"))
    wide = wide.reset_index().sort_values(["ticker", "complete", "fiscal_year"], kind="stable")
    out = wide.groupby("ticker").tail(1).set_index("ticker").sort_index()
    out.insert(0, "company", names.reindex(out.index))
    out["fiscal_year"] = out["fiscal_year"].astype("int64")
    out["complete"] = out["complete"].astype(bool)
    out.columns.name = None
    return out[columns]


# ------------------------------------------------------------------------------------------------ carbon price
def carbon_prices(macro: pd.DataFrame | None = None, *, eur_usd: float = DEFAULT_EUR_USD,
                  extra_usd: Sequence[float] = ()) -> pd.DataFrame:
    """Carbon prices to test: the EU ETS rows of ``data/macro.csv`` (converted to USD) plus prices of your own.

    Parameters
    ----------
    macro : DataFrame, optional
        :func:`esglib.data.load_macro` output (default: the bundled series). Rows whose ``series`` starts with
        ``eu_ets_allowance_price`` are used. Not modified.
    eur_usd : float
        USD per EUR used to convert EUR prices (default :data:`DEFAULT_EUR_USD`; see :data:`EUR_USD_NOTE`).
    extra_usd : sequence of float
        Additional prices in USD per tonne (e.g. a social cost of carbon you want to test).

    Returns
    -------
    DataFrame
        One row per price, cheapest first: ``scenario`` (label), ``series``, ``year``, ``price_eur_per_t`` (NaN
        for user prices), ``price_usd_per_t``, ``source``. ``attrs["eur_usd"]`` holds the rate.

    Raises
    ------
    ConfigError
        A non-positive ``eur_usd``, a negative or non-numeric extra price, or a macro row in a currency other
        than EUR or USD per tonne.
    """
    from esglib.data import load_macro

    rate = _finite_number("eur_usd", eur_usd, minimum=0.0, strict=True)
    m = load_macro() if macro is None else macro
    _require_columns(m, "macro", ("series", "year", "value", "unit"), "carbon prices")
    ets = m[m["series"].astype(str).str.startswith(_CARBON_SERIES_PREFIX)]
    rows = []
    kinds = {"annual_average": "EU ETS average", "year_end": "EU ETS year-end", "peak": "EU ETS peak"}
    for _, r in ets.iterrows():
        unit = str(r["unit"]).replace(" ", "").upper()
        value = float(r["value"])
        if unit.startswith("EUR/"):
            eur, usd = value, value * rate
        elif unit.startswith("USD/"):
            eur, usd = np.nan, value
        else:
            raise ConfigError(f"`macro` row {r['series']} {r['year']} has unit {r['unit']!r}; carbon prices "
                              "must be in EUR/tCO2 or USD/tCO2")
        kind = str(r["series"])[len(_CARBON_SERIES_PREFIX) + 1:]
        label = f"{kinds.get(kind, 'EU ETS ' + kind)} {r['year']}"
        rows.append({"scenario": label, "series": r["series"], "year": r["year"], "price_eur_per_t": eur,
                     "price_usd_per_t": usd, "source": r.get("source_title", "")})
    for i, p in enumerate(extra_usd):
        usd = _finite_number(f"extra_usd[{i}]", p, minimum=0.0)
        rows.append({"scenario": f"user USD {usd:g}", "series": "user", "year": pd.NA, "price_eur_per_t": np.nan,
                     "price_usd_per_t": usd, "source": "given by the user"})
    out = pd.DataFrame(rows, columns=["scenario", "series", "year", "price_eur_per_t", "price_usd_per_t", "source"])
    out["year"] = out["year"].astype("Int64")
    out = out.drop_duplicates("scenario").sort_values("price_usd_per_t", kind="stable").reset_index(drop=True)
    out.attrs["eur_usd"] = rate
    return out


def _price_table(prices, eur_usd: float) -> pd.DataFrame:
    """Normalise the ``prices`` argument of :func:`carbon_price_shock` to (scenario, price_usd_per_t)."""
    if prices is None:
        return carbon_prices(eur_usd=eur_usd)[["scenario", "price_usd_per_t"]]
    if isinstance(prices, pd.DataFrame):
        _require_columns(prices, "prices", ("price_usd_per_t",), "a carbon-price shock")
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
                       eur_usd: float = DEFAULT_EUR_USD, disclosures: pd.DataFrame | None = None) -> pd.DataFrame:
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
    eur_usd : float
        USD per EUR, used only when ``prices`` is None (default :data:`DEFAULT_EUR_USD`).
    disclosures : DataFrame, optional
        Disclosures to build the baseline from when ``baseline`` is None (default: bundled).

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
    rate = _finite_number("eur_usd", eur_usd, minimum=0.0, strict=True)
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
        f"cost = (scope1 + scope2 {method}-based) x price; EUR prices converted at {rate:g} USD/EUR; "
        "operating income is not in the bundled data, so its share is NaN unless the baseline carries "
        "operating_income_usd_m"
    )})
    return out


# ------------------------------------------------------------------------------------------------ portfolio
def _weights(weights) -> pd.Series:
    if isinstance(weights, pd.DataFrame):
        if "ticker" not in weights.columns and weights.index.name == "ticker":
            weights = weights.reset_index()  # load_holdings output: indexed by ticker
        _require_columns(weights, "weights", ("ticker", "weight"), "portfolio weighting")
        w = weights.groupby(weights["ticker"].astype(str).str.upper())["weight"].sum()
    else:
        w = pd.Series(weights, dtype="float64")
        w.index = w.index.astype(str).str.upper()
        w = w.groupby(level=0).sum()
    w = w.astype("float64")
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


# ------------------------------------------------------------------------------------------------ growth
def _macro_value(m: pd.DataFrame, series: str, region: str, year: int) -> pd.Series:
    rows = m[(m["series"] == series) & (m["region"] == region) & (m["year"] == year)]
    if rows.empty:
        raise ConfigError(f"`macro` has no row {series} / {region} / {year}")
    if "data_quality" in rows.columns:
        rows = rows.sort_values("data_quality", kind="stable", na_position="last")
    return rows.iloc[0]


def demand_growth(macro: pd.DataFrame | None = None, *, start_year: int = 2024, end_year: int = 2030,
                  region: str = "World") -> pd.Series:
    """Data-centre electricity growth between two macro figures, as a ratio and a compound annual rate.

    Default: IEA (Energy and AI, 2025) global data-centre electricity, about 415 TWh in 2024 to about 945 TWh
    projected for 2030: ratio 945/415 = 2.28, CAGR = 2.28^(1/6) - 1, about 14.7 % a year (the IEA says
    "about 15 percent per year").

    Parameters
    ----------
    macro : DataFrame, optional
        :func:`esglib.data.load_macro` output (default: bundled). The start figure is series
        ``datacentre_electricity_consumption``, the end figure ``datacentre_electricity_consumption_projection``
        (or the same estimate series when ``end_year`` has one); where several rows match, the best
        ``data_quality`` wins. Not modified.
    start_year, end_year : int
        Years of the two figures (``end_year`` > ``start_year``).
    region : str
        ``region`` of the macro rows.

    Returns
    -------
    Series
        ``start_year, start_mwh, end_year, end_mwh, ratio, cagr`` (fraction a year) and ``source``.

    Raises
    ------
    ConfigError
        ``end_year`` not after ``start_year``, or a figure missing from ``macro``.
    """
    from esglib.data import load_macro

    s, e = int(start_year), int(end_year)
    if e <= s:
        raise ConfigError(f"`end_year` must be after `start_year` ({s}), got {end_year!r}")
    m = load_macro() if macro is None else macro
    _require_columns(m, "macro", ("series", "region", "year", "value"), "a demand-growth path")
    start = _macro_value(m, "datacentre_electricity_consumption", region, s)
    end_series = "datacentre_electricity_consumption_projection"
    if m[(m["series"] == end_series) & (m["region"] == region) & (m["year"] == e)].empty:
        end_series = "datacentre_electricity_consumption"
    end = _macro_value(m, end_series, region, e)
    ratio = float(end["value"]) / float(start["value"])
    src = " | ".join(dict.fromkeys(str(x.get("source_title", "")) for x in (start, end)))
    return pd.Series({"start_year": s, "start_mwh": float(start["value"]), "end_year": e,
                      "end_mwh": float(end["value"]), "ratio": ratio, "cagr": ratio ** (1 / (e - s)) - 1,
                      "source": src}, name=f"{region} data-centre electricity")


def _latest_targets(disclosures: pd.DataFrame | None) -> pd.DataFrame:
    """Latest stated target year per ticker for the ramp (100 % renewable, else 24/7 CFE)."""
    from esglib.data import load_disclosures

    d = load_disclosures() if disclosures is None else disclosures
    t = d[d["metric"].isin(_TARGET_METRICS)].sort_values("fiscal_year", kind="stable")
    rows = {}
    for metric in reversed(_TARGET_METRICS):  # preferred metric written last wins
        for ticker, v in t[t["metric"] == metric].groupby("ticker")["value"].last().items():
            rows[ticker] = {"target_year": int(v), "target_source": metric}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["target_year", "target_source"])


def electricity_growth(baseline: pd.DataFrame | None = None, *, cagr: float | None = None, end_year: int = 2030,
                       market_share: str = "constant", target_pct: float = 100.0, target_year: int | None = None,
                       default_target_year: int = 2030, grid_decline_pct: float = 0.0,
                       disclosures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Project each company's electricity and Scope 2 (location- and market-based) under AI demand growth.

    For year ``t`` after the company's base year ``b``::

        electricity_t = electricity_b x (1 + cagr) ** (t - b)
        grid_factor_t = (scope2_location_b / electricity_b) x (1 - grid_decline_pct / 100) ** (t - b)
        scope2_location_t = electricity_t x grid_factor_t
        covered_b = 1 - scope2_market_b / scope2_location_b   (share removed by certificates and PPAs)
        covered_t = covered_b                                   if market_share == "constant"
                  = covered_b + (target - covered_b) x min(1, (t - b) / (T - b))   if "ramp" (never ramps down)
        scope2_market_t = scope2_location_t x (1 - covered_t)

    With ``cagr=0``, ``grid_decline_pct=0`` and a constant share, every year equals the base year.

    Parameters
    ----------
    baseline : DataFrame, optional
        Index ticker with ``electricity_total_mwh``, ``scope2_location_tco2e`` and ``scope2_market_tco2e`` of the
        same ``fiscal_year`` (default: :func:`company_baseline` with :data:`GROWTH_INPUTS` on the bundled data).
        Optional ``target_year`` column for the ramp. Not modified.
    cagr : float, optional
        Electricity growth a year as a fraction (0.15 = 15 %); > -1. Default: :func:`demand_growth` (IEA
        945/415 TWh, 2024 -> 2030).
    end_year : int
        Last projected year (projections run from each company's base year to here).
    market_share : {"constant", "ramp"}
        How the share covered by contractual instruments evolves.
    target_pct : float
        Ramp target for the covered share (0-100 %).
    target_year : int, optional
        Year the ramp reaches ``target_pct`` for every company. Default: each company's disclosed
        ``target_renewable_100_year`` (else ``target_24x7_cfe_year``), else ``default_target_year``.
    default_target_year : int
        Ramp year for companies without a disclosed target.
    grid_decline_pct : float
        Annual decline of the grid emission factor (%), default 0 (today's grid mix).
    disclosures : DataFrame, optional
        Disclosures to read target years from when ``baseline`` lacks ``target_year`` (default: bundled).

    Returns
    -------
    DataFrame
        Long, one row per (ticker, year): ``ticker, company, base_year, year, electricity_mwh,
        grid_factor_t_per_mwh, scope2_location_tco2e, covered_share_pct, scope2_market_tco2e, target_year,
        target_source``. ``covered_share_pct`` is negative when the market-based figure exceeds the location-based
        one (a residual mix dirtier than the grid average); it is NaN (and so is market-based Scope 2) when the
        location-based figure is zero. ``attrs`` holds ``cagr``, ``market_share`` and ``assumptions``.

    Raises
    ------
    ConfigError
        Unknown ``market_share``; ``cagr`` <= -1; ``target_pct`` outside 0..100; ``grid_decline_pct`` outside
        0..100; ``end_year`` before a base year; missing columns.
    """
    if market_share not in ("constant", "ramp"):
        raise ConfigError(f"`market_share` must be 'constant' or 'ramp', got {market_share!r}")
    g = (float(demand_growth()["cagr"]) if cagr is None
         else _finite_number("cagr", cagr, minimum=-1.0, strict=True))
    target = _finite_number("target_pct", target_pct, minimum=0.0, maximum=100.0) / 100
    decline = _finite_number("grid_decline_pct", grid_decline_pct, minimum=0.0, maximum=100.0) / 100
    end = int(_finite_number("end_year", end_year))
    base = company_baseline(disclosures, required=GROWTH_INPUTS) if baseline is None else baseline
    _require_columns(base, "baseline", (*GROWTH_INPUTS, "fiscal_year"), "an electricity-growth projection")
    b = base.copy()
    b.index = b.index.rename("ticker")
    b = b.reset_index()
    if "company" not in b.columns:
        b["company"] = b["ticker"]
    if b.empty:
        return pd.DataFrame(columns=["ticker", "company", "base_year", "year", "electricity_mwh",
                                     "grid_factor_t_per_mwh", "scope2_location_tco2e", "covered_share_pct",
                                     "scope2_market_tco2e", "target_year", "target_source"])
    late = b[b["fiscal_year"].astype(int) > end]
    if len(late):
        raise ConfigError(f"`end_year` {end_year!r} is before the base year {int(late['fiscal_year'].iloc[0])} "
                          f"of {late['ticker'].iloc[0]}")
    # target year per company
    if target_year is not None:
        b["target_year"] = int(_finite_number("target_year", target_year))
        b["target_source"] = "target_year argument"
    else:
        if "target_year" not in b.columns:
            if market_share == "ramp":
                t = _latest_targets(disclosures)
                b["target_year"] = b["ticker"].map(t["target_year"]) if len(t) else np.nan
                b["target_source"] = b["ticker"].map(t["target_source"]) if len(t) else np.nan
            else:
                b["target_year"] = np.nan
        if "target_source" not in b.columns:
            b["target_source"] = np.where(b["target_year"].notna(), "baseline", None)
        missing = b["target_year"].isna()
        if market_share == "ramp":
            b.loc[missing, "target_source"] = "default_target_year"
            b.loc[missing, "target_year"] = int(_finite_number("default_target_year", default_target_year))
    elec = b["electricity_total_mwh"].astype("float64")
    lb = b["scope2_location_tco2e"].astype("float64")
    mb = b["scope2_market_tco2e"].astype("float64")
    b["factor0"] = lb / elec.where(elec > 0)
    b["covered0"] = 1 - mb / lb.where(lb > 0)
    b["base_year"] = b["fiscal_year"].astype(int)
    rows = []
    for r in b.itertuples(index=False):
        for year in range(r.base_year, end + 1):
            n = year - r.base_year
            e_t = float(r.electricity_total_mwh) * (1 + g) ** n
            f_t = r.factor0 * (1 - decline) ** n
            c0 = r.covered0
            if market_share == "ramp" and pd.notna(c0) and target > c0:
                ty = int(r.target_year)
                frac = 1.0 if ty <= r.base_year else min(1.0, n / (ty - r.base_year))
                c_t = c0 + (target - c0) * frac
            else:
                c_t = c0
            lb_t = e_t * f_t
            rows.append({"ticker": r.ticker, "company": r.company, "base_year": r.base_year, "year": year,
                         "electricity_mwh": e_t, "grid_factor_t_per_mwh": f_t, "scope2_location_tco2e": lb_t,
                         "covered_share_pct": 100 * c_t, "scope2_market_tco2e": lb_t * (1 - c_t),
                         "target_year": r.target_year, "target_source": r.target_source})
    out = pd.DataFrame(rows)
    out["target_year"] = pd.to_numeric(out["target_year"], errors="coerce").astype("Int64")
    out.attrs.update({"cagr": g, "market_share": market_share, "assumptions": (
        f"electricity grows {100 * g:.1f} % a year; grid factor = location-based Scope 2 / electricity in the base "
        f"year, declining {100 * decline:g} % a year; covered share = 1 - market/location "
        + ("held constant" if market_share == "constant" else f"ramping linearly to {100 * target:g} % by the "
                                                              "target year"))})
    return out


# ------------------------------------------------------------------------------------------------ water
def water_stress(baseline: pd.DataFrame | None = None, *, stress_multiplier: float | Sequence[float] = 1.0,
                 volume_multiplier: float = 1.0, volume: str = "consumption",
                 disclosures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Water volume exposed to high-stress basins, today and under a scenario multiplier.

    ``exposure_m3 = water_m3 x stressed_pct / 100``; the scenario scales the stressed share (capped at 100 %)
    and the volume: ``scenario_exposure_m3 = water_m3 x volume_multiplier x min(100, stressed_pct x
    stress_multiplier) / 100``.

    Parameters
    ----------
    baseline : DataFrame, optional
        Index ticker with ``water_consumption_m3`` (or ``water_withdrawal_m3``) and, where disclosed,
        ``water_withdrawal_stressed_pct`` from the same year (default: :func:`company_baseline` on the bundled
        data, preferring a year in which both are disclosed). Not modified.
    stress_multiplier : float or sequence of float
        Scales the share of water in high-stress basins (1.5 = half as much again, e.g. as basins dry
        or new sites go to stressed regions); one scenario per value; >= 0.
    volume_multiplier : float
        Scales the water volume (e.g. growth of cooling water with AI load); >= 0.
    volume : {"consumption", "withdrawal"}
        Which volume is exposed. The stressed share is disclosed for withdrawals; applying it to consumption
        assumes consumption is spread across basins like withdrawals.
    disclosures : DataFrame, optional
        Disclosures to build the baseline from when ``baseline`` is None (default: bundled).

    Returns
    -------
    DataFrame
        One row per (ticker, stress_multiplier): ``ticker, company, fiscal_year, volume_basis, water_m3,
        stressed_pct, exposure_m3, stress_multiplier, volume_multiplier, scenario_stressed_pct,
        scenario_exposure_m3, change_m3, status``. Where the stressed share is not disclosed every exposure
        column is NaN and ``status`` says so: missing stays missing.

    Raises
    ------
    ConfigError
        Unknown ``volume``, negative multipliers, or a baseline without the needed columns.
    """
    if volume not in ("consumption", "withdrawal"):
        raise ConfigError(f"`volume` must be 'consumption' or 'withdrawal', got {volume!r}")
    col = f"water_{volume}_m3"
    mults = [stress_multiplier] if np.ndim(stress_multiplier) == 0 else list(stress_multiplier)
    if not mults:
        raise ConfigError("`stress_multiplier` must hold at least one value, got none")
    mults = [_finite_number(f"stress_multiplier[{i}]" if len(mults) > 1 else "stress_multiplier", v, minimum=0.0)
             for i, v in enumerate(mults)]
    vm = _finite_number("volume_multiplier", volume_multiplier, minimum=0.0)
    base = (company_baseline(disclosures, required=(col,), optional=("water_withdrawal_stressed_pct",))
            if baseline is None else baseline)
    _require_columns(base, "baseline", (col,), "a water-stress scenario")
    b = base.copy()
    b.index = b.index.rename("ticker")
    b = b.reset_index()
    for c, default in (("company", b["ticker"]), ("fiscal_year", pd.NA), ("water_withdrawal_stressed_pct", np.nan)):
        if c not in b.columns:
            b[c] = default
    water = b[col].astype("float64")
    pct = b["water_withdrawal_stressed_pct"].astype("float64")
    frames = []
    for m in mults:
        scen_pct = (pct * m).clip(upper=100.0)
        f = pd.DataFrame({"ticker": b["ticker"], "company": b["company"], "fiscal_year": b["fiscal_year"],
                          "volume_basis": volume, "water_m3": water, "stressed_pct": pct,
                          "exposure_m3": water * pct / 100, "stress_multiplier": m, "volume_multiplier": vm,
                          "scenario_stressed_pct": scen_pct, "scenario_exposure_m3": water * vm * scen_pct / 100})
        f["change_m3"] = f["scenario_exposure_m3"] - f["exposure_m3"]
        f["status"] = np.where(pct.notna(), "stressed share disclosed",
                               "stressed share not disclosed: exposure unknown")
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["assumption"] = (f"exposure = {volume} x share of withdrawals in high/extremely-high stress basins "
                               "(WRI Aqueduct); undisclosed shares stay missing")
    return out
