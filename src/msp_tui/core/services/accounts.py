"""People and sign-in: creating the provider, accounts, accepting invitations, signing in (S1, S11)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from msp_tui.core import clock, crypto, events, keys
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberStatus, StaffRole, StaffStatus
from msp_tui.core.errors import AuthFailed, BadInput, Refused
from msp_tui.core.models import Account, Member, Organization, Provider, Staff
from msp_tui.core.schemas import NewAccount, NewProvider, parse
from msp_tui.core.services.common import invitation_expired, refresh_seats, touch


def _new_account(session, email: str, name: str, password: str) -> tuple[Account, crypto.AccountSecrets]:
    account_id = uuid.uuid4()
    made = crypto.new_account_keys(account_id, password)
    account = Account(id=account_id, email=email, name=name, **made.columns)
    session.add(account)
    return account, made.secrets


def _actor(account: Account, secrets: crypto.AccountSecrets, provider_id: uuid.UUID | None) -> Actor:
    return Actor(account_id=account.id, email=account.email, name=account.name,
                 provider_id=provider_id, secrets=secrets)


def init_provider(db: Database, *, provider: str, email: str, name: str, password: str) -> Actor:
    """Create the provider and its first Provider Admin, confirmed and holding the provider key."""
    data = parse(NewProvider, provider=provider, email=email, name=name, password=password)
    with db.write() as s:
        if s.execute(select(Provider.id).limit(1)).first() is not None:
            raise Refused("init", "This database already has a provider.")
        if s.execute(select(Account.id).where(Account.email == data.email)).first() is not None:
            raise BadInput(f"An account for {data.email} already exists.", "email")
        account, secrets = _new_account(s, data.email, data.name, data.password)
        prov = Provider(name=data.provider, billing_email=data.email)
        s.add(prov)
        s.flush()
        provider_key = crypto.random_key()
        staff = Staff(provider_id=prov.id, account_id=account.id, email=data.email,
                      role=StaffRole.PROVIDER_ADMIN, status=StaffStatus.CONFIRMED,
                      key=keys.seal_provider_key(provider_key, prov.id, prov.key_generation, account.public_key),
                      key_generation=prov.key_generation)
        s.add(staff)
        s.flush()
        actor = _actor(account, secrets, prov.id)
        events.record(s, actor, EventType.STAFF_INVITED, provider_id=prov.id, provider_user_id=staff.id,
                      account_id=account.id, detail={"email": data.email, "role": "Provider Admin"})
        events.record(s, actor, EventType.STAFF_CONFIRMED, provider_id=prov.id, provider_user_id=staff.id,
                      account_id=account.id, detail={"email": data.email, "initial": True})
        return actor


def provider_of(session, account_id: uuid.UUID) -> uuid.UUID | None:
    """The provider a person works in: confirmed staff first, then any staff row."""
    rows = session.execute(select(Staff.provider_id, Staff.status).where(
        Staff.account_id == account_id).order_by(Staff.status.desc())).all()
    return rows[0][0] if rows else None


def sign_in(db: Database, email: str, password: str) -> Actor:
    """Open the account's keys with the master password. A failure says only that it failed."""
    email = (email or "").strip().lower()
    with db.read() as s:
        account = s.execute(select(Account).where(Account.email == email)).scalar_one_or_none()
        provider_id = provider_of(s, account.id) if account else None
    if account is None:
        # Spend the same effort as a real attempt, so timing does not tell which emails exist.
        crypto.derive_master_key(password or "", bytes(16), crypto.DEFAULT_KDF)
        raise AuthFailed()
    try:
        secrets = crypto.unlock_account(account, password or "")
    except crypto.DecryptionError:
        with db.write() as s:
            acc = s.get(Account, account.id)
            acc.failed_login_count += 1
            acc.last_failed_login_at = clock.now()
            events.record(s, None, EventType.USER_FAILED_LOGIN, provider_id=provider_id,
                          account_id=account.id, detail={"email": account.email})
        raise AuthFailed() from None
    actor = _actor(account, secrets, provider_id)
    with db.write() as s:
        acc = s.get(Account, account.id)
        acc.failed_login_count = 0
        events.record(s, actor, EventType.USER_LOGGED_IN, provider_id=provider_id, account_id=account.id)
    return actor


def unlock(db: Database, actor: Actor, password: str) -> None:
    """Re-open a locked session's keys; AuthFailed if the password is wrong."""
    with db.read() as s:
        account = s.get(Account, actor.account_id)
    try:
        actor.secrets = crypto.unlock_account(account, password or "")
    except crypto.DecryptionError:
        raise AuthFailed() from None


@dataclass(frozen=True)
class Acceptance:
    account_created: bool
    staff: list[str]
    memberships: list[str]
    expired: list[str]


def pending_invitations(db: Database, email: str) -> tuple[int, int]:
    """How many live staff and member invitations wait for this email."""
    email = (email or "").strip().lower()
    with db.read() as s:
        staff = [r for r in s.execute(select(Staff.invited_at).where(
            Staff.email == email, Staff.status == StaffStatus.INVITED)).scalars() if not invitation_expired(r)]
        members = [r for r in s.execute(select(Member.invited_at).where(
            Member.email == email, Member.status == MemberStatus.INVITED)).scalars()
            if not invitation_expired(r)]
    return len(staff), len(members)


def accept_invitations(db: Database, *, email: str, password: str, name: str = "") -> tuple[Actor, Acceptance]:
    """An invited person creates their account (choosing a master password) and accepts invitations."""
    with db.read() as s:
        existing = s.execute(select(Account).where(Account.email == email.strip().lower())).scalar_one_or_none()
    if existing is not None:
        try:
            secrets = crypto.unlock_account(existing, password)
        except crypto.DecryptionError:
            raise AuthFailed() from None
    else:
        data = parse(NewAccount, email=email, name=name, password=password)
    with db.write() as s:
        created = existing is None
        if created:
            if s.execute(select(Account.id).where(Account.email == data.email)).first():
                raise BadInput(f"An account for {data.email} already exists.", "email")
            account, secrets = _new_account(s, data.email, data.name, data.password)
            s.flush()
        else:
            account = s.get(Account, existing.id)
        actor = _actor(account, secrets, None)
        staff_done, member_done, expired = [], [], []
        for staff in s.execute(select(Staff).where(Staff.email == account.email,
                                                   Staff.status == StaffStatus.INVITED)).scalars():
            prov_name = s.get(Provider, staff.provider_id).name
            if invitation_expired(staff.invited_at):
                expired.append(prov_name)
                continue
            staff.status, staff.account_id = StaffStatus.ACCEPTED, account.id
            touch(staff, actor)
            staff_done.append(prov_name)
            events.record(s, actor, EventType.STAFF_UPDATED, provider_id=staff.provider_id,
                          provider_user_id=staff.id, account_id=account.id,
                          detail={"status": ["Invited", "Accepted"]})
        for member in s.execute(select(Member).where(Member.email == account.email,
                                                     Member.status == MemberStatus.INVITED)).scalars():
            org = s.get(Organization, member.organization_id)
            if invitation_expired(member.invited_at):
                expired.append(org.name)
                continue
            member.status, member.account_id = MemberStatus.ACCEPTED, account.id
            touch(member, actor)
            member_done.append(org.name)
            events.record(s, actor, EventType.MEMBER_UPDATED, organization_id=org.id,
                          organization_user_id=member.id, account_id=account.id,
                          detail={"status": ["Invited", "Accepted"]})
            refresh_seats(s, org)
        if not staff_done and not member_done:
            if expired:
                raise Refused("S1", "Your invitations expired (they last 5 days); ask for new ones.")
            raise BadInput(f"There are no pending invitations for {account.email}.", "email")
        actor.provider_id = provider_of(s, account.id)
        return actor, Acceptance(created, staff_done, member_done, expired)
