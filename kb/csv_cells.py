"""CSV cells that spreadsheet programs read as text, never as formulas."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def spreadsheet_safe(value: object) -> object:
    """The value for a CSV cell: None becomes empty, text that starts like a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
