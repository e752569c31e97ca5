"""The drift report screen: rows per differing policy, accept a deviation with a reason, open a client."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from msp_tui.widgets.paged_table import PagedTable

from msp_tui.core.services import policies as pol
from msp_tui.screens.drift import AcceptDeviationScreen, DriftScreen
from tests.conftest import make_provider
from tests.core._policy_support import client
from tests.ui.frame_support import Harness


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_accept_deviation_from_the_drift_report(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    a = client(db, admin, "Contoso [b]Ltd[/b]")
    pol.create_template(db, admin, "Baseline", {"two-factor": True, "remove-pin": True})
    pol.apply_template(db, admin, "Baseline", [a.id], dry_run=False)
    pol.set_policy(db, admin, a.id, "remove-pin", enabled=False)

    async def go():
        app = Harness(lambda: DriftScreen(db, admin))
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            table = app.screen.query_one(PagedTable)
            assert len(table.rows) == 1
            await pilot.press("enter")
            await pilot.pause()
            assert app.opened == [("client", a.id, "policies")]
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, AcceptDeviationScreen)
            app.screen.query_one(Input).focus()
            await pilot.press(*"Kiosks")
            await pilot.press("enter")
            await settle(pilot)
            await settle(pilot)
            assert isinstance(app.screen, DriftScreen)
            assert len(app.screen.query_one(PagedTable).rows) == 0
            # Names from the database are shown as text, never as markup.
            assert [n.message for n in app._notifications] == [
                "Contoso [b]Ltd[/b]: Remove unlock with PIN accepted as a deviation"]

    asyncio.run(go())
    assert pol.drift_report(db, admin) == []
    assert pol.drift_report(db, admin, include_clean=True)[0].accepted[0].reason == "Kiosks"


def test_template_apply_screen_dry_run_then_for_real(sqlite_db):
    from msp_tui.core.enums import MemberStatus
    from msp_tui.screens.drift import ConfirmScreen, TemplateApplyScreen
    from tests.core._policy_support import get_member, member

    db = sqlite_db
    admin = make_provider(db)
    a = client(db, admin, "Contoso")
    b = client(db, admin, "Fabrikam")
    client(db, admin, "Teams Co", plan="teams-monthly")
    nofa = member(db, a.id, "nofa@contoso.example")
    pol.create_template(db, admin, "Baseline", {"two-factor": True, "remove-pin": True})

    async def go():
        app = Harness(lambda: TemplateApplyScreen(db, admin, [a.id, b.id]))
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            await settle(pilot)
            screen = app.screen
            table = screen.query_one(PagedTable)
            assert len(table.rows) == 2 and screen.result.dry_run
            assert len(table.rows[0].revoke) == 1
            assert "dry run" in str(screen.query_one("#summary").render())
            assert get_member(db, nofa).status == MemberStatus.CONFIRMED
            await pilot.press("A")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and app.screen.focused.id == "cancel"
            await pilot.press("tab", "enter")
            await settle(pilot)
            await settle(pilot)
            assert not screen.result.dry_run and screen.result.changed == 2
            assert screen.query_one(PagedTable).columns[3].value(screen.query_one(PagedTable).rows[1]).plain == "changed"

    asyncio.run(go())
    assert get_member(db, nofa).status == MemberStatus.REVOKED
    assert pol.list_policies(db, admin, b.id).template == "Baseline"
