"""What the member roles screen greys out is exactly what core refuses, with core's message."""

from __future__ import annotations

import pytest

from msp_tui.core.enums import MemberRole
from msp_tui.core.errors import Refused
from msp_tui.core.services import accounts, clients, member_actions, members
from tests.conftest import PASSWORD

CALLS = {
    "reinvite": members.reinvite,
    "confirm": members.confirm,
    "revoke": members.revoke,
    "restore": members.restore,
    "remove": members.remove,
    "role": lambda db, actor, client, refs: members.change_role(db, actor, client, refs, "user"),
}


def _world(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=20,
                              owner_email="owner@contoso.example")
    secrets = members.invite(db, admin, c.id, ["cara@contoso.example"], "custom", {"manage_users"}).secrets
    members.invite(db, admin, c.id, ["adam@contoso.example"], "admin")
    secrets |= members.invite(db, admin, c.id, ["uma@contoso.example", "ulla@contoso.example"], "user").secrets
    cara, _ = accounts.accept_invitations(db, email="cara@contoso.example", secret=secrets["cara@contoso.example"],
                                          password=PASSWORD, name="Cara")
    accounts.accept_invitations(db, email="ulla@contoso.example", secret=secrets["ulla@contoso.example"],
                                password=PASSWORD, name="Ulla")
    members.confirm(db, admin, c.id, ["cara@contoso.example"])
    members.revoke(db, admin, c.id, ["uma@contoso.example"])
    return c, cara


def test_greyed_out_actions_are_those_core_refuses_with_the_same_message(db, admin):
    c, cara = _world(db, admin)
    panel = member_actions.load(db, cara, c.id)
    assert panel.manage_refusal is None and panel.standing == "Custom"
    assert panel.grantable_flags == {"manage_users"}
    assert panel.role_refusals[MemberRole.OWNER] == members.CUSTOM_NO_ADMINS
    assert panel.role_refusals[MemberRole.USER] is None
    checked = 0
    for m in panel.members:
        for action, why in panel.refusals[m.id].items():
            if why is None:
                continue
            with pytest.raises(Refused) as exc:
                CALLS[action](db, cara, c.id, [m.id])
            assert exc.value.message == why, (m.email, action)
            checked += 1
    assert checked >= 8
    # What is not greyed out, core accepts.
    ulla = next(m for m in panel.members if m.email == "ulla@contoso.example")
    assert panel.refusals[ulla.id]["confirm"] is None
    members.confirm(db, cara, c.id, [ulla.id])
    uma = next(m for m in panel.members if m.email == "uma@contoso.example")
    assert panel.refusals[uma.id]["restore"] is None
    members.restore(db, cara, c.id, [uma.id])


def test_user_role_member_sees_nothing(db, admin):
    c, _ = _world(db, admin)
    members.confirm(db, admin, c.id, ["ulla@contoso.example"])
    ulla = accounts.sign_in(db, "ulla@contoso.example", PASSWORD)
    with pytest.raises(Refused):
        member_actions.load(db, ulla, c.id)


def test_S2_provider_staff_may_do_everything_an_owner_may(db, admin):
    c, _ = _world(db, admin)
    panel = member_actions.load(db, admin, c.id)
    assert panel.manage_refusal is None and all(v is None for v in panel.role_refusals.values())
    owner = next(m for m in panel.members if m.role == MemberRole.OWNER)
    assert panel.refusals[owner.id]["role"] is None and panel.refusals[owner.id]["remove"] is None
