"""`events`: the timeline from the command line: list, export, verify."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta

import click

from msp_tui.cli.output import emit, format_option, progress
from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput
from msp_tui.core.export import JSON_FIELDS

#: `events list` (every format): the fields `events export --format jsonl` writes too.
COLUMNS = JSON_FIELDS


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


GROUP_OPTION = click.option("--group", default=None, help="Only the events of one client group's clients.")


def with_group(state: CliState, flt, group):
    """The filter narrowed to a client group (--group, its name or id), or as it was."""
    if not group:
        return flt
    import dataclasses

    from msp_tui.cli.clients import group_id

    return dataclasses.replace(flt, client_group=group_id(state, group))


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
@GROUP_OPTION
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="How many events, newest first (use `events export` for more).")
@format_option("table", "json", "csv", "jsonl")
@pass_state
def list_(state: CliState, clients, actors, types, since, until, limit, group) -> None:
    """List events newest first.

    \b
    Example:
      msp-tui events list --type staff --since 7d --format json
    """
    from msp_tui.core.services import timeline

    db, scope, flt = build_filter(state, clients, actors, types, since, until)
    flt = with_group(state, flt, group)
    emit(state.fmt, (row_of(r) for r in timeline.page(db, scope, flt, limit=limit)), COLUMNS)


@events.command("export")
@filter_options
@GROUP_OPTION
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="csv (the reference's columns; default) or jsonl (the fields of `events list`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of stdout.")
@pass_state
def export(state: CliState, clients, actors, types, since, until, fmt, output, group) -> None:
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
    flt = with_group(state, flt, group)
    # A file of its own is readable by its owner only: it names people and addresses.
    out = (os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8",
                     newline="") if output else sys.stdout)
    try:
        with progress("exporting") as bar:
            n = timeline.export(db, scope, flt, out, fmt, bar.advance)
            bar.done(f"exported: {n:,} events")
    finally:
        if output:
            out.close()


@events.command("verify")
@click.option("--checkpoint", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Check against this checkpoint file instead of the program's own (a copy kept "
                   "elsewhere, lines from the SIEM).")
@click.option("--write-checkpoint", type=click.Path(dir_okay=False), default=None,
              help="After a clean check, append the chain's head and its signing keys to this file (keep "
                   "it somewhere the database's writers cannot change it).")
@click.option("--new-checkpoint", is_flag=True,
              help="After a clean check, start the program's own checkpoint file when it is missing (after "
                   "restoring a backup; keep the old file as evidence).")
@click.option("--no-signatures", is_flag=True, help="Check links and hashes only (faster).")
@click.option("--keys", "list_keys", is_flag=True,
              help="Print every signer's key fingerprint, not only the system key and the set's fingerprint.")
@click.option("--since", default=None, metavar="EVENT|checkpoint",
              help="Check only the events from this event number on (linked to the one before it), or from "
                   "the newest checkpoint (`--since checkpoint`, which must still match): costs the range, "
                   "not the whole log.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes checking signatures (default: one per core).")
@pass_state
def verify(state: CliState, checkpoint, write_checkpoint, new_checkpoint, no_signatures, list_keys, since,
           workers) -> None:
    """Check the hash chain of the whole event log against the checkpoint file; exit 1 when broken.

    Every line of the checkpoint file is read and checked, before anything is written (signing in
    writes an event): each checkpoint must still match the log, and every event's signature must be
    made with the key the file pins for its signer (a person's, or the provider's system key for
    events with no acting person). The system key and the whole set of pinned keys are printed as
    fingerprints (every signer's with --keys): compare them with a copy kept elsewhere. Prints `OK <count> events, head <hash>` or `BROKEN at event N …`.
    Provider Admins only.

    \b
    Example:
      msp-tui events verify
      msp-tui events verify --checkpoint /secure/msp-events.checkpoint
      msp-tui events verify --since checkpoint
    """
    from sqlalchemy import select

    from msp_tui.core import checkpoint as checkpoints
    from msp_tui.core import events as core_events
    from msp_tui.core.access import Action, check
    from msp_tui.core.models import Account

    db = state.db()
    own = checkpoints.default_path(db)
    path = checkpoint or own
    known = None
    # Read first: signing in (below) writes an event, and the file must be judged as it was.
    if path is not None and os.path.exists(path):
        try:
            known = checkpoints.read_file(path)
        except BadInput as exc:
            raise BadInput(f"{path} is not an msp-tui checkpoint ({exc.message}).", "checkpoint") from None
    first = _since(since, known)
    actor = state.actor()
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_EVENTS)
        if known is not None and known.conflicts():
            result = core_events.VerifyResult(
                False, 0, bytes(32), f"the checkpoint file pins two different keys for {known.conflicts()[0]}")
        else:
            total = max(0, checkpoints.chain_state(s)[0] - first + 1)
            with progress("verifying", total) as bar:
                result = core_events.verify_chain(
                    s, check_signatures=not no_signatures,
                    checkpoints=[cp.as_tuple() for cp in known.checkpoints] if known else (),
                    pins=known.keys if known else {}, since=first, workers=workers, progress=bar.advance)
                bar.done(f"verified: {result.count - first + 1:,} events" if result.ok else "verify: broken")
        emails = {a.hex: e for a, e in s.execute(select(Account.id, Account.email)).all()}
    if known is not None:
        click.echo(f"checked against {path} ({len(known.checkpoints):,} checkpoints)", err=True)
    if result.ok:
        checked = f" (checked events {first} to {result.count})" if first > 1 else ""
        click.echo(f"OK {result.count} events, head {result.head_hash.hex()}{checked}")
    else:
        where = f" at event {result.event_id}" if result.event_id is not None else ""
        click.echo(f"BROKEN{where} after {result.count} good events: {result.problem}")
    pinned = known.keys if known else {}
    # A demo or a large provider has thousands of signers: by default only the lines a person acts
    # on (the system key, keys not pinned yet) and one fingerprint of the whole pinned set.
    for signer, public in sorted(result.keys.items(), key=lambda kv: (kv[0] != checkpoints.SYSTEM, kv[0])):
        if not (list_keys or signer == checkpoints.SYSTEM or signer not in pinned):
            continue
        who = "system key" if signer == checkpoints.SYSTEM else emails.get(signer, signer)
        state_ = "pinned" if signer in pinned else "not pinned yet"
        click.echo(f"key {checkpoints.key_fingerprint(public)}  {who} ({state_})")
    if pinned:
        click.echo(f"pinned keys {checkpoints.key_set_fingerprint(pinned)}  all {len(pinned):,} signers "
                   "(--keys lists each)")
    if known is None:
        click.echo(f"warning: {checkpoints.NO_CHECKPOINT}" + (f" ({path} is missing; after a clean check "
                   "--new-checkpoint starts one)" if path is not None else " (set MSP_TUI_CHECKPOINT)"))
    if result.unvouched:
        click.echo(f"warning: {len(result.unvouched)} failed sign-ins carry no signature and no checkpoint "
                   "vouches for them")
    if not result.ok:
        raise SystemExit(1)
    for target, start in ((write_checkpoint, True), (own if new_checkpoint else None, True)):
        if target:
            checkpoints.write_checkpoint(db, target, start=start)
            click.echo(f"checkpoint written to {target}", err=True)


def _since(value: str | None, known) -> int:
    """The first event `--since` asks to check: a number, or the one after the newest checkpoint."""
    if value is None:
        return 1
    if value.strip().lower() == "checkpoint":
        if known is None or known.latest is None:
            raise BadInput("--since checkpoint needs a checkpoint file with a checkpoint in it.", "since")
        return known.latest.count + 1
    try:
        first = int(value.replace(",", ""))
    except ValueError:
        raise BadInput(f"--since takes an event number or 'checkpoint', not {value!r}.", "since") from None
    if first < 1:
        raise BadInput("--since takes an event number from 1.", "since")
    return first


COMMANDS = [events]
