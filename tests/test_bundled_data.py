"""The bundled data keeps its promises: cited, dated, quoted, searched (issue 11).

These tests read the shipped CSV files directly (as a user's spreadsheet would) and fail on the first row that
breaks a rule, naming it. ``ESGLIB_DATA_DIR`` may point them at another copy of the data.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import date
from pathlib import Path

import pytest

DATA = Path(os.environ.get("ESGLIB_DATA_DIR", Path(__file__).resolve().parents[1] / "data"))
AS_OF = date(2026, 12, 4)  # the data's as-of date (data/README.md)


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


DISCLOSURES = _rows("disclosures.csv")
COMPANIES = _rows("companies.csv")


def _where(i: int, r: dict[str, str]) -> str:
    return f"disclosures.csv row {i + 2} ({r['ticker']} {r['fiscal_year']} {r['metric']})"


#: thousands separators: always a comma, narrow/no-break space or apostrophe; a plain space only in a second reading
#: (tables print columns separated by spaces: "100 100 100" is three cells, "13 003.0" one number)
_SEP = re.compile(r"(?<=\d)[,\u00a0\u202f'](?=\d{3}(?!\d))")
_SEP_SPACE = re.compile(r"(?<=\d)[,\u00a0\u202f' ](?=\d{3}(?!\d))")


def _number_forms(text: str) -> set[str]:
    """Spellings of a printed number that a quote may contain (thousands separators dropped)."""
    t = _SEP_SPACE.sub("", text.strip()).lstrip("+")
    forms = {t}
    if "." in t:
        forms.add(t.rstrip("0").rstrip("."))
    return {f for f in forms if f}


def quote_contains(quote: str, reported_value: str) -> bool:
    """True when the quote shows the reported value, allowing thousands separators, units and trailing zeros."""
    rv = reported_value.strip()
    if re.search(r"\d[,.]\d{3}", rv) and rv in quote:  # printed with its separators, exactly as in the source
        return True
    return any(_contains(sep.sub("", quote), rv) for sep in (_SEP, _SEP_SPACE))


def _contains(q: str, reported_value: str) -> bool:
    for form in _number_forms(reported_value):
        for m in re.finditer(re.escape(form), q):
            before = q[m.start() - 1] if m.start() else ""
            after = q[m.end():m.end() + 2]
            # a whole number, not the inside of a longer one ("12" inside "2012" or "1.25")
            if before.isdigit() or (before == "." and form[0].isdigit()):
                continue
            if after[:1].isdigit() or (after[:1] == "." and after[1:2].isdigit() and "." not in form):
                # allow "1.2" quoted as "1.20"
                tail = re.match(r"\.?0*(?!\d)", q[m.end():])
                if not tail or not tail.group(0):
                    continue
            return True
    return False


@pytest.mark.parametrize(
    ("quote", "value", "ok"),
    [("consumed 29.83 million MWh", "29.83", True), ("| 5,793,823.7 | 5,739,723.7 |", "5,793,823.7", True),
     ("| 5,793,823.7 |", "5793823.7", True), ("revenue of 13 003.0 million", "13003.0", True),
     ("PUE of 1.10 in 2024", "1.1", True), ("in 2012 we", "12", False), ("PUE 1.25", "1.2", False),
     ("no number here", "7", False), ("scope 1 was 120,000 tCO2e", "120000", True),
     ("% of total energy 100 100 100", "100", True), ("net sales 383,285 394,328 365,817", "365,817", True),
     ("Revenue16,73616,569", "16,736", True), ("Revenue16,73616,569", "16736", False)],
)
def test_quote_rule_itself(quote, value, ok):
    assert quote_contains(quote, value) is ok


def test_every_row_cites_an_http_source():
    bad = [_where(i, r) for i, r in enumerate(DISCLOSURES) if not re.match(r"^https?://\S+$", r["source_url"].strip())]
    assert not bad, f"{len(bad)} rows without an http(s) source_url, e.g. {bad[:5]}"


def test_every_row_has_title_and_quote():
    bad = [_where(i, r) for i, r in enumerate(DISCLOSURES) if not r["source_title"].strip() or not r["quote"].strip()]
    assert not bad, f"{len(bad)} rows without source_title or quote, e.g. {bad[:5]}"


def test_nothing_published_after_the_as_of_date():
    bad = []
    for i, r in enumerate(DISCLOSURES):
        p = r.get("published_on", "").strip()
        if p and date.fromisoformat(p) > AS_OF:
            bad.append(f"{_where(i, r)}: published_on {p}")
    assert not bad, f"{len(bad)} rows published after {AS_OF}: {bad[:5]}"


def test_publication_dates_are_mostly_known():
    filled = sum(bool(r.get("published_on", "").strip()) for r in DISCLOSURES)
    assert filled / len(DISCLOSURES) >= 0.80, f"only {filled}/{len(DISCLOSURES)} rows carry published_on"


def test_quotes_contain_the_reported_value():
    bad = []
    for i, r in enumerate(DISCLOSURES):
        rv = (r.get("reported_value") or "").strip()
        if not rv:
            bad.append(f"{_where(i, r)}: no reported_value")
        elif not quote_contains(r["quote"], rv):
            bad.append(f"{_where(i, r)}: quote lacks {rv!r}")
    assert not bad, f"{len(bad)} rows whose quote does not show the reported value: {bad[:8]}"


def test_every_company_has_a_recorded_search_result():
    bad = []
    for r in COMPANIES:
        s = r.get("disclosure_search", "").strip()
        if s not in ("found", "none_found"):
            bad.append(f"{r['ticker']}: disclosure_search={s!r}")
        elif not r.get("search_note", "").strip():
            bad.append(f"{r['ticker']}: no search_note")
    assert not bad, f"companies without a recorded search result: {bad}"


def test_fx_rates_are_cited():
    fx = _rows("fx_rates.csv")
    assert fx, "fx_rates.csv is empty"
    for i, r in enumerate(fx):
        assert re.match(r"^https?://", r["source_url"]), f"fx_rates.csv row {i + 2}: no http(s) source_url"
        assert float(r["usd_per_unit"]) > 0, f"fx_rates.csv row {i + 2}: usd_per_unit must be > 0"


def test_restated_years_score_the_latest_edition():
    """Where editions of the same figure disagree, the scored figure is the newest edition's."""
    from esglib.inputs import load_companies, load_disclosures, select_figures

    companies = load_companies(DATA / "companies.csv")
    d = load_disclosures(DATA / "disclosures.csv", companies=companies)
    chosen = select_figures(d)
    key = ["ticker", "fiscal_year", "metric"]
    basis = d["basis"].fillna("").astype(str)
    cand = d.assign(_basis=basis)
    merged = chosen.assign(_basis=chosen["basis"].fillna("").astype(str)).merge(
        cand.groupby([*key, "_basis"])["report_edition"].max().rename("newest").reset_index(), on=[*key, "_basis"])
    stale = merged[merged["report_edition"] < merged["newest"]]
    assert stale.empty, "scored figures older than a later edition: " + "; ".join(
        f"{r.ticker} {r.fiscal_year} {r.metric}: edition {r.report_edition} scored, {r.newest} on file"
        for r in stale.itertuples())
    chains = merged[merged["n_candidates"] > 1]
    assert len(chains) > 0, "the bundled data should contain restatements (edition chains)"
