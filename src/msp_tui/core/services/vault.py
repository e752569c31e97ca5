"""The client vault and each person's own vault: items, their fields, and who sees what (S2, S3, B7).

An item's name and every field are one JSON document encrypted with AES-256-GCM — by the
organization key for a client's item, by the owner's user key for a personal item — with the item's
id as associated data, so a blob copied onto another row does not open. The `type` column holds the
item type for client items only (0 for personal ones), so the file tells nothing of them.

Who sees which client items: provider staff, Owners and Admins see all of them
(Action.ACCESS_ALL_ITEMS); everyone else sees the items of collections assigned to them directly or
through a group, with the most generous of those assignments ("can view, except passwords" hides the
protected fields). Personal items are reached only through the signed-in person's own account id:
no function here takes another person's id, so no listing, search, export, count or event can
show them to anyone else (S3). Events about personal items name neither a provider nor an
organization nor the item's name.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from msp_tui.core import clock, crypto, events, keys
from msp_tui.core.access import Action, Standing, check, decide
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import CollectionAccess, EventType, ItemType, PolicyType
from msp_tui.core.errors import AuthFailed, BadInput, Damaged, NotFound, Refused
# One custom field for the vault and every format (a hidden one is shown like a protected field).
from msp_tui.core.formats.records import CustomField
from msp_tui.core.models import (Client, Collection, CollectionGroup, CollectionItem, CollectionMember,
                                 GroupMember, Organization, VaultItem)
from msp_tui.core import policies as catalogue
from msp_tui.core.services import accounts
from msp_tui.core.services import policies as client_policies
from msp_tui.core.services.common import as_uuid, check_version, find_client, touch

MAX_NAME = 200
#: Items stay in the trash this long, then are deleted for good (as the reference does).
TRASH_DAYS = 30
MAX_FIELD = 10_000
PERSONAL_TYPE_COLUMN = 0


# --- item types and their fields ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    #: Hidden until revealed; never shown to "… except passwords" access; reveal asks the master
    #: password again after 5 minutes.
    protected: bool = False
    multiline: bool = False


def _f(key, label, protected=False, multiline=False) -> FieldSpec:
    return FieldSpec(key, label, protected, multiline)


NOTES = _f("notes", "Notes", multiline=True)
FIELDS: dict[ItemType, tuple[FieldSpec, ...]] = {
    ItemType.LOGIN: (_f("username", "Username"), _f("password", "Password", True), _f("url", "Website"),
                     _f("totp", "Authenticator key", True), NOTES),
    ItemType.SECURE_NOTE: (NOTES,),
    ItemType.CARD: (_f("cardholder", "Cardholder name"), _f("brand", "Brand"),
                    _f("number", "Number", True), _f("exp_month", "Expiry month"),
                    _f("exp_year", "Expiry year"), _f("code", "Security code", True), NOTES),
    ItemType.IDENTITY: (_f("title", "Title"), _f("first_name", "First name"), _f("last_name", "Last name"),
                        _f("email", "Email"), _f("phone", "Phone"), _f("company", "Company"),
                        _f("address", "Address", multiline=True), NOTES),
    ItemType.SSH_KEY: (_f("private_key", "Private key", True, True), _f("public_key", "Public key"),
                       _f("key_fingerprint", "Fingerprint"), NOTES),
    # The newer types' fields: the reference's export keys (bankName → bank_name, …).
    ItemType.BANK_ACCOUNT: (_f("bank_name", "Bank name"), _f("name_on_account", "Name on account"),
                            _f("account_type", "Account type"), _f("account_number", "Account number", True),
                            _f("routing_number", "Routing number"), _f("branch_number", "Branch number"),
                            _f("pin", "PIN", True), _f("swift_code", "SWIFT / BIC"), _f("iban", "IBAN", True),
                            _f("bank_contact_phone", "Bank phone"), NOTES),
    ItemType.DRIVERS_LICENSE: (_f("first_name", "First name"), _f("middle_name", "Middle name"),
                               _f("last_name", "Last name"), _f("date_of_birth", "Date of birth"),
                               _f("license_number", "Licence number", True),
                               _f("issuing_country", "Issuing country"), _f("issuing_state", "Issuing state"),
                               _f("issue_date", "Issue date"), _f("expiration_date", "Expiry date"),
                               _f("issuing_authority", "Issuing authority"), _f("license_class", "Licence class"),
                               NOTES),
    ItemType.PASSPORT: (_f("surname", "Surname"), _f("given_name", "Given names"),
                        _f("date_of_birth", "Date of birth"), _f("sex", "Sex"), _f("birth_place", "Place of birth"),
                        _f("nationality", "Nationality"), _f("issuing_country", "Issuing country"),
                        _f("passport_number", "Passport number", True), _f("passport_type", "Passport type"),
                        _f("national_identification_number", "National identification number", True),
                        _f("issuing_authority", "Issuing authority"), _f("issue_date", "Issue date"),
                        _f("expiration_date", "Expiry date"), NOTES),
}
TYPE_LABELS = {ItemType.LOGIN: "Login", ItemType.SECURE_NOTE: "Secure note", ItemType.CARD: "Card",
               ItemType.IDENTITY: "Identity", ItemType.SSH_KEY: "SSH key", ItemType.BANK_ACCOUNT: "Bank account",
               ItemType.DRIVERS_LICENSE: "Driver's licence", ItemType.PASSPORT: "Passport"}
TYPE_NAMES = {"login": ItemType.LOGIN, "note": ItemType.SECURE_NOTE, "secure-note": ItemType.SECURE_NOTE,
              "card": ItemType.CARD, "identity": ItemType.IDENTITY, "ssh-key": ItemType.SSH_KEY,
              "ssh": ItemType.SSH_KEY, "bank-account": ItemType.BANK_ACCOUNT, "bank": ItemType.BANK_ACCOUNT,
              "drivers-license": ItemType.DRIVERS_LICENSE, "drivers-licence": ItemType.DRIVERS_LICENSE,
              "driver's-licence": ItemType.DRIVERS_LICENSE, "driver's-license": ItemType.DRIVERS_LICENSE,
              "passport": ItemType.PASSPORT}


def parse_type(value: ItemType | str | int) -> ItemType:
    if isinstance(value, ItemType):
        return value
    text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
    if text in TYPE_NAMES:
        return TYPE_NAMES[text]
    if text.isdigit() and int(text) in ItemType._value2member_map_:
        return ItemType(int(text))
    raise BadInput(f"type: unknown item type {value!r}; use login, note, card, identity, ssh-key, "
                   "bank-account, drivers-licence or passport", "type")


def spec(item_type: ItemType, key: str) -> FieldSpec:
    for f in FIELDS[item_type]:
        if f.key == key:
            return f
    raise BadInput(f"{TYPE_LABELS[item_type]} items have no field {key!r}; they have: "
                   + ", ".join(f.key for f in FIELDS[item_type]), key)


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadInput("name: an item needs a name", "name")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise BadInput(f"name: at most {MAX_NAME} characters", "name")
    if any(ord(ch) < 32 for ch in name):
        raise BadInput("name: no control characters", "name")
    return name


def _clean_fields(item_type: ItemType, fields: dict | None) -> dict[str, str]:
    out = {}
    for key, value in (fields or {}).items():
        f = spec(item_type, key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadInput(f"{key}: must be text", key)
        if len(value) > MAX_FIELD:
            raise BadInput(f"{key}: at most {MAX_FIELD} characters", key)
        if not f.multiline and ("\n" in value or "\r" in value):
            raise BadInput(f"{key}: one line only", key)
        if value != "":
            out[key] = value
    return out


# --- what an item carries besides its fields (imports bring these) ----------------------------

MAX_EXTRAS = 200  # URIs, custom fields or history entries per item


@dataclass(frozen=True)
class Extras:
    """An item's extras, kept in its encrypted document under optional keys (an item written before
    them simply has none): `uris` the Website's followers (the Website is fields["url"]),
    `custom` its custom fields, `favorite`, `history` its past passwords (password, last used) newest
    first. The TOTP seed is the login's `totp` field."""

    uris: tuple[str, ...] = ()
    custom_fields: tuple[CustomField, ...] = ()
    favorite: bool = False
    password_history: tuple[tuple[str, str], ...] = ()

    def to_doc(self) -> dict:
        doc: dict = {}
        if self.uris:
            doc["uris"] = list(self.uris)
        if self.custom_fields:
            doc["custom"] = [[c.name, c.value, c.hidden] for c in self.custom_fields]
        if self.favorite:
            doc["favorite"] = True
        if self.password_history:
            doc["history"] = [[p, when] for p, when in self.password_history]
        return doc

    @classmethod
    def from_doc(cls, doc: dict) -> "Extras":
        try:
            return cls(tuple(str(u) for u in doc.get("uris", ())),
                       tuple(CustomField(str(n), str(v), bool(h)) for n, v, h in doc.get("custom", ())),
                       bool(doc.get("favorite", False)),
                       tuple((str(p), str(w)) for p, w in doc.get("history", ())))
        except (TypeError, ValueError):
            return cls()

    def shown(self, see_passwords: bool) -> "Extras":
        """What "… except passwords" access sees: no hidden custom value, no past password."""
        if see_passwords:
            return self
        return Extras(self.uris, tuple(CustomField(c.name, "" if c.hidden else c.value, c.hidden)
                                       for c in self.custom_fields), self.favorite, ())


def _clean_extras(extras: "Extras | None") -> Extras:
    if extras is None:
        return Extras()
    for label, seq in (("URIs", extras.uris), ("custom fields", extras.custom_fields),
                       ("password history", extras.password_history)):
        if len(seq) > MAX_EXTRAS:
            raise BadInput(f"{label}: at most {MAX_EXTRAS} per item", "extras")
    texts = [*extras.uris, *(c.name for c in extras.custom_fields), *(c.value for c in extras.custom_fields),
             *(p for p, _ in extras.password_history)]
    if any(not isinstance(t, str) or len(t) > MAX_FIELD for t in texts):
        raise BadInput(f"extras: each value is text of at most {MAX_FIELD} characters", "extras")
    return extras


# --- encryption of one item ---------------------------------------------------------------------


def item_aad(item_id: uuid.UUID, organization_id: uuid.UUID | None, owner_id: uuid.UUID | None) -> bytes:
    if organization_id is not None:
        return crypto.aad("vault-item", organization_id, item_id)
    return crypto.aad("personal-item", owner_id, item_id)


def _seal_data(key: bytes, item: VaultItem, item_type: ItemType, name: str, fields: dict,
               extras: Extras | None = None) -> None:
    doc = json.dumps({"v": 1, "type": int(item_type), "name": name, "fields": fields,
                      **(extras.to_doc() if extras else {})},
                     ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    item.data = crypto.encrypt(key, doc, item_aad(item.id, item.organization_id, item.owner_account_id))


def _try_open(key: bytes, item: VaultItem) -> dict | None:
    """The item's document, or None when it is damaged: listings go on past it (issue 15, attack 6)."""
    try:
        doc = json.loads(crypto.decrypt(key, item.data, item_aad(item.id, item.organization_id,
                                                                 item.owner_account_id)))
        ItemType(doc["type"])
        if not isinstance(doc["name"], str) or not isinstance(doc.get("fields", {}), dict):
            return None
        return doc
    except (crypto.DecryptionError, ValueError, KeyError, TypeError):
        return None


# --- who may do what with which item ------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """What one person may do with one item (or collection)."""

    can_edit: bool
    see_passwords: bool
    manage: bool

    def __or__(self, other: "Grant") -> "Grant":
        return Grant(self.can_edit or other.can_edit, self.see_passwords or other.see_passwords,
                     self.manage or other.manage)

    @property
    def label(self) -> str:
        if self.manage:
            return CollectionAccess.CAN_MANAGE.label
        base = {(True, True): CollectionAccess.CAN_EDIT, (True, False): CollectionAccess.CAN_EDIT_EXCEPT_PASSWORDS,
                (False, True): CollectionAccess.CAN_VIEW, (False, False): CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS}
        return base[(self.can_edit, self.see_passwords)].label


FULL = Grant(True, True, True)


def grant_of(access: CollectionAccess) -> Grant:
    return Grant(not access.read_only, not access.hide_passwords, access == CollectionAccess.CAN_MANAGE)


@dataclass(frozen=True)
class VaultAccess:
    standing: Standing
    all_items: bool
    #: collection id → the person's grant there (every collection of the org when all_items).
    collections: dict[uuid.UUID, Grant]


def _vault_access(s: Session, actor: Actor, organization_id: uuid.UUID) -> VaultAccess:
    standing = check(s, actor, Action.ACCESS_ASSIGNED_ITEMS, organization_id=organization_id)
    coll_ids = s.execute(select(Collection.id).where(Collection.organization_id == organization_id)).scalars()
    if decide(standing, Action.ACCESS_ALL_ITEMS):
        return VaultAccess(standing, True, {cid: FULL for cid in coll_ids})
    grants: dict[uuid.UUID, Grant] = {}
    if standing.member_id is not None:
        direct = s.execute(select(CollectionMember.collection_id, CollectionMember.access).where(
            CollectionMember.member_id == standing.member_id)).all()
        via_groups = s.execute(select(CollectionGroup.collection_id, CollectionGroup.access).join(
            GroupMember, GroupMember.group_id == CollectionGroup.group_id).where(
            GroupMember.member_id == standing.member_id)).all()
        for cid, acc in [*direct, *via_groups]:
            g = grant_of(CollectionAccess(acc))
            grants[cid] = grants[cid] | g if cid in grants else g
    return VaultAccess(standing, False, grants)


def _item_grant(access: VaultAccess, item_collections: set[uuid.UUID]) -> Grant | None:
    if access.all_items:
        return FULL
    result = None
    for cid in item_collections:
        g = access.collections.get(cid)
        if g is not None:
            result = g if result is None else result | g
    return result


# --- client policies on the vault (docs/policies.md) ---------------------------------------------

#: Enforce organization data ownership: the reference server's refusal.
DATA_OWNERSHIP_MESSAGE = "Due to an Enterprise Policy, you are restricted from saving items to your personal vault."
#: The item types Restricted item types keeps from members (the reference restricts cards).
RESTRICTED_TYPES = frozenset({ItemType.CARD})


def _policy_named(type_: PolicyType, bound: list) -> str:
    names = ", ".join(b.client_name for b in bound[:3]) + (" and others" if len(bound) > 3 else "")
    return f"the {catalogue.SPECS[type_].name} policy of {names}"


def _refuse_by_policy(s: Session, actor: Actor, item_type: ItemType, personal: bool) -> None:
    """Policies 5 and 15 on creating an item; the strictest of the person's clients wins."""
    if personal:
        bound = client_policies.binding(s, actor.account_id, PolicyType.ORGANIZATION_DATA_OWNERSHIP)
        if bound:
            raise Refused("organization-data-ownership", f"{DATA_OWNERSHIP_MESSAGE} "
                          f"({_policy_named(PolicyType.ORGANIZATION_DATA_OWNERSHIP, bound)})")
    if item_type in RESTRICTED_TYPES:
        bound = client_policies.binding(s, actor.account_id, PolicyType.RESTRICTED_ITEM_TYPES)
        if bound:
            raise Refused("restricted-item-types", f"{TYPE_LABELS[item_type]} items are restricted: you cannot "
                          f"create them ({_policy_named(PolicyType.RESTRICTED_ITEM_TYPES, bound)}).")


@dataclass(frozen=True)
class _Restricted:
    """Where Restricted item types hides cards from this person: in the clients whose policy binds
    them, and in their own vault when any client's does (the strictest wins)."""

    organizations: frozenset
    personal: bool

    def hides(self, item_type: int, organization_id: uuid.UUID | None) -> bool:
        if item_type not in RESTRICTED_TYPES:
            return False
        return self.personal if organization_id is None else organization_id in self.organizations


def _restricted(s: Session, actor: Actor) -> _Restricted:
    bound = client_policies.binding(s, actor.account_id, PolicyType.RESTRICTED_ITEM_TYPES)
    return _Restricted(frozenset(b.organization_id for b in bound), bool(bound))


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    key: str
    label: str
    #: None when the field is protected and not revealed (or hidden by the access level).
    value: str | None
    protected: bool
    has_value: bool
    multiline: bool


@dataclass(frozen=True)
class ItemView:
    id: uuid.UUID
    type: ItemType
    type_label: str
    name: str
    subtitle: str
    personal: bool
    organization_id: uuid.UUID | None
    collection_ids: tuple[uuid.UUID, ...]
    can_edit: bool
    can_delete: bool
    hide_passwords: bool
    version: int
    fields: tuple[FieldView, ...] = ()
    #: The data did not decrypt: `name` says "cannot be decrypted (damaged or altered)".
    damaged: bool = False
    #: When the item went to the trash (None for an item in the vault).
    deleted_at: datetime | None = None
    #: URIs after the Website, custom fields, favourite, password history (hidden parts blanked for
    #: "… except passwords" access; history only in the detail view).
    extras: Extras = Extras()

    def field(self, key: str) -> FieldView | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class CollectionEntry:
    id: uuid.UUID
    name: str
    access: str
    can_add: bool
    items: int


@dataclass(frozen=True)
class VaultView:
    organization_id: uuid.UUID
    client_name: str
    all_items: bool
    can_create: bool
    collections: tuple[CollectionEntry, ...]
    items: tuple[ItemView, ...]
    #: How many of the items listed are damaged (they are listed too, named keys.DAMAGED).
    damaged: int = 0


def _subtitle(item_type: ItemType, fields: dict) -> str:
    if item_type == ItemType.LOGIN:
        return fields.get("username", "")
    if item_type == ItemType.CARD:
        number = fields.get("number", "")
        return " ".join(p for p in (fields.get("brand", ""), f"*{number[-4:]}" if len(number) >= 4 else "") if p)
    if item_type == ItemType.IDENTITY:
        return " ".join(p for p in (fields.get("first_name", ""), fields.get("last_name", "")) if p)
    if item_type == ItemType.SSH_KEY:
        return fields.get("key_fingerprint", "")
    if item_type == ItemType.BANK_ACCOUNT:
        number = fields.get("account_number", "")
        return " ".join(p for p in (fields.get("bank_name", ""), f"*{number[-4:]}" if len(number) >= 4 else "") if p)
    if item_type == ItemType.DRIVERS_LICENSE:
        return " ".join(p for p in (fields.get("first_name", ""), fields.get("last_name", "")) if p)
    if item_type == ItemType.PASSPORT:
        return " ".join(p for p in (fields.get("given_name", ""), fields.get("surname", "")) if p)
    return ""


def _view(item: VaultItem, doc: dict, grant: Grant, collections: set[uuid.UUID], *, detail: bool,
          reveal: bool = False) -> ItemView:
    item_type = ItemType(doc["type"])
    fields = doc.get("fields", {})
    hide = not grant.see_passwords
    shown = fields if not hide else {k: v for k, v in fields.items() if not spec(item_type, k).protected}
    views: tuple[FieldView, ...] = ()
    if detail:
        views = tuple(FieldView(f.key, f.label,
                                None if f.protected and (hide or not reveal) else fields.get(f.key, ""),
                                f.protected, bool(fields.get(f.key)), f.multiline)
                      for f in FIELDS[item_type])
    extras = Extras.from_doc(doc).shown(grant.see_passwords)
    if not detail:
        extras = Extras(extras.uris, (), extras.favorite, ())
    return ItemView(item.id, item_type, TYPE_LABELS[item_type], doc["name"], _subtitle(item_type, shown),
                    item.owner_account_id is not None, item.organization_id, tuple(sorted(collections, key=str)),
                    grant.can_edit, grant.manage, hide, item.version, views, deleted_at=item.deleted_at,
                    extras=extras)


def _damaged_view(item: VaultItem, grant: Grant, collections: set[uuid.UUID]) -> ItemView:
    """A row for an item whose data does not open: listed, named as damaged, nothing else shown."""
    try:
        item_type = ItemType(item.type)
    except ValueError:
        item_type = ItemType.SECURE_NOTE
    return ItemView(item.id, item_type, "?", keys.DAMAGED, "", item.owner_account_id is not None,
                    item.organization_id, tuple(sorted(collections, key=str)), grant.can_edit, grant.manage,
                    not grant.see_passwords, item.version, damaged=True, deleted_at=item.deleted_at)


def _listed(key: bytes, item: VaultItem, grant: Grant, collections: set[uuid.UUID]) -> ItemView:
    doc = _try_open(key, item)
    if doc is None:
        return _damaged_view(item, grant, collections)
    return _view(item, doc, grant, collections, detail=False)


def _collections_of(s: Session, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    out: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in item_ids}
    for i in range(0, len(item_ids), 500):
        for cid, iid in s.execute(select(CollectionItem.collection_id, CollectionItem.item_id).where(
                CollectionItem.item_id.in_(item_ids[i:i + 500]))):
            out[iid].add(cid)
    return out


def _org(s: Session, actor: Actor, client) -> Organization:
    """A client by name or id, or (for a member) any organization by id."""
    ident = as_uuid(client)
    if ident is not None:
        org = s.get(Organization, ident)
        if org is not None:
            return org
    return find_client(s, actor.provider_id, client)


def _record_vault_access(s: Session, actor: Actor, standing: Standing, organization_id: uuid.UUID, *,
                         once: bool = False) -> None:
    """Provider staff opening a client's vault: 1903 in the provider's log and 1603 in the client's.

    Opening the vault always records; any other use of its items (by id, from the command line)
    records unless this unlocked session already did (`once`) — the mark is dropped on lock."""
    if not standing.is_staff:
        return
    mark = ("vault-access-recorded", organization_id)
    if once and mark in actor.key_cache:
        return
    link = s.execute(select(Client).where(Client.organization_id == organization_id)).scalar_one_or_none()
    events.record(s, actor, EventType.CLIENT_VAULT_ACCESSED, provider_id=standing.provider_id,
                  organization_id=organization_id, provider_organization_id=link.id if link else None)
    events.record(s, actor, EventType.ORGANIZATION_VAULT_ACCESSED, provider_id=standing.provider_id,
                  organization_id=organization_id)
    actor.key_cache[mark] = True


def _matches(view: ItemView, text: str) -> bool:
    text = text.strip().lower()
    return not text or text in view.name.lower() or text in view.subtitle.lower()


def open_vault(db: Database, actor: Actor, client, *, text: str = "", record_access: bool = True) -> VaultView:
    """Open a client's vault: its collections and the items the actor may see (optionally filtered
    by `text` on name and subtitle). Provider staff opening it writes events 1903 and 1603;
    `record_access=False` is for reloading a vault the same screen already opened (and recorded)."""
    with db.write() as s:
        org = _org(s, actor, client)
        access = _vault_access(s, actor, org.id)
        key = keys.org_key(s, actor, org.id)
        if record_access:
            _record_vault_access(s, actor, access.standing, org.id)
            _purge(s, actor, VaultItem.organization_id == org.id)
        restricted = _restricted(s, actor)
        items = [i for i in s.execute(select(VaultItem).where(VaultItem.organization_id == org.id,
                                                              VaultItem.deleted_at.is_(None))).scalars()
                 if not restricted.hides(i.type, org.id)]
        colls_of = _collections_of(s, [i.id for i in items])
        views = []
        counts: dict[uuid.UUID, int] = {}
        for item in items:
            grant = _item_grant(access, colls_of[item.id])
            if grant is None:
                continue
            view = _listed(key, item, grant, colls_of[item.id])
            if not view.damaged and not _matches(view, text):  # damage is shown whatever the filter
                continue
            views.append(view)
            for cid in colls_of[item.id]:
                counts[cid] = counts.get(cid, 0) + 1
        coll_rows = s.execute(select(Collection).where(Collection.organization_id == org.id)).scalars().all()
        entries = [CollectionEntry(c.id, keys.shown_name(key, org.id, c.id, c.name, "collection-name")[0],
                                   "All items" if access.all_items else access.collections[c.id].label,
                                   access.collections[c.id].can_edit, counts.get(c.id, 0))
                   for c in coll_rows if c.id in access.collections]
        entries.sort(key=lambda e: e.name.lower())
        views.sort(key=lambda v: (v.name.lower(), str(v.id)))
        can_create = access.all_items or any(g.can_edit for g in access.collections.values())
        return VaultView(org.id, org.name, access.all_items, can_create, tuple(entries), tuple(views),
                         sum(v.damaged for v in views))


def list_items(db: Database, actor: Actor, client, *, text: str = "") -> list[ItemView]:
    return list(open_vault(db, actor, client, text=text).items)


def list_personal(db: Database, actor: Actor, *, text: str = "") -> list[ItemView]:
    """The signed-in person's own items, opened with their user key. Nobody else's, ever (S3)."""
    user_key = _user_key(actor)
    with db.read() as s:
        items = s.execute(select(VaultItem).where(VaultItem.owner_account_id == actor.account_id,
                                                  VaultItem.deleted_at.is_(None))).scalars().all()
        views = [_listed(user_key, i, FULL, set()) for i in items]
        restricted = _restricted(s, actor)
    views = [v for v in views if v.damaged or not restricted.hides(v.type, None)]
    views = [v for v in views if v.damaged or _matches(v, text)]
    return sorted(views, key=lambda v: (v.name.lower(), str(v.id)))


def _user_key(actor: Actor) -> bytes:
    if actor.secrets is None:
        raise AuthFailed("The session is locked; unlock it with your master password.")
    return actor.secrets.user_key


# --- finding one item ---------------------------------------------------------------------------


@dataclass
class _Loaded:
    item: VaultItem
    key: bytes
    doc: dict
    grant: Grant
    collections: set[uuid.UUID]
    access: VaultAccess | None


def _load(s: Session, actor: Actor, ref, *, client=None, personal: bool = False,
          damaged_ok: bool = False, trashed: bool | None = False) -> _Loaded:
    """One item the actor may reach, opened; Damaged if it does not decrypt, unless `damaged_ok`
    (deleting a damaged item must stay possible). `trashed`: False for items in the vault, True for
    items in the trash, None for either."""
    loaded = _load_any(s, actor, ref, client=client, personal=personal, damaged_ok=damaged_ok, trashed=trashed)
    in_trash = loaded.item.deleted_at is not None
    if trashed is False and in_trash:
        raise NotFound(f"Item {loaded.item.id} is in the trash; restore it first (msp-tui vault restore).", "item")
    if trashed is True and not in_trash:
        raise NotFound(f"Item {loaded.item.id} is not in the trash.", "item")
    return loaded


def _load_any(s: Session, actor: Actor, ref, *, client=None, personal: bool = False,
              damaged_ok: bool = False, trashed: bool | None = False) -> _Loaded:
    ident = as_uuid(ref)
    if ident is not None:
        item = s.get(VaultItem, ident)
        if item is None:
            raise NotFound(f"No item {ref}.", "item")
        if item.owner_account_id is not None:
            if item.owner_account_id != actor.account_id:
                # Someone else's personal item: indistinguishable from one that does not exist (S3).
                raise NotFound(f"No item {ref}.", "item")
            doc = _doc(_user_key(actor), item, damaged_ok)
            if _restricted(s, actor).hides(doc["type"], None):
                raise NotFound(f"No item {ref}.", "item")
            return _Loaded(item, _user_key(actor), doc, FULL, set(), None)
        return _load_org_item(s, actor, item, damaged_ok)
    # By name: within the person's own vault or one client's vault.
    name = str(ref).strip().lower()
    if personal:
        key = _user_key(actor)
        found = [i for i in s.execute(select(VaultItem).where(
            VaultItem.owner_account_id == actor.account_id, *_in_trash(trashed))).scalars()
            if _name_of(key, i) == name]
    elif client is not None:
        org = _org(s, actor, client)
        _vault_access(s, actor, org.id)
        key = keys.org_key(s, actor, org.id)
        found = [i for i in s.execute(select(VaultItem).where(VaultItem.organization_id == org.id,
                                                              *_in_trash(trashed))).scalars()
                 if _name_of(key, i) == name]
        found = [i for i in found if _item_grant(_vault_access(s, actor, org.id),
                                                 _collections_of(s, [i.id])[i.id]) is not None]
    else:
        raise BadInput("Name an item by its id, or give --client CLIENT (or --personal) with its name.", "item")
    if not found:
        raise NotFound(f"No item named {str(ref)!r}.", "item")
    if len(found) > 1:
        raise NotFound(f"More than one item is named {str(ref)!r}; use its id.", "item")
    return _load(s, actor, found[0].id, damaged_ok=damaged_ok, trashed=trashed)


def _in_trash(trashed: bool | None) -> tuple:
    if trashed is None:
        return ()
    return (VaultItem.deleted_at.is_not(None),) if trashed else (VaultItem.deleted_at.is_(None),)


def _name_of(key: bytes, item: VaultItem) -> str | None:
    doc = _try_open(key, item)
    return doc["name"].lower() if doc is not None else None


def _doc(key: bytes, item: VaultItem, damaged_ok: bool) -> dict:
    doc = _try_open(key, item)
    if doc is not None:
        return doc
    if damaged_ok:
        return {"type": int(ItemType.SECURE_NOTE), "name": keys.DAMAGED, "fields": {}}
    raise Damaged(f"Item {item.id} {keys.DAMAGED}.")


def _load_org_item(s: Session, actor: Actor, item: VaultItem, damaged_ok: bool = False) -> _Loaded:
    access = _vault_access(s, actor, item.organization_id)
    colls = _collections_of(s, [item.id])[item.id]
    grant = _item_grant(access, colls)
    if grant is None or _restricted(s, actor).hides(item.type, item.organization_id):
        raise NotFound(f"No item {item.id}.", "item")
    key = keys.org_key(s, actor, item.organization_id)
    _record_vault_access(s, actor, access.standing, item.organization_id, once=True)
    return _Loaded(item, key, _doc(key, item, damaged_ok), grant, colls, access)


def _item_event(s: Session, actor: Actor, type_: EventType, loaded: _Loaded, **detail) -> None:
    """An item event. A personal item's event names no provider, no organization and no item name."""
    item = loaded.item
    if item.organization_id is None:
        events.record(s, actor, type_, item_id=item.id, detail=detail or None)
    else:
        events.record(s, actor, type_, organization_id=item.organization_id, item_id=item.id,
                      detail=detail or None)


def view_item(db: Database, actor: Actor, ref, *, client=None, personal: bool = False) -> ItemView:
    """One item with its fields; protected fields stay hidden (value None) until revealed (event 1107)."""
    with db.write() as s:
        loaded = _load(s, actor, ref, client=client, personal=personal)
        _item_event(s, actor, EventType.ITEM_CLIENT_VIEWED, loaded)
        return _view(loaded.item, loaded.doc, loaded.grant, loaded.collections, detail=True)


def find_item(db: Database, actor: Actor, ref, *, client=None, personal: bool = False,
              trashed: bool | None = False) -> ItemView:
    """An item in the vault (or with `trashed` True in the trash, None either) without its fields and
    without an event: for naming what a command is about to change."""
    with db.write() as s:  # staff's first use of a client's items records the vault access
        loaded = _load(s, actor, ref, client=client, personal=personal, trashed=trashed)
        return _view(loaded.item, loaded.doc, loaded.grant, loaded.collections, detail=False)


def reveal(db: Database, actor: Actor, ref, field: str = "password", *, copy: bool = False,
           master_password: str | None = None, client=None, personal: bool = False) -> str:
    """A protected field's value, for showing (event 1108) or copying (event 1111).

    Refused for "… except passwords" access. When the last unlock is older than 5 minutes the master
    password must be given again (Refused 'reprompt' without it, AuthFailed when wrong)."""
    if accounts.needs_master_password(actor):
        if master_password is None:
            raise Refused("reprompt", "Type your master password again to reveal or copy a password "
                          "(your last unlock was more than 5 minutes ago).")
        accounts.unlock(db, actor, master_password)
    with db.write() as s:
        loaded = _load(s, actor, ref, client=client, personal=personal)
        item_type = ItemType(loaded.doc["type"])
        f = spec(item_type, field)
        if f.protected and not loaded.grant.see_passwords:
            raise Refused("collection-access", "Your access to this item is \"except passwords\": "
                          f"its {f.label.lower()} stays hidden.")
        value = loaded.doc.get("fields", {}).get(field, "")
        type_ = EventType.ITEM_CLIENT_COPIED_PASSWORD if copy else EventType.ITEM_CLIENT_TOGGLED_PASSWORD_VISIBLE
        _item_event(s, actor, type_, loaded, field=field)
        return value


# --- changes ------------------------------------------------------------------------------------


def _target_collections(s: Session, access: VaultAccess, organization_id: uuid.UUID,
                        collection_ids) -> set[uuid.UUID]:
    wanted = set()
    for ref in collection_ids or ():
        cid = as_uuid(ref)
        if cid is None:
            raise BadInput(f"collection: {ref!r} is not a collection id", "collection")
        coll = s.get(Collection, cid)
        if coll is None or coll.organization_id != organization_id or cid not in access.collections:
            raise NotFound(f"No collection {ref} in this vault.", "collection")
        if not access.collections[cid].can_edit:
            raise Refused("collection-access", "You can only put items into collections you can edit.")
        wanted.add(cid)
    return wanted


def create_item(db: Database, actor: Actor, *, type: ItemType | str, name: str, fields: dict | None = None,
                client=None, collection_ids=(), personal: bool = False, extras: Extras | None = None) -> ItemView:
    """A new item in a client's vault (in the given collections; event 1100) or, with personal=True,
    in the person's own vault under their user key."""
    item_type = parse_type(type)
    clean_name, clean = _clean_name(name), _clean_fields(item_type, fields)
    clean_extras = _clean_extras(extras)
    with db.write() as s:
        if personal and (client is not None or collection_ids):
            raise BadInput("A personal item belongs to no client and no collection.", "personal")
        _refuse_by_policy(s, actor, item_type, personal)
        if personal:
            key = _user_key(actor)
            item = VaultItem(id=uuid.uuid4(), owner_account_id=actor.account_id, type=PERSONAL_TYPE_COLUMN)
            grant, colls, access = FULL, set(), None
        else:
            if client is None:
                raise BadInput("Name the client whose vault gets the item (or use --personal).", "client")
            org = _org(s, actor, client)
            access = _vault_access(s, actor, org.id)
            colls = _target_collections(s, access, org.id, collection_ids)
            if not colls and not access.all_items:
                raise Refused("collection-access", "Put the item into at least one collection you can edit.")
            key = keys.org_key(s, actor, org.id)
            _record_vault_access(s, actor, access.standing, org.id, once=True)
            item = VaultItem(id=uuid.uuid4(), organization_id=org.id, type=int(item_type))
            grant = _item_grant(access, colls) or FULL
            if not grant.see_passwords and any(spec(item_type, k).protected for k in clean):
                raise Refused("collection-access", "Your access is \"except passwords\": you cannot set them.")
        add_item(s, actor, item, key, item_type, clean_name, clean, clean_extras)
        s.flush()
        for cid in colls:
            s.add(CollectionItem(collection_id=cid, item_id=item.id))
        s.flush()
        doc = {"type": int(item_type), "name": clean_name, "fields": clean, **clean_extras.to_doc()}
        return _view(item, doc, grant, colls, detail=True)


def add_item(s: Session, actor: Actor, item: VaultItem, key: bytes, item_type: ItemType, name: str,
             fields: dict, extras: Extras, *, provider_id: uuid.UUID | None = None) -> None:
    """Seal and add one new item and its event 1100 in the caller's transaction; the caller has
    checked access, cleaned name, fields and extras, and links the collections after a flush (no
    relationship orders the inserts). The import adds thousands through here in one transaction,
    passing the client's `provider_id` so no event looks it up."""
    _seal_data(key, item, item_type, name, fields, extras)
    touch(item, actor)
    s.add(item)
    if item.organization_id is None:
        events.record(s, actor, EventType.ITEM_CREATED, item_id=item.id)
    else:
        events.record(s, actor, EventType.ITEM_CREATED, organization_id=item.organization_id, item_id=item.id,
                      provider_id=provider_id)


def edit_item(db: Database, actor: Actor, ref, *, name: str | None = None, fields: dict | None = None,
              expected_version: int | None = None, client=None, personal: bool = False) -> ItemView:
    """Change an item's name and fields (a field set to '' is cleared; event 1101). Protected fields
    cannot be changed through "… except passwords" access."""
    with db.write() as s:
        loaded = _load(s, actor, ref, client=client, personal=personal)
        item, doc, grant = loaded.item, loaded.doc, loaded.grant
        if not grant.can_edit:
            raise Refused("collection-access", "Your access to this item is view only.")
        check_version(s, item, expected_version, f"Item {doc['name']!r}")
        item_type = ItemType(doc["type"])
        current = dict(doc.get("fields", {}))
        for key in (fields or {}):
            f = spec(item_type, key)
            # Refused whatever the value: accepting an unchanged value would tell a guesser it is right.
            if f.protected and not grant.see_passwords:
                raise Refused("collection-access", "Your access is \"except passwords\": you cannot change "
                              f"the {f.label.lower()}.")
        new_fields = {**current, **{k: v for k, v in (fields or {}).items() if v is not None}}
        clean = _clean_fields(item_type, new_fields)
        new_name = _clean_name(name) if name is not None else doc["name"]
        _seal_data(loaded.key, item, item_type, new_name, clean, Extras.from_doc(doc))
        touch(item, actor)
        _item_event(s, actor, EventType.ITEM_UPDATED, loaded)
        s.flush()
        return _view(item, {**doc, "type": int(item_type), "name": new_name, "fields": clean}, grant,
                     loaded.collections, detail=True)


def move_item(db: Database, actor: Actor, ref, collection_ids, *, expected_version: int | None = None) -> ItemView:
    """Put a client item into exactly these collections (of those the actor can see; collections the
    actor cannot see keep it; event 1106)."""
    with db.write() as s:
        loaded = _load(s, actor, ref)
        item, access = loaded.item, loaded.access
        if access is None:
            raise BadInput("Personal items are in no collection.", "item")
        if not loaded.grant.can_edit:
            raise Refused("collection-access", "Your access to this item is view only.")
        check_version(s, item, expected_version, f"Item {loaded.doc['name']!r}")
        wanted = _target_collections(s, access, item.organization_id, collection_ids)
        removed = {c for c in loaded.collections - wanted if c in access.collections}
        if any(not access.collections[c].can_edit for c in removed):
            raise Refused("collection-access", "You can only take items out of collections you can edit.")
        kept_hidden = {c for c in loaded.collections if c not in access.collections}
        final = wanted | kept_hidden
        if not final and not access.all_items:
            raise Refused("collection-access", "An item must stay in at least one collection.")
        s.execute(delete(CollectionItem).where(CollectionItem.item_id == item.id))
        for cid in final:
            s.add(CollectionItem(collection_id=cid, item_id=item.id))
        touch(item, actor)
        flag_modified(item, "type")  # a move is an edit of the item: its version goes up
        s.flush()
        _item_event(s, actor, EventType.ITEM_UPDATED_COLLECTIONS, loaded)
        grant = _item_grant(access, final) or loaded.grant
        return _view(item, loaded.doc, grant, final, detail=True)


def delete_item(db: Database, actor: Actor, ref, *, client=None, personal: bool = False,
                expected_version: int | None = None, permanent: bool = False) -> None:
    """Move an item to the trash (event 1115), or with `permanent` delete it for good (event 1102),
    from the vault or from the trash. Needs "Can manage" on one of its collections, or access to every
    item of the client (staff, Owners, Admins); one's own personal items always. A trashed item keeps
    its collections, so a restore brings them back."""
    with db.write() as s:
        loaded = _load(s, actor, ref, client=client, personal=personal, damaged_ok=True,
                       trashed=None if permanent else False)
        if not loaded.grant.manage:
            raise Refused("collection-access", "Deleting an item needs \"Can manage\" on one of its collections.")
        check_version(s, loaded.item, expected_version, f"Item {loaded.doc['name']!r}")
        if permanent:
            _item_event(s, actor, EventType.ITEM_DELETED, loaded)
            s.delete(loaded.item)
            return
        loaded.item.deleted_at = clock.now()
        touch(loaded.item, actor)
        _item_event(s, actor, EventType.ITEM_SOFT_DELETED, loaded)


def restore_item(db: Database, actor: Actor, ref, *, client=None, personal: bool = False,
                 expected_version: int | None = None) -> ItemView:
    """Bring an item back from the trash, into the collections it was in (event 1116). Who may send
    an item to the trash may restore it ("Can manage", or every item of the client)."""
    with db.write() as s:
        loaded = _load(s, actor, ref, client=client, personal=personal, damaged_ok=True, trashed=True)
        if not loaded.grant.manage:
            raise Refused("collection-access", "Restoring an item needs \"Can manage\" on one of its collections.")
        check_version(s, loaded.item, expected_version, f"Item {loaded.doc['name']!r}")
        loaded.item.deleted_at = None
        touch(loaded.item, actor)
        _item_event(s, actor, EventType.ITEM_RESTORED, loaded)
        s.flush()
        return _listed(loaded.key, loaded.item, loaded.grant, loaded.collections)


def list_trash(db: Database, actor: Actor, client=None, *, personal: bool = False) -> list[ItemView]:
    """The items in a client's trash the actor may see (as in the vault), or with `personal` the
    person's own. Items older than TRASH_DAYS are purged first."""
    if personal == (client is not None):
        raise BadInput("Give a CLIENT, or --personal for your own trash.", "client")
    with db.write() as s:
        if personal:
            key = _user_key(actor)
            _purge(s, actor, VaultItem.owner_account_id == actor.account_id)
            items = s.execute(select(VaultItem).where(VaultItem.owner_account_id == actor.account_id,
                                                      VaultItem.deleted_at.is_not(None))).scalars().all()
            views = [_listed(key, i, FULL, set()) for i in items]
        else:
            org = _org(s, actor, client)
            access = _vault_access(s, actor, org.id)
            key = keys.org_key(s, actor, org.id)
            _record_vault_access(s, actor, access.standing, org.id, once=True)
            _purge(s, actor, VaultItem.organization_id == org.id)
            restricted = _restricted(s, actor)
            items = [i for i in s.execute(select(VaultItem).where(
                VaultItem.organization_id == org.id, VaultItem.deleted_at.is_not(None))).scalars()
                if not restricted.hides(i.type, org.id)]
            colls_of = _collections_of(s, [i.id for i in items])
            views = []
            for item in items:
                grant = _item_grant(access, colls_of[item.id])
                if grant is not None:
                    views.append(_listed(key, item, grant, colls_of[item.id]))
        return sorted(views, key=lambda v: (v.name.lower(), str(v.id)))


def _purge(s: Session, actor: Actor, owner_clause) -> int:
    """Delete for good the items of one vault that have been in the trash longer than TRASH_DAYS
    (event 1102 each, detail saying why); how many."""
    cutoff = clock.now() - timedelta(days=TRASH_DAYS)
    old = s.execute(select(VaultItem).where(owner_clause, VaultItem.deleted_at.is_not(None),
                                            VaultItem.deleted_at < cutoff)).scalars().all()
    for item in old:
        if item.organization_id is None:
            events.record(s, actor, EventType.ITEM_DELETED, item_id=item.id)
        else:
            events.record(s, actor, EventType.ITEM_DELETED, organization_id=item.organization_id,
                          item_id=item.id, detail={"purged": f"in the trash over {TRASH_DAYS} days"})
        s.delete(item)
    if old:
        s.flush()
    return len(old)


def purge_trash(db: Database, actor: Actor, client=None, *, personal: bool = False) -> int:
    """Purge the trash of one client's vault (or one's own): items in it over TRASH_DAYS days are
    deleted for good. Anyone who may open the vault may run it: it only does what time would."""
    if personal == (client is not None):
        raise BadInput("Give a CLIENT, or --personal for your own trash.", "client")
    with db.write() as s:
        if personal:
            return _purge(s, actor, VaultItem.owner_account_id == actor.account_id)
        org = _org(s, actor, client)
        _vault_access(s, actor, org.id)
        return _purge(s, actor, VaultItem.organization_id == org.id)


def export_items(db: Database, actor: Actor, client, *, master_password: str | None = None,
                 file_format: str | None = None) -> list[dict]:
    """Every item of a client's vault, decrypted, for an export (event 1602, naming `file_format`
    when given). Personal items are never part of it (S3). Asks the master password again like
    revealing does."""
    if accounts.needs_master_password(actor):
        if master_password is None:
            raise Refused("reprompt", "Type your master password again to export a vault.")
        accounts.unlock(db, actor, master_password)
    with db.write() as s:
        org = _org(s, actor, client)
        standing = check(s, actor, Action.EXPORT_VAULT, organization_id=org.id)
        key = keys.org_key(s, actor, org.id)
        _record_vault_access(s, actor, standing, org.id, once=True)
        names = {c.id: keys.shown_name(key, org.id, c.id, c.name, "collection-name")[0] for c in s.execute(
            select(Collection).where(Collection.organization_id == org.id)).scalars()}
        restricted = _restricted(s, actor)
        items = [i for i in s.execute(select(VaultItem).where(VaultItem.organization_id == org.id,
                                                              VaultItem.deleted_at.is_(None))).scalars()
                 if not restricted.hides(i.type, org.id)]
        colls_of = _collections_of(s, [i.id for i in items])
        out = []
        for item in items:
            doc = _try_open(key, item)
            if doc is None:  # exported as damaged, so the export says what it could not include
                out.append({"id": str(item.id), "type": "", "name": keys.DAMAGED,
                            "collections": sorted(names[c] for c in colls_of[item.id])})
                continue
            # Extras (more URIs, custom fields, favourite, password history) only when the item has them.
            extra = Extras.from_doc(doc)
            more = {k: v for k, v in (("uris", list(extra.uris)),
                                      ("custom_fields", [[c.name, c.value, c.hidden] for c in extra.custom_fields]),
                                      ("favorite", extra.favorite),
                                      ("password_history", [list(p) for p in extra.password_history])) if v}
            out.append({"id": str(item.id), "type": TYPE_LABELS[ItemType(doc["type"])], "name": doc["name"],
                        "collections": sorted(names[c] for c in colls_of[item.id]), **doc.get("fields", {}),
                        **more})
        events.record(s, actor, EventType.ORGANIZATION_CLIENT_EXPORTED_VAULT, organization_id=org.id,
                      detail={"items": len(out), **({"format": file_format} if file_format else {})})
        return sorted(out, key=lambda d: d["name"].lower())


def count_items(db: Database, actor: Actor, client) -> int:
    """How many items of a client's vault the actor can see (never any personal item)."""
    with db.read() as s:
        org = _org(s, actor, client)
        access = _vault_access(s, actor, org.id)
        restricted = _restricted(s, actor)
        ids = [i for i, type_ in s.execute(select(VaultItem.id, VaultItem.type).where(
            VaultItem.organization_id == org.id, VaultItem.deleted_at.is_(None)))
            if not restricted.hides(type_, org.id)]
        if access.all_items:
            return len(ids)
        colls = _collections_of(s, list(ids))
        return sum(1 for i in ids if _item_grant(access, colls[i]) is not None)
