"""The health screen: findings worst first; enter asks the app to open where it is fixed."""

from __future__ import annotations

import asyncio

from textual.widgets import Static

from msp_tui.widgets.paged_table import PagedTable

from msp_tui.core.services import policies as pol
from msp_tui.screens.health import HealthScreen
from tests.conftest import make_provider
from tests.core._policy_support import client
from tests.ui.frame_support import Harness


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_health_screen_lists_worst_first_and_opens_the_fix(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = client(db, admin, "Contoso", seats=1)

    async def go():
        app = Harness(lambda: HealthScreen(db, admin))
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            table = app.screen.query_one(PagedTable)
            assert [f.severity for f in table.rows] == ["critical", "high", "high"]
            assert "Contoso is out of seats" in table.rows[2].title
            await pilot.press("enter")
            await pilot.press("j", "j", "enter")
            await pilot.pause()
            assert app.opened == [("staff",), ("client", c.id, "overview")]
            pol.set_policy(db, admin, c.id, "two-factor", enabled=True)
            await pilot.press("r")
            await settle(pilot)
            assert len(app.screen.query_one(PagedTable).rows) == 2
            assert "seats" in str(app.screen.query_one("#summary", Static).render())

    asyncio.run(go())


def test_health_screen_snapshot(snap_compare, sqlite_db):
    admin = make_provider(sqlite_db)
    client(sqlite_db, admin, "Contoso Dental", seats=1)
    client(sqlite_db, admin, "Fabrikam Legal", plan="teams-monthly", seats=5)

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(Harness(lambda: HealthScreen(sqlite_db, admin)), terminal_size=(120, 36),
                        run_before=run_before)
