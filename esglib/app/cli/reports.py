"""``esglib html``: execute notebooks 03 and 04 and write static HTML renderings into ``reports/``.

For readers without Jupyter: each notebook is executed from ``notebooks/`` in a fresh ``python3`` kernel (so the
HTML shows current results, with the widgets' default view rendered as ordinary output) and exported with
nbconvert. nbclient and nbconvert are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["register", "render_html", "HTML_NOTEBOOKS"]

#: Notebooks rendered by ``esglib html`` (file names in ``notebooks/``).
HTML_NOTEBOOKS = ("03_screen_my_holdings.ipynb", "04_backtest_and_statistics.ipynb")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``html`` sub-command to the top-level parser."""
    p = sub.add_parser("html", help="execute notebooks 03 and 04 and write static HTML copies to reports/",
                       description="Execute the investor notebooks (03 screen my holdings, 04 backtest and "
                                   "statistics) offline on the bundled data and write a static HTML rendering of "
                                   "each, for readers without Jupyter.")
    p.add_argument("--out-dir", metavar="DIR", help="folder for the HTML files and the notebooks' own outputs "
                                                    "(default: reports/)")
    p.add_argument("--notebook", action="append", metavar="NAME", choices=HTML_NOTEBOOKS,
                   help="render only this notebook (repeatable; default: both)")
    p.add_argument("--timeout", type=int, default=120, metavar="S", help="seconds allowed per cell (default 120)")
    p.set_defaults(func=_cmd_html)


def _notebook_dir() -> Path:
    from esglib.inputs import bundled_notebooks_dir

    return bundled_notebooks_dir()


def render_html(out_dir: str | os.PathLike[str] | None = None, notebooks: Sequence[str] = HTML_NOTEBOOKS, *,
                timeout: int = 120, stream=None) -> list[Path]:
    """Execute notebooks and write one self-contained HTML file per notebook (atomically).

    Parameters
    ----------
    out_dir : path-like, optional
        Output folder (default: ``reports/``). The notebooks' own outputs (charts) are written there too: the
        kernel gets ``ESGLIB_REPORTS_DIR=out_dir``.
    notebooks : sequence of str
        File names in ``notebooks/``.
    timeout : int
        Seconds allowed per cell.
    stream : text stream, optional
        Where progress is printed (default: stdout).

    Returns
    -------
    list of Path
        The HTML files written, ``<notebook stem>.html``.

    Raises
    ------
    ConfigError
        A notebook that does not exist.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    from esglib.atomicio import atomic_write_text
    from esglib.errors import ConfigError
    from esglib.inputs import REPORTS_DIR

    out = Path(out_dir) if out_dir else REPORTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    s = stream or sys.stdout
    folder = _notebook_dir()
    paths = []
    for name in notebooks:
        src = folder / name
        if not src.is_file():
            raise ConfigError(f"`notebooks` names {name!r}, which is not in {folder}")
        paths.append(src)
    written: list[Path] = []
    previous = os.environ.get("ESGLIB_REPORTS_DIR")
    os.environ["ESGLIB_REPORTS_DIR"] = str(out.resolve())  # the kernel inherits it
    try:
        for src in paths:
            start = time.perf_counter()
            nb = nbformat.read(src, as_version=4)
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(folder)}}).execute()
            body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
            target = atomic_write_text(out / f"{src.stem}.html", body)
            written.append(target)
            print(f"{src.name}: executed and rendered in {time.perf_counter() - start:.1f} s -> {target}", file=s)
    finally:
        if previous is None:
            os.environ.pop("ESGLIB_REPORTS_DIR", None)
        else:
            os.environ["ESGLIB_REPORTS_DIR"] = previous
    return written


def _cmd_html(args: argparse.Namespace) -> int:
    from esglib.errors import EsglibError

    try:
        from nbclient.exceptions import CellExecutionError
    except ImportError:  # pragma: no cover - nbclient is a requirement
        CellExecutionError = RuntimeError  # noqa: N806
    try:
        render_html(args.out_dir, args.notebook or HTML_NOTEBOOKS, timeout=args.timeout)
    except CellExecutionError as exc:
        raise EsglibError(f"a notebook cell failed while rendering HTML:\n{exc}") from None
    return 0
