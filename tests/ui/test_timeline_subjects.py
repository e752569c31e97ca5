"""The timeline as a person uses it: a client by part of its name (with completion), today as a time
choice, Who by name, enter opens what the event is about, export into a folder the dialog shows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core import clock
from msp_tui.core.enums import EventType
from msp_tui.core.events import EventFilter
from msp_tui.core.services import clients, collections, groups, policies, timeline, vault
from msp_tui.screens.client_detail import ClientDetailScreen
from msp_tui.screens.collections import CollectionAccessScreen
from msp_tui.screens.timeline import TimelineScreen
from msp_tui.widgets.timeline_dialogs import TimelineExportDialog, TimelineFilterDialog
from msp_tui.widgets.timeline_table import cell_values, layout
from tests.ui.frame_support import settle, sync

SIZE = (120, 36)


def _world(db, admin):
    a = clients.create_client(db, admin, name="Contoso Legal", plan="enterprise-monthly", seats=20,
                              owner_email="owner@contoso.example")
    b = clients.create_client(db, admin, name="Contoso Dental", plan="teams-monthly", seats=5,
                              owner_email="owner@dental.example")
    c = clients.create_client(db, admin, name="Fabrikam Studio", plan="teams-monthly", seats=5,
                              owner_email="owner@fabrikam.example")
    return a, b, c


def test_client_filter_takes_a_part_of_the_name_and_says_when_several_match(db, admin):
    a, b, c = _world(db, admin)
    assert timeline.find_client_ids(db, admin, "fabrik") == (c.id,)
    assert timeline.find_client_ids(db, admin, "contoso legal") == (a.id,)
    try:
        timeline.find_client_ids(db, admin, "contoso")
        raise AssertionError("two clients match")
    except Exception as exc:  # noqa: BLE001 - core's BadInput, checked by its message
        assert "Contoso Dental, Contoso Legal" in exc.message and "type more" in exc.message
    assert timeline.complete_client_name(db, admin, "contoso d") == "Contoso Dental"
    assert timeline.complete_client_name(db, admin, "zzz") is None


def test_today_is_since_local_midnight():
    clock.freeze(datetime(2026, 3, 10, 15, 30))
    try:
        since = timeline.with_preset(EventFilter(), "today").since
        local = datetime(2026, 3, 10, 15, 30, tzinfo=UTC).astimezone()
        want = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC).replace(tzinfo=None)
        assert since == want
    finally:
        clock.freeze(None)


def test_who_is_the_persons_name_at_every_width(db, admin):
    _world(db, admin)
    row = timeline.page(db, timeline.scope_for(db, admin), limit=1)[0]
    assert row.actor_name == "Ada Admin"
    for width in (80, 120, 160):
        assert cell_values(row, utc=True, show_type=False, columns=layout(width))["who"] == "Ada Admin"


@sync
async def test_filter_dialog_completes_a_client_and_c_fills_in_its_name(db, admin):
    a, b, c = _world(db, admin)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TimelineScreen(db, admin))
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, TimelineFilterDialog)
        await pilot.press(*"fabr")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("right")  # accept the completion
        assert app.screen.query_one("#f-client", Input).value == "Fabrikam Studio"
        # "today" is one of the time choices.
        app.screen.query_one("#r-today").value = True
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.flt.client_ids == (c.id,)
        assert screen.flt.since == timeline.local_midnight()
        assert "today" in str(screen.query_one("#tl-filter").content)
        # c on an event: its client, by name (the filter dialog shows the name, not an id).
        await pilot.press("c")  # off
        await settle(pilot)
        assert screen.flt.client_ids == ()
        screen.table.cursor = next(i for i, r in enumerate(screen.table.rows) if r.organization_id == a.id)
        await pilot.press("c")
        await settle(pilot)
        assert screen.texts["client"] == "Contoso Legal"


@sync
async def test_enter_opens_the_item_collection_group_or_policy_the_event_is_about(db, admin):
    a, _b, _c = _world(db, admin)
    g = groups.create_group(db, admin, a.id, "Finance")
    coll = collections.create_collection(db, admin, a.id, "Shared logins")
    policies.set_policy(db, admin, a.id, "two-factor", enabled=True)
    vault.create_item(db, admin, type="login", name="Router", fields={"username": "admin"}, client=a.id)
    app = MspApp(db, actor=admin)
    wanted = {EventType.GROUP_CREATED: ("ClientDetailScreen", "groups"),
              EventType.COLLECTION_CREATED: ("CollectionAccessScreen", None),
              EventType.POLICY_UPDATED: ("PolicyEditorScreen", None),
              EventType.ITEM_CREATED: ("VaultScreen", None)}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for type_, (screen_name, tab) in wanted.items():
            app.push_screen(TimelineScreen(db, admin))
            await settle(pilot)
            tl = app.screen
            tl.table.cursor = next(i for i, r in enumerate(tl.table.rows) if r.type == type_)
            await pilot.press("enter")
            await settle(pilot)
            assert type(app.screen).__name__ == screen_name, (type_, app.screen)
            if tab:
                assert app.screen.active_tab == tab
            if isinstance(app.screen, CollectionAccessScreen):
                assert app.screen.collection_id == coll.id
                assert isinstance(app.screen_stack[-2], ClientDetailScreen)
            while app.screen is not tl:
                app.pop_screen()
                await settle(pilot)
            app.pop_screen()
            await settle(pilot)
    assert g.id


@sync
async def test_export_goes_to_the_folder_the_dialog_shows_and_creates_it(db, admin, tmp_path, monkeypatch):
    import platformdirs

    from msp_tui.widgets import timeline_dialogs

    _world(db, admin)
    docs = tmp_path / "Documents"
    docs.mkdir()
    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(docs))
    monkeypatch.chdir(tmp_path)
    assert timeline_dialogs.export_folder() == docs / "msp-tui"
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TimelineScreen(db, admin))
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TimelineExportDialog)
        assert dialog.query_one("#x-folder", Input).value == str(docs / "msp-tui")
        await pilot.click("#export")
        await settle(pilot)
    written = list((docs / "msp-tui").glob("msp-events-*.csv"))
    assert len(written) == 1 and written[0].read_text().count("\n") >= 4
    assert not list(Path(tmp_path).glob("msp-events-*"))  # not the current directory
