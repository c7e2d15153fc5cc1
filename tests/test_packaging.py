"""esglib installs anywhere: the wheel and sdist carry the data and notebooks, and the installed command works offline.

The slow checks build the wheel and sdist from a copy of the sources (``python -m build --no-isolation``: the
installed setuptools, nothing downloaded), install the wheel into a throwaway venv that reuses this environment's
dependencies (a ``.pth`` file pointing at its site-packages; ``pip install --no-deps --no-index``), and run the
command line from an unrelated temporary folder with the network made unreachable. ``ruff check`` runs the lint
rules configured in ``pyproject.toml``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What a build needs from the checkout (tests, benchmarks and reports stay out of the distributions).
SOURCES = ("esglib", "data", "notebooks", "pyproject.toml", "setup.py", "README.md", "LICENSE", "CHANGELOG.md",
           "MANIFEST.in")
#: Files in data/ that stay in the repository only (tools that rebuild a data set from ../shared).
DATA_NOT_SHIPPED = {"prices/build_snapshot.py"}


def _version() -> str:
    from esglib._version import __version__

    return __version__


def _data_files() -> set[str]:
    files = {p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*") if p.is_file()}
    return {f for f in files if "__pycache__" not in f and not f.endswith(".pyc")} - DATA_NOT_SHIPPED


def _notebook_files() -> set[str]:
    return {p.name for p in (ROOT / "notebooks").iterdir()
            if p.name[:2].isdigit() and p.suffix in (".ipynb", ".py")} | {"jupytext.toml"}


def _module_files() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / "esglib").rglob("*.py") if "__pycache__" not in p.parts}


def _offline_env(tmp: Path) -> dict[str, str]:
    """The environment of an installed user's shell: no checkout on the path, no esglib settings, no network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESGLIB_", "PYTHON", "VIRTUAL_ENV"))}
    dead = "http://127.0.0.1:9"  # discard port: any attempt to reach the network fails at once
    env.update({"ESGLIB_OFFLINE": "1", "ESGLIB_CACHE_DIR": str(tmp / "cache"), "XDG_CACHE_HOME": str(tmp / "xdg"),
                "MPLBACKEND": "Agg", "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead,
                "https_proxy": dead, "ALL_PROXY": dead, "NO_PROXY": "", "PIP_NO_INDEX": "1"})
    return env


# ------------------------------------------------------------------------------------------------ fast checks
def test_one_version_source():
    import esglib
    from esglib.app.cli import build_parser

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "esglib._version.__version__"}
    assert esglib.__version__ == _version()
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--version"])
    assert exit_.value.code == 0
    assert f"## {_version()}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_licences_are_present_and_name_every_data_set():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"   # SPDX string (the table form is deprecated by setuptools)
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    licences = (ROOT / "data" / "LICENSES.md").read_text(encoding="utf-8")
    for name in ("disclosures.csv", "companies.csv", "macro.csv", "prices/snapshot.parquet", "google_region_cfe/",
                 "sample_portfolio.csv", "SungKyu-Kim39/BackTester39", "GoogleCloudPlatform/region-carbon-info"):
        assert name in licences, name
    for path in project["license-files"]:
        assert (ROOT / path).is_file(), path


def test_data_dir_resolution(monkeypatch, tmp_path):
    from esglib.inputs import _paths

    monkeypatch.setenv("ESGLIB_DATA_DIR", str(tmp_path))
    assert _paths.bundled_data_dir() == tmp_path          # the override wins
    monkeypatch.delenv("ESGLIB_DATA_DIR")
    assert _paths.source_checkout() == ROOT
    assert _paths.bundled_data_dir() == ROOT / "data"     # a source checkout reads its own data/
    assert _paths.bundled_notebooks_dir() == ROOT / "notebooks"
    monkeypatch.setattr(_paths, "source_checkout", lambda: None)   # installed: the wheel's copies inside the package
    assert _paths.bundled_data_dir() == _paths.PACKAGE_DIR / "_bundled"
    assert _paths.bundled_notebooks_dir() == _paths.PACKAGE_DIR / "_notebooks"


def test_notebooks_copy(tmp_path, capsys):
    from esglib.app.cli import main

    dest = tmp_path / "nb"
    assert main(["notebooks", "--copy", str(dest)]) == 0
    assert {p.name for p in dest.iterdir() if p.is_file()} == _notebook_files()
    assert (dest / "data" / "sample_portfolio.csv").is_file()
    assert "copied 7 notebooks" in capsys.readouterr().out
    assert main(["notebooks", "--copy", str(dest)]) == 2          # never overwrites without --force
    assert "--force" in capsys.readouterr().err
    assert main(["notebooks", "--copy", str(dest), "--force"]) == 0
    assert main(["notebooks"]) == 0
    assert "03_screen_my_holdings.ipynb" in capsys.readouterr().out


def test_lab_needs_the_notebooks_extra(monkeypatch, capsys):
    import importlib.util

    from esglib.app.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    assert main(["lab"]) == 2
    err = capsys.readouterr().err
    assert "JupyterLab" in err and "esglib[notebooks]" in err and "Traceback" not in err


def test_lab_command_passes_allow_root_and_extra_flags(monkeypatch):
    from esglib.app.cli import build_parser
    from esglib.app.cli.notebooks import lab_command

    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert lab_command("nb", ["--", "--no-browser"])[-3:] == ["nb", "--no-browser", "--allow-root"]
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert "--allow-root" not in lab_command("nb")
    args = build_parser().parse_args(["lab", "--dir", "x", "--", "--port", "8890"])
    assert args.dir == "x" and lab_command(args.dir, args.lab_args)[-2:] == ["--port", "8890"]


def test_makefile_targets():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")

    def dry(*targets: str) -> str:
        proc = subprocess.run([make, "-n", "-C", str(ROOT), "-W", "pyproject.toml", *targets],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    demo = dry("demo")
    assert "pip install -e .\n" in demo and "requirements" not in demo   # the base package only
    assert "--quiet" not in demo and "esglib demo" in demo
    assert "pip install -r requirements.txt" in dry("test")
    assert ".venv/bin/esglib score --year 2024" in dry("run", "ARGS=score --year 2024")
    assert ".venv/bin/esglib lab -- --no-browser" in dry("lab", "LAB_ARGS=--no-browser")
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")


# ------------------------------------------------------------------------------------------------ slow checks
@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """Build the sdist and wheel from a copy of the sources; fail on any warning about deprecated configuration."""
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(path, src / name)
    out = work / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, env=_offline_env(work), timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    banners = [line for line in log.splitlines() if "deprecat" in line.lower() or "SetuptoolsWarning" in line]
    assert not banners, banners
    return out


@pytest.mark.slow
def test_wheel_carries_data_notebooks_and_licences(dist):
    (wheel,) = dist.glob("esglib-*.whl")
    assert wheel.name == f"esglib-{_version()}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    print(f"wheel: {len(names)} files, {sum(n.startswith('esglib/_bundled/') for n in names)} of them data files")
    assert {f"esglib/_bundled/{f}" for f in _data_files()} <= names
    assert {f"esglib/_notebooks/{f}" for f in _notebook_files()} <= names
    assert _module_files() <= names, ("a module of esglib/ is missing from the wheel: check "
                                      "[tool.setuptools.packages.find] in pyproject.toml")
    info = f"esglib-{_version()}.dist-info"
    assert {f"{info}/licenses/LICENSE", f"{info}/licenses/data/LICENSES.md"} <= names
    meta = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in meta
    for extra in ("notebooks", "app", "dask"):
        assert f"Provides-Extra: {extra}" in meta
    assert not [n for n in names if n.endswith(".pyc") or "build_snapshot" in n]


@pytest.mark.slow
def test_sdist_carries_data_and_notebooks(dist):
    (sdist,) = dist.glob("esglib-*.tar.gz")
    top = f"esglib-{_version()}"
    with tarfile.open(sdist) as tar:
        names = {n.removeprefix(top + "/") for n in tar.getnames()}
    assert {f"data/{f}" for f in _data_files()} <= names
    assert {f"notebooks/{f}" for f in _notebook_files()} <= names
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A throwaway venv with the wheel installed (not editable) and this environment's packages reused."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    reuse = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "_esglib_test_reuse.pth").write_text("\n".join(reuse) + "\n", encoding="utf-8")
    (wheel,) = dist.glob("esglib-*.whl")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                           "--disable-pip-version-check", str(wheel)], capture_output=True, text=True,
                          env=_offline_env(venv.parent))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "deprecat" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    return venv


@pytest.mark.slow
def test_installed_command_works_offline_from_any_folder(installed, tmp_path):
    esglib = installed / "bin" / "esglib"
    env = _offline_env(tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str, timeout: int = 300) -> str:
        proc = subprocess.run([str(esglib), *args], cwd=work, env=env, capture_output=True, text=True,
                              timeout=timeout)
        assert proc.returncode == 0, f"esglib {' '.join(args)}: {proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr
        return proc.stdout

    where = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import esglib, esglib.inputs as io; print(esglib.__file__); print(io.DATA_DIR)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split("\n")
    assert where[0].startswith(str(installed)), f"esglib imported from {where[0]}, not from the installed wheel"
    assert where[1] == str(Path(where[0]).parent / "_bundled")

    assert run("--version").strip() == f"esglib {_version()}"
    assert "47 companies" in run("score")
    assert "MSFT: composite" in run("explain", "MSFT")
    run("scorecard", "--out", "X.xlsx")
    assert (work / "X.xlsx").stat().st_size > 0
    run("demo", "--out-dir", "D")
    assert (work / "D" / "scorecard.xlsx").stat().st_size > 0 and list((work / "D").glob("*.png"))
    assert "copied 7 notebooks" in run("notebooks", "--copy", "nb")
    assert (work / "nb" / "03_screen_my_holdings.ipynb").is_file()
    assert not (work / "reports").exists() or not any((work / "reports").iterdir())


@pytest.mark.slow
def test_ruff_check_passes():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "esglib", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
