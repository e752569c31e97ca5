"""The database: where it is, how connections behave, transactions, and migrations on open.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, through a current
SQLite (pysqlite3) because SQLite before 3.51.3 can corrupt a WAL database written by several
processes. Every write transaction starts with BEGIN IMMEDIATE, so two writers queue at the start
instead of failing half-way. On PostgreSQL every write transaction first locks the event chain's
head row, which orders all writes the same way.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from msp_tui.core.errors import BadInput, Unavailable

APP_NAME = "msp-tui"
#: (database, session) while use cases join one write transaction (Database.sharing).
_SHARED_WRITE: ContextVar[tuple | None] = ContextVar("shared_write", default=None)
#: The write transaction this thread is in (database, session), for what a read inside it notices.
_WRITING: ContextVar[tuple | None] = ContextVar("writing", default=None)


def after_read(session: Session, key, fn) -> None:
    """Something a read noticed that must be written (break-glass: a grant's first use, its lapse).
    In a write session `fn(db)` runs now, in its transaction; after a read it runs once the read ends
    (even a refused one), in a write of its own or in the write this thread is already in. Once per key
    and session."""
    done = session.info.setdefault("after_read", {})
    if key in done:
        return
    db = session.info.get("db")
    if db is None:
        return
    if session.info.get("writing"):
        done[key] = None
        with db.sharing(session):
            fn(db)
        return
    done[key] = fn
BUSY_TIMEOUT_MS = 10_000
#: How long a write waits for its turn behind other writers, in all (SQLite).
WRITE_WAIT_S = 180
MIN_SQLITE = (3, 51, 3)


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME)) / "msp-tui.db"


#: The PostgreSQL advisory lock key that lets one process at a time apply migrations.
MIGRATION_LOCK = 0x6D73705F7475  # "msp_tu"


def resolve_url(path_or_url: str | os.PathLike | URL | None) -> URL:
    """A path becomes a SQLite URL; a SQLAlchemy URL is taken as it is (postgresql:// uses psycopg 3)."""
    if isinstance(path_or_url, URL):
        return path_or_url
    if path_or_url is None or str(path_or_url) == "":
        path_or_url = os.environ.get("MSP_TUI_DB") or default_path()
    raw = str(path_or_url)
    if "://" in raw:
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(raw)
        except ArgumentError:
            raise BadInput("The database URL is not valid (e.g. postgresql://user@host/dbname).", "db") from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url
    return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))


def _sqlite_module():
    try:
        import pysqlite3.dbapi2 as module  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - pysqlite3 is a dependency
        import sqlite3 as module
    return module


def reading_engine(url: str | URL) -> Engine:
    """An engine for a process of its own that only reads (`events verify`'s workers): no pool, and on
    SQLite the program's own SQLite library - two libraries on one WAL file is a known corruption hazard
    (sqlite.org/howtocorrupt.html), and the stdlib's predates the WAL fix of 3.51.3."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return create_engine(url, module=_sqlite_module(), poolclass=NullPool)
    return create_engine(url, poolclass=NullPool)


def sqlite_version() -> tuple[int, int, int]:
    return tuple(int(p) for p in _sqlite_module().sqlite_version.split("."))  # type: ignore[return-value]


def where(url: URL) -> str:
    """How a person names this database: the file's path, or the server URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


class NoDatabase(BadInput):
    """A command that does not create databases was pointed at a file that does not exist."""

    def __init__(self, path: str) -> None:
        super().__init__(f"No database at {path} (create one with msp-tui init)", "db")


#: SQLite's words for causes outside the program, and how they read to a person.
_SQLITE_CAUSES = {
    "attempt to write a readonly database": "the file (or its folder) is read-only",
    "database or disk is full": "the disk is full",
    "disk i/o error": "a disk input/output error (a full disk or a file size limit can cause it)",
    "unable to open database file": "cannot open it (a missing or read-only folder, or not a file)",
    "file is not a database": "it is not a database file",
    "database disk image is malformed": "the file is damaged (restore it from a backup)",
    "database is locked": "another program holds it locked; try again",
}


def outside_cause(exc: BaseException, name: str | None) -> Unavailable | None:
    """A database or file error whose cause lies outside the program, as one sentence naming the file
    (or server) and the cause; None for anything else, which stays a bug with its traceback."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        orig = exc.orig
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0].strip()
        for words, cause in _SQLITE_CAUSES.items():
            if first.lower().startswith(words):
                return Unavailable(f"cannot use the database {name}: {cause} ({first}).")
        if type(orig).__name__ == "OperationalError":  # psycopg: a server down, refused, unreachable
            return Unavailable(f"cannot use the database {name}: {first}")
        return None
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        file = exc.filename or name
        return Unavailable(f"cannot use {file}: {exc.strerror or exc}.")
    return None


def _prepare_sqlite_file(path: str, create: bool) -> list[str]:
    """Create a new database file 0600 in a 0700 folder; warn about a file others may write."""
    warnings: list[str] = []
    if path == ":memory:":
        return warnings
    p = Path(path)
    if p.is_dir():
        raise Unavailable(f"cannot use the database {p}: it is a folder, not a database file.")
    if not p.exists() and not create:
        raise NoDatabase(str(p))
    if not p.exists():
        p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = p.parent.stat().st_mode
        if folder & stat.S_IWOTH:  # attack 11 of issue 15
            # Names the folder, not the file: demo builds under a temporary name the user never typed.
            warnings.append(f"warning: the new database goes in {p.parent}, a folder every user can write "
                            f"(mode {stat.filemode(folder)}): another user can plant a link or a file under "
                            "its name. Keep databases in a folder of your own.")
        try:  # never over a file another process made meanwhile
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
    else:
        mode = p.stat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            warnings.append(f"warning: the database {p} is writable by other users "
                            f"(mode {stat.filemode(mode)}); anyone who can write it can alter it.")
    return warnings


class Database:
    """One database and its engine. `write()` and `read()` hand out sessions."""

    def __init__(self, path_or_url: str | os.PathLike | None = None, *, migrate: bool = True,
                 echo: bool = False, create: bool = True) -> None:
        """`create`: make a new SQLite file when there is none. The command line passes False except
        for `init`, `demo` and `db upgrade`, so a mistyped path is refused rather than created."""
        self.url = resolve_url(path_or_url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.warnings: list[str] = []
        if self.is_sqlite:
            version = sqlite_version()
            if version < MIN_SQLITE:
                raise BadInput(
                    f"SQLite {'.'.join(map(str, version))} is too old for several writers at once "
                    f"(a WAL-reset bug before {'.'.join(map(str, MIN_SQLITE))} can corrupt the database); "
                    "install the pysqlite3 package or use PostgreSQL.")
            self.warnings += _prepare_sqlite_file(self.url.database or ":memory:", create)
            self.engine = create_engine(self.url, module=_sqlite_module(), echo=echo,
                                        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                                      "check_same_thread": False})
            _install_sqlite_events(self.engine)
        else:
            # Plan every statement for its values: psycopg prepares a statement after five runs and
            # PostgreSQL may then switch to one generic plan, which cannot see that one provider has
            # a million events and another ten (a timeline filter went from 1 ms to 45-65 ms).
            # use_native_hstore=False: no hstore columns here, so no look-up of its type at the first connect.
            self.engine = create_engine(self.url, echo=echo, use_native_hstore=False,
                                        connect_args={"options": "-c plan_cache_mode=force_custom_plan"})
            _quick_first_connect(self.engine.dialect)
            _install_postgres_events(self.engine)
        self._writer = self.engine.execution_options(msp_write=True)
        # PostgreSQL reads run in autocommit: each statement is its own transaction, as each already had
        # its own snapshot under READ COMMITTED, and a page read skips two round trips (BEGIN, COMMIT).
        # A read that needs a transaction (a server-side cursor) asks for one: read(transaction=True).
        self._reader = self.engine if self.is_sqlite else self.engine.execution_options(
            isolation_level="AUTOCOMMIT")
        from msp_tui.core import checkpoint

        self.checkpointer = checkpoint.attach(self)  # (count, head) outside the database after writes
        if migrate:
            self.upgrade()

    @property
    def display(self) -> str:
        return self.url.render_as_string(hide_password=True)

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any exception."""
        shared = _SHARED_WRITE.get()
        if shared is not None and shared[0] is self:
            # Inside `sharing()`: the use case joins the caller's transaction (one commit or none).
            yield shared[1]
            return
        session, transaction = self._begin_write()
        session.info.update(db=self, writing=True)
        token = _WRITING.set((self, session))
        try:
            with session:
                with transaction:
                    if not self.is_sqlite:
                        from msp_tui.core.events import lock_chain_head
                        lock_chain_head(session)
                    yield session
                self.checkpointer.after_write(session)
        finally:
            _WRITING.reset(token)

    def _begin_write(self) -> tuple[Session, object]:
        """Open a write transaction. On SQLite, BEGIN IMMEDIATE runs here, before any work, and is
        retried past the busy timeout while another writer holds the lock (a key rotation over many
        clients can take longer than the timeout): nothing has been done yet, so waiting is safe."""
        deadline = time.monotonic() + WRITE_WAIT_S
        while True:
            session = Session(self._writer, expire_on_commit=False, autoflush=True)
            transaction = session.begin()
            if not self.is_sqlite:
                return session, transaction
            try:
                session.connection()
                return session, transaction
            except OperationalError as exc:
                session.close()
                if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                    raise
                if time.monotonic() > deadline:
                    from msp_tui.core.errors import Refused

                    raise Refused("busy", "The database is still busy with another long change; nothing "
                                  "was changed. Try again in a minute.") from None

    @contextmanager
    def sharing(self, session: Session) -> Iterator[None]:
        """Run use cases inside `session`'s write transaction: an approved two-person request is made
        in the approver's transaction, together with the approval (core.services.approvals)."""
        token = _SHARED_WRITE.set((self, session))
        try:
            yield
        finally:
            _SHARED_WRITE.reset(token)

    @contextmanager
    def read(self, *, transaction: bool = False) -> Iterator[Session]:
        """A read-only session. On PostgreSQL its statements run in autocommit unless `transaction`
        (needed by a server-side cursor, which lives inside a transaction)."""
        session = Session(self.engine if transaction else self._reader, expire_on_commit=False)
        session.info["db"] = self
        try:
            with session:
                with session.begin():
                    yield session
        finally:
            due = [fn for fn in session.info.pop("after_read", {}).values() if fn is not None]
            if due:
                self._after_read(due)

    def _after_read(self, due: list) -> None:
        outer = _WRITING.get()
        for fn in due:
            if outer is not None and outer[0] is self:  # a read inside a write: join it
                with self.sharing(outer[1]):
                    fn(self)
            else:
                fn(self)

    def dispose(self) -> None:
        self.engine.dispose()

    # --- migrations -----------------------------------------------------------------------

    def _alembic_config(self, connection=None):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        cfg.attributes["connection"] = connection
        return cfg

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def upgrade(self) -> bool:
        """Apply pending migrations; True if any ran."""
        if self._at_script_head() or self.current_revision() == self.head_revision():
            return False
        from alembic import command

        with self._writer.begin() as conn:
            if not self.is_sqlite:
                # Staff starting a new release at once must not all migrate: the first to hold this lock
                # does; the others then read its revision and find nothing to do. (SQLite's BEGIN
                # IMMEDIATE already lets one writer in at a time.)
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            command.upgrade(self._alembic_config(conn), "head")
        return True

    def _at_script_head(self) -> bool:
        """True when the database is at the one head of the migration scripts, found without importing
        Alembic (a tenth of a second at every start of the program); False means: ask Alembic."""
        from sqlalchemy.exc import DBAPIError

        heads = _script_heads()
        if len(heads) != 1:
            return False
        try:
            with self._reader.connect() as conn:  # (PostgreSQL: in autocommit, no ROLLBACK after it)
                stored = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
        except DBAPIError:  # a new database: no version table yet
            return False
        return stored == list(heads)

    # --- health ---------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Integrity problems found (empty when all is well)."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            if self.is_sqlite:
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                if rows != ["ok"]:
                    problems += [f"integrity: {r}" for r in rows]
                for r in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                    problems.append(f"foreign key: table {r[0]} row {r[1]} -> {r[2]}")
            else:
                conn.execute(text("SELECT 1"))
        return problems


def _script_heads() -> set[str]:
    """The revisions no other migration script names as its down_revision, read from the scripts' text."""
    import re

    revisions, downs = set(), set()
    for script in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", source, re.M)
        if rev is None or down is None:
            return set()  # a script this reader does not understand: let Alembic decide
        revisions.add(rev.group(1))
        downs.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - downs


#: An execution option: PostgreSQL sends this statement's rows in binary, and a uuid column's value is
#: its 16 bytes (no `uuid.UUID` made); events.stream uses it for exports.
BINARY_ROWS = "msp_binary_rows"

#: A pooled PostgreSQL connection idle longer than this is pinged before use (seconds).
PING_AFTER_IDLE_S = 2.0


def _quick_first_connect(dialect) -> None:
    """SQLAlchemy sets up its PostgreSQL dialect at the first connect with a statement each for the
    server's version, the default schema, the isolation level and standard_conforming_strings: four
    round trips (and a ROLLBACK) before a new process shows anything. The server already reported its
    version and standard_conforming_strings when the connection started (libpq keeps them); the schema and
    the isolation level come in one statement."""
    import types

    def server_version(self, connection):
        number = connection.connection.driver_connection.info.server_version  # 160004, or 90624 before 10
        return (number // 10000, number % 10000) if number >= 100000 else (
            number // 10000, number // 100 % 100, number % 100)

    def default_schema(self, connection):
        schema, isolation = connection.exec_driver_sql(
            "SELECT current_schema(), current_setting('transaction_isolation')").one()
        self._msp_default_isolation = isolation.upper()
        return schema

    def default_isolation(self, dbapi_connection):
        known = getattr(self, "_msp_default_isolation", None)
        return known if known is not None else type(self).get_default_isolation_level(self, dbapi_connection)

    def backslash_escapes(self, connection):
        status = connection.connection.driver_connection.info.parameter_status("standard_conforming_strings")
        if status is None:
            return type(self)._set_backslash_escapes(self, connection)
        self._backslash_escapes = status == "off"

    dialect._get_server_version_info = types.MethodType(server_version, dialect)
    dialect._get_default_schema_name = types.MethodType(default_schema, dialect)
    dialect.get_default_isolation_level = types.MethodType(default_isolation, dialect)
    dialect._set_backslash_escapes = types.MethodType(backslash_escapes, dialect)


def _install_postgres_events(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has sat idle: a server restart or a dropped
    connection shows up after a pause, and a fresh ping per read cost a round trip on every keystroke.
    Raising DisconnectionError makes the pool throw the connection away and check out another."""
    from sqlalchemy import exc

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"a pooled connection failed its ping: {error}") from error


    @event.listens_for(engine, "before_cursor_execute")
    def _binary_rows(_conn, cursor, _statement, _parameters, context, _many) -> None:
        if context is not None and context.execution_options.get(BINARY_ROWS):
            from psycopg.pq import Format
            from psycopg.types.string import ByteaBinaryLoader

            cursor.format = Format.BINARY  # read by a server-side cursor's execute (psycopg 3)
            cursor.adapters.register_loader("uuid", ByteaBinaryLoader)  # this cursor's adapters only


def _install_sqlite_events(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: take BEGIN away from the driver and emit our own.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get("msp_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def open_database(path_or_url: str | os.PathLike | None = None, *, migrate: bool = True,
                  create: bool = False) -> Database:
    """The database a command works on: never created unless `create` (init, demo, db upgrade); a
    cause outside the program (read-only, full disk, a folder, a server down) is one sentence."""
    url = resolve_url(path_or_url)
    try:
        db = Database(url, migrate=migrate, create=create)
    except Exception as exc:
        error = outside_cause(exc, where(url))
        if error is None:
            raise
        raise error from None
    for warning in db.warnings:
        print(warning, file=sys.stderr)
    return db


__all__ = ["Database", "NoDatabase", "open_database", "outside_cause", "resolve_url", "default_path", "select",
           "where"]
