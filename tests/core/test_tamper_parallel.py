"""Issue 19: `events verify` checks the chain in chunks on several processes. Tampering inside a chunk
and at its borders (a chunk's first and last event) is found, and named exactly as the single pass
names it; a verify of a range (`--since`) checks that range. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert, update

from msp_tui.cli import cli
from msp_tui.core import chain_check, checkpoint, crypto
from tests.conftest import PASSWORD
from tests.core.test_tamper import EV, built, log, row, tamper, verify  # noqa: F401 - fixtures

CHUNK = 4  # chunks (0,4] (4,8] (8,12] ...: 4 and 8 end a chunk, 5 and 9 start one


def same_as_one_pass(db):
    """The parallel verify (2 processes, chunks of 4) and the single pass agree; returns the result."""
    parallel = verify(db, workers=2, chunk=CHUNK)
    single = verify(db, workers=1, chunk=10**6)
    assert (parallel.ok, parallel.problem, parallel.event_id, parallel.count, parallel.head_hash) == \
        (single.ok, single.problem, single.event_id, single.count, single.head_hash)
    return parallel


def test_parallel_verify_of_an_untouched_log_is_ok_with_every_signer(log):
    db, _admin, _service, count = log
    result = same_as_one_pass(db)
    assert result.ok and result.count == count
    assert result.keys == verify(db, workers=1).keys and len(result.keys) >= 2


@pytest.mark.parametrize("event_id", [4, 5, 6])  # the last of a chunk, the first of the next, inside
def test_attack_altered_event_at_a_chunk_border_or_inside_is_found(log, event_id):
    db, *_ = log
    tamper(db, update(EV).where(EV.c.id == event_id).values(detail='{"name": "forged"}'))
    result = same_as_one_pass(db)
    assert not result.ok and result.event_id == event_id and "altered" in result.problem


@pytest.mark.parametrize("event_id", [4, 5, 6])
def test_attack_deleted_event_at_a_chunk_border_or_inside_is_found(log, event_id):
    db, *_ = log
    tamper(db, delete(EV).where(EV.c.id == event_id))
    result = same_as_one_pass(db)
    assert not result.ok and result.event_id == event_id and "missing" in result.problem


def test_attack_whole_chunk_deleted_is_found(log):
    db, *_ = log
    tamper(db, delete(EV).where(EV.c.id.between(5, 8)))
    result = same_as_one_pass(db)
    assert not result.ok and result.event_id == 5 and "missing (next is 9)" in result.problem


def test_attack_rehashed_chunk_that_does_not_link_to_the_one_before_is_found(log):
    """A forger re-hashes a chunk from its first event on (a valid chain inside the chunk, valid
    hashes); only the border shows it: event 5 no longer links to event 4."""
    db, admin, _service, count = log
    from msp_tui.core import events

    fields = events.CHAINED_FIELDS
    prev = b"\x01" * 32
    for event_id in range(5, count + 1):
        old = row(db, event_id)
        digest = events.chain_hash(prev, {f: old[f] for f in fields})
        tamper(db, update(EV).where(EV.c.id == event_id).values(prev_hash=prev, hash=digest))
        prev = digest
    result = same_as_one_pass(db)
    assert not result.ok and result.event_id == 5 and "does not link" in result.problem


def test_attack_forged_signature_at_the_first_event_of_a_chunk_is_found(log):
    db, *_ = log
    forged = crypto.sign(b"\x07" * 32, row(db, 5)["hash"])
    tamper(db, update(EV).where(EV.c.id == 5).values(signature=forged))
    result = same_as_one_pass(db)
    assert not result.ok and result.event_id == 5 and "signature" in result.problem


def test_attack_event_swapped_across_a_chunk_border_is_found(log):
    db, *_ = log
    four, five = row(db, 4), row(db, 5)
    tamper(db, delete(EV).where(EV.c.id.in_([4, 5])),
           insert(EV).values({**five, "id": 4}), insert(EV).values({**four, "id": 5}))
    result = same_as_one_pass(db)
    assert not result.ok and result.event_id == 4


def test_attack_checkpoint_mark_inside_a_chunk_is_checked(log):
    db, _admin, _service, count = log
    head = (count, row(db, count)["hash"])  # vouches for the unsigned failed sign-in too
    wrong = verify(db, workers=2, chunk=CHUNK, checkpoints=[(6, b"\x02" * 32), head])
    assert not wrong.ok and wrong.event_id == 6 and "differs from the checkpoint" in wrong.problem
    assert verify(db, workers=2, chunk=CHUNK, checkpoints=[(6, row(db, 6)["hash"]), head]).ok


def test_verify_since_checks_only_the_range_and_its_anchor(log):
    db, _admin, _service, count = log
    tamper(db, update(EV).where(EV.c.id == 3).values(detail='{"name": "forged"}'))
    assert not verify(db).ok
    in_range = verify(db, since=5, workers=2, chunk=CHUNK)
    assert in_range.ok and in_range.count == count  # events before 5 are not read
    tamper(db, update(EV).where(EV.c.id == 7).values(detail='{"name": "forged"}'))
    broken = verify(db, since=5, workers=2, chunk=CHUNK)
    assert not broken.ok and broken.event_id == 7
    # The event before the range must still match a checkpoint that names it.
    assert not verify(db, since=4, checkpoints=[(3, b"\x02" * 32)]).ok


def test_check_range_uses_a_pool_of_processes_and_yields_chunks_in_order(log):
    db, _admin, _service, count = log
    with db.read() as s:
        keys = chain_check.signer_keys(s, {})
        parts = list(chain_check.check_range(s, 0, count, keys, {}, workers=2, chunk=CHUNK))
    assert [p.lo for p in parts] == list(range(0, count, CHUNK))
    assert sum(p.rows for p in parts) == count and not any(p.problem for p in parts)


def test_cli_verify_since_checkpoint_checks_the_events_after_it(log, tmp_path, monkeypatch):
    db, *_ = log
    path = tmp_path / "events.checkpoint"
    monkeypatch.setenv("MSP_TUI_CHECKPOINT", str(path))
    monkeypatch.setenv("MSP_TUI_TEST_PW", PASSWORD)
    url = db.url.render_as_string(hide_password=False) if not db.is_sqlite else db.url.database
    base = ["--db", url, "--email", "ada@msp.example", "--passwordenv", "MSP_TUI_TEST_PW", "events", "verify"]
    assert CliRunner().invoke(cli, [*base, "--new-checkpoint"]).exit_code == 0
    vouched = checkpoint.latest(path).count
    out = CliRunner().invoke(cli, [*base, "--since", "checkpoint", "--workers", "2"])
    assert out.exit_code == 0, out.output
    assert f"(checked events {vouched + 1} to" in out.output
    bad = CliRunner().invoke(cli, [*base, "--since", "yesterday"])
    assert bad.exit_code != 0 and "--since takes an event number or 'checkpoint'" in str(bad.exception)


def test_checkpoint_after_a_write_reads_only_its_new_events_in_one_query(log, tmp_path, monkeypatch):
    """Issue 19: the checkpoint step runs after every write. It reads the anchor event and the new ones
    in one query, and takes a pinned signer's key from the file (no account lookup a write)."""
    from sqlalchemy import event

    from msp_tui.core.services import clients

    db, admin, _service, _count = log
    path = tmp_path / "events.checkpoint"
    monkeypatch.setenv("MSP_TUI_CHECKPOINT", str(path))
    db.checkpointer = checkpoint.attach(db)
    checkpoint.write_checkpoint(db, path, start=True)
    clients.rename(db, admin, "Contoso Ltd", "Contoso A")  # pins the admin's key
    statements = []
    original = db.checkpointer.after_write

    def watched(session):
        listen = lambda _c, _cur, sql, *_a: statements.append(sql.lower())  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            original(session)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)

    monkeypatch.setattr(db.checkpointer, "after_write", watched)
    clients.rename(db, admin, "Contoso A", "Contoso B")
    reads = [s for s in statements if s.lstrip().startswith("select")]
    assert len([s for s in reads if "from event" in s]) == 1, reads
    assert not [s for s in reads if "from account" in s], reads
    assert checkpoint.latest(path).count == verify(db).count


def _sqlite_version_in_a_verify_worker() -> str:
    with chain_check._worker["engine"].connect() as conn:
        return conn.exec_driver_sql("SELECT sqlite_version()").scalar()


def test_verify_workers_open_the_database_with_the_programs_own_sqlite_library(log):
    """Two SQLite libraries on one WAL file is a known corruption hazard (sqlite.org/howtocorrupt.html),
    and the stdlib's SQLite predates 3.51.3's WAL fix: a verify worker reads with the program's own
    (db._sqlite_module), not Python's sqlite3."""
    from concurrent.futures import ProcessPoolExecutor

    from msp_tui.core import db as db_module

    db, *_ = log
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    url = db.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(1, mp_context=chain_check._pool_context(), initializer=chain_check._start_worker,
                             initargs=(url, {}, True)) as pool:
        assert pool.submit(_sqlite_version_in_a_verify_worker).result() == db_module._sqlite_module().sqlite_version
