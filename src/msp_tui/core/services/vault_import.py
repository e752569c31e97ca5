"""Bringing a client's passwords in from another password manager (issue 17).

`plan_import` reads the file (core/formats), maps every record onto the vault and says what would
happen: counts by item type and by target collection, the collections to create, likely duplicates
of items already there (same name, username and first URI, case-insensitive), every record skipped
with its line or path, and every place a value was moved (a field with no home became a custom field
or a note line). It writes nothing but the staff vault-access record. `run_import` does the same and
then writes it all in ONE transaction: the new collections (1300), every item with its event 1100,
and one ITEMS_IMPORTED event saying who imported how many items from which format; any failure
writes none of it.

Who may: Action.IMPORT_VAULT (provider staff, Owners, Admins, Custom members with "access
import/export"), as the reference lets provider users import into client organizations. Missing
collections are created only for those who may create collections; a person without access to every
item imports only into collections they can edit. Into one's own vault: any signed-in person, within
the client policies on personal items (data ownership, restricted item types).

Size: files over formats.common.MAX_FILE_BYTES (50 MB) are refused before they are read.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from msp_tui.core import events, keys
from msp_tui.core.access import Action, check, decide
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, ItemType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.formats import detect
from msp_tui.core.formats.records import FormatError, ImportedItem, PasswordNeeded, Problem, ReadResult, WrongPassword
from msp_tui.core.models import Client, Collection, CollectionItem, VaultItem
from msp_tui.core.schemas import CollectionInput, parse
from msp_tui.core.services import vault
from msp_tui.core.services.collections import NAME as COLLECTION_NAME
from msp_tui.core.services.common import touch
from msp_tui.core.services.vault import FIELDS, MAX_EXTRAS, MAX_FIELD, MAX_NAME, TYPE_LABELS, CustomField, Extras

NO_NAME = "(no name)"
NO_COLLECTION = "(no collection)"
#: How many items are added between progress reports.
PROGRESS_STEP = 250


@dataclass
class _Planned:
    where: str
    type: ItemType
    name: str
    fields: dict[str, str]
    extras: Extras
    collections: list[str]


@dataclass(frozen=True)
class Duplicate:
    where: str
    name: str
    username: str
    uri: str


@dataclass
class ImportPlan:
    """What an import would do (the dry run) or did (`imported` set by run_import)."""

    format: str
    format_label: str
    personal: bool
    client_name: str
    items: int
    by_type: dict[str, int]
    by_collection: dict[str, int]
    new_collections: list[str]
    duplicates: list[Duplicate]
    #: Records not imported, each with its place in the file.
    problems: list[Problem]
    #: Values moved to a custom field or a note line, attachments left behind: said, never silent.
    notices: list[Problem]
    imported: int = 0
    _planned: list[_Planned] = field(default_factory=list, repr=False)

    @property
    def done_sentence(self) -> str:
        """What the import says once done, wherever it ran (the vault's `i`, onboarding)."""
        n = self.imported
        return f"Imported {n:,} item{'s' if n != 1 else ''} from {self.format_label} into {self.client_name}."


# --- mapping one record ---------------------------------------------------------------------------


#: What a name may not hold (core.services.vault refuses control characters; a line break would split a
#: row): each run becomes one space. Every other character, a no-break space or two spaces among them,
#: is kept as the file has it, so a name survives export and import exactly.
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x85\u2028\u2029]+")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


def _map(record: ImportedItem, notices: list[Problem]) -> _Planned:
    """The record as the vault keeps it; BadInput for a record that cannot be kept at all."""
    where = record.where or "?"
    said = lambda text: notices.append(Problem(where, text))  # noqa: E731
    for text in record.notices:
        said(text)
    try:
        item_type = vault.parse_type(record.type)
    except BadInput:
        item_type = ItemType.SECURE_NOTE
        said(f"its type {record.type!r} is unknown here: imported as a secure note")
    specs = {f.key: f for f in FIELDS[item_type]}
    name = _one_line(record.name or "")
    if not name:
        name = NO_NAME
        said(f"it has no name: named {NO_NAME!r}")
    notes = record.notes or ""
    if len(name) > MAX_NAME:
        notes = f"{notes}\nFull name: {name}" if notes else f"Full name: {name}"
        name = name[:MAX_NAME - 1] + "…"
        said(f"its name is over {MAX_NAME} characters: shortened, the full name is a note line")
    fields: dict[str, str] = {}
    custom = list(record.custom_fields)
    uris = [u for u in record.uris if u]
    for key, value in record.fields.items():
        value = "" if value is None else str(value)
        if not value:
            continue
        f = specs.get(key)
        if f is None or key == "notes":
            custom.append(CustomField(key, value, False))
            said(f"its {key!r} has no field in a {TYPE_LABELS[item_type].lower()}: kept as a custom field")
        elif not f.multiline and ("\n" in value or "\r" in value):
            custom.append(CustomField(f.label, value, f.protected))
            said(f"its {f.label.lower()} runs over several lines: kept as a custom field")
        else:
            fields[key] = value
    if item_type == ItemType.LOGIN:
        if uris and "\n" not in uris[0]:
            fields["url"] = uris.pop(0)
        if record.totp:
            fields["totp"] = _one_line(record.totp)
    else:
        if uris:
            custom.extend(CustomField("Website", u) for u in uris)
            said(f"a {TYPE_LABELS[item_type].lower()} has no website: its URIs are custom fields")
            uris = []
        if record.totp:
            custom.append(CustomField("Authenticator key", record.totp, True))
            said(f"a {TYPE_LABELS[item_type].lower()} has no authenticator key: kept as a hidden custom field")
    if notes:
        fields["notes"] = notes
    for key, value in fields.items():
        if len(value) > MAX_FIELD:
            raise BadInput(f"its {key} is {len(value):,} characters; at most {MAX_FIELD:,} fit", key)
    custom = [CustomField(c.name or "field", c.value, c.hidden) for c in custom]
    for c in custom:
        if len(c.value) > MAX_FIELD or len(c.name) > MAX_FIELD:
            raise BadInput(f"its custom field {c.name[:40]!r} is over {MAX_FIELD:,} characters", "custom")
    history = tuple((p.password, p.last_used) for p in record.password_history if p.password)
    if len(history) > MAX_EXTRAS:
        said(f"its password history has {len(history)} entries: the newest {MAX_EXTRAS} are kept")
        history = history[:MAX_EXTRAS]
    if len(custom) > MAX_EXTRAS or len(uris) > MAX_EXTRAS:
        raise BadInput(f"it has over {MAX_EXTRAS} custom fields or URIs", "custom")
    extras = Extras(tuple(uris), tuple(custom), bool(record.favorite), history)
    return _Planned(where, item_type, name, fields, extras, [c for c in record.collections if c])


def _collection_name(path: str) -> str:
    return _one_line(path.replace("\\", "/"))[:200].strip() or NO_NAME


# --- the plan -------------------------------------------------------------------------------------


def _read(data: bytes, format: str | None, password: str | None, keyfile: bytes | None) -> ReadResult:
    try:
        return detect.read(data, format, password=password, keyfile=keyfile)
    except PasswordNeeded as exc:
        raise Refused("file-password", _sentence(exc)) from None
    except WrongPassword as exc:
        raise Refused("file-password", _sentence(exc)) from None
    except FormatError as exc:
        raise BadInput(_sentence(exc), "file") from None


def _sentence(exc: Exception) -> str:
    text = str(exc)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _existing(s: Session, key: bytes, clause) -> set[tuple[str, str, str]]:
    out = set()
    for item in s.execute(select(VaultItem).where(clause, VaultItem.deleted_at.is_(None))).scalars():
        doc = vault._try_open(key, item)
        if doc is not None:
            f = doc.get("fields", {})
            out.add((doc["name"].lower(), f.get("username", "").lower(), f.get("url", "").lower()))
    return out


def _plan(s: Session, actor: Actor, result: ReadResult, *, org_id, key: bytes, access, collection: str | None,
          personal: bool, client_name: str) -> ImportPlan:
    problems, notices = list(result.problems), []
    planned: list[_Planned] = []
    for record in result.items:
        try:
            p = _map(record, notices)
        except BadInput as exc:
            problems.append(Problem(record.where or "?", str(exc) + "; not imported"))
            continue
        if personal:
            p.collections = []
        elif collection is not None:
            p.collections = [collection]
        else:
            p.collections = list(dict.fromkeys(_collection_name(c) for c in p.collections))
        planned.append(p)
    if personal and any(r.collections for r in result.items):
        notices.append(Problem("(file)", "your own vault has no collections: the file's folders are not kept"))
    existing_names: dict[str, uuid.UUID] = {}
    if not personal:
        for c in s.execute(select(Collection).where(Collection.organization_id == org_id)).scalars():
            shown, damaged = keys.shown_name(key, org_id, c.id, c.name, COLLECTION_NAME)
            if not damaged:
                existing_names.setdefault(shown.lower(), c.id)
    wanted = {c for p in planned for c in p.collections}
    new = sorted((c for c in wanted if c.lower() not in existing_names), key=str.lower)
    for name in new:
        try:
            parse(CollectionInput, name=name)
        except BadInput as exc:
            raise BadInput(f"The collection name {name!r} from the file cannot be used: {exc}", "collection") from None
    if not personal:
        _check_targets(s, actor, org_id, access, planned, existing_names, new)
    clause = (VaultItem.owner_account_id == actor.account_id) if personal else (VaultItem.organization_id == org_id)
    have = _existing(s, key, clause) if planned else set()
    duplicates = []
    for p in planned:
        k = (p.name.lower(), p.fields.get("username", "").lower(), p.fields.get("url", "").lower())
        if k in have:
            duplicates.append(Duplicate(p.where, p.name, p.fields.get("username", ""), p.fields.get("url", "")))
    by_type = Counter(TYPE_LABELS[p.type] for p in planned)
    by_coll: Counter = Counter()
    for p in planned:
        for c in p.collections or [NO_COLLECTION if not personal else "(your vault)"]:
            by_coll[c] += 1
    return ImportPlan(result.format, detect.label(result.format) if result.format in detect.READERS else result.format,
                      personal, client_name, len(planned), dict(sorted(by_type.items())),
                      dict(sorted(by_coll.items(), key=lambda kv: kv[0].lower())), new, duplicates, problems,
                      notices, 0, planned)


def _check_targets(s, actor, org_id, access, planned, existing_names, new) -> None:
    if new and not decide(access.standing, Action.CREATE_COLLECTION):
        raise Refused("collection-access", "The file's folders need new collections ("
                      + ", ".join(new[:5]) + ("…" if len(new) > 5 else "")
                      + ") and you may not create collections; use --collection NAME with one you can edit.")
    if access.all_items:
        return
    if any(not p.collections for p in planned):
        raise Refused("collection-access", "Some items are in no folder: give --collection NAME with a "
                      "collection you can edit, so you can see them after the import.")
    for name, cid in existing_names.items():
        if any(name in (c.lower() for c in p.collections) for p in planned):
            grant = access.collections.get(cid)
            if grant is None or not grant.can_edit:
                raise Refused("collection-access", f"You can only import into collections you can edit "
                              f"(not {name!r}).")


def _setup(s: Session, actor: Actor, client, personal: bool, *, record: bool = True):
    """(org id or None, key, vault access or None, client name) after the permission check."""
    if personal:
        if client is not None:
            raise BadInput("Import into a client's vault or, with --personal, your own; not both.", "personal")
        return None, vault._user_key(actor), None, "your vault"
    if client is None:
        raise BadInput("Name the client whose vault gets the items (or use --personal).", "client")
    org = vault._org(s, actor, client)
    check(s, actor, Action.IMPORT_VAULT, organization_id=org.id)
    access = vault._vault_access(s, actor, org.id)
    key = keys.org_key(s, actor, org.id)
    if record:
        vault._record_vault_access(s, actor, access.standing, org.id, once=True)
    return org.id, key, access, org.name


def plan_import(db: Database, actor: Actor, data: bytes, *, client=None, personal: bool = False,
                format: str | None = None, password: str | None = None, keyfile: bytes | None = None,
                collection: str | None = None) -> ImportPlan:
    """The dry run: read, map and compare; nothing is imported."""
    collection = _target(collection)
    with db.read() as s:  # the permission first, so a refused person learns nothing of the file
        _setup(s, actor, client, personal, record=False)
    result = _read(data, format, password, keyfile)
    with db.write() as s:
        org_id, key, access, client_name = _setup(s, actor, client, personal)
        return _plan(s, actor, result, org_id=org_id, key=key, access=access, collection=collection,
                     personal=personal, client_name=client_name)


def _target(collection: str | None) -> str | None:
    if collection is None:
        return None
    name = _one_line(collection)
    parse(CollectionInput, name=name)
    return name


def run_import(db: Database, actor: Actor, data: bytes, *, client=None, personal: bool = False,
               format: str | None = None, password: str | None = None, keyfile: bytes | None = None,
               collection: str | None = None,
               progress: Callable[[int, int], None] | None = None) -> ImportPlan:
    """The import: all of it in one transaction, or nothing. `progress(done, total)` is called as
    items are added (and once at the end)."""
    collection = _target(collection)
    with db.read() as s:
        _setup(s, actor, client, personal, record=False)
    result = _read(data, format, password, keyfile)
    with db.write() as s:
        org_id, key, access, client_name = _setup(s, actor, client, personal)
        plan = _plan(s, actor, result, org_id=org_id, key=key, access=access, collection=collection,
                     personal=personal, client_name=client_name)
        if not plan._planned:
            raise BadInput("The file holds no item that can be imported"
                           + (f" ({len(plan.problems)} with problems)." if plan.problems else "."), "file")
        if personal:
            for t in {p.type for p in plan._planned}:
                vault._refuse_by_policy(s, actor, t, True)
        coll_ids = {} if personal else _collections(s, actor, org_id, key, plan.new_collections)
        provider_id = None if personal else s.execute(
            select(Client.provider_id).where(Client.organization_id == org_id)).scalar()
        total, links = len(plan._planned), []
        for n, p in enumerate(plan._planned, 1):
            item = (VaultItem(id=uuid.uuid4(), owner_account_id=actor.account_id, type=vault.PERSONAL_TYPE_COLUMN)
                    if personal else VaultItem(id=uuid.uuid4(), organization_id=org_id, type=int(p.type)))
            vault.add_item(s, actor, item, key, p.type, p.name, p.fields, p.extras, provider_id=provider_id)
            links.extend((coll_ids[c.lower()], item.id) for c in p.collections)
            if progress is not None and n % PROGRESS_STEP == 0:
                progress(n, total)
        s.flush()
        s.add_all([CollectionItem(collection_id=cid, item_id=iid) for cid, iid in dict.fromkeys(links)])
        detail = {"items": total, "format": plan.format_label}
        if personal:
            events.record(s, actor, EventType.ITEMS_IMPORTED, detail=detail)
        else:
            events.record(s, actor, EventType.ITEMS_IMPORTED, organization_id=org_id, provider_id=provider_id,
                          detail=detail)
        s.flush()
        plan.imported = total
        if progress is not None:
            progress(total, total)
        return plan


def _collections(s: Session, actor: Actor, org_id, key: bytes, new: list[str]) -> dict[str, uuid.UUID]:
    """Lower-cased name → id of every collection of the client, after creating the new ones (1300)."""
    out: dict[str, uuid.UUID] = {}
    for c in s.execute(select(Collection).where(Collection.organization_id == org_id)).scalars():
        shown, damaged = keys.shown_name(key, org_id, c.id, c.name, COLLECTION_NAME)
        if not damaged:
            out.setdefault(shown.lower(), c.id)
    for name in new:
        cid = uuid.uuid4()
        c = Collection(id=cid, organization_id=org_id, name=keys.encrypt_name(key, org_id, cid, name, COLLECTION_NAME))
        touch(c, actor)
        s.add(c)
        s.flush()
        events.record(s, actor, EventType.COLLECTION_CREATED, organization_id=org_id, collection_id=cid)
        out[name.lower()] = cid
    return out
