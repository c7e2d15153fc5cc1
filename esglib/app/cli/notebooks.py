"""``esglib notebooks`` and ``esglib lab``: the notebook suite, also where esglib is installed rather than cloned.

The wheel carries the notebooks (``esglib/_notebooks``: each ``.ipynb`` with its jupytext ``.py`` source).
``esglib notebooks --copy DIR`` puts a working copy into a folder of the user's; ``esglib lab`` opens JupyterLab on
the suite (the repository's ``notebooks/`` in a source checkout, else a copy in ``./esglib-notebooks``).
JupyterLab is not part of the base install: it comes with the ``notebooks`` extra.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["register", "copy_notebooks", "lab_command", "DEFAULT_LAB_DIR"]

#: Folder ``esglib lab`` copies the notebooks into when esglib is installed (relative to the current folder).
DEFAULT_LAB_DIR = "esglib-notebooks"
#: Data files copied beside the notebooks, so their ``data/...`` paths point at a file the user can replace.
COPIED_DATA = ("sample_portfolio.csv",)
INSTALL_HINT = "pip install 'esglib[notebooks]'"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``notebooks`` and ``lab`` to the top-level parser."""
    p = sub.add_parser("notebooks", help="list the notebook suite, or copy it into a folder (--copy DIR)",
                       description="List the notebooks that come with esglib, or copy them (the .ipynb files, "
                                   "their jupytext .py sources and the sample portfolio under data/) into a folder "
                                   "where they run as they are. Existing files are never overwritten without "
                                   "--force.")
    p.add_argument("--copy", metavar="DIR", help="copy the suite into DIR (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist in DIR")
    p.set_defaults(func=_cmd_notebooks)

    p = sub.add_parser("lab", help="open the notebooks in JupyterLab (needs the notebooks extra)",
                       description="Open JupyterLab on the notebook suite: the repository's notebooks/ in a source "
                                   f"checkout, else DIR (default ./{DEFAULT_LAB_DIR}), into which the notebooks are "
                                   "copied first if it holds none. Run as root, --allow-root is passed for you. "
                                   f"Needs JupyterLab: {INSTALL_HINT}.",
                       epilog="Extra JupyterLab options go after --, e.g. "
                              "esglib lab --dir nb -- --no-browser --port 8890")
    p.add_argument("--dir", metavar="DIR", help="folder to open (default: see above)")
    p.add_argument("lab_args", nargs=argparse.REMAINDER, metavar="-- LAB_ARGS",
                   help="options passed to jupyter lab")
    p.set_defaults(func=_cmd_lab)


def _suite() -> list[Path]:
    from esglib.inputs import bundled_notebooks_dir

    folder = bundled_notebooks_dir()
    files = sorted(p for p in folder.iterdir() if p.name[:2].isdigit() and p.suffix in (".ipynb", ".py"))
    config = folder / "jupytext.toml"
    return files + ([config] if config.is_file() else [])


def copy_notebooks(dest: str | os.PathLike[str], *, force: bool = False) -> list[Path]:
    """Copy the notebook suite and the sample data it opens into ``dest``; return the files written.

    Parameters
    ----------
    dest : path
        Target folder, created if missing. The notebooks find the bundled data wherever esglib is installed; the
        sample portfolio is copied to ``dest/data/`` so notebook 03's default ``holdings_path`` names a file the
        user can see and replace.
    force : bool
        Overwrite files that already exist (default: refuse, naming them).

    Raises
    ------
    ConfigError
        If a file to write exists and ``force`` is false.
    """
    from esglib.errors import ConfigError
    from esglib.inputs import DATA_DIR

    dest = Path(dest)
    plan = [(src, dest / src.name) for src in _suite()]
    plan += [(DATA_DIR / name, dest / "data" / name) for name in COPIED_DATA if (DATA_DIR / name).is_file()]
    existing = [str(target) for _, target in plan if target.exists()]
    if existing and not force:
        raise ConfigError(f"`--copy` would overwrite {len(existing)} file(s) in {dest}, e.g. {existing[0]}; "
                          "choose another folder or pass --force")
    for src, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return [target for _, target in plan]


def _cmd_notebooks(args: argparse.Namespace) -> int:
    if args.copy:
        written = copy_notebooks(args.copy, force=args.force)
        n = sum(p.suffix == ".ipynb" for p in written)
        print(f"copied {n} notebooks (with their .py sources) and the sample data into {Path(args.copy).resolve()}")
        print(f"open them with: esglib lab --dir {args.copy}")
        return 0
    from esglib.inputs import bundled_notebooks_dir

    print(f"notebooks in {bundled_notebooks_dir()}:")
    for p in _suite():
        if p.suffix == ".ipynb":
            print(f"  {p.name}")
    print("copy them with: esglib notebooks --copy DIR")
    return 0


def lab_command(folder: str | os.PathLike[str], lab_args: list[str] | None = None) -> list[str]:
    """The JupyterLab command line for ``folder``: ``--allow-root`` added when running as root."""
    extra = [a for a in (lab_args or []) if a != "--"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        extra.append("--allow-root")
    return [sys.executable, "-m", "jupyterlab", str(folder), *extra]


def _cmd_lab(args: argparse.Namespace) -> int:
    from esglib.errors import ConfigError
    from esglib.inputs import source_checkout

    if importlib.util.find_spec("jupyterlab") is None:
        raise ConfigError(f"`esglib lab` needs JupyterLab, which comes with the notebooks extra: {INSTALL_HINT}")
    root = source_checkout()
    if args.dir:
        folder = Path(args.dir)
    else:
        folder = root / "notebooks" if root is not None else Path(DEFAULT_LAB_DIR)
    if not any(folder.glob("[0-9][0-9]_*.ipynb")):
        copy_notebooks(folder)
        print(f"copied the notebooks into {folder.resolve()}")
    return subprocess.call(lab_command(folder, args.lab_args))
