"""`events`: the timeline from the command line: list, export, verify."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from msp_tui.cli.output import emit
from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput

COLUMNS = ["id", "date", "type", "type_name", "message", "client", "client_id", "actor_name", "actor_email",
           "actor_id", "device", "ip"]


def parse_time(text: str | None) -> datetime | None:
    """ISO 8601 (taken as UTC) or a span back from now: 15m, 24h, 7d."""
    if not text:
        return None
    from msp_tui.core import clock

    t = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if t[:-1].isdigit() and t[-1] in units:
        return clock.now() - timedelta(**{units[t[-1]]: int(t[:-1])})
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{text!r} is not a time: use ISO 8601 (2026-11-25T08:00) or 15m, 24h, 7d.",
                       "since") from None
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
                          "items, policies, vault-access, users, organization).")(f)
    f = click.option("--since", default=None, help="ISO 8601 time or 15m / 24h / 7d ago (default 30 days).")(f)
    f = click.option("--until", default=None, help="ISO 8601 time (default now).")(f)
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
    numbers = [int(t) for t in types if t.isdigit()]
    categories = [t for t in types if not t.isdigit()]
    flt = EventFilter(client_ids=tuple(client_ids), actor_ids=tuple(actor_ids),
                      types=event_types_in(numbers), categories=tuple(categories),
                      since=parse_time(since), until=parse_time(until))
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
@click.option("--limit", default=50, show_default=True, help="How many events, newest first.")
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


COMMANDS = [events]
