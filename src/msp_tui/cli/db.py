"""`db`: migrations, checks and backups."""

from __future__ import annotations

import click

from msp_tui.cli.output import Progress, progress
from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput

@click.group("db")
def db() -> None:
    """The database: upgrade, check, backup, copy (no sign-in needed: these work on the file itself).

    \b
    Example:
      msp-tui --db ~/msp.db db check
    """


@db.command("upgrade")
@pass_state
def upgrade(state: CliState) -> None:
    """Apply pending migrations (they also run whenever the program opens a database).

    \b
    Example:
      msp-tui --db postgresql://msp@db.internal/msp db upgrade
    """
    from msp_tui.core.db import open_database

    state.create = True  # one of the three commands that make a new database
    database = state._db = open_database(state.db_url, migrate=False, create=True)
    before = database.current_revision()
    ran = database.upgrade()
    head = database.head_revision()
    if ran:
        click.echo(f"{database.display}: upgraded from {before or 'empty'} to {head}")
    else:
        click.echo(f"{database.display}: already at {head}")


@db.command("check")
@pass_state
def check(state: CliState) -> None:
    """Check integrity and foreign keys (and the schema revision); exit 1 if anything is wrong.

    \b
    Example:
      msp-tui db check
    """
    database = state.db()
    problems = database.check()
    current, head = database.current_revision(), database.head_revision()
    if current != head:
        problems.append(f"schema at revision {current}, expected {head}: run `msp-tui db upgrade`")
    for p in problems:
        click.echo(p)
    if problems:
        raise SystemExit(1)
    click.echo(f"ok: {database.display} (revision {head})")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_state
def backup(state: CliState, file: str, force: bool) -> None:
    """Copy a SQLite database with SQLite's online backup, then check the copy's integrity.

    Safe while other msp-tui processes write: the copy is one consistent moment of the database.
    The copy is created readable by its owner only. For PostgreSQL use pg_dump.

    \b
    Example:
      msp-tui --db ~/msp.db db backup ~/backups/msp-$(date +%F).db
    """
    import os
    from pathlib import Path

    database = state.db()
    if not database.is_sqlite:
        raise BadInput("db backup copies SQLite files; for PostgreSQL use pg_dump "
                       f"(e.g. pg_dump -Fc -f msp.dump '{database.display}').", "db")
    target = Path(file).expanduser().resolve()
    source = Path(database.url.database or "")
    if target == source.resolve():
        raise BadInput("The backup file must not be the database itself.", "file")
    if target.exists():
        if not force:
            raise BadInput(f"{target} exists; pass --force to replace it.", "file")
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    with progress("backup") as bar:
        pages = _online_backup(database, target, bar)
        problems = _check_copy(target)
        if not problems:
            bar.done(f"backup: {pages:,} pages")
    if problems:
        for p in problems:
            click.echo(f"backup copy: {p}", err=True)
        raise SystemExit(1)
    click.echo(f"backup written to {target} ({target.stat().st_size:,} bytes), integrity ok")


@db.command("copy")
@click.argument("target_url")
@click.option("--checkpoint", "checkpoint_to", type=click.Path(dir_okay=False), default=None,
              help="Also copy the SQLite database's checkpoint file here (then set MSP_TUI_CHECKPOINT to it).")
@pass_state
def copy(state: CliState, target_url: str, checkpoint_to: str | None) -> None:
    """Copy a SQLite database (--db) into an empty PostgreSQL database, with PostgreSQL's COPY.

    Every row arrives as it was - the same ids, the same signed event chain - so `events verify`
    passes on the copy, against the SQLite database's checkpoint file (--checkpoint copies it).
    All or nothing: a failure leaves the PostgreSQL database as it was. Stop the program's other
    users first: writes made to the SQLite file during the copy are not in it.

    \b
    Example:
      msp-tui --db ~/msp.db db copy postgresql://msp@db.internal/msp --checkpoint /etc/msp/msp.checkpoint
    """
    from pathlib import Path

    from msp_tui.core import checkpoint as checkpoints
    from msp_tui.core.db import resolve_url, where
    from msp_tui.core.db_copy import copy_into_postgres

    source = state.db()
    if not source.is_sqlite:
        raise BadInput("db copy copies a SQLite database (give its file with --db) into PostgreSQL.", "db")
    if resolve_url(target_url).get_backend_name() != "postgresql":
        raise BadInput("The target must be a PostgreSQL database (postgresql://user@host/dbname).", "db")
    path = Path(source.url.database or "")
    has_checkpoint = (cp := checkpoints.default_path(source)) is not None and cp.exists()
    source.dispose()
    with progress("copy") as bar:
        report = copy_into_postgres(path, target_url, bar, checkpoint_to=checkpoint_to)
        bar.done(f"copy: {report.total:,} rows")
    click.echo(f"copied {report.total:,} rows ({report.rows.get('event', 0):,} events) from {path} "
               f"to {where(resolve_url(target_url))} in {report.seconds:.1f} s")
    if report.checkpoint is not None:
        click.echo(f"checkpoint file copied to {report.checkpoint}: use the PostgreSQL database with "
                   f"MSP_TUI_CHECKPOINT={report.checkpoint}")
    elif has_checkpoint:
        click.echo(f"note: the PostgreSQL database has no checkpoint file; {cp} vouches for the copy "
                   "(copy it with --checkpoint FILE and set MSP_TUI_CHECKPOINT to it).", err=True)


def _online_backup(database, target, bar: Progress) -> int:
    """sqlite3's backup API over the same pysqlite3 module the app uses.

    One step copies the whole file inside one read transaction: in WAL mode writers go on meanwhile,
    and the copy is the database as of the step's start. (Copying a few pages per step would restart
    whenever another process writes, and might never finish under a steady writer.)"""
    from msp_tui.core.db import BUSY_TIMEOUT_MS, _sqlite_module

    raw = database.engine.raw_connection()
    try:
        source = raw.driver_connection
        pages = source.execute("PRAGMA page_count").fetchone()[0]
        bar(f"copying {pages:,} pages")
        dest = _sqlite_module().connect(str(target))
        try:
            source.backup(dest, pages=-1)
            dest.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # The copy of a WAL database is in WAL mode too; make it one self-contained file.
            dest.execute("PRAGMA journal_mode = DELETE")
            dest.commit()
            return dest.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dest.close()
    finally:
        raw.close()


def _check_copy(target) -> list[str]:
    """Open the copy on its own and run SQLite's integrity and foreign key checks on it."""
    from msp_tui.core.db import _sqlite_module

    conn = _sqlite_module().connect(str(target))
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        problems = [] if rows == ["ok"] else [f"integrity: {r}" for r in rows]
        problems += [f"foreign key: table {r[0]} row {r[1]} -> {r[2]}"
                     for r in conn.execute("PRAGMA foreign_key_check")]
        if not conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0]:
            problems.append("no schema revision in the copy")
        return problems
    finally:
        conn.close()


COMMANDS = [db]
