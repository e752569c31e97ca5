"""Several staff start msp-tui at once against a database a new release must migrate (jump hosts
upgraded together): every process must open it and the migrations must run once. Seen on PostgreSQL with
16 processes and a million events: each process read the old revision, all ran the same migration, and
all but one failed at Alembic's "expected to match one row" when they stamped it."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from msp_tui.core.db import Database
from tests.conftest import new_pg, new_sqlite

N = 8


def _open(url: str, out) -> None:
    try:
        db = Database(url)
        out.put(("ok", db.current_revision()))
        db.dispose()
    except Exception as exc:  # noqa: BLE001 - the test reports whatever a process met
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def _downgraded(db: Database) -> str:
    with db._writer.begin() as conn:
        command.downgrade(db._alembic_config(conn), "-3")
    assert db.current_revision() != db.head_revision()
    url = db.engine.url.render_as_string(hide_password=False)
    db.dispose()
    return url


def _start_while_event_table_is_held(url: str, waiting) -> list[tuple[str, str]]:
    """Hold the event table (as a long index build on a million events would) until every process has
    got as far as it can, then let them all go at once."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    holder = create_engine(url)
    with holder.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("LOCK TABLE event IN ACCESS EXCLUSIVE MODE")
        procs = [ctx.Process(target=_open, args=(url, out)) for _ in range(N)]
        for p in procs:
            p.start()
        deadline = time.monotonic() + 120
        while waiting(conn) < N and time.monotonic() < deadline:
            time.sleep(0.2)
        conn.exec_driver_sql("COMMIT")
    holder.dispose()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return results


@pytest.mark.postgres
def test_many_processes_starting_at_once_migrate_a_postgresql_database_once_and_all_open_it(pg_server):
    db = new_pg(pg_server)
    head = db.head_revision()

    def waiting(conn) -> int:  # backends of this database blocked on a lock (the table's or the upgrade's)
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one()

    results = _start_while_event_table_is_held(_downgraded(db), waiting)
    errors = [r[1] for r in results if r[0] == "error"]
    assert not errors, errors
    assert {r[1] for r in results} == {head}


def test_many_processes_starting_at_once_migrate_a_sqlite_database_once_and_all_open_it(tmp_path,
                                                                                       sqlite_template):
    db = new_sqlite(tmp_path, sqlite_template)
    head = db.head_revision()
    url = _downgraded(db)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_open, args=(url, out)) for _ in range(N)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [r[1] for r in results if r[0] == "error"]
    assert not errors, errors
    assert {r[1] for r in results} == {head}
