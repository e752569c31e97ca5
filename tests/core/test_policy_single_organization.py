"""Policy 3 Single organization at accept (the reference's AcceptOrgUserCommand): a member bound by a
client's policy cannot join another organization, and a person in another organization cannot join a
client with it on; turning it (or Require two-step login) on never revokes the person acting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msp_tui.core.enums import MemberStatus, PolicyType
from msp_tui.core.errors import Refused
from msp_tui.core.models import Member
from msp_tui.core.services import accounts, clients, members, policies
from tests.core.test_vault_support import OWNER_PASSWORD, USER_PASSWORD, make_client

P3 = PolicyType.SINGLE_ORG
EMAIL = "user@contoso.example"


def _fabrikam(db, admin):
    return clients.create_client(db, admin, name="Fabrikam", plan="enterprise-monthly", seats=10,
                                 owner_email="owner@fabrikam.example")


def _status(db, org_id, email=EMAIL):
    with db.read() as s:
        return s.execute(select(Member.status).where(Member.organization_id == org_id,
                                                     Member.email == email)).scalar_one()


def test_single_organization_member_cannot_accept_another_organization(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P3, enabled=True)
    f = _fabrikam(db, admin)
    secret = members.invite(db, admin, f.id, [EMAIL], role="user").secrets[EMAIL]
    with pytest.raises(Refused) as refused:
        accounts.accept_invitations(db, email=EMAIL, secret=secret, password=USER_PASSWORD)
    assert refused.value.rule == "single-organization" and refused.value.exit_code == 1
    assert policies.SINGLE_ORG_MEMBER_ELSEWHERE in refused.value.message
    assert "Single organization" in refused.value.message and c.name in refused.value.message
    assert _status(db, f.id) == MemberStatus.INVITED  # nothing changed; the invitation still waits
    # Turned off, the same invitation can be accepted.
    policies.set_policy(db, admin, c.organization_id, P3, enabled=False)
    accounts.accept_invitations(db, email=EMAIL, secret=secret, password=USER_PASSWORD)
    assert _status(db, f.id) == MemberStatus.ACCEPTED


def test_single_organization_client_refuses_a_person_of_another_organization(db, admin):
    c = make_client(db, admin)  # the user belongs to Contoso
    f = _fabrikam(db, admin)
    policies.set_policy(db, admin, f.id, P3, enabled=True)
    secret = members.invite(db, admin, f.id, [EMAIL], role="user").secrets[EMAIL]
    with pytest.raises(Refused) as refused:
        accounts.accept_invitations(db, email=EMAIL, secret=secret, password=USER_PASSWORD)
    assert policies.SINGLE_ORG_JOIN_REFUSED in refused.value.message and "Fabrikam" in refused.value.message
    assert _status(db, f.id) == MemberStatus.INVITED
    # Invited as an Admin, the joining client's policy exempts them (the reference's roles).
    owner = "owner@contoso.example"
    secret = members.invite(db, admin, f.id, [owner], role="admin").secrets[owner]
    accounts.accept_invitations(db, email=owner, secret=secret, password=OWNER_PASSWORD)
    assert _status(db, f.id, owner) == MemberStatus.ACCEPTED


def test_single_organization_owners_and_admins_are_exempt_at_accept(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P3, enabled=True)
    f = _fabrikam(db, admin)
    # The Owner of Contoso is exempt from Contoso's policy: may join Fabrikam.
    secret = members.invite(db, admin, f.id, ["owner@contoso.example"], role="user").secrets["owner@contoso.example"]
    accounts.accept_invitations(db, email="owner@contoso.example", secret=secret, password=OWNER_PASSWORD)
    assert _status(db, f.id, "owner@contoso.example") == MemberStatus.ACCEPTED


def _custom_policy_manager(db, admin, c):
    """A Custom member of Contoso who may manage policies, and also a member of Fabrikam."""
    email = "cara@contoso.example"
    secret = members.invite(db, admin, c.organization_id, [email], role="custom",
                            custom_permissions={"manage_policies"}).secrets[email]
    actor, _ = accounts.accept_invitations(db, email=email, secret=secret, password=USER_PASSWORD)
    members.confirm(db, admin, c.organization_id, [email])
    f = _fabrikam(db, admin)
    secret = members.invite(db, admin, f.id, [email], role="user").secrets[email]
    accounts.accept_invitations(db, email=email, secret=secret, password=USER_PASSWORD)
    members.confirm(db, admin, f.id, [email])
    return accounts.sign_in(db, email, USER_PASSWORD), email, f


def test_single_organization_never_revokes_the_person_acting(db, admin):
    c = make_client(db, admin)
    actor, email, f = _custom_policy_manager(db, admin, c)
    # The user is in Contoso only; make them a member of Fabrikam too, so they are revoked.
    secret = members.invite(db, admin, f.id, [EMAIL], role="user").secrets[EMAIL]
    accounts.accept_invitations(db, email=EMAIL, secret=secret, password=USER_PASSWORD)
    preview = policies.preview(db, actor, c.organization_id, P3, True)
    assert EMAIL in [e.email for e in preview.revoke] and email not in [e.email for e in preview.revoke]
    assert any(e.email == email for e in preview.exempt)  # listed as the person making the change
    policies.set_policy(db, actor, c.organization_id, P3, enabled=True)
    assert _status(db, c.organization_id, email) == MemberStatus.CONFIRMED
    assert _status(db, c.organization_id) == MemberStatus.REVOKED


def test_require_two_step_login_never_revokes_the_person_acting(db, admin):
    c = make_client(db, admin)
    actor, email, _ = _custom_policy_manager(db, admin, c)
    policies.set_policy(db, actor, c.organization_id, PolicyType.TWO_FACTOR_AUTHENTICATION, enabled=True)
    assert _status(db, c.organization_id, email) == MemberStatus.CONFIRMED
    assert _status(db, c.organization_id) == MemberStatus.REVOKED  # the user without two-step login
