"""A client's policies (S7, §6) and the provider's policy templates with drift (B2).

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, false, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from msp_tui.core import clock, events
from msp_tui.core import policies as catalogue
from msp_tui.core.access import Action, check, decide, standing_for
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberRole, MemberStatus, PlanType, PolicyType, RevocationReason
from msp_tui.core.errors import BadInput, NotFound, Refused, StaleEdit
from msp_tui.core.models import (Account, Client, ClientTemplate, Member, Organization, Policy, PolicyDeviation,
                                 PolicyTemplate, PolicyTemplateItem)
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
        standing = check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
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


def _effects(s: Session, org_id: uuid.UUID, type_: PolicyType) -> tuple[list[MemberEffect], list[MemberEffect]]:
    """Members that turning `type_` on would revoke, and those exempt (see the module docstring)."""
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
        elif not offends:
            continue
        elif r.role in EXEMPT_ROLES:
            exempt.append(effect(f"{MemberRole(r.role).label}s are exempt"))
        else:
            revoke.append(effect(reason.name.lower()))
    return revoke, exempt


def _revoke(s: Session, actor: Actor, org: Organization, type_: PolicyType, provider_id) -> list[MemberEffect]:
    revoke, _ = _effects(s, org.id, type_)
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
          enabled: bool, data: str | None, provider_id=None) -> tuple[bool, list[MemberEffect], str]:
    """Write one policy change with its dependency check, event and side effects."""
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
        changed, revoked, text = _save(s, actor, org, rows, t, new_enabled, data)
        if changed:
            refresh_drift(s, org_ids=[org.id])
        _, states = _template_states(s, org.id, rows)
        return PolicyChange(_policy_view(org.id, t, rows.get(int(t)), states.get(int(t))), changed, revoked, text)


def preview(db: Database, actor: Actor, client, type_, turn_on: bool) -> ChangePreview:
    """What setting a policy on/off would do: whom it would revoke, who is exempt, or why it fails."""
    t = catalogue.parse_type(type_)
    with db.read() as s:
        org = _org(s, actor, client)
        check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
        rows = _rows(s, org.id)
        error = None
        if not org.use_policies:
            error = ENTERPRISE_ONLY.format(name=org.name, plan=PlanType(org.plan_type).label)
        was_on = bool(rows.get(int(t)) and rows[int(t)].enabled)
        if error is None and was_on != turn_on:
            error = catalogue.dependency_error(_enabled_set(rows), t, turn_on)
        revoke, exempt = ([], [])
        if turn_on and not was_on:
            revoke, exempt = _effects(s, org.id, t)
        return ChangePreview(org.id, t, turn_on, revoke, exempt, error)


# --- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateItemView:
    type: PolicyType
    name: str
    enabled: bool
    options: dict
    summary: str


@dataclass(frozen=True)
class TemplateView:
    id: uuid.UUID
    name: str
    description: str
    items: list[TemplateItemView]
    clients: int
    version: int


def _find_template(s: Session, actor: Actor, ref) -> PolicyTemplate:
    stmt = select(PolicyTemplate).where(PolicyTemplate.provider_id == actor.provider_id)
    ident = as_uuid(ref)
    stmt = stmt.where(PolicyTemplate.id == ident) if ident else stmt.where(
        PolicyTemplate.name_lower == str(ref).strip().lower())
    t = s.execute(stmt).scalar_one_or_none()
    if t is None:
        raise NotFound(f"No policy template {str(ref)!r}.", "template")
    return t


def _template_view(s: Session, t: PolicyTemplate) -> TemplateView:
    items = s.execute(select(PolicyTemplateItem).where(PolicyTemplateItem.template_id == t.id)
                      .order_by(PolicyTemplateItem.type)).scalars().all()
    count = s.execute(select(func.count()).select_from(ClientTemplate).where(
        ClientTemplate.template_id == t.id)).scalar_one()
    out = []
    for i in items:
        opts = catalogue.load_options(i.type, i.data)
        out.append(TemplateItemView(PolicyType(i.type), catalogue.SPECS[PolicyType(i.type)].name, i.enabled,
                                    catalogue.options_dict(opts), catalogue.describe_options(i.type, opts)))
    return TemplateView(t.id, t.name, t.description, out, count, t.version)


TemplateSpec = dict  # {type: (enabled, options dict | None)}


def _normalise_items(items: TemplateSpec) -> dict[PolicyType, tuple[bool, str | None]]:
    out = {}
    for key, value in items.items():
        t = catalogue.parse_type(key)
        enabled, options = value if isinstance(value, tuple) else (bool(value), None)
        out[t] = (bool(enabled), catalogue.dump_options(catalogue.parse_options(t, options)))
    on = {int(t) for t, (e, _) in out.items() if e}
    for t, (e, _) in out.items():
        if e and catalogue.SPECS[t].requires_single_org and int(P.SINGLE_ORG) not in on:
            raise BadInput(catalogue.enable_message(P.SINGLE_ORG, t), "template")
    return out


def create_template(db: Database, actor: Actor, name: str, items: TemplateSpec | None = None, *,
                    description: str = "", from_client=None) -> TemplateView:
    """A new template: the given policies, or a copy of a client's saved policies (`from_client`)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise BadInput("name: 1 to 100 characters", "name")
    with db.write() as s:
        check(s, actor, Action.MANAGE_TEMPLATES)
        spec_items = dict(items or {})
        if from_client is not None:
            org = _org(s, actor, from_client)
            check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
            for t, row in _rows(s, org.id).items():
                spec_items.setdefault(PolicyType(t), (row.enabled, catalogue.options_dict(
                    catalogue.load_options(t, row.data))))
        norm = _normalise_items(spec_items)
        if not norm:
            raise BadInput("A template needs at least one policy.", "items")
        if s.execute(select(PolicyTemplate.id).where(PolicyTemplate.provider_id == actor.provider_id,
                                                      PolicyTemplate.name_lower == name.lower())).first():
            raise BadInput(f"A template named {name!r} already exists.", "name")
        t = PolicyTemplate(provider_id=actor.provider_id, name=name, name_lower=name.lower(),
                           description=description.strip()[:500])
        touch(t, actor)
        s.add(t)
        s.flush()
        for ty, (enabled, data) in norm.items():
            s.add(PolicyTemplateItem(template_id=t.id, type=int(ty), enabled=enabled, data=data))
        s.flush()
        events.record(s, actor, EventType.POLICY_UPDATED, provider_id=actor.provider_id,
                      detail={"name": name, "template": "created",
                              "changes": "; ".join(f"{catalogue.SPECS[ty].name} {'on' if e else 'off'}"
                                                   for ty, (e, _) in sorted(norm.items()))})
        return _template_view(s, t)


def set_template_policy(db: Database, actor: Actor, template, type_, *, enabled: bool | None = None,
                        options: dict | None = None, remove: bool = False,
                        expected_version: int | None = None) -> TemplateView:
    """Change (or remove) one policy of a template. Clients following it then show drift."""
    ty = catalogue.parse_type(type_)
    with db.write() as s:
        check(s, actor, Action.MANAGE_TEMPLATES)
        t = _find_template(s, actor, template)
        check_version(s, t, expected_version, f"Template {t.name!r}")
        items = {PolicyType(i.type): i for i in s.execute(select(PolicyTemplateItem).where(
            PolicyTemplateItem.template_id == t.id)).scalars()}
        current = items.get(ty)
        spec_items = {k: (v.enabled, catalogue.options_dict(catalogue.load_options(k, v.data)))
                      for k, v in items.items()}
        if remove:
            spec_items.pop(ty, None)
        else:
            base = spec_items.get(ty, (False, None))
            opts = {**(base[1] or {}), **(options or {})}
            spec_items[ty] = (base[0] if enabled is None else enabled, opts)
        norm = _normalise_items(spec_items)
        if not norm:
            raise BadInput("A template needs at least one policy.", "items")
        before = (current.enabled, current.data) if current else None
        after = norm.get(ty)
        if before == after:
            return _template_view(s, t)
        if after is None:
            s.delete(current)
            text = f"{catalogue.SPECS[ty].name} removed"
        elif current is None:
            s.add(PolicyTemplateItem(template_id=t.id, type=int(ty), enabled=after[0], data=after[1]))
            text = f"{catalogue.SPECS[ty].name} added ({_state_text(after[0], ty, after[1])})"
        else:
            text, _ = _diff_text(ty, before, after)
            text = f"{catalogue.SPECS[ty].name}: {text}"
            current.enabled, current.data = after
        touch(t, actor)
        t.revision_date = clock.now()  # a change to its items is a change to the template
        refresh_drift(s, template_id=t.id)
        events.record(s, actor, EventType.POLICY_UPDATED, provider_id=actor.provider_id,
                      detail={"name": t.name, "template": "updated", "changes": text})
        return _template_view(s, t)


def delete_template(db: Database, actor: Actor, template) -> None:
    with db.write() as s:
        check(s, actor, Action.MANAGE_TEMPLATES)
        t = _find_template(s, actor, template)
        events.record(s, actor, EventType.POLICY_UPDATED, provider_id=actor.provider_id,
                      detail={"name": t.name, "template": "deleted"})
        s.execute(delete(ClientTemplate).where(ClientTemplate.template_id == t.id))
        s.execute(delete(PolicyTemplateItem).where(PolicyTemplateItem.template_id == t.id))
        s.delete(t)


def list_templates(db: Database, actor: Actor) -> list[TemplateView]:
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        ts = s.execute(select(PolicyTemplate).where(PolicyTemplate.provider_id == actor.provider_id)
                       .order_by(PolicyTemplate.name_lower)).scalars().all()
        return [_template_view(s, t) for t in ts]


def get_template(db: Database, actor: Actor, template) -> TemplateView:
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        return _template_view(s, _find_template(s, actor, template))


# --- applying a template ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedChange:
    type: PolicyType
    name: str
    before: str
    after: str


@dataclass
class ClientPlan:
    organization_id: uuid.UUID
    client_name: str
    changes: list[PlannedChange] = field(default_factory=list)
    revoke: list[MemberEffect] = field(default_factory=list)
    #: Policies kept because the client accepted a deviation from the template.
    kept: list[str] = field(default_factory=list)
    error: str | None = None
    applied: bool = False


@dataclass(frozen=True)
class ApplyResult:
    template: str
    dry_run: bool
    clients: list[ClientPlan]

    @property
    def changed(self) -> int:
        return sum(1 for c in self.clients if c.changes and not c.error)

    @property
    def failed(self) -> int:
        return sum(1 for c in self.clients if c.error)

    @property
    def revoked(self) -> int:
        return sum(len(c.revoke) for c in self.clients if not c.error)


def _ordered(changes: list[tuple[PolicyType, bool, str | None]], rows: dict[int, Policy]):
    """Single organization on first, off last, so dependents never see it missing."""
    def key(c):
        t, enabled, _ = c
        if t == P.SINGLE_ORG:
            return 0 if enabled else 2
        return 1
    return sorted(changes, key=key)


def _plan_client(s: Session, org: Organization, items: dict[PolicyType, tuple[bool, str | None]],
                 rows: dict[int, Policy], accepted: set[int], *, simulate: bool) -> tuple[ClientPlan, list]:
    """The changes a template makes to one client, checked in order like the real save."""
    plan = ClientPlan(org.id, org.name)
    if not org.use_policies:
        plan.error = ENTERPRISE_ONLY.format(name=org.name, plan=PlanType(org.plan_type).label)
        return plan, []
    todo = []
    for t, (enabled, data) in items.items():
        if int(t) in accepted:
            plan.kept.append(catalogue.SPECS[t].name)
            continue
        row = rows.get(int(t))
        before = (bool(row and row.enabled), row.data if row else None)
        if before == (enabled, data) or (not enabled and not before[0]):
            continue
        todo.append((t, enabled, data))
        plan.changes.append(PlannedChange(t, catalogue.SPECS[t].name, _state_text(before[0], t, before[1]),
                                          _state_text(enabled, t, data)))
    todo = _ordered(todo, rows)
    if simulate:
        on = _enabled_set(rows)
        seen: set[uuid.UUID] = set()
        for t, enabled, _ in todo:
            was = int(t) in on
            if was != enabled:
                err = catalogue.dependency_error(on, t, enabled)
                if err:
                    plan.error = err
                    break
                (on.add if enabled else on.discard)(int(t))
                if enabled:
                    for e in _effects(s, org.id, t)[0]:
                        if e.member_id not in seen:
                            seen.add(e.member_id)
                            plan.revoke.append(e)
    return plan, todo


def _target_orgs(s: Session, actor: Actor, clients: Iterable | None, all_clients: bool) -> list[uuid.UUID]:
    if all_clients:
        return list(s.execute(select(Client.organization_id).join(
            Organization, Organization.id == Client.organization_id)
            .where(Client.provider_id == actor.provider_id).order_by(Organization.name_lower)).scalars())
    ids = []
    for ref in clients or []:
        org = _org(s, actor, ref)
        ids.append(org.id)
    if not ids:
        raise BadInput("Name the clients to apply the template to, or choose all.", "clients")
    return list(dict.fromkeys(ids))


def _template_items(s: Session, t: PolicyTemplate) -> dict[PolicyType, tuple[bool, str | None]]:
    return {PolicyType(i.type): (i.enabled, i.data) for i in s.execute(
        select(PolicyTemplateItem).where(PolicyTemplateItem.template_id == t.id)
        .order_by(PolicyTemplateItem.type)).scalars()}


def apply_template(db: Database, actor: Actor, template, clients: Iterable | None = None, *,
                   all_clients: bool = False, dry_run: bool = True,
                   progress: Callable[[int, int], None] | None = None) -> ApplyResult:
    """Apply a template to the given clients (or all): a dry run, or for real one client at a time.

    Each client is its own transaction: one that fails (not Enterprise, a dependency its other
    policies break) is reported and leaves the others applied."""
    with db.read() as s:
        check(s, actor, Action.MANAGE_TEMPLATES)
        t = _find_template(s, actor, template)
        template_id, template_name = t.id, t.name
        items = _template_items(s, t)
        org_ids = _target_orgs(s, actor, clients, all_clients)
    plans: list[ClientPlan] = []
    for n, chunk_start in enumerate(range(0, len(org_ids), 200)):
        chunk = org_ids[chunk_start:chunk_start + 200]
        if dry_run:
            with db.read() as s:
                orgs = {o.id: o for o in s.execute(select(Organization).where(Organization.id.in_(chunk))).scalars()}
                all_rows: dict[uuid.UUID, dict[int, Policy]] = {oid: {} for oid in chunk}
                for p in s.execute(select(Policy).where(Policy.organization_id.in_(chunk))).scalars():
                    all_rows[p.organization_id][p.type] = p
                accepted: dict[uuid.UUID, set[int]] = {}
                for oid, ty in s.execute(select(PolicyDeviation.organization_id, PolicyDeviation.type).where(
                        PolicyDeviation.organization_id.in_(chunk))):
                    accepted.setdefault(oid, set()).add(ty)
                for oid in chunk:
                    plan, _ = _plan_client(s, orgs[oid], items, all_rows[oid], accepted.get(oid, set()),
                                           simulate=True)
                    plans.append(plan)
        else:
            for oid in chunk:
                plans.append(_apply_one(db, actor, template_id, items, oid))
        if progress:
            progress(min(len(org_ids), chunk_start + len(chunk)), len(org_ids))
    return ApplyResult(template_name, dry_run, plans)


def _apply_one(db: Database, actor: Actor, template_id: uuid.UUID, items, org_id: uuid.UUID) -> ClientPlan:
    name = ""
    try:
        with db.write() as s:
            check(s, actor, Action.MANAGE_TEMPLATES)
            org = s.get(Organization, org_id)
            name = org.name
            provider_id = s.execute(select(Client.provider_id).where(Client.organization_id == org_id)).scalar()
            if provider_id != actor.provider_id:
                raise Refused("access", f"{org.name} is not a client of this provider.")
            rows = _rows(s, org_id)
            accepted = set(s.execute(select(PolicyDeviation.type).where(
                PolicyDeviation.organization_id == org_id)).scalars())
            plan, todo = _plan_client(s, org, items, rows, accepted, simulate=False)
            if plan.error:
                raise Refused("plan", plan.error)
            for t, enabled, data in todo:
                _, revoked, _ = _save(s, actor, org, rows, t, enabled, data, provider_id=provider_id)
                plan.revoke.extend(revoked)
            link = s.get(ClientTemplate, org_id)
            if link is None:
                s.add(ClientTemplate(organization_id=org_id, template_id=template_id,
                                     applied_by_id=actor.account_id))
            else:
                link.template_id, link.applied_at, link.applied_by_id = template_id, clock.now(), actor.account_id
            refresh_drift(s, org_ids=[org_id])
            plan.applied = True
            return plan
    except (Refused, BadInput) as exc:
        return ClientPlan(org_id, name, error=exc.message)


# --- drift --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDifference:
    type: PolicyType
    name: str
    expected: str
    actual: str


@dataclass(frozen=True)
class AcceptedDeviation:
    type: PolicyType
    name: str
    reason: str
    accepted_at: datetime


@dataclass(frozen=True)
class ClientDrift:
    organization_id: uuid.UUID
    client_name: str
    template: str
    differences: list[PolicyDifference]
    accepted: list[AcceptedDeviation]

    @property
    def drifted(self) -> bool:
        return bool(self.differences)


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
        check(s, actor, Action.VIEW_CLIENTS)
        return set(s.execute(select(ClientTemplate.organization_id).where(
            ClientTemplate.organization_id.in_(ids), ClientTemplate.drifted.is_(True))).scalars())


def drift_report(db: Database, actor: Actor, *, template=None, include_clean: bool = False,
                 limit: int | None = None) -> list[ClientDrift]:
    """Each client following a template, with each policy that differs (accepted ones apart).

    Without `include_clean` only drifted clients are listed. Sorted by client name."""
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        tmpl = _find_template(s, actor, template) if template is not None else None
        q = (select(ClientTemplate.organization_id, Organization.name, PolicyTemplate.name)
             .join(Organization, Organization.id == ClientTemplate.organization_id)
             .join(PolicyTemplate, PolicyTemplate.id == ClientTemplate.template_id)
             .where(PolicyTemplate.provider_id == actor.provider_id)
             .order_by(Organization.name_lower, Organization.id))
        if tmpl is not None:
            q = q.where(ClientTemplate.template_id == tmpl.id)
        if not include_clean:
            q = q.where(ClientTemplate.drifted.is_(True))
        if limit is not None:
            q = q.limit(limit)
        rows = s.execute(q).all()
        ids = [r[0] for r in rows]
        diffs: dict[uuid.UUID, list[PolicyDifference]] = {}
        accepted: dict[uuid.UUID, list[AcceptedDeviation]] = {}
        for lo in range(0, len(ids), 500):
            chunk = ids[lo:lo + 500]
            stmt = _drift_select(actor.provider_id).where(ClientTemplate.organization_id.in_(chunk))
            for oid, ty, p_en, p_data, t_en, t_data in s.execute(stmt.order_by(PolicyTemplateItem.type)):
                t = PolicyType(ty)
                diffs.setdefault(oid, []).append(PolicyDifference(
                    t, catalogue.SPECS[t].name, *_difference(t, t_en, t_data, bool(p_en), p_data)))
            for d in s.execute(select(PolicyDeviation).where(
                    PolicyDeviation.organization_id.in_(chunk)).order_by(PolicyDeviation.type)).scalars():
                t = PolicyType(d.type)
                accepted.setdefault(d.organization_id, []).append(
                    AcceptedDeviation(t, catalogue.SPECS[t].name, d.reason, d.accepted_at))
        return [ClientDrift(oid, name, tname, diffs.get(oid, []), accepted.get(oid, []))
                for oid, name, tname in rows]


def accept_deviation(db: Database, actor: Actor, client, type_, reason: str) -> None:
    """Keep a client's policy different from its template on purpose (recorded; no longer drift)."""
    t = catalogue.parse_type(type_)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise BadInput("reason: say why this client differs on purpose (1 to 500 characters)", "reason")
    with db.write() as s:
        org = _org(s, actor, client)
        check(s, actor, Action.MANAGE_TEMPLATES, organization_id=org.id)
        link = s.get(ClientTemplate, org.id)
        if link is None:
            raise BadInput(f"{org.name} follows no policy template.", "client")
        if s.get(PolicyTemplateItem, (link.template_id, int(t))) is None:
            raise BadInput(f"The template of {org.name} does not cover {catalogue.SPECS[t].name}.", "type")
        existing = s.get(PolicyDeviation, (org.id, int(t)))
        if existing is None:
            s.add(PolicyDeviation(organization_id=org.id, type=int(t), reason=reason,
                                  accepted_by_id=actor.account_id))
        else:
            existing.reason, existing.accepted_by_id, existing.accepted_at = reason, actor.account_id, clock.now()
        refresh_drift(s, org_ids=[org.id])
        events.record(s, actor, EventType.POLICY_UPDATED, organization_id=org.id,
                      detail={"policy": catalogue.SPECS[t].name, "type": int(t), "deviation": "accepted",
                              "reason": reason})


def withdraw_deviation(db: Database, actor: Actor, client, type_) -> None:
    """Report the difference as drift again."""
    t = catalogue.parse_type(type_)
    with db.write() as s:
        org = _org(s, actor, client)
        check(s, actor, Action.MANAGE_TEMPLATES, organization_id=org.id)
        d = s.get(PolicyDeviation, (org.id, int(t)))
        if d is None:
            raise NotFound(f"{org.name} has no accepted deviation for {catalogue.SPECS[t].name}.", "type")
        s.delete(d)
        refresh_drift(s, org_ids=[org.id])
        events.record(s, actor, EventType.POLICY_UPDATED, organization_id=org.id,
                      detail={"policy": catalogue.SPECS[t].name, "type": int(t), "deviation": "withdrawn"})


# --- demo ---------------------------------------------------------------------------------------

BASELINE = {
    P.TWO_FACTOR_AUTHENTICATION: (True, None),
    P.MASTER_PASSWORD: (True, {"min_length": 14, "min_complexity": 3, "require_upper": True,
                               "require_lower": True, "require_numbers": True}),
    P.SINGLE_ORG: (True, None),
    P.MAXIMUM_VAULT_TIMEOUT: (True, {"minutes": 240, "action": "lock"}),
    P.DISABLE_PERSONAL_VAULT_EXPORT: (True, None),
}


def seed_demo(db: Database, actor: Actor, org_ids: list[uuid.UUID]) -> None:
    """A 'Baseline' template followed by most Enterprise demo clients, some drifted, one accepted.

    Bulk inserts (fast for 100,000 clients); members the baseline's two-step login would revoke
    are revoked the same way the policy does."""
    base = create_template(db, actor, "Baseline", dict(BASELINE),
                           description="Two-step login, strong master passwords, 4 h lock, single org.")
    relaxed = create_template(db, actor, "Relaxed", {P.MASTER_PASSWORD: (True, {"min_length": 12})},
                              description="For small offices that are not ready for the baseline.")
    with db.write() as s:
        items = _template_items(s, s.get(PolicyTemplate, base.id))
        ent = []
        for lo in range(0, len(org_ids), 5000):
            ent += [oid for oid in s.execute(select(Organization.id).where(
                Organization.id.in_(org_ids[lo:lo + 5000]), Organization.use_policies.is_(True))).scalars()]
        order = {oid: i for i, oid in enumerate(org_ids)}
        ent.sort(key=order.__getitem__)
        now = clock.now()
        policies, links, deviations = [], [], []
        for i, oid in enumerate(ent):
            if i % 10 == 9:
                continue  # a few Enterprise clients follow no template (and lack two-step login)
            template_id = relaxed.id if i % 10 == 8 else base.id
            links.append(dict(organization_id=oid, template_id=template_id, applied_at=now,
                              applied_by_id=actor.account_id))
            chosen = items if template_id == base.id else {
                P.MASTER_PASSWORD: (True, catalogue.dump_options(catalogue.parse_options(
                    P.MASTER_PASSWORD, {"min_length": 12})))}
            for t, (enabled, data) in chosen.items():
                if i % 7 == 3 and t == P.MAXIMUM_VAULT_TIMEOUT:
                    data = catalogue.dump_options(catalogue.parse_options(t, {"minutes": 720, "action": "lock"}))
                if i % 11 == 5 and t == P.DISABLE_PERSONAL_VAULT_EXPORT:
                    enabled = False
                    if i % 22 == 5:
                        deviations.append(dict(organization_id=oid, type=int(t), accepted_at=now,
                                               accepted_by_id=actor.account_id,
                                               reason="The client's auditors export vaults quarterly."))
                policies.append(dict(id=uuid.uuid4(), organization_id=oid, type=int(t), enabled=enabled, data=data,
                                     created_at=now, revision_date=now, version=1,
                                     updated_by_id=actor.account_id))
        for lo in range(0, len(links), 5000):
            s.execute(insert(ClientTemplate), links[lo:lo + 5000])
        for lo in range(0, len(policies), 5000):
            s.execute(insert(Policy), policies[lo:lo + 5000])
        if deviations:
            s.execute(insert(PolicyDeviation), deviations)
        refresh_drift(s, template_id=base.id)
        refresh_drift(s, template_id=relaxed.id)
        with_2fa = [r["organization_id"] for r in policies
                    if r["type"] == int(P.TWO_FACTOR_AUTHENTICATION) and r["enabled"]]
        no_2fa = select(Account.id).where(Account.two_factor_enabled.is_(False))
        for lo in range(0, len(with_2fa), 5000):
            chunk = with_2fa[lo:lo + 5000]
            s.execute(update(Member).where(
                Member.organization_id.in_(chunk), Member.status.in_([int(x) for x in REVOCABLE_STATUSES]),
                Member.role.not_in([int(r) for r in EXEMPT_ROLES]), Member.account_id.in_(no_2fa))
                .values(previous_status=Member.status, status=int(MemberStatus.REVOKED),
                        revocation_reason=int(RevocationReason.TWO_FACTOR_POLICY)),
                execution_options={"synchronize_session": False})
            occupied = (select(func.count()).select_from(Member).where(
                Member.organization_id == Organization.id,
                Member.status.in_([0, 1, 2])).scalar_subquery())
            s.execute(update(Organization).where(Organization.id.in_(chunk)).values(
                occupied_seats=occupied, seats_remaining=Organization.seats - occupied),
                execution_options={"synchronize_session": False})
