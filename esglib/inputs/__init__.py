"""Inputs: file readers, the disclosure schema, units, loading/validating/selecting disclosures, bundled-data paths."""

from __future__ import annotations

from esglib.inputs._disclosures import PEER_GROUPS, load_companies, load_disclosures, validate_disclosures, load_macro, select_figures, publication_dates, figure_publication, available_as_of, data_as_of, DEFAULT_PUBLICATION_LAG_DAYS
from esglib.inputs._reference import REFERENCE_POINT_COLUMNS, FX_COLUMNS, load_reference_points, load_fx_rates
from esglib.inputs._paths import PACKAGE_DIR, DATA_DIR, REPORTS_DIR
from esglib.inputs._readers import Table, read_table, column_letter, require_columns
from esglib.inputs._schema import MetricSpec, METRICS, OTHER_PREFIX, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, DISCLOSURE_COLUMNS, QUALITY_LABELS, is_known_metric, MIN_YEAR
from esglib.inputs._units import UNIT_FAMILIES, CANONICAL_UNIT, normalise_unit_name, factor_to_canonical, family_of, convert, reported_currency

__all__ = [
    "PEER_GROUPS",
    "load_companies",
    "load_disclosures",
    "validate_disclosures",
    "load_macro",
    "select_figures",
    "publication_dates",
    "figure_publication",
    "available_as_of",
    "data_as_of",
    "DEFAULT_PUBLICATION_LAG_DAYS",
    "REFERENCE_POINT_COLUMNS",
    "FX_COLUMNS",
    "load_reference_points",
    "load_fx_rates",
    "PACKAGE_DIR",
    "DATA_DIR",
    "REPORTS_DIR",
    "Table",
    "read_table",
    "column_letter",
    "require_columns",
    "MetricSpec",
    "METRICS",
    "OTHER_PREFIX",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "DISCLOSURE_COLUMNS",
    "QUALITY_LABELS",
    "is_known_metric",
    "MIN_YEAR",
    "UNIT_FAMILIES",
    "CANONICAL_UNIT",
    "normalise_unit_name",
    "factor_to_canonical",
    "family_of",
    "convert",
    "reported_currency",
]
