"""Holdings: load a broker export, summarise its AI-footprint profile, and screen it.

Three steps an investor takes, each a plain function on pandas objects (inputs are never modified):

1. :func:`load_holdings` reads a CSV/XLSX holdings file (broker spellings accepted) into one row per ticker with
   a weight that sums to 1, the market value when known, and whether the name is covered by the universe.
2. :func:`portfolio_summary` aggregates scores and carbon figures over the holdings: weighted composite and
   pillars, WACI (TCFD), financed emissions and carbon footprint (PCAF), electricity and water intensity, weight
   in flagged companies, per-holding and per-peer-group contributions, and engagement questions for every
   missing core disclosure (METHODOLOGY s.4).
3. Screens (METHODOLOGY s.6): :func:`exclusion_screen` (rating floor, flags), :func:`best_in_class` (top share
   per peer group), :func:`score_tilt` (weights scaled by a function of the score) and :func:`apply_screens`
   (the three in that order). Each returns a :class:`ScreenResult`.

Conventions: weights are fractions of the whole portfolio (cash included); the cash line has ticker ``CASH``.
Scores are the output of :func:`esglib.scoring.score` (indexed by ticker).

The bundled example ``data/sample_portfolio.csv`` is a broker-style export with the header
``Symbol,Description,Quantity,Market Value`` (no comment lines): 15 AI-heavy universe names, one name outside the
universe (``OKLO``, kept as not covered) and a cash line (``Cash & Cash Investments``, blank quantity). Market
values are quantity x the snapshot close of 2026-05-29, so the file needs no price lookup; the weights come from
the market values.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError, DataValidationError, Problem

__all__ = [
    "CASH",
    "HOLDINGS_ALIASES",
    "load_holdings",
    "holdings_weights",
    "PortfolioSummary",
    "portfolio_summary",
    "company_footprint",
    "engagement_questions",
    "ScreenResult",
    "exclusion_screen",
    "best_in_class",
    "score_tilt",
    "apply_screens",
    "RATING_ORDER",
]

#: Ticker given to every cash line (all cash lines are merged into one row).
CASH = "CASH"
#: Ratings from worst to best; ``NR`` (not rated) is handled separately by every screen.
RATING_ORDER = ("CCC", "B", "BB", "BBB", "A", "AA", "AAA")

#: Accepted header spellings (lower case, compared after stripping) per canonical holdings column.
HOLDINGS_ALIASES: dict[str, tuple[str, ...]] = {
    "ticker": ("ticker", "symbol", "ticker symbol", "code", "security id", "instrument"),
    "description": ("description", "name", "security", "security name", "security description", "company"),
    "shares": ("shares", "quantity", "qty", "units", "share quantity", "position"),
    "market_value": ("market value", "market_value", "market value ($)", "market value (usd)", "mkt val",
                     "mkt val (market value)", "current value", "value", "amount", "market value usd",
                     "market_value_usd", "value (usd)"),
    "weight": ("weight", "% of portfolio", "% of account", "% of acct", "% of acct (% of account)",
               "portfolio %", "weight (%)", "weight %", "allocation", "% weight", "pct of portfolio"),
}

#: Symbols (upper case) that always denote cash; symbols ending in ``**`` (broker core money-market
#: positions) and descriptions mentioning cash or money market count as cash too.
_CASH_SYMBOLS = {"CASH", "USD", "$CASH", "CASH & CASH INVESTMENTS", "CASH AND CASH EQUIVALENTS",
                 "CASH & EQUIVALENTS", "MONEY MARKET", "MONEYMARKET", "CORE", "SWEEP", "CASH SWEEP"}
_CASH_WORDS = re.compile(r"\b(cash|money[- ]market|sweep)\b", re.IGNORECASE)
_TOTAL_ROW = re.compile(r"^(account |portfolio |grand )?totals?:?$", re.IGNORECASE)
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


# ------------------------------------------------------------------------------------------------ numbers
def _parse_cell(raw: str, kind: str) -> tuple[float | None, str | None]:
    """Parse one numeric cell deliberately; return (value, None) or (None, rule broken).

    Accepted everywhere: plain numbers (``1234.5``, ``-3``, ``1e3``) and thousands separators in groups of
    three (``1,234.50``). Market values may also carry a leading ``$`` and accounting negatives ``(1,234)``;
    weights may carry a trailing ``%``. Anything else (``n/a``, ``12%`` in a shares column, ``1.234,5``) is
    an error.
    """
    s = raw.strip()
    if s == "":
        return None, "is blank"
    neg = False
    if kind == "market_value":
        if s.startswith("(") and s.endswith(")"):
            neg, s = True, s[1:-1].strip()
        if s.startswith("-$"):
            neg, s = True, s[2:]
        s = s.lstrip("$").strip()
    if kind == "weight" and s.endswith("%"):
        s = s[:-1].strip()
    if _PLAIN.fullmatch(s):
        v = float(s)
    elif _THOUSANDS.fullmatch(s):
        v = float(s.replace(",", ""))
    else:
        allowed = {"shares": "a plain number such as 120 or 1,200 (no %, currency or text)",
                   "market_value": "an amount such as 12345.67, 12,345.67 or $12,345.67",
                   "weight": "a number such as 0.05 or 5 or 5%"}[kind]
        return None, f"is not {allowed}"
    if not math.isfinite(v):
        return None, "is not a finite number"
    return (-v if neg else v), None


def _is_cash(symbol: str, description: str) -> bool:
    s = symbol.strip().upper()
    if s in _CASH_SYMBOLS or s.endswith("**"):
        return True
    if s == "":
        return True  # a blank symbol with an amount is a cash line (checked by the caller)
    if not _CASH_WORDS.search(description):
        return False
    # a money-market fund (US symbols of five letters ending in XX) or a symbol that is not a ticker
    return bool(re.fullmatch(r"[A-Z]{3}XX", s)) or not re.fullmatch(r"[A-Z][A-Z0-9.\-]{0,9}", s)


# ------------------------------------------------------------------------------------------------ loading
def _latest_prices(tickers: list[str], source: str = "snapshot") -> pd.Series:
    """Latest split-adjusted close per price ticker (NaN where unknown), via :mod:`esglib.market` (lazy import).

    Tickers the source does not have are NaN; the caller reports them (the market module's own warning is
    silenced to avoid saying it twice).
    """
    from esglib import market
    from esglib.errors import MarketDataError

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
    out.attrs["source"] = px.attrs.get("source")
    return out


def load_holdings(path: str | os.PathLike[str], companies: pd.DataFrame | None = None, *,
                  prices: Mapping[str, float] | pd.Series | None = None, price_source: str = "snapshot",
                  sheet: str | None = None) -> pd.DataFrame:
    """Read a holdings file (CSV or XLSX) exported by a broker or written by hand.

    Parameters
    ----------
    path : path-like
        CSV (UTF-8, comma-separated) or XLSX (sheet ``Holdings`` if present, else the first). Headers are
        matched case-insensitively against :data:`HOLDINGS_ALIASES`: a ticker column (``Ticker``/``Symbol``)
        and at least one of market value (``Market Value``/``Value``/``Amount``), weight (``Weight``/
        ``% of portfolio``) or shares (``Shares``/``Quantity``). When several are present the market value
        wins, then the weight, then shares x price. Weights may be fractions or percentages (they are
        normalised anyway).
    companies : DataFrame, optional
        The universe (:func:`esglib.data.load_companies`, default: the bundled one). A holding is *covered*
        when its ticker (or the universe's ``yahoo_ticker``) is in it.
    prices : mapping or Series, optional
        Price per share by ticker (listing currency), used only for a shares column. Default: the latest
        close of the bundled snapshot via :func:`esglib.market.prices` (``source=price_source``).
    price_source : str
        Source passed to :func:`esglib.market.prices` when ``prices`` is not given.
    sheet : str, optional
        Worksheet of an XLSX file.

    Returns
    -------
    DataFrame
        One row per holding, indexed by ``ticker`` (upper case; every cash line merged into ``CASH``), sorted by
        weight (largest first), with columns ``company`` (universe name, else the file's description),
        ``peer_group`` (NaN when not covered), ``weight`` (fraction, sums to 1 including cash),
        ``market_value`` (listing currency, NaN when only weights were given), ``shares`` (NaN when not
        given), ``price`` (per share, when used), ``covered`` (bool: ticker in the universe), ``is_cash``
        (bool), ``source_row`` (first line of the holding in the file, header = 1) and ``source_rows``
        (every line merged into it, comma-separated). ``attrs`` carries ``file``, ``basis``
        (``market_value``/``weight``/``shares``), ``not_covered`` ({ticker: weight}), ``total_value``.

    Warns
    -----
    UserWarning
        For tickers not in the universe (named, with their weight; they stay in the frame with
        ``covered=False``), for duplicate tickers (merged) and for skipped "total" rows.

    Raises
    ------
    DataValidationError
        Every problem at once, each naming file, row and column: missing ticker or amount column,
        non-numeric cells (``n/a``, ``12%`` in a shares column), negative holdings other than cash, a blank
        ticker without an amount, shares without a price, and a total that is zero or negative.
    """
    from esglib.readers import read_table

    table = read_table(path, sheet=sheet)
    df = table.frame
    cols = list(df.columns)
    found: dict[str, str] = {}
    for canon, options in HOLDINGS_ALIASES.items():
        hit = next((c for c in options if c in cols), None)
        if hit is not None:
            found[canon] = hit
    problems: list[Problem] = []
    if "ticker" not in found:
        problems.append(Problem(table.file, table.header_row, None,
                                "missing a ticker column (one of: Ticker, Symbol)", ", ".join(table.original_columns)))
    amount = next((k for k in ("market_value", "weight", "shares") if k in found), None)
    if amount is None:
        problems.append(Problem(table.file, table.header_row, None,
                                "missing an amount column: one of Market Value/Value/Amount, Weight/% of portfolio "
                                "or Shares/Quantity", ", ".join(table.original_columns)))
    if problems:
        raise DataValidationError(problems)

    if companies is None:
        from esglib.data import load_companies

        companies = load_companies()
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    by_yahoo = {str(y).upper(): t for t, y in uni["yahoo_ticker"].items() if str(y)} if "yahoo_ticker" in uni else {}

    tcol = found["ticker"]
    dcol = found.get("description")
    acol = found[amount]
    header = dict(zip(table.frame.columns, table.original_columns, strict=False))

    def prob(i: int, col: str, rule: str, value=None) -> Problem:
        """Locate a problem at data row i, naming the column as the file spells it."""
        if table.sheet is not None:
            return table.problem(i, col, rule, value)
        return Problem(table.file, table.row_number(i), header.get(col, col), rule, value)

    records: list[dict[str, Any]] = []
    skipped_totals: list[int] = []
    for i in df.index:
        sym = str(df.at[i, tcol]).strip()
        desc = str(df.at[i, dcol]).strip() if dcol else ""
        row = table.row_number(i)
        if _TOTAL_ROW.fullmatch(sym) or (sym == "" and _TOTAL_ROW.fullmatch(desc)):
            skipped_totals.append(row)
            continue
        cash = _is_cash(sym, desc)
        value, rule = _parse_cell(str(df.at[i, acol]), amount)
        if rule is not None:
            if sym == "" and str(df.at[i, acol]).strip() == "":
                problems.append(prob(i, tcol, "ticker is blank and the row has no amount", sym))
            else:
                problems.append(prob(i, acol, f"{amount.replace('_', ' ')} {rule}", str(df.at[i, acol])))
            continue
        shares = np.nan
        if "shares" in found and amount != "shares":
            raw = str(df.at[i, found["shares"]])
            if raw.strip() != "":
                v, r = _parse_cell(raw, "shares")
                if r is not None:
                    problems.append(prob(i, found["shares"], f"shares {r}", raw))
                    continue
                shares = v
        if value < 0 and not cash:
            problems.append(prob(i, acol, "negative holding (short positions are not supported; only a cash line "
                                          "may be negative, e.g. a margin balance)", str(df.at[i, acol])))
            continue
        ticker = CASH if cash else sym.upper()
        ticker = by_yahoo.get(ticker, ticker) if ticker not in uni.index else ticker
        records.append({"ticker": ticker, "description": desc or (sym if cash else ""), "amount": value,
                        "shares": value if amount == "shares" else shares, "is_cash": cash, "row": row})
    if problems:
        raise DataValidationError(problems)
    if not records:
        raise DataValidationError([Problem(table.file, None, None, "no holdings left after skipping total rows")])
    if skipped_totals:
        warnings.warn(f"{table.file}: skipped total line(s) at row(s) {', '.join(map(str, skipped_totals))}",
                      UserWarning, stacklevel=2)
    rec = pd.DataFrame(records)

    # shares -> market value via prices
    price = pd.Series(np.nan, index=rec.index, dtype="float64")
    prices_as_of = None
    if amount == "shares":
        sec = ~rec["is_cash"]
        tickers = sorted(set(rec.loc[sec, "ticker"]))
        if isinstance(prices, pd.Series):
            px = prices
        elif prices is not None:
            px = pd.Series(dict(prices), dtype="float64")
        else:
            ytick = {t: str(uni.at[t, "yahoo_ticker"]) if t in uni.index else t for t in tickers}
            latest = _latest_prices(sorted(set(ytick.values())), price_source) if tickers else pd.Series(dtype=float)
            px = pd.Series({t: latest.get(y, np.nan) for t, y in ytick.items()}, dtype="float64")
            prices_as_of = latest.attrs.get("as_of")
        px = px.rename(index=lambda t: str(t).upper())
        price[sec] = rec.loc[sec, "ticker"].map(px).astype("float64")
        price[~sec] = 1.0  # a cash line's "quantity" is its amount
        missing = sec & ~(price > 0)
        for j in rec.index[missing]:
            problems.append(Problem(table.file, int(rec.at[j, "row"]), header.get(acol, acol),
                                    f"no price for {rec.at[j, 'ticker']} to turn shares into a market value; give a "
                                    "Market Value or Weight column instead", rec.at[j, "ticker"]))
        if problems:
            raise DataValidationError(problems)
        rec["market_value"] = rec["amount"] * price
    elif amount == "market_value":
        rec["market_value"] = rec["amount"]
    else:
        rec["market_value"] = np.nan
    rec["price"] = price
    rec["_w"] = rec["market_value"] if amount != "weight" else rec["amount"]

    # duplicates
    dups = rec.loc[rec["ticker"].duplicated(keep=False) & ~rec["is_cash"], "ticker"].unique()
    if len(dups):
        rows = {t: ", ".join(map(str, rec.loc[rec["ticker"] == t, "row"])) for t in dups}
        warnings.warn(f"{table.file}: duplicate holdings merged: "
                      + "; ".join(f"{t} (rows {r})" for t, r in rows.items()), UserWarning, stacklevel=2)
    g = rec.groupby("ticker", sort=False)
    out = pd.DataFrame({
        "description": g["description"].agg(lambda s: " + ".join(dict.fromkeys(x for x in s if x))),
        "_w": g["_w"].sum(),
        "market_value": g["market_value"].sum(min_count=1),
        "shares": g["shares"].sum(min_count=1),
        "price": g["price"].first(),
        "is_cash": g["is_cash"].first(),
        "source_row": g["row"].min(),
        "source_rows": g["row"].agg(lambda s: ", ".join(map(str, s))),
    })
    total = float(out["_w"].sum())
    if not np.isfinite(total) or total <= 0:
        raise DataValidationError([Problem(table.file, None, header.get(acol, acol),
                                           f"holdings total must be positive (the {amount.replace('_', ' ')} column "
                                           f"sums to {total:g})", total)])
    out["weight"] = out["_w"] / total
    out["covered"] = out.index.isin(uni.index) & ~out["is_cash"]
    out["company"] = [uni.at[t, "company"] if c else d for t, c, d in zip(out.index, out["covered"],
                                                                          out["description"], strict=True)]
    out["peer_group"] = pd.Series(out.index.map(uni["peer_group"]), index=out.index).where(out["covered"])
    out.index.name = "ticker"
    out = out.sort_values("weight", ascending=False, kind="stable")
    out = out[["company", "peer_group", "weight", "market_value", "shares", "price", "covered", "is_cash",
               "source_row", "source_rows"]]
    not_cov = out[~out["covered"] & ~out["is_cash"]]
    if len(not_cov):
        warnings.warn(f"{table.file}: {len(not_cov)} holding(s) not covered by the esglib universe (kept, "
                      "unscored): " + ", ".join(f"{t} ({w:.1%})" for t, w in not_cov["weight"].items()),
                      UserWarning, stacklevel=2)
    if amount == "shares" and prices_as_of:
        warnings.warn(f"{table.file}: shares valued at the latest close as of {prices_as_of} "
                      f"({price_source} prices)", UserWarning, stacklevel=2)
    out.attrs.update({"file": table.file, "basis": amount, "prices_as_of": prices_as_of,
                      "not_covered": {t: float(w) for t, w in not_cov["weight"].items()},
                      "total_value": float(out["market_value"].sum()) if amount != "weight" else None})
    return out


def holdings_weights(holdings: pd.DataFrame | pd.Series | Mapping[str, float]) -> pd.Series:
    """Weights by ticker from a holdings frame, a Series or a mapping (a copy; not normalised).

    Raises
    ------
    ConfigError
        If the weights contain non-finite values, or a frame has no ``weight`` column.
    """
    if isinstance(holdings, pd.DataFrame):
        if "weight" not in holdings.columns:
            raise ConfigError("`holdings` frame needs a 'weight' column (the output of load_holdings)")
        w = holdings["weight"]
        if "ticker" in holdings.columns and holdings.index.name != "ticker":
            w = pd.Series(w.to_numpy(), index=holdings["ticker"].astype(str))
    elif isinstance(holdings, pd.Series):
        w = holdings
    else:
        w = pd.Series(dict(holdings))
    w = pd.to_numeric(w, errors="coerce").astype("float64").copy()
    if not np.isfinite(w.to_numpy()).all():
        bad = w[~np.isfinite(w.to_numpy())]
        raise ConfigError(f"`holdings` weights must be finite numbers, got {dict(bad.head(5))}")
    w.index = pd.Index(w.index.astype(str).str.upper(), name="ticker")
    if w.index.duplicated().any():
        w = w.groupby(level=0, sort=False).sum()
    return w


# ------------------------------------------------------------------------------------------------ footprint
#: Readable names of the core disclosures for engagement questions.
_METRIC_LABELS = {
    "electricity_total_mwh": "total electricity consumption (MWh)",
    "pue": "fleet operational power usage effectiveness (PUE)",
    "scope1_tco2e": "Scope 1 emissions (tCO2e)",
    "scope2_market_tco2e": "market-based Scope 2 emissions (tCO2e)",
    "scope2_location_tco2e": "location-based Scope 2 emissions (tCO2e)",
    "scope3_tco2e": "Scope 3 emissions (tCO2e)",
    "renewable_share_pct": "renewable electricity share (%) with the instruments used",
    "cfe_hourly_pct": "hourly (24/7) carbon-free energy share (%)",
    "water_withdrawal_m3": "water withdrawal (m3)",
    "water_consumption_m3": "water consumption (m3)",
    "wue_l_per_kwh": "water usage effectiveness (WUE, L/kWh)",
    "water_replenishment_pct": "water replenishment (% of consumption)",
    "hardware_reuse_recycling_pct": "share of retired hardware reused or recycled (%)",
    "server_useful_life_years": "server useful life (years)",
    "ewaste_tonnes": "e-waste generated (t)",
    "revenue_usd_m": "revenue (USD m) for the same boundary",
}


def company_footprint(disclosures: pd.DataFrame, companies: pd.DataFrame | None = None, as_of=None,
                      lag_days: int | None = None) -> pd.DataFrame:
    """Per company, the latest carbon, electricity and water intensities from the disclosures.

    Each intensity comes from the latest fiscal year in which *all* its inputs are disclosed (numerator and
    revenue of the same year; years are never mixed).

    Parameters
    ----------
    disclosures : DataFrame
        Validated disclosures (:func:`esglib.data.load_disclosures`); not modified.
    companies : DataFrame, optional
        Universe (needed only with ``as_of``; default: bundled).
    as_of : date-like, optional
        Use only figures public on this date (:func:`esglib.data.available_as_of`).
    lag_days : int, optional
        Publication lag for ``as_of`` (default :data:`esglib.data.DEFAULT_PUBLICATION_LAG_DAYS`).

    Returns
    -------
    DataFrame
        Indexed by ticker: ``scope1_tco2e, scope2_market_tco2e, emissions_tco2e`` (S1 + S2 market-based),
        ``revenue_usd_m, carbon_intensity`` (tCO2e per USD m revenue), ``carbon_fy``,
        ``electricity_intensity`` (MWh per USD m), ``electricity_fy``, ``water_intensity`` (m3 per USD m;
        consumption, else withdrawal), ``water_fy``.
    """
    from esglib.data import DEFAULT_PUBLICATION_LAG_DAYS, available_as_of, select_figures
    from esglib.metrics import wide_figures

    d = disclosures
    if as_of is not None:
        if companies is None:
            from esglib.data import load_companies

            companies = load_companies()
        d = available_as_of(d, companies, as_of, DEFAULT_PUBLICATION_LAG_DAYS if lag_days is None else lag_days)
    cols = ["scope1_tco2e", "scope2_market_tco2e", "emissions_tco2e", "revenue_usd_m", "carbon_intensity",
            "carbon_fy", "electricity_intensity", "electricity_fy", "water_intensity", "water_fy"]
    w = wide_figures(select_figures(d))
    if w.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="ticker"), dtype="float64")

    def col(name: str) -> pd.Series:
        return w[name].astype("float64") if name in w.columns else pd.Series(np.nan, index=w.index)

    rev = col("revenue_usd_m").where(lambda s: s > 0)
    emis = col("scope1_tco2e") + col("scope2_market_tco2e")
    water = col("water_consumption_m3").fillna(col("water_withdrawal_m3"))
    parts = {
        "carbon": pd.DataFrame({"scope1_tco2e": col("scope1_tco2e"), "scope2_market_tco2e": col("scope2_market_tco2e"),
                                "emissions_tco2e": emis, "revenue_usd_m": rev, "carbon_intensity": emis / rev}),
        "electricity": pd.DataFrame({"electricity_intensity": col("electricity_total_mwh") / rev}),
        "water": pd.DataFrame({"water_intensity": water / rev}),
    }
    out = []
    for name, frame in parts.items():
        key = {"carbon": "carbon_intensity"}.get(name, f"{name}_intensity")
        f = frame[frame[key].notna()].reset_index()
        f = f.sort_values(["ticker", "fiscal_year"]).groupby("ticker").last()
        f = f.rename(columns={"fiscal_year": f"{name}_fy"})
        out.append(f)
    res = pd.concat(out, axis=1)
    res.index.name = "ticker"
    return res.reindex(columns=cols)


def engagement_questions(tickers: Iterable[str], disclosures: pd.DataFrame, scores: pd.DataFrame,
                         companies: pd.DataFrame | None = None, as_of=None) -> pd.DataFrame:
    """Missing core disclosures per company, phrased as engagement questions.

    For each ticker the *reference year* is its score's ``fiscal_year`` (latest year with a figure); for a
    company with no figure it is the latest fiscal year public on ``as_of`` (default today). A core figure
    (:data:`esglib.scoring.CORE_DISCLOSURES`) missing for that year gives "Disclose <figure> for FY<year>"; one
    disclosed only for an earlier year gives "Update <figure> for FY<year> (latest on file: FY<earlier>)".

    Returns
    -------
    DataFrame
        Columns ``ticker, company, fiscal_year, metric, status`` (``missing``/``stale``) and ``question``.
    """
    from esglib.data import publication_dates, select_figures
    from esglib.scoring import CORE_DISCLOSURES

    if companies is None:
        from esglib.data import load_companies

        companies = load_companies()
    d = disclosures
    if as_of is not None:
        from esglib.data import available_as_of

        d = available_as_of(d, companies, as_of)
    sel = select_figures(d)
    sel = sel[sel["metric"].isin(CORE_DISCLOSURES)]
    have = sel.groupby(["ticker", "metric"])["fiscal_year"].max()
    today = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    rows = []
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    for t in tickers:
        if t not in uni.index:
            continue
        fy = scores["fiscal_year"].get(t, pd.NA) if "fiscal_year" in scores else pd.NA
        if pd.isna(fy):
            years = np.arange(today.year - 2, today.year + 1)
            pub = publication_dates(companies, years, np.repeat(t, len(years)))
            ok = years[(pub <= today).to_numpy()]
            fy = int(ok.max()) if len(ok) else int(today.year - 2)
        fy = int(fy)
        for m in CORE_DISCLOSURES:
            last = have.get((t, m), np.nan)
            label = _METRIC_LABELS.get(m, m)
            if pd.notna(last) and int(last) >= fy:
                continue
            if pd.notna(last):
                status, q = "stale", f"Update {label} for FY{fy} (latest on file: FY{int(last)})"
            else:
                status, q = "missing", f"Disclose {label} for FY{fy}"
            rows.append({"ticker": t, "company": uni.at[t, "company"], "fiscal_year": fy, "metric": m,
                         "status": status, "question": q})
    return pd.DataFrame(rows, columns=["ticker", "company", "fiscal_year", "metric", "status", "question"])


# ------------------------------------------------------------------------------------------------ summary
def _nan_to_none(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_nan_to_none(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else float(x)
    if x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, pd.Timestamp):
        return str(x.date())
    return x


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [_nan_to_none(r) for r in df.reset_index().to_dict(orient="records")]


@dataclass(frozen=True, eq=False)
class PortfolioSummary:
    """Scores and footprint of a portfolio (output of :func:`portfolio_summary`).

    Every weighted average is taken over the holdings that have the figure and renormalised; its
    ``*_coverage`` is the share of total portfolio weight (cash included) that has it.

    Attributes
    ----------
    composite : float
        Weighted composite (0-100) over holdings with a composite; ``rating`` its MSCI-style band.
    pillars : dict
        Weighted pillar scores (0-100) over the same holdings as the composite.
    score_coverage : float
        Share of portfolio weight with a composite (0-1).
    waci : float
        Weighted average carbon intensity, tCO2e (Scope 1 + Scope 2 market-based) per USD m revenue (TCFD).
    waci_coverage : float
    financed_emissions : float
        tCO2e attributed to the portfolio (PCAF: value / EVIC x emissions), summed over covered holdings only;
        NaN when the portfolio value or every EVIC/market cap is unknown.
    carbon_footprint : float
        Financed emissions per USD m invested in the covered holdings (tCO2e / USD m).
    footprint_coverage : float
        Share of weight with emissions and an EVIC or market cap.
    footprint_basis : str
        Which denominator was used per holding (EVIC, market cap as a proxy, or none).
    electricity_intensity, water_intensity : float
        Weighted MWh and m3 per USD m revenue; ``*_coverage`` as above.
    flag_weights : dict
        Weight held in companies carrying each scoring flag, plus ``non_disclosure`` (any ``no_*_disclosure``
        flag or a withheld composite) and ``not_covered`` (not in the universe).
    cash_weight, not_covered_weight : float
    not_covered : tuple of str
    contributions : DataFrame
        One row per holding: weight, scores, intensities and each holding's contribution to every portfolio
        figure (the contribution columns sum to the portfolio figure).
    by_peer_group : DataFrame
        The same aggregated by peer group (plus ``cash`` and ``not_covered``).
    engagement : DataFrame
        Missing disclosures per holding as questions (:func:`engagement_questions`).
    notes : tuple of str
        Plain-words caveats (coverage, which denominator, what could not be computed).
    """

    composite: float
    rating: str
    pillars: dict[str, float]
    score_coverage: float
    waci: float
    waci_coverage: float
    financed_emissions: float
    carbon_footprint: float
    footprint_coverage: float
    footprint_basis: str
    electricity_intensity: float
    electricity_coverage: float
    water_intensity: float
    water_coverage: float
    flag_weights: dict[str, float]
    cash_weight: float
    not_covered_weight: float
    not_covered: tuple[str, ...]
    n_holdings: int
    portfolio_value: float
    contributions: pd.DataFrame = field(repr=False)
    by_peer_group: pd.DataFrame = field(repr=False)
    engagement: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    _UNITS = {"composite": "0-100", "waci": "tCO2e/USD m revenue", "financed_emissions": "tCO2e",
              "carbon_footprint": "tCO2e/USD m invested", "electricity_intensity": "MWh/USD m revenue",
              "water_intensity": "m3/USD m revenue"}

    def to_frame(self) -> pd.DataFrame:
        """Headline figures, one row each: ``value, unit, coverage`` (index ``figure``)."""
        rows = [("composite", self.composite, "0-100", self.score_coverage)]
        rows += [(p, v, "0-100", self.score_coverage) for p, v in self.pillars.items()]
        rows += [("waci", self.waci, self._UNITS["waci"], self.waci_coverage),
                 ("financed_emissions", self.financed_emissions, "tCO2e", self.footprint_coverage),
                 ("carbon_footprint", self.carbon_footprint, self._UNITS["carbon_footprint"], self.footprint_coverage),
                 ("electricity_intensity", self.electricity_intensity, self._UNITS["electricity_intensity"],
                  self.electricity_coverage),
                 ("water_intensity", self.water_intensity, self._UNITS["water_intensity"], self.water_coverage),
                 ("cash_weight", self.cash_weight, "share", np.nan),
                 ("not_covered_weight", self.not_covered_weight, "share", np.nan)]
        rows += [(f"weight_flagged:{k}", v, "share", np.nan) for k, v in self.flag_weights.items()]
        df = pd.DataFrame(rows, columns=["figure", "value", "unit", "coverage"]).set_index("figure")
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None): headline figures, notes and the three tables as records."""
        head = {k: getattr(self, k) for k in (
            "composite", "rating", "pillars", "score_coverage", "waci", "waci_coverage", "financed_emissions",
            "carbon_footprint", "footprint_coverage", "footprint_basis", "electricity_intensity",
            "electricity_coverage", "water_intensity", "water_coverage", "flag_weights", "cash_weight",
            "not_covered_weight", "not_covered", "n_holdings", "portfolio_value")}
        head["units"] = dict(self._UNITS)
        head["notes"] = list(self.notes)
        head["contributions"] = _records(self.contributions)
        head["by_peer_group"] = _records(self.by_peer_group)
        head["engagement"] = _records(self.engagement)
        return _nan_to_none(head)


def _wavg(values: pd.Series, w: pd.Series) -> tuple[float, float, pd.Series]:
    """Weighted mean over entries with a value, the covered weight share, and per-entry contributions."""
    has = values.notna() & w.notna()
    tot = float(w.sum())
    cw = float(w[has].sum())
    if cw <= 0:
        return np.nan, (cw / tot if tot else 0.0), pd.Series(np.nan, index=values.index)
    contrib = (w * values / cw).where(has)
    return float(contrib.sum()), cw / tot if tot else 0.0, contrib


def portfolio_summary(holdings: pd.DataFrame | pd.Series | Mapping[str, float], scores: pd.DataFrame | None = None,
                      disclosures: pd.DataFrame | None = None,
                      market_caps: pd.Series | pd.DataFrame | Mapping | None = None, *,
                      evic: pd.Series | Mapping[str, float] | None = None, companies: pd.DataFrame | None = None,
                      portfolio_value: float | None = None, as_of=None) -> PortfolioSummary:
    """Aggregate scores and the AI footprint over a portfolio.

    Parameters
    ----------
    holdings : DataFrame, Series or mapping
        :func:`load_holdings` output, or weights by ticker (``CASH`` = cash). Weights are normalised to 1.
    scores : DataFrame, optional
        :func:`esglib.scoring.score` output (default: score the bundled data, point in time if ``as_of``).
    disclosures : DataFrame, optional
        Validated disclosures for emissions, revenue, electricity and water (default: bundled).
    market_caps : Series, mapping or DataFrame, optional
        Market capitalisation by ticker in **USD** (PCAF proxy for EVIC when EVIC is unknown); NaN = unknown.
        A :func:`esglib.market.market_caps` frame is accepted (its USD ``market_cap`` values are used).
    evic : Series or mapping, optional
        Enterprise value including cash by ticker in **USD** (PCAF preferred denominator).
    companies : DataFrame, optional
        Universe (default: bundled).
    portfolio_value : float, optional
        Portfolio value in USD (default: the holdings' total market value, if known). Needed only for
        absolute financed emissions; the carbon footprint is independent of it.
    as_of : date-like, optional
        Use only figures public on this date (scores, emissions, engagement).

    Returns
    -------
    PortfolioSummary

    Notes
    -----
    WACI = sum_i w_i (S1_i + S2_i) / Rev_i with S2 market-based (TCFD), over holdings with all three figures
    in one fiscal year and renormalised. Financed emissions = sum_i (V_i / EVIC_i) x (S1_i + S2_i) (PCAF);
    market cap replaces EVIC where EVIC is unknown and the basis says so; a holding with neither is left out
    (never guessed) and the coverage drops. Carbon footprint = financed emissions / (value of the holdings
    included / 10^6). Denominators are as given (ideally at fiscal-year end per PCAF); a current market cap
    against last year's emissions is an approximation and the notes say so.
    """
    from esglib.scoring import PILLARS, score_to_band

    if companies is None:
        from esglib.data import load_companies

        companies = load_companies()
    if disclosures is None:
        from esglib.data import load_disclosures

        disclosures = load_disclosures(companies=companies)
    if scores is None:
        from esglib.scoring import score

        scores = score(disclosures, companies=companies, as_of=as_of)
    w_raw = holdings_weights(holdings)
    tot = float(w_raw.sum())
    if not tot > 0:
        raise ConfigError(f"`holdings` weights must sum to a positive number, got {tot!r}")
    w = w_raw / tot
    is_cash = pd.Series(w.index == CASH, index=w.index)
    if isinstance(holdings, pd.DataFrame) and "is_cash" in holdings.columns:
        is_cash = is_cash | holdings["is_cash"].reindex(w.index).fillna(False).astype(bool)
    covered = pd.Series(w.index.isin(scores.index), index=w.index) & ~is_cash
    notes: list[str] = []

    # scores
    S = scores.reindex(w.index)
    comp = S["composite"].astype("float64").where(covered)
    composite, score_cov, c_comp = _wavg(comp, w)
    rated = comp.notna()
    pillars = {}
    contrib = pd.DataFrame(index=w.index)
    for p in PILLARS:
        val = S[p].astype("float64").where(rated)
        pillars[p], _, contrib[f"contrib_{p}"] = _wavg(val, w)
    # footprint
    fp = company_footprint(disclosures, companies, as_of).reindex(w.index).where(covered, axis=0)
    waci, waci_cov, c_waci = _wavg(fp["carbon_intensity"], w)
    elec, elec_cov, c_elec = _wavg(fp["electricity_intensity"], w)
    water, water_cov, c_water = _wavg(fp["water_intensity"], w)

    # PCAF
    def _series(x) -> pd.Series:
        if x is None:
            return pd.Series(np.nan, index=w.index, dtype="float64")
        if isinstance(x, pd.DataFrame):  # esglib.market.market_caps output: USD rows of `market_cap`
            cur = x["currency"].astype(str).str.upper() if "currency" in x.columns else "USD"
            x = x["market_cap"].where(cur.isin(["USD", ""]) if not isinstance(cur, str) else True)
        s = x if isinstance(x, pd.Series) else pd.Series(dict(x))
        s = pd.to_numeric(s, errors="coerce").astype("float64")
        s.index = [str(t).upper() for t in s.index]
        return s.reindex(w.index).where(lambda v: v > 0)

    ev, mc = _series(evic), _series(market_caps)
    denom = ev.fillna(mc)
    basis = pd.Series(np.where(ev.notna(), "EVIC", np.where(mc.notna(), "market cap", "none")), index=w.index)
    basis = basis.where(covered, "")
    emis = fp["emissions_tco2e"]
    has_fe = emis.notna() & denom.notna()
    if portfolio_value is None and isinstance(holdings, pd.DataFrame) and "market_value" in holdings.columns:
        mv = holdings["market_value"]
        if mv.notna().all() and float(mv.sum()) > 0:
            portfolio_value = float(mv.sum())
    vp = float(portfolio_value) if portfolio_value is not None else np.nan
    fe_w = float(w[has_fe].sum())
    per_usd = (emis / denom).where(has_fe)  # tCO2e per USD of enterprise value
    c_fe = w * per_usd * vp  # tCO2e financed per holding
    financed = float(c_fe.sum()) if fe_w > 0 and np.isfinite(vp) else np.nan
    footprint = float((w * per_usd).sum() / fe_w * 1e6) if fe_w > 0 else np.nan
    fp_cov = fe_w
    n_ev, n_mc = int((has_fe & ev.notna()).sum()), int((has_fe & ev.isna()).sum())
    n_none = int((covered & emis.notna() & denom.isna()).sum())
    if fe_w <= 0:
        if (ev.notna() | mc.notna()).any():
            fb = "none: no holding has both emissions and an EVIC or market cap"
        else:
            fb = ("none: no EVIC or market cap is available for any holding, so financed emissions and the carbon "
                  "footprint are not computed (never guessed)")
    else:
        fb = f"EVIC for {n_ev} holding(s), market cap as a proxy for EVIC for {n_mc}"
        if n_none:
            fb += f"; {n_none} holding(s) with emissions but no EVIC or market cap left out"
    if fe_w > 0 and not np.isfinite(vp):
        notes.append("financed emissions need the portfolio value (give market values or `portfolio_value`); "
                     "the carbon footprint per USD m invested does not")
    if n_mc:
        notes.append("market caps are current while emissions are for the latest fiscal year: an approximation of "
                     "PCAF's fiscal-year-end EVIC")

    # flags
    flags = S["flags"].where(covered).fillna("").astype(str)
    flag_sets = flags.map(lambda f: {x.strip() for x in f.split(";") if x.strip()})
    all_flags = sorted(set().union(*flag_sets.tolist())) if len(flag_sets) else []
    flag_w = {f: float(w[flag_sets.map(lambda s, f=f: f in s)].sum()) for f in all_flags
              if not f.startswith("composite_withheld")}
    nondisc = flag_sets.map(lambda s: any(x.startswith("no_") and x.endswith("_disclosure") for x in s)) | (
        covered & comp.isna())
    flag_w["non_disclosure"] = float(w[nondisc].sum())
    flag_w.setdefault("certificate_reliance", 0.0)
    cash_w = float(w[is_cash].sum())
    nc = w[~covered & ~is_cash]
    flag_w["not_covered"] = float(nc.sum())

    # contributions table
    table = pd.DataFrame({
        "company": S["company"], "peer_group": S["peer_group"].where(covered), "weight": w,
        "covered": covered, "is_cash": is_cash, "rating": S["rating"].where(covered),
        "composite": comp, **{p: S[p].astype("float64").where(covered) for p in PILLARS},
        "contrib_composite": c_comp,
    })
    if isinstance(holdings, pd.DataFrame) and "company" in holdings.columns:
        table["company"] = table["company"].fillna(holdings["company"].reindex(w.index))
    table["company"] = table["company"].where(~is_cash, "Cash")
    table = table.join(contrib)
    table["carbon_intensity"] = fp["carbon_intensity"]
    table["carbon_fy"] = fp["carbon_fy"]
    table["contrib_waci"] = c_waci
    table["electricity_intensity"] = fp["electricity_intensity"]
    table["contrib_electricity_intensity"] = c_elec
    table["water_intensity"] = fp["water_intensity"]
    table["contrib_water_intensity"] = c_water
    table["emissions_tco2e"] = emis
    table["evic_usd"] = ev
    table["market_cap_usd"] = mc
    table["footprint_basis"] = basis
    table["financed_emissions"] = c_fe
    table["flags"] = flags.where(covered)
    table.index.name = "ticker"
    table = table.sort_values("weight", ascending=False, kind="stable")

    group = table["peer_group"].astype(object).where(covered, np.where(is_cash.reindex(table.index), "cash",
                                                                        "not_covered"))
    agg_cols = ["weight", "contrib_composite", *[f"contrib_{p}" for p in PILLARS], "contrib_waci",
                "contrib_electricity_intensity", "contrib_water_intensity", "financed_emissions"]
    by_pg = table[agg_cols].groupby(group.rename("peer_group")).sum(min_count=1)
    by_pg["n_holdings"] = group.value_counts()
    by_pg["rated_weight"] = table["weight"].where(table["composite"].notna()).groupby(group).sum()
    by_pg = by_pg.sort_values("weight", ascending=False)

    engagement = engagement_questions([t for t in table.index if covered[t]], disclosures, scores, companies, as_of)
    engagement = engagement.assign(weight=engagement["ticker"].map(w))
    engagement = engagement.sort_values(["weight", "ticker"], ascending=[False, True], kind="stable")
    engagement = engagement[["ticker", "company", "weight", "fiscal_year", "metric", "status", "question"]]
    engagement = engagement.reset_index(drop=True)

    if score_cov < 0.65:
        notes.insert(0, f"only {score_cov:.0%} of the portfolio's weight has a composite score: the portfolio score "
                        "describes that part only")
    if len(nc):
        notes.append("not covered by the universe (unscored): " + ", ".join(f"{t} ({v:.1%})" for t, v in nc.items()))
    return PortfolioSummary(
        composite=composite, rating=str(score_to_band(composite)) if np.isfinite(composite) else "NR",
        pillars=pillars, score_coverage=score_cov, waci=waci, waci_coverage=waci_cov,
        financed_emissions=financed, carbon_footprint=footprint, footprint_coverage=fp_cov, footprint_basis=fb,
        electricity_intensity=elec, electricity_coverage=elec_cov, water_intensity=water, water_coverage=water_cov,
        flag_weights=flag_w, cash_weight=cash_w, not_covered_weight=float(nc.sum()),
        not_covered=tuple(nc.index), n_holdings=int(len(w)), portfolio_value=vp, contributions=table,
        by_peer_group=by_pg, engagement=engagement, notes=tuple(notes))


# ------------------------------------------------------------------------------------------------ screens
@dataclass(frozen=True, eq=False)
class ScreenResult:
    """Weights before and after a screen, and why each removed name was removed.

    Attributes
    ----------
    weights : Series
        Screened weights by ticker (sum equals the input's sum; excluded names are absent).
    before : Series
        Input weights.
    excluded : DataFrame
        Columns ``ticker, weight, reason`` (weight before the screen).
    method : str
        Description of the screen(s) applied.
    """

    weights: pd.Series
    before: pd.Series
    excluded: pd.DataFrame = field(repr=False)
    method: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Weights before and after (index ticker), with the exclusion reason."""
        df = pd.DataFrame({"weight_before": self.before, "weight_after": self.weights}).fillna({"weight_after": 0.0})
        reasons = self.excluded.set_index("ticker")["reason"] if len(self.excluded) else pd.Series(dtype=object)
        df["reason"] = reasons.reindex(df.index).fillna("")
        df.index.name = "ticker"
        return df


def _check_unrated(unrated: str, allowed: tuple[str, ...]) -> None:
    if unrated not in allowed:
        raise ConfigError(f"`unrated` must be one of {', '.join(map(repr, allowed))}, got {unrated!r}")


def _renormalise(w: pd.Series, keep: pd.Series, total: float, what: str) -> pd.Series:
    out = w[keep]
    s = float(out.sum())
    if not s > 0:
        raise ConfigError(f"the {what} excludes every holding (nothing left to invest in); loosen it")
    return out / s * total


def _excluded_frame(w: pd.Series, reasons: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"ticker": list(reasons), "weight": [float(w[t]) for t in reasons],
                         "reason": list(reasons.values())}, columns=["ticker", "weight", "reason"])


def exclusion_screen(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, *, min_rating: str | None = None,
                     exclude_flags: Iterable[str] = (), unrated: str = "keep") -> ScreenResult:
    """Negative screen: drop holdings rated below a floor or carrying chosen flags; renormalise the rest.

    Parameters
    ----------
    weights : Series or mapping
        Weights by ticker (``CASH`` is never screened).
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    min_rating : str, optional
        Lowest rating kept (``CCC`` .. ``AAA``).
    exclude_flags : iterable of str
        Scoring flags that exclude a holding (e.g. ``certificate_reliance``); a flag matches exactly or as a
        prefix (``composite_withheld`` matches ``composite_withheld_coverage_below_0.5``).
    unrated : {"keep", "exclude"}
        What happens to holdings without a rating (NR or not in the universe) under ``min_rating``.

    Returns
    -------
    ScreenResult
        Excluded weight is redistributed pro rata over what is kept (so the total is unchanged).
    """
    _check_unrated(unrated, ("keep", "exclude"))
    if min_rating is not None and str(min_rating).upper() not in RATING_ORDER:
        raise ConfigError(f"`min_rating` must be one of {', '.join(RATING_ORDER)}, got {min_rating!r}")
    flags_wanted = [f.strip() for f in exclude_flags if f and f.strip()]
    w = holdings_weights(weights)
    total = float(w.sum())
    S = scores.reindex(w.index)
    reasons: dict[str, str] = {}
    floor = RATING_ORDER.index(str(min_rating).upper()) if min_rating is not None else None
    for t in w.index:
        if t == CASH:
            continue
        rating = S.at[t, "rating"] if t in scores.index else "NR"
        if floor is not None:
            if rating in RATING_ORDER:
                if RATING_ORDER.index(rating) < floor:
                    reasons[t] = f"rating {rating} below {RATING_ORDER[floor]}"
                    continue
            elif unrated == "exclude":
                reasons[t] = "not rated" if t in scores.index else "not in the universe (unrated)"
                continue
        if flags_wanted and t in scores.index:
            have = [x.strip() for x in str(S.at[t, "flags"] or "").split(";") if x.strip()]
            hit = [f for f in flags_wanted if any(h == f or h.startswith(f) for h in have)]
            if hit:
                reasons[t] = "flagged " + ", ".join(hit)
    keep = ~w.index.isin(list(reasons))
    keep = pd.Series(keep, index=w.index)
    desc = []
    if floor is not None:
        desc.append(f"rating >= {RATING_ORDER[floor]} (unrated: {unrated})")
    if flags_wanted:
        desc.append("exclude flags " + ", ".join(flags_wanted))
    out = _renormalise(w, keep, total, "exclusion screen")
    return ScreenResult(out, w, _excluded_frame(w, reasons), "exclusion: " + ("; ".join(desc) or "none"))


def best_in_class(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, share: float = 0.5, *,
                  within: str = "universe", unrated: str = "exclude") -> ScreenResult:
    """Positive screen: keep holdings whose composite ranks in the top ``share`` of their peer group.

    Parameters
    ----------
    weights : Series or mapping
        Weights by ticker (``CASH`` is always kept).
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    share : float
        Share of each peer group kept, in (0, 1]: a name is kept when its rank among the rated names of its
        peer group is at most ``ceil(share x n_rated)``.
    within : {"universe", "holdings"}
        Rank against every rated company of the peer group (default: best in class among peers) or only
        against the rated holdings.
    unrated : {"exclude", "keep"}
        Holdings without a composite (and names outside the universe) are excluded by default.

    Returns
    -------
    ScreenResult
    """
    if not (isinstance(share, (int, float)) and 0 < float(share) <= 1):
        raise ConfigError(f"`share` must be in (0, 1], got {share!r}")
    if within not in ("universe", "holdings"):
        raise ConfigError(f"`within` must be 'universe' or 'holdings', got {within!r}")
    _check_unrated(unrated, ("exclude", "keep"))
    w = holdings_weights(weights)
    total = float(w.sum())
    pool = scores[scores["composite"].notna()]
    if within == "holdings":
        pool = pool[pool.index.isin(w.index)]
    rank = pool.groupby("peer_group")["composite"].rank(ascending=False, method="min")
    n = pool.groupby("peer_group")["composite"].transform("size")
    cut = np.ceil(float(share) * n)
    reasons: dict[str, str] = {}
    for t in w.index:
        if t == CASH:
            continue
        if t not in rank.index:
            if unrated == "exclude":
                reasons[t] = "not rated" if t in scores.index else "not in the universe (unrated)"
            continue
        if rank[t] > cut[t]:
            reasons[t] = (f"rank {int(rank[t])} of {int(n[t])} rated in {pool.at[t, 'peer_group']} "
                          f"(top {float(share):.0%} kept)")
    keep = pd.Series(~w.index.isin(list(reasons)), index=w.index)
    out = _renormalise(w, keep, total, "best-in-class screen")
    return ScreenResult(out, w, _excluded_frame(w, reasons),
                        f"best-in-class: top {float(share):.0%} per peer group (within {within}; unrated: {unrated})")


def score_tilt(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, strength: float = 1.0, *,
               method: str = "exp", unrated: str = "reduce", unrated_factor: float = 0.5) -> ScreenResult:
    """Tilt weights towards better scores: ``w_i x f(score_i)``, renormalised.

    Parameters
    ----------
    weights : Series or mapping
        Benchmark or portfolio weights by ticker (``CASH`` keeps its multiplier 1).
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    strength : float
        Tilt strength (>= 0; 0 returns the input weights).
    method : {"exp", "power"}
        ``exp``: ``f = exp(strength x z)`` with ``z = (c - mean) / std`` of the composite over the rated
        companies of ``scores`` (population std; z = 0 when fewer than two are rated or std is 0);
        ``power``: ``f = (c / mean)^strength``.
    unrated : {"reduce", "exclude", "neutral"}
        Holdings without a composite: multiplied by ``unrated_factor`` (default), dropped, or left at
        multiplier 1.
    unrated_factor : float
        Multiplier for unrated holdings under ``unrated="reduce"`` (0..1).

    Returns
    -------
    ScreenResult
        Weights sum to the input total; ``excluded`` lists names dropped (``unrated="exclude"``).
    """
    if not (np.isfinite(strength) and strength >= 0):
        raise ConfigError(f"`strength` must be a finite number >= 0, got {strength!r}")
    if method not in ("exp", "power"):
        raise ConfigError(f"`method` must be 'exp' or 'power', got {method!r}")
    _check_unrated(unrated, ("reduce", "exclude", "neutral"))
    if not 0 <= unrated_factor <= 1:
        raise ConfigError(f"`unrated_factor` must be in 0..1, got {unrated_factor!r}")
    w = holdings_weights(weights)
    total = float(w.sum())
    all_c = scores["composite"].to_numpy(dtype="float64")
    rated = all_c[~np.isnan(all_c)]
    c = scores["composite"].reindex(w.index).to_numpy(dtype="float64")
    mu = float(rated.mean()) if rated.size else np.nan
    sd = float(rated.std(ddof=0)) if rated.size >= 2 else 0.0
    with np.errstate(invalid="ignore"):
        if method == "exp":
            mult = np.exp(strength * (c - mu) / sd) if sd > 0 else np.where(np.isnan(c), np.nan, 1.0)
        else:
            mult = (np.clip(c, 1e-9, None) / mu) ** strength if mu > 0 else np.where(np.isnan(c), np.nan, 1.0)
    cash = np.asarray(w.index == CASH)
    is_unrated = np.isnan(c) & ~cash
    reasons: dict[str, str] = {}
    if unrated == "reduce":
        mult = np.where(is_unrated, unrated_factor, mult)
    elif unrated == "neutral":
        mult = np.where(is_unrated, 1.0, mult)
    else:
        mult = np.where(is_unrated, 0.0, mult)
        reasons = {t: "not rated" if t in scores.index else "not in the universe (unrated)"
                   for t in w.index[is_unrated]}
    mult = np.where(cash, 1.0, mult)
    tilted = w * mult
    keep = pd.Series(~is_unrated if unrated == "exclude" else np.ones(len(w), dtype=bool), index=w.index)
    out = _renormalise(tilted, keep, total, "score tilt")
    return ScreenResult(out, w, _excluded_frame(w, reasons),
                        f"score tilt: {method}, strength {strength:g} (unrated: {unrated}"
                        + (f" x{unrated_factor:g})" if unrated == "reduce" else ")"))


def apply_screens(weights: pd.Series | Mapping[str, float], scores: pd.DataFrame, *, min_rating: str | None = None,
                  exclude_flags: Iterable[str] = (), best_in_class_share: float | None = None,
                  tilt: float | None = None, unrated: str | None = None, tilt_method: str = "exp") -> ScreenResult:
    """Apply exclusion, then best-in-class, then a score tilt (each optional) and combine the results.

    Parameters
    ----------
    weights : Series or mapping
        Weights by ticker.
    scores : DataFrame
        :func:`esglib.scoring.score` output.
    min_rating, exclude_flags
        See :func:`exclusion_screen`.
    best_in_class_share : float, optional
        See :func:`best_in_class` (``share``).
    tilt : float, optional
        Tilt strength for :func:`score_tilt`.
    unrated : str, optional
        ``"keep"`` or ``"exclude"``: passed to every screen (tilt maps ``keep`` to ``reduce``). Default: each
        screen's own default.
    tilt_method : {"exp", "power"}

    Returns
    -------
    ScreenResult
        ``before`` is the input; ``excluded`` accumulates every removed name with the first reason.
    """
    if unrated is not None:
        _check_unrated(unrated, ("keep", "exclude"))
    w0 = holdings_weights(weights)
    w = w0
    excluded = []
    methods = []
    if min_rating is not None or any(f.strip() for f in exclude_flags):
        r = exclusion_screen(w, scores, min_rating=min_rating, exclude_flags=exclude_flags,
                             unrated=unrated or "keep")
        w, _ = r.weights, excluded.append(r.excluded)
        methods.append(r.method)
    if best_in_class_share is not None:
        r = best_in_class(w, scores, best_in_class_share, unrated=unrated or "exclude")
        w, _ = r.weights, excluded.append(r.excluded)
        methods.append(r.method)
    if tilt is not None:
        tu = {"keep": "reduce", "exclude": "exclude", None: "reduce"}[unrated]
        r = score_tilt(w, scores, tilt, method=tilt_method, unrated=tu)
        w, _ = r.weights, excluded.append(r.excluded)
        methods.append(r.method)
    ex = pd.concat(excluded, ignore_index=True) if excluded else _excluded_frame(w0, {})
    if len(ex):
        ex = ex.drop_duplicates("ticker", keep="first")
        ex["weight"] = ex["ticker"].map(w0)
    return ScreenResult(w, w0, ex.reset_index(drop=True), "; ".join(methods) or "no screen")
