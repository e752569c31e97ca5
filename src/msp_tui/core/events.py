"""Recording, chaining, querying and verifying events (S8, B3, B4).

Every use case calls `record()` inside its own transaction, so a change and its event land
together or not at all. Each event's hash covers its content and the previous event's hash.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from json.encoder import encode_basestring as _quote
from operator import attrgetter, itemgetter

from sqlalchemy import (DateTime, String, Text, Uuid, and_, bindparam, cast, func, literal_column, not_, or_,
                        select, true, tuple_, type_coerce)
from sqlalchemy.orm import Session, aliased

from msp_tui.core import clock, crypto
from msp_tui.core.context import APPROVAL, Actor
from msp_tui.core.db import BINARY_ROWS
from msp_tui.core.enums import EVENT_CATEGORIES, PROVIDER_LOG_TYPES, VAULT_ACCESS_TYPES, EventType
from msp_tui.core.errors import BadInput
from msp_tui.core.models import Account, Client, Event, EventChainHead, Organization
from msp_tui.core.scope import EVERYTHING, Scope, in_group

PAGE_SIZE = 50
DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=367)

#: The columns the chain hash covers, in order.
CHAINED_FIELDS = (
    "id", "type", "date", "provider_id", "provider_log", "organization_id", "acting_account_id",
    "account_id", "provider_user_id", "provider_organization_id", "organization_user_id", "group_id",
    "collection_id", "item_id", "policy_id", "device", "ip_address", "system_user", "detail",
)


def lock_chain_head(session: Session) -> EventChainHead:
    """Take the chain head row for this transaction (FOR UPDATE; a no-op lock on SQLite)."""
    head = session.execute(
        select(EventChainHead).where(EventChainHead.id == 1).with_for_update()).scalar_one()
    session.info["chain_head"] = head
    return head


def _encode(v) -> str:
    if v is None:
        return "~"
    if type(v) is str:
        return _quote(v)  # what json.dumps(v, ensure_ascii=False) returns, without building an encoder
    if v is True or v is False:
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, uuid.UUID):
        return v.hex
    if isinstance(v, datetime):
        return v.isoformat(timespec="microseconds")
    return json.dumps(v, ensure_ascii=False)  # strings: quoted and escaped, so ',' cannot be forged


def _canonical(values: dict) -> bytes:
    """An unambiguous encoding of the chained fields, in CHAINED_FIELDS order."""
    return _canonical_row([values.get(f) for f in CHAINED_FIELDS])


def _canonical_row(row) -> bytes:
    return ",".join([_encode(v) for v in row]).encode("utf-8")


def chain_hash(prev_hash: bytes, values: dict) -> bytes:
    return crypto.sha256(prev_hash + _canonical(values))


def chain_hash_of_row(prev_hash: bytes, row) -> bytes:
    """`chain_hash` of values already in CHAINED_FIELDS order (a row read for verification)."""
    return crypto.sha256(prev_hash + _canonical_row(row))


def record(session: Session, actor: Actor | None, type: EventType, *, detail: dict | None = None,
           provider_id: uuid.UUID | None = None, organization_id: uuid.UUID | None = None,
           date: datetime | None = None, **ids: uuid.UUID | None) -> Event:
    """Write one event in the caller's transaction, linked to the chain and signed by the actor."""
    if EVENT_CATEGORIES["items"][0] <= int(type) <= EVENT_CATEGORIES["items"][1] and organization_id is None:
        # S3: an event about a personal item keeps no detail (a name, a URL) and belongs to no
        # provider's timeline; the timeline hides its item id as well (services/timeline.shown).
        detail, provider_id = None, None
    if provider_id is None and organization_id is not None:
        provider_id = session.execute(
            select(Client.provider_id).where(Client.organization_id == organization_id)).scalar()
    approval = APPROVAL.get()
    if approval is not None:
        detail = {**(detail or {}), "approval": approval}
    head = session.info.get("chain_head") or lock_chain_head(session)
    values = dict(
        id=head.last_event_id + 1, type=int(type), date=date or clock.now(), provider_id=provider_id,
        provider_log=type in PROVIDER_LOG_TYPES, organization_id=organization_id,
        acting_account_id=actor.account_id if actor else None,
        device=actor.device if actor else None, ip_address=actor.ip_address if actor else None,
        detail=json.dumps(detail, sort_keys=True, separators=(",", ":")) if detail else None,
        **ids,
    )
    digest = chain_hash(head.last_hash, values)
    signature = None
    if actor is not None and actor.secrets is not None and actor.secrets.signing_key:
        # The parsed key kept for the transaction: an import signs thousands of events in one.
        signers = session.info.setdefault("signers", {})
        key = actor.secrets.signing_key
        if key not in signers:
            signers[key] = crypto.signer(key)
        signature = signers[key](digest)
    elif actor is None and "system_signer" in session.info:
        signature = session.info["system_signer"](digest)
    if values["id"] == 1:
        session.info["chain_started"] = True  # the checkpointer may make a new checkpoint file
    event = Event(**values, prev_hash=head.last_hash, hash=digest, signature=signature)
    session.add(event)
    head.last_event_id = values["id"]
    head.last_hash = digest
    head.count += 1
    return event


# --- queries ------------------------------------------------------------------------------------

#: User events (sign-ins, failed sign-ins: 1000-1099) belong to no client.
USER_TYPES = frozenset(t for t in EventType if EVENT_CATEGORIES["users"][0] <= t <= EVENT_CATEGORIES["users"][1])
#: What only Provider Admins see of a provider's timeline (S4): the provider's own log (18xx, 19xx)
#: and its staff's user events (who signed in, whose sign-in failed).
PROVIDER_ONLY_TYPES = PROVIDER_LOG_TYPES | USER_TYPES


def in_provider_log():
    """SQL: the event belongs to the provider's own log, which only Provider Admins see (S4): a type of
    that log (stored as provider_log), or a user event with no client: a staff member's sign-in or
    failed sign-in (a client member's has no provider, so it is on no provider's timeline at all)."""
    lo, hi = EVENT_CATEGORIES["users"]
    # The bounds as literals: no bind parameters to clash with the timeline's own (type_0, type_1…).
    users = Event.type.between(literal_column(str(lo)), literal_column(str(hi)))
    return or_(Event.provider_log == true(), and_(users, Event.organization_id.is_(None)))



@dataclass(frozen=True)
class EventScope:
    """What a person may see, decided by core.access: a provider's timeline or one client's log."""

    provider_id: uuid.UUID | None = None
    include_provider_log: bool = False
    organization_id: uuid.UUID | None = None
    #: S12: the clients a scoped Service User may see (core.scope); their events only.
    clients: Scope = EVERYTHING


@dataclass(frozen=True)
class EventFilter:
    client_ids: tuple[uuid.UUID, ...] = ()
    actor_ids: tuple[uuid.UUID, ...] = ()
    types: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    #: One client group's clients only (a filter, beside the person's scope).
    client_group: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def time_range(self) -> tuple[datetime, datetime]:
        until = self.until or clock.now()
        since = self.since or (until - DEFAULT_RANGE)
        if since > until:
            since, until = until, since
        if until - since > MAX_RANGE:
            raise BadInput("Range too large: the timeline shows at most 367 days at a time.", "since")
        return since, until


@dataclass(slots=True)
class EventRow:
    """One event as screens and exports show it: plain data, no ORM object.

    Not frozen: a frozen dataclass costs 4 µs a row to build, a third of an export's time.
    """

    id: int
    type: int
    date: datetime
    provider_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    client_name: str | None
    acting_account_id: uuid.UUID | None
    actor_name: str | None
    actor_email: str | None
    account_id: uuid.UUID | None
    provider_user_id: uuid.UUID | None
    organization_user_id: uuid.UUID | None
    group_id: uuid.UUID | None
    collection_id: uuid.UUID | None
    item_id: uuid.UUID | None
    policy_id: uuid.UUID | None
    device: str | None
    ip_address: str | None
    detail: dict = field(default_factory=dict)

    @property
    def cursor(self) -> tuple[datetime, int]:
        return (self.date, self.id)


def _conditions(scope: EventScope, flt: EventFilter, below: datetime | None = None,
                above: datetime | None = None) -> list:
    since, until = flt.time_range()
    if below is not None and below < until:
        # A keyset page's own upper bound: SQLite then seeks the index there instead of
        # walking down from `until` past every event already returned.
        until = below
    if above is not None and above > since:
        # Follow mode's `after`: the lower bound, so a poll seeks to the newest events instead
        # of walking the whole range down to `since`.
        since = above
    conds = [Event.date >= since, Event.date <= until]
    if scope.organization_id is not None:
        conds.append(Event.organization_id == scope.organization_id)
        if scope.provider_id is not None and not scope.include_provider_log:
            conds.append(not_(in_provider_log()))
        elif scope.provider_id is None:
            # A client's own people never see the provider's log entries about their org.
            conds.append(not_(in_provider_log()))
    elif scope.provider_id is not None:
        conds.append(Event.provider_id == scope.provider_id)
        if not scope.include_provider_log:
            conds.append(not_(in_provider_log()))
    else:
        raise BadInput("No event scope.")
    if not scope.clients.everything:
        # `OR false`: PostgreSQL keeps the scope's clients one hashed filter of the walk down the
        # provider's date index (a page reads about limit ÷ the scope's share of events) instead of a
        # join from each of its clients, which read and sorted every event of the range (89 ms a page
        # for 2,500 of 100,000 clients; 12 ms for the admin). SQLite checks it in the same index.
        conds.append(or_(scope.clients.clients(Event.organization_id), literal_column("false")))
    if flt.client_group is not None:
        conds.append(in_group(Event.organization_id, flt.client_group))
    if flt.client_ids:
        conds.append(Event.organization_id.in_(flt.client_ids))
    if flt.actor_ids:
        conds.append(Event.acting_account_id.in_(flt.actor_ids))
    type_conds = []
    if flt.types:
        type_conds.append(Event.type.in_(flt.types))
    for cat in flt.categories:
        if cat == "vault-access":
            type_conds.append(Event.type.in_([int(t) for t in VAULT_ACCESS_TYPES]))
        elif cat in EVENT_CATEGORIES:
            lo, hi = EVENT_CATEGORIES[cat]
            type_conds.append(Event.type.between(lo, hi))
        else:
            raise BadInput(f"Unknown event category {cat!r}; use one of: "
                           + ", ".join([*EVENT_CATEGORIES, "vault-access"]), "category")
    if type_conds:
        conds.append(or_(*type_conds))
    return conds


@functools.lru_cache(maxsize=65536)
def _uuid(value) -> uuid.UUID:
    """A uuid column read raw: SQLite gives hex text (PostgreSQL's export stream its 16 bytes), and the
    same few ids repeat, so they are cached."""
    if isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(bytes=value) if isinstance(value, bytes) else uuid.UUID(value)


@functools.cache  # built once: constructing it took a third of a timeline page's time (issue 9)
def _select_rows():
    actor = aliased(Account)

    def raw(col):
        return type_coerce(col, String)

    # Plain columns in EventRow's order, ids and times read raw (no ORM entities, no per-row type
    # processing; ids are parsed once each):
    # several times faster for exports of a million events.
    return (
        select(Event.id, Event.type, raw(Event.date), raw(Event.provider_id), raw(Event.organization_id),
               Organization.name, raw(Event.acting_account_id), actor.name, actor.email,
               raw(Event.account_id), raw(Event.provider_user_id), raw(Event.organization_user_id),
               raw(Event.group_id), raw(Event.collection_id), raw(Event.item_id), raw(Event.policy_id),
               Event.device, Event.ip_address, Event.detail)
        .outerjoin(Organization, Organization.id == Event.organization_id)
        .outerjoin(actor, actor.id == Event.acting_account_id)
    )


def _when(value) -> datetime:
    """A timestamp read raw: SQLite gives ISO text, PostgreSQL a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _to_row(r) -> EventRow:
    (id_, type_, date, provider_id, organization_id, client_name, acting_account_id, actor_name, actor_email,
     account_id, provider_user_id, organization_user_id, group_id, collection_id, item_id, policy_id, device,
     ip_address, detail) = r
    u = _uuid
    return EventRow(
        id_, type_, _when(date), provider_id and u(provider_id), organization_id and u(organization_id),
        client_name, acting_account_id and u(acting_account_id), actor_name, actor_email,
        account_id and u(account_id), provider_user_id and u(provider_user_id),
        organization_user_id and u(organization_user_id), group_id and u(group_id),
        collection_id and u(collection_id), item_id and u(item_id), policy_id and u(policy_id), device,
        ip_address, json.loads(detail) if detail else {})


def query_page(session: Session, scope: EventScope, flt: EventFilter = EventFilter(), *,
               before: tuple[datetime, int] | None = None, after: tuple[datetime, int] | None = None,
               limit: int = PAGE_SIZE) -> list[EventRow]:
    """One page newest first. `before` continues downwards; `after` fetches what arrived since."""
    conds = _conditions(scope, flt, below=before[0] if before is not None else None,
                        above=after[0] if after is not None else None)
    if before is not None:
        conds.append(tuple_(Event.date, Event.id) < tuple_(*before))
    stmt = _select_rows().where(and_(*conds))
    if after is not None:
        stmt = stmt.where(tuple_(Event.date, Event.id) > tuple_(*after))
    stmt = stmt.order_by(Event.date.desc(), Event.id.desc()).limit(limit)
    # Core execution (not ORM): the rows are plain tuples, no ORM loading step per row.
    return [_to_row(r) for r in session.connection().execute(stmt).all()]


def iterate(session: Session, scope: EventScope, flt: EventFilter = EventFilter(),
            batch: int = 2000) -> Iterator[EventRow]:
    """Every matching event newest first, in keyset batches: constant memory for any count."""
    cursor = None
    while True:
        rows = query_page(session, scope, flt, before=cursor, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        cursor = rows[-1].cursor


#: The columns of `stream()`'s rows, in order. Values come as the driver gives them (see `EventBatch`).
STREAM_COLUMNS = ("id", "type", "date", "organization_id", "acting_account_id", "device", "ip_address", "detail")
#: The most names `stream()` keeps between batches; past it the cache starts again (memory stays flat).
NAME_CACHE = 200_000


@dataclass(slots=True)
class EventBatch:
    """One batch of `stream()`: plain tuples in STREAM_COLUMNS order, and the names their ids refer to.

    Values are raw: ids are 32 hex digits on SQLite (as it stores them) and 16 bytes on PostgreSQL
    (`uuid_text` gives the usual form of either), the date is text, 'YYYY-MM-DD HH:MM:SS.ffffff' (on
    PostgreSQL without the fraction's trailing zeros; `iso_z`), the detail is JSON text or None. `clients[org]` is a client's name, `actors[acting]` an account's (name, email),
    None for an id whose row is gone (both `Names`, shared between batches: look up with [ ]).
    """

    rows: list
    clients: Names
    actors: Names


class Names(dict):
    """Names by the raw ids of a stream's rows, read on the first id not known yet for every unknown id
    of the current batch at once (IN queries): a batch whose ids are all known - most of them, once an
    export is under way - costs no lookup and no walk of its ids. At most NAME_CACHE are kept (past it
    the cache starts again, so memory stays flat)."""

    def __init__(self, session: Session, table, columns: tuple, at: int) -> None:
        super().__init__()
        self.session, self.table, self.columns, self.at = session, table, columns, at
        self.rows: list = []  # the current batch

    def __missing__(self, raw_id):
        if raw_id is None:
            return None
        if len(self) > NAME_CACHE:
            self.clear()
        wanted = set(map(itemgetter(self.at), self.rows)).difference(self)
        wanted.discard(None)
        wanted.add(raw_id)
        _names(self.session, self.table, self.columns, wanted, self)
        return self[raw_id]


def stored_text(column, dialect: str):
    """`column` read as the text SQLite stores: uuids as 32 hex digits, dates as 'YYYY-MM-DD
    HH:MM:SS.ffffff'. PostgreSQL sends that text instead of the value psycopg would make a `uuid.UUID`
    or a `datetime` of (10-12 µs an event of a read); the text costs the server little."""
    if dialect != "postgresql":
        return type_coerce(column, String)
    if isinstance(column.type, Uuid):
        return func.replace(cast(column, Text), "-", "")
    if isinstance(column.type, DateTime):
        return func.to_char(column, "YYYY-MM-DD HH24:MI:SS.US")
    return column


def uuid_text(raw) -> str:
    """A raw id from `stream()` in the usual dashed form (what str() of the UUID gives)."""
    if isinstance(raw, str) and len(raw) == 32 and raw.isalnum():  # hex as SQLite stores it
        raw = raw.lower()
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return str(_uuid(raw))


def iso_z(raw) -> str:
    """A raw date from `stream()` as ISO 8601 UTC with microseconds and a Z: 2026-11-25T08:00:00.000000Z."""
    if isinstance(raw, str):
        if len(raw) == 26 and raw[10] == " ":  # what SQLAlchemy writes on SQLite, microseconds included
            return raw.replace(" ", "T") + "Z"
        if 19 <= len(raw) < 26 and raw[10] == " " and (len(raw) == 19 or raw[19] == "." and raw[20:].isdigit()):
            # PostgreSQL's text (DateStyle ISO) leaves out the fraction's trailing zeros, or all of it
            return (raw.replace(" ", "T") + ("." if len(raw) == 19 else "")).ljust(26, "0") + "Z"
        raw = datetime.fromisoformat(raw)
    return raw.isoformat(timespec="microseconds") + "Z"


def _names(session: Session, table, columns, wanted: set, cache: dict) -> None:
    """Add the names of `wanted` raw ids (as `stream()` reads them: hex text on SQLite, 16 bytes on
    PostgreSQL) to `cache`: IN queries of up to 2,000 ids at a time."""
    connection = session.connection()
    ids = list(wanted)
    if connection.dialect.name == "postgresql":  # its uuid column compares with uuids
        key, values, as_raw = table.id, [_uuid(i) for i in ids], attrgetter("bytes")
    else:  # compared as stored (text)
        key, values, as_raw = stored_text(table.id, "sqlite"), ids, None
    stmt = select(key, *columns).where(key.in_(bindparam("ids", expanding=True)))
    for i in range(0, len(ids), 2000):
        found = connection.execute(stmt, {"ids": values[i:i + 2000]}).all()
        if len(columns) == 1:
            cache.update((row[0] if as_raw is None else as_raw(row[0]), row[1]) for row in found)
        else:
            cache.update((row[0] if as_raw is None else as_raw(row[0]), tuple(row[1:])) for row in found)
    for w in ids:  # an id whose row is gone (kept as None so it is not asked again)
        cache.setdefault(w, None)


def stream(session: Session, scope: EventScope, flt: EventFilter = EventFilter(), *, detail=None,
           batch: int = 5000) -> Iterator[EventBatch]:
    """Every matching event newest first, for exports: one streamed query, batches of plain tuples.

    No per-row objects: the rows are the driver's tuples (STREAM_COLUMNS), read in batches of `batch`
    through a streaming cursor (a server-side cursor on PostgreSQL, so the session must come from
    `db.read(transaction=True)`), so memory stays flat for any count.
    Client and actor names are not joined row by row but read once per id (`Names`).
    `detail` replaces the detail column with an expression (services/timeline uses it for S3).
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # The cheapest form for the server to send and us to read: the rows in binary (ids as their 16
        # bytes: db.BINARY_ROWS), the date as its own text under DateStyle ISO. The server's share of
        # an export fell from 2.5 to 1.4 µs an event against to_char() and replace(uuid::text).
        date, org, acting = (cast(Event.date, Text), type_coerce(Event.organization_id, String),
                             type_coerce(Event.acting_account_id, String))
    else:
        date, org, acting = (stored_text(c, dialect) for c in (Event.date, Event.organization_id,
                                                                Event.acting_account_id))
    stmt = (select(Event.id, Event.type, date, org, acting, Event.device, Event.ip_address,
                   Event.detail if detail is None else detail)
            .where(and_(*_conditions(scope, flt))).order_by(Event.date.desc(), Event.id.desc()))
    if dialect == "sqlite":
        # The driver steps the statement as rows are fetched, so reading its cursor in batches keeps
        # memory flat and skips building a Row per event (a third of the stream's time). No column
        # here has a result processor (ids and dates are read as text above), so nothing is lost.
        cursor = connection.execute(stmt).cursor
        parts = iter(lambda: cursor.fetchmany(batch), [])
    else:  # a server-side cursor on PostgreSQL, which lives inside a transaction
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            raise RuntimeError("events.stream needs a transaction on PostgreSQL: read with "
                               "db.read(transaction=True)")
        connection.exec_driver_sql("SET LOCAL datestyle TO ISO")  # the date's text: see iso_z
        parts = connection.execute(stmt, execution_options={"stream_results": True, "yield_per": batch,
                                                            BINARY_ROWS: True}).partitions()
    clients = Names(session, Organization, (Organization.name,), STREAM_COLUMNS.index("organization_id"))
    actors = Names(session, Account, (Account.name, Account.email), STREAM_COLUMNS.index("acting_account_id"))
    for rows in parts:
        clients.rows = actors.rows = rows
        yield EventBatch(rows, clients, actors)


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: bytes
    problem: str | None = None
    event_id: int | None = None
    #: The key each signer's events were checked with (pin name -> public key; checkpoint.signer_name).
    keys: dict = field(default_factory=dict)
    #: Signers first seen here, not pinned yet (a checkpoint line pins them).
    new_keys: dict = field(default_factory=dict)
    #: Failed sign-ins written while nobody was signed in and not yet countersigned: checkpoint-vouched.
    unsigned: tuple[int, ...] = ()
    #: Of those, the ones no checkpoint vouches for (only possible with no checkpoint at all).
    unvouched: tuple[int, ...] = ()


def system_public_key(session: Session) -> bytes | None:
    """The provider's system key as the database holds it (one provider per database)."""
    from msp_tui.core.models import Provider

    value = session.execute(select(Provider.system_signing_public_key).limit(1)).scalar()
    return bytes(value) if value is not None else None


def hash_of(session: Session, event_id: int) -> bytes | None:
    value = session.execute(select(Event.hash).where(Event.id == event_id)).scalar()
    return bytes(value) if value is not None else None


def verify_segment(session: Session, after: int, after_hash: bytes, count: int, head: bytes,
                   pins: dict[str, bytes], *, batch: int = 5000) -> VerifyResult:
    """The events after a checkpoint `(after, after_hash)` up to the head `(count, head)`: what the
    checkpointer verifies before it writes a line (cost: the new events only; a write's few events are
    read in one query). Failed sign-ins written while nobody was signed in are accepted unsigned here:
    the line about to be written vouches for them."""
    from msp_tui.core import chain_check

    if count < after:
        return VerifyResult(False, count, head, f"the log has {count} events but the checkpoint "
                            f"recorded {after}: events were removed from the end")
    conn = session.connection()
    differs = VerifyResult(False, count, head, f"event {after} differs from the checkpoint", after)
    if count - after <= chain_check.SMALL_SEGMENT:
        # One query: the checkpoint's own event first (it must still have the checkpoint's hash), then the new.
        rows = chain_check.read_chunk(conn, after - 1 if after else 0, count)
        if after:
            if not rows or rows[0][0] != after or bytes(rows[0][-2]) != after_hash:
                return differs
            rows = rows[1:]
        keys = chain_check.keys_for(conn, chain_check.signers_of(rows), pins)
        parts = [chain_check.check_chunk(conn, after, count, keys, {}, True, rows=rows)]
    else:
        if after and hash_of(session, after) != after_hash:
            return differs
        keys = chain_check.signer_keys(conn, pins)
        parts = chain_check.check_range(session, after, count, keys, {})
    joined = chain_check.join(parts, after, after_hash)
    if joined.problem:
        return VerifyResult(False, joined.count, joined.head, joined.problem, joined.event_id)
    if joined.count != count or joined.head != head:
        return VerifyResult(False, joined.count, joined.head, "the chain's recorded head does not match its "
                            "last event: events were removed from the end")
    named = {n: keys[n][0] for n in joined.signers if keys.get(n, (None,))[0] is not None}
    return VerifyResult(True, count, joined.head, keys=named,
                        new_keys={n: k for n, k in named.items() if n not in pins})


def verify_chain(session: Session, *, batch: int = 5000, check_signatures: bool = True,
                 checkpoint: tuple[int, bytes] | None = None, checkpoints=(),
                 pins: dict[str, bytes] | None = None, since: int = 1, workers: int | None = None,
                 chunk: int | None = None, progress=None) -> VerifyResult:
    """Check the chain: each link, each hash, each signature (against `pins`, the keys a checkpoint
    file pins, where it pins one); then the head, and every checkpoint `(count, hash)` given
    (`checkpoint` is one more). An unsigned failed sign-in is accepted only under a checkpoint.
    The events are checked in chunks on every core (core.chain_check); the first problem in id order
    is reported. `since` checks only events from that id on, linked to the stored hash of the one
    before it (a checkpoint there must match it): the cost is the range's. `progress(n)` is told
    of each n events checked."""
    from msp_tui.core import chain_check

    marks: dict[int, set[bytes]] = {}
    for count_, head_ in [*checkpoints, *([checkpoint] if checkpoint is not None else [])]:
        marks.setdefault(count_, set()).add(bytes(head_))
    pins = pins or {}
    keys = chain_check.signer_keys(session, pins) if check_signatures else {}
    seen: set[str] = set()
    unsigned: list[int] = []
    after = max(0, since - 1)
    prev = bytes(32) if after == 0 else hash_of(session, after)
    expected = after + 1

    def broken(problem, event_id=None):
        named = {n: keys[n][0] for n in seen if keys.get(n, (None,))[0] is not None}
        return VerifyResult(False, expected - 1, prev or bytes(32), problem, event_id, keys=named)

    if prev is None:
        expected = after
        return broken(f"event {after} is missing: rows were removed", after)
    if after in marks and marks[after] != {prev}:
        return broken(f"event {after} differs from the checkpoint", after)
    through = chain_check.max_id(session)
    joined = chain_check.join(chain_check.check_range(
        session, after, through, keys, marks, check_signatures=check_signatures, workers=workers,
        chunk=chunk or chain_check.CHUNK, progress=progress), after, prev)
    unsigned, seen, expected, prev = joined.unsigned, joined.signers, joined.count + 1, joined.head
    if joined.problem:
        return broken(joined.problem, joined.event_id)
    count = expected - 1
    head = session.get(EventChainHead, 1)
    if head is not None and (head.last_hash != prev or head.count != count):
        return broken("the chain's recorded head does not match its last event: events were removed "
                      "from the end")
    beyond = [c for c in marks if c > count]
    if beyond:
        return broken(f"the log has {count} events but the checkpoint recorded {max(beyond)}: events were "
                      "removed from the end")
    vouched = max(marks, default=0)
    unvouched = tuple(i for i in unsigned if i > vouched)
    if unvouched and marks:
        return broken(f"event {unvouched[0]} is a failed sign-in with no signature that no checkpoint "
                      "vouches for", unvouched[0])
    named = {n: keys[n][0] for n in seen if keys.get(n, (None,))[0] is not None}
    new_keys = {n: k for n, k in named.items() if n not in pins}
    return VerifyResult(True, count, prev, keys=named, new_keys=new_keys, unsigned=tuple(unsigned),
                        unvouched=unvouched)


def use_system_key(session: Session, signing_key: bytes) -> None:
    """Sign this transaction's events that have no acting person with the provider's system key."""
    session.info["system_signer"] = crypto.signer(signing_key)


def countersign(session: Session, actor: Actor, through: int) -> int:
    """Sign the failed sign-ins written while nobody was signed in with the provider's system key,
    up to event `through` (the checkpoint the file vouches for, so a row planted after it is not
    signed). Needs the actor to reach the provider key; returns how many were signed."""
    from msp_tui.core import keys

    if through <= 0 or actor.provider_id is None:
        return 0
    pending = session.execute(
        select(Event.id, Event.hash).where(Event.signature.is_(None), Event.id <= through,
                                           Event.acting_account_id.is_(None),
                                           Event.type == int(EventType.USER_FAILED_LOGIN))).all()
    if not pending:
        return 0
    signing_key = keys.system_signing_key(session, actor, actor.provider_id)
    if signing_key is None:
        return 0
    sign = crypto.signer(signing_key)
    for event_id, digest in pending:
        session.execute(Event.__table__.update().where(Event.__table__.c.id == event_id)
                        .values(signature=sign(digest)))
    return len(pending)


def event_types_in(values: Iterable[int]) -> tuple[int, ...]:
    known = {int(t) for t in EventType}
    bad = [v for v in values if v not in known]
    if bad:
        raise BadInput(f"Unknown event type {bad[0]}.", "type")
    return tuple(values)
