"""esglib.inputs: the metric catalogue is consistent data."""

from __future__ import annotations

import pytest

from esglib.inputs import (
    CANONICAL_UNIT,
    DISCLOSURE_COLUMNS,
    METRICS,
    MIN_YEAR,
    OPTIONAL_COLUMNS,
    OTHER_PREFIX,
    QUALITY_LABELS,
    REQUIRED_COLUMNS,
    UNIT_FAMILIES,
    MetricSpec,
    is_known_metric,
)
from esglib.scoring import KPI_INPUTS, KPI_SPECS


def test_catalogue_is_keyed_by_name():
    assert all(name == spec.name for name, spec in METRICS.items())
    assert len(METRICS) == 46  # 33 of v1 + 13 of methodology v2


@pytest.mark.parametrize("spec", list(METRICS.values()), ids=list(METRICS))
def test_each_metric_is_well_formed(spec: MetricSpec):
    assert spec.family in UNIT_FAMILIES
    assert spec.unit == CANONICAL_UNIT[spec.family]
    assert spec.pillar in {"energy", "water", "procurement", "circularity", "finance", "target"}
    assert spec.description.strip().endswith(")") or spec.description.strip().endswith(".")
    if spec.lower is not None and spec.upper is not None:
        assert spec.lower < spec.upper
    if spec.family == "percent":
        assert spec.lower == 0 and spec.upper is not None and spec.upper >= 100
    if spec.family in {"energy", "emissions", "water", "mass", "power"}:
        assert spec.lower == 0 and spec.upper is None, "volumes are bounded below by 0 only"
    if spec.pillar == "target":
        assert spec.family == "year" and (spec.lower, spec.upper) == (2000, 2100)


def test_pue_bounds_follow_the_definition():
    pue = METRICS["pue"]
    assert pue.lower == 1.0 and not pue.lower_strict  # PUE = 1 is the ideal, allowed
    assert METRICS["revenue_usd_m"].lower_strict  # revenue is a denominator: > 0
    assert METRICS["server_useful_life_years"].lower_strict


@pytest.mark.parametrize(("name", "known"), [
    ("pue", True), ("scope2_market_tco2e", True), ("other:datacentre_count", True), ("other:", False),
    ("PUE", False), ("other", False), ("scope2_tco2e", False), ("", False),
])
def test_is_known_metric(name, known):
    assert is_known_metric(name) is known


def test_columns():
    assert REQUIRED_COLUMNS == ("ticker", "fiscal_year", "metric", "value", "unit")
    assert set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) == set(DISCLOSURE_COLUMNS)
    assert not set(REQUIRED_COLUMNS) & set(OPTIONAL_COLUMNS)
    assert len(DISCLOSURE_COLUMNS) == len(set(DISCLOSURE_COLUMNS)) == 19  # + published_on, retrieved_from
    assert {"source_title", "source_url", "quote", "data_quality", "report_edition"} <= set(OPTIONAL_COLUMNS)


def test_quality_scale_and_min_year():
    assert sorted(QUALITY_LABELS) == [1, 2, 3, 4]
    assert MIN_YEAR == 1990
    assert OTHER_PREFIX == "other:"


def test_every_kpi_input_is_a_catalogue_metric():
    assert set(KPI_INPUTS) == set(KPI_SPECS)
    for kpi, inputs in KPI_INPUTS.items():
        assert inputs, kpi
        for m in inputs:
            assert m in METRICS, (kpi, m)


def test_kpi_pillars_are_footprint_pillars():
    assert {s.pillar for s in KPI_SPECS.values()} == {"energy", "water", "procurement", "circularity"}
