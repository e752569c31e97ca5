"""Listings as a table, JSON, CSV or JSON lines. Ids are strings, times ISO 8601 UTC."""

from __future__ import annotations

import csv
import enum
import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

import click

from msp_tui.core.clock import iso

#: A spreadsheet runs a cell that starts with one of these; such cells get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain(value):
    """A JSON-safe value: ids as strings, times ISO 8601 UTC, enums by their label."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, enum.Enum):
        return getattr(value, "label", value.name.lower())
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def safe_cell(value) -> str:
    text = "" if value is None else str(plain(value) if not isinstance(value, str) else value)
    if isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def inert(text: str) -> str:
    """Control characters (escape sequences, bidi overrides) shown as visible code points."""
    import unicodedata

    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf") or ch == "\n"
                   else f"\\u{ord(ch):04x}" for ch in text)


def emit(fmt: str, rows: Iterable[dict], columns: Sequence[str]) -> None:
    out = sys.stdout
    if fmt == "json":
        json.dump([{k: plain(r.get(k)) for k in columns} for r in rows], out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "jsonl":
        for r in rows:
            out.write(json.dumps({k: plain(r.get(k)) for k in columns}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        w = csv.writer(out)
        w.writerow(columns)
        for r in rows:
            w.writerow([safe_cell(plain(r.get(k))) for k in columns])
    else:
        rows = list(rows)
        cells = [[inert(str(plain(r.get(k)) if r.get(k) is not None else "")) for k in columns] for r in rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
        for row in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def emit_one(fmt: str, row: dict) -> None:
    if fmt in ("json", "jsonl"):
        click.echo(json.dumps({k: plain(v) for k, v in row.items()}, indent=2 if fmt == "json" else None,
                              ensure_ascii=False))
    else:
        width = max(len(k) for k in row) if row else 0
        for k, v in row.items():
            click.echo(f"{k.ljust(width)}  {inert(str(plain(v)) if v is not None else '')}")
