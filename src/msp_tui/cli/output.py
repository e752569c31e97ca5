"""Listings as a table, JSON, CSV or JSON lines, and progress bars on a terminal.

The JSON contract (docs/cli.md): ids are strings, times ISO 8601 UTC with a `Z`, enums by their
label ("Provider Admin", "Teams (Monthly)"), sets as sorted lists. Results go to stdout, messages to
stderr.
"""

from __future__ import annotations

import csv
import enum
import json
import sys
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import click

from msp_tui.core.cells import FORMULA_STARTS, json_safe, neutral, text_cell  # noqa: F401  (core's rules)
from msp_tui.core.clock import iso
FORMATS = ("table", "json", "csv", "jsonl")


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
        return sorted(plain(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def safe_cell(value) -> str:
    """One CSV cell: plain text, lists joined with '; ', formulas neutralised."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        text = "; ".join("" if v is None else str(v) for v in value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return text_cell(text)


def _json(value, **kw) -> str:
    """JSON with every control character escaped (C1 and bidi too): valid, and the exact value."""
    return json_safe(json.dumps(value, ensure_ascii=False, **kw))


def inert(text: str) -> str:
    """Control characters (escape sequences, bidi overrides) shown as visible code points."""
    import unicodedata

    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf") or ch == "\n"
                   else f"\\u{ord(ch):04x}" for ch in text)


def _table_text(value) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return inert("; ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return inert(str(value))


def emit(fmt: str, rows: Iterable[dict], columns: Sequence[str]) -> None:
    """A listing: JSON array, JSON lines and CSV stream row by row; a table is measured first.

    Nothing reaches stdout before the first row exists, so a refusal while fetching it leaves stdout empty.
    """
    import itertools

    out = sys.stdout
    it = iter(rows)
    first = next(it, None)
    rows = it if first is None else itertools.chain([first], it)
    if fmt == "json":
        out.write("[")
        empty = True
        for r in rows:
            out.write("\n  " if empty else ",\n  ")
            out.write(_json({k: plain(r.get(k)) for k in columns}))
            empty = False
        out.write("]\n" if empty else "\n]\n")
    elif fmt == "jsonl":
        for r in rows:
            out.write(_json({k: plain(r.get(k)) for k in columns}) + "\n")
    elif fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([safe_cell(r.get(k)) for k in columns])
    else:
        cells = [[_table_text(r.get(k)) for k in columns] for r in rows]
        if not cells:
            click.echo("(none)", err=True)
            return
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
        for row in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def emit_one(fmt: str, row: dict, columns: Sequence[str] | None = None) -> None:
    """One record: a JSON object, a one-row CSV, or `key  value` lines."""
    columns = list(columns or row.keys())
    if fmt in ("json", "jsonl"):
        click.echo(_json({k: plain(row.get(k)) for k in columns}, indent=2 if fmt == "json" else None))
    elif fmt == "csv":
        emit("csv", [row], columns)
    else:
        width = max((len(k) for k in columns), default=0)
        for k in columns:
            click.echo(f"{k.ljust(width)}  {_table_text(row.get(k))}")


def format_option(*choices: str):
    """`--format` on a command too (`msp-tui clients list --format json`), overriding the global one."""
    choices = choices or ("table", "json", "csv")

    def set_fmt(ctx: click.Context, _param, value):
        if value:
            from msp_tui.cli.state import CliState

            ctx.find_object(CliState).fmt = value
        return value

    def decorate(fn):
        return click.option("--format", "fmt", type=click.Choice(list(choices)), default=None,
                            expose_value=False, callback=set_fmt,
                            help="Output format (overrides the global --format).")(fn)

    return decorate


class Progress:
    """What a long command reports while it runs; see `progress`. Quiet (every method does nothing)
    when stderr is not a terminal."""

    def __init__(self, bar=None, task=None) -> None:
        self._bar, self._task = bar, task

    @property
    def enabled(self) -> bool:
        return self._bar is not None

    def __call__(self, step: str | int, total: int | None = None) -> None:
        """Core's `progress=` callbacks: a message ("clients: 1,200 of 40,000" moves the bar too), or
        (done, total) counts."""
        if self._bar is None:
            return
        if isinstance(step, int):
            self._bar.update(self._task, completed=step, total=total if total is not None else None)
            return
        found = _OF.search(step)
        if found:
            what = step[:found.start()].rstrip(" :") or self._bar.tasks[0].description
            self._bar.update(self._task, description=inert(what), completed=_count(found[1]),
                             total=_count(found[2]))
        else:
            self._bar.update(self._task, description=inert(step))

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def total(self, total: int | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def done(self, message: str) -> None:
        """The last line, left on the terminal: what was done."""
        if self._bar is not None:
            task = self._bar.tasks[0]
            self._bar.update(self._task, description=inert(message), total=task.total or task.completed or 1,
                             completed=task.total or task.completed or 1)


_OF = re.compile(r"([\d,]+) of ([\d,]+)\s*$")


def _count(text: str) -> int:
    return int(text.replace(",", ""))


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Progress]:
    """A rich progress bar on stderr for a long command (demo, export, backup, import, key rotation).

        with progress("exported") as p:
            n = timeline.export(db, scope, flt, out, fmt, p.advance)
            p.done(f"{n:,} events")

    Quiet when stderr is not a terminal (piped, redirected, in CI): nothing is written there, so
    scripts read only the messages they ask for."""
    if not sys.stderr.isatty():
        yield Progress()
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, SpinnerColumn, TextColumn,
                               TimeElapsedColumn)

    bar = Bar(SpinnerColumn(finished_text="✓"), TextColumn("{task.description}"), BarColumn(),
              MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=False)
    with bar:
        yield Progress(bar, bar.add_task(inert(label), total=total))
