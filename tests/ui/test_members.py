"""Member roles screen: flows land in the database with their events; refused actions greyed out."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from textual.widgets import Static

from msp_tui.core.enums import EventType, MemberRole, MemberStatus
from msp_tui.core.models import Event, Member
from msp_tui.core.services import accounts, clients, members
from msp_tui.screens.members import MembersScreen
from msp_tui.widgets.invite_secrets import InviteSecretsModal
from tests.conftest import PASSWORD, make_provider
from tests.ui.frame_support import Harness


@pytest.fixture
def admin_sqlite(sqlite_db):
    return make_provider(sqlite_db)


async def settle(pilot, rounds: int = 4) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _statuses(db, org_id):
    with db.read() as s:
        return {m.email: (MemberRole(m.role), MemberStatus(m.status)) for m in s.execute(
            select(Member).where(Member.organization_id == org_id)).scalars()}


def _events(db, org_id, type_):
    with db.read() as s:
        return [e for e in s.execute(select(Event).where(Event.organization_id == org_id,
                                                         Event.type == int(type_))).scalars()]


def _why(screen) -> str:
    return str(screen.query_one("#m-why", Static).content)


def _move_to(screen, email: str) -> None:
    mid = next(m.id for m in screen.panel.members if m.email == email)
    assert screen.table.move_to_key(mid)


def test_member_flows_land_in_the_database_with_events(db, admin):
    asyncio.run(_member_flows(db, admin))


async def _member_flows(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=4,
                              owner_email="owner@contoso.example")
    app = Harness(lambda: MembersScreen(db, admin, c.id))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MembersScreen)
        # Invite two at once.
        await pilot.press("n")
        await settle(pilot)
        await pilot.click("#m-emails")
        await pilot.press(*"ana@contoso.example, ben@contoso.example")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InviteSecretsModal)  # shown once, to pass on
        secrets = app.screen.secrets
        assert set(secrets) == {"ana@contoso.example", "ben@contoso.example"}
        await pilot.press("enter")
        await settle(pilot)
        st = _statuses(db, c.id)
        assert st["ana@contoso.example"] == (MemberRole.USER, MemberStatus.INVITED)
        assert st["ben@contoso.example"] == (MemberRole.USER, MemberStatus.INVITED)
        assert {e.organization_user_id for e in _events(db, c.id, EventType.MEMBER_INVITED)} >= {
            m.id for m in screen.panel.members if m.email.startswith(("ana", "ben"))}
        assert "3 of 4 seats used" in str(screen.query_one("#m-title", Static).content)

        # Past the seat count: refused by core, with the count shown; nothing written.
        await pilot.press("i")
        await settle(pilot)
        await pilot.click("#m-emails")
        await pilot.press(*"c@contoso.example d@contoso.example")
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert dialog is not screen, "a refused invitation keeps the dialog open with core's message"
        assert "Contoso has 4 seats and 3 are taken" in str(dialog.query_one("#m-error", Static).content)
        assert "c@contoso.example" not in _statuses(db, c.id)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        # Bulk revoke of two marked members; the confirmation starts on Cancel.
        _move_to(screen, "ana@contoso.example")
        await pilot.press("space")
        _move_to(screen, "ben@contoso.example")
        await pilot.press("space")
        assert len(screen.marked) == 2
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")  # Cancel is focused
        await settle(pilot)
        assert _statuses(db, c.id)["ana@contoso.example"][1] == MemberStatus.INVITED
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        st = _statuses(db, c.id)
        assert st["ana@contoso.example"][1] == st["ben@contoso.example"][1] == MemberStatus.REVOKED
        assert len(_events(db, c.id, EventType.MEMBER_REVOKED)) == 2
        # Restore both (still marked).
        await pilot.press("u")
        await settle(pilot)
        st = _statuses(db, c.id)
        assert st["ana@contoso.example"][1] == st["ben@contoso.example"][1] == MemberStatus.INVITED
        assert len(_events(db, c.id, EventType.MEMBER_RESTORED)) == 2
        await pilot.press("a")  # all marked → none marked
        await pilot.press("a")
        await pilot.press("a")
        assert not screen.marked or len(screen.marked) == len(screen.panel.members)
        screen.marked.clear()
        screen._explain()

        # Re-invite a pending invitation.
        _move_to(screen, "ben@contoso.example")
        await pilot.press("r")
        await settle(pilot)
        assert any(e.detail and '"reinvite":true' in e.detail for e in _events(db, c.id, EventType.MEMBER_INVITED))
        assert isinstance(app.screen, InviteSecretsModal) and set(app.screen.secrets) == {"ben@contoso.example"}
        assert app.screen.secrets["ben@contoso.example"] != secrets["ben@contoso.example"]
        await pilot.press("escape")
        await settle(pilot)

        # Ana accepts; confirm her, then make her Custom with two flags.
        accounts.accept_invitations(db, email="ana@contoso.example", secret=secrets["ana@contoso.example"],
                                    password=PASSWORD, name="Ana")
        await pilot.press("ctrl+r")
        await settle(pilot)
        _move_to(screen, "ana@contoso.example")
        assert screen.check_action("confirm", ()) is True
        await pilot.press("c")
        await settle(pilot)
        # Confirming hands over the org key: the dialog shows Ana's fingerprint phrase first.
        with db.read() as s:
            ana_account = s.execute(select(Member.account_id).where(
                Member.email == "ana@contoso.example")).scalar_one()
        phrase = accounts.fingerprint_of(db, ana_account)
        assert phrase in "".join(str(w.render()) for w in pilot.app.screen.query("Static"))
        assert _statuses(db, c.id)["ana@contoso.example"][1] == MemberStatus.ACCEPTED
        await pilot.press("y")
        await settle(pilot)
        assert _statuses(db, c.id)["ana@contoso.example"][1] == MemberStatus.CONFIRMED
        assert len(_events(db, c.id, EventType.MEMBER_CONFIRMED)) == 1
        _move_to(screen, "ana@contoso.example")
        await pilot.press("e")
        await settle(pilot)
        await pilot.click("#role-custom")
        await pilot.pause()
        await pilot.click("#flag-manage_users")
        await pilot.click("#flag-access_event_logs")
        await pilot.click("#ok")
        await settle(pilot)
        with db.read() as s:
            ana = s.execute(select(Member).where(Member.email == "ana@contoso.example")).scalar_one()
            assert ana.role == MemberRole.CUSTOM
        view = next(m for m in screen.panel.members if m.email == "ana@contoso.example")
        assert view.permissions == {"manage_users", "access_event_logs"}
        assert _events(db, c.id, EventType.MEMBER_UPDATED)[-1].detail.count("manage_users") == 1

        # Remove Ben, confirming with y.
        _move_to(screen, "ben@contoso.example")
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "ben@contoso.example" not in _statuses(db, c.id)
        assert len(_events(db, c.id, EventType.MEMBER_REMOVED)) == 1


def test_custom_member_sees_admin_actions_greyed_with_cores_reason(sqlite_db, admin_sqlite):
    asyncio.run(_custom_greyed(sqlite_db, admin_sqlite))


async def _custom_greyed(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    secret = members.invite(db, admin, c.id, ["cara@contoso.example"], "custom",
                            {"manage_users"}).secrets["cara@contoso.example"]
    members.invite(db, admin, c.id, ["adam@contoso.example"], "admin")
    members.invite(db, admin, c.id, ["uma@contoso.example"], "user")
    cara, _ = accounts.accept_invitations(db, email="cara@contoso.example", secret=secret, password=PASSWORD,
                                          name="Cara")
    members.confirm(db, admin, c.id, ["cara@contoso.example"])
    app = Harness(lambda: MembersScreen(db, cara, c.id))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        _move_to(screen, "adam@contoso.example")
        await pilot.pause()
        assert screen.check_action("revoke", ()) is None
        assert screen.check_action("remove", ()) is None
        assert members.CUSTOM_NO_ADMINS in _why(screen)
        refusal = screen.refusal_for("revoke")
        assert refusal is not None and refusal.rule == "roles" and refusal.reason == members.CUSTOM_NO_ADMINS
        await pilot.press("x")
        await settle(pilot)
        assert _statuses(db, c.id)["adam@contoso.example"][1] == MemberStatus.INVITED
        # A User is fine to manage; her own row cannot be revoked.
        _move_to(screen, "uma@contoso.example")
        await pilot.pause()
        assert screen.check_action("revoke", ()) is True
        _move_to(screen, "cara@contoso.example")
        await pilot.pause()
        assert screen.check_action("revoke", ()) is None
        # The invite dialog greys out Owner and Admin, and the flags Cara does not hold.
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert dialog.query_one("#role-owner").disabled and dialog.query_one("#role-admin").disabled
        assert not dialog.query_one("#role-user").disabled
        assert dialog.query_one("#flag-manage_groups").disabled
        assert not dialog.query_one("#flag-manage_users").disabled
