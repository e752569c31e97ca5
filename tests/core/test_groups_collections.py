"""Groups and collections with per-member and per-group access levels; names stay encrypted at rest."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msp_tui.core.enums import CollectionAccess
from msp_tui.core.errors import BadInput
from msp_tui.core.models import Collection
from msp_tui.core.services import clients, collections, groups, members


def test_groups_and_collection_access(db, admin):
    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                                owner_email="o@c.example")
    ops = groups.create_group(db, admin, org.id, "Ops")
    with pytest.raises(BadInput):
        groups.create_group(db, admin, org.id, "Ops")
    members.invite(db, admin, org.id, ["a@c.example"])
    members.set_groups(db, admin, org.id, "a@c.example", [ops.id])
    assert [g.members for g in groups.list_groups(db, admin, org.id)] == [1]
    collections.create_collection(db, admin, org.id, "Break-glass")
    collections.set_member_access(db, admin, org.id, "Break-glass", "a@c.example",
                                  CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS)
    collections.set_group_access(db, admin, org.id, "Break-glass", ops.id, CollectionAccess.CAN_MANAGE)
    [bg] = [c for c in collections.list_collections(db, admin, org.id) if c.name == "Break-glass"]
    assert bg.members == (("a@c.example", CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS),)
    assert bg.groups == (("Ops", CollectionAccess.CAN_MANAGE),)
    with db.read() as s:  # the name is stored encrypted, never in the clear
        blobs = s.execute(select(Collection.name).where(Collection.organization_id == org.id)).scalars().all()
    assert all(b"Break-glass" not in b for b in blobs)
    collections.delete_collection(db, admin, org.id, "Break-glass")
    groups.delete_group(db, admin, org.id, "Ops")
    assert groups.list_groups(db, admin, org.id) == []
