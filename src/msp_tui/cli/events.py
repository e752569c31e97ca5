"""`events`: the timeline from the command line: list, export, verify."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta

import click

from msp_tui.cli.output import Progress, emit, format_option
from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput

#: `events list` (every format) and `events export --format jsonl`.
COLUMNS = ["id", "date", "type", "type_name", "message", "client", "client_id", "actor_name", "actor_email",
           "actor_id", "device", "ip"]
#: `events export --format csv`: the reference's event export columns, then the client and event id.
EXPORT_COLUMNS = ["message", "appIcon", "appName", "userId", "userName", "userEmail", "date", "ip", "type",
                  "installationId", "client", "clientId", "eventId"]
#: The device an event came from, as the reference's (appIcon, appName).
APPS = {"terminal": ("bwi-terminal", "msp-tui (terminal)"), "browser": ("bwi-globe", "msp-tui (browser)")}


def parse_time(text: str | None, field: str = "since") -> datetime | None:
    """ISO 8601 (taken as UTC when it has no offset) or a span back from now: 15m, 24h, 7d."""
    if not text:
        return None
    from msp_tui.core import clock

    t = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if t[:-1].isdigit() and t[-1:] in units:
        return clock.now() - timedelta(**{units[t[-1]]: int(t[:-1])})
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--{field} {text!r} is not a time: use ISO 8601 (2026-11-25T08:00Z) or 15m, 24h, 7d.",
                       field) from None
    if dt.tzinfo is not None:
        from datetime import UTC

        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def row_of(r) -> dict:
    from msp_tui.core.event_text import describe, type_name

    return {"id": str(r.id), "date": r.date, "type": r.type, "type_name": type_name(r.type),
            "message": describe(r.type, r.detail), "client": r.client_name, "client_id": r.organization_id,
            "actor_name": r.actor_name, "actor_email": r.actor_email, "actor_id": r.acting_account_id,
            "device": r.device, "ip": r.ip_address}


def filter_options(f):
    f = click.option("--client", "clients", multiple=True, help="A client's name or id (repeatable).")(f)
    f = click.option("--actor", "actors", multiple=True, help="Email of the acting person (repeatable).")(f)
    f = click.option("--type", "types", multiple=True,
                     help="An event type number or a category (staff, clients, members, groups, collections, "
                          "items, policies, vault-access, users, organization); repeatable.")(f)
    f = click.option("--since", default=None,
                     help="ISO 8601 time (UTC unless it has an offset) or 15m / 24h / 7d ago; default 30 days "
                          "before --until; at most 367 days before it.")(f)
    f = click.option("--until", default=None, help="ISO 8601 time or 15m / 24h / 7d ago (default now).")(f)
    return f


def build_filter(state: CliState, clients, actors, types, since, until):
    """Turn the flags into a scope and an EventFilter (core decides what this person may see)."""
    from sqlalchemy import select

    from msp_tui.core.events import EventFilter, event_types_in
    from msp_tui.core.models import Account
    from msp_tui.core.services import timeline
    from msp_tui.core.services.common import find_client

    db, actor = state.db(), state.actor()
    scope = timeline.scope_for(db, actor, clients[0] if len(clients) == 1 else None)
    client_ids, actor_ids = [], []
    with db.read() as s:
        for c in clients:
            client_ids.append(find_client(s, actor.provider_id, c).id)
        for a in actors:
            acc = s.execute(select(Account.id).where(Account.email == a.strip().lower())).scalar()
            if acc is None:
                raise BadInput(f"No person {a!r}.", "actor")
            actor_ids.append(acc)
    bad = [t for t in types if not t.strip()]
    if bad:
        raise BadInput("--type needs a number or a category.", "type")
    numbers = [int(t) for t in types if t.strip().isdigit()]
    categories = [t.strip() for t in types if not t.strip().isdigit()]
    flt = EventFilter(client_ids=tuple(client_ids), actor_ids=tuple(actor_ids),
                      types=event_types_in(numbers), categories=tuple(categories),
                      since=parse_time(since, "since"), until=parse_time(until, "until"))
    flt.time_range()
    return db, scope, flt


@click.group("events", invoke_without_command=True)
@filter_options
@pass_state
@click.pass_context
def events(ctx, state: CliState, clients, actors, types, since, until) -> None:
    """The event timeline across the provider and all its clients.

    With no subcommand it opens the UI on the timeline, filtered by the flags.

    \b
    Example:
      msp-tui events --client Contoso --since 24h
    """
    if ctx.invoked_subcommand is None:
        from msp_tui.cli.ui import open_ui

        db, scope, flt = build_filter(state, clients, actors, types, since, until)
        open_ui(state, actor=state.actor(), start="timeline", start_args={"filter": flt})


@events.command("list")
@filter_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="How many events, newest first (use `events export` for more).")
@format_option("table", "json", "csv", "jsonl")
@pass_state
def list_(state: CliState, clients, actors, types, since, until, limit) -> None:
    """List events newest first.

    \b
    Example:
      msp-tui events list --type staff --since 7d --format json
    """
    from msp_tui.core.services import timeline

    db, scope, flt = build_filter(state, clients, actors, types, since, until)
    emit(state.fmt, (row_of(r) for r in timeline.page(db, scope, flt, limit=limit)), COLUMNS)


@events.command("export")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="csv (the reference's columns; default) or jsonl (the fields of `events list`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of stdout.")
@pass_state
def export(state: CliState, clients, actors, types, since, until, fmt, output) -> None:
    """Export every matching event, newest first, as CSV or JSON lines, in constant memory.

    CSV cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) get a leading '.
    A file written with -o is created readable by its owner only.

    \b
    Example:
      msp-tui events export --since 2026-01-01 --until 2026-06-30 -o h1.csv
      msp-tui events export --client Contoso --since 24h --format jsonl | siem-forwarder
    """
    from msp_tui.core.services import timeline

    fmt = fmt or ("jsonl" if state.fmt in ("json", "jsonl") else "csv")
    db, scope, flt = build_filter(state, clients, actors, types, since, until)
    progress = Progress("exported")
    # A file of its own is readable by its owner only: it names people and addresses.
    out = (os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8",
                     newline="") if output else sys.stdout)
    try:
        with db.read(transaction=True) as s:  # PostgreSQL's server-side cursor lives in a transaction
            # Plain tuples straight from one streamed query, S3 applied by core (timeline.stream_shown).
            batches = timeline.stream_shown(s, scope, flt, batch=5000)
            n = (write_csv if fmt == "csv" else write_jsonl)(batches, out, progress)
    finally:
        if output:
            out.close()
    progress.done(f"{n:,} events")


#: Each cache of formatted cells holds at most this many values, then starts again (flat memory; a
#: provider's clients are the largest set, and a cache that holds them all is what keeps exports fast).
CELL_CACHE = 200_000
#: The messages of one event type, cached by their detail, at most this many: a detail often names a
#: member and rarely repeats, so a larger cache only grows (each type once held up to CELL_CACHE).
MESSAGE_CACHE = 5_000


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


def write_csv(batches, out, progress: Progress) -> int:
    """The reference's columns; names, emails and messages neutralised so no cell runs as a formula.

    Each row is put together from fragments formatted (neutralised, then quoted by csv.writer) once per
    distinct value; the output is byte for byte what csv.writer writes for the row's cells."""
    import csv

    from msp_tui.cli.output import neutral
    from msp_tui.core.events import iso_z, uuid_text

    csv.writer(out, lineterminator="\n").writerow(EXPORT_COLUMNS)
    fields = _CsvFields()
    cells = _Cells(lambda text: fields(neutral(text)))
    kinds, people, clients, devices, ips = cells.kinds, cells.people, cells.clients, cells.devices, cells.ips
    n = 0
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
                name, email = batch.actors.get(acting) or (None, None)
                person = people[acting] = fields(uuid_text(acting) if acting is not None else "",
                                                 neutral(name or ""), neutral(email or ""))
            client = clients.get(org)
            if client is None:
                client = clients[org] = fields(neutral(batch.clients.get(org) or ""),
                                               uuid_text(org) if org is not None else "")
            app = devices.get(device)
            if app is None:
                icon, name = APPS.get(device, ("", device or ""))
                app = devices[device] = fields(icon, neutral(name))
            cell = ips.get(ip)
            if cell is None:
                cell = ips[ip] = fields(neutral(ip)) if ip is not None else ""
            # The date needs no quoting: digits, '-', ':', '.', 'T' and 'Z'.
            if date.__class__ is str and len(date) == 26 and date[10] == " ":
                date = date.replace(" ", "T") + "Z"
            else:
                date = iso_z(date)  # a datetime (PostgreSQL), or text in another form
            add(f"{message},{app},{person},{date},{cell},{kind[0]},,{client},{id_}\n")
        out.write("".join(lines))
        n += len(lines)
        progress.advance(len(lines))
    return n


def write_jsonl(batches, out, progress: Progress) -> int:
    """One JSON object a line, with the fields (and values) of `events list --format json`.

    Each line is put together from JSON fragments encoded once per distinct value; the output is byte
    for byte what json.dumps(ensure_ascii=False) writes for the dict of `row_of`."""
    import json

    from msp_tui.core.events import iso_z, uuid_text

    enc = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    cells = _Cells(enc)
    kinds, people, clients, devices, ips = cells.kinds, cells.people, cells.clients, cells.devices, cells.ips
    n = 0
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
                name, email = batch.actors.get(acting) or (None, None)
                person = people[acting] = (f'"actor_name": {enc(name)}, "actor_email": {enc(email)}, '
                                           f'"actor_id": {enc(uuid_text(acting) if acting is not None else None)}')
            client = clients.get(org)
            if client is None:
                client = clients[org] = (f'"client": {enc(batch.clients.get(org))}, '
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
                date = iso_z(date)  # a datetime (PostgreSQL), or text in another form
            add(f'{{"id": "{id_}", "date": "{date}", "type": {type_}, "type_name": {kind[0]}, '
                f'"message": {message}, {client}, {person}, "device": {dev}, "ip": {cell}}}\n')
        out.write("".join(lines))
        n += len(lines)
        progress.advance(len(lines))
    return n


@events.command("verify")
@click.option("--checkpoint", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A checkpoint written earlier: the log must still contain it unchanged.")
@click.option("--write-checkpoint", type=click.Path(dir_okay=False), default=None,
              help="After a clean check, save the chain's head here (keep it somewhere the database's "
                   "writers cannot change it).")
@click.option("--no-signatures", is_flag=True, help="Check links and hashes only (faster).")
@pass_state
def verify(state: CliState, checkpoint, write_checkpoint, no_signatures) -> None:
    """Check the hash chain of the whole event log; exit 1 at the first broken link.

    Prints `OK <count> events, head <hash>` or the first broken link. A checkpoint also catches
    events removed from the end of the log. Provider Admins only.

    \b
    Example:
      msp-tui events verify --write-checkpoint /secure/msp-events.checkpoint
      msp-tui events verify --checkpoint /secure/msp-events.checkpoint
    """
    import json
    from pathlib import Path

    from msp_tui.core import checkpoint as checkpoints
    from msp_tui.core import clock
    from msp_tui.core import events as core_events
    from msp_tui.core.access import Action, check
    cp = None
    if checkpoint:
        try:
            cp = checkpoints.read_checkpoint(checkpoint)
        except BadInput as exc:
            raise BadInput(f"{checkpoint} is not an msp-tui checkpoint ({exc.message}).", "checkpoint") from None
    db, actor = state.db(), state.actor()
    own = checkpoints.default_path(db)
    if cp is None and own is not None and own.exists():  # the one the program writes after each change
        cp = checkpoints.read_checkpoint(own)
        click.echo(f"checking against {own}", err=True)
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_EVENTS)
        result = core_events.verify_chain(s, check_signatures=not no_signatures, checkpoint=cp)
    if not result.ok:
        where = f" at event {result.event_id}" if result.event_id is not None else ""
        click.echo(f"BROKEN{where} after {result.count} good events: {result.problem}")
        raise SystemExit(1)
    click.echo(f"OK {result.count} events, head {result.head_hash.hex()}")
    if write_checkpoint:
        Path(write_checkpoint).write_text(json.dumps(
            {"count": result.count, "head": result.head_hash.hex(), "written_at": clock.iso(clock.now())})
            + "\n", encoding="utf-8")
        click.echo(f"checkpoint written to {write_checkpoint}", err=True)


COMMANDS = [events]
