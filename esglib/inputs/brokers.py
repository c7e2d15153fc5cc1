"""Broker exports as downloaded: Fidelity, Schwab, Vanguard and Interactive Brokers positions files.

Brokers do not export a plain table. Each wraps its positions in its own furniture:

* **Fidelity** (``Portfolio_Positions_Mmm-DD-YYYY.csv``): header ``Account Number,Account Name,Symbol,
  Description,Quantity,Last Price,...,Current Value,...,Percent Of Account,...,Type``. Data rows carry one more
  (empty) field than the header. The core money-market fund is written ``SPAXX**``, and each account can end with
  a ``Pending Activity`` row. A blank line follows, then quoted disclaimer lines and a ``"Date downloaded ..."``
  footer.
* **Schwab** (``*-Positions-YYYY-MM-DD-*.csv``): a title line ``"Positions for account ... as of ..."`` and a
  blank (or all-empty) line sit above the header ``"Symbol","Description","Qty (Quantity)","Price",...,"Mkt Val
  (Market Value)",...,"% of Acct (% of Account)","Security Type"``. Older files say ``Quantity``/``Market
  Value``/``% Of Account``. The table ends with ``"Cash & Cash Investments"`` (``--`` in most fields) and
  ``"Account Total"``. The All-Accounts export repeats title and header for each account.
* **Vanguard** (``OfxDownload.csv``): a positions section ``Account Number,Investment Name,Symbol,Shares,Share
  Price,Total Value,`` (every line ends with a comma; blank lines separate accounts), then blank lines and a
  transactions section with its own header (``Account Number,Trade Date,Settlement Date,...``).
* **Interactive Brokers** activity statement: a multi-section CSV. Field 1 of every line names the section
  (``Statement``, ``Open Positions``, ``Trades``, ``Cash Report``, ...) and field 2 is a discriminator
  (``Header``, ``Data``, ``SubTotal``, ``Total``). Positions are the ``Open Positions`` ``Data``/``Summary``
  lines. Cash is read from the ``Cash Report`` ``Ending Cash`` line of each currency (the ``Base Currency
  Summary`` line is their total) and from ``Forex`` lines in Open Positions.

:func:`parse_broker_export` reads any of these, as text, into one row per position and keeps a record of every
line it skipped and why. :func:`detect_broker` names the format. :func:`parse_amount` reads one broker number:
``$1,234.56``, ``(1,234)``, ``+0.67%``, ``--``. The fixtures and the public sources of each layout are described
in ``tests/fixtures/brokers/README.md``.

Like every esglib boundary function, the parser takes data (text), never opens a file, never modifies its input,
and reports every problem at once as a :class:`~esglib.errors.DataValidationError`. Each problem names the file,
line, column, rule and value.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from esglib.errors import ConfigError, DataValidationError, Problem

__all__ = [
    "BROKERS",
    "SKIP_KINDS",
    "HOLDINGS_COLUMNS",
    "SkippedLine",
    "BrokerExport",
    "parse_amount",
    "detect_broker",
    "parse_broker_export",
]

#: Formats recognised by :func:`detect_broker` (``generic`` is a plain table with a header on some line).
BROKERS = ("fidelity", "schwab", "vanguard", "ibkr", "generic")
#: Why a line was skipped. ``title``: above the header (or a per-account title); ``blank``: empty;
#: ``disclaimer``: legal text; ``footer``: the download stamp; ``total``: a total or subtotal line;
#: ``pending``: pending activity, not a position; ``section``: a line of another section (transactions, trades,
#: NAV, codes...), or a repeated header; ``detail``: an IBKR per-lot line already counted in its summary line.
SKIP_KINDS = ("title", "blank", "disclaimer", "footer", "total", "pending", "section", "detail")
#: Columns of :attr:`BrokerExport.holdings`, in order.
HOLDINGS_COLUMNS = ("ticker", "symbol", "name", "quantity", "price", "market_value", "weight", "currency",
                    "account", "is_cash", "source_row")

_BROKER_NAMES = {"fidelity": "Fidelity", "schwab": "Schwab", "vanguard": "Vanguard",
                 "ibkr": "Interactive Brokers", "generic": "Holdings"}

#: Header spellings (lower case, stripped) per column. A header needs a ticker column and one amount column
#: (market value, weight or quantity). This is a superset of ``esglib.portfolio.HOLDINGS_ALIASES``.
_ALIASES: dict[str, tuple[str, ...]] = {
    "ticker": ("symbol", "ticker", "ticker symbol", "code", "security id", "instrument"),
    "name": ("description", "name", "investment name", "security name", "security description", "security",
             "company"),
    "quantity": ("quantity", "qty (quantity)", "qty", "shares", "units", "share quantity", "position"),
    "price": ("price", "last price", "share price", "close price", "current price"),
    "market_value": ("market value", "mkt val (market value)", "current value", "total value", "value",
                     "market_value", "market value ($)", "market value (usd)", "mkt val", "amount",
                     "market value usd", "market_value_usd", "value (usd)"),
    "weight": ("weight", "percent of account", "% of account", "% of acct (% of account)", "% of acct",
               "% of portfolio", "portfolio %", "weight (%)", "weight %", "allocation", "% weight",
               "pct of portfolio", "% of nav"),
    "account": ("account number", "account"),
    "security_type": ("security type", "asset type"),
    "currency": ("currency",),
}
_AMOUNT_KEYS = ("market_value", "weight", "quantity")

#: Symbols (upper case) that always denote cash; a symbol ending in ``**`` is a broker's core money-market fund.
_CASH_SYMBOLS = {"CASH", "USD", "$CASH", "CASH & CASH INVESTMENTS", "CASH AND CASH EQUIVALENTS",
                 "CASH & EQUIVALENTS", "MONEY MARKET", "MONEYMARKET", "CORE", "SWEEP", "CASH SWEEP", "FCASH",
                 "FUTURES CASH"}
_CASH_WORDS = re.compile(r"\b(cash|money[- ]market|sweep)\b", re.IGNORECASE)
_TICKER = re.compile(r"[A-Z][A-Z0-9.\-/]{0,9}")
_TOTAL = re.compile(r"^(account |portfolio |positions |grand |sub)?totals?:?$|^futures positions market value$",
                    re.IGNORECASE)
_PENDING = re.compile(r"^pending activity$", re.IGNORECASE)
_FOOTER = re.compile(r"^\s*date downloaded\b", re.IGNORECASE)
_MISSING = {"", "--", "-", "n/a", "na", "nan", "none", "null"}
_PLAIN = re.compile(r"^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
#: Weights may be off 100% by rounding (a broker rounds each line to 0.01%): tolerance in fraction units.
WEIGHT_TOLERANCE = 0.01


# ------------------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class SkippedLine:
    """One line of the export that is not a position.

    Attributes
    ----------
    line : int
        1-based line number in the text (the first line is 1).
    kind : str
        One of :data:`SKIP_KINDS`.
    text : str
        The line as written (cut to 120 characters).
    """

    line: int
    kind: str
    text: str


@dataclass(frozen=True)
class BrokerExport:
    """A broker export read into positions.

    Attributes
    ----------
    holdings : DataFrame
        One row per position, in file order (RangeIndex), columns :data:`HOLDINGS_COLUMNS`:

        - ``ticker`` (str): the symbol in upper case with a money-market ``**`` suffix removed; ``CASH`` for
          every cash or money-market line.
        - ``symbol`` (str): the symbol as written (``SPAXX**``, ``Cash & Cash Investments``).
        - ``name`` (str): the description (empty when the broker writes ``--``).
        - ``quantity``, ``price`` (float): shares and price per share; NaN when not given.
        - ``market_value`` (float): value in ``currency`` (USD for US broker exports). It is quantity x price
          when the file gives no value but both of those. NaN when unknown.
        - ``weight`` (float): the file's own weight as a **fraction** (``36.00%`` -> 0.36); NaN when the file
          has no weight column.
        - ``currency`` (str): ISO code when the file names it (IBKR), else ``USD``.
        - ``account`` (str): account number when the file has one, else empty.
        - ``is_cash`` (bool): cash, sweep and money-market lines.
        - ``source_row`` (int): 1-based line in the text.
    broker : str
        One of :data:`BROKERS`.
    skipped : tuple of SkippedLine
        Every line that is not a position, in file order.
    notes : tuple of str
        One-sentence notes for the user. The first names the broker and counts the skipped lines by kind.
    header_row : int or None
        1-based line of the (first) header; None for IBKR, whose header lines belong to sections.
    columns : tuple of (str, str)
        ``(column, header as written in the file)`` for each holdings column read from the file, e.g.
        ``("market_value", "Mkt Val (Market Value)")``, so a caller can name columns as the user sees them.
    concerns : tuple of str
        The notes (also in ``notes``) that point at a possible data problem and matter even for a plain table:
        weights that do not sum to 100%, values not in USD.
    """

    holdings: pd.DataFrame
    broker: str
    skipped: tuple[SkippedLine, ...]
    notes: tuple[str, ...]
    header_row: int | None = None
    columns: tuple[tuple[str, str], ...] = ()
    concerns: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Human name of the format (``Fidelity``, ``Interactive Brokers``, ``Holdings`` for generic)."""
        return _BROKER_NAMES[self.broker]


# ------------------------------------------------------------------------------------------------ numbers
def parse_amount(text: str) -> float:
    """Read one number as brokers write it.

    Parameters
    ----------
    text : str
        A cell, e.g. ``1234.5``, ``"$1,234.56"``, ``+$0.31``, ``-$12.00``, ``$-12.00``, ``(1,234.50)``,
        ``($1,234.50)``, ``1.2E3``, ``36.00%`` or ``+0.67%``.

    Returns
    -------
    float
        The value. Parentheses mean a negative amount (accounting style). A trailing ``%`` divides by 100, so
        ``"12.5%"`` is 0.125. Placeholders for "no value" (empty, ``--``, ``-``, ``n/a``, ``N/A``) are NaN.

    Raises
    ------
    ConfigError
        For text that is not one of these forms. Examples: ``1.234,5`` (European grouping), ``1,23`` (bad
        grouping), ``12 shares``, ``inf``.

    Examples
    --------
    >>> parse_amount("(1,234.50)")
    -1234.5
    >>> parse_amount("$-12.00")
    -12.0
    """
    s = str(text).strip()
    if s.lower() in _MISSING:
        return math.nan
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1].strip()
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    sign = ""
    if s[:1] in ("+", "-"):  # sign and currency symbol in either order: -$12, $-12, +$0.31
        sign, s = s[0], s[1:].strip()
    if s.startswith("$"):
        s = s[1:].strip()
    if not sign and s[:1] in ("+", "-"):
        sign, s = s[0], s[1:].strip()
    if s.startswith("(") and s.endswith(")") and not neg:  # $(1,234.50)
        neg, s = True, s[1:-1].strip()
    if _PLAIN.fullmatch(s):
        v = float(s)
    elif _GROUPED.fullmatch(s):
        v = float(s.replace(",", ""))
    else:
        raise ConfigError(f"not a number as brokers write them (e.g. 1234.5, $1,234.56, (1,234), 12.5%, --): "
                          f"{text!r}")
    if sign == "-":
        neg = not neg
    if pct:
        v /= 100.0
    return -v if neg else v


def _is_percent_cell(raw: str) -> bool:
    s = raw.strip().rstrip(")").strip()
    return s.endswith("%")


# ------------------------------------------------------------------------------------------------ records
def _records(text: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) per CSV record; quoted values may span lines. Fields are stripped."""
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a NUL byte: report on its line
            raise DataValidationError([Problem("<text>", end + 1, None, f"not a readable CSV line ({exc})")]) \
                from None
        out.append((end + 1, [c.strip() for c in row]))
        end = reader.line_num
    return out


def _is_blank(fields: Sequence[str]) -> bool:
    return all(c == "" for c in fields)


def _nonempty(fields: Sequence[str]) -> list[str]:
    return [c for c in fields if c != ""]


def _header_map(fields: Sequence[str]) -> dict[str, int]:
    """Canonical column -> index for a header row (first matching spelling wins, in alias order)."""
    low = [c.strip().lower() for c in fields]
    found: dict[str, int] = {}
    for key, options in _ALIASES.items():
        for opt in options:
            if opt in low:
                found[key] = low.index(opt)
                break
    return found


def _is_header(fields: Sequence[str]) -> bool:
    m = _header_map(fields)
    return "ticker" in m and any(k in m for k in _AMOUNT_KEYS)


# ------------------------------------------------------------------------------------------------ detect
def _is_ibkr(records: Sequence[tuple[int, list[str]]]) -> bool:
    for _, f in records[:400]:
        if len(_nonempty(f)) <= 1:  # blank or a free-text line (a title or disclaimer someone added)
            continue
        if len(f) >= 2 and f[1] in {"Header", "Data", "SubTotal", "Total", "Notes"}:
            if f[0] == "Statement" or (f[0].endswith("Open Positions") and f[1] == "Header"):
                return True
        else:
            return False
    return False


def _detect(records: Sequence[tuple[int, list[str]]]) -> tuple[str, int | None]:
    if _is_ibkr(records):
        return "ibkr", None
    for i, (_, f) in enumerate(records):
        if not _is_header(f):
            continue
        low = [c.lower() for c in f]
        if low[:5] == ["account number", "account name", "symbol", "description", "quantity"]:
            return "fidelity", i
        if low[:6] == ["account number", "investment name", "symbol", "shares", "share price", "total value"]:
            return "vanguard", i
        above = " ".join(" ".join(_nonempty(g)) for _, g in records[:i]).lower()
        if ("qty (quantity)" in low or "mkt val (market value)" in low or above.startswith("positions for")
                or ("security type" in low and "market value" in low and "symbol" == low[0])):
            return "schwab", i
        return "generic", i
    return "generic", None


def detect_broker(text: str) -> str:
    """Name the format of a holdings export.

    Parameters
    ----------
    text : str
        The whole file, decoded (a leading byte-order mark is ignored).

    Returns
    -------
    str
        ``fidelity``, ``schwab``, ``vanguard``, ``ibkr`` or ``generic`` (any other table with a ticker column).
        Detection reads the header row and the lines above it, never the file name.
    """
    return _detect(_records(str(text).lstrip("\ufeff")))[0]


# ------------------------------------------------------------------------------------------------ cash
def _is_cash(symbol: str, name: str, security_type: str = "", category: str = "") -> bool:
    s = symbol.strip().upper()
    if s in _CASH_SYMBOLS or s.endswith("**"):
        return True
    if category.strip().lower() in {"forex", "cash"}:
        return True
    if re.search(r"cash|money market", security_type, re.IGNORECASE):
        return True
    if not _CASH_WORDS.search(name) and not _CASH_WORDS.search(symbol):
        return False
    # a money-market fund (US fund symbols of five letters ending in XX) or a symbol that is not a ticker
    return s == "" or bool(re.fullmatch(r"[A-Z]{3}XX", s)) or not _TICKER.fullmatch(s)


# ------------------------------------------------------------------------------------------------ parsing
class _Builder:
    """Collects positions, skipped lines and problems while a parser walks the records."""

    def __init__(self, source: str, lines: list[str]):
        self.source = source
        self.lines = lines
        self.rows: list[dict] = []
        self.skipped: list[SkippedLine] = []
        self.problems: list[Problem] = []
        self.weight_cells: list[tuple[int, str, str, str]] = []  # (line, column, raw, account)
        self.columns: dict[str, str] = {}  # holdings column -> header as written

    def skip(self, line: int, kind: str) -> None:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        self.skipped.append(SkippedLine(line, kind, text[:120]))

    def amount(self, raw: str, line: int, column: str, kind: str = "market_value") -> float:
        if kind != "weight" and _is_percent_cell(raw):
            what = {"quantity": "a quantity", "price": "a price"}.get(kind, "a market value")
            self.problems.append(Problem(self.source, line, column, f"{what} cannot be a percentage", raw))
            return math.nan
        try:
            return parse_amount(raw)
        except ConfigError:
            self.problems.append(Problem(self.source, line, column,
                                         "is not a number as brokers write them (e.g. 1234.5, $1,234.56, "
                                         "(1,234), 12.5%, --)", raw))
            return math.nan

    def position(self, *, line: int, symbol: str, name: str, cash: bool, quantity: float, price: float,
                 market_value: float, weight: float, currency: str, account: str) -> None:
        if not math.isfinite(market_value) and math.isfinite(quantity) and math.isfinite(price):
            market_value = quantity * price
        ticker = "CASH" if cash else symbol.strip().upper().rstrip("*")
        self.rows.append({"ticker": ticker, "symbol": symbol, "name": name if name != "--" else "",
                          "quantity": quantity, "price": price, "market_value": market_value, "weight": weight,
                          "currency": currency or "USD", "account": account, "is_cash": bool(cash),
                          "source_row": int(line)})


def _cell(fields: Sequence[str], idx: int | None) -> str:
    if idx is None or idx >= len(fields):
        return ""
    return fields[idx]


def _single_text(fields: Sequence[str]) -> str | None:
    """Return the text of a line with exactly one non-empty field (title, disclaimer, footer), else None."""
    ne = _nonempty(fields)
    return ne[0] if len(ne) == 1 else None


def _parse_table(records: list[tuple[int, list[str]]], h: int, b: _Builder) -> None:
    """Fidelity, Schwab, Vanguard and generic tables: one header, data below, furniture around."""
    header = records[h][1]
    cols = _header_map(header)
    names = {k: header[i] for k, i in cols.items()}
    b.columns.update({k: v for k, v in names.items() if k in {"ticker", "name", *_AMOUNT_KEYS, "price"}})
    header_key = [c.lower() for c in _nonempty(header)]
    for line, f in records[:h]:
        b.skip(line, "blank" if _is_blank(f) else "title")
    in_other = False  # inside another section (Vanguard transactions) until our header comes back
    seen_data = after_gap = False
    for line, f in records[h + 1:]:
        if _is_blank(f):
            b.skip(line, "blank")
            after_gap = seen_data  # a blank line after positions: what follows is usually furniture
            continue
        if [c.lower() for c in _nonempty(f)] == header_key:
            in_other = False
            b.skip(line, "section")  # the header repeated (Schwab All-Accounts: one block per account)
            continue
        if in_other:
            b.skip(line, "section")
            continue
        if _is_header(f) or any(c.lower() in {"trade date", "settlement date", "run date"} for c in f):
            in_other = True
            b.skip(line, "section")
            continue
        single = _single_text(f)
        sym = _cell(f, cols.get("ticker"))
        name = _cell(f, cols.get("name"))
        in_name_column = (single is not None and cols.get("name", 0) > 0 and name == single and sym == ""
                          and seen_data and not after_gap)  # ",stray note," inside the table: refused below
        if single is not None and not in_name_column and (single != sym or not _TICKER.fullmatch(sym.upper())):
            if _FOOTER.match(single):
                b.skip(line, "footer")
            elif not seen_data or re.match(r"^positions for\b", single, re.IGNORECASE) or re.search(
                    r"\.\.\.\s*\d+\s*$|x{2,}-?\d+", single, re.IGNORECASE):
                b.skip(line, "title")  # per-account title (Schwab All-Accounts: "Individual ...123")
            else:
                b.skip(line, "disclaimer")
            continue
        if _TOTAL.fullmatch(sym) or (sym == "" and _TOTAL.fullmatch(name)):
            b.skip(line, "total")
            continue
        if _PENDING.fullmatch(sym) or (sym == "" and _PENDING.fullmatch(name)):
            b.skip(line, "pending")
            continue
        sec_type = _cell(f, cols.get("security_type"))
        cash = _is_cash(sym, name, sec_type)
        no_amount = all(_cell(f, cols.get(k)).lower() in _MISSING for k in _AMOUNT_KEYS if k in cols)
        if no_amount and not cash and sym and (not _TICKER.fullmatch(sym.upper())
                                               or (after_gap and not _TICKER.fullmatch(sym))):
            # free text split on its commas (an unquoted disclaimer): no ticker, no amount
            b.skip(line, "disclaimer" if seen_data else "title")
            continue
        if sym == "" and not cash:
            if no_amount and (after_gap or not seen_data):
                b.skip(line, "disclaimer" if seen_data else "title")
            elif no_amount:  # inside the table: a stray note is refused, not skipped (it may hide a position)
                b.problems.append(Problem(b.source, line, names["ticker"], "ticker is blank and the row has no "
                                          "amount", sym))
            else:
                b.problems.append(Problem(b.source, line, names["ticker"], "ticker is blank on a line with an "
                                          "amount (and the line is not a cash line)", sym))
            continue
        seen_data, after_gap = True, False
        vals = {k: b.amount(_cell(f, cols.get(k)), line, names[k], k) if k in cols else math.nan
                for k in ("quantity", "price", "market_value", "weight")}
        account = _cell(f, cols.get("account"))
        if "weight" in cols and _cell(f, cols["weight"]).lower() not in _MISSING:
            b.weight_cells.append((line, names["weight"], _cell(f, cols["weight"]), account))
        if not any(math.isfinite(vals[k]) for k in _AMOUNT_KEYS) and not cash:
            b.problems.append(Problem(b.source, line, ", ".join(names[k] for k in _AMOUNT_KEYS if k in names),
                                      "position has no market value, weight or quantity", sym))
            continue
        b.position(line=line, symbol=sym, name=name, cash=cash, quantity=vals["quantity"], price=vals["price"],
                   market_value=vals["market_value"], weight=vals["weight"],
                   currency=_cell(f, cols.get("currency")), account=account)


_IBKR_POSITIONS = re.compile(r"^(long |short )?open positions$", re.IGNORECASE)


def _parse_ibkr(records: list[tuple[int, list[str]]], b: _Builder) -> None:
    """Interactive Brokers activity statement: every line is ``section, discriminator, fields...``."""
    headers: dict[str, list[str]] = {}
    base = "USD"
    for _, f in records:
        if len(f) >= 4 and f[0] == "Account Information" and f[1] == "Data" and f[2] == "Base Currency":
            base = f[3] or base
    for line, f in records:
        if _is_blank(f):
            b.skip(line, "blank")
            continue
        if len(_nonempty(f)) <= 1:  # free text between sections: a title before any section, else a disclaimer
            b.skip(line, "disclaimer" if b.skipped and any(s.kind != "blank" for s in b.skipped) else "title")
            continue
        section, disc = f[0], f[1]
        body = f[2:]
        if disc == "Header":
            headers[section] = body
        if section in {"Statement", "Account Information"}:
            b.skip(line, "title")
            continue
        if section in {"Codes", "Notes/Legal Notes", "Disclosures"} or section.startswith("Notes"):
            b.skip(line, "disclaimer")
            continue
        if disc == "Header":
            b.skip(line, "section")  # a section's header; the Open Positions header included
            continue
        if disc in {"Total", "SubTotal"}:
            b.skip(line, "total" if (_IBKR_POSITIONS.match(section) or section == "Cash Report") else "section")
            continue
        head = headers.get(section)
        if disc != "Data" or head is None:
            b.skip(line, "section")
            continue
        low = [c.lower() for c in head]

        def col(name: str, row: Sequence[str] = body, low: list[str] = low) -> str:
            return row[low.index(name)].strip() if name in low and low.index(name) < len(row) else ""

        if _IBKR_POSITIONS.match(section):
            for k, c in (("ticker", "symbol"), ("quantity", "quantity"), ("price", "close price"),
                         ("market_value", "value"), ("weight", "% of nav")):
                if c in low:
                    b.columns.setdefault(k, head[low.index(c)])
            kind = col("datadiscriminator")
            if kind and kind != "Summary":
                b.skip(line, "detail")  # per-lot lines repeat their Summary line
                continue
            sym, cat, cur = col("symbol"), col("asset category"), col("currency")
            if _TOTAL.fullmatch(sym):
                b.skip(line, "total")
                continue
            cash = _is_cash(sym, "", category=cat)
            pos_col = {"quantity": "quantity", "price": "close price", "market_value": "value",
                       "weight": "% of nav"}
            vals = {k: b.amount(col(c), line, head[low.index(c)], k) if c in low else math.nan
                    for k, c in pos_col.items()}
            if math.isfinite(vals["weight"]) and not _is_percent_cell(col("% of nav")):
                vals["weight"] /= 100.0  # IBKR writes % of NAV without the sign
            if not (math.isfinite(vals["market_value"]) or math.isfinite(vals["quantity"])):
                b.problems.append(Problem(b.source, line, "Value", "position has no value or quantity", sym))
                continue
            b.position(line=line, symbol=sym, name=cat if cash else "", cash=cash, quantity=vals["quantity"],
                       price=vals["price"], market_value=vals["market_value"], weight=vals["weight"],
                       currency=cur or base, account="")
            continue
        if section == "Cash Report":
            what, cur = col("currency summary"), col("currency")
            if what != "Ending Cash":
                b.skip(line, "section")
                continue
            if cur.lower() == "base currency summary":
                b.skip(line, "total")  # the sum of the currency lines, in the base currency
                continue
            value = b.amount(col("total"), line, "Total")
            if not math.isfinite(value):
                b.skip(line, "section")
                continue
            b.position(line=line, symbol=cur, name=f"Ending cash ({cur})", cash=True, quantity=math.nan,
                       price=math.nan, market_value=value, weight=math.nan, currency=cur, account="")
            continue
        b.skip(line, "section")


def _check_weights(b: _Builder, frame: pd.DataFrame, basis_is_weight: bool) -> list[str]:
    """Refuse mixed percent/fraction weights; check each account's weights sum to 100%."""
    notes: list[str] = []
    cells = b.weight_cells
    if not cells:
        return notes
    pct = [c for c in cells if _is_percent_cell(c[2])]
    plain = [c for c in cells if not _is_percent_cell(c[2])]
    if pct and plain:
        first = cells[0]
        first_is_pct = _is_percent_cell(first[2])
        odd = plain if first_is_pct else pct
        how = ("percent" if first_is_pct else "a fraction or number")
        for line, column, raw, _ in odd:
            b.problems.append(Problem(
                b.source, line, column,
                f"weights mix percent and fraction notation: line {first[0]} writes {first[2]!r} ({how}) but this "
                "line does not; write every weight the same way (all with % or all as fractions)", raw))
        return notes
    if not pct:  # numbers without a % sign: percent points when any exceeds 1 or the column says so
        name = cells[0][1].lower()
        if "%" in name or "percent" in name or "pct" in name or frame["weight"].max() > 1.0 + 1e-9:
            frame["weight"] = frame["weight"] / 100.0
    w = frame.loc[frame["weight"].notna()]
    for account, grp in w.groupby("account", sort=False):
        total = float(grp["weight"].sum())
        where = f" in account {account}" if account else ""
        if abs(total - 1.0) <= WEIGHT_TOLERANCE:
            continue
        col = cells[0][1]
        if not math.isfinite(total * 100.0) and basis_is_weight:
            b.problems.append(Problem(
                b.source, None, col,
                f"weights{where} are too large to add up (their total overflows past the largest number a "
                "computer holds): check the column's units"))
        elif total > 1.0 + WEIGHT_TOLERANCE and basis_is_weight:
            b.problems.append(Problem(
                b.source, None, col,
                f"weights{where} sum to {total:.1%}, more than 100% of the portfolio; esglib does not rescale them "
                "silently: fix the file or give market values", f"{total:.4g}"))
        elif basis_is_weight:
            notes.append(f"Weights{where} sum to {total:.1%}, not 100%: the file lists only part of the portfolio; "
                         "esglib scales the listed holdings to 100%.")
        else:
            notes.append(f"The {col!r} column{where} sums to {total:.1%}, not 100%; esglib weighs holdings by "
                         "their market value, not by this column.")
    return notes


def _ranges(lines: Iterable[int]) -> str:
    xs = sorted(set(lines))
    parts: list[str] = []
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        parts.append(str(xs[i]) if i == j else f"{xs[i]}-{xs[j]}")
        i = j + 1
    return ", ".join(parts)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


_KIND_WORDS = {"title": ("title line", None), "pending": ("pending-activity line", None),
               "total": ("total line", None), "disclaimer": ("disclaimer/footer line", None),
               "section": ("line of other sections", "lines of other sections"),
               "detail": ("per-lot detail line", None)}


def _summary(label: str, holdings: pd.DataFrame, skipped: Sequence[SkippedLine]) -> str:
    by: dict[str, list[int]] = {}
    for s in skipped:
        key = "disclaimer" if s.kind == "footer" else s.kind
        by.setdefault(key, []).append(s.line)
    parts = []
    for kind in ("title", "pending", "total", "disclaimer", "detail", "section"):
        if kind in by:
            one, many = _KIND_WORDS[kind]
            parts.append(f"{_plural(len(by[kind]), one, many)} (line{'s' if len(by[kind]) > 1 else ''} "
                         f"{_ranges(by[kind])})")
    n_pos = int((~holdings["is_cash"]).sum()) if len(holdings) else 0
    n_cash = int(holdings["is_cash"].sum()) if len(holdings) else 0
    head = f"{label} export: read {_plural(n_pos, 'position')} and {_plural(n_cash, 'cash line')}"
    if not parts:
        return head + "."
    return head + "; skipped " + ", ".join(parts) + (", and blank lines." if "blank" in by else ".")


def parse_broker_export(text: str, *, source: str = "holdings") -> BrokerExport:
    """Read a broker's positions export, as downloaded, into one row per position.

    Parameters
    ----------
    text : str
        The whole file, decoded (UTF-8; a leading byte-order mark is ignored). Not modified.
    source : str
        Name of the file, used in notes and error messages.

    Returns
    -------
    BrokerExport
        ``holdings`` (one row per position and cash line, columns :data:`HOLDINGS_COLUMNS`), the ``broker``
        name, every ``skipped`` line with its kind, and ``notes``. The first note names the broker and counts
        the skipped lines by kind with their line numbers.

    Raises
    ------
    DataValidationError
        Every problem at once, each naming ``source``, line, column, rule and value:

        - no header row (no ticker column with a market value, weight or quantity column);
        - a cell that is not a number as brokers write them (``n/a`` and ``--`` are accepted as "none");
        - weights written in mixed notation (``30%`` on one line, ``0.25`` on another);
        - weights that sum to more than 100% when they are the only amount;
        - a position with no amount, or a line with an amount but no ticker that is not a cash line.

    Notes
    -----
    **What is skipped.** Lines above the header (title, account line, blank lines) and blank lines. Disclaimers
    and the ``Date downloaded`` footer. Total lines (``Account Total``, ``Total``, ``Positions Total``, IBKR
    ``Total``/``SubTotal``, and the ``Base Currency Summary`` cash line). Pending activity (``Pending
    Activity``). Lines of other sections (Vanguard's transactions, IBKR's trades, NAV, codes...) and IBKR
    per-lot lines. Each skip is recorded in ``skipped`` and counted in the first note.

    **Cash.** These lines have ``is_cash=True`` and ticker ``CASH``. They are never read as a stock:
    ``Cash & Cash Investments``, core money-market positions written with ``**`` (``SPAXX**``),
    money-market funds (description says money market and the symbol is ``???XX``), lines whose security type
    says cash or money market, IBKR ``Forex`` positions and the ``Ending Cash`` line of each currency.

    **Weights** are returned as fractions. Two checks apply:

    - *Mixed notation is refused.* ``30%`` on one line and ``0.25`` on another cannot be read safely. A
      number without a sign is read as percent points when the column name says percent (``% of NAV``) or any
      value exceeds 1.
    - *Sums are checked, never silently rescaled.* With rounding, a sum within 1 point of 100% is accepted.
      The rest follows the holdings loader's convention: refuse what cannot be right, and say out loud what is
      recoverable. So, when the weights are the only amount, a sum above 100% is refused (a long-only
      portfolio cannot hold 150% of itself; it is a double count or mixed scale). A sum below 100% gets a note
      (a partial list; the loader scales it to 100%). When market values are given, a sum off 100% only gets
      a note, because weights then come from the market values.
      The sums are checked per account when the file has an account column (Fidelity's ``Percent Of
      Account`` sums to 100% in each account).

    **Currencies.** IBKR values are in each line's ``currency``. A note lists any line not in USD; esglib does
    not convert currencies here.
    """
    if not isinstance(text, str):
        raise ConfigError(f"`text` must be the decoded file as str, got {type(text).__name__}")
    body = text[1:] if text.startswith("\ufeff") else text
    lines = [ln.rstrip("\r") for ln in body.split("\n")]
    try:
        records = _records(body)
    except DataValidationError as exc:
        raise DataValidationError([Problem(source, p.row, p.column, p.rule, p.value) for p in exc.problems]) \
            from None
    if not records or all(_is_blank(f) for _, f in records):
        raise DataValidationError([Problem(source, None, None, "file is empty (expected a header row and at "
                                                               "least one position)")])
    broker, h = _detect(records)
    b = _Builder(source, lines)
    if broker == "ibkr":
        _parse_ibkr(records, b)
        if not any(_IBKR_POSITIONS.match(f[0]) for _, f in records if f and len(f) > 1 and f[1] == "Header"):
            b.problems.append(Problem(source, None, None, "Interactive Brokers statement has no Open Positions "
                                                          "section"))
    elif h is None:
        first = next(f for _, f in records if not _is_blank(f))
        raise DataValidationError([Problem(
            source, None, None, "no header row found: expected a ticker column (Symbol/Ticker) and a market value, "
                                "weight or quantity column (Market Value/Current Value/Weight/Quantity/Shares)",
            ", ".join(first)[:120])])
    else:
        _parse_table(records, h, b)
    frame = pd.DataFrame(b.rows, columns=list(HOLDINGS_COLUMNS))
    for c in ("quantity", "price", "market_value", "weight"):
        frame[c] = frame[c].astype("float64")
    frame["is_cash"] = frame["is_cash"].astype(bool)
    frame["source_row"] = frame["source_row"].astype("int64")
    for c in ("ticker", "symbol", "name", "currency", "account"):
        frame[c] = frame[c].astype(object)
    basis_is_weight = bool(frame["weight"].notna().any()) and not bool(frame["market_value"].notna().any())
    notes = _check_weights(b, frame, basis_is_weight)
    if not b.problems and frame.empty:
        b.problems.append(Problem(source, None, None, "no positions found below the header (only totals, cash "
                                                      "headers or disclaimers)"))
    if b.problems:
        raise DataValidationError(b.problems)
    label = _BROKER_NAMES[broker]
    summary = _summary(label, frame, b.skipped)
    cash_rows = frame.loc[frame["is_cash"], "source_row"].tolist()
    out_notes = [summary]
    concerns: list[str] = []
    if cash_rows:
        out_notes.append(f"{_plural(len(cash_rows), 'cash/money-market line')} read as cash, not as a stock "
                         f"(line{'s' if len(cash_rows) > 1 else ''} {_ranges(cash_rows)}).")
    foreign = frame.loc[frame["currency"].astype(str).str.upper() != "USD"]
    if len(foreign):
        curs = ", ".join(sorted(set(foreign["currency"].astype(str))))
        concerns.append(f"{_plural(len(foreign), 'line')} in {curs} (lines {_ranges(foreign['source_row'])}): "
                        "values are in that currency, not converted to USD.")
    concerns.extend(notes)
    out_notes.extend(concerns)
    return BrokerExport(frame, broker, tuple(b.skipped), tuple(out_notes),
                        None if broker == "ibkr" else (records[h][0] if h is not None else None),
                        tuple(b.columns.items()), tuple(concerns))
