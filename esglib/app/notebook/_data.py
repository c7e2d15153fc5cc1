"""Notebook helpers for data: inventory, counts, headline figures, Google CFE regions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib.analysis import company_baseline
from esglib.app import bundled
from esglib.errors import ConfigError
from esglib.inputs import DATA_DIR, data_as_of
from esglib.market import snapshot_as_of
from esglib.outputs.excel import fill_template, sheet_preview  # re-exported for the notebooks
from esglib.scoring import ProcurementLadder

__all__ = [
    "fill_template", "sheet_preview", "NOTEBOOKS", "PRICES_AS_OF", "suite_overview", "data_inventory", "repo_path",
    "disclosure_counts", "figures_for", "headline_figures", "load_google_region_cfe", "cfe_spread", "scope2_methods",
    "instrument_ladder",
]


#: The notebook suite: (file, audience, goal).
NOTEBOOKS: tuple[tuple[str, str, str], ...] = (
    ("00_start_here.ipynb", "everyone", "what the suite holds, how to open it, the data and its as-of dates"),
    ("01_ai_footprint_primer.ipynb", "students", "the AI electricity and water story in real figures; Scope 2 "
                                                 "methods, PPAs vs certificates, hourly CFE"),
    ("02_scoring_methodology.ipynb", "students, analysts", "disclosures -> metrics -> pillar scores; "
                                                           "normalisation choices; explaining one score; "
                                                           "weight sensitivity"),
    ("03_screen_my_holdings.ipynb", "investors", "score your holdings and screen them live with sliders"),
    ("04_backtest_and_statistics.ipynb", "investors, analysts", "point-in-time backtest of the screens and "
                                                                "regressions, read honestly"),
    ("05_excel_scorecard.ipynb", "analysts", "the Excel scorecard and the input template, and their round trip"),
    ("06_scenarios.ipynb", "everyone", "carbon-price shock, AI electricity growth and water stress"),
)
#: As-of date of the bundled price snapshot when it cannot be read from the snapshot itself.
PRICES_AS_OF = "2026-05-29"


def suite_overview() -> pd.DataFrame:
    """The notebooks of the suite with their audience and goal (one row each, in reading order)."""
    return pd.DataFrame(list(NOTEBOOKS), columns=["notebook", "audience", "goal"])


def repo_path(path: str | os.PathLike[str]) -> Path:
    """Resolve a path given relative to the repository root (as notebook parameters are) or to the cwd.

    An absolute path, or one that exists relative to the current folder, is returned as is; a path that starts
    with ``data/`` is taken inside the bundled data (also where esglib is installed, not cloned); otherwise the
    path is taken relative to the folder that holds ``data/`` (the repository root in a source checkout).
    """
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    if p.parts[:1] == ("data",):
        return DATA_DIR.joinpath(*p.parts[1:])
    return DATA_DIR.parent / p


def _prices_as_of() -> str:
    try:
        return snapshot_as_of()
    except Exception:  # noqa: BLE001 - the market module is optional here; fall back to the documented date
        return PRICES_AS_OF


def data_inventory(disclosures: pd.DataFrame | None = None, companies: pd.DataFrame | None = None,
                   macro: pd.DataFrame | None = None) -> pd.DataFrame:
    """What bundled data the suite runs on, with its size and as-of date.

    Parameters
    ----------
    disclosures, companies, macro : DataFrame, optional
        Already-loaded frames (default: load the bundled files). Not modified.

    Returns
    -------
    DataFrame
        One row per data set: ``dataset, file, rows, covers, as_of``.
    """
    companies = bundled.companies() if companies is None else companies
    disclosures = bundled.disclosures() if disclosures is None else disclosures
    macro = bundled.macro() if macro is None else macro
    canon = disclosures[~disclosures["metric"].astype(str).str.startswith("other:")]
    cfe = load_google_region_cfe()
    rows = [
        ("company universe", "data/companies.csv", len(companies),
         f"{companies['peer_group'].nunique()} peer groups", data_as_of()),
        ("disclosures (cited figures)", "data/disclosures.csv", len(disclosures),
         f"{len(canon)} canonical figures for {disclosures['ticker'].nunique()} of {len(companies)} companies, "
         f"fiscal years {disclosures['fiscal_year'].min()}-{disclosures['fiscal_year'].max()}", data_as_of()),
        ("macro series", "data/macro.csv", len(macro), f"{macro['series'].nunique()} series, "
                                                       f"{macro['year'].min()}-{macro['year'].max()}", data_as_of()),
        ("daily prices", "data/prices/snapshot.parquet", np.nan, "Yahoo Finance daily chart data, from 2018-01-02",
         _prices_as_of()),
        ("Google Cloud region CFE", "data/google_region_cfe/", len(cfe),
         f"{cfe['region'].nunique()} regions, {cfe['year'].min()}-{cfe['year'].max()}",
         f"{cfe['year'].max()} (annual files)"),
    ]
    holdings = DATA_DIR / "sample_portfolio.csv"
    if holdings.exists():
        n = sum(1 for _ in holdings.open(encoding="utf-8")) - 1
        rows.append(("sample portfolio", "data/sample_portfolio.csv", n, "a broker-style holdings export",
                     _prices_as_of()))
    out = pd.DataFrame(rows, columns=["dataset", "file", "rows", "covers", "as_of"])
    out["rows"] = out["rows"].astype("Int64")
    return out


#: Core figures counted in notebook 00 (one per thing the scenarios and pillars need).
CORE_COUNTS = ("electricity_total_mwh", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e",
               "water_consumption_m3", "water_withdrawal_stressed_pct", "cfe_hourly_pct", "revenue_usd_m")


def disclosure_counts(disclosures: pd.DataFrame, metrics: tuple[str, ...] = CORE_COUNTS) -> pd.DataFrame:
    """How many companies disclose each metric in at least one year, and the years covered.

    Returns
    -------
    DataFrame
        Index ``metric`` (in the order given): ``companies``, ``figures``, ``first_year``, ``last_year``.
    """
    d = disclosures[disclosures["metric"].isin(metrics)]
    g = d.groupby("metric")
    out = pd.DataFrame({"companies": g["ticker"].nunique(), "figures": g.size(),
                        "first_year": g["fiscal_year"].min(), "last_year": g["fiscal_year"].max()})
    return out.reindex(list(metrics)).fillna({"companies": 0, "figures": 0}).astype(
        {"companies": "int64", "figures": "int64", "first_year": "Int64", "last_year": "Int64"})


def figures_for(figures: pd.DataFrame, metrics: str | tuple[str, ...] | list[str],
                tickers: str | tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """The chosen figures for some metrics (and companies), with their year, value, unit and source.

    Parameters
    ----------
    figures : DataFrame
        :func:`esglib.inputs.select_figures` output. Not modified.
    metrics, tickers : str or list of str
        What to show (``tickers=None``: every company).

    Returns
    -------
    DataFrame
        ``ticker, fiscal_year, metric, value, unit, data_quality, source_title``, sorted by ticker, year, metric.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    keep = figures["metric"].isin(metrics)
    if tickers is not None:
        keep &= figures["ticker"].isin([tickers] if isinstance(tickers, str) else list(tickers))
    cols = ["ticker", "fiscal_year", "metric", "value", "unit", "data_quality", "source_title"]
    return figures.loc[keep, cols].sort_values(["ticker", "fiscal_year", "metric"]).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ macro story
#: (label, series, region, year) of the headline figures of the primer, in story order.
HEADLINES: tuple[tuple[str, str, str, int], ...] = (
    ("data centres + crypto + AI, world", "datacentre_crypto_ai_electricity_consumption", "World", 2022),
    ("data centres, world", "datacentre_electricity_consumption", "World", 2024),
    ("data centres, share of world electricity", "datacentre_share_of_global_electricity_pct", "World", 2024),
    ("data centres, world, projection", "datacentre_electricity_consumption_projection", "World", 2030),
    ("data centres, United States", "datacentre_electricity_consumption", "United States", 2023),
    ("data centres, share of US electricity", "datacentre_share_of_national_electricity_pct", "United States", 2023),
    ("share of US electricity, 2028 low", "datacentre_share_of_national_electricity_pct_projection_low",
     "United States", 2028),
    ("share of US electricity, 2028 high", "datacentre_share_of_national_electricity_pct_projection_high",
     "United States", 2028),
    ("US data centres, direct (cooling) water", "datacentre_direct_water_consumption", "United States", 2023),
    ("US data centres, indirect water (electricity)", "datacentre_indirect_water_consumption_electricity",
     "United States", 2023),
    ("average data-centre PUE (Uptime)", "industry_average_pue", "World", 2023),
    ("average data-centre PUE (Uptime)", "industry_average_pue", "World", 2024),
)


def _display(value: float, unit: str) -> tuple[float, str]:
    if unit == "MWh":
        return value / 1e6, "TWh"
    if unit == "m3":
        return value / 1e6, "million m3"
    return value, unit


def headline_figures(macro: pd.DataFrame | None = None) -> pd.DataFrame:
    """The macro figures the primer tells its story with, in display units, each with its source.

    Parameters
    ----------
    macro : DataFrame, optional
        :func:`esglib.inputs.load_macro` output (default: bundled; "do not use" rows are already dropped).

    Returns
    -------
    DataFrame
        ``figure, region, year, value, unit, data_quality, source`` (TWh instead of MWh, million m3 instead of
        m3). Where several rows match, the best ``data_quality`` is shown. Figures absent from ``macro`` are
        skipped.
    """
    m = bundled.macro() if macro is None else macro
    rows = []
    for label, series, region, year in HEADLINES:
        hit = m[(m["series"] == series) & (m["region"] == region) & (m["year"] == year)]
        if hit.empty:
            continue
        r = hit.sort_values("data_quality", kind="stable").iloc[0]
        value, unit = _display(float(r["value"]), str(r["unit"]))
        rows.append({"figure": label, "region": region, "year": int(year), "value": value, "unit": unit,
                     "data_quality": r["data_quality"], "source": r["source_title"]})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------ Google CFE
def load_google_region_cfe(years: list[int] | None = None, folder: str | os.PathLike[str] | None = None
                           ) -> pd.DataFrame:
    """Google Cloud's per-region hourly carbon-free-energy share and grid carbon intensity, one row per region-year.

    Parameters
    ----------
    years : list of int, optional
        Years to load (default: every ``<year>.csv`` in the folder, 2019-2024 bundled).
    folder : path-like, optional
        Folder of yearly files (default: the bundled ``data/google_region_cfe/``).

    Returns
    -------
    DataFrame
        ``year, region, location, cfe_pct`` (0-100, hourly-matched: Google's 24/7 CFE metric; NaN where the
        file leaves it blank, i.e. not published for that region and year),
        ``grid_gco2_per_kwh`` and ``intensity_basis``: 2019-2020 files publish *lifecycle* grid intensity,
        later ones operational, so the two are not comparable across that break.

    Raises
    ------
    ConfigError
        A requested year has no file.
    """
    root = Path(folder) if folder is not None else DATA_DIR / "google_region_cfe"
    available = sorted(int(p.stem) for p in root.glob("*.csv") if p.stem.isdigit())
    wanted = available if years is None else [int(y) for y in years]
    missing = sorted(set(wanted) - set(available))
    if missing:
        raise ConfigError(f"`years` {missing} have no file in {root} (available: {available})")
    frames = []
    for y in wanted:
        raw = pd.read_csv(root / f"{y}.csv")
        intensity = [c for c in raw.columns if "intensity" in c.lower()][0]
        frames.append(pd.DataFrame({
            "year": y, "region": raw["Google Cloud Region"].astype(str), "location": raw["Location"].astype(str),
            "cfe_pct": pd.to_numeric(raw["Google CFE"], errors="coerce") * 100,
            "grid_gco2_per_kwh": pd.to_numeric(raw[intensity], errors="coerce"),
            "intensity_basis": "lifecycle" if "lifecycle" in intensity.lower() else "operational"}))
    return pd.concat(frames, ignore_index=True)


def cfe_spread(cfe: pd.DataFrame) -> pd.DataFrame:
    """Spread of hourly CFE across Google's regions, per year.

    Parameters
    ----------
    cfe : DataFrame
        :func:`load_google_region_cfe` output. Not modified.

    Returns
    -------
    DataFrame
        Index ``year``: ``regions, min, p25, median, p75, max`` (CFE %), ``regions_at_90pct_or_more``,
        ``regions_below_25pct`` and ``lowest`` / ``highest`` (region and location).
    """
    def one(g: pd.DataFrame) -> pd.Series:
        c = g["cfe_pct"].dropna()
        lo, hi = g.loc[c.idxmin()], g.loc[c.idxmax()]
        return pd.Series({"regions": len(c), "min": c.min(), "p25": c.quantile(0.25), "median": c.median(),
                          "p75": c.quantile(0.75), "max": c.max(), "regions_at_90pct_or_more": int((c >= 90).sum()),
                          "regions_below_25pct": int((c < 25).sum()),
                          "lowest": f"{lo['region']} ({lo['location']})",
                          "highest": f"{hi['region']} ({hi['location']})"})

    return pd.DataFrame({y: one(g) for y, g in cfe.groupby("year")}).T.rename_axis("year")


# ------------------------------------------------------------------------------------------------ Scope 2
def scope2_methods(disclosures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Location- vs market-based Scope 2 per company, in the latest year that discloses both.

    Returns
    -------
    DataFrame
        Index ticker, largest location-based first: ``company, fiscal_year, scope2_location_tco2e,
        scope2_market_tco2e, gap_tco2e`` (location - market: what instruments remove on paper) and
        ``removed_by_instruments_pct`` (gap / location).
    """
    disclosures = bundled.disclosures() if disclosures is None else disclosures
    b = company_baseline(disclosures, required=("scope2_location_tco2e", "scope2_market_tco2e"))
    out = b.drop(columns="complete")
    out["gap_tco2e"] = out["scope2_location_tco2e"] - out["scope2_market_tco2e"]
    out["removed_by_instruments_pct"] = 100 * out["gap_tco2e"] / out["scope2_location_tco2e"].where(
        out["scope2_location_tco2e"] > 0)
    return out.sort_values("scope2_location_tco2e", ascending=False)


def instrument_ladder(ladder: Any = None) -> pd.DataFrame:
    """The procurement instruments from best to weakest evidence of new clean supply, with esglib's weights.

    Parameters
    ----------
    ladder : esglib.scoring.ProcurementLadder, optional
        Quality weights (default: ``ProcurementLadder()``).

    Returns
    -------
    DataFrame
        ``instrument, re100_type, what_it_is, matching, esglib_quality``.
    """
    q = ladder or ProcurementLadder()
    rows = [
        ("onsite generation / physical or virtual PPA", "1-2", "the company owns or contracts a specific plant, "
         "usually new, for 10-20 years; the contract helps finance the plant", "annual", q.onsite_ppa),
        ("green tariff / supplier contract", "3", "a utility product backed by renewable supply", "annual",
         q.green_tariff),
        ("unbundled certificate (REC, GO, I-REC)", "4", "a certificate bought separately from the electricity, "
         "often from old plants far away; cheap, rarely adds new supply", "annual", q.unbundled_eac),
        ("renewable share without instrument detail", "unknown", "a claim such as '100 % renewable' with no "
         "split by instrument: scored like certificates, and flagged", "annual", q.unknown),
        ("hourly carbon-free energy (24/7 CFE)", "not a ladder step", "clean energy consumed in the same hour and "
         "grid region as the load (grid CFE included): scored as its own KPI, cfe_hourly, never combined with the "
         "ladder", "hourly", float("nan")),
    ]
    return pd.DataFrame(rows, columns=["instrument", "re100_type", "what_it_is", "matching", "esglib_quality"])
