"""The command line's boundary: paths checked before any work, OS errors and warnings turned into messages.

* :func:`check_paths` refuses, before anything is read or written, an input that is not a regular file (a FIFO
  would hang, ``/dev/zero`` would fill memory) and an output that is one of the inputs (symlinks and hard links
  included), a folder, under a file, in an unwritable folder or too long a name.
* :func:`os_error_message` turns an ``OSError`` into one line naming the path and what went wrong.
* :func:`note_warnings` prints each warning as one ``esglib: note:`` line instead of Python's two-line
  ``file:line: UserWarning`` output.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import stat
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from esglib.atomicio import check_output_path
from esglib.errors import ConfigError

__all__ = ["INPUT_ARGS", "check_paths", "os_error_message", "note_warnings", "format_note", "brief"]

#: argparse destinations that name an input file, with the flag a user typed.
INPUT_ARGS = {"path": "input file", "disclosures": "--disclosures", "companies": "--companies",
              "holdings": "--holdings"}
#: Bundled inputs used when an option is not given (an output must not replace them either).
_BUNDLED = {"disclosures": "disclosures.csv", "companies": "companies.csv"}


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    from esglib.inputs._paths import DATA_DIR

    found: dict[str, str] = {}
    for dest, flag in INPUT_ARGS.items():
        value = getattr(args, dest, None)
        if value:
            found[flag] = str(value)
        elif dest in _BUNDLED and hasattr(args, dest):
            found[f"bundled {_BUNDLED[dest]}"] = str(DATA_DIR / _BUNDLED[dest])
    return found


def _check_input(flag: str, path: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return  # the reader says "file not found" with its own located message
    except OSError as exc:
        what = _HINTS.get(exc.errno or -1) or exc.strerror or type(exc).__name__
        raise ConfigError(f"`{flag}` {_short(path)}: cannot be read: {what}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"`{flag}` {path}: is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a device" if
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise ConfigError(f"`{flag}` {path}: is {kind}; esglib reads regular files only")


def check_paths(args: argparse.Namespace) -> None:
    """Check every input and output path of a parsed command line before the command runs."""
    inputs = {k: v for k, v in _inputs(args).items() if not k.startswith("bundled")}
    for flag, path in inputs.items():
        _check_input(flag, path)
    out = getattr(args, "out", None)
    if out:
        check_output_path(out, _inputs(args), "--out", getattr(args, "command", "") or "")
    out_dir = getattr(args, "out_dir", None)
    if out_dir:
        p = Path(out_dir)
        if p.exists() and not p.is_dir():
            raise ConfigError(f"`--out-dir` {out_dir}: is a file, not a folder")


def _short(path: str, limit: int = 120) -> str:
    return path if len(path) <= limit else f"{path[:limit // 2]}...{path[-limit // 2:]}"


_HINTS = {
    errno.ENAMETOOLONG: "the name is too long for this file system: choose a shorter one",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "a file is in the way",
    errno.EXDEV: "cannot move a file across file systems",
}


def os_error_message(exc: OSError, path: str | None = None, verb: str | None = None) -> str:
    """One line for an ``OSError``: the path (``exc.filename`` or ``path``) and what went wrong, in words."""
    name = exc.filename if exc.filename is not None else path
    what = _HINTS.get(exc.errno or -1) or exc.strerror or str(exc) or type(exc).__name__
    lead = f"cannot {verb} " if verb else ""
    if name is None:
        return f"{lead}{what}".strip()
    other = f" -> {_short(str(exc.filename2))}" if getattr(exc, "filename2", None) else ""
    return f"{lead}{_short(str(name))}{other}: {what}"


def brief(text: str, limit: int = 400) -> str:
    """``text`` on one line, cut after about ``limit`` characters at a list separator, saying how much is left."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text.rfind(", ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    rest = text[cut:].lstrip(", ")
    items = rest.count(", ") + 1
    return f"{text[:cut]} ... ({items:,} more items; --json gives the full list)"


def format_note(message: Warning | str) -> str:
    """Format a warning as one line: ``esglib: note: ...`` (newlines folded into spaces, long lists cut)."""
    return "esglib: note: " + brief(str(message))


@contextlib.contextmanager
def note_warnings(stream=None) -> Iterator[None]:
    """Show every warning raised inside as one ``esglib: note:`` line on ``stream`` (default stderr).

    When the caller already records or shows warnings its own way (``warnings.catch_warnings(record=True)``,
    a notebook, a custom ``showwarning``), nothing is changed.
    """
    ours = (warnings.showwarning is getattr(warnings, "_showwarning_orig", None)
            and getattr(warnings, "_showwarnmsg_impl", None) is _ORIGINAL_IMPL)
    if not ours:
        yield
        return
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        try:
            (stream or sys.stderr).write(format_note(message) + "\n")
        except (OSError, ValueError):
            pass

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


_ORIGINAL_IMPL = getattr(warnings, "_showwarnmsg_impl", None)
