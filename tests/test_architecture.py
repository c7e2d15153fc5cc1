"""The one-way import rule (docs/architecture.md), checked on the source with :mod:`ast`.

Every esglib module belongs to a layer; a module may import only from its own layer or a lower one, and the
module-level import graph has no cycles. Imports inside functions count too (they are coupling all the same).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "esglib"

#: layers, lowest first; a module is in the layer of its first dotted component below ``esglib``
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "vocabulary", "atomicio", "_version", "safety"),
    ("inputs",),
    ("market",),
    ("scoring",),
    ("portfolio",),
    ("backtest",),
    ("analysis",),
    ("outputs",),
    ("app",),
)
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
#: outside libraries that may be imported by one subpackage only
OWNERS = {"yfinance": "esglib.market._yahoo", "statsmodels": "esglib.analysis._stats",
          "openpyxl": "esglib.outputs.excel", "seaborn": "esglib.outputs.plots", "matplotlib": "esglib.outputs.plots"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, module: str) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    out = []
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_pkg else 0)]
                base = ".".join(anchor + ([base] if base else []))
            if base == "esglib":
                out += [(f"esglib.{a.name}", id(node) in top) for a in node.names]
            else:
                out.append((base, id(node) in top))
    return out


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return RANK.get(parts[1]) if len(parts) > 1 else None


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def test_every_module_has_a_layer():
    for module in _modules():
        if module in ("esglib", "esglib.__main__"):
            continue
        assert _layer(module) is not None, f"{module} is in no layer of tests/test_architecture.py"


def test_imports_flow_one_way():
    modules = _modules()
    bad = []
    for module, path in modules.items():
        mine = _layer(module)
        if mine is None:
            continue
        for name, _ in _imports(path, module):
            if not name.startswith("esglib"):
                continue
            target = _layer(name)
            if target is not None and target > mine:
                bad.append(f"{module} imports {name} (layer {LAYERS[target]} is above {LAYERS[mine]})")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        deps = set()
        for name, at_top in _imports(path, module):
            if at_top and name.startswith("esglib"):
                target = _resolve(name, modules)
                if target and target != module:
                    deps.add(target)
        graph[module] = deps
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_function_level_esglib_imports_only_in_the_command_line():
    """Library code imports esglib at module level; only the CLI defers (to keep ``esglib --help`` fast)."""
    bad = []
    for module, path in _modules().items():
        if module.startswith("esglib.app.cli") or module == "esglib":
            continue
        for name, at_top in _imports(path, module):
            if name.startswith("esglib") and not at_top:
                bad.append(f"{module}: {name}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_each_outside_library_has_one_home(library):
    owner = OWNERS[library]
    users = sorted(m for m, p in _modules().items()
                   if any(n == library or n.startswith(library + ".") for n, _ in _imports(p, m)))
    assert all(u == owner or u.startswith(owner + ".") for u in users), f"{library} imported by {users}"


#: modules allowed past the size limit, with the reason
_LONG_OK = {"esglib.inputs.brokers": "one parser per broker export format (landed with the brokers issue)"}


def test_no_module_over_600_lines():
    long = {m: n for m, p in _modules().items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600 and m not in _LONG_OK}
    assert not long, long


def test_notebooks_use_only_the_public_api():
    """The notebooks' sources import esglib's public modules only (no ``_private`` module, no private name)."""
    bad = []
    for path in sorted((PACKAGE.parent / "notebooks").glob("[0-9][0-9]_*.py")):
        for name, _ in _imports(path, "notebook"):
            if name.startswith("esglib") and any(part.startswith("_") for part in name.split(".")):
                bad.append(f"{path.name}: {name}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("esglib"):
                bad += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not bad, "\n".join(bad)
