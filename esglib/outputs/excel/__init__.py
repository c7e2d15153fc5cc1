"""Excel outputs (the only openpyxl user): cell safety, styling, the scorecard workbook and the template."""

from __future__ import annotations

from esglib.outputs.excel._cells import safe_text, sheet_title
from esglib.outputs.excel._scorecard import PER_COMPANY_SHEETS_MAX, write_scorecard
from esglib.outputs.excel._template import TEMPLATE_COLUMNS, TEMPLATE_ROWS, fill_template, sheet_preview, write_template

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
