"""SYNTHETIC input files for the end-to-end benchmarks: a company universe and a disclosures CSV.

Nothing here is real company data: tickers are ``SYN0000001``..., values are random draws, and every source is
"Synthetic sustainability report (benchmark only)". The shape follows the bundled files: 12 canonical metrics x
3 fiscal years = 36 figures per company, some in non-canonical units (GWh, million litres) so unit conversion
runs, a quoted source title containing a comma (as in the bundled file), a data quality and a report edition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PEER_GROUPS = ("hyperscaler_cloud", "semiconductors", "hardware", "datacenter_reit", "ai_cloud_miners",
               "power_utilities")
YEARS = (2022, 2023, 2024)
#: metric -> (canonical unit, alternative unit, factor alternative -> canonical, draw in canonical unit)
METRICS: dict[str, tuple[str, str, float, object]] = {
    "electricity_total_mwh": ("MWh", "GWh", 1e3, lambda r, k: r.lognormal(13, 1, k)),
    "pue": ("ratio", "ratio", 1.0, lambda r, k: r.uniform(1.05, 2.0, k)),
    "scope1_tco2e": ("tCO2e", "ktCO2e", 1e3, lambda r, k: r.lognormal(10, 1, k)),
    "scope2_market_tco2e": ("tCO2e", "tCO2e", 1.0, lambda r, k: r.lognormal(11, 1, k)),
    "scope2_location_tco2e": ("tCO2e", "tCO2e", 1.0, lambda r, k: r.lognormal(12, 1, k)),
    "revenue_usd_m": ("USD millions", "USD billions", 1e3, lambda r, k: r.lognormal(9, 1, k)),
    "water_consumption_m3": ("m3", "million litres", 1e3, lambda r, k: r.lognormal(14, 1, k)),
    "wue_l_per_kwh": ("L/kWh", "L/kWh", 1.0, lambda r, k: r.uniform(0.1, 2.5, k)),
    "renewable_share_pct": ("%", "%", 1.0, lambda r, k: r.uniform(0, 100, k)),
    "hardware_reuse_recycling_pct": ("%", "%", 1.0, lambda r, k: r.uniform(0, 100, k)),
    "server_useful_life_years": ("years", "years", 1.0, lambda r, k: r.uniform(3, 7, k)),
    "ewaste_tonnes": ("t", "t", 1.0, lambda r, k: r.lognormal(6, 1, k)),
}
ROWS_PER_COMPANY = len(METRICS) * len(YEARS)


def write_universe(folder: Path, n_companies: int, seed: int = 0) -> tuple[Path, Path]:
    """Write ``companies.csv`` and ``disclosures.csv`` (SYNTHETIC) for ``n_companies`` into ``folder``.

    Returns the two paths. The disclosures file has ``36 * n_companies`` data rows.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tickers = np.array([f"SYN{i:07d}" for i in range(n_companies)], dtype=object)
    names = np.array([f"Synthetic company {i}" for i in range(n_companies)], dtype=object)
    companies = pd.DataFrame({
        "ticker": tickers, "company": names,
        "peer_group": np.asarray(PEER_GROUPS, dtype=object)[rng.integers(0, len(PEER_GROUPS), n_companies)],
        "country": "XX", "yahoo_ticker": tickers, "fiscal_year_end": "12-31", "disclosure_search": "synthetic"})
    comp_path = folder / "companies.csv"
    companies.to_csv(comp_path, index=False)

    n_metrics, n_years = len(METRICS), len(YEARS)
    n = n_companies * n_metrics * n_years
    comp_idx = np.repeat(np.arange(n_companies), n_metrics * n_years)
    metric_idx = np.tile(np.repeat(np.arange(n_metrics), n_years), n_companies)
    year = np.tile(np.asarray(YEARS), n_companies * n_metrics)
    names_m = list(METRICS)
    value = np.empty(n)
    unit = np.empty(n, dtype=object)
    alt = rng.random(n) < 0.3  # 30 % of figures are given in the alternative unit
    for j, m in enumerate(names_m):
        canon, alt_unit, factor, draw = METRICS[m]
        sel = metric_idx == j
        v = draw(rng, int(sel.sum()))
        a = alt[sel] & (alt_unit != canon)
        v = np.where(a, v / factor, v)
        value[sel] = v
        unit[sel] = np.where(a, alt_unit, canon)
    d = pd.DataFrame({
        "ticker": tickers[comp_idx], "company": names[comp_idx], "fiscal_year": year,
        "metric": np.asarray(names_m, dtype=object)[metric_idx],
        "value": np.round(value, 4), "unit": unit, "basis": "", "scope_note": "",
        "data_quality": rng.integers(1, 4, n),
        "source_title": np.char.add("Synthetic sustainability report, FY", year.astype(str)),
        "source_url": np.char.add("https://example.invalid/synthetic/", tickers[comp_idx].astype(str)),
        "quote": "synthetic figure (benchmark only)",
        "report_edition": year + 1,
    })
    disc_path = folder / "disclosures.csv"
    d.to_csv(disc_path, index=False)
    return comp_path, disc_path
