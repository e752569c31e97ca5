"""Provider staff: invite, re-invite, confirm, change role, remove (S1, S4, S5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msp_tui.core import clock, crypto, events, invitation_secret, keys
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, StaffRole, StaffStatus
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import Account, Client, Provider, Staff
from msp_tui.core.schemas import StaffInvite, parse
from msp_tui.core.services import approvals
from msp_tui.core.services.common import as_uuid, check_version, invitation_expired, touch

LAST_ADMIN = "Provider must have at least one confirmed Provider Admin."


@dataclass(frozen=True)
class StaffView:
    id: uuid.UUID
    email: str
    name: str
    role: StaffRole
    status: StaffStatus
    invited_at: datetime
    invitation_expired: bool
    account_id: uuid.UUID | None
    version: int
    #: The invitation's one-time secret, only in what invite/reinvite return (never stored).
    invite_secret: str | None = None


def _view(st: Staff) -> StaffView:
    return StaffView(st.id, st.email, st.account.name if st.account else "", StaffRole(st.role),
                     StaffStatus(st.status), st.invited_at,
                     st.status == StaffStatus.INVITED and invitation_expired(st.invited_at),
                     st.account_id, st.version)


def confirmed_admin_count(s: Session, provider_id: uuid.UUID) -> int:
    return s.execute(select(func.count()).select_from(Staff).where(
        Staff.provider_id == provider_id, Staff.role == StaffRole.PROVIDER_ADMIN,
        Staff.status == StaffStatus.CONFIRMED)).scalar_one()


def failover_warning(db: Database, provider_id: uuid.UUID) -> str | None:
    """S5: with fewer than two confirmed admins, a forgotten master password locks the provider out."""
    with db.read() as s:
        n = confirmed_admin_count(s, provider_id)
        on = approvals.is_guarded(s, provider_id, "change-approvals")
    if n >= 2:
        return None
    # Two-person approval needs the same second admin: say why it cannot be on (or cannot work).
    return (f"Only {n} confirmed Provider Admin. No one can reset a forgotten master password: "
            "invite and confirm a second Provider Admin for failover. " + approvals.warning_for(n, on))


def list_staff(db: Database, actor: Actor) -> list[StaffView]:
    with db.read() as s:
        check(s, actor, Action.VIEW_STAFF)
        rows = s.execute(select(Staff).where(Staff.provider_id == actor.provider_id)
                         .order_by(Staff.role, Staff.email)).scalars().all()
        return [_view(r) for r in rows]


def find_staff(s: Session, provider_id: uuid.UUID, ref: str | uuid.UUID) -> Staff:
    ident = as_uuid(ref)
    stmt = select(Staff).where(Staff.provider_id == provider_id)
    stmt = stmt.where(Staff.id == ident) if ident else stmt.where(Staff.email == str(ref).strip().lower())
    row = s.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No staff member {str(ref)!r}.", "staff")
    return row


@dataclass(frozen=True)
class InviteResult:
    invited: list[str]
    skipped: list[str]
    #: email -> the invitation's one-time secret, to give to that person (shown once, stored as a hash).
    secrets: dict[str, str] = field(default_factory=dict)


def invite(db: Database, actor: Actor, emails: list[str], role: StaffRole | str) -> InviteResult:
    """Invite up to 20 people; emails already on the staff are skipped (event 1800 each)."""
    if isinstance(role, str):
        role = {"admin": StaffRole.PROVIDER_ADMIN, "service": StaffRole.SERVICE_USER}.get(role.lower(), role)
    data = parse(StaffInvite, emails=emails, role=role)
    with db.write() as s:
        check(s, actor, Action.MANAGE_STAFF)
        existing = set(s.execute(select(Staff.email).where(Staff.provider_id == actor.provider_id,
                                                           Staff.email.in_(data.emails))).scalars())
        invited, secrets = [], {}
        for email in data.emails:
            if email in existing:
                continue
            secrets[email], digest = invitation_secret.new()
            st = Staff(provider_id=actor.provider_id, email=email, role=data.role, status=StaffStatus.INVITED,
                       invited_at=clock.now(), invited_by_id=actor.account_id, invite_secret_hash=digest)
            touch(st, actor)
            s.add(st)
            s.flush()
            events.record(s, actor, EventType.STAFF_INVITED, provider_id=actor.provider_id,
                          provider_user_id=st.id, detail={"email": email, "role": data.role.label})
            invited.append(email)
        return InviteResult(invited, sorted(existing), secrets)


def reinvite(db: Database, actor: Actor, refs: list[str | uuid.UUID]) -> dict[str, str]:
    """Renew invitations still in Invited status (they last 5 days again), each with a new one-time
    secret (the old one stops working): email -> secret."""
    with db.write() as s:
        check(s, actor, Action.MANAGE_STAFF)
        done = {}
        for ref in refs:
            st = find_staff(s, actor.provider_id, ref)
            if st.status != StaffStatus.INVITED:
                raise Refused("S1", f"{st.email}: only invitations still pending can be sent again.")
            st.invited_at = clock.now()
            done[st.email], st.invite_secret_hash = invitation_secret.new()
            touch(st, actor)
            events.record(s, actor, EventType.STAFF_INVITED, provider_id=actor.provider_id,
                          provider_user_id=st.id, detail={"email": st.email, "reinvite": True})
        return done


def confirm(db: Database, actor: Actor, ref: str | uuid.UUID, *, fingerprint: str | None = None) -> StaffView:
    """Confirm an accepted staff member: seal the provider key to their public key (event 1801).

    Refused when the public key's signature fails, or when `fingerprint` (the phrase the admin
    compared with the person) is not the phrase of the key on file; nothing is sealed then."""
    with db.write() as s:
        check(s, actor, Action.MANAGE_STAFF)
        st = find_staff(s, actor.provider_id, ref)
        if st.status != StaffStatus.ACCEPTED:
            raise Refused("S1", f"{st.email} is {StaffStatus(st.status).label.lower()}: only staff who "
                          "accepted their invitation can be confirmed.")
        provider = s.get(Provider, actor.provider_id)
        pkey = keys.provider_key(s, actor, provider.id)
        account = s.get(Account, st.account_id)
        public_key = keys.sealing_key(account, fingerprint=fingerprint, pinned=keys.pinned_signing_keys(db))
        st.key = keys.seal_provider_key(pkey, provider.id, provider.key_generation, public_key)
        st.key_generation = provider.key_generation
        st.status = StaffStatus.CONFIRMED
        touch(st, actor)
        events.record(s, actor, EventType.STAFF_CONFIRMED, provider_id=provider.id, provider_user_id=st.id,
                      account_id=st.account_id, detail={"email": st.email})
        s.flush()
        return _view(st)


def change_role(db: Database, actor: Actor, ref: str | uuid.UUID, role: StaffRole | str,
                expected_version: int | None = None) -> StaffView:
    if isinstance(role, str):
        try:
            role = {"admin": StaffRole.PROVIDER_ADMIN, "service": StaffRole.SERVICE_USER}[role.lower()]
        except KeyError:
            raise BadInput("role: use admin or service", "role") from None
    with db.write() as s:
        check(s, actor, Action.MANAGE_STAFF)
        st = find_staff(s, actor.provider_id, ref)
        check_version(s, st, expected_version, f"Staff member {st.email}")
        if st.role == role:
            return _view(st)
        approvals.gate(s, actor, "change-staff-role",
                       {"staff": str(st.id), "role": "admin" if role == StaffRole.PROVIDER_ADMIN else "service"})
        if (st.role == StaffRole.PROVIDER_ADMIN and st.status == StaffStatus.CONFIRMED
                and confirmed_admin_count(s, actor.provider_id) <= 1):
            raise Refused("S5", LAST_ADMIN)
        old = StaffRole(st.role)
        st.role = role
        touch(st, actor)
        events.record(s, actor, EventType.STAFF_UPDATED, provider_id=actor.provider_id,
                      provider_user_id=st.id, account_id=st.account_id,
                      detail={"email": st.email, "role": [old.label, role.label]})
        s.flush()
        return _view(st)


def remove(db: Database, actor: Actor, ref: str | uuid.UUID) -> None:
    """Remove a staff member and rotate the provider key, so their copy opens nothing new (event 1803)."""
    with db.write() as s:
        check(s, actor, Action.MANAGE_STAFF)
        st = find_staff(s, actor.provider_id, ref)
        if st.account_id == actor.account_id:
            raise Refused("S5", "You cannot remove yourself.")
        approvals.gate(s, actor, "remove-staff", {"staff": str(st.id)})
        if (st.role == StaffRole.PROVIDER_ADMIN and st.status == StaffStatus.CONFIRMED
                and confirmed_admin_count(s, actor.provider_id) <= 1):
            raise Refused("S5", LAST_ADMIN)
        was_confirmed = st.status == StaffStatus.CONFIRMED
        events.record(s, actor, EventType.STAFF_REMOVED, provider_id=actor.provider_id,
                      provider_user_id=st.id, account_id=st.account_id,
                      detail={"email": st.email, "role": StaffRole(st.role).label})
        s.delete(st)
        s.flush()
        if was_confirmed:
            rotate_provider_key(s, actor)


def rotate_provider_key(s: Session, actor: Actor) -> int:
    """New provider key: every client's org key re-wrapped, re-sealed to each confirmed staff member."""
    provider = s.get(Provider, actor.provider_id)
    old_key = keys.provider_key(s, actor, provider.id)
    old_gen = provider.key_generation
    new_key = crypto.random_key()
    new_gen = old_gen + 1
    clients = s.execute(select(Client).where(Client.provider_id == provider.id)).scalars().all()
    for link in clients:
        if link.key is None:
            continue
        org_key = crypto.decrypt(old_key, link.key, keys.org_key_aad(link.organization_id, link.key_generation))
        link.key = keys.wrap_org_key_for_provider(org_key, link.organization_id, new_key, new_gen)
        link.key_generation = new_gen
    for st in s.execute(select(Staff).where(Staff.provider_id == provider.id,
                                            Staff.status == StaffStatus.CONFIRMED)).scalars():
        account = s.get(Account, st.account_id)
        if not crypto.public_key_vouched(account):
            # A key swapped in the database since confirmation gets nothing; the person's old copy
            # opens nothing new, and an admin confirms them again (comparing the phrase) to restore it.
            st.key, st.key_generation = None, None
            continue
        st.key = keys.seal_provider_key(new_key, provider.id, new_gen, account.public_key)
        st.key_generation = new_gen
    keys.rewrap_system_key(provider, old_key, old_gen, new_key, new_gen)
    provider.key_generation = new_gen
    touch(provider, actor)
    actor.key_cache.clear()
    return len(clients)
