"""What the readers share: text out of bytes (binary refused), CSV rows with the line they start on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from msp_tui.core.formats.records import FormatError

#: Bigger files are refused before anything is read (docs/cli.md "vault import"): 10,000 items of any
#: format fit in a few MB; 50 MB leaves room for notes and 1Password's attachments.
MAX_FILE_BYTES = 50 * 1024 * 1024


def text_of(data: bytes, what: str = "this file") -> str:
    """The file as text (UTF-8, a BOM dropped); a clear sentence for binary data."""
    if b"\x00" in data[:65536]:
        raise FormatError(f"{what} holds binary data where text is expected (is it the right file?).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} is not UTF-8 text (byte {exc.start} cannot be read); "
                          "export it again as UTF-8.") from None


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells) for every non-blank record; a quoted cell may hold
    commas and newlines. A file that ends inside a quoted cell is truncated: a FormatError."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(f"the CSV is damaged or truncated near line {start} ({exc}).") from None


def cell(row: list[str], header: dict[str, int], name: str) -> str:
    i = header.get(name)
    return row[i] if i is not None and i < len(row) else ""


def header_index(row: list[str]) -> dict[str, int]:
    """Column name (lower case, trimmed) → its index; the first of duplicates wins."""
    out: dict[str, int] = {}
    for i, name in enumerate(row):
        out.setdefault(name.strip().lower(), i)
    return out
