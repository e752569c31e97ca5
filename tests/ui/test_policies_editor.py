"""The policy editor in a small harness app: inline errors, bounds as you type, confirm, stale edits."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Button, Checkbox, Input, Static

from msp_tui.widgets.paged_table import PagedTable

from msp_tui.core.enums import MemberStatus
from msp_tui.core.services import policies as pol
from msp_tui.screens.policies import PolicyEditorScreen, PolicyFormScreen, RevokeConfirmScreen
from tests.conftest import make_provider
from tests.core._policy_support import client, get_member, member
from tests.ui.frame_support import Harness


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def setup(sqlite_db):
    admin = make_provider(sqlite_db)
    c = client(sqlite_db, admin, "Contoso")
    return sqlite_db, admin, c


def editor_app(db, admin, c):
    return Harness(lambda: PolicyEditorScreen(db, admin, c.id))


async def open_form(pilot, type_: int) -> PolicyFormScreen:
    table = pilot.app.screen.query_one(PagedTable)
    table.cursor = type_
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PolicyFormScreen)
    return pilot.app.screen


def errors(screen) -> str:
    return str(screen.query_one("#errors", Static).render())


def test_editor_lists_every_policy_with_state(setup):
    async def go():
        db, admin, c = setup
        pol.set_policy(db, admin, c.id, "remove-pin", enabled=True)
        app = editor_app(db, admin, c)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            table = app.screen.query_one(PagedTable)
            assert len(table.rows) == 17
            by_type = {int(p.type): p for p in table.rows}
            assert by_type[14].enabled and not by_type[0].enabled
    asyncio.run(go())


def test_dependency_error_inline_before_saving(setup):
    async def go():
        db, admin, c = setup
        app = editor_app(db, admin, c)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            form = await open_form(pilot, 9)
            form.query_one("#enabled", Checkbox).value = True
            await pilot.pause()
            assert "Turn on the Single organization policy because it is required for the Vault timeout policy." \
                in errors(form)
            assert form.query_one("#save", Button).disabled
            form.query_one("#enabled", Checkbox).value = False
            await pilot.pause()
            assert errors(form) == "" and not form.query_one("#save", Button).disabled
    asyncio.run(go())


def test_bounds_enforced_as_you_type_then_saved(setup):
    async def go():
        db, admin, c = setup
        app = editor_app(db, admin, c)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            form = await open_form(pilot, 1)
            form.query_one("#enabled", Checkbox).value = True
            box = form.query_one("#opt-min_length", Input)
            box.focus()
            box.value = ""
            await pilot.press("1", "1")
            assert "Min length: between 12 and 128" in errors(form) and form.query_one("#save", Button).disabled
            await pilot.press("x")  # letters never get in
            assert box.value == "11"
            await pilot.press("backspace", "6")
            assert errors(form) == ""
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PolicyEditorScreen)
            row = next(p for p in app.screen.query_one(PagedTable).rows if int(p.type) == 1)
            assert row.summary.startswith("minLength 16")
        assert [n.message for n in app._notifications] == ["Master password requirements: off → on; minLength 12 → 16"]
        assert pol.list_policies(db, admin, c.id).by_type(1).options["min_length"] == 16
    asyncio.run(go())


def test_stale_edit_refused_with_a_message(setup):
    async def go():
        db, admin, c = setup
        pol.set_policy(db, admin, c.id, "master-password", enabled=True, options={"min_length": 14})
        app = editor_app(db, admin, c)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            form = await open_form(pilot, 1)
            # Someone else saves first.
            pol.set_policy(db, admin, c.id, "master-password", options={"min_length": 20})
            form.query_one("#opt-min_length", Input).value = "15"
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form
            assert "after you opened it" in errors(form)
        assert pol.list_policies(db, admin, c.id).by_type(1).options["min_length"] == 20
    asyncio.run(go())


def test_two_step_login_asks_before_revoking(setup):
    async def go():
        db, admin, c = setup
        m = member(db, c.id, "nofa@contoso.example")
        app = editor_app(db, admin, c)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            form = await open_form(pilot, 0)
            form.query_one("#enabled", Checkbox).value = True
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, RevokeConfirmScreen)
            assert app.screen.focused.id == "cancel"
            await pilot.press("enter")  # Cancel is focused
            await settle(pilot)
            assert app.screen is form
            assert get_member(db, m).status == MemberStatus.CONFIRMED
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.click("#ok")
            await settle(pilot)
            assert isinstance(app.screen, PolicyEditorScreen)
        assert get_member(db, m).status == MemberStatus.REVOKED
    asyncio.run(go())


def test_teams_client_is_read_only_with_the_reason(sqlite_db):
    async def go():
        admin = make_provider(sqlite_db)
        c = client(sqlite_db, admin, "Teams Co", plan="teams-monthly")
        app = editor_app(sqlite_db, admin, c)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            assert "Enterprise" in str(app.screen.query_one("#status", Static).render())
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PolicyEditorScreen)
            assert app.screen.check_action("edit", ()) is None
    asyncio.run(go())
