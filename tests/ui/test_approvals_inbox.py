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
from tests.ui.frame_support import settle
from tests.world import join


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


from tests.core.test_client_groups_scope import shop  # noqa: E402,F401  (fixture)


def test_break_glass_requests_in_the_inbox_counted_approved_and_denied_by_an_admin(db, shop):  # noqa: F811
    from msp_tui.core.services import break_glass

    admin, tech = shop["admin"], shop["tech"]
    first = break_glass.request(db, tech, "Tailspin", "their firewall is down", ticket="INC-42", minutes="2h")
    second = break_glass.request(db, tech, "Tailspin", "just curious", minutes="30m")

    async def go():
        app = MspApp(db, actor=admin)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await settle(pilot)
            assert "2 to approve" in str(app.screen.query_one(AppHeader).render())
            await pilot.press("ctrl+a")
            await settle(pilot)
            table = app.screen.query_one(PagedTable)
            assert [(r.number, r.summary) for r in table.rows] == [
                (second.number, "break-glass: open Tailspin for 30 minutes"),
                (first.number, "break-glass: open Tailspin for 120 minutes (ticket INC-42)")]
            await pilot.press("d")  # deny the newest, asked first: y confirms
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert app.screen.query_one(PagedTable).rows == []
            assert "to approve" not in str(app.screen.query_one(AppHeader).render())

    asyncio.run(go())
    statuses = {v.number: v.status for v in break_glass.list_grants(db, admin, everything=True)}
    assert statuses == {first.number: break_glass.Status.GRANTED, second.number: break_glass.Status.DENIED}
    assert clients.get_client(db, tech, shop["ids"]["Tailspin"]).name == "Tailspin"  # the grant is live


def test_break_glass_in_the_inbox_a_technician_sees_only_their_own_and_cannot_approve(db, shop):  # noqa: F811
    from msp_tui.core.services import break_glass

    tech, everyone = shop["tech"], shop["all"]
    mine = break_glass.request(db, tech, "Tailspin", "their firewall is down")

    async def go():
        for who, expected in ((everyone, []), (tech, [mine.number])):
            app = MspApp(db, actor=who)
            async with app.run_test(size=(120, 30), notifications=True) as pilot:
                await settle(pilot)
                assert "to approve" not in str(app.screen.query_one(AppHeader).render())
                await pilot.press("ctrl+a")
                await settle(pilot)
                assert [r.number for r in app.screen.query_one(PagedTable).rows] == expected
                if expected:
                    await pilot.press("a")
                    await settle(pilot)
                    await pilot.press("y")
                    await settle(pilot)

    asyncio.run(go())
    assert break_glass.list_grants(db, shop["admin"])[0].status == break_glass.Status.PENDING  # core refused
