"""Electricity-growth and water-stress scenarios."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from esglib.analysis._baseline import _TARGET_METRICS, GROWTH_INPUTS, _finite_number, _require_columns, company_baseline
from esglib.errors import ConfigError

__all__ = ['demand_growth', 'electricity_growth', 'water_stress']


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
        :func:`esglib.inputs.load_macro` output (required). The start figure is series
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
    s, e = int(start_year), int(end_year)
    if e <= s:
        raise ConfigError(f"`end_year` must be after `start_year` ({s}), got {end_year!r}")
    if macro is None:
        raise ConfigError("`macro` is required: pass a frame (esglib.bundled.macro() gives the bundled one)")
    m = macro
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
    if disclosures is None:
        raise ConfigError("`disclosures` is required: pass a frame "
                          "(esglib.bundled.disclosures() gives the bundled one)")
    d = disclosures
    t = d[d["metric"].isin(_TARGET_METRICS)].sort_values("fiscal_year", kind="stable")
    rows = {}
    for metric in reversed(_TARGET_METRICS):  # preferred metric written last wins
        for ticker, v in t[t["metric"] == metric].groupby("ticker")["value"].last().items():
            rows[ticker] = {"target_year": int(v), "target_source": metric}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["target_year", "target_source"])


def electricity_growth(baseline: pd.DataFrame | None = None, *, cagr: float | None = None, end_year: int = 2030,
                       market_share: str = "constant", target_pct: float = 100.0, target_year: int | None = None,
                       default_target_year: int = 2030, grid_decline_pct: float = 0.0,
                       disclosures: pd.DataFrame | None = None, macro: pd.DataFrame | None = None
                       ) -> pd.DataFrame:
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
        same ``fiscal_year`` (default: :func:`company_baseline` with :data:`GROWTH_INPUTS` on ``disclosures``).
        Optional ``target_year`` column for the ramp. Not modified.
    cagr : float, optional
        Electricity growth a year as a fraction (0.15 = 15 %); > -1. Default: :func:`demand_growth` of ``macro`` (IEA
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
        Disclosures to read target years from when ``baseline`` lacks ``target_year`` (required then).
    macro : DataFrame, optional
        :func:`esglib.inputs.load_macro` output, for the default ``cagr`` (required when ``cagr`` is None).

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
    g = (float(demand_growth(macro)["cagr"]) if cagr is None
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
        ``water_withdrawal_stressed_pct`` from the same year (default: :func:`company_baseline` on ``disclosures``; the
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
        Disclosures to build the baseline from when ``baseline`` is None (required then).

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
