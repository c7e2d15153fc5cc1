"""Scoring: derived KPIs, the scoring configuration, scores, explanations and weight sensitivity."""

from __future__ import annotations

from esglib.scoring._config import (
    CORE_DISCLOSURES,
    FOOTPRINT_PILLARS,
    PILLARS,
    RATINGS,
    ScoreConfig,
    parse_weights,
    score_to_band,
)
from esglib.scoring._explain import explain, explain_many
from esglib.scoring._metrics import KPI_INPUTS, KPI_SPECS, KpiSpec, ProcurementLadder, compute_metrics, wide_figures
from esglib.scoring._score import aggregate, score
from esglib.scoring._sensitivity import sensitivity
from esglib.scoring.dask_engine import score_dask, sensitivity_dask  # (registers engine="dask"; dask not imported)

__all__ = [
    "PILLARS",
    "FOOTPRINT_PILLARS",
    "RATINGS",
    "CORE_DISCLOSURES",
    "ScoreConfig",
    "score_to_band",
    "parse_weights",
    "explain",
    "explain_many",
    "KpiSpec",
    "KPI_SPECS",
    "ProcurementLadder",
    "compute_metrics",
    "wide_figures",
    "KPI_INPUTS",
    "score",
    "aggregate",
    "sensitivity",
    "score_dask",
    "sensitivity_dask",
]
