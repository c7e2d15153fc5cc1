"""Holdings files (broker exports or hand-written) and the one weights normaliser."""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError, DataValidationError, Problem
from esglib.inputs import Table, read_table
from esglib.inputs._readers import MAX_FILE_BYTES, XLSX_SUFFIXES
from esglib.inputs.brokers import BrokerExport, detect_broker, parse_broker_export
from esglib.vocabulary import CASH

__all__ = ['CASH', 'HOLDINGS_ALIASES', 'load_holdings', 'holdings_weights']


#: Ticker given to every cash line (all cash lines are merged into one row).

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
# ------------------------------------------------------------------------------------------------ broker exports
def _broker_export(path: str | os.PathLike[str]) -> BrokerExport | None:
    """The broker parser's reading of a CSV file, or None when the file is a plain table (read as before).

    Workbooks, missing, oversized and undecodable files return None: :func:`read_table` reports them. A plain
    table the parser cannot read also returns None (the loader's own checks name the problem), except for
    weight problems (mixed percent/fraction notation, weights summing above 100%), which are raised here.
    """
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() in XLSX_SUFFIXES | {".xls"} or not p.is_file() or p.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not text.strip():
        return None
    try:
        return parse_broker_export(text, source=str(path))
    except DataValidationError as exc:
        if detect_broker(text) != "generic" or any("weights" in pr.rule for pr in exc.problems):
            raise
        return None


def _export_table(export: BrokerExport, file: str) -> Table:
    """A :class:`~esglib.inputs.Table` of the export's positions, each row keeping its line in the file."""
    h, written = export.holdings, dict(export.columns)
    cols = {"symbol": h["symbol"].where(~h["is_cash"], CASH), "description": h["name"]}
    for name, c in (("market value", "market_value"), ("weight", "weight"), ("quantity", "quantity")):
        if h[c].notna().any():
            cols[name] = h[c].map(lambda v: "" if pd.isna(v) else repr(float(v)))
    frame = pd.DataFrame(cols).reset_index(drop=True).astype(str)
    spelled = {"symbol": "ticker", "description": "name", "market value": "market_value", "weight": "weight",
               "quantity": "quantity"}
    original = tuple(written.get(spelled[c], c) for c in frame.columns)
    return Table(frame, file, None, export.header_row or 1, original, tuple(int(r) for r in h["source_row"]))


def load_holdings(path: str | os.PathLike[str], companies: pd.DataFrame | None = None, *,
                  prices: Mapping[str, float] | pd.Series | Callable[[list[str]], pd.Series] | None = None,
                  sheet: str | None = None) -> pd.DataFrame:
    """Read a holdings file (CSV or XLSX) exported by a broker or written by hand.

    Broker exports load as downloaded: Fidelity, Schwab and Vanguard positions files and Interactive Brokers
    activity statements are read by :func:`esglib.inputs.brokers.parse_broker_export` (header found below
    title lines; footers, disclaimers, totals, pending activity and other sections skipped; cash and
    money-market lines recognised; ``$``, ``%`` and ``(1,234)`` parsed). One note names the broker and every
    skipped line.

    Parameters
    ----------
    path : path-like
        CSV (UTF-8, comma-separated) or XLSX (sheet ``Holdings`` if present, else the first). Headers are
        matched case-insensitively against :data:`HOLDINGS_ALIASES`: a ticker column (``Ticker``/``Symbol``)
        and at least one of market value (``Market Value``/``Value``/``Amount``), weight (``Weight``/
        ``% of portfolio``) or shares (``Shares``/``Quantity``). When several are present the market value
        wins, then the weight, then shares x price. Weights may be fractions or percentages, written one way
        throughout the file; weights that are the only amount and sum above 100% are refused, below 100% they
        are scaled to 100% with a note.
    companies : DataFrame
        The universe (:func:`esglib.inputs.load_companies`; required). A holding is *covered*
        when its ticker (or the universe's ``yahoo_ticker``) is in it.
    prices : mapping, Series or callable
        Prices per share (listing currency), used only for a shares column and then required (the library
        never fetches them). A mapping or Series is keyed by holding ticker. A callable is called once with the
        price tickers (the universe's ``yahoo_ticker``, else the ticker) and returns their latest closes as a
        Series; :func:`esglib.bundled.latest_prices` gives the bundled snapshot's. The Series' ``attrs``
        ``as_of`` and ``source``, when present, are reported.
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
        (every line merged into it, comma-separated). ``attrs`` carries ``file``, ``broker`` (``fidelity``,
        ``schwab``, ``vanguard``, ``ibkr`` or ``generic``), ``notes`` (the load summary and other notes, also
        warned), ``basis`` (``market_value``/``weight``/``shares``), ``not_covered`` ({ticker: weight}),
        ``total_value``.

    Warns
    -----
    UserWarning
        For tickers not in the universe (named, with their weight; they stay in the frame with
        ``covered=False``), for duplicate tickers (merged), for skipped "total" rows, and the broker's load
        summary (one note naming the broker and every skipped line).

    Raises
    ------
    DataValidationError
        Every problem at once, each naming file, row and column: missing ticker or amount column,
        non-numeric cells (``n/a``, ``12%`` in a shares column), negative holdings other than cash, a blank
        ticker without an amount, shares without a price, a total that is zero or negative, weights mixing
        percent and fraction notation (located at the first odd line), weights summing above 100%.
    ConfigError
        ``companies`` is not given, or the file has a shares column and ``prices`` is not given.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"`path` must be a file path (str or Path), got {type(path).__name__}")
    export = _broker_export(path)  # None for workbooks and for plain tables the loader reports itself
    use_export = export is not None and (export.broker != "generic" or bool(export.skipped))
    table = _export_table(export, str(path)) if use_export else read_table(path, sheet=sheet)
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
        raise ConfigError("`companies` is required: pass the universe (esglib.bundled.companies() gives the "
                          "bundled one)")
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
    # plain lists, read once: per-cell ``df.at`` lookups made a 200,000-line file take minutes
    col_text = {c: df[c].astype(str).tolist() for c in {tcol, acol, dcol, found.get("shares")} if c}
    for k, i in enumerate(df.index):
        cell = {c: v[k] for c, v in col_text.items()}
        sym = cell[tcol].strip()
        desc = cell[dcol].strip() if dcol else ""
        row = table.row_number(i)
        if _TOTAL_ROW.fullmatch(sym) or (sym == "" and _TOTAL_ROW.fullmatch(desc)):
            skipped_totals.append(row)
            continue
        cash = _is_cash(sym, desc)
        value, rule = _parse_cell(cell[acol], amount)
        if rule is not None:
            if sym == "" and cell[acol].strip() == "":
                problems.append(prob(i, tcol, "ticker is blank and the row has no amount", sym))
            else:
                problems.append(prob(i, acol, f"{amount.replace('_', ' ')} {rule}", cell[acol]))
            continue
        shares = np.nan
        if "shares" in found and amount != "shares":
            raw = cell[found["shares"]]
            if raw.strip() != "":
                v, r = _parse_cell(raw, "shares")
                if r is not None:
                    problems.append(prob(i, found["shares"], f"shares {r}", raw))
                    continue
                shares = v
        if value < 0 and not cash:
            problems.append(prob(i, acol, "negative holding (short positions are not supported; only a cash line "
                                          "may be negative, e.g. a margin balance)", cell[acol]))
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
    price_source = None
    if amount == "shares":
        sec = ~rec["is_cash"]
        tickers = sorted(set(rec.loc[sec, "ticker"]))
        if prices is None and tickers:
            raise ConfigError(f"{table.file}: a shares column needs `prices` to value it (a mapping by ticker, or "
                              "esglib.bundled.latest_prices for the bundled snapshot's latest close)")
        if prices is None:  # cash only: nothing to price
            px = pd.Series(dtype="float64")
        elif isinstance(prices, pd.Series):
            px = prices
        elif callable(prices):
            ytick = {t: str(uni.at[t, "yahoo_ticker"]) if t in uni.index else t for t in tickers}
            try:
                latest = prices(sorted(set(ytick.values()))) if tickers else pd.Series(dtype=float)
            except ConfigError as exc:  # e.g. listings in several currencies: say which file and rows
                rows = ", ".join(str(int(r)) for r in rec.loc[sec, "row"].head(20))
                raise DataValidationError([Problem(table.file, None, header.get(acol, acol),
                                                   f"cannot value these shares (rows {rows}): "
                                                   + str(exc).split(". esglib has no")[0].replace(
                                                       "refusing to mix", "they are priced in different")
                                                   + "; esglib has no exchange rates: give a Market Value or Weight "
                                                     "column in one currency instead")]) from None
            px = pd.Series({t: latest.get(y, np.nan) for t, y in ytick.items()}, dtype="float64")
            px.attrs.update(latest.attrs)
        else:
            px = pd.Series(dict(prices), dtype="float64")
        prices_as_of = px.attrs.get("as_of")
        price_source = px.attrs.get("source") or "given"
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
    if not np.isfinite(total):
        raise DataValidationError([Problem(table.file, None, header.get(acol, acol),
                                           f"holdings total is too large to compute (the {amount.replace('_', ' ')} "
                                           "column adds up past the largest number a computer holds): check the "
                                           "amounts' units")])
    if total <= 0:
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
    notes = list(export.notes if use_export else export.concerns) if export is not None else []
    for note in notes:
        warnings.warn(f"{table.file}: {note}", UserWarning, stacklevel=2)
    out.attrs.update({"broker": export.broker if export is not None else "generic", "notes": notes,
                      "file": table.file, "basis": amount, "prices_as_of": prices_as_of,
                      "not_covered": _FrozenDict({t: float(w) for t, w in not_cov["weight"].items()}),
                      "total_value": float(out["market_value"].sum()) if amount != "weight" else None})
    return out


class _FrozenDict(dict):
    """A read-only dict that pandas' ``attrs`` propagation shares instead of deep-copying.

    pandas deep-copies ``attrs`` after nearly every operation; a 28,000-entry ``not_covered`` map copied that
    way made screening a large holdings file quadratic.
    """

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_FrozenDict, (dict(self),))

    def _readonly(self, *args, **kwargs):
        raise TypeError("holdings.attrs['not_covered'] is read-only; copy it with dict(...) to change it")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]


def holdings_weights(holdings: pd.DataFrame | pd.Series | Mapping[str, float], *, long_only: bool = False
                     ) -> pd.Series:
    """Weights by ticker from a holdings frame, a Series or a mapping: esglib's one weights normaliser.

    Parameters
    ----------
    holdings : DataFrame, Series or mapping
        A frame with a ``weight`` column (else a ``market_value`` column, then weights are market value over
        the total), indexed by ticker or with a ``ticker`` column; or weights by ticker.

    long_only : bool
        Refuse a negative weight on anything but ``CASH``, as :func:`load_holdings` does (a holdings file, a
        scorecard); callers with their own rule (scenario weights) leave it off.

    Returns
    -------
    Series
        Float weights indexed by upper-case ``ticker`` (duplicates summed); a copy, not normalised unless they
        come from market values.

    Raises
    ------
    ConfigError
        If a weight is missing or not finite (never silently 0), or a frame has neither ``weight`` nor
        ``market_value``.
    """
    if isinstance(holdings, pd.DataFrame):
        if "weight" in holdings.columns:
            w = holdings["weight"]
        elif "market_value" in holdings.columns:
            mv = pd.to_numeric(holdings["market_value"], errors="coerce")
            w = mv / mv.sum() if mv.sum() > 0 else mv
        else:
            raise ConfigError("`holdings` frame needs a 'weight' column (the output of load_holdings)")
        if "ticker" in holdings.columns and holdings.index.name != "ticker":
            w = pd.Series(w.to_numpy(), index=holdings["ticker"].astype(str))
    elif isinstance(holdings, pd.Series):
        w = holdings
    elif isinstance(holdings, Mapping):
        w = pd.Series(dict(holdings))
    else:
        raise ConfigError(f"`holdings` must be a DataFrame (load_holdings), a Series or a mapping of weights by "
                          f"ticker, got {type(holdings).__name__}")
    w = pd.to_numeric(w, errors="coerce").astype("float64").copy()
    if not np.isfinite(w.to_numpy()).all():
        bad = w[~np.isfinite(w.to_numpy())]
        raise ConfigError(f"`holdings` weights must be finite numbers, got {dict(bad.head(5))}")
    w.index = pd.Index(w.index.astype(str).str.upper(), name="ticker")
    negative = w[(w < 0) & (w.index != CASH)] if long_only else w.iloc[:0]
    if len(negative):  # as load_holdings: short positions are not supported (a cash line may be negative)
        shown = {t: float(v) for t, v in negative.head(5).items()}
        raise ConfigError(f"`holdings` has negative weights {shown}: short positions are not supported (only a "
                          "CASH line may be negative, e.g. a margin balance)")
    if w.index.duplicated().any():
        w = w.groupby(level=0, sort=False).sum()
    return w
