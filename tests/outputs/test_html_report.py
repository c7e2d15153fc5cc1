"""esglib.outputs.html_report: the self-contained HTML report.

Structure (every section, every cited http(s) source as a link, nothing loaded from outside the file), escaping of
hostile text (names, quotes, formula-like strings, ``javascript:`` URLs), inputs not modified, the atomic write
that refuses to overwrite an input, and a real headless Chromium rendering (screenshot not blank, title in the DOM).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from esglib.errors import ConfigError
from esglib.outputs.html_report import SECTIONS, Footnotes, render_report, safe_link, write_report
from esglib.portfolio import load_holdings, portfolio_summary
from esglib.scoring import explain_many, score

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_portfolio.csv"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_FORMULA = '=HYPERLINK("http://evil.example/x","click")'
HOSTILE_URL = "javascript:alert(document.cookie)"


@pytest.fixture(scope="module")
def inputs(companies, disclosures):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        holdings = load_holdings(SAMPLE, companies)
    scores = score(disclosures, companies=companies)
    summary = portfolio_summary(holdings, scores, disclosures, companies=companies)
    universe = portfolio_summary(pd.Series(1.0, index=scores.index), scores, disclosures, companies=companies)
    explanations = explain_many([t for t in holdings.index if t in scores.index], disclosures, companies=companies)
    return holdings, scores, summary, universe, explanations


@pytest.fixture(scope="module")
def page(inputs):
    holdings, scores, summary, universe, explanations = inputs
    return render_report(holdings, scores, summary, explanations, universe=universe, holdings_name=SAMPLE.name)


@pytest.fixture(scope="module")
def hostile_page(inputs):
    holdings, scores, summary, universe, explanations = inputs
    h, s = holdings.copy(), scores.copy()
    h.loc["NVDA", "company"] = HOSTILE_NAME
    s.loc["MSFT", "company"] = HOSTILE_FORMULA
    h.loc["MSFT", "company"] = HOSTILE_FORMULA
    s.loc["GOOGL", "flags"] = "<b>bold</b> & flag"
    ex = {t: e.copy() for t, e in explanations.items()}
    e = ex["GOOGL"]
    first = e.index[e["value"].notna()][0]
    e.loc[first, "source"] = "<img src=x onerror=alert(1)> " + HOSTILE_FORMULA
    e.loc[first, "source_url"] = HOSTILE_URL
    return render_report(h, s, summary, ex, universe=universe, holdings_name="<i>mine</i>.csv",
                         notes=["a note with <tags> & 'quotes'"])


def _hrefs(text: str) -> set[str]:
    import html

    return {html.unescape(u) for u in re.findall(r'<a href="([^"]+)"', text)}


def test_every_section_is_present_once(page):
    for sid in SECTIONS:
        assert page.count(f'<section id="{sid}">') == 1, sid
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>AI-footprint report</title>" in page


def test_every_cited_source_url_is_a_link(page, inputs):
    explanations = inputs[4]
    urls = {u for ex in explanations.values() for cell in ex.loc[ex["value"].notna(), "source_url"]
            for u in str(cell).split(" | ") if u.startswith(("http://", "https://"))}
    assert len(urls) > 10
    missing = urls - _hrefs(page)
    assert not missing, f"{len(missing)} source URLs not linked, e.g. {sorted(missing)[:3]}"


def test_footnote_references_point_to_existing_sources(page):
    refs = set(re.findall(r'href="#src-(\d+)"', page))
    ids = set(re.findall(r'<li id="src-(\d+)"', page))
    assert refs and refs <= ids
    assert ids == {str(i) for i in range(1, len(ids) + 1)}  # numbered 1..N without gaps


def test_nothing_is_loaded_from_outside_the_file(page):
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    srcs = re.findall(r'\ssrc="([^"]*)"', page)
    assert srcs, "the heatmap images are missing"
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "@import" not in page and "url(" not in page


def test_profile_compares_with_the_unscreened_universe(page, inputs):
    summary, universe = inputs[2], inputs[3]
    profile = page.split('<section id="profile">')[1].split("</section>")[0]
    assert "unscreened universe" in profile
    assert f"{summary.composite:.1f}" in profile and f"{universe.composite:.1f}" in profile
    assert f"{summary.composite - universe.composite:+.1f}" in profile


def test_heatmap_separates_rated_and_unrated(page):
    heat = page.split('<section id="heatmap">')[1].split("</section>")[0]
    assert heat.index("Rated holdings") < heat.index("Unrated holdings")
    assert heat.count("<img") == 2
    assert "OKLO" in heat  # not in the universe: named, not drawn


def test_footprint_shows_coverage_and_basis(page, inputs):
    summary = inputs[2]
    fp = page.split('<section id="footprint">')[1].split("</section>")[0]
    assert "WACI" in fp and "Financed emissions" in fp
    assert f"{summary.waci:,.2f}" in fp and f"{summary.waci_coverage:.0%}" in fp
    assert "n/a" in fp  # no market caps: financed emissions not computed, never guessed


def test_hostile_text_is_escaped(hostile_page):
    p = hostile_page
    assert HOSTILE_NAME not in p and "&lt;script&gt;alert(1)&lt;/script&gt;" in p
    assert "<script" not in p.lower()
    assert "<img src=x" not in p and "&lt;img src=x onerror=alert(1)&gt;" in p
    assert "<b>bold</b>" not in p and "&lt;b&gt;bold&lt;/b&gt;" in p
    assert "<i>mine</i>" not in p and "<tags>" not in p
    assert '=HYPERLINK("' not in p and "=HYPERLINK(&quot;http://evil.example/x&quot;" in p
    hrefs = _hrefs(p)
    assert not any("evil.example" in h or h.lower().startswith("javascript") for h in hrefs)
    assert "javascript:alert(document.cookie)" in p  # shown as text, not as a link


@pytest.mark.parametrize(("url", "is_link"), [
    ("https://example.com/a?b=1&c=2", True), ("http://example.com", True), ("javascript:alert(1)", False),
    ("data:text/html,<b>x</b>", False), ("ftp://example.com/f", False), ("", False), (None, False),
    ("https://example.com/a b", False), ('https://example.com/"onmouseover="x', True),
])
def test_only_http_urls_become_links(url, is_link):
    out = safe_link(url)
    assert out.startswith("<a href=") is is_link
    assert "<b>" not in out and 'onmouseover="x' not in out


def test_footnotes_number_each_url_once():
    fn = Footnotes()
    assert fn.cite_many("A | B", "https://a | https://b") == [1, 2]
    assert fn.cite_many("A again", "https://a") == [1]
    assert fn.cite_many("only a title", "") == [3]
    assert fn.cite_many("X | Y | Z", "https://x | https://y") == [4, 5]  # mismatched counts keep every URL


def test_inputs_are_not_modified(inputs):
    holdings, scores, summary, universe, explanations = inputs
    before = (holdings.copy(), scores.copy(), summary.engagement.copy(), {t: e.copy() for t, e in explanations.items()})
    attrs = copy.deepcopy({t: e.attrs for t, e in explanations.items()})
    render_report(holdings, scores, summary, explanations, universe=universe)
    pd.testing.assert_frame_equal(holdings, before[0])
    pd.testing.assert_frame_equal(scores, before[1])
    pd.testing.assert_frame_equal(summary.engagement, before[2])
    for t, e in explanations.items():
        pd.testing.assert_frame_equal(e, before[3][t])
        assert e.attrs.keys() == attrs[t].keys()


def test_write_report_is_atomic_and_refuses_an_input(tmp_path, page):
    src = tmp_path / "holdings.csv"
    src.write_text("Symbol,Weight\nMSFT,1\n")
    out = write_report(page, tmp_path / "report.html", inputs=[src, None])
    assert out.read_text(encoding="utf-8") == page
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".esglib-tmp-")]
    with pytest.raises(ConfigError, match="one of the report's inputs"):
        write_report(page, src, inputs=[src])
    with pytest.raises(ConfigError, match="one of the report's inputs"):
        write_report(page, tmp_path / "." / "holdings.csv", inputs=[str(src)])
    assert src.read_text() == "Symbol,Weight\nMSFT,1\n"


# ------------------------------------------------------------------------------------------------ real browser
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.slow
def test_report_renders_in_headless_chromium(tmp_path, page):
    browser = _chromium()
    if browser is None:
        pytest.skip("headless browser test skipped: no chromium on PATH (Debian: apt-get install chromium)")
    target = write_report(page, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1600", "--hide-scrollbars"]
    run = subprocess.run([*common, f"--screenshot={shot}", target.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert shot.is_file(), f"chromium wrote no screenshot: {run.stderr[-2000:]}"
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1600, 1280)
    dark = (pixels < 128).mean()  # text, table borders, the headline bar
    print(f"screenshot {shot.stat().st_size} bytes, grey-level std {pixels.std():.1f}, dark share {dark:.3%}")
    assert pixels.std() > 10, "the screenshot is blank (uniform colour)"
    assert dark > 0.005
    dom = subprocess.run([*common, "--dump-dom", target.as_uri()], capture_output=True, text=True, timeout=120)
    assert "<title>AI-footprint report</title>" in dom.stdout
    assert "1. AI-footprint profile" in dom.stdout
    assert 'id="src-1"' in dom.stdout
