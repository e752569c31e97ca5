"""Text from the database, made inert: never markup, never a terminal escape sequence.

`plain(value)` is a rich Text (so `[bold]` stays two brackets and a word) whose control and format
characters are shown as visible `\\xNN` / `\\uNNNN` escapes instead of reaching the terminal.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text


def inert_str(value: object) -> str:
    text = "" if value is None else str(value)
    if text.isprintable():  # the common case, in C: printable text holds no Cc/Cf character
        return text
    if not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def plain(value: object, style: str = "") -> Text:
    return Text(inert_str(value), style=style)
