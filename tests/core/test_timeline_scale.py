"""With 1,000,000 events, opening the timeline and each page fetch read a bounded number of rows.

Measured, not timed: every statement is counted (SQLAlchemy `after_cursor_execute`), the rows each
page returns are counted, SQLite's virtual machine steps are counted with a progress handler (a
full scan of the event table costs millions; a keyset page a few thousand), and every query on the
event table is checked with EXPLAIN QUERY PLAN to go through an index.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from textual.app import App

from msp_tui.core import demo
from msp_tui.core.db import Database
from msp_tui.core.events import EventFilter
from msp_tui.core.services import accounts, timeline

pytestmark = pytest.mark.slow

N_EVENTS = 1_000_000
#: Progress-handler granularity: the handler runs once every this many VM instructions.
STEP = 100
#: A page of 100 events (with its two joins) costs well under this many VM instructions (a full
#: scan of the event table costs about four per event: 4,000,000).
PAGE_BUDGET = 50_000


class Meter:
    """Counts SELECT statements and SQLite VM instructions on one Database's connections."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements: list[str] = []
        self.ticks = 0
        self.active = False
        sa_event.listen(db.engine, "after_cursor_execute", self._executed)
        sa_event.listen(db.engine, "connect", self._connected)
        db.engine.dispose()  # new connections get the progress handler

    def _executed(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))

    def _connected(self, dbapi_connection, _record) -> None:
        def tick() -> int:
            if self.active:
                self.ticks += 1
            return 0

        dbapi_connection.set_progress_handler(tick, STEP)

    def start(self) -> None:
        self.statements, self.ticks, self.active = [], 0, True

    def stop(self) -> tuple[int, int]:
        self.active = False
        return len(self.statements), self.ticks * STEP

    def event_plans(self) -> list[str]:
        """EXPLAIN QUERY PLAN of every measured statement that reads the event table."""
        plans = []
        with self.db.engine.connect() as conn:
            for statement, params in self.statements:
                if " event" not in statement.lower() or not statement.lstrip().upper().startswith("SELECT"):
                    continue
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()
                plans.append("\n".join(str(r[-1]) for r in rows))
        return plans


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    prebuilt = os.environ.get("MSP_TUI_MILLION_DB")  # a demo database built earlier, to iterate faster
    if prebuilt:
        db = Database(prebuilt)
    else:
        db = Database(tmp_path_factory.mktemp("scale") / "million.db")
        demo.build(db, clients=200, events=N_EVENTS)
    actor = accounts.sign_in(db, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
    meter = Meter(db)
    yield db, actor, meter
    db.dispose()


def _count(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM event WHERE type > 0")).scalar_one()


def _assert_indexed(plans: list[str]) -> None:
    assert plans
    for plan in plans:
        for line in plan.splitlines():
            if "event" in line and line.strip().startswith("SCAN"):
                assert "USING" in line and "INDEX" in line, f"full scan of events:\n{plan}"


def test_the_meter_sees_a_full_scan(million):
    """The measure can fail: counting every event costs far more than a page's budget."""
    db, _, meter = million
    meter.start()
    assert _count(db) >= N_EVENTS
    _, steps = meter.stop()
    print(f"full scan: {steps} VM steps")
    assert steps > 10 * PAGE_BUDGET


def test_pages_read_a_bounded_number_of_rows(million):
    db, actor, meter = million
    scope = timeline.scope_for(db, actor)
    cursor = None
    for _ in range(5):
        meter.start()
        rows = timeline.page(db, scope, EventFilter(), before=cursor, limit=100)
        statements, steps = meter.stop()
        print(f"page: {statements} statement, {len(rows)} rows, {steps} VM steps")
        assert len(rows) == 100 and statements == 1 and steps < PAGE_BUDGET
        _assert_indexed(meter.event_plans())
        cursor = rows[-1].cursor
    # A page deep in the past costs the same as the first (the keyset seeks, it does not skip).
    meter.start()
    deep = timeline.page(db, scope, EventFilter(), before=(rows[-1].date - timedelta(days=25), 0), limit=100)
    statements, steps = meter.stop()
    print(f"deep page: {len(deep)} rows, {steps} VM steps")
    assert len(deep) == 100 and statements == 1 and steps < PAGE_BUDGET
    # A client filter and an acting-person filter are bounded too.
    client_id = rows[0].organization_id or rows[1].organization_id
    for flt in (EventFilter(client_ids=(client_id,)), EventFilter(actor_ids=(actor.account_id,))):
        meter.start()
        rows = timeline.page(db, scope, flt, limit=100)
        statements, steps = meter.stop()
        print(f"filtered page: {len(rows)} rows, {steps} VM steps")
        assert rows and statements <= 2 and steps < PAGE_BUDGET, (flt, steps)
        _assert_indexed(meter.event_plans())
    # A type or category filter is one statement merging one seek per type: a rare type costs a
    # page, and so does a common category (a third of all events), down the pages too.
    for flt in (EventFilter(types=(1803,)), EventFilter(categories=("staff",)),
                EventFilter(categories=("members",)), EventFilter(categories=("vault-access",)),
                EventFilter(categories=("members", "groups"))):
        cursor = None
        for _ in range(3):
            meter.start()
            rows = timeline.page(db, scope, flt, before=cursor, limit=100)
            statements, steps = meter.stop()
            print(f"type filter {flt.types or flt.categories}: {len(rows)} rows, {statements} statements, "
                  f"{steps} VM steps")
            assert statements == 1 and steps < PAGE_BUDGET, (flt, statements, steps)
            _assert_indexed(meter.event_plans())
            if len(rows) < 100:
                break
            cursor = rows[-1].cursor
    # Follow mode's poll reads only what is newer than the top row.
    top = timeline.page(db, scope, EventFilter(), limit=100)
    meter.start()
    fresh, complete = timeline.newer(db, scope, EventFilter(), top[0].cursor, [r.id for r in top])
    statements, steps = meter.stop()
    print(f"follow poll: {statements} statement, {steps} VM steps")
    assert fresh == [] and complete and statements == 1 and steps < PAGE_BUDGET


class Harness(App):
    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        self.push_screen(self.make())


async def settle(pilot, rounds: int = 4) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_opening_the_timeline_and_scrolling_read_bounded_rows(million):
    from msp_tui.screens.timeline import TIMELINE_PAGE, TimelineScreen

    db, actor, meter = million

    async def go():
        meter.start()
        app = Harness(lambda: TimelineScreen(db, actor))
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            statements, steps = meter.stop()
            table = app.screen.table
            assert len(table.rows) == TIMELINE_PAGE
            print(f"open: {statements} statements, {len(table.rows)} rows, {steps} VM steps")
            assert statements <= 8 and steps < 2 * PAGE_BUDGET, (statements, steps)
            _assert_indexed(meter.event_plans())
            for n in range(2, 5):  # each page down to the end of what is loaded fetches one page
                meter.start()
                await pilot.press("G")
                await settle(pilot)
                statements, steps = meter.stop()
                assert len(table.rows) == n * TIMELINE_PAGE
                print(f"next page: {statements} statement, {steps} VM steps")
                assert statements == 1 and steps < PAGE_BUDGET, (statements, steps)

    asyncio.run(go())
