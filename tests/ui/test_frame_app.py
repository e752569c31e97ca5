"""The frame: start areas, help listing every key with core's reasons, the palette, the header."""

from __future__ import annotations

from msp_tui.app import MspApp
from msp_tui.core.services import clients as client_service
from msp_tui.screens.clients import ClientsScreen
from msp_tui.screens.help import HelpScreen, help_table
from msp_tui.screens.staff import StaffScreen
from msp_tui.widgets.paged_table import PagedTable
from tests.conftest import make_provider
from tests.ui.frame_support import make_service_user, settle, sync


def _table_text(app, screen) -> str:
    import io

    from rich.console import Console

    console = Console(width=140, record=True, file=io.StringIO())
    console.print(help_table(app, screen))
    return console.export_text()


def _app_with_contoso(db):
    """The app signed in as a Provider Admin whose provider has one client, Contoso."""
    admin = make_provider(db)
    view = client_service.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=3,
                                        owner_email="o@contoso.example")
    return MspApp(db, actor=admin), view


@sync
async def test_unknown_start_area_opens_the_clients_home(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin, start="nowhere", start_args={"filter": None})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


@sync
async def test_start_area_opens_on_top_of_the_home(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin, start="staff")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StaffScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


@sync
async def test_help_lists_every_key_and_the_reason_for_refused_ones(sqlite_db):
    admin = make_provider(sqlite_db)
    sam = make_service_user(sqlite_db, admin)
    app = MspApp(sqlite_db, actor=sam)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = app.screen
        text = _table_text(app, home)
        for binding in home.BINDINGS:
            assert binding.description in text
        for binding in PagedTable.BINDINGS:
            assert binding.description in text
        assert "Only Provider Admins can create a client." in text
        assert "Only Provider Admins can view provider staff." in text
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is home


@sync
async def test_closing_a_modal_keeps_the_cursor_where_it_was(sqlite_db):
    admin = make_provider(sqlite_db)
    for i in range(5):
        client_service.create_client(sqlite_db, admin, name=f"Client {i}", plan="teams-monthly", seats=3,
                                     owner_email=f"o{i}@c.example")
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        await pilot.press("j", "j", "question_mark")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert table.current_row.name == "Client 2"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one(PagedTable).current_row.name == "Client 2"


@sync
async def test_sign_out_locks_the_keys_and_shows_the_login(sqlite_db):
    from msp_tui.screens.login import LoginScreen

    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.sign_out()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert admin.secrets is None and app.actor is None


@sync
async def test_idle_lock_drops_the_keys_until_the_master_password(sqlite_db):
    from msp_tui.screens.lock import LockScreen
    from tests.conftest import PASSWORD

    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        from datetime import timedelta

        from msp_tui.core import clock

        app._last_activity = clock.now() - timedelta(minutes=14)
        assert app.lock_if_idle() is False  # the provider's idle time is 15 minutes by default
        app._last_activity = clock.now() - timedelta(minutes=15, seconds=1)
        assert app.lock_if_idle() is True
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert admin.secrets is None and admin.key_cache == {}
        await pilot.press(*"wrong password", "enter")
        await settle(pilot)
        assert "Wrong master password" in str(app.screen.query_one("#lock-status").render())
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert admin.secrets is not None


@sync
async def test_other_screens_plug_in_with_one_line(sqlite_db, monkeypatch):
    """CLIENT_SCREENS and insert_step are the hooks the members, vault, billing and policy screens use."""
    from textual.screen import Screen
    from textual.widgets import Static

    from msp_tui.screens import areas, onboarding
    from msp_tui.screens.client_detail import ClientDetailScreen
    from msp_tui.screens.onboarding import Step

    class VaultStub(Screen):
        def __init__(self, organization_id) -> None:
            super().__init__()
            self.organization_id = organization_id

        def compose(self):
            yield Static("vault")

    committed = []

    class PaymentStep(Step):
        key, title = "payment", "Payment method"

        def compose(self):
            yield Static("card on file")

        def summary(self):
            return [("Payment", "card on file")]

        def commit(self, db, actor, data, client):
            committed.append(client.name)

    monkeypatch.setitem(areas.CLIENT_SCREENS, "vault", lambda app, org_id: VaultStub(org_id))
    monkeypatch.setattr(onboarding, "STEPS", [s for s in onboarding.STEPS if s.key not in ("payment", "template")])
    onboarding.insert_step(PaymentStep, before="confirm")

    app, view = _app_with_contoso(sqlite_db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.open_client(view.id, tab="vault")
        await settle(pilot)
        assert isinstance(app.screen, VaultStub) and app.screen.organization_id == view.id
        app.pop_screen()
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        app.pop_screen()
        app.open_client(view.id, tab="events")
        await settle(pilot)
        assert app.screen.query_one("#tabs").active == "events"
        app.pop_screen()
        await settle(pilot)
        app.open_area("onboarding")
        await settle(pilot)
        keys = ["enter", *"Fabrikam", "enter", "enter", "ctrl+u", "4", "enter", *"b@fabrikam.example", "enter",
                "enter", "enter"]  # the owner; in no client group
        for key in keys:
            await pilot.press(key)
            await settle(pilot, rounds=1)
        assert app.screen.current.key == "payment"
        await pilot.press("enter")
        await settle(pilot)
        assert ("Payment", "card on file") in app.screen.summary()
        await pilot.press("enter")
        await settle(pilot)
    assert committed == ["Fabrikam"]


@sync
async def test_each_screen_asks_core_for_its_decisions_once_when_opened(sqlite_db, monkeypatch):
    # Textual runs every on_mount up the class chain by itself; a screen that also called
    # super().on_mount() asked twice, and the client page then mounted its billing pane twice.
    from msp_tui.screens import base

    asked: list[str] = []
    real = base.decisions_for

    def counting(db, actor, actions, organization_id=None):
        asked.append(type(app.screen).__name__)
        return real(db, actor, actions, organization_id)

    monkeypatch.setattr(base, "decisions_for", counting)
    app, view = _app_with_contoso(sqlite_db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.open_client(view.id, tab="billing")
        await settle(pilot)
        assert len(app.screen.query("#billing-pane")) == 1
        app.pop_screen()
        for area in ("staff", "onboarding"):
            app.open_area(area)
            await settle(pilot)
            app.pop_screen()
        await settle(pilot)  # the home's own reloads on coming back finish before the app quits
    assert asked == ["ClientsScreen", "ClientDetailScreen", "StaffScreen", "OnboardingScreen"]


@sync
async def test_a_result_that_arrives_while_its_screen_is_removed_is_dropped(sqlite_db):
    # A worker's answer can land while its screen is being taken down (CI once saw NoMatches for the
    # home's failover banner as the app quit). Here the answer is released from the screen's own
    # unmount, when its widgets are already gone: it must not reach them.
    import threading
    import time

    from textual.widgets import Static

    from msp_tui.screens.base import MspScreen

    release, delivered = threading.Event(), []

    class Slow(MspScreen):
        def compose(self):
            yield Static("waiting", id="answer")

        def on_mount(self) -> None:
            self.run_db(lambda: release.wait(5) and "done", on_done=self.show)

        def show(self, value) -> None:
            delivered.append(value)
            self.query_one("#answer", Static).update(value)

        def on_unmount(self) -> None:
            release.set()
            time.sleep(0.2)  # the worker hands its answer to the loop meanwhile

    app, _view = _app_with_contoso(sqlite_db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, rounds=1)
        app.push_screen(Slow())
        await pilot.pause()
    assert delivered == [] and app._exception is None
