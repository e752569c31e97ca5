"""Policy 1 in the UI: enforce on login takes the member to the change-password screen first; the
palette's change keeps the keys."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core.enums import PolicyType
from msp_tui.core.services import accounts, policies
from msp_tui.screens.account import ChangePasswordScreen
from tests.conftest import make_provider
from tests.ui.frame_support import until
from tests.core.test_vault_support import NO_WAIT, USER_PASSWORD, make_client

NEW = "a master password long enough for thirty"


def test_master_password_requirements_enforced_on_login_open_the_change_screen_first(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, PolicyType.MASTER_PASSWORD, enabled=True,
                        options={"min_length": 30, "enforce_on_login": True})
    actor = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    assert actor.must_change_password

    async def run():
        app = MspApp(db, actor=actor)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ChangePasswordScreen))
            screen = app.screen
            screen.query_one("#current", Input).value = USER_PASSWORD
            screen.query_one("#new", Input).value = "thirteen char"
            screen.query_one("#again", Input).value = "thirteen char"
            screen.action_save()
            await until(pilot, lambda: "Master password requirements" in screen.error_text,
                          tries=200)
            assert isinstance(app.screen, ChangePasswordScreen)  # nothing else until it is changed
            screen.query_one("#new", Input).value = NEW
            screen.query_one("#again", Input).value = NEW
            screen.action_save()
            await until(pilot, lambda: not isinstance(app.screen, ChangePasswordScreen)
                          and app.session_info is not None)
            assert not actor.must_change_password

    asyncio.run(run())
    assert not accounts.sign_in(db, "user@contoso.example", NEW, throttle=NO_WAIT).must_change_password


def test_master_password_change_screen_sets_the_kdf_settings(sqlite_db):
    from sqlalchemy import select

    from msp_tui.core.models import Account

    db = sqlite_db
    admin = make_provider(db)
    make_client(db, admin)
    actor = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    key = actor.secrets.user_key

    async def run():
        app = MspApp(db, actor=actor)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.session_info is not None)
            app.push_screen(ChangePasswordScreen(db, actor))
            await until(pilot, lambda: isinstance(app.screen, ChangePasswordScreen))
            screen = app.screen
            for k, v in (("current", USER_PASSWORD), ("new", USER_PASSWORD), ("again", USER_PASSWORD),
                         ("kdf_iterations", "2")):
                screen.query_one(f"#{k}", Input).value = v
            screen.action_save()
            await until(pilot, lambda: "between 3 and 10" in screen.error_text)
            screen.query_one("#kdf_iterations", Input).value = "4"
            screen.query_one("#kdf_memory_mib", Input).value = "80"
            screen.action_save()
            await until(pilot, lambda: not isinstance(app.screen, ChangePasswordScreen))

    asyncio.run(run())
    with db.read() as s:
        a = s.execute(select(Account).where(Account.email == "user@contoso.example")).scalar_one()
        assert (a.kdf_memory_kib, a.kdf_iterations, a.kdf_parallelism) == (80 * 1024, 4, 4)
    assert accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT).secrets.user_key == key
