"""The event export's two formats, written from `events.stream` batches (S3 already applied by
`services.timeline.export`, which both `msp-tui events export` and the timeline screen's x use).

CSV has the reference's event export columns, then the client and the event id; JSON lines have the
fields of `events list --format json`. A million-row export is one hot loop per format: each row is
put together from cells formatted once per distinct value, byte for byte what csv.writer and
json.dumps would write. Imports only the standard library at load (the CLI's --help stays light)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from msp_tui.core.cells import json_safe, text_cell

#: `--format csv`: the reference's event export columns, then the client and event id.
CSV_COLUMNS = ["message", "appIcon", "appName", "userId", "userName", "userEmail", "date", "ip", "type",
               "installationId", "client", "clientId", "eventId"]
#: `--format jsonl`, and `events list` in every format.
JSON_FIELDS = ["id", "date", "type", "type_name", "message", "client", "client_id", "actor_name", "actor_email",
               "actor_id", "device", "ip"]
#: The device an event came from, as the reference's (appIcon, appName).
APPS = {"terminal": ("bwi-terminal", "msp-tui (terminal)"), "browser": ("bwi-globe", "msp-tui (browser)")}


#: Each cache of formatted cells holds at most this many values, then starts again (flat memory; a
#: provider's clients are the largest set, and a cache that holds them all is what keeps exports fast).
CELL_CACHE = 200_000
#: The messages of one event type, cached by their detail, at most this many: a detail often names a
#: member and rarely repeats, so a larger cache only grows (each type once held up to CELL_CACHE).
MESSAGE_CACHE = 5_000


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an export runs. Each batch is thousands of new tuples,
    which set off collections that walked the young objects again and again: 7% of an export's
    instructions at 200,000 events (callgrind). An export makes no reference cycles to collect."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Cells:
    """The cells an export writes for the values that repeat across millions of rows (types, messages,
    people, clients, devices, addresses), each formatted once. `text` turns a text into its output
    form (neutralised and quoted for CSV, JSON-encoded for JSON lines)."""

    def __init__(self, text) -> None:
        self.text = text
        self.kinds: dict = {}
        self.people: dict = {}
        self.clients: dict = {}
        self.devices: dict = {}
        self.ips: dict = {}

    def trim(self) -> None:
        for cache in (self.people, self.clients, self.ips):
            if len(cache) > CELL_CACHE:
                cache.clear()
        for kind in self.kinds.values():
            if len(kind[2]) > MESSAGE_CACHE:
                kind[2].clear()

    def kind(self, type_):
        """(type name, the message without detail, {detail JSON: message}) for an event type."""
        from msp_tui.core.event_text import describe, type_name

        kind = self.kinds[type_] = (self.text(type_name(type_)), self.text(describe(type_, None)), {})
        return kind

    def message(self, kind, type_, detail):
        """The message of an event with a detail (the JSON text as stored; S3 already applied by core)."""
        import json

        from msp_tui.core.event_text import describe

        text = kind[2][detail] = self.text(describe(type_, json.loads(detail)))
        return text


class _CsvFields:
    """Formats a few cells exactly as the export's csv.writer would (quoting included), without the
    line end, so a row can be put together from fragments formatted once each."""

    def __init__(self) -> None:
        import csv
        import io

        self.buf = io.StringIO()
        self.writer = csv.writer(self.buf, lineterminator="\n")

    def __call__(self, *cells: str) -> str:
        if cells == ("",):
            return ""  # csv.writer writes a row of one empty cell as "", a cell among others as nothing
        self.buf.seek(0)
        self.buf.truncate()
        self.writer.writerow(cells)
        return self.buf.getvalue()[:-1]


def write_csv(batches: Iterable, out: IO[str], advance: Callable[[int], None] | None = None) -> int:
    """The reference's columns; names, emails and messages neutralised so no cell runs as a formula.

    Each row is put together from fragments formatted (neutralised, then quoted by csv.writer) once per
    distinct value; the output is byte for byte what csv.writer writes for the row's cells."""
    import csv

    from msp_tui.core.events import iso_z, uuid_text

    csv.writer(out, lineterminator="\n").writerow(CSV_COLUMNS)
    fields = _CsvFields()
    cells = _Cells(lambda text: fields(text_cell(text)))
    kinds, people, clients, devices, ips = cells.kinds, cells.people, cells.clients, cells.devices, cells.ips
    n = 0
    with _collector_paused():
        for batch in batches:
            cells.trim()
            lines = []
            add = lines.append
            for id_, type_, date, org, acting, device, ip, detail in batch.rows:
                kind = kinds.get(type_) or cells.kind(type_)
                if detail is None:
                    message = kind[1]
                else:
                    message = kind[2].get(detail) or cells.message(kind, type_, detail)
                person = people.get(acting)
                if person is None:
                    name, email = batch.actors[acting] or (None, None)
                    person = people[acting] = fields(uuid_text(acting) if acting is not None else "",
                                                     text_cell(name or ""), text_cell(email or ""))
                client = clients.get(org)
                if client is None:
                    client = clients[org] = fields(text_cell(batch.clients[org] or ""),
                                                   uuid_text(org) if org is not None else "")
                app = devices.get(device)
                if app is None:
                    icon, name = APPS.get(device, ("", device or ""))
                    app = devices[device] = fields(icon, text_cell(name))
                cell = ips.get(ip)
                if cell is None:
                    cell = ips[ip] = fields(text_cell(ip)) if ip is not None else ""
                # The date needs no quoting: digits, '-', ':', '.', 'T' and 'Z'.
                if date.__class__ is str and len(date) == 26 and date[10] == " ":
                    date = date.replace(" ", "T") + "Z"
                else:
                    date = iso_z(date)  # text in another form (SQLite keeps any)
                add(f"{message},{app},{person},{date},{cell},{kind[0]},,{client},{id_}\n")
            out.write("".join(lines))
            n += len(lines)
            if advance is not None:
                advance(len(lines))
    return n


def write_jsonl(batches: Iterable, out: IO[str], advance: Callable[[int], None] | None = None) -> int:
    """One JSON object a line: JSON_FIELDS, the fields (and values) of `events list --format json`.

    Each line is put together from JSON fragments encoded once per distinct value; the output is byte
    for byte what json.dumps(ensure_ascii=False) writes for that command's row (cli/events.py row_of)."""
    import json

    from msp_tui.core.events import iso_z, uuid_text

    raw = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

    def enc(value) -> str:  # C1 and bidi controls as \u escapes too (json.dumps escapes C0 itself)
        return json_safe(raw(value))

    cells = _Cells(enc)
    kinds, people, clients, devices, ips = cells.kinds, cells.people, cells.clients, cells.devices, cells.ips
    n = 0
    with _collector_paused():
        for batch in batches:
            cells.trim()
            lines = []
            add = lines.append
            for id_, type_, date, org, acting, device, ip, detail in batch.rows:
                kind = kinds.get(type_) or cells.kind(type_)
                if detail is None:
                    message = kind[1]
                else:
                    message = kind[2].get(detail) or cells.message(kind, type_, detail)
                person = people.get(acting)
                if person is None:
                    name, email = batch.actors[acting] or (None, None)
                    person = people[acting] = (f'"actor_name": {enc(name)}, "actor_email": {enc(email)}, '
                                               f'"actor_id": {enc(uuid_text(acting) if acting is not None else None)}')
                client = clients.get(org)
                if client is None:
                    client = clients[org] = (f'"client": {enc(batch.clients[org])}, '
                                             f'"client_id": {enc(uuid_text(org) if org is not None else None)}')
                dev = devices.get(device)
                if dev is None:
                    dev = devices[device] = enc(device)
                cell = ips.get(ip)
                if cell is None:
                    cell = ips[ip] = enc(ip)
                if date.__class__ is str and len(date) == 26 and date[10] == " ":
                    date = date.replace(" ", "T") + "Z"
                else:
                    date = iso_z(date)  # text in another form (SQLite keeps any)
                add(f'{{"id": "{id_}", "date": "{date}", "type": {type_}, "type_name": {kind[0]}, '
                    f'"message": {message}, {client}, {person}, "device": {dev}, "ip": {cell}}}\n')
            out.write("".join(lines))
            n += len(lines)
            if advance is not None:
                advance(len(lines))
    return n
