"""Exception types raised by esglib.

Every error a *user* can cause (a wrong file, column, unit or value) is an :class:`EsglibError`.
The command line catches these, prints their message and exits with status 2; no traceback is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "EsglibError",
    "DataValidationError",
    "ConfigError",
    "MarketDataError",
    "Problem",
]


@dataclass(frozen=True)
class Problem:
    """One validation failure.

    Attributes
    ----------
    file : str
        The file (or ``"<frame>"`` for an in-memory DataFrame).
    row : int or None
        1-based line number in the file as a user sees it (header is line 1), or None for file-level problems.
    column : str or None
        Column name (CSV) or cell reference such as ``Disclosures!D14`` (Excel).
    rule : str
        The rule that was broken, in plain words.
    value : Any
        The offending value, as read.
    """

    file: str
    row: int | None
    column: str | None
    rule: str
    value: Any = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f" (got {self.value!r})"
        return f"{where}: {self.rule}{value}"


class EsglibError(Exception):
    """Base class for every error esglib raises on purpose."""


class ConfigError(EsglibError, ValueError):
    """An argument or configuration value is invalid (names the argument, rule and value)."""


class DataValidationError(EsglibError, ValueError):
    """Input data broke one or more rules.

    Parameters
    ----------
    problems : list of Problem
        Every problem found (validation is lazy: all problems are reported at once).
    """

    def __init__(self, problems: list[Problem] | Problem, header: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        files = sorted({p.file for p in self.problems})
        head = header or f"{n} problem{'s' if n != 1 else ''} in {', '.join(files)}"
        shown = self.problems[:200]
        lines = [head] + [f"  - {p}" for p in shown]
        if n > len(shown):
            lines.append(f"  ... and {n - len(shown)} more")
        super().__init__("\n".join(lines))


class MarketDataError(EsglibError, RuntimeError):
    """Prices could not be obtained from any allowed source (or are unusable)."""
