"""The health view (B5): what needs a person's attention across all clients, worst first.

Every check is one SQL aggregate over the provider's clients (no per-client loop), so the report
stays fast with 100,000 clients. Each finding says where to fix it as a `target` the UI opens:
("staff",), ("client", org_id, "members"), ("client", org_id, "policies"), ("client", org_id, "overview").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msp_tui.core import clock
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import MemberStatus, PlanType, PolicyType, StaffRole, StaffStatus
from msp_tui.core.models import ClientTemplate, Member, Organization, Policy, Staff
from msp_tui.core.scope import Scope, scope_of, visible_clients
from msp_tui.core.services.common import INVITATION_LIFETIME
from msp_tui.core.services.policies import _drift_select

#: Kinds of finding, worst first: (kind, severity, heading).
KINDS: list[tuple[str, str, str]] = [
    ("failover", "critical", "Fewer than two confirmed Provider Admins"),
    ("break-glass", "critical", "Emergency break-glass access an admin has not acknowledged"),
    ("two-factor", "high", "Enterprise clients without two-step login required"),
    ("seats", "high", "Clients out of seats"),
    ("drift", "medium", "Clients drifted from their policy template"),
    ("unconfirmed", "medium", "Members accepted but not confirmed"),
    ("stale-invites", "low", "Invitations pending over 5 days"),
    ("staff-invites", "low", "Staff invitations pending over 5 days"),
]
RANK = {k: i for i, (k, _, _) in enumerate(KINDS)}
SEVERITY = {k: sev for k, sev, _ in KINDS}
HEADING = {k: h for k, _, h in KINDS}
ENTERPRISE = [int(p) for p in PlanType if p.is_enterprise]


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    title: str
    #: Where to fix it, in words ("Clients › Contoso › Members").
    where: str
    #: Where to fix it, for the UI to open.
    target: tuple
    organization_id: uuid.UUID | None = None
    client_name: str | None = None
    count: int = 1

    @property
    def rank(self) -> int:
        return RANK[self.kind]


@dataclass(frozen=True)
class HealthReport:
    findings: list[Finding]
    #: Findings of each kind in all (the listing may show fewer: see `limit`).
    totals: dict[str, int]
    limit: int | None

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def truncated(self) -> bool:
        return len(self.findings) < self.total


@dataclass(frozen=True)
class _Among:
    """Which clients the findings are about: the provider's, in the person's scope (S12), maybe one
    client group's."""

    provider_id: uuid.UUID
    scope: Scope
    group: uuid.UUID | None = None


def _is_client(among: _Among, org_id_col):
    return visible_clients(among.provider_id, among.scope, org_id_col, among.group)


def _limited(stmt, limit):
    return stmt.limit(limit) if limit is not None else stmt


def _paged(s: Session, stmt, limit) -> tuple[list, int]:
    """Rows of a listing (at most `limit`) and how many there are in all, in one query."""
    total = func.count().over().label("total")
    rows = s.execute(_limited(stmt.add_columns(total), limit)).all()
    if rows and (limit is None or len(rows) < limit):
        return [r[:-1] for r in rows], len(rows)
    if rows:
        return [r[:-1] for r in rows], rows[0][-1]
    return [], 0


def _break_glass(s, among: _Among) -> tuple[list[Finding], int]:
    """Self-granted emergency access stays loud until a Provider Admin acknowledges it (issue 18); a
    scoped Service User sees it only for clients in their scope (S12), as any other finding."""
    from msp_tui.core.models import Account
    from msp_tui.core.scope import in_scope
    from msp_tui.core.services.break_glass import unacknowledged_emergencies

    out = []
    for g in unacknowledged_emergencies(s, among.provider_id):
        if not in_scope(s, among.scope, g.organization_id):
            continue
        org = s.get(Organization, g.organization_id)
        who = s.get(Account, g.account_id)
        out.append(Finding("break-glass", "critical",
                           f"{who.email if who else '?'} granted themselves access to {org.name if org else '?'} "
                           f"(break-glass #{g.number}): {g.reason}", "Provider staff", ("staff",),
                           g.organization_id, org.name if org else None))
    return out, len(out)


def _failover(s, provider_id) -> tuple[list[Finding], int]:
    admins = s.execute(select(func.count()).select_from(Staff).where(
        Staff.provider_id == provider_id, Staff.role == int(StaffRole.PROVIDER_ADMIN),
        Staff.status == int(StaffStatus.CONFIRMED))).scalar_one()
    if admins >= 2:
        return [], 0
    from msp_tui.core.services import approvals

    approval = ("nobody can approve two-person requests" if approvals.is_guarded(s, provider_id, "change-approvals")
                else "two-person approval cannot be turned on")
    title = (f"Only {admins} confirmed Provider Admin: no failover if their master password is forgotten, "
             f"and {approval}")
    return [Finding("failover", "critical", title, "Provider staff", ("staff",), count=admins)], 1


def _seats(s, among, limit):
    stmt = (select(Organization.id, Organization.name, Organization.seats, Organization.occupied_seats)
            .where(Organization.seats_remaining <= 0, _is_client(among, Organization.id))
            .order_by(Organization.seats_remaining, Organization.name_lower))
    rows, total = _paged(s, stmt, limit)
    return [Finding("seats", "high", f"{name} is out of seats ({used} of {seats} used)",
                    f"Clients › {name} › Overview (seats)", ("client", oid, "overview"), oid, name, used)
            for oid, name, seats, used in rows], total


def _two_factor(s, among, limit):
    # Read through ix_policy_type_enabled as one range, then anti-joined (no per-client lookups).
    required = select(Policy.organization_id).where(
        Policy.type == int(PolicyType.TWO_FACTOR_AUTHENTICATION), Policy.enabled.is_(True))
    stmt = (select(Organization.id, Organization.name)
            .where(Organization.plan_type.in_(ENTERPRISE), _is_client(among, Organization.id),
                   Organization.id.not_in(required))
            .order_by(Organization.name_lower))
    rows, total = _paged(s, stmt, limit)
    lacking = _without_two_step(s, [oid for oid, _ in rows])
    return [Finding("two-factor", "high", f"{name} (Enterprise) does not require two-step login"
                    + (f" ({n} of {m} members have not turned it on)" if n else ""),
                    f"Clients › {name} › Policies", ("client", oid, "policies"), oid, name)
            for oid, name in rows for n, m in [lacking.get(oid, (0, 0))]], total


def _without_two_step(s, org_ids: list) -> dict:
    """For each client of the page: (members with an account and no two-step login, members with an
    account), by real enrolment (a sealed authenticator secret on file). One grouped query."""
    if not org_ids:
        return {}
    from sqlalchemy import case, func

    from msp_tui.core.models import Account

    rows = s.execute(
        select(Member.organization_id, func.sum(case((Account.totp_secret.is_(None), 1), else_=0)), func.count())
        .join(Account, Account.id == Member.account_id)
        .where(Member.organization_id.in_(org_ids),
               Member.status.in_([int(MemberStatus.ACCEPTED), int(MemberStatus.CONFIRMED)]))
        .group_by(Member.organization_id)).all()
    return {oid: (int(n or 0), int(m)) for oid, n, m in rows}


def _drift(s, among, limit):
    stmt = (select(Organization.id, Organization.name)
            .join(ClientTemplate, ClientTemplate.organization_id == Organization.id)
            .where(ClientTemplate.drifted.is_(True), _is_client(among, Organization.id))
            .order_by(Organization.name_lower))
    rows, total = _paged(s, stmt, limit)
    counts: dict = {}
    ids = [r[0] for r in rows]
    for lo in range(0, len(ids), 500):
        sub = _drift_select(among.provider_id).where(ClientTemplate.organization_id.in_(ids[lo:lo + 500])).subquery()
        counts.update(s.execute(select(sub.c.organization_id, func.count()).group_by(sub.c.organization_id)).all())
    out = []
    for oid, name in rows:
        k = counts.get(oid, 0)
        out.append(Finding("drift", "medium",
                           f"{name} differs from its policy template in {k} polic{'y' if k == 1 else 'ies'}",
                           f"Clients › {name} › Policies", ("client", oid, "policies"), oid, name, k))
    return out, total


def _members(s, among, limit, kind, where):
    n = func.count().label("n")
    # Ties by client name, as a person reads a list (by id they changed order with every database).
    grouped = (select(Member.organization_id, n)
               .join(Organization, Organization.id == Member.organization_id)
               .where(*where, _is_client(among, Member.organization_id))
               .group_by(Member.organization_id, Organization.name_lower)
               .order_by(n.desc(), Organization.name_lower, Member.organization_id))
    rows, total = _paged(s, grouped, limit)
    names = dict(s.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_([r[0] for r in rows]))).all()) if rows else {}
    out = []
    for oid, k in rows:
        name = names.get(oid, "?")
        if kind == "unconfirmed":
            title = f"{name}: {k} member{'s' if k != 1 else ''} accepted but not confirmed"
        else:
            title = f"{name}: {k} invitation{'s' if k != 1 else ''} pending over 5 days"
        out.append(Finding(kind, SEVERITY[kind], title, f"Clients › {name} › Members",
                           ("client", oid, "members"), oid, name, k))
    return out, total


def _staff_invites(s, provider_id, cutoff):
    k = s.execute(select(func.count()).select_from(Staff).where(
        Staff.provider_id == provider_id, Staff.status == int(StaffStatus.INVITED),
        Staff.invited_at < cutoff)).scalar_one()
    if not k:
        return [], 0
    return [Finding("staff-invites", "low", f"{k} staff invitation{'s' if k != 1 else ''} pending over 5 days",
                    "Provider staff", ("staff",), count=k)], 1


def report(db: Database, actor: Actor, *, limit: int | None = 100, kinds: tuple[str, ...] = (),
           group: uuid.UUID | None = None) -> HealthReport:
    """Findings worst first; at most `limit` of each kind (None for all), with the totals of each;
    about the clients the person may see (S12), or one client group's."""
    cutoff = clock.now() - INVITATION_LIFETIME
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        pid = actor.provider_id
        among = _Among(pid, scope_of(s, actor), group)
        wanted = set(kinds) or set(RANK)
        results: dict[str, tuple[list[Finding], int]] = {}
        if "failover" in wanted:
            results["failover"] = _failover(s, pid)
        if "break-glass" in wanted:
            results["break-glass"] = _break_glass(s, among)
        if "two-factor" in wanted:
            results["two-factor"] = _two_factor(s, among, limit)
        if "seats" in wanted:
            results["seats"] = _seats(s, among, limit)
        if "drift" in wanted:
            results["drift"] = _drift(s, among, limit)
        if "unconfirmed" in wanted:
            results["unconfirmed"] = _members(s, among, limit, "unconfirmed",
                                              [Member.status == int(MemberStatus.ACCEPTED)])
        if "stale-invites" in wanted:
            results["stale-invites"] = _members(s, among, limit, "stale-invites",
                                                [Member.status == int(MemberStatus.INVITED),
                                                 Member.invited_at < cutoff])
        if "staff-invites" in wanted:
            results["staff-invites"] = _staff_invites(s, pid, cutoff)
        findings = [f for k, _, _ in KINDS if k in results for f in results[k][0]]
        return HealthReport(findings, {k: results[k][1] for k, _, _ in KINDS if k in results}, limit)
