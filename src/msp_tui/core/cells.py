"""Cells of exported files (CSV) a spreadsheet must show as text and never run as a formula.

Kept apart from the services so the command line can use it without loading the database layer."""

from __future__ import annotations

#: A spreadsheet runs a cell that starts with one of these; such cells get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
