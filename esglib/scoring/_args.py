"""Argument checks for the public functions: a wrong type or a frame missing its columns is a ConfigError."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from esglib.errors import ConfigError

__all__ = ["check_frame"]


def check_frame(obj, name: str, columns: Iterable[str] = (), *, index_ok: bool = False) -> pd.DataFrame:
    """Return ``obj`` when it is a DataFrame holding ``columns``; else raise :class:`ConfigError` naming ``name``.

    Parameters
    ----------
    obj : any
    name : str
        The argument's name, for the message.
    columns : iterable of str
        Required columns.
    index_ok : bool
        A required column may be the index (by name) instead.
    """
    if not isinstance(obj, pd.DataFrame):
        raise ConfigError(f"`{name}` must be a DataFrame, got {type(obj).__name__}")
    have = set(map(str, obj.columns)) | ({str(n) for n in obj.index.names if n is not None} if index_ok else set())
    missing = [c for c in columns if c not in have]
    if missing:
        raise ConfigError(f"`{name}` is missing column(s) {', '.join(missing)} "
                          f"(has {', '.join(map(str, obj.columns))})")
    return obj
