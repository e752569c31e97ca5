"""A client's members: invite, re-invite, confirm, role and custom flags, revoke, restore, remove."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from msp_tui.core import clock, events, invitation_secret, keys, permissions
from msp_tui.core.access import Action, Kind, Standing, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberRole, MemberStatus, RevocationReason
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import Account, Group, GroupMember, Member, Organization
from msp_tui.core.schemas import MemberInvite, MemberRoleChange, parse
from msp_tui.core.services.common import (as_uuid, check_version, find_client, invitation_expired,
                                          refresh_seats, touch)

ONLY_OWNER = "Only an Owner can configure another Owner's account."
CUSTOM_NO_ADMINS = "Custom users can not manage Admins or Owners."
CUSTOM_SAME_FLAGS = "Custom users can only grant the same custom permissions that they have."


@dataclass(frozen=True)
class MemberView:
    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    name: str
    role: MemberRole
    status: MemberStatus
    permissions: frozenset[str]
    two_factor_enabled: bool
    groups: tuple[str, ...]
    invited_at: datetime
    invitation_expired: bool
    revocation_reason: RevocationReason | None
    account_id: uuid.UUID | None
    version: int
    #: The invitation's one-time secret, only in what reinvite returns (never stored).
    invite_secret: str | None = None
    #: Enrolled in account recovery (policy 8): their user key is sealed to the organization's key.
    recovery_enrolled: bool = False


def _view(m: Member, groups: tuple[str, ...] = (), secret: str | None = None) -> MemberView:
    return MemberView(
        id=m.id, organization_id=m.organization_id, email=m.email, name=m.account.name if m.account else "",
        role=MemberRole(m.role), status=MemberStatus(m.status), permissions=permissions.parse(m.permissions),
        two_factor_enabled=bool(m.account and m.account.two_factor_enabled), groups=groups,
        invited_at=m.invited_at,
        invitation_expired=m.status == MemberStatus.INVITED and invitation_expired(m.invited_at),
        revocation_reason=RevocationReason(m.revocation_reason) if m.revocation_reason is not None else None,
        account_id=m.account_id, version=m.version, invite_secret=secret,
        recovery_enrolled=m.reset_password_key is not None)


def _org_for(s: Session, actor: Actor, client: str | uuid.UUID) -> Organization:
    ident = as_uuid(client)
    if ident is not None:
        org = s.get(Organization, ident)
        if org is not None:
            return org
    return find_client(s, actor.provider_id, client)


def find_member(s: Session, org: Organization, ref: str | uuid.UUID) -> Member:
    ident = as_uuid(ref)
    stmt = select(Member).where(Member.organization_id == org.id)
    stmt = stmt.where(Member.id == ident) if ident else stmt.where(Member.email == str(ref).strip().lower())
    m = s.execute(stmt).scalar_one_or_none()
    if m is None:
        raise NotFound(f"No member {str(ref)!r} in {org.name}.", "member")
    return m


def guard_role(standing: Standing, current: MemberRole | None, new: MemberRole | None,
               new_flags: frozenset[str] = frozenset()) -> None:
    """The reference's guards on who may set which role (raise Refused)."""
    if standing.is_staff or standing.kind == Kind.OWNER:
        return
    roles = {r for r in (current, new) if r is not None}
    if standing.kind == Kind.CUSTOM:
        if roles & {MemberRole.OWNER, MemberRole.ADMIN}:
            raise Refused("roles", CUSTOM_NO_ADMINS)
        if new == MemberRole.CUSTOM and not new_flags <= standing.flags:
            raise Refused("roles", CUSTOM_SAME_FLAGS)
        return
    if MemberRole.OWNER in roles:
        raise Refused("roles", ONLY_OWNER)


def _group_names(s: Session, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    out: dict[uuid.UUID, list[str]] = {}
    if member_ids:
        for mid, name in s.execute(select(GroupMember.member_id, Group.name).join(
                Group, Group.id == GroupMember.group_id).where(GroupMember.member_id.in_(member_ids))
                .order_by(Group.name)):
            out.setdefault(mid, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


def list_members(db: Database, actor: Actor, client: str | uuid.UUID) -> list[MemberView]:
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.VIEW_MEMBERS, organization_id=org.id)
        rows = s.execute(select(Member).where(Member.organization_id == org.id)
                         .order_by(Member.role, Member.email)).scalars().all()
        groups = _group_names(s, [m.id for m in rows])
        return [_view(m, groups.get(m.id, ())) for m in rows]


def _record(s, actor, type_, m: Member, **detail) -> None:
    events.record(s, actor, type_, organization_id=m.organization_id, organization_user_id=m.id,
                  account_id=m.account_id, detail={"email": m.email, **detail})


@dataclass(frozen=True)
class MemberInviteResult:
    invited: list[str]
    skipped: list[str]
    #: email -> the invitation's one-time secret, to give to that person (shown once, stored as a hash).
    secrets: dict[str, str] = field(default_factory=dict)


def invite(db: Database, actor: Actor, client: str | uuid.UUID, emails: list[str],
           role: MemberRole | str = MemberRole.USER, custom_permissions: frozenset[str] | set[str] = frozenset()
           ) -> MemberInviteResult:
    """Invite up to 20 people; refused when the seats would run out (event 1500 each)."""
    if isinstance(role, str):
        try:
            role = MemberRole[role.strip().upper()]
        except KeyError:
            raise BadInput("role: use owner, admin, user or custom", "role") from None
    data = parse(MemberInvite, emails=emails, role=role, permissions=frozenset(custom_permissions))
    with db.write() as s:
        org = _org_for(s, actor, client)
        standing = check(s, actor, Action.MANAGE_MEMBERS, organization_id=org.id)
        guard_role(standing, None, data.role, data.permissions)
        if data.role == MemberRole.CUSTOM and not org.use_custom_permissions:
            raise Refused("plan", "The Custom role needs an Enterprise plan.")
        existing = set(s.execute(select(Member.email).where(Member.organization_id == org.id,
                                                            Member.email.in_(data.emails))).scalars())
        new = [e for e in data.emails if e not in existing]
        occupied = refresh_seats(s, org)
        if occupied + len(new) > org.seats:
            raise Refused("seats", f"{org.name} has {org.seats} seats and {occupied} are taken: "
                          f"inviting {len(new)} more needs {occupied + len(new) - org.seats} more seats.")
        secrets = {}
        for email in new:
            secrets[email], digest = invitation_secret.new()
            m = Member(organization_id=org.id, email=email, role=data.role, status=MemberStatus.INVITED,
                       invited_at=clock.now(), invite_secret_hash=digest,
                       permissions=permissions.dump(data.permissions) if data.role == MemberRole.CUSTOM else None)
            touch(m, actor)
            s.add(m)
            s.flush()
            _record(s, actor, EventType.MEMBER_INVITED, m, role=data.role.label)
        refresh_seats(s, org)
        return MemberInviteResult(new, sorted(existing), secrets)


def _each(db: Database, actor: Actor, client, refs, fn) -> list[MemberView]:
    """Run `fn(session, org, standing, member)` for each member in one transaction (bulk actions);
    what `fn` returns for a member (a new invitation secret) rides on its view."""
    with db.write() as s:
        org = _org_for(s, actor, client)
        standing = check(s, actor, Action.MANAGE_MEMBERS, organization_id=org.id)
        out = []
        for ref in refs:
            m = find_member(s, org, ref)
            extra = fn(s, org, standing, m)
            if s.is_modified(m):  # a no-op (same role) must not bump the version without an event
                touch(m, actor)
            out.append((m, extra))
        refresh_seats(s, org)
        s.flush()
        return [_view(m, secret=extra if isinstance(extra, str) else None) for m, extra in out]


def reinvite(db: Database, actor: Actor, client, refs: list) -> list[MemberView]:
    """Renew pending invitations (5 more days), each with a new one-time secret on its view
    (`invite_secret`); the old secret stops working."""
    def go(s, org, standing, m):
        if m.status != MemberStatus.INVITED:
            raise Refused("S1", f"{m.email}: only invitations still pending can be sent again.")
        guard_role(standing, MemberRole(m.role), None)
        m.invited_at = clock.now()
        secret, m.invite_secret_hash = invitation_secret.new()
        _record(s, actor, EventType.MEMBER_INVITED, m, reinvite=True)
        return secret
    return _each(db, actor, client, refs, go)


def confirm(db: Database, actor: Actor, client, refs: list, *,
            fingerprints: dict[str, str] | None = None) -> list[MemberView]:
    """Confirm accepted members: seal the org key to each one's public key (event 1501).

    Refused when a public key's signature fails, or when the phrase given in `fingerprints`
    (email → the phrase the admin compared with the person) is not that of the key on file."""
    phrases = {str(k).strip().lower(): v for k, v in (fingerprints or {}).items()}
    pinned = keys.pinned_signing_keys(db)

    def go(s, org, standing, m):
        if m.status != MemberStatus.ACCEPTED:
            raise Refused("S1", f"{m.email} is {MemberStatus(m.status).label.lower()}: only members who "
                          "accepted their invitation can be confirmed.")
        guard_role(standing, MemberRole(m.role), None)
        org_key = keys.org_key(s, actor, org.id)
        account = s.get(Account, m.account_id)
        public_key = keys.sealing_key(account, fingerprint=phrases.get(m.email.lower()), pinned=pinned)
        m.key = keys.seal_org_key_for_member(org_key, org.id, public_key)
        m.status = MemberStatus.CONFIRMED
        _record(s, actor, EventType.MEMBER_CONFIRMED, m)
    return _each(db, actor, client, refs, go)


LAST_OWNER = "The organization must keep at least one confirmed Owner."


def _other_confirmed_owner(s: Session, org: Organization, m: Member) -> bool:
    """Every organization keeps a confirmed Owner of its own. A client's provider does not count:
    the Owner is who holds the client once it is unlinked (the reference's unlink needs one)."""
    return s.execute(select(Member.id).where(
        Member.organization_id == org.id, Member.role == MemberRole.OWNER,
        Member.status == MemberStatus.CONFIRMED, Member.id != m.id)).first() is not None


def change_role(db: Database, actor: Actor, client, refs: list, role: MemberRole | str,
                custom_permissions: frozenset[str] | set[str] = frozenset(),
                expected_version: int | None = None) -> list[MemberView]:
    if isinstance(role, str):
        try:
            role = MemberRole[role.strip().upper()]
        except KeyError:
            raise BadInput("role: use owner, admin, user or custom", "role") from None
    data = parse(MemberRoleChange, role=role, permissions=frozenset(custom_permissions))

    def go(s, org, standing, m):
        check_version(s, m, expected_version if len(refs) == 1 else None, f"Member {m.email}")
        guard_role(standing, MemberRole(m.role), data.role, data.permissions)
        if data.role == MemberRole.CUSTOM and not org.use_custom_permissions:
            raise Refused("plan", "The Custom role needs an Enterprise plan.")
        if (m.role == MemberRole.OWNER and data.role != MemberRole.OWNER
                and m.status == MemberStatus.CONFIRMED and not _other_confirmed_owner(s, org, m)):
            raise Refused("owners", LAST_OWNER)
        old_role, old_flags = MemberRole(m.role), permissions.parse(m.permissions)
        new_flags = data.permissions if data.role == MemberRole.CUSTOM else frozenset()
        if old_role == data.role and old_flags == new_flags:
            return
        m.role = data.role
        m.permissions = permissions.dump(new_flags) if data.role == MemberRole.CUSTOM else None
        detail = {"role": [old_role.label, data.role.label]}
        if old_flags != new_flags:
            detail["permissions"] = [sorted(old_flags), sorted(new_flags)]
        _record(s, actor, EventType.MEMBER_UPDATED, m, **detail)
    return _each(db, actor, client, refs, go)


def revoke(db: Database, actor: Actor, client, refs: list,
           reason: RevocationReason = RevocationReason.MANUAL) -> list[MemberView]:
    def go(s, org, standing, m):
        if m.account_id is not None and m.account_id == actor.account_id:
            raise Refused("self", "You cannot revoke yourself.")
        if m.status == MemberStatus.REVOKED:
            raise Refused("status", f"{m.email} is already revoked.")
        guard_role(standing, MemberRole(m.role), None)
        if (m.role == MemberRole.OWNER and m.status == MemberStatus.CONFIRMED
                and not _other_confirmed_owner(s, org, m)):
            raise Refused("owners", LAST_OWNER)
        m.previous_status, m.status, m.revocation_reason = m.status, MemberStatus.REVOKED, int(reason)
        _record(s, actor, EventType.MEMBER_REVOKED, m, reason=reason.name.lower())
    return _each(db, actor, client, refs, go)


def restore(db: Database, actor: Actor, client, refs: list) -> list[MemberView]:
    def go(s, org, standing, m):
        if m.status != MemberStatus.REVOKED:
            raise Refused("status", f"{m.email} is not revoked.")
        guard_role(standing, MemberRole(m.role), None)
        occupied = refresh_seats(s, org)
        if occupied + 1 > org.seats:
            raise Refused("seats", f"{org.name} has {org.seats} seats and all are taken: restoring "
                          f"{m.email} needs one more seat.")
        back = MemberStatus(m.previous_status if m.previous_status is not None else MemberStatus.INVITED)
        m.status, m.previous_status, m.revocation_reason = back, None, None
        _record(s, actor, EventType.MEMBER_RESTORED, m, status=back.label)
        refresh_seats(s, org)
    return _each(db, actor, client, refs, go)


def remove(db: Database, actor: Actor, client, refs: list) -> int:
    with db.write() as s:
        org = _org_for(s, actor, client)
        standing = check(s, actor, Action.MANAGE_MEMBERS, organization_id=org.id)
        for ref in refs:
            m = find_member(s, org, ref)
            if m.account_id is not None and m.account_id == actor.account_id:
                raise Refused("self", "You cannot remove yourself.")
            guard_role(standing, MemberRole(m.role), None)
            if (m.role == MemberRole.OWNER and m.status == MemberStatus.CONFIRMED
                    and not _other_confirmed_owner(s, org, m)):
                raise Refused("owners", LAST_OWNER)
            _record(s, actor, EventType.MEMBER_REMOVED, m, role=MemberRole(m.role).label)
            s.delete(m)
        refresh_seats(s, org)
        return len(refs)


def set_groups(db: Database, actor: Actor, client, ref, group_ids: list[uuid.UUID]) -> MemberView:
    with db.write() as s:
        org = _org_for(s, actor, client)
        standing = check(s, actor, Action.MANAGE_MEMBERS, organization_id=org.id)
        m = find_member(s, org, ref)
        guard_role(standing, MemberRole(m.role), None)
        valid = set(s.execute(select(Group.id).where(Group.organization_id == org.id,
                                                     Group.id.in_(group_ids))).scalars())
        if len(valid) != len(set(group_ids)):
            raise NotFound("A group given is not in this organization.", "group")
        current = set(s.execute(select(GroupMember.group_id).where(GroupMember.member_id == m.id)).scalars())
        for gid in current - valid:
            s.execute(GroupMember.__table__.delete().where(GroupMember.member_id == m.id,
                                                           GroupMember.group_id == gid))
        for gid in valid - current:
            s.add(GroupMember(group_id=gid, member_id=m.id))
        if current != valid:
            touch(m, actor)
            _record(s, actor, EventType.MEMBER_UPDATED_GROUPS, m, groups=len(valid))
        s.flush()
        return _view(m, tuple(_group_names(s, [m.id]).get(m.id, ())))
