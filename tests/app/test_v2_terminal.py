"""The terminal (issue 14, "Terminal"): footnoted sources, one-line notes, a screen summary, errors in user terms."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(tmp_path / "cache"))


def run_cli(argv):
    from esglib.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def test_explain_lists_every_source_as_a_numbered_footnote_with_its_full_url():
    rc, out, err = run_cli(["explain", "MSFT"])
    assert rc == 0, err
    disclosures = pd.read_csv(REPO / "data" / "disclosures.csv", dtype=str, keep_default_na=False)
    assert "\nsources:\n" in out
    notes = re.findall(r"^  \[(\d+)\] (.+)$", out, re.M)
    assert [int(n) for n, _ in notes] == list(range(1, len(notes) + 1)) and notes
    urls = re.findall(r"^      (https?://\S+)$", out, re.M)
    assert urls and all(u in set(disclosures["source_url"]) for u in urls)  # full URLs, never cut
    table = out.split("\nsources:\n")[0]
    marks = {int(m) for group in re.findall(r"\[([\d,]+)\]", table) for m in group.split(",")}
    assert marks == set(range(1, len(notes) + 1))  # every footnote is used by a row, every row mark exists
    # a long title is shown in full (it used to be cut at 60 characters)
    long_title = max((t for _, t in notes), key=len)
    assert len(long_title) > 60 and long_title in set(disclosures["source_title"])


def test_screen_prints_a_summary_and_keeps_everything_for_out_and_json(tmp_path):
    lines = ["Symbol,Description,Market Value"] + [f"ZZ{i},Holding {i},{1 + i % 7}" for i in range(300)]
    lines.append("MSFT,Microsoft,5000")
    h = tmp_path / "h.csv"
    h.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, out, err = run_cli(["screen", "--holdings", str(h), "--out", str(tmp_path / "all.csv")])
    assert rc == 0, err
    assert "smaller holdings not shown" in out and len(out) < 20_000
    assert "MSFT" in out  # the largest holding is on screen
    assert all(len(line) < 700 for line in out.splitlines()), "a note was not cut"
    assert len(pd.read_csv(tmp_path / "all.csv")) == 301
    rc, js, err = run_cli(["screen", "--holdings", str(h), "--json"])
    assert rc == 0 and len(__import__("json").loads(js)["weights"]) == 301


def test_weights_are_case_insensitive_and_errors_are_in_user_terms():
    rc_a, out_a, _ = run_cli(["score", "--weights", "Energy=0.4,WATER=0.1"])
    rc_b, out_b, _ = run_cli(["score", "--weights", "energy=0.4,water=0.1"])
    assert rc_a == rc_b == 0 and out_a == out_b
    rc, out, err = run_cli(["score", "--weights", "energy=abc"])
    assert rc == 2 and "pillar_weights" not in err and "{" not in err, err


def test_scoreconfig_raises_esglib_errors_for_bad_arguments():
    from esglib.errors import ConfigError
    from esglib.scoring import ScoreConfig

    with pytest.raises(ConfigError, match=r"ScoreConfig has no option 'energy' \(pillar weights go in pillar_weights"):
        ScoreConfig(energy="x")
    with pytest.raises(ConfigError, match=r"`min_coverage` must be a number, got 'x'"):
        ScoreConfig(min_coverage="x")
    with pytest.raises(ConfigError, match=r"`pillar_weights` must map pillar names to numbers"):
        ScoreConfig(pillar_weights=5)
    with pytest.raises(ConfigError, match=r"`pillar_weights` must be finite and >= 0: the weight of energy is 'a'"):
        ScoreConfig(pillar_weights={"energy": "a"})
    with pytest.raises(ConfigError, match=r"must add up to a finite number"):
        ScoreConfig(pillar_weights={"energy": 1e308, "water": 1e308})


def test_api_entry_points_raise_esglib_errors():
    import esglib.portfolio as pf
    from esglib.app import bundled
    from esglib.errors import ConfigError
    from esglib.inputs import load_disclosures
    from esglib.scoring import score

    c = bundled.companies()
    d = bundled.disclosures()
    s = score(d, companies=c)
    calls = [lambda: score("x", companies=c), lambda: score(d, companies="x"), lambda: score(d, "x", companies=c),
             lambda: score(pd.DataFrame({"a": [1]}), companies=c), lambda: pf.apply_screens("x", s),
             lambda: pf.apply_screens({"MSFT": 1.0}, "x"), lambda: pf.load_holdings(5, c),
             lambda: load_disclosures(5, c), lambda: pf.holdings_weights({"MSFT": -0.5, "GOOGL": 1.5}, long_only=True),
             lambda: pf.exclusion_screen({"MSFT": 1.0}, s, exclude_flags=["certifcate_reliance"])]
    for call in calls:
        with pytest.raises(ConfigError):
            call()


def test_write_scorecard_refuses_a_negative_holding_like_load_holdings(tmp_path):
    from esglib.app import bundled
    from esglib.errors import ConfigError
    from esglib.outputs.excel import write_scorecard
    from esglib.scoring import score

    c = bundled.companies()
    d = bundled.disclosures()
    with pytest.raises(ConfigError, match="negative weights"):
        write_scorecard(tmp_path / "s.xlsx", scores=score(d, companies=c), disclosures=d, companies=c,
                        holdings={"MSFT": -0.5, "GOOGL": 1.5})
    assert not (tmp_path / "s.xlsx").exists()


def test_internal_errors_are_one_line_not_a_traceback(monkeypatch):
    import esglib.app.cli.core as core

    def boom(args):
        raise TypeError("cannot safely cast non-equivalent object to int64")

    monkeypatch.setattr(core, "_cmd_validate", boom)
    rc, out, err = run_cli(["validate", str(REPO / "data" / "disclosures.csv")])
    assert rc == 1 and "Traceback" not in err
    assert err.startswith("esglib: internal error in `validate`: TypeError: cannot safely cast"), err
