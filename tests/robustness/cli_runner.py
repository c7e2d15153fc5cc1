"""Run the esglib command line in-process and capture what it prints (shared by the robustness-v2 tests)."""

from __future__ import annotations

import contextlib
import io
import warnings


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``esglib ARGV`` in this process: (exit status, stdout, stderr); Python warnings are silenced."""
    from esglib.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()
