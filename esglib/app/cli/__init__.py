"""The ``esglib`` command line.

Each sub-command lives in a small module of this package that exposes ``register(subparsers)``; heavy
libraries are imported inside the handlers so ``esglib --help`` stays fast. A user mistake (an
:class:`~esglib.errors.EsglibError`) prints one clear message and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from esglib.errors import EsglibError
from esglib.safety import TerminalStream, terminal_text

__all__ = ["main", "build_parser", "COMMAND_MODULES"]

#: Modules that register sub-commands, in help order.
COMMAND_MODULES = (
    "esglib.app.cli.core",
    "esglib.app.cli.prices",
    "esglib.app.cli.portfolio",
    "esglib.app.cli.excel",
    "esglib.app.cli.reports",
    "esglib.app.cli.notebooks",
    "esglib.app.cli.browser",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="esglib",
        description="Score companies on the sustainability of their AI footprint (energy, water, renewable "
                    "procurement quality, e-waste) from cited disclosures, and turn the scores into portfolio "
                    "decisions. Runs offline on bundled data.",
        epilog="Examples:\n  esglib demo\n  esglib score --year 2023\n  esglib explain GOOGL\n"
               "  esglib validate my_disclosures.csv\n\nExit status: 0 ok, 2 bad input (message names file, row, "
               "column and rule).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from esglib._version import __version__

    parser.add_argument("--version", action="version", version=f"esglib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # charts are written to files: no window, no display needed
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from esglib.app.cli._boundary import check_paths, note_warnings, os_error_message

    out, err = sys.stdout, sys.stderr
    try:  # everything printed goes through TerminalStream: no input text can send a raw control character
        with contextlib.redirect_stdout(TerminalStream(out)), contextlib.redirect_stderr(TerminalStream(err)), \
                note_warnings():
            check_paths(args)
            return int(args.func(args) or 0)
    except EsglibError as exc:
        print(f"esglib: error: {terminal_text(str(exc))}", file=err)
        return 2
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # e.g. `esglib score | head`
            return 0
        print(f"esglib: error: {terminal_text(os_error_message(exc))}", file=err)
        return 2
    except KeyboardInterrupt:
        print("esglib: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback only on request
        if os.environ.get("ESGLIB_DEBUG"):
            raise
        print(f"esglib: internal error in `{args.command}`: {type(exc).__name__}: "
              f"{terminal_text(str(exc), newlines=False)[:300]}\nThis is a bug in esglib, not in your input's "
              "format; please report it with the command you ran (ESGLIB_DEBUG=1 shows the traceback).", file=err)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
