"""Text rendering shared by the command line and the demo."""

from __future__ import annotations

__all__ = ["format_scores"]


def format_scores(scores, all_columns: bool = False) -> str:
    """Render a scores frame as a readable fixed-width table."""
    import pandas as pd

    cols = ["rank", "company", "peer_group", "fiscal_year", "energy", "water", "procurement", "circularity",
            "disclosure", "composite", "rating", "coverage"]
    if all_columns:
        cols += ["composite_indicative", "n_figures", "flags"]
    df = scores[cols].copy()
    for c in ("energy", "water", "procurement", "circularity", "disclosure", "composite", "composite_indicative"):
        if c in df:
            df[c] = df[c].map(lambda v: "" if pd.isna(v) else f"{v:5.1f}")
    df["coverage"] = df["coverage"].map(lambda v: f"{v:.0%}")
    df["rank"] = df["rank"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    df["fiscal_year"] = df["fiscal_year"].map(lambda v: "-" if pd.isna(v) else str(int(v)))
    df["company"] = df["company"].str.slice(0, 26)
    return df.to_string()
