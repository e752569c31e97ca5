"""Cells of exported files (CSV) a spreadsheet must show as text and never run as a formula, and
output a terminal must show as text and never run as an escape sequence.

Kept apart from the services so the command line can use it without loading the database layer."""

from __future__ import annotations

import re

#: A spreadsheet runs a cell that starts with one of these; such cells get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


#: C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides and
#: isolates: each can move the cursor, retitle or recolour a terminal, or reorder what it shows.
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: What json.dumps(ensure_ascii=False) leaves raw among those (it escapes C0 itself), and the line
#: and paragraph separators.
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _code(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_controls(text: str) -> str:
    """Text for a terminal or a CSV cell: each control shown as `\\u001b`; tab and newline kept.

    Values are stored exactly; only what is written out is escaped (issue 15, attack 10)."""
    if text.isprintable():
        return text
    return _TEXT_CONTROLS.sub(_code, text)


def json_safe(encoded: str) -> str:
    """JSON text (json.dumps(ensure_ascii=False)) with DEL, C1 controls and bidi controls written as
    \\u escapes too: still valid JSON, decoding to the exact same value."""
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    return _JSON_RAW.sub(_code, encoded)


def text_cell(text: str) -> str:
    """A CSV cell of text: controls escaped, then neutralised so a spreadsheet never runs it."""
    return neutral(escape_controls(text))
