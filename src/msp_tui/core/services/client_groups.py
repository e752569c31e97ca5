"""Client groups (a provider's clients in service tiers, regions, teams) and Service Users' scopes
(S12; events 1950-1955). The filter itself lives in core/scope.py.

Not a client's own member groups (services/groups.py): these group whole clients of the provider.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from msp_tui.core import events
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, StaffRole
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import ClientGroup, ClientGroupClient, Organization, StaffScopeGroup
from msp_tui.core.schemas import ClientGroupInput, parse
from msp_tui.core.scope import Scope, scope_of, scope_of_staff
from msp_tui.core.services.common import as_uuid, check_version, find_client, touch


@dataclass(frozen=True)
class ClientGroupView:
    id: uuid.UUID
    name: str
    #: Clients in the group that the person asking may see (S12).
    clients: int
    version: int


def find_group(s: Session, provider_id: uuid.UUID, ref: str | uuid.UUID) -> ClientGroup:
    ident = as_uuid(ref)
    stmt = select(ClientGroup).where(ClientGroup.provider_id == provider_id)
    stmt = (stmt.where(ClientGroup.id == ident) if ident
            else stmt.where(ClientGroup.name_lower == str(ref).strip().lower()))
    g = s.execute(stmt).scalar_one_or_none()
    if g is None:
        raise NotFound(f"No client group {str(ref)!r}.", "client group")
    return g


def _visible_groups(s: Session, actor: Actor, scope: Scope):
    stmt = select(ClientGroup).where(ClientGroup.provider_id == actor.provider_id)
    if scope.group_ids is not None:
        stmt = stmt.where(ClientGroup.id.in_(sorted(scope.group_ids)))
    return stmt.order_by(ClientGroup.name_lower)


def list_client_groups(db: Database, actor: Actor) -> list[ClientGroupView]:
    """The provider's client groups with their client counts; a scoped Service User sees the groups
    of their scope only, and counts only the clients they may see."""
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENT_GROUPS)
        scope = scope_of(s, actor)
        groups = s.execute(_visible_groups(s, actor, scope)).scalars().all()
        counts = dict(s.execute(
            select(ClientGroupClient.client_group_id, func.count())
            .where(ClientGroupClient.client_group_id.in_([g.id for g in groups]),
                   scope.clients(ClientGroupClient.organization_id))
            .group_by(ClientGroupClient.client_group_id)).all()) if groups else {}
        return [ClientGroupView(g.id, g.name, counts.get(g.id, 0), g.version) for g in groups]


def group_ids(db: Database, actor: Actor, refs) -> list[uuid.UUID]:
    """Client group names or ids as ids (for filters): each must be one the person may see."""
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENT_GROUPS)
        scope = scope_of(s, actor)
        out = []
        for ref in refs:
            g = find_group(s, actor.provider_id, ref)
            if scope.group_ids is not None and g.id not in scope.group_ids:
                raise NotFound(f"No client group {str(ref)!r}.", "client group")
            out.append(g.id)
        return out


def groups_of(s: Session, org_ids: list[uuid.UUID], scope: Scope | None = None) -> dict[uuid.UUID, list[str]]:
    """Each organization's client group names (for the clients home's column). Given a person's
    `scope`, only the groups of it: a scoped Service User is not told of groups outside it (S12)."""
    if not org_ids:
        return {}
    out: dict[uuid.UUID, list[str]] = {}
    stmt = (select(ClientGroupClient.organization_id, ClientGroup.name)
            .join(ClientGroup, ClientGroup.id == ClientGroupClient.client_group_id)
            .where(ClientGroupClient.organization_id.in_(org_ids)).order_by(ClientGroup.name_lower))
    if scope is not None and scope.group_ids is not None:
        stmt = stmt.where(ClientGroupClient.client_group_id.in_(sorted(scope.group_ids)))
    rows = s.execute(stmt)
    for org_id, name in rows:
        out.setdefault(org_id, []).append(name)
    return out


def memberships(db: Database, actor: Actor, org_ids) -> tuple[list[ClientGroupView], dict[uuid.UUID, set]]:
    """The client groups the person may see, and which of `org_ids` each holds (group id → org ids):
    what the clients home's "client groups" dialog ticks. One query for all the clients."""
    groups = list_client_groups(db, actor)
    ids = [g.id for g in groups]
    with db.read() as s:
        rows = s.execute(select(ClientGroupClient.client_group_id, ClientGroupClient.organization_id).where(
            ClientGroupClient.client_group_id.in_(ids),
            ClientGroupClient.organization_id.in_(list(org_ids)))).all() if ids and org_ids else []
    held: dict[uuid.UUID, set] = {}
    for gid, oid in rows:
        held.setdefault(gid, set()).add(oid)
    return groups, held


def group_names_of(db: Database, actor: Actor, org_ids) -> dict[uuid.UUID, list[str]]:
    """The clients home's Groups column for a page of clients, in one query: each client's client
    groups that the person may see (a scoped Service User is not told of groups outside the scope)."""
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENT_GROUPS)
        return groups_of(s, list(org_ids), scope_of(s, actor))


def client_group_names(db: Database, actor: Actor, client) -> list[str]:
    with db.read() as s:
        org = find_client(s, actor.provider_id, client)
        check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
        return groups_of(s, [org.id], scope_of(s, actor)).get(org.id, [])


def _name_free(s: Session, provider_id: uuid.UUID, name: str, keep: uuid.UUID | None = None) -> None:
    taken = s.execute(select(ClientGroup.id, ClientGroup.name).where(
        ClientGroup.provider_id == provider_id, ClientGroup.name_lower == name.lower())).first()
    if taken is not None and taken.id != keep:
        raise BadInput(f"There is already a client group named {taken.name!r}.", "name")


def _new_group(s: Session, actor: Actor, name: str) -> ClientGroup:
    """A new client group named `name` (already parsed), event 1950; the caller checked the access."""
    _name_free(s, actor.provider_id, name)
    g = ClientGroup(provider_id=actor.provider_id, name=name, name_lower=name.lower())
    touch(g, actor)
    s.add(g)
    s.flush()
    events.record(s, actor, EventType.CLIENT_GROUP_CREATED, provider_id=actor.provider_id,
                  detail={"client_group": g.name})
    return g


def create_client_group(db: Database, actor: Actor, name: str, clients=()) -> ClientGroupView:
    """A new client group (event 1950), with `clients` in it (event 1953 each)."""
    data = parse(ClientGroupInput, name=name)
    with db.write() as s:
        check(s, actor, Action.MANAGE_CLIENT_GROUPS)
        g = _new_group(s, actor, data.name)
        n = _add(s, actor, g, clients)
        return ClientGroupView(g.id, g.name, n, g.version)


def rename_client_group(db: Database, actor: Actor, ref, name: str,
                        expected_version: int | None = None) -> ClientGroupView:
    data = parse(ClientGroupInput, name=name)
    with db.write() as s:
        check(s, actor, Action.MANAGE_CLIENT_GROUPS)
        g = find_group(s, actor.provider_id, ref)
        check_version(s, g, expected_version, f"Client group {g.name}")
        _name_free(s, actor.provider_id, data.name, keep=g.id)
        old = g.name
        if old != data.name:
            g.name, g.name_lower = data.name, data.name.lower()
            touch(g, actor)
            events.record(s, actor, EventType.CLIENT_GROUP_RENAMED, provider_id=actor.provider_id,
                          detail={"client_group": [old, g.name]})
            s.flush()
        n = s.execute(select(func.count()).select_from(ClientGroupClient)
                      .where(ClientGroupClient.client_group_id == g.id)).scalar_one()
        return ClientGroupView(g.id, g.name, n, g.version)


def delete_client_group(db: Database, actor: Actor, ref) -> None:
    """Delete a client group (event 1952). Its clients stay; a Service User scoped to it loses it
    (a scope left with no group shows no client: it never widens by itself)."""
    with db.write() as s:
        check(s, actor, Action.MANAGE_CLIENT_GROUPS)
        g = find_group(s, actor.provider_id, ref)
        events.record(s, actor, EventType.CLIENT_GROUP_DELETED, provider_id=actor.provider_id,
                      detail={"client_group": g.name})
        s.execute(delete(ClientGroupClient).where(ClientGroupClient.client_group_id == g.id))
        s.execute(delete(StaffScopeGroup).where(StaffScopeGroup.client_group_id == g.id))
        s.delete(g)
        s.flush()


def _orgs(s: Session, actor: Actor, clients) -> list[Organization]:
    orgs, seen = [], set()
    for ref in clients:
        org = find_client(s, actor.provider_id, ref)
        if org.id not in seen:
            seen.add(org.id)
            orgs.append(org)
    return orgs


def _add(s: Session, actor: Actor, g: ClientGroup, clients) -> int:
    orgs = _orgs(s, actor, clients)
    have = set(s.execute(select(ClientGroupClient.organization_id).where(
        ClientGroupClient.client_group_id == g.id,
        ClientGroupClient.organization_id.in_([o.id for o in orgs]))).scalars()) if orgs else set()
    added = 0
    for org in orgs:
        if org.id in have:
            continue
        s.add(ClientGroupClient(client_group_id=g.id, organization_id=org.id))
        events.record(s, actor, EventType.CLIENT_GROUP_CLIENT_ADDED, provider_id=actor.provider_id,
                      organization_id=org.id, detail={"client_group": g.name})
        added += 1
    s.flush()
    return added


def add_clients(db: Database, actor: Actor, ref, clients) -> int:
    """Put clients in a client group (event 1953 each; those already in it are left as they are)."""
    if not clients:
        raise BadInput("Name at least one client to put in the group.", "clients")
    with db.write() as s:
        check(s, actor, Action.MANAGE_CLIENT_GROUPS)
        return _add(s, actor, find_group(s, actor.provider_id, ref), clients)


def remove_clients(db: Database, actor: Actor, ref, clients) -> int:
    """Take clients out of a client group (event 1954 each)."""
    if not clients:
        raise BadInput("Name at least one client to take out of the group.", "clients")
    with db.write() as s:
        check(s, actor, Action.MANAGE_CLIENT_GROUPS)
        g = find_group(s, actor.provider_id, ref)
        removed = 0
        for org in _orgs(s, actor, clients):
            gone = s.execute(delete(ClientGroupClient).where(ClientGroupClient.client_group_id == g.id,
                                                             ClientGroupClient.organization_id == org.id))
            if gone.rowcount:
                events.record(s, actor, EventType.CLIENT_GROUP_CLIENT_REMOVED, provider_id=actor.provider_id,
                              organization_id=org.id, detail={"client_group": g.name})
                removed += 1
        return removed


def put_in_groups(s: Session, actor: Actor, org: Organization, refs, new=()) -> None:
    """For `clients create --group/--new-group` and the onboarding wizard: the new client in the
    client groups `refs` and in new groups named `new`, in the client's own transaction.

    S12: the groups named must be of the person's scope (one outside it does not exist for them), and
    a scoped person makes no new group (it would be outside their scope at once)."""
    scope = scope_of(s, actor)
    found = []
    for ref in refs:
        g = find_group(s, actor.provider_id, ref)
        if scope.group_ids is not None and g.id not in scope.group_ids:
            raise NotFound(f"No client group {str(ref)!r}.", "client group")
        found.append(g)
    names = list(dict.fromkeys(parse(ClientGroupInput, name=n).name for n in new))
    if names and not scope.everything:
        raise Refused("S12", f"A new client group would be outside your scope ({scope.label}); "
                             "a Provider Admin makes client groups.")
    seen = set()
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            found.append(_new_group(s, actor, name))
    for g in found:
        _add(s, actor, g, [org.id])


# --- scopes (S12) ------------------------------------------------------------------------------


def set_staff_scope(db: Database, actor: Actor, email: str, groups=None) -> str:
    """Scope a Service User to client groups, or (groups None) give them every client again
    (event 1955). Provider Admins only; an admin's scope is always every client."""
    from msp_tui.core.services.staff import find_staff

    with db.write() as s:
        check(s, actor, Action.MANAGE_STAFF)
        st = find_staff(s, actor.provider_id, email)
        if groups is not None and st.role == StaffRole.PROVIDER_ADMIN:
            raise BadInput(f"{st.email} is a Provider Admin, who always sees every client (S12); "
                           "only Service Users can be scoped.", "email")
        before = scope_of_staff(s, st).label
        if groups is not None and not groups:
            raise BadInput("Name at least one client group, or every client (--all).", "groups")
        s.execute(delete(StaffScopeGroup).where(StaffScopeGroup.staff_id == st.id))
        if groups is None:
            st.scoped = False
        else:
            ids = []
            for ref in groups:
                g = find_group(s, actor.provider_id, ref)
                if g.id not in ids:
                    ids.append(g.id)
                    s.add(StaffScopeGroup(staff_id=st.id, client_group_id=g.id))
            st.scoped = True
        touch(st, actor)
        s.flush()
        after = scope_of_staff(s, st).label
        events.record(s, actor, EventType.STAFF_SCOPE_CHANGED, provider_id=actor.provider_id,
                      provider_user_id=st.id, account_id=st.account_id,
                      detail={"email": st.email, "scope": [before, after]})
        return after


def staff_scope_views(db: Database, actor: Actor) -> dict[uuid.UUID, Scope]:
    """Each staff member's scope (for the staff screen's column and its scope dialog)."""
    from msp_tui.core.models import Staff

    with db.read() as s:
        check(s, actor, Action.VIEW_STAFF)
        rows = s.execute(select(Staff).where(Staff.provider_id == actor.provider_id)).scalars().all()
        return {st.id: scope_of_staff(s, st) for st in rows}


def staff_scopes(db: Database, actor: Actor) -> dict[uuid.UUID, str]:
    """Each staff member's scope as words (for `staff list`)."""
    return {k: v.label for k, v in staff_scope_views(db, actor).items()}
