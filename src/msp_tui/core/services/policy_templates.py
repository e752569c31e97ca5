"""Policy templates (B2): named sets of policies applied to many clients, drift and deviations.

A dry run lists, client by client, what would change and whom it would revoke; applying for real
runs one transaction per client and marks the client as following the template. The drift report
lists each client whose policies differ from its template; `accept_deviation()` takes a difference
out of it on purpose. Reached through `core.services.policies` as well (same names).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from msp_tui.core import clock, events
from msp_tui.core import policies as catalogue
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberStatus, PlanType, PolicyType, RevocationReason
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import (Account, Client, ClientTemplate, Member, Organization, Policy, PolicyDeviation,
                                 PolicyTemplate, PolicyTemplateItem)
from msp_tui.core.services.common import as_uuid, check_version, touch
from msp_tui.core.services.policies import (ENTERPRISE_ONLY, EXEMPT_ROLES, REVOCABLE_STATUSES, MemberEffect,
                                            _difference, _diff_text, _drift_select, _effects, _enabled_set,
                                            _org, _rows, _save, _state_text, refresh_drift)

P = PolicyType

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
            for i, oid in enumerate(chunk):
                plans.append(_apply_one(db, actor, template_id, items, oid))
                if progress and i % 10 == 9:
                    progress(chunk_start + i + 1, len(org_ids))
        if progress:
            progress(min(len(org_ids), chunk_start + len(chunk)), len(org_ids))
    result = ApplyResult(template_name, dry_run, plans)
    if not dry_run:
        with db.write() as s:  # one line in the provider's timeline for the whole run
            _record_run(s, actor, result)
    return result


def _record_run(s: Session, actor: Actor, result: ApplyResult) -> None:
    """The provider's timeline line for one run of a template over its clients."""
    events.record(s, actor, EventType.POLICY_UPDATED, provider_id=actor.provider_id,
                  detail={"name": result.template, "template": "applied",
                          "changes": f"{result.changed} clients changed, {result.revoked} members "
                                     f"revoked, {result.failed} failed"})


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
            return _apply_in(s, actor, template_id, items, org, provider_id)
    except (Refused, BadInput) as exc:
        return ClientPlan(org_id, name, error=exc.message)


def _apply_in(s: Session, actor: Actor, template_id: uuid.UUID, items, org: Organization,
              provider_id: uuid.UUID) -> ClientPlan:
    """The template's policies for one client, in the caller's transaction; Refused (or BadInput)
    when they cannot all be set, so the caller's transaction rolls back whole."""
    rows = _rows(s, org.id)
    accepted = set(s.execute(select(PolicyDeviation.type).where(
        PolicyDeviation.organization_id == org.id)).scalars())
    plan, todo = _plan_client(s, org, items, rows, accepted, simulate=False)
    if plan.error:
        raise Refused("plan", plan.error)
    for t, enabled, data in todo:
        _, revoked, _ = _save(s, actor, org, rows, t, enabled, data, provider_id=provider_id)
        plan.revoke.extend(revoked)
    link = s.get(ClientTemplate, org.id)
    if link is None:
        s.add(ClientTemplate(organization_id=org.id, template_id=template_id, applied_by_id=actor.account_id))
    else:
        link.template_id, link.applied_at, link.applied_by_id = template_id, clock.now(), actor.account_id
    refresh_drift(s, org_ids=[org.id])
    plan.applied = True
    return plan


def apply_to_new_client(s: Session, actor: Actor, template, org: Organization) -> str:
    """A template for a client being created, in create_client's own transaction: the client is
    created with its policies or not at all. Returns the template's name."""
    check(s, actor, Action.MANAGE_TEMPLATES)
    t = _find_template(s, actor, template)
    s.flush()
    try:
        plan = _apply_in(s, actor, t.id, _template_items(s, t), org, actor.provider_id)
    except (Refused, BadInput) as exc:
        why = exc.message if exc.message.endswith(".") else exc.message + "."
        raise Refused("plan", f"The template {t.name} cannot be applied to {org.name}: {why} "
                              "Nothing was saved.") from None
    _record_run(s, actor, ApplyResult(t.name, False, [plan]))
    return t.name


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


def drift_report(db: Database, actor: Actor, *, template=None, include_clean: bool = False,
                 limit: int | None = None, group: uuid.UUID | None = None) -> list[ClientDrift]:
    """Each client following a template, with each policy that differs (accepted ones apart): the
    clients the person may see (S12), or one client group's.

    Without `include_clean` only drifted clients are listed. Sorted by client name."""
    from msp_tui.core.scope import in_group, scope_of

    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        scope = scope_of(s, actor)
        tmpl = _find_template(s, actor, template) if template is not None else None
        q = (select(ClientTemplate.organization_id, Organization.name, PolicyTemplate.name)
             .join(Organization, Organization.id == ClientTemplate.organization_id)
             .join(PolicyTemplate, PolicyTemplate.id == ClientTemplate.template_id)
             .where(PolicyTemplate.provider_id == actor.provider_id)
             .order_by(Organization.name_lower, Organization.id))
        if tmpl is not None:
            q = q.where(ClientTemplate.template_id == tmpl.id)
        if not scope.everything:
            q = q.where(scope.clients(ClientTemplate.organization_id))
        if group is not None:
            q = q.where(in_group(ClientTemplate.organization_id, group))
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
    P.PASSWORD_GENERATOR: (True, {"min_length": 16, "use_numbers": True, "use_special": True}),
    P.DISABLE_PERSONAL_VAULT_EXPORT: (True, None),
    P.REMOVE_UNLOCK_WITH_PIN: (True, None),
}


def seed_demo(db: Database, actor: Actor, org_ids: list[uuid.UUID]) -> None:
    """A 'Baseline' template followed by most Enterprise demo clients, some drifted, one accepted.

    Bulk inserts (fast for 100,000 clients); members the baseline's two-step login would revoke
    are revoked the same way the policy does."""
    base = create_template(db, actor, "Baseline", dict(BASELINE), description=(
        "Two-step login, strong master passwords and generator, no vault export, no PIN."))
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
                if i % 7 == 3 and t == P.PASSWORD_GENERATOR:
                    data = catalogue.dump_options(catalogue.parse_options(t, {"min_length": 12, "use_numbers": True,
                                                                              "use_special": True}))
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
        no_2fa = select(Account.id).where(Account.totp_secret.is_(None))  # not enrolled in two-step login
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
