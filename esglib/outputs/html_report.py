"""One self-contained HTML report of a portfolio's AI footprint (``esglib report``).

:func:`render_report` is a pure function: it takes frames and results that were already computed (holdings with
their weights, the scores, the :class:`~esglib.portfolio.PortfolioSummary` of the holdings and, optionally, of the
unscreened universe, and the per-company explanations) and returns one HTML string. Everything the page needs is
inside it: CSS in a ``<style>`` element, charts as base64 PNG ``data:`` URIs. The only URLs are the plain
``<a href>`` links to the cited sources, and only ``http``/``https`` URLs become links.

Tables are rendered with :class:`pandas.io.formats.style.Styler` (``escape="html"``): every text that comes from
data (company names, flags, questions, source titles, URLs) is HTML-escaped. :func:`write_report` writes the page
atomically and refuses to overwrite one of the report's inputs.
"""

from __future__ import annotations

import base64
import html
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from esglib.atomicio import atomic_write_text
from esglib.errors import ConfigError
from esglib.outputs import plots
from esglib.vocabulary import PILLARS

__all__ = ["render_report", "write_report", "Footnotes", "SECTIONS", "safe_link"]

#: Section ids of the report, in page order (tests and the app check these).
SECTIONS: tuple[str, ...] = ("profile", "holdings", "heatmap", "footprint", "engagement", "evidence", "sources")

_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;margin:2rem auto;max-width:72rem;
color:#1d2a33;padding:0 1rem;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:2px solid #2e7d5b;padding-bottom:.2rem;
margin-top:2.2rem}h3{font-size:1.05rem}
.meta{color:#55636d;font-size:.9rem}.note{color:#55636d;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}
th,td{border:1px solid #d5dde2;padding:.25rem .5rem;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef3f1;text-align:left}td{font-variant-numeric:tabular-nums}
.better{color:#1b6e43;font-weight:600}.worse{color:#a1342c;font-weight:600}
img{max-width:100%;height:auto;border:1px solid #e3e8eb}
ol.sources li{margin-bottom:.3rem;word-break:break-all}
.headline{background:#f3f8f5;border-left:4px solid #2e7d5b;padding:.6rem 1rem;margin:1rem 0}
"""


def safe_link(url: Any, text: Any | None = None) -> str:
    """Return an ``<a href>`` for an ``http``/``https`` URL, else the escaped text alone (never a link).

    Parameters
    ----------
    url : str
        Candidate URL (any other scheme, e.g. ``javascript:``, is shown as text).
    text : str, optional
        Link text (default: the URL).
    """
    u = "" if url is None or (isinstance(url, float) and pd.isna(url)) else str(url).strip()
    shown = html.escape(str(text if text is not None else u))
    if u.lower().startswith(("http://", "https://")) and not any(c in u for c in "\r\n\t "):
        return f'<a href="{html.escape(u, quote=True)}" rel="noopener noreferrer">{shown}</a>'
    return shown


@dataclass
class Footnotes:
    """Numbered source footnotes: one number per distinct URL (or, without a URL, per title)."""

    entries: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    _index: dict[str, int] = field(default_factory=dict)

    def cite(self, title: str, url: str) -> int:
        """Return the footnote number of a source, adding it on first use."""
        key = url.strip() or f"title:{title.strip()}"
        if key not in self._index:
            self.entries.append((title.strip(), url.strip()))
            self._index[key] = len(self.entries)
        return self._index[key]

    def cite_many(self, titles: str, urls: str) -> list[int]:
        """Cite the ``" | "``-joined sources of one explanation row; return their numbers."""
        t = [x for x in str(titles or "").split(" | ") if x]
        u = [x for x in str(urls or "").split(" | ") if x]
        if not u:
            return [self.cite(x, "") for x in t]
        if len(t) != len(u):  # titles and URLs were de-duplicated separately: keep every URL, titles joined
            t = [" | ".join(t)] * len(u)
        return [self.cite(a, b) for a, b in zip(t, u, strict=True)]

    def to_html(self) -> str:
        """Render the ordered list of sources; each item has ``id="src-N"`` so ``[N]`` references can jump to it."""
        items = []
        for i, (title, url) in enumerate(self.entries, 1):
            link = safe_link(url) if url else "(no URL on file)"
            items.append(f'<li id="src-{i}">{html.escape(title)}<br>{link}</li>')
        return '<ol class="sources">' + "".join(items) + "</ol>"


def _esc(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else html.escape(str(v))


def _table(df: pd.DataFrame, formats: Mapping[str, Any] | None = None, raw: Iterable[str] = (),
           caption: str | None = None, index: bool = True) -> str:
    """Render ``df`` with pandas' Styler: every cell and label HTML-escaped except the ``raw`` columns.

    ``raw`` columns hold markup this module built itself from escaped parts (footnote references).
    """
    raw = [c for c in raw if c in df.columns]
    escaped = [c for c in df.columns if c not in raw]
    st = df.style
    fmt = dict(formats or {})
    for c in escaped:
        f = fmt.get(c)
        st = st.format(f if f is not None else (lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                                                 else str(v)),
                       subset=[c], escape="html", na_rep="n/a" if f is not None else "")
    for c in raw:
        st = st.format(lambda v: "" if v is None else str(v), subset=[c])
    st = st.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    if caption:
        st = st.set_caption(html.escape(caption))
    if not index:
        st = st.hide(axis="index")
    elif df.index.name is not None:  # one header row, the index name as the corner label
        st = st.hide(axis="index", names=True)
    return st.to_html(doctype_html=False)


def _png(ax) -> str:
    """Save a chart through :func:`esglib.outputs.plots.save` and return it as a base64 ``data:`` URI."""
    with tempfile.TemporaryDirectory(prefix="esglib-report-") as tmp:
        path = plots.save(ax, Path(tmp) / "chart.png", dpi=110)
        data = path.read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{html.escape(alt, quote=True)}">'


def _profile(summary, universe) -> str:
    rows = []
    for name in ("composite", *PILLARS):
        mine = summary.composite if name == "composite" else summary.pillars.get(name, float("nan"))
        base = (universe.composite if name == "composite" else universe.pillars.get(name, float("nan"))) \
            if universe is not None else float("nan")
        rows.append({"figure": name, "portfolio": mine, "unscreened universe": base, "difference": mine - base})
    df = pd.DataFrame(rows).set_index("figure")
    num = "{:.1f}".format
    cap = ("Weighted pillar scores (0-100, higher is better) of the holdings, against the unscreened universe "
           "(every scored company, equal weight)")
    tbl = _table(df, {"portfolio": num, "unscreened universe": num, "difference": "{:+.1f}".format}, caption=cap)
    base_rating = universe.rating if universe is not None else "n/a"
    diff = summary.composite - universe.composite if universe is not None else float("nan")
    verdict = ("" if pd.isna(diff) else f" ({'above' if diff > 0 else 'below' if diff < 0 else 'level with'} "
               f"the unscreened universe by {abs(diff):.1f} points)")
    head = (f'<p class="headline">Portfolio composite <b>{_fmt(summary.composite, "{:.1f}")}</b>, rating '
            f"<b>{_esc(summary.rating)}</b>{_esc(verdict)}; unscreened universe "
            f"{_fmt(universe.composite if universe else None, '{:.1f}')}"
            f" ({_esc(base_rating)}). Scores cover {summary.score_coverage:.0%} of the portfolio's weight.</p>")
    return head + tbl


def _fmt(v, spec: str) -> str:
    return "n/a" if v is None or pd.isna(v) else html.escape(spec.format(v))


def _holdings_table(holdings: pd.DataFrame, scores: pd.DataFrame) -> str:
    h = holdings.copy()
    cols = ["company", "peer_group", "weight"]
    df = h[[c for c in cols if c in h.columns]].copy()
    known = [t for t in df.index if t in scores.index]
    for c in ("rating", "composite", *PILLARS, "coverage", "flags"):
        df[c] = scores[c].reindex(df.index) if c in scores.columns else None
    if "is_cash" in h.columns:
        df.loc[h["is_cash"].fillna(False).astype(bool), "rating"] = "cash"
    df["flags"] = df["flags"].map(lambda v: v.replace("; ", ", ") if isinstance(v, str) else v)
    df["rating"] = df["rating"].where(df["rating"].notna(), "not covered")
    df.loc[[t for t in known if pd.isna(scores.at[t, "composite"])], "rating"] = "NR (withheld)"
    df = df.sort_values("weight", ascending=False)
    df.index.name = "ticker"
    f1 = "{:.1f}".format
    formats = {"weight": "{:.1%}".format, "composite": f1, "coverage": "{:.0%}".format, **{p: f1 for p in PILLARS}}
    return _table(df, formats, caption="Holdings by weight, with rating, composite and pillar scores (0-100)")


def _heatmaps(holdings: pd.DataFrame, scores: pd.DataFrame) -> str:
    held = [t for t in holdings.index if t in scores.index]
    sub = scores.loc[held]
    rated, unrated = sub[sub["composite"].notna()], sub[sub["composite"].isna()]
    out = []
    if len(rated):
        ax = plots.pillar_heatmap(rated, source="Source: the cited figures listed under Evidence and Sources")
        ax.set_title("Rated holdings: pillar scores (0-100; see docs/methodology.md)")
        out.append("<h3>Rated holdings</h3>" + _img(_png(ax), "pillar heatmap of the rated holdings"))
    if len(unrated):
        ax = plots.pillar_heatmap(unrated, source="Source: the cited figures listed under Evidence and Sources")
        ax.set_title("Unrated holdings (composite withheld: too little disclosed)")
        out.append("<h3>Unrated holdings (composite withheld)</h3>"
                   + _img(_png(ax), "pillar heatmap of the unrated holdings"))
    missing = [t for t in holdings.index if t not in scores.index]
    if missing:
        out.append('<p class="note">Not in the scored universe (no scores, not drawn): '
                   f'{_esc(", ".join(missing))}.</p>')
    return "".join(out) or '<p class="note">No holding is in the scored universe.</p>'


def _footprint(summary) -> str:
    rows = [("WACI (weighted average carbon intensity)", summary.waci, "tCO2e / USD m revenue", summary.waci_coverage),
            ("Financed emissions (PCAF attribution)", summary.financed_emissions, "tCO2e",
             summary.footprint_coverage),
            ("Carbon footprint", summary.carbon_footprint, "tCO2e / USD m invested", summary.footprint_coverage),
            ("Electricity intensity", summary.electricity_intensity, "MWh / USD m revenue",
             summary.electricity_coverage),
            ("Water intensity", summary.water_intensity, "m3 / USD m revenue", summary.water_coverage)]
    df = pd.DataFrame(rows, columns=["figure", "value", "unit", "coverage (share of weight)"]).set_index("figure")
    tbl = _table(df, {"value": "{:,.2f}".format, "coverage (share of weight)": "{:.0%}".format},
                 caption="Carbon and resource footprint of the holdings; coverage is the share of portfolio "
                         "weight with the data behind each figure")
    return tbl + f'<p class="note">Financed-emissions basis: {_esc(summary.footprint_basis)}</p>'


def _engagement(summary, limit: int = 60) -> str:
    q = summary.engagement
    if q is None or not len(q):
        return '<p class="note">No engagement questions: every core figure is disclosed and current.</p>'
    df = q[["ticker", "company", "weight", "question"]].head(limit).copy()
    note = f'<p class="note">{len(q)} questions in all; the first {limit} shown, largest holdings first.</p>' \
        if len(q) > limit else ""
    return _table(df, {"weight": "{:.1%}".format}, index=False,
                  caption="What to ask each company: missing or stale core figures, largest holdings first") + note


def _evidence(explanations: Mapping[str, pd.DataFrame], notes: Footnotes) -> str:
    rows = []
    for t, ex in explanations.items():
        for _, r in ex.iterrows():
            if pd.isna(r.get("value")) or r.get("metric") == "disclosure_completeness":
                continue
            nums = notes.cite_many(r.get("source", ""), r.get("source_url", ""))
            refs = " ".join(f'<a href="#src-{n}">[{n}]</a>' for n in nums)
            fy = r.get("fiscal_year")
            rows.append({"ticker": t, "pillar": r["pillar"], "metric": r["metric"], "value": r["value"],
                         "unit": r["unit"], "fiscal year": "" if fy is None or pd.isna(fy) else str(int(fy)),
                         "score": r.get("metric_score"), "sources": refs})
    if not rows:
        return '<p class="note">No cited figure behind these holdings.</p>'
    df = pd.DataFrame(rows)
    return _table(df, {"value": "{:,.4g}".format, "score": "{:.1f}".format}, raw=["sources"], index=False,
                  caption="Every disclosed figure behind the holdings' scores, with its numbered source")


def render_report(holdings: pd.DataFrame, scores: pd.DataFrame, summary, explanations: Mapping[str, pd.DataFrame],
                  *, universe=None, title: str = "AI-footprint report", holdings_name: str = "",
                  as_of: Any = None, generated: datetime | None = None, notes: Iterable[str] = ()) -> str:
    """Build the self-contained HTML report of one portfolio.

    Parameters
    ----------
    holdings : DataFrame
        :func:`esglib.portfolio.load_holdings` output (index ticker; ``company``, ``peer_group``, ``weight``,
        ``is_cash``).
    scores : DataFrame
        :func:`esglib.scoring.score` output for the universe (index ticker).
    summary : PortfolioSummary
        :func:`esglib.portfolio.portfolio_summary` of the holdings.
    explanations : mapping of str to DataFrame
        ``{ticker: explain(...)}`` for the covered holdings (:func:`esglib.scoring.explain_many`); their
        ``source``/``source_url`` columns become the numbered footnotes.
    universe : PortfolioSummary, optional
        The unscreened universe's summary (equal weight of every scored company), the profile's comparison.
    title : str
        Page title and heading.
    holdings_name : str
        How the holdings file is named in the header (e.g. its file name).
    as_of : date-like, optional
        Point in time of the scores, shown in the header.
    generated : datetime, optional
        Timestamp shown in the header (default: now, UTC).
    notes : iterable of str
        Extra one-line notes (e.g. from loading the holdings), shown under the header.

    Returns
    -------
    str
        The whole HTML document. Inputs are not modified.
    """
    fn = Footnotes()
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    basis = f"figures public on {pd.Timestamp(as_of).date()}" if as_of is not None else "latest figures on file"
    meta = (f"Holdings: {holdings_name or 'portfolio'} · {summary.n_holdings} lines · value "
            f"{summary.portfolio_value:,.0f} · scores from {basis} · generated {when} by esglib")
    all_notes = [*summary.notes, *notes]
    notes_html = "".join(f'<p class="note">Note: {_esc(n)}</p>' for n in all_notes)
    evidence = _evidence(explanations, fn)  # numbers the footnotes in table order
    body = [
        f"<h1>{html.escape(title)}</h1>", f'<p class="meta">{html.escape(meta)}</p>', notes_html,
        '<section id="profile"><h2>1. AI-footprint profile</h2>', _profile(summary, universe),
        '<p class="note">Scores come from cited company disclosures: intensities ranked within peer groups of at '
        'least 5 disclosers, other KPIs against cited reference points; see Evidence and '
        'Sources for every figure.</p></section>',
        '<section id="holdings"><h2>2. Holdings and ratings</h2>', _holdings_table(holdings, scores), "</section>",
        '<section id="heatmap"><h2>3. Pillar heatmap</h2>', _heatmaps(holdings, scores), "</section>",
        '<section id="footprint"><h2>4. WACI and financed emissions</h2>', _footprint(summary), "</section>",
        '<section id="engagement"><h2>5. Engagement list</h2>', _engagement(summary), "</section>",
        '<section id="evidence"><h2>6. Evidence: the figures behind the scores</h2>', evidence, "</section>",
        '<section id="sources"><h2>7. Sources</h2>', fn.to_html(), "</section>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body>" + "".join(body) + "</body></html>\n")


def write_report(text: str, out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = ()
                 ) -> Path:
    """Write the report atomically; refuse to overwrite one of its inputs.

    Parameters
    ----------
    text : str
        :func:`render_report` output.
    out : path-like
        Target file.
    inputs : iterable of path-like
        The files the report was built from (``None`` entries are ignored).

    Raises
    ------
    ConfigError
        ``out`` is one of ``inputs``.
    """
    target = Path(out)
    for p in inputs:
        if p is None:
            continue
        src = Path(p)
        same = src.resolve() == target.resolve() or (src.exists() and target.exists() and os.path.samefile(src, target))
        if same:
            raise ConfigError(f"`--out` {str(out)!r} is one of the report's inputs; choose another file name")
    return atomic_write_text(target, text)
