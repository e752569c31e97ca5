"""Attack 2 (and 8's accept half) of issue 15: accepting an invitation needs its one-time secret,
and every failed accept gets the same answer, whatever the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from msp_tui.core import clock, invitation_secret
from msp_tui.core.enums import MemberStatus, StaffStatus
from msp_tui.core.errors import BadInput
from msp_tui.core.models import Account, Member, Staff
from msp_tui.core.services import accounts, clients, members, staff
from tests.conftest import PASSWORD

ATTACKER = "attacker's long master password"


def _accounts(db) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(Account)).scalar_one()


def _refused(db, **kwargs) -> str:
    with pytest.raises(BadInput) as exc:
        accounts.accept_invitations(db, **{"password": ATTACKER, "name": "Mallory", **kwargs})
    return exc.value.message


def test_attack2_an_invitation_cannot_be_accepted_with_the_email_alone(db, admin):
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    before = _accounts(db)
    for guess in ("", "AAAA-BBBB-CCCC-DDDD-EEEE", secret[:-1] + ("A" if secret[-1] != "A" else "B")):
        assert _refused(db, email="grace@msp.example", secret=guess) == invitation_secret.NO_MATCH
    assert _accounts(db) == before  # nothing written, no account made with the attacker's password
    with db.read() as s:
        row = s.execute(select(Staff).where(Staff.email == "grace@msp.example")).scalar_one()
        assert row.status == StaffStatus.INVITED and row.account_id is None
        assert row.invite_secret_hash == invitation_secret.digest(secret) and secret not in row.invite_secret_hash
    # The person who was given the secret accepts (dashes and case do not matter when typed).
    actor, result = accounts.accept_invitations(db, email="grace@msp.example", secret=secret.lower().replace("-", " "),
                                                password=PASSWORD, name="Grace")
    assert result.account_created and result.staff == ["Northwind MSP"]
    with db.read() as s:
        row = s.execute(select(Staff).where(Staff.email == "grace@msp.example")).scalar_one()
        assert row.status == StaffStatus.ACCEPTED and row.invite_secret_hash is None


def test_attack8_every_failed_accept_gets_one_answer(db, admin):
    """Unknown email, a person with an account and no invitation, a wrong, a used and an expired
    secret: one sentence, so the answer tells nobody who has an account or an invitation."""
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    used = c.owner_invite_secret
    accounts.accept_invitations(db, email="owner@contoso.example", secret=used, password=PASSWORD, name="Olga")
    clock.freeze(clock.now() - timedelta(days=5, minutes=1))
    expired = members.invite(db, admin, c.id, ["late@contoso.example"]).secrets["late@contoso.example"]
    clock.freeze(None)
    live = members.invite(db, admin, c.id, ["ana@contoso.example"]).secrets["ana@contoso.example"]
    answers = {
        "unknown email": _refused(db, email="nobody@nowhere.example", secret=live),
        "account, no invitation": _refused(db, email=admin.email, secret=live),
        "wrong secret": _refused(db, email="ana@contoso.example", secret=used),
        "used secret": _refused(db, email="owner@contoso.example", secret=used),
        "expired secret": _refused(db, email="late@contoso.example", secret=expired),
        "another's secret": _refused(db, email="late@contoso.example", secret=live),
    }
    assert set(answers.values()) == {invitation_secret.NO_MATCH}, answers
    with pytest.raises(BadInput) as exc:
        accounts.find_invitation(db, email=admin.email, secret=live)
    assert exc.value.message == invitation_secret.NO_MATCH


def test_reinvite_issues_a_new_secret_and_the_old_one_stops_working(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    old = members.invite(db, admin, c.id, ["ana@contoso.example"]).secrets["ana@contoso.example"]
    [view] = members.reinvite(db, admin, c.id, ["ana@contoso.example"])
    assert view.invite_secret and view.invite_secret != old
    assert _refused(db, email="ana@contoso.example", secret=old) == invitation_secret.NO_MATCH
    accounts.accept_invitations(db, email="ana@contoso.example", secret=view.invite_secret, password=PASSWORD)
    with db.read() as s:
        assert s.execute(select(Member.status).where(Member.email == "ana@contoso.example")).scalar_one() \
            == MemberStatus.ACCEPTED


def test_an_existing_account_accepts_with_the_secret_and_its_own_password(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email=admin.email)
    assert accounts.find_invitation(db, email=admin.email, secret=c.owner_invite_secret).account_exists
    _, result = accounts.accept_invitations(db, email=admin.email, secret=c.owner_invite_secret, password=PASSWORD)
    assert not result.account_created and result.memberships == ["Contoso"]


def test_pending_invitations_from_before_the_secrets_cannot_be_accepted(db, admin):
    """The migration leaves older invitations without a hash: nothing matches them until re-sent."""
    staff.invite(db, admin, ["old@msp.example"], "service")
    with db.write() as s:
        s.execute(Staff.__table__.update().where(Staff.email == "old@msp.example").values(invite_secret_hash=None))
    assert _refused(db, email="old@msp.example", secret="") == invitation_secret.NO_MATCH
    new = staff.reinvite(db, admin, ["old@msp.example"])["old@msp.example"]
    accounts.accept_invitations(db, email="old@msp.example", secret=new, password=PASSWORD)
