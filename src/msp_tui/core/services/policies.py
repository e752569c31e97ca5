"""A client's policies (S7, §6); templates and drift are in policy_templates (also reachable here).

Each client has its own policy rows (one per type). Saving is allowed on Enterprise clients only,
keeps the Single organization dependency, refuses stale edits and records event 1700 saying what
changed from what to what. Turning on Require two-step login or Single organization revokes the
members the reference revokes, in the same transaction (events 1520 / 1521); `preview()` says who
before anyone confirms.

Templates: a provider's named set of policies. `apply_template()` runs as a dry run (what would
change and whom it would revoke, client by client) or for real, one transaction per client, and
marks each client as following the template. `drift_report()` lists each client whose policies
differ from its template; `accept_deviation()` takes one difference out of the report on purpose.

Exemptions, as decided here (reference §4.3):
- Owners and Admins are never revoked by either policy; provider staff are not members, so exempt.
- Only Accepted and Confirmed members are revoked. Invited members have no account yet, so there is
  no two-step-login state or other membership to judge; they are listed as exempt ("invited") and
  the policy applies to them once they accept. Revoked members stay as they are.
- Single organization counts another organization when the person's membership there is anything
  but Invited (as the reference's handler does).
- Accepted deviations are kept when a template is applied again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.orm import Session

from msp_tui.core import clock, events
from msp_tui.core import policies as catalogue
from msp_tui.core.access import Action, check, decide
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import (EventType, MemberRole, MemberStatus, PlanType, PolicyType, RevocationReason,
                                StaffStatus)
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import (Account, Client, ClientTemplate, Member, Organization, Policy, PolicyDeviation,
                                 PolicyTemplate, PolicyTemplateItem, Staff)
from msp_tui.core.services import approvals
from msp_tui.core.services.common import as_uuid, check_version, find_client, refresh_seats, touch

P = PolicyType
ENTERPRISE_ONLY = "Policies can be saved only on Enterprise clients: {name} is on {plan}."
EXEMPT_ROLES = (MemberRole.OWNER, MemberRole.ADMIN)
REVOCABLE_STATUSES = (MemberStatus.ACCEPTED, MemberStatus.CONFIRMED)


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyView:
    organization_id: uuid.UUID
    type: PolicyType
    name: str
    slug: str
    enabled: bool
    #: Options with snake_case keys (defaults where the policy was never saved).
    options: dict
    summary: str
    requires_single_org: bool
    #: 0 when the policy was never saved (pass it back as expected_version).
    version: int
    id: uuid.UUID | None = None
    revision_date: datetime | None = None
    #: 'matches', 'differs', 'accepted' (a deviation on purpose) or None (no template covers it).
    template_state: str | None = None


@dataclass(frozen=True)
class ClientPolicies:
    organization_id: uuid.UUID
    client_name: str
    plan: PlanType
    enterprise: bool
    template: str | None
    policies: list[PolicyView]
    can_edit: bool
    #: Why the signed-in person cannot save here ('' when they can).
    reason: str = ""

    def by_type(self, type_: int) -> PolicyView:
        return next(p for p in self.policies if p.type == type_)


@dataclass(frozen=True)
class MemberEffect:
    member_id: uuid.UUID
    email: str
    name: str
    role: MemberRole
    status: MemberStatus
    #: Why revoked (RevocationReason name) or why exempt.
    why: str


@dataclass(frozen=True)
class ChangePreview:
    organization_id: uuid.UUID
    type: PolicyType
    turn_on: bool
    revoke: list[MemberEffect]
    exempt: list[MemberEffect]
    #: The dependency or plan refusal this change would meet (None if it would be saved).
    error: str | None = None


@dataclass(frozen=True)
class PolicyChange:
    policy: PolicyView
    changed: bool
    revoked: list[MemberEffect]
    #: What changed, as the event detail says it.
    changes: str = ""


# --- which policies bind a person -----------------------------------------------------------------

#: The reference's overrides of BasePolicyRequirementFactory's exemptions (§4.3).
#: The reference's client applies the Password generator policy to everyone, Owners and Admins too.
NO_ROLE_EXEMPTION = frozenset({P.MASTER_PASSWORD, P.RESET_PASSWORD, P.PASSWORD_GENERATOR})
NO_STATUS_EXEMPTION = frozenset({P.TWO_FACTOR_AUTHENTICATION, P.SINGLE_ORG})
PROVIDERS_NOT_EXEMPT = frozenset({P.RESET_PASSWORD})
#: The reference's client exempts only Owners from Vault timeout (Admins are bound).
ONLY_OWNERS_EXEMPT = frozenset({P.MAXIMUM_VAULT_TIMEOUT})
EXEMPT_STATUSES = (MemberStatus.INVITED, MemberStatus.REVOKED)


@dataclass(frozen=True)
class Binding:
    """One client's enabled policy that applies to a person."""

    organization_id: uuid.UUID
    client_name: str
    options: catalogue.Options


def binding(s: Session, account_id: uuid.UUID | None, type_: PolicyType) -> list[Binding]:
    """Every client whose policy `type_` is on and applies to this account, with the reference's
    exemptions: Owners and Admins, Invited and Revoked members and the client's own provider staff,
    except where §4.3 overrides them. Empty for anyone bound by none; callers apply the strictest."""
    if account_id is None:
        return []
    t = PolicyType(int(type_))
    rows = s.execute(
        select(Member.organization_id, Member.role, Member.status, Policy.data, Organization.name,
               Client.provider_id)
        .join(Policy, and_(Policy.organization_id == Member.organization_id, Policy.type == int(t),
                           Policy.enabled.is_(True)))
        .join(Organization, Organization.id == Member.organization_id)
        .outerjoin(Client, Client.organization_id == Member.organization_id)
        .where(Member.account_id == account_id)
        .order_by(Organization.name_lower)).all()
    if not rows:
        return []
    staff_of = set(s.execute(select(Staff.provider_id).where(
        Staff.account_id == account_id, Staff.status == int(StaffStatus.CONFIRMED))).scalars())
    out = []
    for r in rows:
        exempt_roles = (MemberRole.OWNER,) if t in ONLY_OWNERS_EXEMPT else EXEMPT_ROLES
        if t not in NO_ROLE_EXEMPTION and r.role in exempt_roles:
            continue
        if t not in NO_STATUS_EXEMPTION and r.status in EXEMPT_STATUSES:
            continue
        if t not in PROVIDERS_NOT_EXEMPT and r.provider_id is not None and r.provider_id in staff_of:
            continue
        out.append(Binding(r.organization_id, r.name, catalogue.load_options(t, r.data)))
    return out


# --- 10 Remove individual vault export (docs/policies.md) ----------------------------------------

#: The reference client's refusal (i18n personalVaultExportPolicyInEffect); the reference server has none.
PERSONAL_EXPORT_MESSAGE = "One or more organization policies prevents you from exporting your individual vault."


def refuse_personal_vault_export(s: Session, actor: Actor) -> None:
    """Refused when any client binding this person has Remove individual vault export on (the
    strictest wins; Owners, Admins and the client's provider staff are exempt as the reference's
    default). The vault export calls this before it reads a personal item."""
    bound = binding(s, actor.account_id, P.DISABLE_PERSONAL_VAULT_EXPORT)
    if bound:
        names = ", ".join(b.client_name for b in bound[:3]) + (" and others" if len(bound) > 3 else "")
        raise Refused("remove-individual-vault-export", f"{PERSONAL_EXPORT_MESSAGE} (the "
                      f"{catalogue.SPECS[P.DISABLE_PERSONAL_VAULT_EXPORT].name} policy of {names})")


def check_personal_vault_export(db: Database, actor: Actor) -> None:
    """`refuse_personal_vault_export` in its own read, for callers without a session."""
    with db.read() as s:
        refuse_personal_vault_export(s, actor)


# --- 3 Single organization at accept (docs/policies.md) -------------------------------------------

#: The reference server's refusals when accepting an invitation (AcceptOrgUserCommand).
SINGLE_ORG_JOIN_REFUSED = "You may not join this organization until you leave or remove all other organizations."
SINGLE_ORG_MEMBER_ELSEWHERE = ("You cannot join this organization because you are a member of another "
                               "organization which forbids it")


def refuse_joining(s: Session, account_id: uuid.UUID, member: Member) -> None:
    """Accepting `member` (an invitation) with an existing account: refused when the joining client has
    Single organization on and the person belongs to another organization (unless invited as Owner or
    Admin, or staff of the client's provider), or when another client binding them has it on."""
    others = s.execute(select(Member.organization_id, Member.role, Member.status).where(
        Member.account_id == account_id, Member.organization_id != member.organization_id)).all()
    if not others:
        return
    staff_of = set(s.execute(select(Staff.provider_id).where(
        Staff.account_id == account_id, Staff.status == int(StaffStatus.CONFIRMED))).scalars())

    def policy_on(org_id) -> tuple[str, uuid.UUID | None] | None:
        row = s.execute(select(Organization.name, Client.provider_id)
                        .join(Policy, and_(Policy.organization_id == Organization.id,
                                           Policy.type == int(P.SINGLE_ORG), Policy.enabled.is_(True)))
                        .outerjoin(Client, Client.organization_id == Organization.id)
                        .where(Organization.id == org_id)).first()
        return None if row is None or row.provider_id in staff_of and row.provider_id is not None else row

    name = catalogue.SPECS[P.SINGLE_ORG].name
    joining = policy_on(member.organization_id)
    if joining is not None and member.role not in EXEMPT_ROLES:
        raise Refused("single-organization", f"{SINGLE_ORG_JOIN_REFUSED} (the {name} policy of {joining.name})")
    for o in others:
        if o.role in EXEMPT_ROLES or o.status not in (MemberStatus.ACCEPTED, MemberStatus.CONFIRMED):
            continue
        other = policy_on(o.organization_id)
        if other is not None:
            raise Refused("single-organization",
                          f"{SINGLE_ORG_MEMBER_ELSEWHERE} (the {name} policy of {other.name}).")


# --- 2 Password generator (docs/policies.md; the generator is core.generator) -------------------


def generator_policy(db: Database, actor: Actor, client=None) -> tuple[catalogue.PasswordGeneratorOptions | None,
                                                                       list[str]]:
    """The Password generator policy bounding what this person generates, and the clients it comes
    from. For an item going to `client`: that client's policy, for everyone who saves there. For a
    personal item (no client): the strictest of every client the person belongs to (no role exempt)."""
    from msp_tui.core import generator

    with db.read() as s:
        if client is not None:
            org = _org(s, actor, client)
            if actor.provider_id is None and s.execute(select(Member.id).where(
                    Member.organization_id == org.id, Member.account_id == actor.account_id)).first() is None:
                raise NotFound(f"No client {str(client)!r}.", "client")  # not one of theirs: say nothing
            row = s.execute(select(Policy).where(Policy.organization_id == org.id,
                                                 Policy.type == int(P.PASSWORD_GENERATOR),
                                                 Policy.enabled.is_(True))).scalar_one_or_none()
            if row is None:
                return None, []
            return catalogue.load_options(P.PASSWORD_GENERATOR, row.data), [org.name]
        bound = binding(s, actor.account_id, P.PASSWORD_GENERATOR)
        return generator.combine([b.options for b in bound]), [b.client_name for b in bound]


def generate_for(db: Database, actor: Actor, client=None, asked=None) -> str:
    """A password for an item going to `client` (None: a personal item), raised to the policy."""
    from msp_tui.core import generator

    policy, _ = generator_policy(db, actor, client)
    return generator.generate(generator.bounded(asked or generator.GeneratorOptions(), policy))


# --- 9 Vault timeout (docs/policies.md; the UI's IdleLock applies it) ------------------------------


@dataclass(frozen=True)
class VaultTimeout:
    """How long a person's session may stay idle, and what happens then."""

    minutes: int
    #: "lock" (drop the keys, ask the master password) or "logOut" (back to sign-in).
    action: str
    #: The clients whose Vault timeout policy set it; empty when it is the provider's idle time.
    clients: tuple[str, ...] = ()


def vault_timeout(db: Database, actor: Actor) -> VaultTimeout:
    """The provider's idle time (15 minutes by default), shortened by every client's Vault timeout
    policy binding this person: the fewest minutes win, and log out wins over lock."""
    from msp_tui.core.services.accounts import idle_lock_minutes

    base = idle_lock_minutes(db, actor.provider_id)
    with db.read() as s:
        bound = binding(s, actor.account_id, P.MAXIMUM_VAULT_TIMEOUT)
    if not bound:
        return VaultTimeout(base, "lock")
    action = "logOut" if any(b.options.action == "logOut" for b in bound) else "lock"
    return VaultTimeout(min([base, *(b.options.minutes for b in bound)]), action,
                        tuple(b.client_name for b in bound))


#: How often a running session reads its Vault timeout again: an admin's change applies within this
#: (one small read a minute at most), not only at the member's next sign-in.
TIMEOUT_REREAD = timedelta(minutes=1)


class IdleWatch:
    """A session's idle lock, as core decides it: the Vault timeout (vault_timeout) read at sign-in and
    again once TIMEOUT_REREAD has passed since the last read, so a policy or provider idle time changed
    while the person is signed in applies to the running session."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db, self.actor = db, actor
        self.timeout = vault_timeout(db, actor)
        self._read_at = clock.now()

    def current(self) -> VaultTimeout:
        if clock.now() - self._read_at >= TIMEOUT_REREAD:
            self.timeout, self._read_at = vault_timeout(self.db, self.actor), clock.now()
        return self.timeout

    def due(self, last_activity: datetime) -> VaultTimeout | None:
        """The timeout that has run out for a session idle since `last_activity`; None while it has not."""
        from msp_tui.core.services.accounts import idle_expired

        timeout = self.current()
        return timeout if idle_expired(last_activity, timeout.minutes) else None


# --- helpers ------------------------------------------------------------------------------------


def _org(s: Session, actor: Actor, client) -> Organization:
    ident = as_uuid(client)
    if ident is not None:
        org = s.get(Organization, ident)
        if org is not None:
            return org
    return find_client(s, actor.provider_id, client)


def _rows(s: Session, org_id: uuid.UUID) -> dict[int, Policy]:
    return {p.type: p for p in s.execute(select(Policy).where(Policy.organization_id == org_id)).scalars()}


def _enabled_set(rows: dict[int, Policy]) -> set[int]:
    return {t for t, p in rows.items() if p.enabled}


def _state_text(enabled: bool, type_: int, data: str | None) -> str:
    if not enabled:
        return "off"
    summary = catalogue.describe_options(type_, catalogue.load_options(type_, data))
    return f"on ({summary})" if summary else "on"


def _difference(type_: int, t_enabled: bool, t_data: str | None, p_enabled: bool,
                p_data: str | None) -> tuple[str, str]:
    """(template says, client has): when both are on, only the options that differ."""
    if not (t_enabled and p_enabled):
        return _state_text(t_enabled, type_, t_data), _state_text(p_enabled, type_, p_data)
    want = catalogue.load_options(type_, t_data).model_dump(by_alias=True)
    have = catalogue.load_options(type_, p_data).model_dump(by_alias=True)
    keys = [k for k in want if want[k] != have.get(k)]
    return (", ".join(f"{k} {want[k]}" for k in keys) or "on",
            ", ".join(f"{k} {have.get(k)}" for k in keys) or "on")


def _same(p_enabled: bool, p_data: str | None, t_enabled: bool, t_data: str | None) -> bool:
    """What drift compares: on/off, and the options when on."""
    if bool(p_enabled) != bool(t_enabled):
        return False
    return not t_enabled or (p_data or "") == (t_data or "")


def _policy_view(org_id: uuid.UUID, type_: PolicyType, row: Policy | None, template_state=None) -> PolicyView:
    sp = catalogue.SPECS[type_]
    opts = catalogue.load_options(type_, row.data if row else None)
    return PolicyView(
        organization_id=org_id, type=type_, name=sp.name, slug=sp.slug, enabled=bool(row and row.enabled),
        options=catalogue.options_dict(opts), summary=catalogue.describe_options(type_, opts),
        requires_single_org=sp.requires_single_org, version=row.version if row else 0,
        id=row.id if row else None, revision_date=row.revision_date if row else None,
        template_state=template_state)


def _template_states(s: Session, org_id: uuid.UUID, rows: dict[int, Policy]) -> tuple[str | None, dict[int, str]]:
    found = s.execute(select(PolicyTemplate).join(ClientTemplate, ClientTemplate.template_id == PolicyTemplate.id)
                      .where(ClientTemplate.organization_id == org_id)).scalar_one_or_none()
    if found is None:
        return None, {}
    accepted = set(s.execute(select(PolicyDeviation.type).where(
        PolicyDeviation.organization_id == org_id)).scalars())
    states = {}
    for item in s.execute(select(PolicyTemplateItem).where(PolicyTemplateItem.template_id == found.id)).scalars():
        row = rows.get(item.type)
        same = _same(bool(row and row.enabled), row.data if row else None, item.enabled, item.data)
        states[item.type] = "matches" if same else ("accepted" if item.type in accepted else "differs")
    return found.name, states


# --- reading ------------------------------------------------------------------------------------


def list_policies(db: Database, actor: Actor, client) -> ClientPolicies:
    """Every policy type of one client, saved or not, with its state and options."""
    with db.read() as s:
        org = _org(s, actor, client)
        standing = check(s, actor, Action.VIEW_POLICIES, organization_id=org.id)
        rows = _rows(s, org.id)
        template, states = _template_states(s, org.id, rows)
        decision = decide(standing, Action.MANAGE_POLICIES)
        reason = "" if decision else decision.reason
        if decision and not org.use_policies:
            reason = ENTERPRISE_ONLY.format(name=org.name, plan=PlanType(org.plan_type).label)
        return ClientPolicies(
            organization_id=org.id, client_name=org.name, plan=PlanType(org.plan_type),
            enterprise=bool(org.use_policies), template=template,
            policies=[_policy_view(org.id, t, rows.get(int(t)), states.get(int(t))) for t in catalogue.SPECS],
            can_edit=not reason, reason=reason)


# --- side effects -------------------------------------------------------------------------------


def _effects(s: Session, org_id: uuid.UUID, type_: PolicyType,
             acting: uuid.UUID | None = None) -> tuple[list[MemberEffect], list[MemberEffect]]:
    """Members that turning `type_` on would revoke, and those exempt (see the module docstring).
    The person making the change (`acting`, an account id) is never revoked by it (as the reference)."""
    if type_ not in catalogue.REVOKING:
        return [], []
    mem_rows = s.execute(
        select(Member.id, Member.email, Member.role, Member.status, Member.account_id,
               Account.name, Account.two_factor_enabled)
        .outerjoin(Account, Account.id == Member.account_id)
        .where(Member.organization_id == org_id, Member.status != int(MemberStatus.REVOKED))
        .order_by(Member.email)).all()
    elsewhere: set[uuid.UUID] = set()
    if type_ == P.SINGLE_ORG:
        account_ids = [r.account_id for r in mem_rows if r.account_id is not None]
        if account_ids:
            elsewhere = set(s.execute(select(Member.account_id).where(
                Member.account_id.in_(account_ids), Member.organization_id != org_id,
                Member.status != int(MemberStatus.INVITED))).scalars())
    revoke, exempt = [], []
    for r in mem_rows:
        if type_ == P.TWO_FACTOR_AUTHENTICATION:
            offends = r.account_id is not None and not r.two_factor_enabled
            reason = RevocationReason.TWO_FACTOR_POLICY
        else:
            offends = r.account_id in elsewhere
            reason = RevocationReason.SINGLE_ORG_POLICY
        effect = lambda why: MemberEffect(r.id, r.email, r.name or "", MemberRole(r.role),  # noqa: E731
                                          MemberStatus(r.status), why)
        if r.status == MemberStatus.INVITED:
            exempt.append(effect("invited: no account yet, checked when they accept"))
        elif offends and acting is not None and r.account_id == acting:
            exempt.append(effect("the person making the change"))
        elif not offends:
            continue
        elif r.role in EXEMPT_ROLES:
            exempt.append(effect(f"{MemberRole(r.role).label}s are exempt"))
        else:
            revoke.append(effect(reason.name.lower()))
    return revoke, exempt


def _revoke(s: Session, actor: Actor, org: Organization, type_: PolicyType, provider_id) -> list[MemberEffect]:
    revoke, _ = _effects(s, org.id, type_, actor.account_id)
    if not revoke:
        return []
    event = (EventType.MEMBER_REVOKED_TWO_FACTOR if type_ == P.TWO_FACTOR_AUTHENTICATION
             else EventType.MEMBER_REVOKED_SINGLE_ORG)
    reason = (RevocationReason.TWO_FACTOR_POLICY if type_ == P.TWO_FACTOR_AUTHENTICATION
              else RevocationReason.SINGLE_ORG_POLICY)
    members = {m.id: m for m in s.execute(select(Member).where(
        Member.id.in_([e.member_id for e in revoke]))).scalars()}
    for e in revoke:
        m = members[e.member_id]
        m.previous_status, m.status, m.revocation_reason = m.status, int(MemberStatus.REVOKED), int(reason)
        touch(m, actor)
        events.record(s, actor, event, provider_id=provider_id, organization_id=org.id,
                      organization_user_id=m.id, account_id=m.account_id,
                      detail={"email": m.email, "reason": reason.name.lower(),
                              "policy": catalogue.SPECS[type_].name})
    refresh_seats(s, org)
    return revoke


# --- saving -------------------------------------------------------------------------------------


def _diff_text(type_: PolicyType, before: tuple[bool, str | None], after: tuple[bool, str | None]) -> tuple[str, dict]:
    detail: dict = {}
    parts = []
    if before[0] != after[0]:
        detail["enabled"] = [before[0], after[0]]
        parts.append(f"{'on' if before[0] else 'off'} → {'on' if after[0] else 'off'}")
    old = catalogue.load_options(type_, before[1]).model_dump(by_alias=True)
    new = catalogue.load_options(type_, after[1]).model_dump(by_alias=True)
    changed = {k: [old.get(k), new[k]] for k in new if old.get(k) != new[k]}
    if changed:
        detail["options"] = changed
        parts += [f"{k} {v[0]} → {v[1]}" for k, v in changed.items()]
    return "; ".join(parts), detail


def _save(s: Session, actor: Actor, org: Organization, rows: dict[int, Policy], type_: PolicyType,
          enabled: bool, data: str | None, provider_id=None,
          one_change: bool = False) -> tuple[bool, list[MemberEffect], str]:
    """Write one policy change with its dependency check, event and side effects. `one_change`: this
    is the whole of what was asked (not a template's part), so a guarded turn-off can become a request."""
    if not org.use_policies:
        raise Refused("plan", ENTERPRISE_ONLY.format(name=org.name, plan=PlanType(org.plan_type).label))
    row = rows.get(int(type_))
    before = (bool(row and row.enabled), row.data if row else None)
    if before == (enabled, data):
        return False, [], ""
    if before[0] != enabled:
        err = catalogue.dependency_error(_enabled_set(rows), type_, enabled)
        if err:
            raise Refused("policy-dependency", err)
        if before[0] and type_ in approvals.POLICY_OFF:  # a template applied says so too
            approvals.gate(s, actor, approvals.POLICY_OFF[type_], {"client": str(org.id)} if one_change else None)
    text, detail = _diff_text(type_, before, (enabled, data))
    if row is None:
        row = Policy(organization_id=org.id, type=int(type_), enabled=enabled, data=data)
        s.add(row)
        rows[int(type_)] = row
    else:
        row.enabled, row.data = enabled, data
    touch(row, actor)
    s.flush()
    events.record(s, actor, EventType.POLICY_UPDATED, provider_id=provider_id, organization_id=org.id,
                  policy_id=row.id,
                  detail={"policy": catalogue.SPECS[type_].name, "type": int(type_), "changes": text, **detail})
    revoked: list[MemberEffect] = []
    if enabled and not before[0]:
        revoked = _revoke(s, actor, org, type_, provider_id)
    return True, revoked, text


def _merged(type_: PolicyType, row: Policy | None, options: dict | None) -> str | None:
    if options is None:
        return catalogue.dump_options(catalogue.load_options(type_, row.data if row else None))
    current = catalogue.options_dict(catalogue.load_options(type_, row.data if row else None))
    incoming = {k.replace("-", "_"): v for k, v in options.items()}
    # Accept the stored camelCase names too.
    by_alias = {f.alias: f.key for f in catalogue.option_fields(type_)}
    incoming = {by_alias.get(k, k): v for k, v in incoming.items()}
    return catalogue.dump_options(catalogue.parse_options(type_, {**current, **incoming}))


def set_policy(db: Database, actor: Actor, client, type_, *, enabled: bool | None = None,
               options: dict | None = None, expected_version: int | None = None) -> PolicyChange:
    """Turn a client's policy on or off and/or change its options (merged over the current ones)."""
    t = catalogue.parse_type(type_)
    with db.write() as s:
        org = _org(s, actor, client)
        check(s, actor, Action.MANAGE_POLICIES, organization_id=org.id)
        rows = _rows(s, org.id)
        row = rows.get(int(t))
        if expected_version is not None:
            if row is None and expected_version != 0:
                raise BadInput("expected_version: this policy was never saved; use 0.", "expected_version")
            if row is not None and expected_version == 0:
                check_version(s, row, -1, f"Policy {catalogue.SPECS[t].name!r}")
            if row is not None:
                check_version(s, row, expected_version, f"Policy {catalogue.SPECS[t].name!r}")
        data = _merged(t, row, options)
        new_enabled = bool(row and row.enabled) if enabled is None else bool(enabled)
        changed, revoked, text = _save(s, actor, org, rows, t, new_enabled, data, one_change=True)
        if changed:
            refresh_drift(s, org_ids=[org.id])
        _, states = _template_states(s, org.id, rows)
        return PolicyChange(_policy_view(org.id, t, rows.get(int(t)), states.get(int(t))), changed, revoked, text)


def preview(db: Database, actor: Actor, client, type_, turn_on: bool) -> ChangePreview:
    """What setting a policy on/off would do: whom it would revoke, who is exempt, or why it fails."""
    t = catalogue.parse_type(type_)
    with db.read() as s:
        org = _org(s, actor, client)
        # It names the members a change would revoke: for those who may make the change.
        check(s, actor, Action.MANAGE_POLICIES, organization_id=org.id)
        rows = _rows(s, org.id)
        error = None
        if not org.use_policies:
            error = ENTERPRISE_ONLY.format(name=org.name, plan=PlanType(org.plan_type).label)
        was_on = bool(rows.get(int(t)) and rows[int(t)].enabled)
        if error is None and was_on != turn_on:
            error = catalogue.dependency_error(_enabled_set(rows), t, turn_on)
        revoke, exempt = ([], [])
        if turn_on and not was_on:
            revoke, exempt = _effects(s, org.id, t, actor.account_id)
        return ChangePreview(org.id, t, turn_on, revoke, exempt, error)


# --- drift flag ---------------------------------------------------------------------------------

def _drift_select(provider_id: uuid.UUID):
    """(org id, type, policy enabled/data, template enabled/data) for each unaccepted difference."""
    ct, ti, p, d = ClientTemplate, PolicyTemplateItem, Policy, PolicyDeviation
    p_enabled = func.coalesce(p.enabled, false())
    same = and_(p_enabled == ti.enabled,
                or_(ti.enabled == false(), func.coalesce(p.data, "") == func.coalesce(ti.data, "")))
    return (select(ct.organization_id, ti.type, p_enabled.label("p_enabled"), p.data, ti.enabled, ti.data)
            .select_from(ct)
            .join(Client, and_(Client.organization_id == ct.organization_id, Client.provider_id == provider_id))
            .join(ti, ti.template_id == ct.template_id)
            .outerjoin(p, and_(p.organization_id == ct.organization_id, p.type == ti.type))
            .outerjoin(d, and_(d.organization_id == ct.organization_id, d.type == ti.type))
            .where(d.organization_id.is_(None), ~same))


def refresh_drift(s: Session, *, org_ids: Iterable[uuid.UUID] | None = None,
                  template_id: uuid.UUID | None = None) -> None:
    """Recompute the stored drift flag of some clients (after their policies, deviations or template changed)."""
    ct, ti, p, d = ClientTemplate, PolicyTemplateItem, Policy, PolicyDeviation
    s.flush()
    same = and_(func.coalesce(p.enabled, false()) == ti.enabled,
                or_(ti.enabled == false(), func.coalesce(p.data, "") == func.coalesce(ti.data, "")))
    differs = (select(ti.type).select_from(ti)
               .outerjoin(p, and_(p.organization_id == ct.organization_id, p.type == ti.type))
               .outerjoin(d, and_(d.organization_id == ct.organization_id, d.type == ti.type))
               .where(ti.template_id == ct.template_id, d.organization_id.is_(None), ~same)
               .correlate(ct).exists())
    stmt = update(ct).values(drifted=differs).execution_options(synchronize_session=False)
    if template_id is not None:
        s.execute(stmt.where(ct.template_id == template_id))
    if org_ids is not None:
        ids = list(org_ids)
        for lo in range(0, len(ids), 500):
            s.execute(stmt.where(ct.organization_id.in_(ids[lo:lo + 500])))


def drifted_client_ids(db: Database, actor: Actor, org_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these clients (a page of the clients home) differ from their template."""
    ids = list(org_ids)
    if not ids:
        return set()
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)  # the ids come from a page already filtered (S12)
        return drifted_of(s, ids)


def drifted_of(s: Session, org_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """drifted_client_ids inside a read that has checked access (the clients home's page on SQLite)."""
    if not org_ids:
        return set()
    # The page's rows by their key, `drifted` checked here: with it in the WHERE clause SQLite walked
    # the drifted index over every drifted client instead (10 ms at 100,000 clients, at each page).
    rows = s.execute(select(ClientTemplate.organization_id, ClientTemplate.drifted).where(
        ClientTemplate.organization_id.in_(org_ids)))
    return {org_id for org_id, drifted in rows if drifted}


# --- templates, drift and the demo live in policy_templates; reachable from here too ---------------

_TEMPLATE_API = frozenset({"TemplateItemView", "TemplateView", "create_template", "set_template_policy", "delete_template", "list_templates", "get_template", "PlannedChange", "ClientPlan", "ApplyResult", "apply_template", "PolicyDifference", "AcceptedDeviation", "ClientDrift", "drift_report", "accept_deviation", "withdraw_deviation", "BASELINE", "seed_demo"})


def __getattr__(name: str):
    if name in _TEMPLATE_API:
        from msp_tui.core.services import policy_templates

        return getattr(policy_templates, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
