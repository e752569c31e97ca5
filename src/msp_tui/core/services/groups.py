"""A client's groups (events 1400-1402)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from msp_tui.core import events
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, NotFound
from msp_tui.core.models import Group, GroupMember
from msp_tui.core.schemas import GroupInput, parse
from msp_tui.core.services.common import as_uuid, check_version, touch
from msp_tui.core.services.members import _org_for


@dataclass(frozen=True)
class GroupView:
    id: uuid.UUID
    name: str
    members: int
    version: int


def list_groups(db: Database, actor: Actor, client) -> list[GroupView]:
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
        counts = dict(s.execute(select(GroupMember.group_id, func.count()).join(
            Group, Group.id == GroupMember.group_id).where(Group.organization_id == org.id)
            .group_by(GroupMember.group_id)).all())
        rows = s.execute(select(Group).where(Group.organization_id == org.id).order_by(Group.name)).scalars()
        return [GroupView(g.id, g.name, counts.get(g.id, 0), g.version) for g in rows]


def _find(s, org, ref) -> Group:
    ident = as_uuid(ref)
    stmt = select(Group).where(Group.organization_id == org.id)
    stmt = stmt.where(Group.id == ident) if ident else stmt.where(Group.name == str(ref).strip())
    g = s.execute(stmt).scalar_one_or_none()
    if g is None:
        raise NotFound(f"No group {str(ref)!r} in {org.name}.", "group")
    return g


def create_group(db: Database, actor: Actor, client, name: str) -> GroupView:
    data = parse(GroupInput, name=name)
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_GROUPS, organization_id=org.id)
        if s.execute(select(Group.id).where(Group.organization_id == org.id, Group.name == data.name)).first():
            raise BadInput(f"{org.name} already has a group named {data.name!r}.", "name")
        g = Group(organization_id=org.id, name=data.name)
        touch(g, actor)
        s.add(g)
        s.flush()
        events.record(s, actor, EventType.GROUP_CREATED, organization_id=org.id, group_id=g.id,
                      detail={"name": g.name})
        return GroupView(g.id, g.name, 0, g.version)


def rename_group(db: Database, actor: Actor, client, ref, name: str,
                 expected_version: int | None = None) -> GroupView:
    data = parse(GroupInput, name=name)
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_GROUPS, organization_id=org.id)
        g = _find(s, org, ref)
        check_version(s, g, expected_version, f"Group {g.name!r}")
        old, g.name = g.name, data.name
        touch(g, actor)
        events.record(s, actor, EventType.GROUP_UPDATED, organization_id=org.id, group_id=g.id,
                      detail={"name": [old, data.name]})
        s.flush()
        return GroupView(g.id, g.name, 0, g.version)


def delete_group(db: Database, actor: Actor, client, ref) -> None:
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_GROUPS, organization_id=org.id)
        g = _find(s, org, ref)
        events.record(s, actor, EventType.GROUP_DELETED, organization_id=org.id, group_id=g.id,
                      detail={"name": g.name})
        s.delete(g)
