"""Defects the walkthrough (tests/ui/test_walkthrough.py) found, each pinned by the smallest case."""

from __future__ import annotations

from msp_tui.app import MspApp
from msp_tui.screens.lock import LockScreen
from msp_tui.screens.login import LoginScreen
from tests.ui.frame_support import settle, sync


@sync
async def test_sign_out_from_the_lock_screen_over_a_client_does_not_crash(db, admin):
    # The home resumed for a moment while the stack was emptied, with nobody signed in, and asked the
    # database for the failover warning of `None.provider_id`: AttributeError, the app gone.
    app = MspApp(db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_area("staff")
        await settle(pilot)
        app.lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app._exception is None
        assert isinstance(app.screen, LoginScreen)


def test_a_collections_access_list_opens_with_its_name(db, admin):
    # Collection names became bound to their row (attack 5) while the access list still called
    # decrypt_name the old way: TypeError in the worker, the app gone, on Enter in the collections tab.
    from msp_tui.core.services import clients, collections

    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                                owner_email="owner@contoso.example")
    made = collections.create_collection(db, admin, org.id, "Finance")
    name, rows = collections.collection_access(db, admin, org.id, made.id)
    assert name == "Finance"


@sync
async def test_why_on_the_members_screen_opens_its_reasons_without_crashing(db, admin):
    # The role dialogs learned to start on the member's role (MemberDialog.on_mount looks up the role
    # picker); the reasons dialog shares that base and has no picker: NoMatches, the app gone, on `?`.
    from msp_tui.core.services import clients
    from msp_tui.widgets.member_dialogs import MemberReasonsDialog

    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                                owner_email="owner@contoso.example")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_client(org.id, tab="members")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert app._exception is None
        assert isinstance(app.screen, MemberReasonsDialog)
