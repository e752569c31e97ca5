"""The palette and the onboarding wizard as a person uses them (issue 14)."""

from __future__ import annotations

from msp_tui.app import MspApp
from msp_tui.core.enums import EventType
from msp_tui.screens.clients import ClientsScreen
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.screens.drift import DriftScreen
from msp_tui.screens.onboarding import OnboardingScreen
from tests.conftest import make_provider
from tests.ui.frame_support import client_names, event_types, settle, sync

SIZE = (80, 24)


@sync
async def test_palette_runs_its_only_match_on_enter(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"drift")
        await pilot.pause(0.3)
        await pilot.press("enter")  # one press: nothing highlighted yet, one match
        await pilot.pause(0.5)
        assert isinstance(app.screen, DriftScreen)


@sync
async def test_esc_leaves_the_onboarding_wizard_in_one_press_when_nothing_was_typed(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


@sync
async def test_esc_in_the_wizard_asks_first_when_something_was_typed(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("enter", *"Acme", "enter")  # past the first steps: a name typed
        await settle(pilot)
        wizard = app.screen
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # stay
        await settle(pilot)
        assert app.screen is wizard
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")  # leave: one confirmation, whatever the step
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    assert client_names(sqlite_db) == []
    assert event_types(sqlite_db, EventType.CLIENT_CREATED) == []


@sync
async def test_d_on_yourself_is_greyed_on_the_staff_screen(sqlite_db):
    from msp_tui.screens.staff import StaffScreen
    from msp_tui.widgets.keybar import KeyBar
    from msp_tui.widgets.paged_table import PagedTable
    from tests.ui.frame_support import make_service_user

    admin = make_provider(sqlite_db)
    make_service_user(sqlite_db, admin)
    app = MspApp(sqlite_db, actor=admin, start="staff")
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StaffScreen)
        table = screen.query_one("#staff", PagedTable)
        own = next(i for i, row in enumerate(table.rows) if row.email == "ada@msp.example")
        table.cursor = own
        await settle(pilot)
        assert screen.check_action("remove", ()) is None  # greyed
        remove = next(e for e in screen.query_one(KeyBar).entries()[0] if e[0] == "d")
        assert remove[3] is False
        await pilot.press("d")
        await settle(pilot)
        assert any("You cannot remove yourself." in n.message for n in app._notifications)
        table.cursor = 1 - own
        await settle(pilot)
        assert screen.check_action("remove", ()) is True
