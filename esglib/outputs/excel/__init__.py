"""Excel outputs (the only openpyxl user): cell safety, styling, the scorecard workbook and the template."""

from __future__ import annotations

from esglib.outputs.excel._cells import sheet_title, safe_text
from esglib.outputs.excel._scorecard import write_scorecard, PER_COMPANY_SHEETS_MAX
from esglib.outputs.excel._template import write_template, sheet_preview, fill_template, TEMPLATE_COLUMNS, TEMPLATE_ROWS

__all__ = [
    "sheet_title",
    "safe_text",
    "write_scorecard",
    "PER_COMPANY_SHEETS_MAX",
    "write_template",
    "sheet_preview",
    "fill_template",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_ROWS",
]
