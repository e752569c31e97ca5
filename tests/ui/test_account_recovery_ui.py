"""Policy 8 Account recovery in the UI: the members screen's p key resets an enrolled member's master
password in a dialog; the member then signs in with the temporary one and the forced-change screen
(policy 1's, reused) comes first; the palette's account recovery screen enrols."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from textual.widgets import Input, OptionList

from msp_tui.app import MspApp
from msp_tui.core.enums import EventType, PolicyType
from msp_tui.core.models import Event
from msp_tui.core.services import accounts, policies, recovery
from msp_tui.screens.account import ChangePasswordScreen
from msp_tui.screens.members import MembersScreen
from msp_tui.screens.recovery import AccountRecoveryScreen
from msp_tui.widgets.member_dialogs import RecoverAccountDialog
from tests.conftest import make_provider
from tests.core.test_vault_support import NO_WAIT, USER_PASSWORD, make_client
from tests.ui.test_members import Harness, _move_to, settle

TEMP = "temporary master password 7391"
NEW = "my own new master password 2468"


def _policy_8(db, admin, org_id) -> None:
    policies.set_policy(db, admin, org_id, PolicyType.SINGLE_ORG, enabled=True)
    policies.set_policy(db, admin, org_id, PolicyType.RESET_PASSWORD, enabled=True)


def test_policy_8_members_screen_key_recovers_an_enrolled_member(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    _policy_8(db, admin, c.organization_id)

    async def run():
        app = Harness(lambda: MembersScreen(db, admin, c.organization_id))
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            screen = app.screen
            _move_to(screen, "user@contoso.example")
            assert "not enrolled" in screen.refusal("recover")
            await pilot.press("p")  # greyed out: nothing opens
            await settle(pilot)
            assert app.screen is screen
            recovery.enrol(db, c.user, c.name)
            screen.reload()
            await settle(pilot)
            _move_to(screen, "user@contoso.example")
            assert screen.refusal("recover") is None
            await pilot.press("p")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, RecoverAccountDialog)
            await pilot.press(*TEMP, "enter", *"not the same", "enter")
            await settle(pilot)
            assert "differ" in str(dialog.query_one("#m-error").content)
            dialog.query_one("#r-again", Input).value = TEMP
            await pilot.click("#ok")
            await settle(pilot, 8)
            assert app.screen is screen
    asyncio.run(run())
    with db.read() as s:
        (e,) = s.execute(select(Event).where(Event.type == int(EventType.MEMBER_ADMIN_RESET_PASSWORD))).scalars()
        assert e.acting_account_id == admin.account_id and e.account_id == c.user.account_id


def test_policy_8_after_a_recovery_the_member_must_change_the_temporary_password_first(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    _policy_8(db, admin, c.organization_id)
    recovery.enrol(db, c.user, c.name)
    recovery.recover(db, c.owner, c.name, "user@contoso.example", TEMP)
    actor = accounts.sign_in(db, "user@contoso.example", TEMP, throttle=NO_WAIT)

    async def run():
        app = MspApp(db, actor=actor)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if isinstance(app.screen, ChangePasswordScreen):
                    break
            screen = app.screen
            assert isinstance(screen, ChangePasswordScreen)
            assert "account recovery" in str(screen.query(".modal-body").first().content)
            screen.query_one("#current", Input).value = TEMP
            screen.query_one("#new", Input).value = NEW
            screen.query_one("#again", Input).value = NEW
            screen.action_save()
            for _ in range(200):
                await pilot.pause(0.05)
                if not isinstance(app.screen, ChangePasswordScreen) and app.session_info is not None:
                    break
            assert not actor.must_change_password
    asyncio.run(run())
    again = accounts.sign_in(db, "user@contoso.example", NEW, throttle=NO_WAIT)
    assert not again.must_change_password
    try:
        accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
        raise AssertionError("the old master password still opened the account")
    except Exception as exc:  # AuthFailed
        assert type(exc).__name__ == "AuthFailed"


def test_policy_8_palette_screen_enrols_the_member(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    _policy_8(db, admin, c.organization_id)

    async def run():
        app = Harness(lambda: AccountRecoveryScreen(db, c.user))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert "not enrolled" in str(screen.query_one(OptionList).get_option_at_index(0).prompt)
            await pilot.press("enter")
            await settle(pilot, 8)
            after = str(screen.query_one(OptionList).get_option_at_index(0).prompt)
            assert "enrolled" in after and "not enrolled" not in after
    asyncio.run(run())
    assert [e.enrolled for e in recovery.my_enrolments(db, c.user)] == [True]
