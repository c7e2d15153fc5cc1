"""The bundled-data scorecard rendered to PDF by LibreOffice prints as a readable document (issue 14).

Before the print setup the default PDF of this workbook was 418 portrait pages, the Summary split over 10 of them;
with it, 79 landscape pages (Summary 2, Weights 1, one per company, Methodology and Sources the rest).
Skipped, with the reason shown, where LibreOffice (``soffice``) or poppler (``pdfinfo``, ``pdftotext``,
``pdftoppm``) is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from esglib.outputs.excel import write_scorecard
from esglib.scoring import ScoreConfig, score

TOOLS = ("soffice", "pdfinfo", "pdftotext", "pdftoppm")
missing = [t for t in TOOLS if shutil.which(t) is None]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(missing), reason=f"PDF rendering needs {', '.join(missing)} (not installed)")]

TIMEOUT = 240  # seconds for LibreOffice; a cold start takes about 10 s


def _run(*args: str, timeout: float = 60) -> str:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=True).stdout


@pytest.fixture(scope="module")
def pdf(tmp_path_factory, disclosures, companies):
    folder = tmp_path_factory.mktemp("pdf")
    lenient = ScoreConfig(min_coverage=0.3, min_kpi_share=0.3)
    xlsx = write_scorecard(folder / "scorecard.xlsx", scores=score(disclosures, lenient, companies=companies),
                           disclosures=disclosures, companies=companies)
    profile = folder / "lo-profile"  # a private profile: no clash with another LibreOffice running
    try:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(folder), str(xlsx)],
                       capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice did not convert the scorecard within {TIMEOUT} s")
    out = folder / "scorecard.pdf"
    assert out.is_file(), "LibreOffice wrote no PDF"
    return out


def _pages(pdf) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", str(pdf)), re.M).group(1))


def _text(pdf, page: int) -> str:
    return _run("pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-")


def test_whole_pdf_is_far_below_the_418_pages_of_before(pdf, disclosures):
    n = _pages(pdf)
    n_companies = disclosures["ticker"].nunique()
    # Summary + Weights + a page or two per company + Methodology + Sources, not 418
    assert n <= 2 * n_companies + 20, n
    assert n < 418 / 3, n


def test_summary_is_one_page_wide_and_at_most_two_tall(pdf):
    pages = []
    for k in range(1, 6):
        text = _text(pdf, k)
        if text.lstrip().startswith("Weights"):
            break
        pages.append(text)
    assert 1 <= len(pages) <= 2, len(pages)
    first = pages[0]
    assert "esglib AI-footprint scorecard" in first
    # the last column (the has_circularity helper) is on the first page: the sheet is one page wide
    assert "circularity" in first and "GOOGL" in first
    # the header row repeats on the second page
    if len(pages) == 2:
        assert "rank" in pages[1] and "composite" in pages[1]


def test_pages_are_landscape(pdf):
    info = _run("pdfinfo", "-f", "1", "-l", "3", str(pdf))
    for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info):
        assert float(w) > float(h)


def test_first_page_is_not_blank(pdf, tmp_path):
    import numpy as np
    from PIL import Image

    _run("pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p"))
    png = next(tmp_path.glob("p*.png"))
    grey = np.asarray(Image.open(png).convert("L"))
    assert (grey < 200).mean() > 0.01  # text, headers and colour scales, not an empty page


def test_company_sheet_prints_with_its_chart_and_questions(pdf):
    n = _pages(pdf)
    text = "\n".join(_text(pdf, k) for k in range(2, min(n, 8) + 1))
    assert "Alphabet (Google) (GOOGL)" in text
    assert "pillar scores vs" in text  # the chart is printed
    assert "Will you publish" in text  # the engagement questions are printed
