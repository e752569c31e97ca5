"""Copying a SQLite database into PostgreSQL with COPY (core/db_copy.py): every row and value arrives
as it was, the copied log verifies against the SQLite database's own checkpoint file, and the copy
takes new writes after it. On a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from msp_tui.core import demo
from msp_tui.core.db import Database
from msp_tui.core.db_copy import copy_into_postgres
from msp_tui.core.errors import BadInput
from msp_tui.core.models.base import Base
from msp_tui.core.services import accounts, clients

from tests.conftest import empty_pg

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A small demo on SQLite: every table holds rows (people, clients, vaults, policies, events)."""
    path = tmp_path_factory.mktemp("source") / "demo.db"
    db = Database(path)
    demo.build(db, clients=12, events=600)
    db.dispose()
    return path


def _empty_pg(server) -> str:
    return empty_pg(server, "copy")


def _rows(db: Database, table) -> list[tuple]:
    """Every row as SQLAlchemy types it on either engine (UUID, datetime, bool, bytes), sorted."""
    with db.engine.connect() as c:
        rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in c.execute(select(table))]
    return sorted(rows, key=repr)


def test_copy_into_postgres_keeps_every_table_row_and_value(source, pg_server):
    url = _empty_pg(pg_server)
    said: list[str] = []
    report = copy_into_postgres(source, url, said.append)
    assert said[-1] == "VACUUM ANALYZE …"
    sqlite, pg = Database(source, create=False), Database(url)
    try:
        for table in Base.metadata.sorted_tables:
            rows = _rows(sqlite, table)
            assert report.rows[table.name] == len(rows), table.name
            assert _rows(pg, table) == rows, table.name
        assert report.rows["event"] > 600 and report.rows["organization"] >= 12
    finally:
        sqlite.dispose(), pg.dispose()


def test_copied_postgres_log_verifies_against_the_sqlite_checkpoint_file(source, pg_server, tmp_path):
    url = _empty_pg(pg_server)
    kept = tmp_path / "pg.checkpoint"
    report = copy_into_postgres(source, url, checkpoint_to=kept)
    assert report.checkpoint == kept and kept.read_bytes() == (source.parent / "demo.db.checkpoint").read_bytes()
    env = dict(os.environ, MSP_TUI_CHECKPOINT=str(kept), PW=demo.DEMO_PASSWORD)
    done = subprocess.run([sys.executable, "-m", "msp_tui", "--db", url, "--email", demo.DEMO_EMAIL,
                           "--passwordenv", "PW", "events", "verify"],
                          env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK {report.rows['event'] + 1} events")  # + the verify's own sign-in


def test_copied_database_takes_new_writes_after_the_copied_ids(source, pg_server, monkeypatch, tmp_path):
    """The sequences are set past the copied ids: a new event follows the chain, not id 1."""
    url = _empty_pg(pg_server)
    kept = tmp_path / "pg.checkpoint"
    copy_into_postgres(source, url, checkpoint_to=kept)
    monkeypatch.setenv("MSP_TUI_CHECKPOINT", str(kept))
    db = Database(url)
    try:
        from msp_tui.core.models.events import Event

        with db.read() as s:
            last = s.scalar(select(func.max(Event.id)))
            name = s.scalar(text("SELECT o.name FROM organization o JOIN provider_organization p "
                                "ON p.organization_id = o.id ORDER BY o.name LIMIT 1"))
        actor = accounts.sign_in(db, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
        clients.rename(db, actor, name, name + " (renamed)")
        with db.read() as s:
            assert s.scalar(select(func.max(Event.id))) == last + 2  # the sign-in's event, the rename's
        from msp_tui.core import events

        with db.read() as s:
            assert events.verify_chain(s).ok
    finally:
        db.dispose()


def test_copy_refuses_a_postgres_database_that_already_holds_data(source, pg_server):
    url = _empty_pg(pg_server)
    first = copy_into_postgres(source, url)
    with pytest.raises(BadInput, match="already holds data"):
        copy_into_postgres(source, url)
    db = Database(url)
    try:
        with db.read() as s:
            assert s.scalar(text("SELECT count(*) FROM event")) == first.rows["event"]
    finally:
        db.dispose()


def test_copy_refuses_a_sqlite_target(source, tmp_path):
    with pytest.raises(BadInput, match="must be a PostgreSQL database"):
        copy_into_postgres(source, str(tmp_path / "other.db"))
