"""Scoring: derived KPIs, the scoring configuration, scores, explanations and weight sensitivity."""

from __future__ import annotations

from esglib.scoring._config import (
    CORE_DISCLOSURES,
    DC_OPERATOR_GROUPS,
    DEFAULT_REFERENCE_POINTS,
    FOOTPRINT_PILLARS,
    PILLARS,
    RATINGS,
    ScoreConfig,
    parse_weights,
    reference_points_from_frame,
    score_to_band,
)
from esglib.scoring._explain import explain, explain_many
from esglib.scoring._metrics import (
    KPI_INPUTS,
    KPI_SPECS,
    SCORED_KPIS,
    SHOWN_KPIS,
    KpiSpec,
    ProcurementLadder,
    compute_metrics,
    wide_figures,
)
from esglib.scoring._score import aggregate, default_as_of, reference_score, score
from esglib.scoring._sensitivity import sensitivity
from esglib.scoring.dask_engine import score_dask, sensitivity_dask  # (registers engine="dask"; dask not imported)

__all__ = [
    "PILLARS",
    "FOOTPRINT_PILLARS",
    "RATINGS",
    "CORE_DISCLOSURES",
    "DC_OPERATOR_GROUPS",
    "DEFAULT_REFERENCE_POINTS",
    "reference_points_from_frame",
    "ScoreConfig",
    "score_to_band",
    "parse_weights",
    "explain",
    "explain_many",
    "KpiSpec",
    "KPI_SPECS",
    "SCORED_KPIS",
    "SHOWN_KPIS",
    "ProcurementLadder",
    "compute_metrics",
    "wide_figures",
    "KPI_INPUTS",
    "score",
    "aggregate",
    "default_as_of",
    "reference_score",
    "sensitivity",
    "score_dask",
    "sensitivity_dask",
]
