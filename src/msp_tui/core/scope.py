"""S12 Scoped staff: the one filter for which clients a person may see.

A Service User's scope is every client (the default) or the clients of some client groups; outside
it a client does not exist for them. Provider Admins always see every client. The scope is computed
once per request (`scope_of`) and applied in SQL wherever clients, their events, health, billing or
drift are listed or counted (`Scope.clients(column)`), so a new list cannot forget it; an action on
one client asks `may_see` (core.access does, for every action on a client, and refuses with S12).

Break-glass access (a live grant for one client outside the scope) belongs in `granted_clients`:
whatever it returns is seen like a client of the scope, by lists and by `may_see` alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, cast, exists, literal, literal_column, null, or_, select, true, union_all
from sqlalchemy.orm import Session

from msp_tui.core.context import Actor
from msp_tui.core.enums import StaffRole
from msp_tui.core.models import ClientGroup, ClientGroupClient, Staff, StaffScopeGroup


@dataclass(frozen=True)
class Scope:
    """The clients one person may see."""

    provider_id: uuid.UUID | None = None
    #: None: every client. Otherwise the client groups the person is scoped to (maybe none).
    group_ids: frozenset[uuid.UUID] | None = None
    group_names: tuple[str, ...] = ()
    #: Clients outside the groups the person may still see (live break-glass grants).
    granted: frozenset[uuid.UUID] = frozenset()
    #: A grant of theirs ran out and its expiry is not recorded yet (core.services.break_glass).
    lapsed: bool = False

    @property
    def everything(self) -> bool:
        return self.group_ids is None

    @property
    def label(self) -> str:
        """How messages name the scope: "the client groups 'Gold', 'North'"."""
        if self.group_ids is None:
            return "every client"
        if not self.group_names:
            return "no client group"
        word = "group" if len(self.group_names) == 1 else "groups"
        return f"the client {word} " + ", ".join(f"'{n}'" for n in self.group_names)

    @property
    def short_label(self) -> str:
        """For a narrow column: "all clients", "Gold, North", "no group"."""
        if self.group_ids is None:
            return "all clients"
        return ", ".join(self.group_names) or "no group"

    def clients(self, org_id_col, *, per_row: bool = False):
        """SQL: the organization in `org_id_col` is one this person may see (true for everything).

        As `IN (the scope's clients)` SQLite reads the scope's clients first, then sorts them: right for a
        few. `per_row`: as `EXISTS` on each row, checked against the (organization, group) index, so a
        listing walks its sort index as a Provider Admin's does and stops after a page: right for many
        (core.services.clients.list_clients chooses)."""
        if self.group_ids is None:
            return true()
        groups = sorted(self.group_ids)
        if per_row:
            cond = exists().where(ClientGroupClient.organization_id == org_id_col,
                                  ClientGroupClient.client_group_id.in_(groups))
        else:
            cond = org_id_col.in_(select(ClientGroupClient.organization_id)
                                  .where(ClientGroupClient.client_group_id.in_(groups)))
        if self.granted:
            cond = or_(cond, org_id_col.in_(sorted(self.granted)))
        return cond


EVERYTHING = Scope()


def granted_clients(session: Session, staff: Staff) -> frozenset[uuid.UUID]:
    """Clients outside the scope this person holds a live grant for (break-glass, now)."""
    from msp_tui.core.services.break_glass import live_clients

    return live_clients(session, staff.account_id)


def scope_of_staff(session: Session, staff: Staff | None, actor: Actor | None = None) -> Scope:
    """`actor` (the staff member themselves): a grant of theirs found lapsed gets its expiry recorded."""
    if staff is None or not staff.scoped or staff.role == StaffRole.PROVIDER_ADMIN:
        # Admins always see everything (people who are not confirmed staff are refused by access).
        return Scope(provider_id=staff.provider_id if staff is not None else None)
    from msp_tui.core import clock
    from msp_tui.core.models import AccessGrant
    from msp_tui.core.services import break_glass

    # Her client groups and her break-glass grants in one statement (each round trip of a request waits
    # for the server process on a busy machine): kind 0 rows are groups (id, name), kind 1 grants
    # (organization id, end).
    stmt = (select(literal(0).label("kind"), ClientGroup.id.label("id"), ClientGroup.name.label("name"),
                   ClientGroup.name_lower.label("name_lower"), cast(null(), AccessGrant.ends_at.type).label("ends_at"))
            .join(StaffScopeGroup, StaffScopeGroup.client_group_id == ClientGroup.id)
            .where(StaffScopeGroup.staff_id == staff.id))
    now = clock.now()
    if staff.account_id is not None:
        grants = break_glass.granted_since(staff.account_id, now).subquery()
        stmt = union_all(stmt, select(literal(1), grants.c.organization_id, cast(null(), ClientGroup.name.type),
                                      cast(null(), ClientGroup.name_lower.type), grants.c.ends_at))
    stmt = stmt.order_by(literal_column("kind"), literal_column("name_lower"))
    found = session.execute(stmt).all()
    rows = [r for r in found if r.kind == 0]
    live, lapsed = break_glass.grants_from([(r.id, r.ends_at) for r in found if r.kind == 1], now)
    if lapsed and actor is not None and actor.account_id == staff.account_id:
        break_glass.note_lapsed(session, actor)
    return Scope(provider_id=staff.provider_id, group_ids=frozenset(r.id for r in rows),
                 group_names=tuple(r.name for r in rows), granted=live, lapsed=lapsed)


def scope_of(session: Session, actor: Actor, provider_id: uuid.UUID | None = None) -> Scope:
    """The actor's scope in a provider (theirs by default): compute once per request, then filter."""
    from msp_tui.core.access import staff_row

    return scope_of_staff(session, staff_row(session, actor, provider_id or actor.provider_id), actor)


def in_scope(session: Session, scope: Scope, organization_id: uuid.UUID) -> bool:
    if scope.everything or organization_id in scope.granted:
        return True
    return in_groups(session, scope, organization_id)


def in_groups(session: Session, scope: Scope, organization_id: uuid.UUID) -> bool:
    """In the scope's client groups (not counting break-glass grants)."""
    if scope.everything:
        return True
    if not scope.group_ids:
        return False
    return session.execute(select(ClientGroupClient.organization_id).where(
        ClientGroupClient.organization_id == organization_id,
        ClientGroupClient.client_group_id.in_(sorted(scope.group_ids))).limit(1)).first() is not None


def may_see(session: Session, actor: Actor, organization_id: uuid.UUID,
            provider_id: uuid.UUID | None = None) -> bool:
    """May this actor see client `organization_id`? (Staff only; members are decided by access.)"""
    return in_scope(session, scope_of(session, actor, provider_id), organization_id)


def in_group(org_id_col, group_id: uuid.UUID):
    """SQL: the organization in `org_id_col` is in client group `group_id` (a filter, not a scope)."""
    return org_id_col.in_(select(ClientGroupClient.organization_id)
                          .where(ClientGroupClient.client_group_id == group_id))


def visible_clients(provider_id: uuid.UUID, scope: Scope, org_id_col, group: uuid.UUID | None = None):
    """SQL: `org_id_col` is a client of the provider that this scope sees (and in `group`, if given).
    What every cross-client listing (health, billing, drift) filters on."""
    from msp_tui.core.models import Client

    conds = [exists().where(Client.organization_id == org_id_col, Client.provider_id == provider_id)]
    if not scope.everything:
        conds.append(scope.clients(org_id_col))
    if group is not None:
        conds.append(in_group(org_id_col, group))
    return and_(*conds)
