"""Account recovery (policy 8, "Account recovery administration"; issue 16).

With the policy on for a client, a member enrols: their user key is sealed to the organization's
public key (`Member.reset_password_key`, the reference's ResetPasswordKey), by themselves
(`enrol`, `msp-tui account recovery enrol CLIENT`) or automatically when they accept the invitation
and the policy's automatic enrolment is on (`auto_enrol_at_accept`). No admin needs to be present:
the public key is in the clear.

Recovery (`recover`, `msp-tui members recover CLIENT EMAIL`): someone who reaches the org key (an
Owner, an Admin, a Custom member with the account-recovery permission, the provider's staff) opens the
org private key with it, unseals the member's user key, and wraps that same user key under a temporary
master password (new salt, the account's KDF settings). The keys do not change, so the member's items
still open; nobody ever sees the old master password. The account is marked to change the temporary
password at its next sign-in before anything else (the same flow as policy 1's enforce on login).

Provider staff stay unrecoverable (rule S11): a person on any provider's staff is never enrolled, a
member who joins a provider's staff loses their enrolments, and recovery refuses them anyway.

Who may recover whom is the reference's "equal or greater" rule: only an Owner (or provider staff)
recovers an Owner, an Admin only by an Owner or Admin (or staff); Custom members recover Users and
Custom members. At the time of auto-enrolment an Accepted member does not hold the org key yet, so
they cannot check the org public key against its private half (a key swapped in the database would
receive their user key); enrolling by hand as a Confirmed member checks it. See docs/security.md.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from msp_tui.core import crypto, events, keys
from msp_tui.core import policies as catalogue
from msp_tui.core.access import Action, Kind, decide
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberRole, MemberStatus, PolicyType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.models import Account, Member, Organization, Policy, Staff
from msp_tui.core.services.common import as_uuid, find_client, touch

POLICY = "Account recovery administration"
NOT_ON = "{client} does not have the Account recovery administration policy on: account recovery is off there."
NOT_ENROLLED = ("{email} is not enrolled in account recovery for {client}: their master password cannot be "
                "reset. Only members who enrolled (themselves, or automatically when they joined) can be "
                "recovered.")
STAFF_NEVER = ("{email} is provider staff: a provider staff member's master password is never recoverable "
               "(rule S11), so they are never enrolled in account recovery.")
AUTO_NO_WITHDRAW = ("{client}'s Account recovery administration policy enrols members automatically: "
                    "withdrawing is not allowed there.")
#: What sign-in says to a person whose master password an account recovery reset.
RESET_FIRST = ("Your master password was reset by an account recovery: replace the temporary password first "
               "with `msp-tui account password`.")


def recovery_aad(organization_id: uuid.UUID, account_id: uuid.UUID) -> bytes:
    return crypto.aad("account-recovery", organization_id, account_id)


def _policy(s, organization_id: uuid.UUID) -> catalogue.ResetPasswordOptions | None:
    """The client's policy 8 options when it is on; None when off."""
    row = s.execute(select(Policy).where(Policy.organization_id == organization_id,
                                         Policy.type == int(PolicyType.RESET_PASSWORD))).scalar_one_or_none()
    if row is None or not row.enabled:
        return None
    return catalogue.load_options(PolicyType.RESET_PASSWORD, row.data)


def is_staff(s, account_id: uuid.UUID | None) -> bool:
    """On any provider's staff (invited-and-accepted or confirmed): never enrolled (S11)."""
    if account_id is None:
        return False
    return s.execute(select(Staff.id).where(Staff.account_id == account_id).limit(1)).first() is not None


def _seal(org: Organization, account_id: uuid.UUID, user_key: bytes) -> bytes:
    if org.public_key is None:
        raise Refused("keys", f"{org.name} has no organization key pair to seal a recovery key to.")
    return crypto.seal(bytes(org.public_key), user_key, recovery_aad(org.id, account_id))


def _record(s, actor: Actor | None, type_: EventType, m: Member, **detail) -> None:
    events.record(s, actor, type_, organization_id=m.organization_id, organization_user_id=m.id,
                  account_id=m.account_id, detail={"email": m.email, **detail})


def auto_enrol_at_accept(s, actor: Actor, member: Member, secrets: crypto.AccountSecrets) -> bool:
    """At accept (same transaction): enrol when the client's policy 8 enrols automatically (event 1506,
    detail automatic). Staff are never enrolled. True when enrolled."""
    options = _policy(s, member.organization_id)
    if options is None or not options.auto_enroll_enabled or is_staff(s, member.account_id):
        return False
    org = s.get(Organization, member.organization_id)
    member.reset_password_key = _seal(org, member.account_id, secrets.user_key)
    _record(s, actor, EventType.MEMBER_RESET_PASSWORD_ENROLL, member, automatic=True)
    return True


def withdraw_staff(s, actor: Actor | None, account_id: uuid.UUID) -> int:
    """A person joining a provider's staff loses every enrolment (S11): event 1507 for each."""
    n = 0
    for m in s.execute(select(Member).where(Member.account_id == account_id,
                                            Member.reset_password_key.is_not(None))).scalars():
        m.reset_password_key = None
        _record(s, actor, EventType.MEMBER_RESET_PASSWORD_WITHDRAW, m, reason="joined provider staff (S11)")
        n += 1
    return n


def _own_membership(s, actor: Actor, client) -> tuple[Organization, Member]:
    """The actor's own membership of a client (by name or id among their organizations)."""
    ident = as_uuid(client)
    stmt = select(Member, Organization).join(Organization, Organization.id == Member.organization_id).where(
        Member.account_id == actor.account_id)
    if ident is not None:
        stmt = stmt.where(Organization.id == ident)
    else:
        stmt = stmt.where(Organization.name_lower == str(client).strip().lower())
    row = s.execute(stmt).first()
    if row is None:
        raise BadInput(f"You are not a member of {client!r}.", "client")
    return row[1], row[0]


def _check_org_public_key(s, actor: Actor, org: Organization) -> None:
    """A Confirmed member holds the org key: the public key on file must be that of the private key it
    wraps, so a key swapped in the database does not receive their user key."""
    try:
        org_key = keys.org_key(s, actor, org.id)
        private = crypto.decrypt(org_key, org.protected_private_key, crypto.aad("org-private-key", org.id))
    except (Refused, crypto.DecryptionError):
        raise Refused("keys", f"{org.name}'s organization key pair does not open with the organization key: "
                      "nothing was sealed to it.") from None
    if crypto.public_of(private) != bytes(org.public_key):
        raise Refused("keys", f"{org.name}'s public key on file is not that of its private key (replaced in "
                      "the database): nothing was sealed to it.")


def _memberships(s, actor: Actor, client) -> list[tuple[Organization, Member]]:
    """The actor's own membership of one client (by name or id), or (client None) of every organization
    whose policy 8 is on."""
    if client is not None:
        return [_own_membership(s, actor, client)]
    rows = s.execute(select(Organization, Member).join(Member, Member.organization_id == Organization.id)
                     .where(Member.account_id == actor.account_id).order_by(Organization.name_lower)).all()
    return [(org, m) for org, m in rows if _policy(s, org.id) is not None]


def enrol(db: Database, actor: Actor, client=None) -> list[str]:
    """Enrol oneself in a client's account recovery (event 1506), or (client None) in that of every
    client whose policy 8 is on; the names of the clients one is now enrolled in. Provider staff are
    refused naming a client, and enrolled nowhere without one (S11)."""
    if actor.secrets is None:
        raise Refused("locked", "The session is locked; unlock it with your master password.")
    with db.write() as s:
        chosen = _memberships(s, actor, client)
        if is_staff(s, actor.account_id):
            if client is None:
                return []
            raise Refused("S11", STAFF_NEVER.format(email=actor.email))
        done = []
        for org, m in chosen:
            if _policy(s, org.id) is None:
                raise Refused("account-recovery", NOT_ON.format(client=org.name))
            if m.status not in (MemberStatus.ACCEPTED, MemberStatus.CONFIRMED):
                if client is None:
                    continue
                raise Refused("account-recovery", f"Your membership of {org.name} is "
                              f"{MemberStatus(m.status).label.lower()}: only accepted or confirmed members enrol.")
            done.append(org.name)
            if m.reset_password_key is not None:
                continue
            if m.status == MemberStatus.CONFIRMED:
                _check_org_public_key(s, actor, org)
            m.reset_password_key = _seal(org, actor.account_id, actor.secrets.user_key)
            touch(m, actor)
            _record(s, actor, EventType.MEMBER_RESET_PASSWORD_ENROLL, m)
        return done


def withdraw(db: Database, actor: Actor, client=None) -> list[str]:
    """Withdraw oneself from a client's account recovery (event 1507), or (client None) from every one
    that allows it; refused naming a client whose policy enrols automatically (the reference). The
    names of the clients one withdrew from."""
    with db.write() as s:
        done = []
        for org, m in _memberships(s, actor, client):
            if m.reset_password_key is None:
                continue
            options = _policy(s, org.id)
            if options is not None and options.auto_enroll_enabled:
                if client is None:
                    continue
                raise Refused("account-recovery", AUTO_NO_WITHDRAW.format(client=org.name))
            m.reset_password_key = None
            touch(m, actor)
            _record(s, actor, EventType.MEMBER_RESET_PASSWORD_WITHDRAW, m)
            done.append(org.name)
        return done


@dataclass(frozen=True)
class Enrolment:
    client: str
    organization_id: uuid.UUID
    policy_on: bool
    automatic: bool
    enrolled: bool


def my_enrolments(db: Database, actor: Actor) -> list[Enrolment]:
    """Each organization the person belongs to (not Invited), with policy 8 and their enrolment."""
    with db.read() as s:
        rows = s.execute(select(Member, Organization).join(Organization, Organization.id == Member.organization_id)
                         .where(Member.account_id == actor.account_id,
                                Member.status != int(MemberStatus.INVITED))
                         .order_by(Organization.name_lower)).all()
        out = []
        for m, org in rows:
            options = _policy(s, org.id)
            out.append(Enrolment(org.name, org.id, options is not None,
                                 bool(options and options.auto_enroll_enabled), m.reset_password_key is not None))
        return out


def _rank_refusal(standing, role: MemberRole) -> str | None:
    """The reference's "equal or greater" rule (RecoverAccountAuthorizationHandler)."""
    if standing.is_staff or standing.kind == Kind.OWNER:
        return None
    if role == MemberRole.OWNER:
        return "Only an Owner (or provider staff) can recover an Owner's account."
    if role == MemberRole.ADMIN and standing.kind != Kind.ADMIN:
        return "Only an Owner or an Admin (or provider staff) can recover an Admin's account."
    return None


def _refusal(s, actor: Actor, standing, org: Organization, m) -> tuple[str, str] | None:
    """(rule, sentence) when recovering member `m` (a Member or MemberView) would be refused, in the order
    `recover` checks; None when allowed. One home for the command line's refusal and the screen's greying."""
    decision = decide(standing, Action.RECOVER_ACCOUNT)
    if not decision.allowed:
        return decision.rule, decision.reason
    if _policy(s, org.id) is None:
        return "account-recovery", NOT_ON.format(client=org.name)
    if m.account_id is None or m.status == MemberStatus.INVITED:
        return "account-recovery", f"{m.email} has not accepted their invitation: there is no account to recover."
    if is_staff(s, m.account_id):
        return "S11", STAFF_NEVER.format(email=m.email)
    enrolled = m.recovery_enrolled if hasattr(m, "recovery_enrolled") else m.reset_password_key is not None
    if not enrolled:
        return "account-recovery", NOT_ENROLLED.format(email=m.email, client=org.name)
    if m.account_id == actor.account_id:
        return "account-recovery", ("You cannot recover your own account: change your master password with "
                                    "`msp-tui account password`.")
    why = _rank_refusal(standing, MemberRole(m.role))
    return ("roles", why) if why else None


def recover_refusals(s, actor: Actor, standing, org: Organization, views) -> dict[uuid.UUID, str | None]:
    """For the members screen: why recovering each member would be refused (None = allowed)."""
    out = {}
    for v in views:
        found = _refusal(s, actor, standing, org, v)
        out[v.id] = found[1] if found else None
    return out


def recover(db: Database, actor: Actor, client, member_ref, temporary_password: str) -> str:
    """Reset an enrolled member's master password to a temporary one (event 1508); the member's email.

    Refused: without the permission (access table), without policy 8 on, for an unenrolled member,
    for provider staff (S11), for a role above the actor's, or when the temporary password falls short
    of the Master password requirements (policy 1) binding the member."""
    from msp_tui.core.access import standing_for
    from msp_tui.core.schemas import NewAccount, parse
    from msp_tui.core.services.accounts import check_master_password, master_password_policy
    from msp_tui.core.services.members import find_member

    with db.write() as s:
        org = _org(s, actor, client)
        standing = standing_for(s, actor, organization_id=org.id)
        decide(standing, Action.RECOVER_ACCOUNT).require()  # before anything about its members is read
        m = find_member(s, org, member_ref)
        refused = _refusal(s, actor, standing, org, m)
        if refused:
            raise Refused(*refused)
        account = s.get(Account, m.account_id)
        data = parse(NewAccount, email=account.email, name="", password=temporary_password)
        check_master_password(master_password_policy(s, account.id), data.password, account.email)
        org_key = keys.org_key(s, actor, org.id)
        try:
            private = crypto.decrypt(org_key, org.protected_private_key, crypto.aad("org-private-key", org.id))
            user_key = crypto.unseal(private, m.reset_password_key, recovery_aad(org.id, account.id))
            # The recovered key must be the account's own: it opens their private key.
            crypto.decrypt(user_key, account.protected_private_key, crypto.aad("private-key", account.id))
        except crypto.DecryptionError:
            raise Refused("keys", f"{m.email}'s recovery key does not open (damaged, or sealed to another key): "
                          "nothing was changed. They can enrol again once they sign in.") from None
        salt = os.urandom(16)
        params = crypto.KdfParams(account.kdf_memory_kib, account.kdf_iterations, account.kdf_parallelism)
        master_key = crypto.derive_master_key(data.password, salt, params)
        account.kdf_salt = salt
        account.protected_user_key = crypto.encrypt(master_key, user_key, crypto.aad("user-key", account.id))
        account.force_password_reset = True
        account.failed_login_count = 0
        touch(account, actor)
        _record(s, actor, EventType.MEMBER_ADMIN_RESET_PASSWORD, m)
        return m.email


def _org(s, actor: Actor, client) -> Organization:
    ident = as_uuid(client)
    if ident is not None:
        org = s.get(Organization, ident)
        if org is not None:
            return org
    return find_client(s, actor.provider_id, client)


def must_replace_temporary(s, account_id: uuid.UUID) -> bool:
    """Whether the account signs in with a temporary password an account recovery set."""
    return bool(s.execute(select(Account.force_password_reset).where(Account.id == account_id)).scalar())

