"""Verifying the event chain on every core (issue 19): `events verify` of a million events in seconds.

Each event row carries its own `prev_hash`, so once the rows are split into chunks of consecutive ids
every chunk can be checked on its own - ids without gaps, each link to the row before it, each hash
recomputed, each signature against its signer's key, each checkpoint mark - in a pool of processes
that each read their own id range. What is left for the parent is cheap and in order: each chunk's
first row must follow the previous chunk's last (its id, and its `prev_hash` = that row's hash), and
the first problem in id order is the one reported, exactly as the single pass (`events.verify_chain`
before) reported it. The signers' keys are decided once in the parent (the key pinned in the
checkpoint file, a key replaced inside the database reported) and handed to the workers.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from msp_tui.core.enums import EventType
from msp_tui.core.models import Account, Event

#: Events one worker checks at a time: large enough that a task's overhead is noise, small enough
#: that the progress bar moves and a problem early in the log stops the rest soon.
CHUNK = 20_000
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


def _columns():
    from msp_tui.core.events import CHAINED_FIELDS

    t = Event.__table__
    return [t.c[f] for f in CHAINED_FIELDS] + [t.c.prev_hash, t.c.hash, t.c.signature]


def check_rows(rows, lo: int, keys: dict, marks: dict, check_signatures: bool) -> ChunkResult:
    """The checks of one chunk, on rows of `_columns()` in id order, ids after `lo`. `keys` maps a
    signer name to (public key or None, problem or None) as the parent decided it."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from msp_tui.core.events import CHAINED_FIELDS, chain_hash_of_row

    out = ChunkResult(lo)
    n_fields = len(CHAINED_FIELDS)
    verifiers: dict[str, object] = {}
    expected, prev = lo + 1, None
    acting_at = CHAINED_FIELDS.index("acting_account_id")
    type_at = CHAINED_FIELDS.index("type")

    def fail(problem: str, event_id: int) -> ChunkResult:
        out.problem, out.problem_id, out.good = problem, event_id, (expected - 1, prev or b"")
        return out

    for row in rows:
        ev_id, prev_hash, digest, signature = row[0], bytes(row[n_fields]), bytes(row[n_fields + 1]), row[n_fields + 2]
        if out.first_id is None:
            out.first_id, out.first_prev, expected, prev = ev_id, prev_hash, ev_id, prev_hash
        if ev_id != expected:
            return fail(f"event {expected} is missing (next is {ev_id}): rows were removed", expected)
        if prev_hash != prev:
            return fail(f"event {ev_id} does not link to the event before it: rows were removed, inserted "
                        "or reordered", ev_id)
        if chain_hash_of_row(prev, row[:n_fields]) != digest:
            return fail(f"event {ev_id} was altered: its content does not match its hash", ev_id)
        if check_signatures:
            acting = row[acting_at]
            if acting is None and signature is None:
                if row[type_at] != _FAILED_LOGIN:
                    return fail(f"event {ev_id} has no signature: an event with no acting person must be "
                                "signed by the provider's system key", ev_id)
                out.unsigned.append(ev_id)
            else:
                name = "system" if acting is None else acting.hex
                public, rekeyed = keys.get(name, (None, None))
                if rekeyed:
                    return fail(f"event {ev_id}: {rekeyed}", ev_id)
                out.signers.add(name)
                ok = False
                if signature is not None and public is not None:
                    verify = verifiers.get(name)
                    if verify is None:
                        verify = verifiers[name] = Ed25519PublicKey.from_public_bytes(public).verify
                    try:
                        verify(bytes(signature), digest)
                        ok = True
                    except (InvalidSignature, ValueError):
                        ok = False
                if not ok:
                    if acting is None:
                        return fail(f"event {ev_id} has no valid signature of the provider's system key", ev_id)
                    return fail(f"event {ev_id} has no valid signature of the person it names as acting", ev_id)
        heads = marks.get(ev_id)
        if heads is not None and heads != {digest}:
            return fail(f"event {ev_id} differs from the checkpoint", ev_id)
        prev, expected = digest, expected + 1
        out.rows += 1
    out.last_id, out.last_hash = expected - 1, prev or b""
    return out


def read_chunk(conn: Connection, lo: int, hi: int):
    t = Event.__table__
    return conn.execute(select(*_columns()).where(t.c.id > lo, t.c.id <= hi).order_by(t.c.id))


_engines: dict[str, object] = {}


def _check_chunk(url: str, lo: int, hi: int, keys: dict, marks: dict, check_signatures: bool) -> ChunkResult:
    """In a worker process: read ids (lo, hi] on its own connection and check them."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        return check_rows(read_chunk(conn, lo, hi), lo, keys, marks, check_signatures)


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
            result = check_rows(read_chunk(conn, lo, hi), lo, keys, marks, check_signatures)
            if progress:
                progress(result.rows)
            yield result
            if result.problem:
                return
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        def marks_in(lo, hi):
            return {k: v for k, v in marks.items() if lo < k <= hi}

        pending = [pool.submit(_check_chunk, url, lo, hi, keys, marks_in(lo, hi), check_signatures)
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
