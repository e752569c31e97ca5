"""Rotating a client's organization key (`msp-tui clients rotate-key`, the client screen; issue 15, attack 12).

Someone who kept a client's org key (a removed staffer, a member who left) and later gets a copy of
the file could decrypt its items. A rotation makes a new org key and, in one transaction, writes
every item of the client and every collection name again under it (bound to their rows), wraps it
for the provider, seals it to each confirmed member whose public key is vouched for, and records one
event. Personal items are not the organization's: they are not touched. Group names are not encrypted.
Items or names that do not decrypt (damaged, altered) cannot be written again; they are left as
they are and counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from msp_tui.core import crypto, events, keys
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberStatus
from msp_tui.core.errors import MspError
from msp_tui.core.models import Account, Client, Collection, Event, Member, Organization, Provider, VaultItem
from msp_tui.core.services import approvals
from msp_tui.core.services.common import as_uuid, find_client
from msp_tui.core.services.vault import item_aad

#: Rows written per statement (and per progress step).
CHUNK = 1000


@dataclass(frozen=True)
class Rotation:
    client: str
    items: int
    collections: int
    members: int
    #: Items and collection names that did not decrypt with the old key and were left as they were.
    damaged: int
    #: Confirmed members whose public key's signature failed: they got nothing and must be confirmed again.
    unsealed: tuple[str, ...]


def _org(s, actor: Actor, client) -> Organization:
    ident = as_uuid(client)
    if ident is not None:
        org = s.get(Organization, ident)
        if org is not None:
            return org
    return find_client(s, actor.provider_id, client)


def rotate_org_key(db: Database, actor: Actor, client, *,
                   progress: Callable[[int, int], None] | None = None) -> Rotation:
    """A new org key for a client; everything encrypted by the old one written again (see module)."""
    with db.write() as s:
        org = _org(s, actor, client)
        check(s, actor, Action.ROTATE_CLIENT_KEY, organization_id=org.id)
        approvals.gate(s, actor, "rotate-client-key", {"client": str(org.id)})
        old_key = keys.org_key(s, actor, org.id)
        new_key = crypto.random_key()
        t = VaultItem.__table__.c
        rows = s.execute(select(t.id, t.data).where(t.organization_id == org.id)).all()
        total = len(rows)
        if progress is not None:
            progress(0, total)
        stmt = (VaultItem.__table__.update().where(t.id == bindparam("b_id"))
                .values(data=bindparam("b_data"), version=t.version + 1, updated_by_id=actor.account_id))
        damaged = done = 0
        for start in range(0, total, CHUNK):
            batch = []
            for item_id, data in rows[start:start + CHUNK]:
                aad = item_aad(item_id, org.id, None)
                try:
                    plain = crypto.decrypt(old_key, data, aad)
                except crypto.DecryptionError:
                    damaged += 1
                    continue
                batch.append({"b_id": item_id, "b_data": crypto.encrypt(new_key, plain, aad)})
            if batch:
                s.execute(stmt, batch)
            done += len(rows[start:start + CHUNK])
            if progress is not None:
                progress(done, total)
        names = 0
        for coll in s.execute(select(Collection).where(Collection.organization_id == org.id)).scalars():
            try:  # names written before rows were bound (org only) are bound to their row now
                name = keys.decrypt_name(old_key, org.id, coll.id, coll.name, "collection-name")
            except (crypto.DecryptionError, UnicodeDecodeError):
                damaged += 1
                continue
            coll.name = keys.encrypt_name(new_key, org.id, coll.id, name, "collection-name")
            names += 1
        if org.protected_private_key is not None:
            private = crypto.decrypt(old_key, org.protected_private_key, crypto.aad("org-private-key", org.id))
            org.protected_private_key = crypto.encrypt(new_key, private, crypto.aad("org-private-key", org.id))
        link = s.execute(select(Client).where(Client.organization_id == org.id)).scalar_one_or_none()
        if link is not None and link.key is not None:
            provider = s.get(Provider, link.provider_id)
            pkey = keys.provider_key(s, actor, provider.id)
            link.key = keys.wrap_org_key_for_provider(new_key, org.id, pkey, provider.key_generation)
            link.key_generation = provider.key_generation
        sealed, unsealed = 0, []
        for m in s.execute(select(Member).where(Member.organization_id == org.id)).scalars():
            if m.status != MemberStatus.CONFIRMED or m.account_id is None:
                m.key = None  # the old key opens nothing any more; nobody else gets the new one
                continue
            account = s.get(Account, m.account_id)
            if not crypto.public_key_vouched(account):
                m.key = None
                unsealed.append(m.email)
                continue
            m.key = keys.seal_org_key_for_member(new_key, org.id, account.public_key)
            sealed += 1
        detail = {"items": total - damaged, "collections": names, "members": sealed}
        if damaged:
            detail["damaged"] = damaged
        events.record(s, actor, EventType.ORGANIZATION_KEY_ROTATED, organization_id=org.id,
                      provider_id=link.provider_id if link is not None else None, detail=detail)
        return Rotation(org.name, total - damaged, names, sealed, damaged, tuple(unsealed))


@dataclass(frozen=True)
class Rotations:
    """Several clients' keys: those rotated, and those two-person approval kept for a second admin."""
    rotated: tuple[Rotation, ...]
    #: Core's refusal for each guarded client, carrying the change (`approvals.request(..., **arguments)`).
    guarded: tuple[approvals.ApprovalNeeded, ...]
    #: (client, core's sentence) for clients refused for another reason (gone since they were listed).
    refused: tuple[tuple[str, str], ...] = ()


def rotate_each(db: Database, actor: Actor, clients: list[tuple[uuid.UUID, str]]) -> Rotations:
    """Rotate every listed client's key, one transaction each: a client two-person approval guards (or
    one refused otherwise) does not stop the others."""
    rotated, guarded, refused = [], [], []
    for org_id, name in clients:
        try:
            rotated.append(rotate_org_key(db, actor, org_id))
        except approvals.ApprovalNeeded as exc:
            guarded.append(exc)
        except MspError as exc:
            refused.append((name, exc.message))
    return Rotations(tuple(rotated), tuple(guarded), tuple(refused))


def vaults_opened_by(db: Database, actor: Actor, account_id: uuid.UUID | None) -> list[tuple[uuid.UUID, str]]:
    """The provider's clients whose vault this person opened (event 1903), by name: the org keys a
    removed staffer most likely kept, which the staff-remove confirmation offers to rotate."""
    if account_id is None:
        return []
    with db.read() as s:
        check(s, actor, Action.MANAGE_STAFF)
        opened = select(Event.organization_id).where(
            Event.type == int(EventType.CLIENT_VAULT_ACCESSED), Event.acting_account_id == account_id,
            Event.provider_id == actor.provider_id).distinct()
        rows = s.execute(select(Organization.id, Organization.name).join(
            Client, Client.organization_id == Organization.id).where(
            Client.provider_id == actor.provider_id, Organization.id.in_(opened))
            .order_by(Organization.name_lower)).all()
    return [(r[0], r[1]) for r in rows]
