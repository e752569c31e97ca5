"""Policy 0, Require two-step login, judged by real enrolment (issue 16). Before, a flag only the demo
set (account.two_factor_enabled) decided, so no member could ever comply for real and a planted flag
kept a member in; now the sealed authenticator secret itself is the enrolment."""

from __future__ import annotations

from datetime import datetime

from msp_tui.core import clock
from msp_tui.core.enums import MemberRole, MemberStatus, PolicyType as P, RevocationReason
from msp_tui.core.services import accounts, members, policies as pol, two_step
from tests.core._policy_support import get_member
from tests.core.test_vault_support import NO_WAIT, USER_PASSWORD, make_client

NOON = datetime(2026, 12, 3, 12, 0, 0)


def _member_status(db, admin, client, email):
    return next(m for m in members.list_members(db, admin, client) if m.email == email)


def test_require_two_step_login_keeps_members_who_enrolled_for_real_and_revokes_those_who_did_not(db, admin):
    clock.freeze(NOON)
    c = make_client(db, admin)
    user = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    assert not _member_status(db, admin, c.organization_id, "user@contoso.example").two_factor_enabled
    preview = pol.preview(db, admin, c.organization_id, P.TWO_FACTOR_AUTHENTICATION, True)
    assert [e.email for e in preview.revoke] == ["user@contoso.example"]  # not enrolled: would go
    enrolment = two_step.begin(db, user)
    two_step.finish(db, user, enrolment, two_step.current_code(enrolment.secret))
    assert _member_status(db, admin, c.organization_id, "user@contoso.example").two_factor_enabled  # listed
    pol.set_policy(db, admin, c.organization_id, P.TWO_FACTOR_AUTHENTICATION, enabled=True)
    view = _member_status(db, admin, c.organization_id, "user@contoso.example")
    assert view.status == MemberStatus.CONFIRMED  # enrolled for real: stays


def test_require_two_step_login_revokes_a_member_who_turned_it_off(db, admin):
    clock.freeze(NOON)
    c = make_client(db, admin)
    user = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    enrolment = two_step.begin(db, user)
    recovery = two_step.finish(db, user, enrolment, two_step.current_code(enrolment.secret))
    two_step.disable(db, user, recovery, throttle=NO_WAIT)
    result = pol.set_policy(db, admin, c.organization_id, P.TWO_FACTOR_AUTHENTICATION, enabled=True)
    assert [e.email for e in result.revoked] == ["user@contoso.example"]
    m = get_member(db, result.revoked[0].member_id)
    assert m.status == MemberStatus.REVOKED and m.revocation_reason == RevocationReason.TWO_FACTOR_POLICY


def test_require_two_step_login_never_revokes_the_person_turning_it_on(db, admin):
    """A Custom member with manage_policies, without two-step login, turns policy 0 on: the others
    without it are revoked, they are not (as the reference skips the acting user)."""
    clock.freeze(NOON)
    c = make_client(db, admin)
    members.change_role(db, admin, c.organization_id, ["user@contoso.example"], MemberRole.CUSTOM,
                        custom_permissions={"manage_policies"})
    other = members.invite(db, admin, c.organization_id, ["ann@contoso.example"], role="user")
    accounts.accept_invitations(db, email="ann@contoso.example", secret=other.secrets["ann@contoso.example"],
                                password="ann's long master password", name="Ann")
    members.confirm(db, admin, c.organization_id, ["ann@contoso.example"])
    user = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    preview = pol.preview(db, user, c.organization_id, P.TWO_FACTOR_AUTHENTICATION, True)
    assert [e.email for e in preview.revoke] == ["ann@contoso.example"]
    assert any(e.email == "user@contoso.example" and "making the change" in e.why for e in preview.exempt)
    result = pol.set_policy(db, user, c.organization_id, P.TWO_FACTOR_AUTHENTICATION, enabled=True)
    assert [e.email for e in result.revoked] == ["ann@contoso.example"]
    assert _member_status(db, admin, c.organization_id, "user@contoso.example").status == MemberStatus.CONFIRMED


def test_require_two_step_login_revokes_a_member_when_they_turn_it_off_later(db, admin):
    clock.freeze(NOON)
    c = make_client(db, admin)
    user = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    enrolment = two_step.begin(db, user)
    recovery = two_step.finish(db, user, enrolment, two_step.current_code(enrolment.secret))
    pol.set_policy(db, admin, c.organization_id, P.TWO_FACTOR_AUTHENTICATION, enabled=True)
    assert _member_status(db, admin, c.organization_id, "user@contoso.example").status == MemberStatus.CONFIRMED
    two_step.disable(db, user, recovery, throttle=NO_WAIT)
    view = _member_status(db, admin, c.organization_id, "user@contoso.example")
    assert view.status == MemberStatus.REVOKED
    owner = _member_status(db, admin, c.organization_id, "owner@contoso.example")
    assert owner.status == MemberStatus.CONFIRMED  # Owners are exempt
