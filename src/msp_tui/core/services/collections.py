"""A client's collections and who may use them (events 1300-1302). Names are encrypted by the org key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select

from msp_tui.core import events, keys
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import CollectionAccess, EventType
from msp_tui.core.errors import NotFound
from msp_tui.core.models import Collection, CollectionGroup, CollectionMember, Group, Member
from msp_tui.core.schemas import CollectionInput, parse
from msp_tui.core.services.common import as_uuid, touch
from msp_tui.core.services.members import _org_for, find_member

NAME = "collection-name"


@dataclass(frozen=True)
class CollectionView:
    id: uuid.UUID
    name: str
    members: tuple[tuple[str, CollectionAccess], ...]
    groups: tuple[tuple[str, CollectionAccess], ...]
    version: int
    #: The name did not decrypt (damaged, or moved from another row); `name` says so.
    damaged: bool = False


def list_collections(db: Database, actor: Actor, client) -> list[CollectionView]:
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.VIEW_COLLECTIONS, organization_id=org.id)
        key = keys.org_key(s, actor, org.id)
        colls = s.execute(select(Collection).where(Collection.organization_id == org.id)).scalars().all()
        ids = [c.id for c in colls]
        mem: dict = {}
        for cid, email, acc in s.execute(select(CollectionMember.collection_id, Member.email,
                                                CollectionMember.access).join(
                Member, Member.id == CollectionMember.member_id).where(CollectionMember.collection_id.in_(ids))):
            mem.setdefault(cid, []).append((email, CollectionAccess(acc)))
        grp: dict = {}
        for cid, name, acc in s.execute(select(CollectionGroup.collection_id, Group.name,
                                               CollectionGroup.access).join(
                Group, Group.id == CollectionGroup.group_id).where(CollectionGroup.collection_id.in_(ids))):
            grp.setdefault(cid, []).append((name, CollectionAccess(acc)))
        out = [CollectionView(c.id, *_named(key, org.id, c, mem, grp)) for c in colls]
        return sorted(out, key=lambda v: v.name.lower())


def _named(key, org_id, c, mem, grp) -> tuple:
    name, damaged = keys.shown_name(key, org_id, c.id, c.name, NAME)
    return name, tuple(sorted(mem.get(c.id, []))), tuple(sorted(grp.get(c.id, []))), c.version, damaged


def _find(s, org, key, ref) -> Collection:
    colls = s.execute(select(Collection).where(Collection.organization_id == org.id)).scalars().all()
    ident = as_uuid(ref)
    for c in colls:
        if c.id == ident:
            return c
        if ident is None:
            name, damaged = keys.shown_name(key, org.id, c.id, c.name, NAME)
            if not damaged and name == str(ref).strip():
                return c
    raise NotFound(f"No collection {str(ref)!r} in {org.name}.", "collection")


def create_collection(db: Database, actor: Actor, client, name: str) -> CollectionView:
    data = parse(CollectionInput, name=name)
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.CREATE_COLLECTION, organization_id=org.id)
        key = keys.org_key(s, actor, org.id)
        cid = uuid.uuid4()
        c = Collection(id=cid, organization_id=org.id, name=keys.encrypt_name(key, org.id, cid, data.name, NAME))
        touch(c, actor)
        s.add(c)
        s.flush()
        events.record(s, actor, EventType.COLLECTION_CREATED, organization_id=org.id, collection_id=c.id)
        return CollectionView(c.id, data.name, (), (), c.version)


def rename_collection(db: Database, actor: Actor, client, ref, name: str) -> None:
    data = parse(CollectionInput, name=name)
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.EDIT_ANY_COLLECTION, organization_id=org.id)
        key = keys.org_key(s, actor, org.id)
        c = _find(s, org, key, ref)
        c.name = keys.encrypt_name(key, org.id, c.id, data.name, NAME)
        touch(c, actor)
        events.record(s, actor, EventType.COLLECTION_UPDATED, organization_id=org.id, collection_id=c.id)


def delete_collection(db: Database, actor: Actor, client, ref) -> None:
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.DELETE_ANY_COLLECTION, organization_id=org.id)
        c = _find(s, org, keys.org_key(s, actor, org.id), ref)
        events.record(s, actor, EventType.COLLECTION_DELETED, organization_id=org.id, collection_id=c.id)
        s.delete(c)


def set_member_access(db: Database, actor: Actor, client, ref, member_ref,
                      access: CollectionAccess | None) -> None:
    """Grant a member an access level on a collection, or take it away with None."""
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_ACCESS_RULES, organization_id=org.id)
        c = _find(s, org, keys.org_key(s, actor, org.id), ref)
        m = find_member(s, org, member_ref)
        s.execute(delete(CollectionMember).where(CollectionMember.collection_id == c.id,
                                                 CollectionMember.member_id == m.id))
        if access is not None:
            s.add(CollectionMember(collection_id=c.id, member_id=m.id, access=int(access)))
        touch(c, actor)
        events.record(s, actor, EventType.COLLECTION_UPDATED, organization_id=org.id, collection_id=c.id,
                      organization_user_id=m.id,
                      detail={"member": m.email, "access": access.label if access is not None else None})


def set_group_access(db: Database, actor: Actor, client, ref, group_id: uuid.UUID,
                     access: CollectionAccess | None) -> None:
    with db.write() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.MANAGE_ACCESS_RULES, organization_id=org.id)
        c = _find(s, org, keys.org_key(s, actor, org.id), ref)
        g = s.get(Group, group_id)
        if g is None or g.organization_id != org.id:
            raise NotFound("No such group in this organization.", "group")
        s.execute(delete(CollectionGroup).where(CollectionGroup.collection_id == c.id,
                                                CollectionGroup.group_id == g.id))
        if access is not None:
            s.add(CollectionGroup(collection_id=c.id, group_id=g.id, access=int(access)))
        touch(c, actor)
        events.record(s, actor, EventType.COLLECTION_UPDATED, organization_id=org.id, collection_id=c.id,
                      group_id=g.id,
                      detail={"group": g.name, "access": access.label if access is not None else None})


@dataclass(frozen=True)
class AccessRow:
    """Who may use a collection: a member (by email) or a group (by name), with their level."""

    kind: str  # "member" | "group"
    id: uuid.UUID
    who: str
    access: CollectionAccess


def collection_access(db: Database, actor: Actor, client, ref) -> tuple[str, list[AccessRow]]:
    """One collection's name and its access list: groups first, then members, each by name."""
    with db.read() as s:
        org = _org_for(s, actor, client)
        check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
        key = keys.org_key(s, actor, org.id)
        c = _find(s, org, key, ref)
        groups = [AccessRow("group", gid, name, CollectionAccess(acc)) for gid, name, acc in s.execute(
            select(Group.id, Group.name, CollectionGroup.access).join(
                CollectionGroup, CollectionGroup.group_id == Group.id).where(CollectionGroup.collection_id == c.id))]
        members = [AccessRow("member", mid, email, CollectionAccess(acc)) for mid, email, acc in s.execute(
            select(Member.id, Member.email, CollectionMember.access).join(
                CollectionMember, CollectionMember.member_id == Member.id)
            .where(CollectionMember.collection_id == c.id))]
        return (keys.shown_name(key, org.id, c.id, c.name, NAME)[0],  # a damaged name is said, not raised
                sorted(groups, key=lambda r: r.who.lower()) + sorted(members, key=lambda r: r.who.lower()))
