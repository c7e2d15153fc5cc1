"""``esglib report`` and ``esglib app`` on the command line: the report is written (atomically, self-contained),
an ``--out`` equal to an input is refused with exit status 2, and bad ports are refused by the parser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from esglib.app.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_portfolio.csv"


@pytest.mark.slow
def test_report_command_writes_one_self_contained_file(tmp_path, capsys):
    out = tmp_path / "sub" / "report.html"
    assert main(["report", "--holdings", str(SAMPLE), "--out", str(out), "--weights", "energy=0.4"]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<section id="sources">' in text
    assert "<script" not in text.lower()
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out}") and "unscreened universe" in said
    assert str(SAMPLE.parent) not in text  # notes name the file, not the folder it came from


def test_report_refuses_to_overwrite_its_input(tmp_path, capsys):
    holdings = tmp_path / "holdings.csv"
    shutil.copy(SAMPLE, holdings)
    before = holdings.read_bytes()
    assert main(["report", "--holdings", str(holdings), "--out", str(holdings)]) == 2
    assert "one of the report's inputs" in capsys.readouterr().err
    assert holdings.read_bytes() == before


def test_report_needs_holdings_and_out(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["report", "--out", "x.html"])
    assert exc.value.code == 2
    assert "--holdings" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_app_refuses_a_bad_port(port, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["app", "--port", port])
    assert "--port" in capsys.readouterr().err


def test_app_options_parse():
    args = build_parser().parse_args(["app", "--port", "0", "--no-browser", "--holdings", "h.csv"])
    assert (args.port, args.no_browser, args.holdings) == (0, True, "h.csv")
