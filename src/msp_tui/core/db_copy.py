"""Copy a SQLite database into an empty PostgreSQL database with COPY (a provider outgrowing one file).

Row by row through SQLAlchemy a million events take many minutes; PostgreSQL's COPY takes them in
one stream. The rows are copied as they are - the same ids, the same hash chain and signatures - so
`events verify` passes on the copy and the SQLite database's checkpoint file vouches for it too.

How: both databases are brought to the same schema (migrations run on open); in ONE PostgreSQL
transaction the target's keys, unique constraints and indexes are dropped, every table is COPYed from
the SQLite rows (SQLite itself writes each row as a line of COPY text: the per-value work is C, not
Python), the indexes and constraints are made again (which checks every key once, in bulk), and the
sequences are set past the copied ids. A failure leaves the target as it was. VACUUM ANALYZE follows,
so the planner knows the new sizes from the first query.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from msp_tui.core.errors import BadInput

#: Rows fetched from SQLite (and handed to COPY) at a time.
BATCH = 5000


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    seconds: float = 0.0
    checkpoint: Path | None = None  # where the source's checkpoint file was copied to
    #: Seconds per step: "schema" (migrations on both sides), "rows" (COPY), "indexes" (keys and
    #: indexes made again, sequences), "vacuum" (VACUUM ANALYZE).
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _say(progress, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_expr(column: str, pg_type: str) -> str:
    """SQLite SQL giving one column's value as COPY text (NULL as \\N), converted for its PostgreSQL type."""
    c = _ident(column)
    if pg_type == "bytea":
        value = f"'\\\\x' || lower(hex({c}))"  # COPY text: backslash doubled, then bytea's \x hex form
    elif pg_type == "boolean":
        value = f"CASE WHEN {c} THEN 't' ELSE 'f' END"
    elif pg_type in ("smallint", "integer", "bigint", "numeric", "double precision", "real", "uuid") \
            or pg_type.startswith("timestamp") or pg_type == "date":
        # No character COPY treats specially can occur (SQLite's uuids are 32 hex digits, which
        # PostgreSQL reads as they are; dates are ISO text).
        value = f"CAST({c} AS TEXT)"
    else:  # text: escape COPY's specials
        value = (f"replace(replace(replace(replace(CAST({c} AS TEXT), '\\', '\\\\'), char(9), '\\t'), "
                 f"char(10), '\\n'), char(13), '\\r')")
    return f"CASE WHEN {c} IS NULL THEN '\\N' ELSE {value} END"


def _pg_tables(cur) -> list[str]:
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version' ORDER BY tablename")
    return [r[0] for r in cur.fetchall()]


def _pg_columns(cur, table: str) -> list[tuple[str, str]]:
    cur.execute("SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
                "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                (_ident(table),))
    return [(r[0], r[1]) for r in cur.fetchall()]


def _keys_and_indexes(cur) -> tuple[list[str], list[str]]:
    """(statements that drop, statements that make again) every primary key, unique constraint,
    foreign key and index of the schema's tables: drops foreign keys first, makes them last."""
    cur.execute("""
        SELECT c.contype, c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f')
          AND t.relname <> 'alembic_version'""")
    constraints = cur.fetchall()
    cur.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND t.relname <> 'alembic_version'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                          AND c.contype IN ('p', 'u', 'x'))""")
    indexes = cur.fetchall()
    order = {"f": 0, "u": 1, "p": 2}
    constraints.sort(key=lambda r: order[r[0]])
    drop = [f"ALTER TABLE {table} DROP CONSTRAINT {name}" for _k, table, name, _d in constraints]
    drop += [f"DROP INDEX {name}" for name, _d in indexes]
    make = [f"ALTER TABLE {table} ADD CONSTRAINT {name} {d}"
            for _k, table, name, d in reversed(constraints) if _k != "f"]
    make += [d for _n, d in indexes]
    make += [f"ALTER TABLE {table} ADD CONSTRAINT {name} {d}" for k, table, name, d in constraints if k == "f"]
    return drop, make


def _reset_sequences(cur) -> None:
    cur.execute("""
        SELECT t.relname, a.attname, pg_get_serial_sequence(quote_ident(t.relname), a.attname)
        FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND t.relkind = 'r' AND a.attnum > 0
          AND NOT a.attisdropped
          AND pg_get_serial_sequence(quote_ident(t.relname), a.attname) IS NOT NULL""")
    for table, column, sequence in cur.fetchall():
        cur.execute(f"SELECT setval(%s, coalesce(max({_ident(column)}), 1), max({_ident(column)}) IS NOT NULL) "
                    f"FROM {_ident(table)}", (sequence,))


def _target_is_empty(cur, tables: list[str]) -> bool:
    for t in ("event", "provider", "account"):
        if t in tables:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {_ident(t)})")
            if cur.fetchone()[0]:
                return False
    return True


def copy_into_postgres(source_sqlite_path: str | os.PathLike, pg_url: str,
                       progress: Callable[[str], None] | None = None, *,
                       checkpoint_to: str | os.PathLike | None = None) -> CopyReport:
    """Copy every row of the SQLite database at `source_sqlite_path` into the PostgreSQL database at
    `pg_url` (which must hold no provider, account or event yet; its schema is made or upgraded first).
    `checkpoint_to`: also copy the source's checkpoint file there (set MSP_TUI_CHECKPOINT to it when
    using the PostgreSQL database). Returns the rows copied per table."""
    from msp_tui.core import checkpoint
    from msp_tui.core.db import Database, _sqlite_module

    started = time.perf_counter()
    step = [started]

    def lap(name: str) -> None:
        now = time.perf_counter()
        report.steps[name] = now - step[0]
        step[0] = now

    report = CopyReport()
    source_path = Path(source_sqlite_path).expanduser().resolve()
    source = Database(source_path, create=False)  # brings the source to the current schema
    source_checkpoint = checkpoint.default_path(source)
    source.dispose()
    target = Database(pg_url)  # makes or upgrades the target's schema
    if target.is_sqlite:
        target.dispose()
        raise BadInput("The target must be a PostgreSQL database (postgresql://user@host/dbname).", "db")
    lap("schema")
    sqlite = _sqlite_module().connect(f"file:{source_path}?mode=ro", uri=True)
    raw = target.engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:
            tables = _pg_tables(cur)
            if not _target_is_empty(cur, tables):
                raise BadInput(f"The PostgreSQL database {target.display} already holds data; "
                               "copy into an empty database.", "db")
            have = {r[0] for r in sqlite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [t for t in tables if t not in have]
            if missing:
                raise BadInput(f"The SQLite database has no table {missing[0]}; it is not an msp-tui database "
                               "at this version.", "db")
            # Index builds sort in memory (the default 64 MB spills a million events to disk).
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            drop, make = _keys_and_indexes(cur)
            for statement in drop:
                cur.execute(statement)
            # The schema's own rows (made by migrations, if any) give way to the source's.
            cur.execute("TRUNCATE " + ", ".join(_ident(t) for t in tables))
            for table in tables:
                columns = _pg_columns(cur, table)
                line = " || char(9) || ".join(_text_expr(name, kind) for name, kind in columns)
                names = ", ".join(_ident(name) for name, _k in columns)
                total = sqlite.execute(f"SELECT count(*) FROM {_ident(table)}").fetchone()[0]
                done = 0
                rows = sqlite.execute(f"SELECT {line} || char(10) FROM {_ident(table)}")
                with cur.copy(f"COPY {_ident(table)} ({names}) FROM STDIN") as copy:
                    while batch := rows.fetchmany(BATCH):
                        copy.write("".join(r[0] for r in batch))
                        done += len(batch)
                        if total > 100_000 and done % 100_000 < BATCH:
                            _say(progress, f"{table}: {done:,} of {total:,} rows")
                report.rows[table] = done
                if total > 1000:
                    _say(progress, f"{table}: {done:,} rows")
            lap("rows")
            _say(progress, "making the indexes and keys again …")
            for statement in make:
                cur.execute(statement)
            _reset_sequences(cur)
        pg.commit()
        lap("indexes")
    except BaseException:
        if not (raw.driver_connection.closed or raw.driver_connection.broken):  # lost: nothing to undo
            raw.driver_connection.rollback()
        raise
    finally:
        raw.close()
        sqlite.close()
    _say(progress, "VACUUM ANALYZE …")
    with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE")
    target.dispose()
    lap("vacuum")
    if checkpoint_to is not None and source_checkpoint is not None and source_checkpoint.exists():
        report.checkpoint = Path(checkpoint_to)
        shutil.copyfile(source_checkpoint, report.checkpoint)
        os.chmod(report.checkpoint, 0o600)
    report.seconds = time.perf_counter() - started
    return report
