"""Which events a person may see (S4), and the pages of the timeline across all clients (B3).

Every row a screen or an export shows goes through `shown()` (or, for the command line's streamed
export, its SQL form `shown_detail()`), which hides what S3 forbids: an event about a personal vault
item never shows the item's id or name to provider staff.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO

from sqlalchemy import Integer, and_, bindparam, case, func, literal_column, null, or_, select, true, union_all
from sqlalchemy.sql.elements import BindParameter

from msp_tui.core import clock, events
from msp_tui.core.access import Action, Kind, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EVENT_CATEGORIES, PROVIDER_LOG_TYPES, VAULT_ACCESS_TYPES, EventType
from msp_tui.core.errors import BadInput, NotFound
from msp_tui.core.events import EventFilter, EventRow, EventScope
from msp_tui.core.models import Account, Client, ClientGroupClient, Event, Organization
from msp_tui.core.scope import scope_of
from msp_tui.core.services.members import _org_for

#: Time range presets the timeline offers (the label is what the filter shows).
PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
#: Categories a person can filter on, in the order the screen lists them.
CATEGORIES: tuple[str, ...] = (*EVENT_CATEGORIES, "vault-access")
#: Follow mode re-reads this far behind the newest event it has, so an event written by a
#: transaction that took its time still appears (ids already shown are skipped).
FOLLOW_SLACK = timedelta(seconds=10)
FOLLOW_LIMIT = 200

ITEM_RANGE = EVENT_CATEGORIES["items"]


def scope_for(db: Database, actor: Actor, client: str | uuid.UUID | None = None) -> EventScope:
    """Provider Admins see everything; Service Users every client but not the provider log;
    a client's own Owner or Admin (or Custom with the flag) only that client's events."""
    with db.read() as s:
        if client is not None:
            org = _org_for(s, actor, client)
            standing = check(s, actor, Action.VIEW_CLIENT_EVENTS, organization_id=org.id)
            if standing.is_staff:  # check() refused a client outside a Service User's scope (S12)
                return EventScope(provider_id=standing.provider_id,
                                  include_provider_log=standing.kind == Kind.PROVIDER_ADMIN,
                                  organization_id=org.id)
            return EventScope(organization_id=org.id)
        standing = check(s, actor, Action.VIEW_TIMELINE)
        return EventScope(provider_id=actor.provider_id,
                          include_provider_log=standing.kind == Kind.PROVIDER_ADMIN,
                          clients=scope_of(s, actor))


def scope_for_filter(db: Database, actor: Actor, flt: EventFilter | None) -> EventScope:
    """The scope for a timeline opened with a filter: one named client narrows it to that client."""
    if flt is not None and len(flt.client_ids) == 1:
        return scope_for(db, actor, flt.client_ids[0])
    return scope_for(db, actor)


# --- S3: what a row may show ---------------------------------------------------------------------


def is_personal_item_event(row: EventRow) -> bool:
    lo, hi = ITEM_RANGE
    return lo <= row.type <= hi and row.organization_id is None


def shown(row: EventRow) -> EventRow:
    """The row as a timeline may show it. S3: an event about a personal item keeps neither the
    item's id nor anything of its detail (a name, a URL) — whoever reads the timeline."""
    if is_personal_item_event(row):
        return dataclasses.replace(row, item_id=None, detail={})
    return row


def shown_detail():
    """`shown()` as SQL, for exports that stream plain rows (events.stream): the detail column, or
    NULL for an event about a personal item (S3). The item id is not among the streamed columns."""
    lo, hi = ITEM_RANGE
    return case((and_(Event.type.between(lo, hi), Event.organization_id.is_(None)), null()), else_=Event.detail)


def stream_shown(s, scope: EventScope, flt: EventFilter, *, batch: int = 5000) -> Iterator[events.EventBatch]:
    """Every event the filter matches, newest first, as `events.stream` batches with S3 applied:
    what an export may write (the scope comes from `scope_for`, which refuses whoever may not see it)."""
    return events.stream(s, scope, flt, detail=shown_detail(), batch=batch)


# --- pages -------------------------------------------------------------------------------------


def _narrowed(s, scope: EventScope, flt: EventFilter) -> EventScope:
    """A provider-wide scope filtered on one client reads through that client's index instead
    (after checking the client is the provider's), so a quiet client among thousands does not make
    a page walk every other client's events."""
    if scope.organization_id is not None or len(flt.client_ids) != 1 or scope.provider_id is None:
        return scope
    org_id = flt.client_ids[0]
    linked = s.execute(select(Client.id).where(Client.organization_id == org_id,
                                               Client.provider_id == scope.provider_id)).first()
    if linked is None:
        return scope  # not this provider's client: the provider-wide conditions match nothing
    return dataclasses.replace(scope, organization_id=org_id)


#: A type filter naming at most this many types is read as one merge of per-type index seeks.
SPLIT_TYPES_UP_TO = 16


def filter_types(flt: EventFilter) -> list[int]:
    """Every known event type number a filter's types and categories name."""
    wanted = set(flt.types)
    for cat in flt.categories:
        if cat == "vault-access":
            wanted |= {int(t) for t in VAULT_ACCESS_TYPES}
        elif cat in EVENT_CATEGORIES:
            lo, hi = EVENT_CATEGORIES[cat]
            wanted |= {int(t) for t in EventType if lo <= t <= hi}
    return sorted(wanted)


@functools.cache
def _merged_types(dialect: str, n_types: int, provider_log: bool, clients: bool, actors: bool,
                  before: bool, after: bool, scope_groups: bool = False, scope_granted: bool = False,
                  client_group: bool = False):
    """One statement for a provider's page filtered on a few types: each type read through
    ix_event_type_date (type, provider_id, date, id, organization_id) newest first, those seeks merged
    in (date, id) order and cut at the page's limit; only (date, id) go through the merge, the page's
    rows are then read with their joins by id. Either way a rare type costs a page, and so does a
    common one. Every condition of a seek is on a column of that index (the provider's own log needs
    none: `page` leaves its types out for everyone but Provider Admins, and `provider_log` is a function
    of the type), so each seek reads the index alone, and only an actor filter reads rows.

    SQLite: a UNION ALL of `n_types` seeks (bind parameters type_0…), which its MERGE pulls only as
    far as the page needs (about limit + n_types index entries in all). With the provider in the type
    index, (type, provider, date) is its best seek; before (r002) it had to be kept off the provider's
    date index, which walked every event of the range looking for a rare type.

    PostgreSQL: one seek, joined LATERAL to the array of types (bind parameter `types`) and cut at
    the limit for each, then the best `limit` of them. It is planned once whatever the number of
    types (a union of nine seeks took 0.65 ms to plan, this 0.15 ms), and for a type it does not know
    in advance. Given each type's number as a union, it judged one type common enough to walk
    ix_event_date for it instead and read 40,000 events to find the one it wanted (members over 30
    days: 7 ms against 0.4 ms now). Given the provider's date index beside a type index without the
    provider, it walked the provider's index for each of the category's types, the types no event has
    included, through every event of the range (7-10 s a page at 1,000,000 events); an index-only
    scan of (type, provider, date) is the cheapest path it knows.

    A scoped Service User's page (S12) is the same merge, each seek keeping the events of the scope's
    clients (its client groups' members, bind parameter `scope_groups`; live break-glass grants,
    `scope_granted`), checked in the index: a page reads about limit ÷ (the scope's share of the
    events) index entries, however many events there are. On PostgreSQL the clients are one hashed
    subplan, kept from becoming a join (`OR false`): as a semi-join it read every event of the range
    for each type (from each of the scope's clients' index, or through a hash) and sorted them. A
    client group filter (`client_group`) is kept the same way.

    Built once per shape: constructing (and hashing) a statement of nine selects cost more than
    running it."""
    postgres = dialect == "postgresql"
    if postgres:
        from sqlalchemy.dialects.postgresql import ARRAY

        each = (func.unnest(bindparam("types", type_=ARRAY(Integer))).table_valued("type")
                .render_derived(name="each_type"))
        type_conds = [[Event.type == each.c.type]]
    else:
        type_conds = [[Event.type == bindparam(f"type_{i}")] for i in range(n_types)]
    conds = [Event.date >= bindparam("since"), Event.date <= bindparam("until"),
             Event.provider_id == bindparam("provider_id")]

    def among(clients):
        """Event.organization_id IN clients: on PostgreSQL a hashed filter of the index walk, never a join."""
        cond = Event.organization_id.in_(clients)
        return or_(cond, literal_column("false")) if postgres and not isinstance(clients, BindParameter) else cond

    if clients:
        conds.append(Event.organization_id.in_(bindparam("client_ids", expanding=True)))
    if actors:
        conds.append(Event.acting_account_id.in_(bindparam("actor_ids", expanding=True)))
    if scope_groups or scope_granted:
        # S12: a scoped Service User's clients (Scope.clients, with the group ids as parameters).
        seen = []
        if scope_groups:
            seen.append(among(select(ClientGroupClient.organization_id).where(
                ClientGroupClient.client_group_id.in_(bindparam("scope_groups", expanding=True)))))
        if scope_granted:
            seen.append(Event.organization_id.in_(bindparam("scope_granted", expanding=True)))
        conds.append(or_(*seen))
    if client_group:
        conds.append(among(select(ClientGroupClient.organization_id).where(
            ClientGroupClient.client_group_id == bindparam("client_group"))))
    if before:
        conds.append(or_(Event.date < bindparam("before_date"), Event.id < bindparam("before_id")))
    if after:
        conds.append(or_(Event.date > bindparam("after_date"), Event.id > bindparam("after_id")))
    limit = bindparam("limit", type_=Integer)
    seeks = [select(Event.date, Event.id).where(*type_cond, *conds) for type_cond in type_conds]
    if postgres or n_types == 1:
        seeks = [q.order_by(Event.date.desc(), Event.id.desc()).limit(limit) for q in seeks]
    if postgres:
        seek = seeks[0].lateral("seek")
        picked = (select(seek.c.date, seek.c.id).select_from(each).join(seek, true())
                  .order_by(seek.c.date.desc(), seek.c.id.desc()).limit(limit).subquery("picked"))
    elif n_types == 1:
        picked = seeks[0].subquery("picked")
    else:
        merged = union_all(*seeks)
        cols = merged.selected_columns
        picked = merged.order_by(cols.date.desc(), cols.id.desc()).limit(limit).subquery("picked")
    return (events._select_rows().join(picked, picked.c.id == Event.id)
            .order_by(Event.date.desc(), Event.id.desc()))


def _provider_only(type_: int) -> bool:
    """A type only Provider Admins see on a provider's timeline (S4): the provider's own log, and the
    user events (by range: also a number no event type has yet)."""
    lo, hi = EVENT_CATEGORIES["users"]
    return type_ in events.PROVIDER_ONLY_TYPES or type_ in PROVIDER_LOG_TYPES or lo <= type_ <= hi


def _by_types(s, scope: EventScope, flt: EventFilter, types: list[int], before, after,
              limit: int) -> list[EventRow]:
    """A provider's page filtered on a few types, through `_merged_types`."""
    since, until = flt.time_range()
    params = {"since": since, "until": until, "provider_id": scope.provider_id, "limit": limit}
    if before is not None:
        params.update(until=min(until, before[0]), before_date=before[0], before_id=before[1])
    if after is not None:
        params.update(since=max(since, after[0]), after_date=after[0], after_id=after[1])
    if flt.client_ids:
        params["client_ids"] = list(flt.client_ids)
    if flt.actor_ids:
        params["actor_ids"] = list(flt.actor_ids)
    seen = scope.clients
    if seen.group_ids:
        params["scope_groups"] = sorted(seen.group_ids)
    if seen.granted:
        params["scope_granted"] = sorted(seen.granted)
    if flt.client_group is not None:
        params["client_group"] = flt.client_group
    conn = s.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        params["types"] = types
    else:
        params.update({f"type_{i}": t for i, t in enumerate(types)})
    stmt = _merged_types(dialect, 0 if dialect == "postgresql" else len(types), scope.include_provider_log,
                         bool(flt.client_ids), bool(flt.actor_ids), before is not None, after is not None,
                         bool(seen.group_ids), bool(seen.granted), flt.client_group is not None)
    return [events._to_row(r) for r in conn.execute(stmt, params).all()]


def page(db: Database, scope: EventScope, flt: EventFilter = EventFilter(), *, before=None, after=None,
         limit: int = events.PAGE_SIZE) -> list[EventRow]:
    """One page newest first. A provider's timeline filtered on a few types merges one index seek
    per type, so a type that is rare among a million events costs a page, and so does a common one;
    so does a scoped Service User's (S12) and one filtered on a client group."""
    with db.read() as s:
        scope = _narrowed(s, scope, flt)
        types = filter_types(flt) if (flt.types or flt.categories) else []
        if (not types or len(types) > SPLIT_TYPES_UP_TO or scope.organization_id is not None
                or scope.provider_id is None):
            rows = events.query_page(s, scope, flt, before=before, after=after, limit=limit)
        else:
            if not scope.include_provider_log:
                # A type of the provider's own log (its 18xx/19xx types, its staff's user events,
                # which carry no client) matches nothing here, and its seek would walk every one of
                # its events in range. Left out here, the seeks need no provider-log condition.
                types = [t for t in types if not _provider_only(t)]
            sees_some = scope.clients.everything or scope.clients.group_ids or scope.clients.granted
            rows = _by_types(s, scope, flt, types, before, after, limit) if types and sees_some else []
        return [shown(r) for r in rows]


def newer(db: Database, scope: EventScope, flt: EventFilter, newest: tuple[datetime, int] | None,
          known_ids: Iterable[int] = (), *, limit: int = FOLLOW_LIMIT) -> tuple[list[EventRow], bool]:
    """Events that arrived since `newest` (the top row's cursor), newest first, minus those already
    shown. Returns (rows, complete); complete is False when more arrived than `limit` — reload the top."""
    if newest is None:
        rows = page(db, scope, flt, limit=limit)
        return rows, len(rows) < limit
    after = (newest[0] - FOLLOW_SLACK, 0)
    rows = page(db, scope, flt, after=after, limit=limit)
    known = set(known_ids)
    fresh = [r for r in rows if r.id not in known]
    return fresh, len(rows) < limit


#: A time choice that is not a span: since midnight where the person is.
TODAY = "today"


def local_midnight(now: datetime | None = None) -> datetime:
    """Midnight of today in the machine's time zone, as naive UTC (what the database stores)."""
    local = (now or clock.now()).replace(tzinfo=UTC).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC).replace(tzinfo=None)


def with_preset(flt: EventFilter, preset: str) -> EventFilter:
    """The filter with its time range set to a preset (today since local midnight, last hour,
    24 hours, 7 or 30 days)."""
    if preset == TODAY:
        return dataclasses.replace(flt, since=local_midnight(), until=None)
    if preset not in PRESETS:
        raise BadInput(f"Unknown time range {preset!r}; use one of {TODAY}, {', '.join(PRESETS)}.", "range")
    return dataclasses.replace(flt, since=clock.now() - PRESETS[preset], until=None)


def parse_types(text: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """'1500, members, vault-access' → type numbers and categories (BadInput on anything else)."""
    numbers: list[int] = []
    cats: list[str] = []
    for part in text.replace(",", " ").split():
        p = part.strip().lower()
        if p.isdigit():
            numbers.append(int(p))
        elif p in CATEGORIES:
            cats.append(p)
        else:
            raise BadInput(f"{part!r} is neither an event type number nor a category "
                           f"({', '.join(CATEGORIES)}).", "type")
    return events.event_types_in(numbers), tuple(cats)


def parse_time(text: str) -> datetime | None:
    """A from/to field: '' (open), ISO 8601 (UTC), or a span back from now: 15m, 24h, 7d."""
    t = (text or "").strip()
    if not t:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if t[:-1].isdigit() and t[-1:] in units:
        return clock.now() - timedelta(**{units[t[-1]]: int(t[:-1])})
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{text!r} is not a time: use 2026-11-25 08:00, or 15m, 24h, 7d.", "since") from None
    if dt.tzinfo is not None:
        from datetime import UTC

        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def find_client_ids(db: Database, actor: Actor, text: str) -> tuple[uuid.UUID, ...]:
    """A client filter typed by name, id or a part of the name: exactly one client. A part that
    several clients share is refused with their names, so the person can type more."""
    text = (text or "").strip()
    if not text:
        return ()
    with db.read() as s:
        try:
            return (_org_for(s, actor, text).id,)
        except NotFound:
            pass
    from msp_tui.core.services.clients import list_clients

    found = list_clients(db, actor, text=text, limit=6).rows
    if len(found) == 1:
        return (found[0].id,)
    if not found:
        raise NotFound(f"No client's name contains {text!r}.", "client")
    names = ", ".join(c.name for c in found[:5]) + (", …" if len(found) > 5 else "")
    raise BadInput(f"{'More than 5' if len(found) > 5 else len(found)} clients' names contain {text!r} "
                   f"({names}); type more of the name.", "client")


def complete_client_name(db: Database, actor: Actor, text: str) -> str | None:
    """The first client name (alphabetically) that starts with what was typed, any case."""
    from msp_tui.core.services.clients import list_clients

    typed = (text or "").strip().lower()
    if not typed:
        return None
    for c in list_clients(db, actor, text=typed, limit=50).rows:
        if c.name.lower().startswith(typed):
            return c.name
    return None


def find_account_ids(db: Database, actor: Actor, text: str) -> tuple[uuid.UUID, ...]:
    """An acting-person filter typed as an email (exact, case-insensitive)."""
    email = (text or "").strip().lower()
    if not email:
        return ()
    with db.read() as s:
        acc = s.execute(select(Account.id).where(Account.email == email)).scalar()
    if acc is None:
        raise NotFound(f"No person with the email {email!r}.", "actor")
    return (acc,)


def names_for(db: Database, flt: EventFilter) -> dict[str, str]:
    """What the filter summary line shows for the ids in a filter (client name, person email)."""
    out: dict[str, str] = {}
    with db.read() as s:
        if flt.client_ids:
            rows = s.execute(select(Organization.name).where(Organization.id.in_(flt.client_ids))).scalars()
            out["client"] = ", ".join(rows)
        if flt.actor_ids:
            rows = s.execute(select(Account.email).where(Account.id.in_(flt.actor_ids))).scalars()
            out["actor"] = ", ".join(rows)
    return out


def is_client(db: Database, organization_id: uuid.UUID) -> bool:
    with db.read() as s:
        return s.execute(select(Client.id).where(Client.organization_id == organization_id)).first() is not None


# --- what an event is about ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Subject:
    """What `enter` on an event opens: a member, an item, a collection, a group, a policy, a staff
    member, a client, or nothing."""

    kind: str  # "member" | "item" | "collection" | "group" | "policy" | "staff" | "client" | "none"
    organization_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None


def subject_of(row: EventRow) -> Subject:
    org = row.organization_id
    if row.organization_user_id is not None and org is not None:
        return Subject("member", org, row.organization_user_id)
    if org is not None:  # a client's item, collection, group or policy (a personal item is no one's to open)
        for kind, target in (("item", row.item_id), ("collection", row.collection_id), ("group", row.group_id),
                             ("policy", row.policy_id)):
            if target is not None:
                return Subject(kind, org, target)
    if row.provider_user_id is not None:
        return Subject("staff", None, row.provider_user_id)
    if row.organization_id is not None:
        return Subject("client", row.organization_id, row.organization_id)
    return Subject("none")


# --- export --------------------------------------------------------------------------------------

def export(db: Database, scope: EventScope, flt: EventFilter, out: IO[str], fmt: str = "csv",
           advance: Callable[[int], None] | None = None) -> int:
    """Write every event the filter matches, newest first, as CSV or JSON lines (core/export.py's
    formats), in constant memory, with S3 applied; `advance` hears the count after each batch."""
    from msp_tui.core import export as formats

    if fmt not in ("csv", "jsonl"):
        raise BadInput("Export as csv or jsonl.", "format")
    write = formats.write_csv if fmt == "csv" else formats.write_jsonl
    with db.read(transaction=True) as s:  # PostgreSQL's server-side cursor lives in a transaction
        return write(stream_shown(s, scope, flt, batch=5000), out, advance)


def type_choices() -> list[tuple[str, str]]:
    """(value, label) pairs for a type picker: categories first, then every type number."""
    out = [(c, f"category: {c}") for c in CATEGORIES]
    out += [(str(int(t)), f"{int(t)} {t.name.lower()}") for t in EventType]
    return out
