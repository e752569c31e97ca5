"""Enter (or ctrl+s) pressed twice quickly, as a person typing fast on a loaded machine does, in every
dialog that hands its form to core in a worker thread. A thread cannot be called back: before, the
second key ran the save a second time (a second request filed, a second item made, the password changed
and then "wrong" under the field, the file written twice). Each dialog now ignores a key while core is
still answering the one before (widgets/threads.OneAnswerAtATime, the one home of that guard).

Core is slowed down by wrapping it (it still runs, for real), so that the second key surely lands while
the first is being answered."""

from __future__ import annotations

import time

from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core import clock
from msp_tui.core.enums import EventType
from msp_tui.core.events import EventFilter
from msp_tui.core.services import accounts, timeline, two_step, vault
from msp_tui.core.services import break_glass as bg
from msp_tui.screens.account import ChangePasswordScreen
from msp_tui.screens.break_glass import RequestAccessDialog
from msp_tui.screens.two_step import TwoStepEnrolScreen, TwoStepOffScreen
from msp_tui.screens.vault import ItemForm, VaultScreen
from msp_tui.widgets.timeline_dialogs import TimelineExportDialog
from tests.conftest import PASSWORD
from tests.core.test_client_groups_scope import shop  # noqa: F401  (fixture)
from tests.ui.frame_support import Harness, event_types, settle, sync, until, vault_world  # noqa: F401
from tests.ui.test_vault_support import Harness as VaultHarness

SIZE = (120, 36)
NEW = "a new master password, long enough"


def slowed(monkeypatch, module, name: str) -> list:
    """Make core's `module.name` take 0.3 s (it still runs); the list grows by one on each call."""
    calls: list = []
    real = getattr(module, name)

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)
    return calls


@sync
async def test_break_glass_request_enter_twice_files_one_request(db, shop, monkeypatch):  # noqa: F811
    """The form dialogs built on CoreFormDialog (members, groups, access, break-glass): before, a second
    request was filed (core took both)."""
    tech, admin = shop["tech"], shop["admin"]
    calls = slowed(monkeypatch, bg, "request")
    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, RequestAccessDialog)
        for field, value in (("client", "Tailspin"), ("reason", "owner locked out"), ("for", "2h")):
            app.screen.query_one(f"#f-{field}", Input).value = value
        await pilot.press("enter", "enter", "enter")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, RequestAccessDialog), (calls, str(app.screen.query_one("#f-error").render()))
    assert len(calls) == 1
    assert [g.client for g in bg.list_grants(db, admin, everything=True)] == ["Tailspin"]


@sync
async def test_change_master_password_enter_twice_changes_it_once(vault_world, monkeypatch):
    """Before, the second save ran with the old password as "current" after the first had changed it."""
    db, admin, _c = vault_world
    calls = slowed(monkeypatch, accounts, "change_master_password")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ChangePasswordScreen(db, admin))
        await until(pilot, lambda: isinstance(app.screen, ChangePasswordScreen))
        screen = app.screen
        for field, value in (("current", PASSWORD), ("new", NEW), ("again", NEW)):
            screen.query_one(f"#{field}", Input).value = value
        screen.query_one("#again", Input).focus()
        await pilot.press("ctrl+s", "ctrl+s", "ctrl+s")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, ChangePasswordScreen)
    assert len(calls) == 1
    assert event_types(db, EventType.USER_CHANGED_PASSWORD) == [int(EventType.USER_CHANGED_PASSWORD)]


@sync
async def test_two_step_on_enter_twice_turns_it_on_once(vault_world, monkeypatch):
    """Before, the code was checked twice: the second answer came after the recovery code was shown."""
    db, admin, _c = vault_world
    clock.freeze(clock.now().replace(second=5))
    calls = slowed(monkeypatch, two_step, "finish")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TwoStepEnrolScreen(db, admin))
        await until(pilot, lambda: isinstance(app.screen, TwoStepEnrolScreen))
        enrol = app.screen
        enrol.query_one("#code", Input).value = two_step.current_code(enrol.enrolment.secret)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert app.is_running and app.screen is enrol and enrol.recovery is not None
        assert str(enrol.query_one("#recovery").render()) == enrol.recovery
    assert len(calls) == 1 and two_step.is_enrolled(db, admin.account_id)


@sync
async def test_two_step_off_enter_twice_turns_it_off_once(vault_world, monkeypatch):
    """Before, the second try came after two-step login was off (a failed attempt, or a crash)."""
    db, admin, _c = vault_world
    clock.freeze(clock.now().replace(second=5))
    enrolment = two_step.begin(db, admin)
    two_step.finish(db, admin, enrolment, two_step.current_code(enrolment.secret))
    clock.freeze(clock.now().replace(second=40))
    calls = slowed(monkeypatch, two_step, "disable")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TwoStepOffScreen(db, admin))
        await until(pilot, lambda: isinstance(app.screen, TwoStepOffScreen))
        app.screen.query_one("#code", Input).value = two_step.current_code(enrolment.secret)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, TwoStepOffScreen)
    assert len(calls) == 1 and not two_step.is_enrolled(db, admin.account_id)


@sync
async def test_vault_item_form_ctrl_s_twice_makes_one_item(vault_world, monkeypatch):
    """The item and move forms: before, the item was made twice."""
    db, admin, c = vault_world
    calls = slowed(monkeypatch, vault, "create_item")
    app = VaultHarness(db, admin, c.organization_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ItemForm)
        app.screen.query_one("#form-name", Input).value = "Printer admin"
        app.screen.query_one("#field-password", Input).value = "printer-pw-9"
        await pilot.press("ctrl+s", "ctrl+s", "ctrl+s")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, VaultScreen)
    assert len(calls) == 1
    assert [i.name for i in vault.list_items(db, admin, c.organization_id)].count("Printer admin") == 1


@sync
async def test_timeline_export_enter_twice_writes_the_file_once(db, admin, monkeypatch, tmp_path):
    """Before, every matching event was exported twice (ten million of them, at scale)."""
    calls = slowed(monkeypatch, timeline, "export")
    scope = timeline.scope_for(db, admin)
    app = Harness(lambda: TimelineExportDialog(db, scope, EventFilter(), "every event"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#x-folder", Input).value = str(tmp_path)
        app.screen.query_one("#x-path", Input).value = "events.csv"
        await pilot.press("enter", "enter", "enter")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, TimelineExportDialog)
    assert len(calls) == 1 and (tmp_path / "events.csv").exists()
