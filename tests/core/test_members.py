"""Members: the reference's guards on roles, seats, revoke/restore (S2: staff act as Owners)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msp_tui.core.enums import EventType, MemberRole, MemberStatus
from msp_tui.core.errors import Refused
from msp_tui.core.models import Event
from msp_tui.core.services import clients, members
from msp_tui.core.services.members import CUSTOM_NO_ADMINS, CUSTOM_SAME_FLAGS, ONLY_OWNER
from tests.world import join


@pytest.fixture
def org(db, admin):
    return clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                                 owner_email="owner@c.example")


def confirmed(db, admin, org, email, role="user", perms=frozenset()):
    secret = members.invite(db, admin, org.id, [email], role, perms).secrets[email]
    actor = join(db, email, secret)
    members.confirm(db, admin, org.id, [email])
    return actor


def test_S2_staff_manage_members_without_using_a_seat(db, admin, org):
    members.invite(db, admin, org.id, ["a@c.example", "b@c.example"], "admin")
    view = clients.get_client(db, admin, org.id)
    assert view.used == 3  # owner + 2; the provider admin occupies none
    assert all(m.email != admin.email for m in members.list_members(db, admin, org.id))


def test_admin_cannot_grant_or_touch_owner(db, admin, org):
    boss = confirmed(db, admin, org, "boss@c.example", "admin")
    with pytest.raises(Refused, match=ONLY_OWNER):
        members.invite(db, boss, org.id, ["new@c.example"], "owner")
    with pytest.raises(Refused, match=ONLY_OWNER):
        members.revoke(db, boss, org.id, ["owner@c.example"])
    members.invite(db, boss, org.id, ["new@c.example"], "user")


def test_custom_guards(db, admin, org):
    helper = confirmed(db, admin, org, "helper@c.example", "custom", frozenset({"manage_users"}))
    with pytest.raises(Refused, match=CUSTOM_NO_ADMINS):
        members.invite(db, helper, org.id, ["x@c.example"], "admin")
    with pytest.raises(Refused, match=CUSTOM_SAME_FLAGS):
        members.invite(db, helper, org.id, ["x@c.example"], "custom", frozenset({"manage_policies"}))
    members.invite(db, helper, org.id, ["x@c.example"], "custom", frozenset({"manage_users"}))
    with pytest.raises(Refused) as err:  # without manage_groups the table refuses
        from msp_tui.core.services import groups
        groups.create_group(db, helper, org.id, "Ops")
    assert err.value.rule == "custom-permission"


def test_custom_role_needs_enterprise(db, admin):
    teams = clients.create_client(db, admin, name="Small", plan="teams-monthly", seats=5, owner_email="o@s.example")
    with pytest.raises(Refused, match="Enterprise"):
        members.invite(db, admin, teams.id, ["x@s.example"], "custom")


def test_revoke_frees_the_seat_and_restore_needs_one(db, admin):
    org = clients.create_client(db, admin, name="Tiny", plan="teams-monthly", seats=2, owner_email="o@t.example")
    members.invite(db, admin, org.id, ["a@t.example"])
    members.revoke(db, admin, org.id, ["a@t.example"])
    assert clients.get_client(db, admin, org.id).used == 1
    members.invite(db, admin, org.id, ["b@t.example"])
    with pytest.raises(Refused) as err:
        members.restore(db, admin, org.id, ["a@t.example"])
    assert err.value.rule == "seats"
    members.remove(db, admin, org.id, ["b@t.example"])
    [m] = members.restore(db, admin, org.id, ["a@t.example"])
    assert m.status == MemberStatus.INVITED


def test_confirmed_member_holds_the_org_key(db, admin, org):
    from msp_tui.core.services import collections

    user = confirmed(db, admin, org, "u@c.example", "admin")
    assert [c.name for c in collections.list_collections(db, user, org.id)] == ["Default collection"]


def test_S8_every_member_change_has_its_event(db, admin, org):
    confirmed(db, admin, org, "u@c.example")
    members.change_role(db, admin, org.id, ["u@c.example"], "admin")
    members.revoke(db, admin, org.id, ["u@c.example"])
    members.restore(db, admin, org.id, ["u@c.example"])
    members.remove(db, admin, org.id, ["u@c.example"])
    with db.read() as s:
        types = [e.type for e in s.execute(select(Event).where(Event.organization_id == org.id)
                                           .order_by(Event.id)).scalars()]
    for t in (EventType.MEMBER_INVITED, EventType.MEMBER_CONFIRMED, EventType.MEMBER_UPDATED,
              EventType.MEMBER_REVOKED, EventType.MEMBER_RESTORED, EventType.MEMBER_REMOVED):
        assert int(t) in types, t


def test_bulk_action_is_all_or_nothing(db, admin, org):
    secrets = members.invite(db, admin, org.id, ["a@c.example", "b@c.example"]).secrets
    join(db, "a@c.example", secrets["a@c.example"])
    with pytest.raises(Refused):  # b has not accepted: the whole confirm is refused
        members.confirm(db, admin, org.id, ["a@c.example", "b@c.example"])
    statuses = {m.email: m.status for m in members.list_members(db, admin, org.id)}
    assert statuses["a@c.example"] == MemberStatus.ACCEPTED


def test_role_label_values_follow_the_reference():
    assert [int(r) for r in MemberRole] == [0, 1, 2, 4]
    assert [int(s) for s in MemberStatus] == [-1, 0, 1, 2]
