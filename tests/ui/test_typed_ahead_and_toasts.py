"""Crashes and leaks a person met in the first ten minutes (issue 14): the vault's save toast crashed
the app; a fast sign-in put the master password in clear text in the email field.

Textual's run_test hides toasts unless asked (notifications=False by default), which is how the
toast crash passed 1,041 tests: every test here runs with notifications=True.
"""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core.services import accounts, vault
from msp_tui.screens.lock import LockScreen
from msp_tui.screens.login import LoginScreen
from msp_tui.screens.vault import ItemForm, VaultScreen
from tests.conftest import PASSWORD, make_provider
from tests.core.test_vault_support import NO_WAIT, add_login, make_client
from tests.ui.frame_support import sync
from tests.ui.test_vault_support import Harness

SIZE = (80, 24)


async def settle(pilot) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # a screen's loader cancelled by the lock screen that covered it
            pass
        await pilot.pause()


def type_ahead(app, keys) -> None:
    """Send keys the way a paste, a password manager or a fast typist over SSH does: all queued
    before the app handles the first (Pilot.press waits for the app to go idle after each key)."""
    for key in keys:
        char = {"enter": "\r", "tab": "\t"}.get(key, key if len(key) == 1 else None)
        name = {"@": "at", ".": "full_stop", " ": "space", "-": "minus"}.get(key, key)
        event = events.Key(name, char)
        event.set_sender(app)
        app._driver.send_message(event)


@pytest.fixture
def setup(sqlite_db, monkeypatch):
    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    admin = make_provider(sqlite_db)
    c = make_client(sqlite_db, admin)
    add_login(sqlite_db, admin, c, "Core switch", "switch-pw-0001", c.shared)
    return sqlite_db, admin, c


@sync
async def test_saving_a_vault_item_shows_its_toast_without_crashing(setup):
    db, admin, c = setup
    app = Harness(db, admin, c.organization_id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ItemForm)
        app.screen.query_one("#form-name", Input).value = "Printer [admin]"
        app.screen.query_one("#field-password", Input).value = "printer-pw-9"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.pause(0.2)  # the toast is drawn
        assert isinstance(app.screen, VaultScreen)
        assert [n.message for n in app._notifications] == ["Saved Printer [admin]."]
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#confirm-delete")
        await settle(pilot)
        await pilot.pause(0.2)
        assert any(n.message.startswith("Moved Printer [admin] to the trash") for n in app._notifications)


def _login_keys(email: str, password: str) -> list[str]:
    return [*email, "enter", *password, "enter"]


@sync
async def test_typed_ahead_sign_in_keys_reach_the_field_they_were_typed_for(sqlite_db, monkeypatch):
    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    make_provider(sqlite_db)
    app = MspApp(sqlite_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        login = app.screen
        # email, Enter, password and Enter, all queued before the first is handled (a paste).
        type_ahead(app, [*"ada@msp.example", "enter", *PASSWORD])
        await settle(pilot)
        email = login.query_one("#email", Input).value
        assert PASSWORD not in email and "correct" not in email
        assert email == "ada@msp.example"
        assert login.query_one("#password", Input).value == PASSWORD
        type_ahead(app, ["enter"])
        await settle(pilot)
        await settle(pilot)
        assert app.actor is not None and app.actor.email == "ada@msp.example"


@sync
async def test_enter_on_an_empty_email_stays_there_and_says_so(sqlite_db):
    make_provider(sqlite_db)
    app = MspApp(sqlite_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        login = app.screen
        type_ahead(app, ["enter", *"ada"])
        await settle(pilot)
        assert login.focused is login.query_one("#email", Input)
        assert login.query_one("#email", Input).value == "ada"
        assert login.query_one("#password", Input).value == ""
        assert "email" in str(login.query_one("#login-message").render()).lower()


@sync
async def test_typed_ahead_password_after_reveal_reaches_the_lock_screen(setup):
    from datetime import timedelta

    from msp_tui.core import clock

    db, admin, c = setup
    app = Harness(db, admin, c.organization_id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        clock.freeze(clock.now() + timedelta(minutes=6))
        type_ahead(app, ["r", *PASSWORD, "enter"])
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen), "the typed-ahead password did not reach the lock screen"


@sync
async def test_a_password_retyped_while_the_wrong_one_is_checked_is_kept(setup):
    db, admin, c = setup
    app = Harness(db, admin, c.organization_id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.lock()
        await settle(pilot)
        type_ahead(app, [*"wrong", "enter", *PASSWORD, "enter"])
        await settle(pilot)
        await settle(pilot)
        await settle(pilot)
        assert not isinstance(app.screen, LockScreen)


@sync
async def test_email_option_fills_the_sign_in_email_and_focuses_the_password(sqlite_db, monkeypatch):
    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    make_provider(sqlite_db)
    app = MspApp(sqlite_db, email="ada@msp.example")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        login = app.screen
        assert login.query_one("#email", Input).value == "ada@msp.example"
        assert login.focused is login.query_one("#password", Input)
        type_ahead(app, [*PASSWORD, "enter"])
        await settle(pilot)
        await settle(pilot)
        assert app.actor is not None and app.actor.email == "ada@msp.example"


@sync
async def test_typed_ahead_tab_moves_to_the_next_field_before_the_keys_behind_it(setup):
    """Tab, text, Tab, text typed at once (a fast typist, a password manager filling a form): each
    text reaches the field the Tab before it moved to. On main the keys behind a Tab were already
    handed to the old field, so a password typed after the username landed in clear in Name."""
    db, admin, c = setup
    app = Harness(db, admin, c.organization_id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#form-name", Input).focus()
        await pilot.pause()
        type_ahead(app, [*"router", "tab", *"admin", "tab", *"pw-123"])
        await settle(pilot)
        assert form.query_one("#form-name", Input).value == "router"
        assert form.query_one("#field-username", Input).value == "admin"
        assert form.query_one("#field-password", Input).value == "pw-123"
        type_ahead(app, ["shift+tab", *"x"])  # back to the username, whose text is selected on focus
        await settle(pilot)
        assert form.query_one("#field-username", Input).value == "x"
        assert form.query_one("#field-password", Input).value == "pw-123"


@sync
async def test_after_signing_out_the_email_is_filled_so_a_typed_password_never_shows(sqlite_db, monkeypatch):
    """Found in use: a session started with --passwordenv, then signed out: the sign-in screen's email was
    empty with the cursor in it, so a password typed at once (a habit) was shown in clear there."""
    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.sign_out()
        await settle(pilot)
        login = app.screen
        assert isinstance(login, LoginScreen)
        assert login.query_one("#email", Input).value == admin.email
        type_ahead(app, [*PASSWORD])
        await settle(pilot)
        assert PASSWORD not in login.query_one("#email", Input).value
        assert login.query_one("#password", Input).value == PASSWORD
