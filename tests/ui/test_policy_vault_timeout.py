"""Policy 9 Vault timeout in the app (the terminal, and the browser, which runs the same app): a
member's idle lock is at most the policy's minutes, with its action; a fixed clock drives the idle time."""

from __future__ import annotations

import asyncio

from msp_tui.core.enums import PolicyType
from msp_tui.core.services import accounts, policies
from msp_tui.screens.lock import LockScreen
from msp_tui.screens.login import LoginScreen
from tests.core.test_vault_support import NO_WAIT, OWNER_PASSWORD, USER_PASSWORD
from tests.ui.frame_support import on_a_fixed_clock, until, vault_world  # noqa: F401 (the fixture)

P3, P9 = PolicyType.SINGLE_ORG, PolicyType.MAXIMUM_VAULT_TIMEOUT


def _run_idle(db, email, password, *, minutes_before, minutes_after):
    """Sign in, stay idle: (locked or signed out at minutes_before?, what covers the app at minutes_after)."""
    actor = accounts.sign_in(db, email, password, throttle=NO_WAIT)
    seen = {}

    async def run():
        async with on_a_fixed_clock(db, actor) as (app, pilot, at):
            at(minutes_before)
            seen["before"] = app.lock_if_idle()
            at(minutes_after)
            seen["after"] = app.lock_if_idle()
            await until(pilot, lambda: isinstance(app.screen, (LockScreen, LoginScreen)))
            seen["screen"] = type(app.screen)
            seen["actor"] = app.actor

    asyncio.run(run())
    return seen, actor


def test_vault_timeout_locks_a_member_after_the_policys_minutes(vault_world):
    db, admin, c = vault_world
    policies.set_policy(db, admin, c.organization_id, P3, enabled=True)
    policies.set_policy(db, admin, c.organization_id, P9, enabled=True, options={"minutes": 5, "action": "lock"})
    seen, actor = _run_idle(db, "user@contoso.example", USER_PASSWORD, minutes_before=4, minutes_after=5)
    assert (seen["before"], seen["after"], seen["screen"]) == (False, True, LockScreen)
    assert actor.secrets is None  # the keys were dropped


def test_vault_timeout_log_out_action_signs_the_member_out(vault_world):
    db, admin, c = vault_world
    policies.set_policy(db, admin, c.organization_id, P3, enabled=True)
    policies.set_policy(db, admin, c.organization_id, P9, enabled=True, options={"minutes": 3, "action": "logOut"})
    assert policies.vault_timeout(db, accounts.sign_in(db, "user@contoso.example", USER_PASSWORD,
                                                       throttle=NO_WAIT)) == policies.VaultTimeout(
        3, "logOut", (c.name,))
    seen, actor = _run_idle(db, "user@contoso.example", USER_PASSWORD, minutes_before=2, minutes_after=3)
    assert (seen["before"], seen["after"], seen["screen"], seen["actor"]) == (False, True, LoginScreen, None)
    assert actor.secrets is None


def test_vault_timeout_exempts_owners_and_never_lengthens_the_idle_time(vault_world):
    db, admin, c = vault_world
    policies.set_policy(db, admin, c.organization_id, P3, enabled=True)
    policies.set_policy(db, admin, c.organization_id, P9, enabled=True, options={"minutes": 5, "action": "logOut"})
    # The Owner is exempt (the reference's client): the provider's 15 minutes, and a lock.
    seen, _ = _run_idle(db, "owner@contoso.example", OWNER_PASSWORD, minutes_before=14, minutes_after=15)
    assert (seen["before"], seen["after"], seen["screen"]) == (False, True, LockScreen)
    # A policy longer than the idle time changes only its action.
    policies.set_policy(db, admin, c.organization_id, P9, enabled=True, options={"minutes": 600, "action": "lock"})
    user = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    assert policies.vault_timeout(db, user) == policies.VaultTimeout(15, "lock", (c.name,))


def test_vault_timeout_changed_while_a_member_is_signed_in_applies_to_the_running_session(vault_world):
    """Review finding of issue 16: the policy was read only at sign-in, so a member signed in before an
    admin shortened it kept the old idle time until they signed in again."""
    db, admin, c = vault_world
    policies.set_policy(db, admin, c.organization_id, P3, enabled=True)
    policies.set_policy(db, admin, c.organization_id, P9, enabled=True, options={"minutes": 30, "action": "lock"})
    actor = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    seen = {}

    async def run():
        async with on_a_fixed_clock(db, actor) as (app, pilot, at):
            at(1)
            seen["under 30"] = app.lock_if_idle()
            policies.set_policy(db, admin, c.organization_id, P9, enabled=True,
                                options={"minutes": 5, "action": "logOut"})
            at(4)
            seen["at 4"] = app.lock_if_idle()
            at(6)
            seen["at 6"] = app.lock_if_idle()
            await until(pilot, lambda: isinstance(app.screen, (LockScreen, LoginScreen)))
            seen["screen"] = type(app.screen)

    asyncio.run(run())
    assert (seen["under 30"], seen["at 4"], seen["at 6"], seen["screen"]) == (False, False, True, LoginScreen)
