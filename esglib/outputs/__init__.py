"""Outputs: charts (the only seaborn/matplotlib user), the Excel workbooks (``outputs.excel``) and HTML reports.

Charts live in :mod:`esglib.outputs.plots`; they import matplotlib on first call, so importing this package stays
light.
"""

from __future__ import annotations

from esglib.outputs.excel import (
    PER_COMPANY_SHEETS_MAX,
    TEMPLATE_COLUMNS,
    TEMPLATE_ROWS,
    fill_template,
    safe_text,
    sheet_preview,
    sheet_title,
    write_scorecard,
    write_template,
)

__all__ = [
    "PER_COMPANY_SHEETS_MAX",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_ROWS",
    "fill_template",
    "safe_text",
    "sheet_preview",
    "sheet_title",
    "write_scorecard",
    "write_template",
]
