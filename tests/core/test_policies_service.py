"""A client's policies: saving, events, the plan and dependency rules, stale edits, side effects."""

import json

import pytest
from sqlalchemy import select

from msp_tui.core import clock
from msp_tui.core.enums import EventType, MemberRole, MemberStatus, PolicyType as P, RevocationReason
from msp_tui.core.errors import BadInput, Refused, StaleEdit
from msp_tui.core.models import Event, Organization, Policy
from msp_tui.core.services import policies as pol
from tests.core._policy_support import client, get_member, member


def _events(db, type_):
    with db.read() as s:
        return [json.loads(e.detail) if e.detail else {} for e in s.execute(
            select(Event).where(Event.type == int(type_)).order_by(Event.id)).scalars()]


def test_S7_each_clients_policies_are_independent(db, admin):
    a = client(db, admin, "Contoso")
    b = client(db, admin, "Fabrikam")
    pol.set_policy(db, admin, a.id, "master-password", enabled=True, options={"min_length": 20})
    pol.set_policy(db, admin, b.id, "master-password", enabled=True, options={"min_length": 14})
    pol.set_policy(db, admin, b.id, "remove-pin", enabled=True)
    pa, pb = pol.list_policies(db, admin, a.id), pol.list_policies(db, admin, b.id)
    assert pa.by_type(1).options["min_length"] == 20 and pb.by_type(1).options["min_length"] == 14
    assert not pa.by_type(14).enabled and pb.by_type(14).enabled
    pol.set_policy(db, admin, a.id, "master-password", enabled=False)
    assert pol.list_policies(db, admin, b.id).by_type(1).enabled


def test_list_shows_every_type_and_unsaved_ones_at_version_0(db, admin):
    c = client(db, admin)
    view = pol.list_policies(db, admin, "Contoso")
    assert [int(p.type) for p in view.policies] == list(range(17))
    assert all(p.version == 0 and not p.enabled for p in view.policies)
    assert view.can_edit and view.enterprise and view.template is None
    assert view.organization_id == c.id


def test_change_is_event_1700_with_what_changed_from_what_to_what(db, admin):
    c = client(db, admin)
    pol.set_policy(db, admin, c.id, P.MASTER_PASSWORD, enabled=True, options={"min_length": 14})
    res = pol.set_policy(db, admin, c.id, P.MASTER_PASSWORD, options={"min_length": 16, "require_upper": True})
    assert res.changed and res.changes == "minLength 14 → 16; requireUpper False → True"
    details = _events(db, EventType.POLICY_UPDATED)
    assert details[0]["enabled"] == [False, True] and details[0]["policy"] == "Master password requirements"
    assert details[1]["options"] == {"minLength": [14, 16], "requireUpper": [False, True]}
    with db.read() as s:
        ev = s.execute(select(Event).where(Event.type == 1700).order_by(Event.id.desc())).scalars().first()
        assert ev.policy_id == res.policy.id and ev.organization_id == c.id
    again = pol.set_policy(db, admin, c.id, P.MASTER_PASSWORD, options={"min_length": 16})
    assert not again.changed and len(_events(db, EventType.POLICY_UPDATED)) == 2


def test_policies_save_only_on_enterprise_clients(db, admin):
    t = client(db, admin, "Teams Co", plan="teams-monthly")
    with pytest.raises(Refused) as exc:
        pol.set_policy(db, admin, t.id, "two-factor", enabled=True)
    assert exc.value.rule == "plan" and "Enterprise" in exc.value.message
    view = pol.list_policies(db, admin, t.id)
    assert not view.can_edit and "Enterprise" in view.reason
    assert pol.preview(db, admin, t.id, "two-factor", True).error
    with db.read() as s:
        assert s.execute(select(Policy)).first() is None
    assert _events(db, EventType.POLICY_UPDATED) == []


def test_enabling_a_dependent_needs_single_org(db, admin):
    c = client(db, admin)
    for dep in ("require-sso", "reset-password", "vault-timeout", "uri-match"):
        with pytest.raises(Refused, match="Turn on the Single organization policy because it is required"):
            pol.set_policy(db, admin, c.id, dep, enabled=True)
    pol.set_policy(db, admin, c.id, "single-org", enabled=True)
    pol.set_policy(db, admin, c.id, "vault-timeout", enabled=True, options={"minutes": 30, "action": "lock"})
    assert pol.list_policies(db, admin, c.id).by_type(9).enabled


def test_disabling_single_org_while_a_dependent_is_on_is_refused(db, admin):
    c = client(db, admin)
    pol.set_policy(db, admin, c.id, "single-org", enabled=True)
    pol.set_policy(db, admin, c.id, "vault-timeout", enabled=True)
    with pytest.raises(Refused) as exc:
        pol.set_policy(db, admin, c.id, "single-org", enabled=False)
    assert exc.value.message == "Turn off the Vault timeout policy because it requires the Single organization policy."
    pol.set_policy(db, admin, c.id, "require-sso", enabled=True)
    with pytest.raises(Refused, match="Turn off all of the policies that require the Single organization policy."):
        pol.set_policy(db, admin, c.id, "single-org", enabled=False)
    assert pol.preview(db, admin, c.id, "single-org", False).error.startswith("Turn off all")
    pol.set_policy(db, admin, c.id, "vault-timeout", enabled=False)
    pol.set_policy(db, admin, c.id, "require-sso", enabled=False)
    pol.set_policy(db, admin, c.id, "single-org", enabled=False)
    assert not pol.list_policies(db, admin, c.id).by_type(3).enabled


def test_stale_edit_is_refused_not_overwritten(db, admin):
    c = client(db, admin)
    opened = pol.list_policies(db, admin, c.id).by_type(1)
    pol.set_policy(db, admin, c.id, 1, enabled=True, options={"min_length": 20}, expected_version=opened.version)
    with pytest.raises(StaleEdit):
        pol.set_policy(db, admin, c.id, 1, enabled=True, options={"min_length": 13}, expected_version=opened.version)
    current = pol.list_policies(db, admin, c.id).by_type(1)
    assert current.options["min_length"] == 20
    pol.set_policy(db, admin, c.id, 1, options={"min_length": 13}, expected_version=current.version)
    with pytest.raises(StaleEdit):
        pol.set_policy(db, admin, c.id, 1, options={"min_length": 15}, expected_version=current.version)


def test_bad_options_write_nothing(db, admin):
    c = client(db, admin)
    with pytest.raises(BadInput, match="min_length"):
        pol.set_policy(db, admin, c.id, 1, enabled=True, options={"min_length": 5})
    with pytest.raises(BadInput, match="not an option"):
        pol.set_policy(db, admin, c.id, 1, enabled=True, options={"colour": "red"})
    assert _events(db, EventType.POLICY_UPDATED) == []


def test_two_step_login_revokes_members_without_it_owners_and_admins_exempt(db, admin):
    c = client(db, admin)
    ids = {
        "owner": member(db, c.id, "o@c.example", role=MemberRole.OWNER),
        "admin": member(db, c.id, "a@c.example", role=MemberRole.ADMIN),
        "user": member(db, c.id, "u@c.example"),
        "accepted": member(db, c.id, "acc@c.example", status=MemberStatus.ACCEPTED),
        "custom": member(db, c.id, "cu@c.example", role=MemberRole.CUSTOM),
        "compliant": member(db, c.id, "ok@c.example", two_factor=True),
        "invited": member(db, c.id, "inv@c.example", status=MemberStatus.INVITED),
        "revoked": member(db, c.id, "rev@c.example", status=MemberStatus.REVOKED),
    }
    pv = pol.preview(db, admin, c.id, "two-factor", True)
    assert sorted(e.email for e in pv.revoke) == ["acc@c.example", "cu@c.example", "u@c.example"]
    exempt = {e.email: e.why for e in pv.exempt}
    assert "Owners are exempt" in exempt["o@c.example"] and "Admins are exempt" in exempt["a@c.example"]
    assert exempt["inv@c.example"].startswith("invited")
    with db.read() as s:
        before = s.get(Organization, c.id).occupied_seats
    res = pol.set_policy(db, admin, c.id, "two-factor", enabled=True)
    assert sorted(e.email for e in res.revoked) == ["acc@c.example", "cu@c.example", "u@c.example"]
    for key in ("user", "accepted", "custom"):
        m = get_member(db, ids[key])
        assert m.status == MemberStatus.REVOKED
        assert m.revocation_reason == RevocationReason.TWO_FACTOR_POLICY
    assert get_member(db, ids["accepted"]).previous_status == MemberStatus.ACCEPTED
    for key in ("owner", "admin", "compliant", "invited"):
        assert get_member(db, ids[key]).status != MemberStatus.REVOKED
    assert get_member(db, ids["revoked"]).revocation_reason is None  # untouched
    assert sorted(d["email"] for d in _events(db, EventType.MEMBER_REVOKED_TWO_FACTOR)) == [
        "acc@c.example", "cu@c.example", "u@c.example"]
    with db.read() as s:
        assert s.get(Organization, c.id).occupied_seats == before - 3
    # Turning it on again (already on) revokes nobody; provider staff are not members and keep access.
    assert pol.set_policy(db, admin, c.id, "two-factor", enabled=True).revoked == []
    assert pol.list_policies(db, admin, c.id).can_edit


def test_single_org_revokes_members_of_another_org(db, admin):
    a = client(db, admin, "Contoso")
    b = client(db, admin, "Fabrikam")
    both = member(db, a.id, "both@x.example")
    member(db, b.id, "both@x.example", account_id=get_member(db, both).account_id)
    only_invited_elsewhere = member(db, a.id, "inv@x.example")
    member(db, b.id, "inv@x.example", status=MemberStatus.INVITED)
    admin_both = member(db, a.id, "adm@x.example", role=MemberRole.ADMIN)
    member(db, b.id, "adm@x.example", account_id=get_member(db, admin_both).account_id)
    alone = member(db, a.id, "alone@x.example")
    res = pol.set_policy(db, admin, a.id, "single-org", enabled=True)
    assert [e.email for e in res.revoked] == ["both@x.example"]
    m = get_member(db, both)
    assert m.status == MemberStatus.REVOKED and m.revocation_reason == RevocationReason.SINGLE_ORG_POLICY
    for mid in (only_invited_elsewhere, admin_both, alone):
        assert get_member(db, mid).status == MemberStatus.CONFIRMED
    assert [d["email"] for d in _events(db, EventType.MEMBER_REVOKED_SINGLE_ORG)] == ["both@x.example"]
    # Fabrikam's own membership is untouched: each client's policies are its own (S7).
    assert pol.list_policies(db, admin, b.id).by_type(3).enabled is False


def test_service_users_may_edit_policies_but_not_templates(db, admin):
    from tests.core.test_policies_templates import service_user

    c = client(db, admin)
    svc = service_user(db, admin)
    pol.set_policy(db, svc, c.id, "remove-pin", enabled=True)
    with pytest.raises(Refused) as exc:
        pol.create_template(db, svc, "Mine", {"remove-pin": True})
    assert exc.value.rule == "S4"
