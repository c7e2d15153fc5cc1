"""Company baselines for the scenarios (latest complete figures) and scenario constants."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from esglib.errors import ConfigError
from esglib.inputs import METRICS, select_figures

__all__ = ['EUR_USD_NOTE', 'CARBON_INPUTS', 'GROWTH_INPUTS', 'company_baseline']


#: Where EUR -> USD rates come from (shown in notebooks and result ``attrs``). No rate is assumed anywhere.
EUR_USD_NOTE = ("EUR->USD: the annual-average rate of the price's year from the FX table (data/fx_rates.csv, "
                "each rate cited; esglib.inputs.load_fx_rates), or the `eur_usd` you pass. esglib assumes no rate: "
                "an EUR price without a rate has no USD value and is left out of the shock, said so in the result.")

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
                          f"esglib.analysis.company_baseline)")


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
        Validated disclosures (:func:`esglib.inputs.load_disclosures`) or their
        :func:`esglib.inputs.select_figures` output (required). Not modified.
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
    if disclosures is None:
        raise ConfigError("`disclosures` is required: pass a frame "
                          "(esglib.bundled.disclosures() gives the bundled one)")
    d = disclosures
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
