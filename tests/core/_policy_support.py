"""Shared set-up for the policy and health tests: clients and members with a two-step-login state."""

from __future__ import annotations

import uuid

from msp_tui.core import crypto
from msp_tui.core.enums import MemberRole, MemberStatus
from msp_tui.core.models import Account, Member, Organization
from msp_tui.core.services import clients, two_step
from msp_tui.core.services.common import refresh_seats


def client(db, admin, name="Contoso", plan="enterprise-monthly", seats=20):
    domain = "".join(ch for ch in name.lower() if ch.isalnum())
    return clients.create_client(db, admin, name=name, plan=plan, seats=seats,
                                 owner_email=f"owner@{domain}.example")


def account(db, email: str, two_factor: bool = False) -> uuid.UUID:
    """An account; `two_factor`: really enrolled in two-step login (a sealed authenticator secret)."""
    account_id = uuid.uuid4()
    made = crypto.sealed_account_keys(account_id)
    secret = two_step.seal(account_id, made.secrets.user_key, two_step.demo_secret(email)) if two_factor else None
    with db.write() as s:
        s.add(Account(id=account_id, email=email, name=email.split("@")[0].title(), totp_secret=secret,
                      **made.columns))
    return account_id


def member(db, org_id, email, *, role=MemberRole.USER, status=MemberStatus.CONFIRMED, two_factor=False,
           account_id=None) -> uuid.UUID:
    """A member row; Invited members have no account (as the reference stores them)."""
    if status != MemberStatus.INVITED and account_id is None:
        account_id = account(db, email, two_factor)
    with db.write() as s:
        m = Member(organization_id=org_id, email=email, role=int(role), status=int(status),
                   account_id=account_id if status != MemberStatus.INVITED else None,
                   previous_status=int(MemberStatus.CONFIRMED) if status == MemberStatus.REVOKED else None)
        s.add(m)
        s.flush()
        refresh_seats(s, s.get(Organization, org_id))
        return m.id


def get_member(db, member_id) -> Member:
    with db.read() as s:
        return s.get(Member, member_id)
