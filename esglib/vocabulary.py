"""The shared vocabulary: pillar names, rating letters and default lags, defined once for every layer."""

from __future__ import annotations

__all__ = ["FOOTPRINT_PILLARS", "PILLARS", "RATINGS", "DEFAULT_PUBLICATION_LAG_DAYS", "CASH"]

#: The four footprint pillars, in display order.
FOOTPRINT_PILLARS: tuple[str, ...] = ("energy", "water", "procurement", "circularity")
#: Every pillar: the footprint pillars plus disclosure quality.
PILLARS: tuple[str, ...] = (*FOOTPRINT_PILLARS, "disclosure")
#: Rating letters, worst first (the bands of :func:`esglib.scoring.score_to_band`).
RATINGS: tuple[str, ...] = ("CCC", "B", "BB", "BBB", "A", "AA", "AAA")
#: Days between a fiscal year end and the date a figure *without* a ``published_on`` date counts as public: the
#: conservative default of docs/methodology.md s.1 (reports appear 3-8 months after year end; a year delays, never
#: anticipates). Dated figures count from their publication date.
DEFAULT_PUBLICATION_LAG_DAYS: int = 365
#: The ticker every cash line of a portfolio is merged into.
CASH: str = "CASH"
