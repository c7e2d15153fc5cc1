"""Robustness v2 (issue 15): each class of failure found by the second round of hostile and careless inputs.

Every rejected case keeps the corpus promise of ``test_corpus.py``: exit status 2, one ``esglib: error:`` message
that names the file or option and the rule (the case's regex), no traceback, every input byte-identical and the
output either absent or, when one existed, byte-identical, with no ``.esglib-tmp-*`` file left. Accepted
controls (exit 0) show the fix did not turn a valid input into an error.

Classes (issue 15): 1 lost user files, 2 injection through outputs, 3 tracebacks instead of messages, 4 silent
wrong answers, 5 resource limits, 6 unclear messages; T = the terminal items of issue 14.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import v2_files as files  # noqa: E402
from cli_runner import run_cli  # noqa: E402

TMP_PREFIX = ".esglib-tmp-"
PREVIOUS = b"previous output: must survive a failed run byte for byte\n"
ESC = "\x1b"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(tmp_path / "cache"))


def digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class Setup:
    argv: list[str]
    inputs: list[Path] = field(default_factory=list)
    out: Path | None = None  # the output that must stay absent or unchanged


@dataclass(frozen=True)
class Case:
    id: str
    cls: str
    what: str
    build: Callable[[Path], Setup]
    message: str  # regex the error must match (exit 2); for exit 0, a regex for stdout+stderr
    exit: int = 2


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _holdings(tmp: Path, name: str = "h.csv", text: str | None = None) -> Path:
    return _write(tmp / name, text if text is not None else files.VALID_HOLDINGS.read_text(encoding="utf-8"))


def _template(tmp: Path, name: str = "filled.xlsx", data: bytes | None = None) -> Path:
    return _write(tmp / name, data if data is not None else files.TEMPLATE.read_bytes())


def _disclosures(tmp: Path, name: str = "d.csv", data: bytes | None = None) -> Path:
    return _write(tmp / name, data if data is not None else files.VALID_CSV.read_bytes())


# ------------------------------------------------------------------------------------------------ 1 lost files
def _out_is_template(t):
    f = _template(t)
    return Setup(["scorecard", "--disclosures", str(f), "--out", str(f), "--no-company-sheets"], [f], f)


def _out_is_holdings(t):
    h = _holdings(t)
    return Setup(["screen", "--holdings", str(h), "--out", str(h)], [h], h)


def _out_is_symlink_to_input(t):
    h = _holdings(t)
    link = t / "link.csv"
    link.symlink_to(h)
    return Setup(["screen", "--holdings", str(h), "--out", str(link)], [h], h)


def _out_is_hard_link_to_input(t):
    d = _disclosures(t)
    link = t / "scores.csv"
    os.link(d, link)
    return Setup(["score", "--disclosures", str(d), "--out", str(link)], [d], d)


def _out_is_input_via_dotdot(t):
    (t / "sub").mkdir()
    h = _holdings(t)
    return Setup(["screen", "--holdings", str(h), "--out", str(t / "sub" / ".." / "h.csv")], [h], h)


def _out_is_companies(t):
    c = _write(t / "companies.csv", (HERE.parents[1] / "data" / "companies.csv").read_bytes())
    return Setup(["score", "--companies", str(c), "--out", str(c)], [c], c)


# ------------------------------------------------------------------------------------------------ 2 injection
def _hidden_sheet(t):
    f = _template(t, data=files.hidden_sheet_named_like_template())
    return Setup(["validate", str(f)], [f])


def _escape_in_header(t):
    hostile = f"fiscal{ESC}[2J{ESC}]0;pwned\x07_year"
    text = files.VALID_CSV.read_text(encoding="utf-8").replace("fiscal_year", hostile, 1)
    d = _disclosures(t, data=text.encode())
    return Setup(["validate", str(d)], [d])


# ------------------------------------------------------------------------------------------------ 3 tracebacks
def _out_is_folder(t):
    (t / "outdir").mkdir()
    return Setup(["score", "--out", str(t / "outdir")], [], None)


def _out_under_a_file(t):
    blocker = _write(t / "blocker", "a file")
    return Setup(["score", "--out", str(blocker / "scores.csv")], [blocker], None)


def _out_unwritable(t):
    return Setup(["score", "--out", "/proc/esglib-cannot-write-here.csv"], [], None)


def _out_name_too_long(t):
    return Setup(["score", "--out", str(t / ("s" * 300 + ".csv"))], [], None)


def _input_name_too_long(t):
    return Setup(["validate", str(t / ("d" * 300 + ".csv"))], [], None)


def _scorecard_out_is_folder(t):
    (t / "book.xlsx").mkdir()
    return Setup(["scorecard", "--out", str(t / "book.xlsx"), "--no-company-sheets"], [], None)


def _out_dir_is_file(t):
    f = _write(t / "reports", "a file")
    return Setup(["demo", "--quick", "--out-dir", str(f)], [f], f)


# ---------------------------------------------------------------------------------------------- 4 silent wrong answers
def _misspelt_flag(t):
    h = _holdings(t)
    return Setup(["screen", "--holdings", str(h), "--exclude-flags", "certifcate_reliance", "--out",
                  str(t / "o.csv")], [h], t / "o.csv")


def _misspelt_flag_backtest(t):
    return Setup(["backtest", "--strategy", "exclusion", "--exclude-flags", "stale", "--exclude-flags", "nope",
                  "--out", str(t / "o.csv")], [], t / "o.csv")


def _huge_weights(t):
    return Setup(["score", "--weights", "energy=1e308,water=1e308", "--out", str(t / "o.csv")], [], t / "o.csv")


def _inf_weight(t):
    return Setup(["score", "--weights", "energy=inf", "--out", str(t / "o.csv")], [], t / "o.csv")


def _negative_weight(t):
    return Setup(["scorecard", "--weights", "water=-1", "--out", str(t / "o.xlsx")], [], t / "o.xlsx")


def _year_out_of_range(t):
    return Setup(["score", "--year", "2030", "--out", str(t / "o.csv")], [], t / "o.csv")


def _year_out_of_range_explain(t):
    return Setup(["explain", "MSFT", "--year", "1999"], [], None)


def _edition_not_whole(t):
    d = _disclosures(t, data=files.csv_with("report_edition", 2, "2024.5"))
    return Setup(["score", "--disclosures", str(d), "--out", str(t / "o.csv")], [d], t / "o.csv")


def _edition_out_of_range(t):
    d = _disclosures(t, data=files.csv_with("report_edition", 2, "99999"))
    return Setup(["validate", str(d)], [d])


def _infinite_after_conversion(t):
    d = _disclosures(t, data=files.csv_with("value", 3, "1e306"))  # 1e306 million MWh
    return Setup(["score", "--disclosures", str(d), "--out", str(t / "o.csv")], [d], t / "o.csv")


# ------------------------------------------------------------------------------------------------ 5 limits
def _fifo(t):
    f = t / "pipe.csv"
    os.mkfifo(f)
    return Setup(["validate", str(f)], [], None)


def _dev_zero(t):
    return Setup(["score", "--disclosures", "/dev/zero", "--out", str(t / "o.csv")], [], t / "o.csv")


def _fifo_holdings(t):
    f = t / "pipe.csv"
    os.mkfifo(f)
    return Setup(["screen", "--holdings", str(f)], [], None)


def _many_value_rows(t):
    f = _template(t, data=files.many_value_rows(500_005))
    return Setup(["validate", str(f)], [f])


# ------------------------------------------------------------------------------------------------ 6 unclear messages
def _div0(t):
    f = _template(t, data=files.error_cell("#DIV/0!"))
    return Setup(["score", "--disclosures", str(f), "--out", str(t / "o.csv")], [f], t / "o.csv")


def _na_error(t):
    f = _template(t, data=files.error_cell("#N/A"))
    return Setup(["validate", str(f)], [f])


def _strict(t):
    f = _template(t, data=files.strict_open_xml())
    return Setup(["validate", str(f)], [f])


def _holdings_total_overflows(t):
    h = _holdings(t, text="Symbol,Description,Weight\nMSFT,Microsoft,1e308\nGOOGL,Alphabet,1e308\n")
    return Setup(["screen", "--holdings", str(h), "--out", str(t / "o.csv")], [h], t / "o.csv")


def _unknown_pillar(t):
    return Setup(["score", "--weights", "enrgy=0.5"], [], None)


def _config_error_user_terms(t):
    return Setup(["score", "--weights", "energy=-0.4"], [], None)


# ------------------------------------------------------------------------------------------------ T terminal
def _ticker_did_you_mean(t):
    return Setup(["explain", "GOOG"], [], None)


# ------------------------------------------------------------------------------------------------ accepted controls
def _long_legal_out_name(t):
    return Setup(["score", "--out", str(t / ("s" * 230 + ".csv"))], [], None)


def _case_insensitive_pillar(t):
    return Setup(["score", "--weights", "Energy=0.4,WATER=0.1"], [], None)


def _percent_cell_control(t):
    f = _template(t, data=files.percent_cell())
    return Setup(["validate", str(f)], [f])


def _styled_rows_control(t):
    f = _template(t, data=files.million_styled_rows())
    return Setup(["validate", str(f)], [f])


def _flag_prefix_control(t):
    h = _holdings(t)
    return Setup(["screen", "--holdings", str(h), "--exclude-flags", "composite_withheld"], [h])


CASES = [
    Case("v2_01_out_is_template", "1", "scorecard --out = the filled template it reads", _out_is_template,
         r"`--out` .*filled\.xlsx: is the same file as the input --disclosures"),
    Case("v2_01_out_is_holdings", "1", "screen --out = its holdings file", _out_is_holdings,
         r"`--out` .*h\.csv: is the same file as the input --holdings"),
    Case("v2_01_out_symlink", "1", "--out is a symlink to the input", _out_is_symlink_to_input,
         r"is the same file as the input --holdings"),
    Case("v2_01_out_hard_link", "1", "--out is a hard link to the input", _out_is_hard_link_to_input,
         r"is the same file as the input --disclosures"),
    Case("v2_01_out_dotdot", "1", "--out names the input through sub/..", _out_is_input_via_dotdot,
         r"is the same file as the input --holdings"),
    Case("v2_01_out_is_companies", "1", "--out = the --companies file", _out_is_companies,
         r"is the same file as the input --companies"),
    Case("v2_02_hidden_sheet", "2", "a hidden sheet named like the template's, data on a visible one",
         _hidden_sheet, r"sheet 'Disclosures' is hidden.*visible sheets are .*'Data'"),
    Case("v2_02_escape_in_header", "2", "escape sequences in a header name reach the message escaped",
         _escape_in_header, r"(?i)missing required column 'fiscal_year'.*\\x1b\[2J"),
    Case("v2_03_out_is_folder", "3", "--out is a folder", _out_is_folder, r"`--out` .*outdir: is a folder"),
    Case("v2_03_out_under_file", "3", "--out sits under a file", _out_under_a_file,
         r"`--out` .*blocker/scores\.csv: cannot be created because .*blocker is a file"),
    Case("v2_03_out_unwritable", "3", "--out somewhere unwritable (/proc)", _out_unwritable,
         r"/proc/esglib-cannot-write-here\.csv: (no such file or folder|permission denied|operation not permitted)"),
    Case("v2_03_out_name_too_long", "3", "a 300-character --out name", _out_name_too_long,
         r"`--out` .*the file name is 304 bytes long, more than the 255"),
    Case("v2_03_input_name_too_long", "3", "a 300-character input name", _input_name_too_long,
         r"`input file` .*: cannot be read: the name is too long"),
    Case("v2_03_scorecard_out_is_folder", "3", "scorecard --out is a folder named .xlsx", _scorecard_out_is_folder,
         r"`--out` .*book\.xlsx: is a folder"),
    Case("v2_03_out_dir_is_file", "3", "demo --out-dir is a file", _out_dir_is_file,
         r"`--out-dir` .*reports: is a file, not a folder"),
    Case("v2_04_misspelt_flag", "4", "a misspelt --exclude-flags", _misspelt_flag,
         r"`--exclude-flags` names unknown flag 'certifcate_reliance' \(did you mean 'certificate_reliance'\?\)"),
    Case("v2_04_misspelt_flag_backtest", "4", "an unknown --exclude-flags in backtest", _misspelt_flag_backtest,
         r"`--exclude-flags` names unknown flag 'nope'"),
    Case("v2_04_huge_weights", "4", "--weights energy=1e308,water=1e308 (total overflows)", _huge_weights,
         r"`--weights` must add up to a finite number"),
    Case("v2_04_inf_weight", "4", "--weights energy=inf", _inf_weight,
         r"`--weights` must be finite and >= 0: the weight of energy is inf"),
    Case("v2_04_negative_weight", "4", "--weights water=-1", _negative_weight,
         r"`--weights` must be finite and >= 0: the weight of water is -1"),
    Case("v2_04_year_out_of_range", "4", "--year 2030 (no data): refused with the data's range",
         _year_out_of_range, r"`--year` 2030 is outside the fiscal years the disclosures cover \(\d{4}-\d{4}\)"),
    Case("v2_04_year_out_of_range_explain", "4", "explain --year 1999", _year_out_of_range_explain,
         r"`--year` 1999 is outside the fiscal years"),
    Case("v2_03_edition_not_whole", "3", "report_edition 2024.5 (crashed the loader)", _edition_not_whole,
         r"row 2, column report_edition: report_edition must be a whole year"),
    Case("v2_04_edition_out_of_range", "4", "report_edition 99999 (won the figure choice)", _edition_out_of_range,
         r"row 2, column report_edition: report_edition must be a whole year within 1990\.\.\d{4}"),
    Case("v2_04_infinite_after_conversion", "4", "a value that becomes infinite after unit conversion",
         _infinite_after_conversion, r"row 3, column value: value is not a finite number after conversion to MWh"),
    Case("v2_05_fifo", "5", "a FIFO as input (would hang)", _fifo, r"`input file` .*pipe\.csv: is a named pipe"),
    Case("v2_05_dev_zero", "5", "/dev/zero as input (would fill memory)", _dev_zero,
         r"`--disclosures` /dev/zero: is a device; esglib reads regular files only"),
    Case("v2_05_fifo_holdings", "5", "a FIFO as holdings", _fifo_holdings,
         r"`--holdings` .*pipe\.csv: is a named pipe"),
    Case("v2_05_many_value_rows", "5", "a sheet with 500,005 rows of data", _many_value_rows,
         r"sheet 'Disclosures' has more than 500,000 rows of data"),
    Case("v2_06_div0", "6", "#DIV/0! in a value cell is named", _div0, r"Disclosures!D2 \(value\): .*'#DIV/0!'"),
    Case("v2_06_na_error", "6", "#N/A in a value cell is named", _na_error, r"Disclosures!D2 \(value\): .*'#N/A'"),
    Case("v2_06_strict_open_xml", "6", "a Strict Open XML workbook", _strict,
         r"saved as 'Strict Open XML Spreadsheet'.*save it as 'Excel Workbook \(\.xlsx\)'"),
    Case("v2_06_holdings_total_overflows", "6", "holdings weights whose total overflows", _holdings_total_overflows,
         r"column Weight: (holdings total is too large to compute|weights are too large to add up)"),
    Case("v2_06_unknown_pillar", "6", "--weights enrgy=0.5", _unknown_pillar,
         r"`--weights` names unknown pillar 'enrgy' \(did you mean 'energy'\?\)"),
    Case("v2_06_config_user_terms", "6", "an invalid weight: no internal pillar_weights dict", _config_error_user_terms,
         r"^esglib: error: `--weights` must be finite and >= 0: the weight of energy is -0\.4\n$"),
    Case("v2_T_ticker_did_you_mean", "T", "explain GOOG", _ticker_did_you_mean,
         r"`ticker` 'GOOG' is not in the universe .*\(did you mean 'GOOGL'\?\)"),
    Case("v2_ok_long_legal_out_name", "3", "control: a legal 234-character --out name (temp name stays short)",
         _long_legal_out_name, r"wrote .*s{200}", exit=0),
    Case("v2_ok_case_insensitive_pillar", "T", "control: --weights Energy=0.4,WATER=0.1", _case_insensitive_pillar,
         r"companies, \d+ rated", exit=0),
    Case("v2_ok_percent_cell", "4", "control: 64% typed in Excel is read as 64", _percent_cell_control,
         r"valid: 4 figures", exit=0),
    Case("v2_ok_styled_rows", "5", "control: 4 figures then 1,000,000 formatted empty rows", _styled_rows_control,
         r"valid: 4 figures", exit=0),
    Case("v2_ok_flag_prefix", "4", "control: a known flag prefix (composite_withheld) is accepted",
         _flag_prefix_control, r"exclude flags composite_withheld", exit=0),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("previous", [False, True], ids=["no-output", "existing-output"])
def test_v2_case(case: Case, previous: bool, tmp_path):
    if previous and case.exit == 0:
        pytest.skip("controls run once")
    work = tmp_path / "work"
    work.mkdir()
    setup = case.build(work)
    if previous and setup.out is not None and not setup.out.exists():
        setup.out.write_bytes(PREVIOUS)
    before = {p: digest(p) for p in setup.inputs}
    out_before = digest(setup.out) if setup.out is not None else None
    rc, out, err = run_cli(setup.argv)
    text = out + err
    assert "Traceback" not in text, text
    assert ESC not in text, "a raw escape byte reached the terminal"
    for p, d in before.items():
        assert digest(p) == d, f"input {p.name} changed"
    assert sorted(q.name for q in work.rglob(f"{TMP_PREFIX}*")) == [], "temporary files left behind"
    if case.exit == 0:
        assert rc == 0, f"{case.id}: exit {rc}\n{err}"
        assert re.search(case.message, text), f"{case.message!r} not in:\n{text[-2000:]}"
        return
    assert rc == 2, f"{case.id}: exit {rc}, expected 2\nstdout:\n{out[-1500:]}\nstderr:\n{err}"
    assert err.startswith("esglib: error: "), err
    assert re.search(case.message, err, re.S), f"{case.id}: {case.message!r} not found in:\n{err}"
    if setup.out is not None:
        assert digest(setup.out) == out_before, "a failed run changed or created the output"


def test_v2_case_count_and_classes():
    rejected = [c for c in CASES if c.exit == 2]
    assert len(rejected) >= 30
    assert {c.cls for c in CASES} >= {"1", "2", "3", "4", "5", "6", "T"}


def test_million_styled_rows_is_fast(tmp_path):
    """Formatted empty rows are never loaded: the 1,000,000-row sheet is read in seconds, not 24 s."""
    import time

    from esglib.inputs import read_table

    f = _template(tmp_path, data=files.million_styled_rows())
    start = time.perf_counter()
    table = read_table(f)
    assert len(table.frame) == 4
    assert time.perf_counter() - start < 15


def test_percent_cell_is_read_as_percent(tmp_path):
    from esglib.app import bundled
    from esglib.inputs import load_disclosures

    f = _template(tmp_path, data=files.percent_cell())
    d = load_disclosures(f, bundled.companies())
    assert d.loc[d["metric"] == "renewable_share_pct", "value"].tolist() == [64.0]


def test_subprocess_fifo_does_not_hang(tmp_path):
    """End to end: a FIFO input is refused at once (before, the reader blocked forever)."""
    f = tmp_path / "pipe.csv"
    os.mkfifo(f)
    env = {**os.environ, "ESGLIB_OFFLINE": "1", "ESGLIB_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(HERE.parents[1])}
    proc = subprocess.run([sys.executable, "-m", "esglib", "validate", str(f)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 2 and "is a named pipe" in proc.stderr and "Traceback" not in proc.stderr


def test_subprocess_warnings_are_one_line_notes(tmp_path):
    """Raw ``UserWarning`` lines with source paths never reach the terminal: each warning is one note."""
    h = _holdings(tmp_path, text="Symbol,Description,Weight\nMSFT,Microsoft,0.5\nZZZZ,Unknown Co,0.5\n")
    env = {**os.environ, "ESGLIB_OFFLINE": "1", "ESGLIB_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(HERE.parents[1])}
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run([sys.executable, "-m", "esglib", "scorecard", "--holdings", str(h), "--out",
                           str(tmp_path / "s.xlsx"), "--no-company-sheets"], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "UserWarning" not in proc.stderr and "warnings.warn" not in proc.stderr, proc.stderr
    assert re.search(r"^esglib: note: .*ZZZZ", proc.stderr, re.M), proc.stderr
    assert all(line.startswith("esglib: note: ") for line in proc.stderr.splitlines() if line), proc.stderr
