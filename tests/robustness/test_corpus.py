"""The bad-input corpus through the real command line: every bad file is refused cleanly, no output is touched.

Each row of ``cases.csv`` (written by ``make_corpus.py``) runs through each of its commands in-process
(``esglib.app.cli.main``, fast) and a handful also end to end in a subprocess (``python -m esglib``). A rejected
file must give exit status 2, one ``esglib: error:`` message naming the file, the row/column or cell and the
rule (the case's regex), no traceback, and leave the ``--out`` target exactly as it was (absent, or a
pre-existing file byte-identical) with no ``.esglib-tmp-*`` file beside it. Accepted controls (exit 0) prove
the suite does not reject everything; ``formula_safe`` controls also open the written scorecard and check that
text beginning with ``= + - @`` is stored as a string, never as a formula.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REPO = HERE.parents[1]
TMP_PREFIX = ".esglib-tmp-"


def _load_make_corpus():
    spec = importlib.util.spec_from_file_location("esglib_robustness_make_corpus", HERE / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_corpus = _load_make_corpus()


def _manifest() -> list[dict[str, str]]:
    with open(HERE / "cases.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CASES = _manifest()

#: command name -> (argv builder, output file name or None, modules it needs)
COMMANDS = {
    "validate": (lambda f, out: ["validate", str(f)], None, ()),
    "score": (lambda f, out: ["score", "--disclosures", str(f), "--out", str(out)], "scores.csv", ()),
    "scorecard": (lambda f, out: ["scorecard", "--disclosures", str(f), "--out", str(out), "--no-company-sheets"],
                  "scorecard.xlsx", ("esglib.outputs.excel", "esglib.app.cli.excel")),
    "screen": (lambda f, out: ["screen", "--holdings", str(f), "--out", str(out)], "screen.csv",
               ("esglib.portfolio", "esglib.app.cli.portfolio")),
    "scorecard-holdings": (lambda f, out: ["scorecard", "--holdings", str(f), "--out", str(out),
                                           "--no-company-sheets"],
                           "scorecard.xlsx", ("esglib.portfolio", "esglib.outputs.excel", "esglib.app.cli.excel")),
}
#: Bytes of the pre-existing output file (every other case runs over one; the rest over none).
PREVIOUS = b"previous output: must survive a failed run byte for byte\n"


def _params():
    out = []
    for k, case in enumerate(CASES):
        for cmd in case["commands"].split():
            out.append(pytest.param(case, cmd, k % 2 == 1, id=f"{case['id']}-{cmd}"))
    return out


def _missing_modules(names) -> list[str]:
    return [n for n in names if importlib.util.find_spec(n) is None]


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Build ``gen:`` corpus files on first use (once per worker) and return their paths."""
    folder = tmp_path_factory.mktemp("generated")
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = make_corpus.build_generated(name, folder)
        return built[name]

    return get


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Offline, with a private price cache: nothing outside tmp_path is read-written by a run."""
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(tmp_path / "cache"))


def case_path(case: dict[str, str], generated) -> Path:
    name = case["file"]
    return generated(name[4:]) if name.startswith("gen:") else CORPUS / name


def run_cli(argv: list[str]) -> tuple[int, str, str, list[str]]:
    """``esglib.app.cli.main(argv)`` in-process: (exit status, stdout, stderr, warning messages)."""
    from esglib.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue(), [str(w.message) for w in caught]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TMP_PREFIX))


def assert_clean_rejection(case: dict[str, str], path: Path, rc: int, out: str, err: str) -> None:
    text = out + err
    assert rc == 2, f"{case['id']}: exit {rc}, expected 2\nstdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in text, text
    assert err.startswith("esglib: error: "), err
    assert path.name in err, f"message does not name the file {path.name}: {err}"
    assert re.search(case["message"], err), f"{case['id']}: {case['message']!r} not found in:\n{err}"
    for line in err.splitlines()[1:]:  # every listed problem is located in the file
        if line.startswith("  - "):
            assert line[4:].startswith(str(path)), line


def formula_safe(workbook: Path, source: Path) -> None:
    """Every text from ``source`` that starts with = + - @ is a string cell in ``workbook``; no formula of
    esglib's carries it."""
    import openpyxl

    from esglib.inputs import read_table

    frame = read_table(source).frame
    hostile = {v for col in frame.columns for v in frame[col] if isinstance(v, str) and v[:1] in "=+-@"}
    assert hostile, "control has no formula-looking text"
    wb = openpyxl.load_workbook(workbook)  # formulas as written (not cached values)
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, str) and v in hostile:
                    assert c.data_type == "s", f"{ws.title}!{c.coordinate} {v!r} stored as {c.data_type!r}"
                    assert c.quotePrefix, f"{ws.title}!{c.coordinate} {v!r}: no quote prefix (Excel would " \
                                          "turn it into a formula when the cell is edited)"
                    seen.add(v)
                if c.data_type == "f":
                    assert "cmd|" not in str(v) and "evil.example" not in str(v) and "@SUM" not in str(v), \
                        f"{ws.title}!{c.coordinate} formula carries input text: {v!r}"
                if c.hyperlink is not None and c.hyperlink.target:
                    assert not c.hyperlink.target.lower().startswith(("=", "+", "-", "@", "javascript:")), \
                        c.hyperlink.target
    assert seen, f"none of {sorted(hostile)} found in the workbook: the check would be vacuous"


# ------------------------------------------------------------------------------------------------ the corpus
@pytest.mark.parametrize("case, command, previous", _params())
def test_case_through_cli(case, command, previous, tmp_path, generated):
    build, out_name, needs = COMMANDS[command]
    missing = _missing_modules(needs)
    if missing:
        pytest.skip(f"`{command}` needs {', '.join(missing)}, which has not landed")
    path = case_path(case, generated)
    before_input = digest(path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / (out_name or "unused")
    if previous and out_name:
        target.write_bytes(PREVIOUS)
    rc, out, err, caught = run_cli(build(path, target))

    assert digest(path) == before_input, "the input file was modified"
    assert temp_files(out_dir) == [], "temporary files left behind"
    expected = int(case["exit"])
    if expected == 2:
        assert_clean_rejection(case, path, rc, out, err)
        if previous and out_name:
            assert target.read_bytes() == PREVIOUS, "a failed run changed the existing output"
        else:
            assert not target.exists(), "a failed run created an output file"
        return
    assert rc == 0, f"{case['id']} must be accepted; exit {rc}\nstderr:\n{err}"
    assert "Traceback" not in out + err
    if command == "validate":
        assert re.search(case["message"], out), out
    if out_name:
        assert target.exists() and target.read_bytes() != PREVIOUS, "accepted run did not write its output"
    check = case["check"]
    if check == "formula_safe" and out_name and out_name.endswith(".xlsx"):
        formula_safe(target, path)
    elif check.startswith("warns:"):
        word = check.split(":", 1)[1]
        assert word in out + err + "\n".join(caught), f"no warning naming {word}"


# ------------------------------------------------------------------------------------------------ end to end
SUBPROCESS_CASES = [  # one per command
    ("d09_latin1", "score"),
    ("t03_truncated_zip", "scorecard"),
    ("t22_xxe", "validate"),
    ("h13_weights_sum_to_zero", "screen"),
]


@pytest.mark.parametrize("case_id, command", SUBPROCESS_CASES, ids=[f"{c}-{m}" for c, m in SUBPROCESS_CASES])
def test_subprocess_exit_2_without_traceback(case_id, command, tmp_path, generated):
    case = next(c for c in CASES if c["id"] == case_id)
    build, out_name, needs = COMMANDS[command]
    missing = _missing_modules(needs)
    if missing:
        pytest.skip(f"`{command}` needs {', '.join(missing)}, which has not landed")
    path = case_path(case, generated)
    target = tmp_path / (out_name or "unused")
    if out_name:
        target.write_bytes(PREVIOUS)
    env = {**os.environ, "ESGLIB_OFFLINE": "1", "ESGLIB_CACHE_DIR": str(tmp_path / "cache"),
           # any accidental network use fails fast on a closed local port instead of reaching the internet
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "",
           "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "esglib", *build(path, target)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert_clean_rejection(case, path, proc.returncode, proc.stdout, proc.stderr)
    if out_name:
        assert target.read_bytes() == PREVIOUS
    assert temp_files(tmp_path) == []


# ------------------------------------------------------------------------------------------------ the corpus itself
def test_corpus_is_reproducible_and_complete():
    """The committed files are exactly what make_corpus.py writes, and every file is in the manifest."""
    expected = make_corpus.expected_files()
    differs = [str(p.relative_to(HERE)) for p, data in expected.items() if not p.exists() or p.read_bytes() != data]
    assert differs == [], f"run `python tests/robustness/make_corpus.py`: stale {differs}"
    listed = {CORPUS / c["file"] for c in CASES if not c["file"].startswith("gen:")}
    on_disk = {p for p in CORPUS.rglob("*") if p.is_file()}
    assert on_disk == listed


def test_corpus_size_and_coverage():
    rejected = [c for c in CASES if c["exit"] == "2"]
    assert len(rejected) >= 40
    assert {c["kind"] for c in rejected} == {"disclosures", "holdings", "template"}
    assert any(c["exit"] == "0" for c in CASES if c["kind"] == "disclosures")
    assert any(c["exit"] == "0" for c in CASES if c["kind"] == "template")
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    assert [c["id"] for c in CASES if c["id"] not in readme] == []
    for c in CASES:
        for cmd in c["commands"].split():
            assert cmd in COMMANDS, (c["id"], cmd)


def test_template_columns_match_the_real_template():
    """The corpus templates use the header of esglib.outputs.excel.write_template (so they are 'filled templates')."""
    if importlib.util.find_spec("esglib.outputs.excel") is None:
        pytest.skip("esglib.outputs.excel has not landed")
    from esglib.outputs.excel import TEMPLATE_COLUMNS

    assert tuple(make_corpus.T_HEADER) == tuple(TEMPLATE_COLUMNS)


def test_real_template_filled_with_bad_rows_names_cells(tmp_path):
    """``esglib template`` output, filled by hand the way an analyst would, is validated cell by cell."""
    if _missing_modules(("esglib.outputs.excel", "esglib.app.cli.excel")):
        pytest.skip("esglib.outputs.excel / esglib.app.cli.excel have not landed")
    import openpyxl

    path = tmp_path / "filled.xlsx"
    rc, out, err, _ = run_cli(["template", "--out", str(path)])
    assert rc == 0, err
    wb = openpyxl.load_workbook(path)
    ws = wb["Disclosures"]
    for r, row in enumerate(make_corpus.T_BASE, start=2):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=v)
    ws["D3"] = "n/a"          # value of row 3
    ws["B4"] = 1985           # fiscal_year of row 4
    ws["I5"] = "=cmd|' /C calc'!A0"
    ws["I5"].data_type = "s"  # typed as text, as Excel stores a quote-prefixed entry
    wb.save(path)
    before = digest(path)
    rc, out, err, _ = run_cli(["validate", str(path)])
    assert rc == 2, out + err
    assert re.search(r"row 3, column Disclosures!D3 \(value\): value is not a plain number", err), err
    assert re.search(r"row 4, column Disclosures!B4 \(fiscal_year\): fiscal_year outside 1990", err), err
    assert "Traceback" not in err and digest(path) == before
