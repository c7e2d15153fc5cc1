"""esglib.app.webapp: the interactive screen.

The computation (:func:`screen_view`) is tested on frames; the served page is tested in a real headless Chromium
(selenium + chromedriver): the server starts in a subprocess on a free 127.0.0.1 port (bounded wait), the test
moves the energy-weight slider with the keyboard and picks a minimum rating, and sees the table change. The
server is always terminated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pandas as pd
import pytest

from esglib.app.webapp import TABLE_COLUMNS, all_flags, free_port, screen_view
from esglib.errors import ConfigError
from esglib.portfolio import load_holdings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_portfolio.csv"


@pytest.fixture(scope="module")
def holdings(companies):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_holdings(SAMPLE, companies)


def test_screen_view_without_a_screen_keeps_every_holding(holdings, disclosures, companies):
    v = screen_view(holdings, disclosures, companies)
    assert tuple(v.table.columns) == TABLE_COLUMNS
    assert set(v.table.index) == set(holdings.index)
    assert v.excluded == 0 and v.kept == len(holdings)
    pd.testing.assert_series_equal(v.table["weight_before"], v.table["weight_after"], check_names=False)
    assert v.table["weight_before"].is_monotonic_decreasing
    assert v.table.at["CASH", "rating"] == "cash" and v.table.at["OKLO", "rating"] == "not covered"
    assert "17 holdings kept, 0 excluded" in v.headline()


def test_min_rating_excludes_and_renormalises(holdings, disclosures, companies):
    v = screen_view(holdings, disclosures, companies, min_rating="A")
    t = v.table
    assert v.excluded > 0
    assert (t.loc[t["reason"] != "", "weight_after"] == 0).all()
    assert t["weight_after"].sum() == pytest.approx(t["weight_before"].sum())
    below = t[t["rating"].isin(["BBB", "BB", "B", "CCC"])]
    assert len(below) and below["reason"].str.contains("below A").all() and (below["weight_after"] == 0).all()
    strict = screen_view(holdings, disclosures, companies, min_rating="A", unrated="exclude")
    assert strict.excluded > v.excluded


def test_weights_change_the_composite_monotonically(holdings, disclosures, companies):
    base = screen_view(holdings, disclosures, companies)
    heavy = screen_view(holdings, disclosures, companies,
                        weights={"energy": 1.0, "water": 0, "procurement": 0, "circularity": 0, "disclosure": 0})
    both = base.table["composite"].notna() & heavy.table["composite"].notna()
    assert both.any()
    # all weight on energy: the composite is the energy score
    pd.testing.assert_series_equal(heavy.table.loc[both, "composite"], heavy.table.loc[both, "energy"],
                                   check_names=False)
    assert not base.table.loc[both, "composite"].equals(heavy.table.loc[both, "composite"])


def test_zero_weights_and_empty_screens_are_user_errors(holdings, disclosures, companies):
    with pytest.raises(ConfigError, match="at least one pillar weight"):
        screen_view(holdings, disclosures, companies, weights=dict.fromkeys(TABLE_COLUMNS[3:8], 0.0))
    flags = all_flags(disclosures, companies)
    assert "composite_withheld_coverage_below_0.5" in flags and flags == sorted(flags) and len(flags) > 3


def test_inputs_are_not_modified(holdings, disclosures, companies):
    h, d = holdings.copy(), disclosures.copy()
    screen_view(holdings, disclosures, companies, min_rating="A", exclude_flags=["certificate_reliance"])
    pd.testing.assert_frame_equal(holdings, h)
    pd.testing.assert_frame_equal(disclosures, d)


def test_an_uploaded_file_loads_like_a_path(holdings, companies):
    from esglib.app.webapp import _load_upload

    h, notes = _load_upload(SAMPLE.read_bytes(), "my broker export.csv", companies)
    pd.testing.assert_series_equal(h["weight"], holdings["weight"])
    assert notes and all("my broker export.csv" in n for n in notes)  # the user's file name, not a temp path
    with pytest.raises(ConfigError, match="CSV or XLSX"):
        _load_upload(b"x", "holdings.pdf", companies)


# ------------------------------------------------------------------------------------------------ real browser
def _browser_or_skip() -> tuple[str, str]:
    pytest.importorskip("panel", reason="app browser test skipped: panel is not installed (pip install esglib[app])")
    pytest.importorskip("selenium", reason="app browser test skipped: selenium is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver")
                                              else None)
    if not chromium or not driver:
        pytest.skip("app browser test skipped: chromium and chromedriver are needed (Debian: apt-get install "
                    "chromium chromium-driver)")
    return chromium, driver


def _server_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "esglib", "app", "--port", str(port), "--no-browser"]


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the app server exited with status {proc.returncode}:\n{out[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the app server did not answer on {url} within {seconds:.0f} s")


#: JavaScript: every element matching a selector, looking inside Bokeh's shadow roots too.
_DEEP = """
function deepAll(sel) {
  const res = [];
  const walk = (root) => {
    res.push(...root.querySelectorAll(sel));
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) walk(el.shadowRoot); }
  };
  walk(document);
  return res;
}
"""


def _table_text(driver) -> str:
    return driver.execute_script(_DEEP + "return deepAll('table').map(t => t.innerText).join('\\n');") or ""


def _wait_change(driver, old: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = _table_text(driver)
        if now and now != old:
            return now
        time.sleep(0.3)
    return _table_text(driver)


def _settle(driver, seconds: float = 60) -> str:
    """The table text once it stopped changing (each key press triggers its own update)."""
    deadline = time.monotonic() + seconds
    last, same = _table_text(driver), 0
    while time.monotonic() < deadline and same < 4:
        time.sleep(0.4)
        now = _table_text(driver)
        same = same + 1 if now == last else 0
        last = now
    return last


def _wait_for_text(driver, needle: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    text = _table_text(driver)
    while time.monotonic() < deadline and needle not in text:
        time.sleep(0.3)
        text = _table_text(driver)
    return text


def _row(text: str, ticker: str) -> str:
    return next((line for line in text.splitlines() if line.split("\t")[0].strip() == ticker), "")


@pytest.mark.slow
def test_app_in_headless_chromium_reacts_to_the_controls(tmp_path):
    chromium, driver_path = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MPLBACKEND": "Agg", "BOKEH_BROWSER": "none"}
    proc = subprocess.Popen(_server_cmd(port), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, proc)
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'profile'}"):
            opts.add_argument(a)
        opts.binary_location = chromium
        driver = webdriver.Chrome(service=Service(driver_path), options=opts)
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(30)
        driver.get(url)
        first = _wait_change(driver, "")
        assert "NVDA" in first and "weight before" in first, f"the table did not render: {first[:500]!r}"

        # 1. move the energy-weight slider with the keyboard, as a user would
        handle = driver.execute_script(_DEEP + "return deepAll('.weight-energy .noUi-handle, .noUi-handle')[0];")
        assert handle is not None, "no slider handle found"
        for _ in range(8):
            handle.send_keys(Keys.ARROW_RIGHT)
        _wait_change(driver, first)
        moved = _settle(driver)
        assert moved != first, "moving the energy weight did not change the table"
        assert _row(moved, "GOOGL") != _row(first, "GOOGL")  # GOOGL's composite follows its energy score

        # 2. pick a minimum rating: names below it get weight 0 and a reason
        select = driver.execute_script(_DEEP + "return deepAll('select')[0];")
        Select(select).select_by_visible_text("A")
        screened = _wait_for_text(driver, "below A")
        assert "below A" in screened, f"the rating floor did not reach the table: {screened[:800]!r}"
        assert "0.0%" in _row(screened, "MSFT")  # Microsoft rates BBB on the bundled data
        driver.save_screenshot(str(tmp_path / "app.png"))
        assert (tmp_path / "app.png").stat().st_size > 10_000
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
