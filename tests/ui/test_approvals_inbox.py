"""The approvals inbox (two-person approval, issue 18): ctrl+a or the palette opens it, the header
counts what this admin may approve, a approves (asking first), d denies; the requester sees their
request but the count stays theirs to wait on."""

from __future__ import annotations

import asyncio

from msp_tui.app import MspApp
from msp_tui.core.services import approvals, clients, staff
from msp_tui.screens.approvals import ApprovalsScreen
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.paged_table import PagedTable
from tests.world import join


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _two_admins_and_requests(db, admin):
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    grace = join(db, "grace@msp.example", secret)
    staff.confirm(db, admin, "grace@msp.example")
    grace.provider_id = admin.provider_id
    org = clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=10,
                                owner_email="owner@contoso.example")
    approvals.set_actions(db, admin, ["lower-seats"])
    approvals.request(db, admin, "lower-seats", "the client shrank", client=org.id, seats=4)
    approvals.request(db, admin, "lower-seats", "or even fewer", client=org.id, seats=3)
    return grace, org


def test_two_person_approval_inbox_approve_and_deny_with_the_header_count(db, admin):
    grace, org = _two_admins_and_requests(db, admin)

    async def go():
        app = MspApp(db, actor=grace)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await settle(pilot)
            assert "2 to approve" in str(app.screen.query_one(AppHeader).render())
            await pilot.press("ctrl+a")
            await settle(pilot)
            assert isinstance(app.screen, ApprovalsScreen)
            table = app.screen.query_one(PagedTable)
            assert [r.number for r in table.rows] == [2, 1]
            await pilot.press("a")  # approve #2, asked first (Cancel focused): y confirms
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert clients.get_client(db, admin, org.id).seats == 3
            assert [r.number for r in app.screen.query_one(PagedTable).rows] == [1]
            assert "1 to approve" in str(app.screen.query_one(AppHeader).render())
            await pilot.press("d")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert app.screen.query_one(PagedTable).rows == []
            assert "to approve" not in str(app.screen.query_one(AppHeader).render())
        assert [r.status for r in approvals.list_requests(db, admin, everything=True)] == [
            approvals.Status.APPROVED, approvals.Status.DENIED]

    asyncio.run(go())


def test_two_person_approval_inbox_the_requester_cannot_approve_their_own(db, admin):
    _two_admins_and_requests(db, admin)

    async def go():
        app = MspApp(db, actor=admin)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await settle(pilot)
            assert "to approve" not in str(app.screen.query_one(AppHeader).render())
            app.open_area("approvals")
            await settle(pilot)
            assert len(app.screen.query_one(PagedTable).rows) == 2
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert any("you asked for this yourself" in n.message for n in app._notifications)
        assert all(r.pending for r in approvals.list_requests(db, admin))

    asyncio.run(go())
