"""Warnings as sentences in a notebook: one plain line per warning, never a pink ``UserWarning`` box with a path.

:func:`show_warnings_as_notes` is switched on when the notebook helpers are imported inside IPython/Jupyter;
:func:`as_sentence` is the wording, usable on any caught warning.
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["as_sentence", "show_warnings_as_notes", "restore_warnings"]

_PREVIOUS: list = []


def as_sentence(message: Warning | str) -> str:
    """Word a warning as one sentence: ``Note: ...`` on one line, ending with a full stop.

    Parameters
    ----------
    message : Warning or str
    """
    text = " ".join(str(message).split())
    if not text:
        return "Note."
    return f"Note: {text}" + ("" if text.endswith((".", "!", "?", ")")) else ".")


def show_warnings_as_notes(stream=None) -> None:
    """From now on show each warning as :func:`as_sentence` on ``stream`` (default stdout), once per text.

    Python's default display (``path:line: UserWarning: ...`` in a pink box) reads like an error to a student;
    the note says the same thing as a sentence. :func:`restore_warnings` switches back.
    """
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        sentence = as_sentence(message)
        if sentence in seen:
            return
        seen.add(sentence)
        print(sentence, file=stream or sys.stdout)

    if not _PREVIOUS:
        _PREVIOUS.append(warnings.showwarning)
    warnings.showwarning = show


def restore_warnings() -> None:
    """Undo :func:`show_warnings_as_notes`."""
    if _PREVIOUS:
        warnings.showwarning = _PREVIOUS.pop()


def _in_ipython() -> bool:
    shell = sys.modules.get("IPython")
    try:
        return bool(shell and shell.get_ipython() is not None)
    except Exception:  # pragma: no cover - unusual IPython builds
        return False
