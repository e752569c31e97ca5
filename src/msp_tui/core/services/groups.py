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
from msp_tui.core.models import Group, GroupMember, Member
from msp_tui.core.schemas import GroupInput, parse
from msp_tui.core.services.common import as_uuid, check_version, touch
from msp_tui.core.services.members import _org_for, _record


@dataclass(frozen=True)
class GroupView:
    id: uuid.UUID
    name: str
    members: int
    version: int


def list_groups(db: Database, actor: Actor, client) -> list[GroupView]:
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.VIEW_GROUPS, organization_id=org.id)
        counts = dict(s.execute(select(GroupMember.group_id, func.count()).join(
            Group, Group.id == GroupMember.group_id).where(Group.organization_id == org.id)
            .group_by(GroupMember.group_id)).all())
        rows = s.execute(select(Group).where(Group.organization_id == org.id).order_by(Group.name)).scalars()
        return [GroupView(g.id, g.name, counts.get(g.id, 0), g.version) for g in rows]


def group_ids(db: Database, actor: Actor, client, refs, action: Action) -> list[uuid.UUID]:
    """Group names or ids as ids, for someone about to do `action` with them: checked first, so a
    person refused learns no group's name and is told the rule of what they tried."""
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, action, organization_id=org.id)
        return [_find(s, org, ref).id for ref in refs]


def _find(s, org, ref) -> Group:
    ident = as_uuid(ref)
    stmt = select(Group).where(Group.organization_id == org.id)
    stmt = stmt.where(Group.id == ident) if ident else stmt.where(Group.name == str(ref).strip())
    g = s.execute(stmt).scalar_one_or_none()
    if g is None:
        raise NotFound(f"No group {str(ref)!r} in {org.name}.", "group")
    return g


def _name_free(s, org, name: str, keep: uuid.UUID | None = None) -> None:
    """Names pick a group on the command line, so two groups of one client never share one."""
    taken = s.execute(select(Group.id).where(Group.organization_id == org.id, Group.name == name)).scalar()
    if taken is not None and taken != keep:
        raise BadInput(f"{org.name} already has a group named {name!r}.", "name")


def create_group(db: Database, actor: Actor, client, name: str) -> GroupView:
    data = parse(GroupInput, name=name)
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_GROUPS, organization_id=org.id)
        _name_free(s, org, data.name)
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
        _name_free(s, org, data.name, g.id)
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


def group_member_ids(db: Database, actor: Actor, client, ref) -> set[uuid.UUID]:
    """The members in one group (the group dialog ticks them)."""
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
        g = _find(s, org, ref)
        return set(s.execute(select(GroupMember.member_id).where(GroupMember.group_id == g.id)).scalars())


def set_group_members(db: Database, actor: Actor, client, ref, member_ids) -> int:
    """Put exactly these members in one group, in one transaction: one "Edited member's groups"
    event per member who joined or left (as `members set-groups` writes). Returns how many changed."""
    wanted = set(member_ids)
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_GROUPS, organization_id=org.id)
        g = _find(s, org, ref)
        found = {m.id: m for m in s.execute(select(Member).where(Member.organization_id == org.id,
                                                                 Member.id.in_(wanted))).scalars()}
        if len(found) != len(wanted):
            raise NotFound(f"A member given is not a member of {org.name}.", "member")
        current = set(s.execute(select(GroupMember.member_id).where(GroupMember.group_id == g.id)).scalars())
        left, joined = current - wanted, wanted - current
        if left:
            s.execute(GroupMember.__table__.delete().where(GroupMember.group_id == g.id,
                                                           GroupMember.member_id.in_(left)))
        for mid in joined:
            s.add(GroupMember(group_id=g.id, member_id=mid))
        s.flush()
        for mid in sorted(left | joined):
            m = found.get(mid) or s.get(Member, mid)
            count = s.execute(select(func.count()).select_from(GroupMember)
                              .where(GroupMember.member_id == mid)).scalar_one()
            touch(m, actor)
            _record(s, actor, EventType.MEMBER_UPDATED_GROUPS, m, groups=count)
        return len(left | joined)
