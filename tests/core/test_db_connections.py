"""How the PostgreSQL engine uses its connections: reads in autocommit (one round trip a statement),
a transaction when a read asks for one (the export's server-side cursor), and a pooled connection
that died while idle replaced before use."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from msp_tui.core import db as db_module
from msp_tui.core import events
from msp_tui.core.events import EventFilter
from msp_tui.core.services import clients, timeline
from tests.conftest import make_provider, new_pg

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db(pg_server):
    database = new_pg(pg_server)
    yield database
    database.dispose()


def _one_transaction(s) -> bool:
    """True when the session's statements share one transaction (its start stays behind the clock)."""
    s.execute(text("SELECT pg_sleep(0.01)"))
    return not s.execute(text("SELECT transaction_timestamp() = statement_timestamp()")).scalar_one()


def test_reads_run_in_autocommit_and_in_a_transaction_when_asked(pg_db):
    with pg_db.read() as s:
        assert not _one_transaction(s)
    with pg_db.read(transaction=True) as s:
        assert _one_transaction(s)
    with pg_db.write() as s:
        assert _one_transaction(s)


def test_the_export_stream_refuses_an_autocommit_session_and_streams_in_a_transaction(pg_db):
    admin = make_provider(pg_db)
    clients.create_client(pg_db, admin, name="Contoso", plan="teams-monthly", seats=3,
                          owner_email="o@contoso.example")
    scope = timeline.scope_for(pg_db, admin)
    with pg_db.read() as s, pytest.raises(RuntimeError, match="transaction=True"):
        next(iter(events.stream(s, scope, EventFilter())))
    with pg_db.read(transaction=True) as s:
        streamed = [r[0] for b in events.stream(s, scope, EventFilter(), batch=2) for r in b.rows]
    with pg_db.read() as s:
        paged = [r.id for r in events.query_page(s, scope, EventFilter(), limit=100)]
    assert streamed == paged and len(paged) >= 2


def _backend_pid(database) -> int:
    with database.read() as s:
        return s.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(server, pid: int) -> None:
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        assert c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    engine.dispose()
    time.sleep(0.05)


def test_a_connection_dropped_while_idle_is_replaced_before_use(pg_db, pg_server, monkeypatch):
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # every checkout counts as idle
    pid = _backend_pid(pg_db)
    _terminate(pg_server, pid)
    assert _backend_pid(pg_db) != pid  # the ping failed, the pool opened another connection


def test_a_live_connection_passes_its_ping_and_is_kept_for_reads_and_writes(pg_db, monkeypatch):
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # every checkout pings
    admin = make_provider(pg_db)
    pid = _backend_pid(pg_db)
    with pg_db.read(transaction=True) as s:
        assert _one_transaction(s)
    clients.create_client(pg_db, admin, name="Contoso", plan="teams-monthly", seats=3,
                          owner_email="o@contoso.example")
    assert [c.name for c in clients.list_clients(pg_db, admin).rows] == ["Contoso"]
    assert _backend_pid(pg_db) == pid  # one connection all along: each ping passed


def test_a_connection_used_moments_ago_is_not_pinged(pg_db, pg_server, monkeypatch):
    # The other side of the bargain: within the idle window nothing is checked, so a connection
    # killed in that window fails its next statement once; the pool then starts afresh.
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 3600.0)
    pid = _backend_pid(pg_db)
    _terminate(pg_server, pid)
    with pytest.raises(OperationalError):
        _backend_pid(pg_db)
    assert _backend_pid(pg_db) != pid


def test_a_new_process_opens_postgresql_with_two_statements_not_six(pg_db, monkeypatch):
    """Issue 19: a new process to the clients home on PostgreSQL took over 1 s; before its first read it
    sent six statements, four of them SQLAlchemy's set-up of its dialect (the server's version, the
    default schema, the isolation level, standard_conforming_strings), one the hstore type's look-up,
    then the migration check, each a round trip that waits for the server on a busy machine. The server
    reports its version and standard_conforming_strings when a connection starts; the schema and the
    isolation level now come in one statement, and there is no hstore. The dialect knows what
    SQLAlchemy's own set-up finds."""
    import psycopg

    url = pg_db.url
    pg_db.dispose()
    sent = []
    real = psycopg.Cursor.execute

    def counted(self, query, *args, **kwargs):
        sent.append(" ".join(str(query).split())[:80])
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    fresh = db_module.Database(url)
    opened = list(sent)
    with fresh.read() as s:
        assert s.execute(text("SELECT 1")).scalar_one() == 1
    assert len(opened) == 2, opened
    monkeypatch.undo()
    plain = create_engine(url)
    with plain.connect():
        pass
    ours, theirs = fresh.engine.dialect, plain.dialect
    assert (ours.server_version_info, ours.default_schema_name, ours.default_isolation_level,
            ours._backslash_escapes) == (theirs.server_version_info, theirs.default_schema_name,
                                         theirs.default_isolation_level, theirs._backslash_escapes)
    plain.dispose()
    fresh.dispose()
