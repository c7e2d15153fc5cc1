"""Execute every notebook of the suite and check what it writes; check the committed pairs (.py <-> stripped .ipynb).

Each notebook runs in a fresh ``python3`` kernel of this environment with ``notebooks/`` as its working folder
and its own output folder (``ESGLIB_REPORTS_DIR`` -> a per-test temporary folder), so runs never collide under
``pytest -n 2``. Notebook 03 gets non-default parameters injected by papermill, which checks its parameters
cell too. A notebook whose esglib module has not been written yet is skipped with the module named.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
#: A cell still running after this many seconds is a hang, not slowness: nbclient stops it. Notebook speed is a
#: benchmark target (benchmarks/), never a timed test: a loaded CI machine must not turn slowness into a failure.
CELL_TIMEOUT_S = 600

#: esglib modules each notebook needs beyond the core chain.
REQUIRES: dict[str, tuple[str, ...]] = {
    "03_screen_my_holdings.ipynb": ("esglib.portfolio", "esglib.market"),
    "04_backtest_and_statistics.ipynb": ("esglib.backtest", "esglib.analysis", "esglib.market"),
    "05_excel_scorecard.ipynb": ("esglib.outputs.excel",),
    "06_scenarios.ipynb": ("esglib.analysis", "esglib.portfolio"),
}
#: Files each notebook must write into its output folder (glob patterns, each must match a non-empty file).
WRITES: dict[str, tuple[str, ...]] = {
    "00_start_here.ipynb": (),
    "01_ai_footprint_primer.ipynb": ("01_global_datacentre_electricity.png", "01_scope2_location_vs_market.png",
                                     "01_google_cfe_regions_2024.png", "01_industry_pue.png"),
    "02_scoring_methodology.ipynb": ("02_variant_ranks.png", "02_rank_intervals.png", "02_pillar_heatmap.png"),
    "03_screen_my_holdings.ipynb": ("03_screen_weights.png",),
    "04_backtest_and_statistics.ipynb": ("04_cumulative_returns.png", "04_drawdowns.png"),
    "05_excel_scorecard.ipynb": ("05_scorecard.xlsx", "05_template.xlsx", "05_template_filled.xlsx"),
    "06_scenarios.ipynb": ("06_carbon_cost_curve.png", "06_scope2_paths.png", "06_water_stress.png"),
}


def _missing_modules(name: str) -> list[str]:
    return [m for m in REQUIRES.get(name, ()) if importlib.util.find_spec(m) is None]


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _has_table(nb) -> bool:
    return any("<table" in str(o.get("data", {}).get("text/html", "")) for o in _outputs(nb))


def _has_image(nb) -> bool:
    return any("image/png" in o.get("data", {}) for o in _outputs(nb))


def _text(nb) -> str:
    parts = []
    for o in _outputs(nb):
        parts.append(str(o.get("text", "")))
        parts.append(str(o.get("data", {}).get("text/plain", "")))
        parts.append(str(o.get("data", {}).get("text/markdown", "")))
        parts.append(str(o.get("data", {}).get("text/html", "")))  # styled tables (pandas Styler) show as HTML
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------ static checks
def test_suite_is_complete():
    assert NOTEBOOKS == [
        "00_start_here.ipynb", "01_ai_footprint_primer.ipynb", "02_scoring_methodology.ipynb",
        "03_screen_my_holdings.ipynb", "04_backtest_and_statistics.ipynb", "05_excel_scorecard.ipynb",
        "06_scenarios.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_is_stripped(name):
    import nbformat

    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: cell {cell.id} has stored outputs"
            assert cell.execution_count is None, f"{name}: cell {cell.id} has an execution count"


def test_notebooks_are_jupytext_pairs():
    """Every ``NN_name.ipynb`` has its ``NN_name.py`` (py:percent) and the reverse; the pairing is configured."""
    import tomllib

    scripts = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
    assert scripts == [n.removesuffix(".ipynb") + ".py" for n in NOTEBOOKS]
    config = tomllib.loads((NOTEBOOK_DIR / "jupytext.toml").read_text(encoding="utf-8"))
    assert set(config["formats"].split(",")) == {"ipynb", "py:percent"}
    assert not (NOTEBOOK_DIR / "_build.py").exists(), "the .py sources replace notebooks/_build.py"


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_pair_is_in_sync(name):
    """The .ipynb holds the same cells (type, source, tags) as its py:percent source."""
    import jupytext
    import nbformat

    script = NOTEBOOK_DIR / name.replace(".ipynb", ".py")
    text = jupytext.read(script)
    assert text.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    assert _cells(nb) == _cells(text), \
        f"{name} and {script.name} differ: edit the .py and run `jupytext --sync notebooks/{script.name}`"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_thin_and_framed(name):
    """Goal first, recap last, no function or class definitions in code cells (STYLE.md)."""
    import nbformat

    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "**Goal:**" in nb.cells[0].source
    assert nb.cells[-1].cell_type == "markdown" and "Recap" in nb.cells[-1].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "def " not in cell.source and "class " not in cell.source and "lambda" not in cell.source, \
                f"{name}: cell {cell.id} defines logic; move it into esglib"


def test_screen_notebook_has_papermill_parameters():
    import nbformat

    nb = nbformat.read(NOTEBOOK_DIR / "03_screen_my_holdings.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("holdings_path", "min_rating", "best_in_class_share", "tilt_strength", "energy"):
        assert name in tagged[0].source
    assert "data/sample_portfolio.csv" in tagged[0].source
    assert "interactive_output" in "".join(c.source for c in nb.cells)


# ------------------------------------------------------------------------------------------------ execution
@pytest.fixture
def out_dir(tmp_path, monkeypatch) -> Path:
    """A private output folder for the kernel (``ESGLIB_REPORTS_DIR``) and the inline plotting backend."""
    out = tmp_path / "reports"
    monkeypatch.setenv("ESGLIB_REPORTS_DIR", str(out))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return out


def _cell_seconds(nb) -> float:
    """Total execution time of the code cells (nbclient/papermill timing metadata; kernel start-up excluded)."""
    import datetime as dt

    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start = dt.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            total += (end - start).total_seconds()
        elif "start_time" in cell.get("metadata", {}).get("papermill", {}):
            total += float(cell["metadata"]["papermill"].get("duration") or 0.0)
    return total


def _execute(name: str, out: Path):
    """Run a notebook with nbclient and return it and its cells' run time.

    Notebook 03 first gets non-default parameters injected by papermill (``parameterize_notebook``, what
    ``papermill -p`` does), which checks its parameters cell. It is then executed by nbclient like every other
    notebook: papermill's own executor twice left its client waiting minutes for a reply from an idle kernel in a
    fresh environment.
    """
    import nbformat
    from nbclient import NotebookClient

    if name.startswith("03_"):
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = nbformat.from_dict(parameterize_notebook(
            load_notebook_node(str(NOTEBOOK_DIR / name)), {"min_rating": "BB", "tilt_strength": 1.0, "energy": 0.3},
            kernel_name="python3"))
    else:
        nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()
    return nb, _cell_seconds(nb)


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes(name, out_dir):
    missing = _missing_modules(name)
    if missing:
        pytest.skip(f"{name} needs {', '.join(missing)}, which has not been written yet")
    nb, seconds = _execute(name, out_dir)
    print(f"{name}: {seconds:.1f} s")
    errors = [o for o in _outputs(nb) if o.get("output_type") == "error"]
    assert not errors, errors
    assert _has_table(nb), f"{name} shows no table"
    for pattern in WRITES[name]:
        hits = [p for p in out_dir.glob(pattern) if p.stat().st_size > 0]
        assert hits, f"{name} did not write {pattern} into {out_dir}"
    if any(p.endswith(".png") for p in WRITES[name]):
        assert _has_image(nb), f"{name} shows no chart"
    assert not list(out_dir.glob(".esglib-tmp-*")), "a temporary file was left behind"
    # notebook-specific checks of key outputs
    text = _text(nb)
    if name.startswith("00_"):
        assert "2026-05-29" in text
    if name.startswith("03_"):
        assert "rating >= BB" in text, "the papermill parameters were not used"
    if name.startswith("05_"):
        from openpyxl import load_workbook

        book = load_workbook(out_dir / "05_scorecard.xlsx", read_only=True)
        assert {"Summary", "Weights", "Methodology", "Sources"} <= set(book.sheetnames)
        book.close()
        assert "identical" in text and "Disclosures!" in text
    if name.startswith("06_"):
        assert "945" in text and "EUR->USD" in text


@pytest.mark.notebook
@pytest.mark.slow
def test_html_command_renders_a_notebook(tmp_path, monkeypatch, capsys):
    """``esglib html`` (what ``make html`` runs) executes a notebook and writes a static HTML page."""
    missing = _missing_modules("03_screen_my_holdings.ipynb")
    if missing:
        pytest.skip(f"03_screen_my_holdings.ipynb needs {', '.join(missing)}, which has not been written yet")
    from esglib.app.cli import main

    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    out = tmp_path / "html"
    assert main(["html", "--out-dir", str(out), "--notebook", "03_screen_my_holdings.ipynb"]) == 0
    page = out / "03_screen_my_holdings.html"
    text = page.read_text(encoding="utf-8")
    assert "<table" in text and "data:image/png;base64" in text and "Recap" in text
    assert (out / "03_screen_weights.png").stat().st_size > 0   # the kernel wrote its chart into --out-dir too
    assert not list(out.glob(".esglib-tmp-*"))
    assert "03_screen_my_holdings.html" in capsys.readouterr().out


def test_html_command_is_registered():
    from esglib.app.cli import build_parser

    args = build_parser().parse_args(["html", "--out-dir", "x"])
    assert args.command == "html" and args.out_dir == "x" and callable(args.func)


# ------------------------------------------------------------------------------------------------ primer helpers
def test_google_region_cfe_loader_marks_the_intensity_basis_break():
    from esglib.app import notebook as primer

    cfe = primer.load_google_region_cfe()
    assert sorted(cfe["year"].unique()) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert cfe["cfe_pct"].dropna().between(0, 100).all()   # blank = not published for that region-year: NaN
    basis = cfe.groupby("year")["intensity_basis"].first()
    assert basis[2019] == basis[2020] == "lifecycle" and basis[2024] == "operational"
    spread = primer.cfe_spread(cfe)
    assert spread.loc[2024, "regions"] == cfe.loc[cfe["year"] == 2024, "cfe_pct"].notna().sum()
    assert spread.loc[2024, "min"] <= spread.loc[2024, "median"] <= spread.loc[2024, "max"]


def test_headline_figures_are_the_cited_iea_numbers():
    from esglib.app import notebook as primer

    h = primer.headline_figures().set_index(["figure", "year"])["value"]
    assert h[("data centres + crypto + AI, world", 2022)] == 460
    assert h[("data centres, world", 2024)] == 415
    assert h[("data centres, world, projection", 2030)] == 945


def test_repo_path_resolves_from_any_working_folder(tmp_path, monkeypatch):
    from esglib.app import notebook as primer

    monkeypatch.chdir(tmp_path)
    assert primer.repo_path("data/sample_portfolio.csv").is_file()
    assert primer.repo_path(tmp_path / "x.csv") == tmp_path / "x.csv"
