"""The benchmarks run on demand, never in the suite; this checks only that what they import from esglib exists,
so a renamed or moved function fails here and not when someone next runs ``make bench``."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _esglib_imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, name or None, line) for every esglib import in ``path``, at any depth (not inside strings)."""
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "esglib":
            out += [(node.module, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "esglib"]
    return out


SCRIPTS = sorted(BENCH.glob("*.py"))


def test_there_are_benchmarks_that_use_esglib():
    assert len(SCRIPTS) >= 5
    assert sum(bool(_esglib_imports(p)) for p in SCRIPTS) >= 2


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_esglib_name_a_benchmark_imports_exists(script):
    missing = []
    for module, name, line in _esglib_imports(script):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{script.name}:{line}: {module} ({exc})")
            continue
        if name is not None and name != "*" and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{script.name}:{line}: {module}.{name}")
    assert not missing, "benchmarks import names esglib no longer has:\n" + "\n".join(missing)
