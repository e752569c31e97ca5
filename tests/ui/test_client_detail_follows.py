"""The client screen follows changes made elsewhere: on coming back from another screen, and when
another process writes one of this client's events; its keys and header match the rest of the app."""

from __future__ import annotations

import time

from msp_tui.app import MspApp
from msp_tui.core.services import clients as client_service
from msp_tui.core.services import members as member_service
from msp_tui.screens import client_detail
from msp_tui.screens.client_detail import ClientDetailScreen
from msp_tui.widgets.paged_table import PagedTable
from tests.cli.conftest import Cli
from tests.conftest import PASSWORD
from tests.ui.frame_support import settle, sync

SIZE = (120, 36)


def _overview(screen) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(screen.query_one("#overview-body").content)
    return console.export_text()


@sync
async def test_client_detail_reloads_after_coming_back_from_the_members_screen(db, admin, monkeypatch):
    # Only the return may reload it (not the check for new events).
    monkeypatch.setattr(client_detail, "CHANGE_CHECK_INTERVAL", 3600.0, raising=False)
    view = client_service.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=10,
                                        owner_email="owner@contoso.example")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(view.id)
        await settle(pilot)
        detail = app.screen
        await pilot.press("m")
        await settle(pilot)
        assert app.screen is not detail
        member_service.invite(db, admin, view.id, ["ana@contoso.example"], "user")  # done on that screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is detail
        emails = [m.email for m in detail.query_one("#members-table", PagedTable).rows]
        assert "ana@contoso.example" in emails
        assert "Invited member" in _overview(detail) or "ana@contoso.example" in _overview(detail)


@sync
async def test_client_detail_shows_a_change_another_process_made(db, admin):
    view = client_service.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=10,
                                        owner_email="owner@contoso.example")
    cli = Cli(db.url.render_as_string(hide_password=False), email=admin.email, password=PASSWORD)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(view.id)
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, ClientDetailScreen)
        cli.ok("members", "groups", "create", "Contoso Dental", "Finance")
        deadline = time.monotonic() + 4 * getattr(client_detail, "CHANGE_CHECK_INTERVAL", 2.0) + 5
        groups = detail.query_one("#groups-table", PagedTable)
        while time.monotonic() < deadline and "Finance" not in [g.name for g in groups.rows]:
            await pilot.pause(0.2)
            await settle(pilot)
        assert [g.name for g in groups.rows] == ["Finance"]
        assert "Created group" in _overview(detail)
        events = detail.query_one("#events-table", PagedTable)
        assert events.rows[0].type == 1400


@sync
async def test_client_detail_header_shows_the_client_lists_flags_drift_too(db, admin):
    from msp_tui.core.services import policies as pol
    from msp_tui.screens.clients import _flags

    view = client_service.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=1,
                                        owner_email="owner@contoso.example")
    client_service.mark_internal(db, admin, view.id)
    pol.create_template(db, admin, "Baseline", {"two-factor": True, "remove-pin": True})
    pol.apply_template(db, admin, "Baseline", [view.id], dry_run=False)
    pol.set_policy(db, admin, view.id, "remove-pin", enabled=False)
    c = client_service.get_client(db, admin, view.id)
    want = _flags(c, drifted=True).plain
    assert "internal" in want and "seats full" in want and "drift" in want
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(view.id)
        await settle(pilot)
        title = str(app.screen.query_one("#client-title").content)
        assert want in title, (want, title)
