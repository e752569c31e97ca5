"""Shared fixtures: real SQLite files and a real PostgreSQL server (no mocked database)."""

from __future__ import annotations

import itertools
import os
import shutil

import pytest
from sqlalchemy import create_engine, text

from msp_tui.core import clock
from msp_tui.core.db import Database
from msp_tui.core.services import accounts
from tests.pg import PostgresServer

PASSWORD = "correct horse battery staple"
REQUIRE_PG = os.environ.get("MSP_TUI_REQUIRE_POSTGRES") == "1"
_counter = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(path)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_server():
    try:
        server = PostgresServer().start()
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but could not start: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("CREATE DATABASE msp_template"))
    engine.dispose()
    Database(server.url("msp_template")).dispose()
    yield server
    server.stop()


def new_sqlite(tmp_path, template) -> Database:
    path = tmp_path / f"msp-{next(_counter)}.db"
    shutil.copy(template, path)
    return Database(path)


def empty_pg(server, prefix: str = "empty") -> str:
    """The URL of a new PostgreSQL database with no tables (a target for `db copy`)."""
    name = f"{prefix}_{os.getpid()}_{os.urandom(3).hex()}"
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.url(name)


def new_pg(server) -> Database:
    name = f"t_{os.getpid()}_{next(_counter)}"
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} TEMPLATE msp_template"))
    engine.dispose()
    return Database(server.url(name))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path, sqlite_template):
    """A fresh, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        database = new_sqlite(tmp_path, sqlite_template)
    else:
        database = new_pg(request.getfixturevalue("pg_server"))
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template):
    database = new_sqlite(tmp_path, sqlite_template)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.freeze(None)


def make_provider(db: Database, email: str = "ada@msp.example", name: str = "Ada Admin"):
    return accounts.init_provider(db, provider="Northwind MSP", email=email, name=name, password=PASSWORD)


@pytest.fixture
def admin(db):
    """The first Provider Admin of a new provider, signed in."""
    return make_provider(db)
