"""Verifying the event chain on every core (issue 19): `events verify` of a million events in seconds.

Each event row carries its own `prev_hash`, so once the rows are split into chunks of consecutive ids
every chunk can be checked on its own - ids without gaps, each link to the row before it, each hash
recomputed, each signature against its signer's key, each checkpoint mark - in a pool of processes
that each read their own id range. What is left for the parent is cheap and in order: each chunk's
first row must follow the previous chunk's last (its id, and its `prev_hash` = that row's hash), and
the first problem in id order is the one reported, exactly as the single pass (`events.verify_chain`
before) reported it. The signers' keys are decided once in the parent (the key pinned in the
checkpoint file, a key replaced inside the database reported) and handed to the workers.

Where the time goes (a million events, issue 19): the Ed25519 verify is ~75% of it, so it is
ed25519-zebra's (crypto.verify_signature: 1.3x libsodium's speed here, 2.6x OpenSSL's, as strict). The rows are read as the driver gives
them (SQLAlchemy's typed rows cost 5x the read; PostgreSQL sends its uuids and dates as SQLite's text)
and the canonical bytes are built straight from that text (`sqlite_form`); a value in any other form
is decided by the typed values.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import threading
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from msp_tui.core.db import reading_engine
from msp_tui.core.enums import EventType
from msp_tui.core.events import CHAINED_FIELDS, _quote, chain_hash_of_row, stored_text
from msp_tui.core.models import Account, Event

#: Events one worker checks at a time: large enough that a task's overhead is noise, small enough
#: that the progress bar moves and a problem early in the log stops the rest soon.
CHUNK = 10_000
#: Below this many events one process checks them (starting a pool costs more than it saves).
POOL_FROM = 40_000
_FAILED_LOGIN = int(EventType.USER_FAILED_LOGIN)


@dataclass
class ChunkResult:
    """What one chunk of ids (lo, hi] holds: its first and last rows, and its first problem."""

    lo: int
    first_id: int | None = None
    first_prev: bytes = b""
    last_id: int = 0
    last_hash: bytes = b""
    rows: int = 0
    problem: str | None = None
    problem_id: int | None = None
    #: The chain as it stood before the problem: (good events, head hash).
    good: tuple[int, bytes] = (0, b"")
    unsigned: list[int] = field(default_factory=list)
    signers: set[str] = field(default_factory=set)


_N = len(CHAINED_FIELDS)
_PREV, _HASH, _SIGNATURE = _N, _N + 1, _N + 2
_ACTING, _TYPE = CHAINED_FIELDS.index("acting_account_id"), CHAINED_FIELDS.index("type")
_SELECT = "SELECT {columns}, prev_hash, hash, signature FROM event WHERE id > {p} AND id <= {p} ORDER BY id"


def _as_sqlite_stores_it(field: str) -> str:
    """A PostgreSQL column sent as SQLite stores it (`events.stored_text`): psycopg makes a `uuid.UUID`
    or a `datetime` of each value, 10-12 µs an event of the read, where the text costs the server little."""
    from sqlalchemy.dialects import postgresql

    expr = stored_text(Event.__table__.c[field], "postgresql")
    return f"{expr.compile(dialect=postgresql.dialect(), compile_kwargs={'literal_binds': True})} AS {field}"

_U = "(?:[0-9a-f]{32}|~)"
#: id .. policy_id (fields 1-15) in the form the program writes them to SQLite. None holds a comma or a
#: quote, so when the whole fits, each field is exactly one of these (a value cannot borrow a
#: neighbour's text) and the typed value the program reads gives these very characters.
_SQLITE_HEAD = re.compile(rf"-?[0-9]+,-?[0-9]+,[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}"
                          rf"\.[0-9]{{6}},{_U},[01](?:,{_U}){{10}}").fullmatch


def sqlite_form(row, q=_quote, head=_SQLITE_HEAD) -> bytes | None:
    """`events._canonical_row` of an event as SQLite stores it (uuids as 32 hex digits, dates as
    'YYYY-MM-DD HH:MM:SS.ffffff', booleans 0/1), without decoding a value: ~2 µs an event instead of
    ~20. None when a value is in another form (SQLite holds any value anywhere): the typed values decide.
    Integers must be integers (`:d`); a uuid or date column holding no text cannot pass the pattern
    (SQLite's integers have at most 19 digits, a real prints with '.' or 'e', a blob with a quote)."""
    try:
        (i, ty, d, p, pl, o, a, ac, pu, po, ou, g, c, it, pol, dev, ip, su, det) = row[:19]
        text = (f"{i:d},{ty:d},{d[:10]}{'T' if d[10:11] == ' ' else '?'}{d[11:]},{'~' if p is None else p},"
                f"{pl:d},{'~' if o is None else o},{'~' if a is None else a},{'~' if ac is None else ac},"
                f"{'~' if pu is None else pu},{'~' if po is None else po},{'~' if ou is None else ou},"
                f"{'~' if g is None else g},{'~' if c is None else c},{'~' if it is None else it},"
                f"{'~' if pol is None else pol}")
        if head(text) is None:
            return None
        return (f"{text},{'~' if dev is None else q(dev)},{'~' if ip is None else q(ip)},"
                f"{'~' if su is None else format(su, 'd')},{'~' if det is None else q(det)}").encode()
    except (TypeError, ValueError, UnicodeEncodeError):
        return None


def _decoder(dialect):
    """The values SQLAlchemy gives the program for a row of the driver's (its result processors)."""
    t = Event.__table__
    procs = [t.c[f].type.dialect_impl(dialect).result_processor(dialect, None) for f in CHAINED_FIELDS]
    if not any(procs):
        return list
    return lambda row: [v if p is None or v is None else p(v) for p, v in zip(procs, row)]


@dataclass(frozen=True)
class Reader:
    """How one engine's rows are read and hashed: `form(row)` gives the canonical bytes of the stored
    values (None: not in the program's own form), `decode(values)` the typed values for that case."""

    sql: str
    form: object
    decode: object


_readers: dict[str, Reader] = {}


def reader(dialect) -> Reader:
    found = _readers.get(dialect.name)
    if found is None:
        if dialect.name == "sqlite":
            sql, decode = _SELECT.format(columns=", ".join(CHAINED_FIELDS), p="?"), _decoder(dialect)
        else:  # PostgreSQL: the same text as SQLite's (its types are strict: always in the program's form)
            from sqlalchemy.dialects import sqlite

            sql = _SELECT.format(columns=", ".join(map(_as_sqlite_stores_it, CHAINED_FIELDS)), p="%s")
            decode = _decoder(sqlite.dialect())
        found = _readers[dialect.name] = Reader(sql, sqlite_form, decode)
    return found


def signer_name(acting) -> str:
    """The signer a row names: 'system', or the acting account's id as hex (from a uuid or its text)."""
    if acting is None:
        return "system"
    return acting.hex if isinstance(acting, uuid.UUID) else uuid.UUID(acting).hex


def signers_of(rows) -> set[str]:
    """The signers the signed rows name (a value that is no account id is left to the hash check)."""
    names = set()
    for acting in {r[_ACTING] for r in rows if r[_SIGNATURE] is not None}:
        try:
            names.add(signer_name(acting))
        except (TypeError, ValueError, AttributeError):
            pass
    return names


def check_rows(rows, lo: int, keys: dict, marks: dict, check_signatures: bool, decode=list,
               form=sqlite_form) -> ChunkResult:
    """The checks of one chunk, on rows of `read_chunk` in id order, ids after `lo`. `keys` maps a
    signer name to (public key or None, problem or None) as the parent decided it."""
    from msp_tui.core.crypto import verify_signature

    out = ChunkResult(lo)
    expected, prev = lo + 1, None
    sha256 = hashlib.sha256
    #: A row's acting value (uuid text on SQLite) → (signer name, public key, problem).
    signers: dict = {}

    def fail(problem: str, event_id: int) -> ChunkResult:
        out.problem, out.problem_id, out.good = problem, event_id, (expected - 1, prev or b"")
        out.signers.update(s[0] for s in signers.values())
        return out

    for row in rows:
        ev_id, prev_hash, digest = row[0], row[_PREV], row[_HASH]
        if prev is None:
            out.first_id, out.first_prev, expected, prev = ev_id, bytes(prev_hash), ev_id, bytes(prev_hash)
        if ev_id != expected:
            return fail(f"event {expected} is missing (next is {ev_id}): rows were removed", expected)
        if prev_hash != prev:
            return fail(f"event {ev_id} does not link to the event before it: rows were removed, inserted "
                        "or reordered", ev_id)
        text = form(row)
        if text is None or sha256(prev + text).digest() != digest:
            try:  # not in the program's own form, or altered: the values the program reads decide
                same = decode is not None and chain_hash_of_row(prev, decode(row[:_N])) == digest
            except (TypeError, ValueError, AttributeError, UnicodeEncodeError):
                same = False  # a value the program cannot read
            if not same:
                return fail(f"event {ev_id} was altered: its content does not match its hash", ev_id)
        if check_signatures:
            acting, signature = row[_ACTING], row[_SIGNATURE]
            if acting is None and signature is None:
                if row[_TYPE] != _FAILED_LOGIN:
                    return fail(f"event {ev_id} has no signature: an event with no acting person must be "
                                "signed by the provider's system key", ev_id)
                out.unsigned.append(ev_id)
            else:
                signer = signers.get(acting)
                if signer is None:
                    name = signer_name(acting)
                    signer = signers[acting] = (name, *keys.get(name, (None, None)))
                name, public, rekeyed = signer
                if rekeyed:
                    return fail(f"event {ev_id}: {rekeyed}", ev_id)
                if signature is None or public is None or not verify_signature(public, bytes(signature), digest):
                    if acting is None:
                        return fail(f"event {ev_id} has no valid signature of the provider's system key", ev_id)
                    return fail(f"event {ev_id} has no valid signature of the person it names as acting", ev_id)
        if marks:
            heads = marks.get(ev_id)
            if heads is not None and heads != {digest}:
                return fail(f"event {ev_id} differs from the checkpoint", ev_id)
        prev, expected = digest, expected + 1
    out.rows = expected - (out.first_id or expected)
    out.last_id, out.last_hash = expected - 1, bytes(prev or b"")
    out.signers.update(s[0] for s in signers.values())
    return out


def read_chunk(conn: Connection, lo: int, hi: int) -> list:
    """Ids (lo, hi] in id order: `CHAINED_FIELDS`, then prev_hash, hash, signature, as the driver
    gives them (no SQLAlchemy type processing: the typed rows cost 5x the read)."""
    return conn.exec_driver_sql(reader(conn.dialect).sql, (lo, hi)).fetchall()


def check_chunk(conn: Connection, lo: int, hi: int, keys: dict, marks: dict, check_signatures: bool,
                rows=None) -> ChunkResult:
    """`check_rows` of ids (lo, hi] read on `conn` (or of `rows` already read from it)."""
    how = reader(conn.dialect)
    return check_rows(read_chunk(conn, lo, hi) if rows is None else rows, lo, keys, marks, check_signatures,
                      how.decode, how.form)


#: A worker's own: the database, its engine, every signer's key and whether signatures are checked, set
#: once when the worker starts (a provider has a key per person: sent with every chunk, that dict cost
#: more than checking the chunk).
_worker: dict = {}


def _start_worker(url: str, keys: dict, check_signatures: bool) -> None:
    _worker.update(engine=reading_engine(url), keys=keys, check=check_signatures)


def _check_chunk(lo: int, hi: int, marks: dict) -> ChunkResult:
    """In a worker process: read ids (lo, hi] on its own connection and check them."""
    with _worker["engine"].connect() as conn:
        return check_chunk(conn, lo, hi, _worker["keys"], marks, _worker["check"])


def signer_keys(conn, pins: dict[str, bytes]) -> dict[str, tuple[bytes | None, str | None]]:
    """Every signer's key as verify trusts it (the pinned key wins; a different one in the database is reported)."""
    from msp_tui.core.checkpoint import key_fingerprint
    from msp_tui.core.events import system_public_key

    found: dict[str, tuple[bytes | None, str | None]] = {}

    def decide(name: str, in_db, who: str) -> None:
        pinned = pins.get(name)
        if pinned is not None and in_db is not None and bytes(in_db) != pinned:
            found[name] = (None, f"{who} in the database is not the one pinned in the checkpoint file "
                                 f"({key_fingerprint(pinned)}): it was replaced inside the database")
        else:
            found[name] = (pinned if pinned is not None else (bytes(in_db) if in_db is not None else None), None)

    decide("system", system_public_key(conn), "the provider's system key")
    for account_id, public in conn.execute(select(Account.id, Account.signing_public_key)):
        decide(account_id.hex, public, f"the signing key of account {account_id}")
    for name, pinned in pins.items():  # a signer whose account row is gone: its pinned key still counts
        found.setdefault(name, (bytes(pinned), None))
    return found


def _pool_context():
    import multiprocessing

    # fork is quick (no re-import) but unsafe once threads run (the TUI, test runners): then spawn.
    if hasattr(os, "fork") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def workers_default() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def check_range(session, after: int, through: int, keys: dict, marks: dict, *, check_signatures: bool = True,
                workers: int | None = None, chunk: int = CHUNK, progress=None, url: str | None = None):
    """Check ids (after, through] in chunks, in a pool when there are enough of them; yields each
    chunk's result in id order (a caller stops at the first problem)."""
    bounds = [(lo, min(lo + chunk, through)) for lo in range(after, through, chunk)]
    workers = workers_default() if workers is None else workers
    conn = session.connection()
    if url is None:
        engine_url = conn.engine.url
        url = None if engine_url.database in (None, "", ":memory:") else engine_url.render_as_string(hide_password=False)
    if workers <= 1 or url is None or through - after < POOL_FROM and chunk >= CHUNK:
        for lo, hi in bounds:
            result = check_chunk(conn, lo, hi, keys, marks, check_signatures)
            if progress:
                progress(result.rows)
            yield result
            if result.problem:
                return
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=_start_worker,
                             initargs=(url, keys, check_signatures)) as pool:
        at = sorted(marks)  # a checkpoint after every write: as many marks as writes, so no scan a chunk

        def marks_in(lo, hi):
            return {k: marks[k] for k in at[bisect.bisect_right(at, lo):bisect.bisect_right(at, hi)]}

        pending = [pool.submit(_check_chunk, lo, hi, marks_in(lo, hi))
                   for lo, hi in bounds]
        try:
            for i, fut in enumerate(pending):
                while not fut.done():
                    done, _ = wait([f for f in pending[i:] if not f.done()], return_when=FIRST_COMPLETED)
                    if progress:
                        for f in done:
                            if not getattr(f, "_counted", False):
                                f._counted = True
                                progress(f.result().rows)
                result = fut.result()
                if progress and not getattr(fut, "_counted", False):
                    fut._counted = True
                    progress(result.rows)
                yield result
                if result.problem:
                    return
        finally:
            for f in pending:
                f.cancel()


def max_id(session) -> int:
    return session.execute(select(func.max(Event.id))).scalar() or 0


@dataclass
class Joined:
    """Chunks joined in id order: where the chain stands, and its first problem (None when clean)."""

    count: int
    head: bytes
    problem: str | None = None
    event_id: int | None = None
    unsigned: list[int] = field(default_factory=list)
    signers: set[str] = field(default_factory=set)


def join(parts, after: int, after_hash: bytes) -> Joined:
    """Each chunk's first row must follow the last one checked (its id, its `prev_hash`); the first
    problem in id order wins, as a single pass would have met it."""
    out = Joined(after, after_hash)
    for part in parts:
        if part.first_id is None:
            continue
        if part.first_id != out.count + 1:
            out.problem, out.event_id = (f"event {out.count + 1} is missing (next is {part.first_id}): rows were "
                                         "removed"), out.count + 1
            return out
        if part.first_prev != out.head:
            out.problem, out.event_id = (f"event {part.first_id} does not link to the event before it: rows "
                                         "were removed, inserted or reordered"), part.first_id
            return out
        out.unsigned.extend(part.unsigned)
        out.signers |= part.signers
        if part.problem:
            (out.count, out.head), out.problem, out.event_id = part.good, part.problem, part.problem_id
            return out
        out.count, out.head = part.last_id, part.last_hash
    return out


def keys_for(conn, names: set[str], pins: dict[str, bytes]) -> dict:
    """`signer_keys` for a few signers: a pinned one is taken from the pin (no query: a key replaced in
    the database cannot sign for it anyway), the others from the database."""
    from msp_tui.core.events import system_public_key

    found = {n: (bytes(pins[n]), None) for n in names if n in pins}
    for name in names - found.keys():
        if name == "system":
            found[name] = (system_public_key(conn), None)
        else:
            import uuid

            public = conn.execute(select(Account.signing_public_key)
                                  .where(Account.id == uuid.UUID(hex=name))).scalar()
            found[name] = (bytes(public) if public is not None else None, None)
    return found


#: A segment this short (a write's own events) is read in one query and its signers looked up alone.
SMALL_SEGMENT = 2_000
