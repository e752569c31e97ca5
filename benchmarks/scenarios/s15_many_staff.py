"""15. Many staff at once: writer processes making mixed changes (invites, seats, renames, staff
invites, role and policy changes, half of them after a pause as a person reads the screen) on one
database - 16 processes x 200 on PostgreSQL (as if from several jump hosts), 8 x 200 on SQLite beside
it. Every run is checked as tests/core/test_reliability_concurrency.py checks it: no error reaches a
person, no update is lost, one event per change, stale edits refused naming who changed the row. The
figures are the landed writes' p50/p95 latency (the write call alone). Each run gets a new database."""

from __future__ import annotations

from benchmarks.common import Row

TITLE = "15 many staff"
NEEDS_DATASET = False


def _row(backend: str, processes: int, changes: int, figures: dict) -> Row:
    row = Row(TITLE, f"{processes} writer processes × {changes} mixed changes: write latency", backend,
              "ms", figures["p50_ms"], figures["p95_ms"], figures["landed"],
              budget="0 errors, 0 lost, one event each, stale edits refused")
    row.passed = figures["errors"] == 0  # check_run raised on anything lost or doubled
    row._add_note(f"{figures['landed']} landed, {figures['conflicts_refused']} stale refused, "
                  f"{figures['errors']} errors, {figures['seconds']:.0f} s")
    return row


def _pg_database(ctx):
    """A new database `bench_writers` on the run's PostgreSQL server."""
    from sqlalchemy import create_engine, make_url, text

    from msp_tui.core.db import Database

    url = make_url(ctx.pg.url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS bench_writers"))
        c.execute(text("CREATE DATABASE bench_writers"))
    engine.dispose()
    return Database(url.set(database="bench_writers").render_as_string(hide_password=False))


def run(ctx) -> list[Row]:
    from msp_tui.core.db import Database
    from tests.core.test_reliability_concurrency import check_run, run_workers

    sqlite_processes, pg_processes, changes = ctx.writers
    runs = [("sqlite", sqlite_processes, lambda: Database(ctx.tmp / "writers.db"))]
    if ctx.pg is not None:
        runs.append(("postgresql", pg_processes, lambda: _pg_database(ctx)))
    rows = []
    for backend, processes, make in runs:
        db = make()
        try:
            figures = check_run(db, run_workers(db, processes, changes), processes, changes)
        finally:
            db.dispose()
        rows.append(_row(backend, processes, changes, figures))
    return rows
