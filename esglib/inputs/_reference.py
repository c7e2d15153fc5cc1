"""Load the cited reference points of the scoring and the FX table.

The files are ``data/reference_points.csv`` and ``data/fx_rates.csv``.
"""

from __future__ import annotations

import os

import pandas as pd

from esglib.errors import DataValidationError
from esglib.inputs._paths import DATA_DIR
from esglib.inputs._readers import read_table, require_columns

__all__ = ['REFERENCE_POINT_COLUMNS', 'FX_COLUMNS', 'load_reference_points', 'load_fx_rates']

#: Columns of ``data/reference_points.csv``.
REFERENCE_POINT_COLUMNS = ("kpi", "point", "value", "unit", "score", "meaning", "source_title", "source_url", "excerpt")
#: Columns of ``data/fx_rates.csv`` (annual-average rates, one row per currency and year, each cited).
FX_COLUMNS = ("currency", "year", "usd_per_unit", "source_title", "source_url", "quote", "published_on")

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _numbers(table, frame: pd.DataFrame, column: str, positive: bool = False) -> tuple[pd.Series, list]:
    text = frame[column].astype(str).str.strip()
    ok = text.str.fullmatch(_NUMBER)
    out = pd.to_numeric(text.where(ok), errors="coerce")
    bad = out.isna() | (out <= 0 if positive else False)
    rule = f"{column} must be a {'positive ' if positive else ''}number"
    return out, [table.problem(i, column, rule, frame.at[i, column]) for i in frame.index[bad]]


def load_reference_points(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the reference points that score KPIs with a physical or logical scale.

    Parameters
    ----------
    path : path-like, optional
        CSV/XLSX with :data:`REFERENCE_POINT_COLUMNS`; default: the bundled ``data/reference_points.csv``.

    Returns
    -------
    DataFrame
        One row per point: ``kpi, point, value (float), unit, score (float), meaning, source_title, source_url,
        excerpt``. Turn it into ``ScoreConfig(reference_points=...)`` with
        :func:`esglib.scoring.reference_points_from_frame`.

    Raises
    ------
    DataValidationError
        Missing columns, non-numeric values or scores, a point without a source.
    """
    table = read_table(path or DATA_DIR / "reference_points.csv")
    require_columns(table, ("kpi", "value", "score", "source_title", "source_url"))
    df = table.frame.copy()
    value, problems = _numbers(table, df, "value")
    score, more = _numbers(table, df, "score")
    problems += more
    for i in df.index[(df["source_title"] == "") & (df["source_url"] == "")]:
        problems.append(table.problem(i, "source_title", "every reference point needs its source", ""))
    if problems:
        raise DataValidationError(problems)
    df["value"] = value.astype("float64")
    df["score"] = score.astype("float64")
    return df.reset_index(drop=True)


def load_fx_rates(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load annual-average FX rates (USD per unit of a currency, per calendar year), each with its source.

    Parameters
    ----------
    path : path-like, optional
        CSV/XLSX with :data:`FX_COLUMNS`; default: the bundled ``data/fx_rates.csv`` (an empty table while the
        bundled data has none: reported-currency revenue then stays unconverted and is flagged).

    Returns
    -------
    DataFrame
        ``currency`` (upper-case ISO code), ``year`` (int), ``usd_per_unit`` (float) and the source columns.

    Raises
    ------
    DataValidationError
        Missing columns, a currency that is not three letters, a non-numeric year or non-positive rate, a row
        without a source.
    """
    p = path or DATA_DIR / "fx_rates.csv"
    if path is None and not os.path.exists(p):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "year" else "float64" if c == "usd_per_unit"
                                          else object) for c in FX_COLUMNS})
    table = read_table(p)
    require_columns(table, ("currency", "year", "usd_per_unit", "source_title", "source_url"))
    df = table.frame.copy()
    problems = []
    df["currency"] = df["currency"].str.strip().str.upper()
    for i in df.index[~df["currency"].str.fullmatch(r"[A-Z]{3}")]:
        problems.append(table.problem(i, "currency", "currency must be a 3-letter ISO 4217 code", df.at[i, "currency"]))
    year, more = _numbers(table, df, "year")
    problems += more
    rate, more = _numbers(table, df, "usd_per_unit", positive=True)
    problems += more
    for i in df.index[(df["source_title"] == "") & (df["source_url"] == "")]:
        problems.append(table.problem(i, "source_title", "every FX rate needs its source", ""))
    if problems:
        raise DataValidationError(problems)
    df["year"] = year.astype("int64")
    df["usd_per_unit"] = rate.astype("float64")
    for c in FX_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    return df[list(FX_COLUMNS)].reset_index(drop=True)
