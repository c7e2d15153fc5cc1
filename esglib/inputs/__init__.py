"""Inputs: file readers, the disclosure schema, units, loading/validating/selecting disclosures, bundled-data paths."""

from __future__ import annotations

from esglib.inputs._disclosures import (
    DEFAULT_PUBLICATION_LAG_DAYS,
    PEER_GROUPS,
    available_as_of,
    data_as_of,
    load_companies,
    load_disclosures,
    load_macro,
    publication_dates,
    select_figures,
    validate_disclosures,
)
from esglib.inputs._paths import (
    DATA_DIR,
    PACKAGE_DIR,
    REPORTS_DIR,
    bundled_data_dir,
    bundled_notebooks_dir,
    source_checkout,
)
from esglib.inputs._readers import MAX_FILE_BYTES, Table, column_letter, read_table, require_columns
from esglib.inputs._schema import (
    DISCLOSURE_COLUMNS,
    METRICS,
    MIN_YEAR,
    OPTIONAL_COLUMNS,
    OTHER_PREFIX,
    QUALITY_LABELS,
    REQUIRED_COLUMNS,
    MetricSpec,
    is_known_metric,
)
from esglib.inputs._units import (
    CANONICAL_UNIT,
    UNIT_FAMILIES,
    convert,
    factor_to_canonical,
    family_of,
    normalise_unit_name,
)

__all__ = [
    "PEER_GROUPS",
    "load_companies",
    "load_disclosures",
    "validate_disclosures",
    "load_macro",
    "select_figures",
    "publication_dates",
    "available_as_of",
    "data_as_of",
    "DEFAULT_PUBLICATION_LAG_DAYS",
    "PACKAGE_DIR",
    "DATA_DIR",
    "REPORTS_DIR",
    "bundled_data_dir",
    "bundled_notebooks_dir",
    "source_checkout",
    "Table",
    "read_table",
    "MAX_FILE_BYTES",
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
]
