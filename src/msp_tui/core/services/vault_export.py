"""A vault taken out in the reference's formats: a client's (event 1602) or one's own (event 1007).

Who: provider staff, Owners and Admins export a client's vault (Action.EXPORT_VAULT); members'
personal items are never in it (S3). Anyone exports their own personal items unless a client binding
them has Remove individual vault export on (policy 10, policies.refuse_personal_vault_export).
Trashed items stay out; damaged items (data that does not decrypt) cannot be exported and are
counted. The file is written by `write_private`: created 0600 from the start, never loosened later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from msp_tui.core import events
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, ItemType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.formats import bitwarden_crypto, bitwarden_csv, bitwarden_json
from msp_tui.core.formats.records import CustomField, ImportedItem, PasswordChange
from msp_tui.core.models import VaultItem
from msp_tui.core.services import accounts
from msp_tui.core.services import policies as client_policies
from msp_tui.core.services import vault

FORMATS = ("bitwarden-json", "bitwarden-json-encrypted", "csv")
KDFS = {"pbkdf2": bitwarden_crypto.DEFAULT_PBKDF2, "argon2id": bitwarden_crypto.DEFAULT_ARGON2ID}
#: The record's type name of each vault item type (records.ITEM_TYPES).
RECORD_TYPES = {ItemType.LOGIN: "login", ItemType.SECURE_NOTE: "note", ItemType.CARD: "card",
                ItemType.IDENTITY: "identity", ItemType.SSH_KEY: "ssh-key", ItemType.BANK_ACCOUNT: "bank-account",
                ItemType.DRIVERS_LICENSE: "drivers-licence", ItemType.PASSPORT: "passport"}
_BY_LABEL = {vault.TYPE_LABELS[t]: name for t, name in RECORD_TYPES.items()}
#: Fields a record carries as attributes of its own, not in `fields`.
_OWN_ATTRIBUTES = ("url", "totp", "notes")


@dataclass
class Export:
    data: bytes
    items: int
    #: Sentences for the person: what the file could not hold (a CSV holds logins and notes only),
    #: damaged items left out.
    warnings: list[str] = field(default_factory=list)


def _record(type_name: str, name: str, fields: dict, extras: vault.Extras, collections=()) -> ImportedItem:
    website = fields.get("url", "")
    return ImportedItem(type=type_name, name=name,
                        fields={k: v for k, v in fields.items() if k not in _OWN_ATTRIBUTES},
                        uris=[u for u in (website, *extras.uris) if u], totp=fields.get("totp", ""),
                        notes=fields.get("notes", ""), favorite=extras.favorite,
                        custom_fields=[CustomField(c.name, c.value, c.hidden) for c in extras.custom_fields],
                        password_history=[PasswordChange(p, w) for p, w in extras.password_history],
                        collections=sorted(collections))


def client_records(db: Database, actor: Actor, client, *, master_password: str | None = None,
                   file_format: str | None = None) -> tuple[list[ImportedItem], int, str]:
    """(records, damaged count, organization id) of a client's vault; records event 1602."""
    rows = vault.export_items(db, actor, client, master_password=master_password, file_format=file_format)
    out, damaged, org_id = [], 0, None
    for row in rows:
        if not row["type"]:
            damaged += 1
            continue
        row = dict(row)
        extras = vault.Extras(tuple(row.pop("uris", ())),
                              tuple(vault.CustomField(*c) for c in row.pop("custom_fields", ())),
                              bool(row.pop("favorite", False)),
                              tuple(tuple(p) for p in row.pop("password_history", ())))
        meta = {k: row.pop(k) for k in ("id", "type", "name", "collections")}
        out.append(_record(_BY_LABEL[meta["type"]], meta["name"], row, extras, meta["collections"]))
    with db.read() as s:
        org_id = vault._org(s, actor, client).id
    return out, damaged, str(org_id)


def personal_records(db: Database, actor: Actor, *, master_password: str | None = None,
                     file_format: str | None = None) -> tuple[list[ImportedItem], int]:
    """(records, damaged count) of the person's own vault; policy 10 may refuse; records event 1007."""
    if accounts.needs_master_password(actor):
        if master_password is None:
            raise Refused("reprompt", "Type your master password again to export a vault.")
        accounts.unlock(db, actor, master_password)
    key = vault._user_key(actor)
    with db.write() as s:
        client_policies.refuse_personal_vault_export(s, actor)
        restricted = vault._restricted(s, actor)
        out, damaged = [], 0
        for item in s.execute(select(VaultItem).where(VaultItem.owner_account_id == actor.account_id,
                                                      VaultItem.deleted_at.is_(None))).scalars():
            doc = vault._try_open(key, item)
            if doc is None:
                damaged += 1
                continue
            item_type = ItemType(doc["type"])
            if restricted.hides(item_type, None):
                continue
            out.append(_record(RECORD_TYPES[item_type], doc["name"], doc.get("fields", {}),
                               vault.Extras.from_doc(doc)))
        events.record(s, actor, EventType.USER_CLIENT_EXPORTED_VAULT,
                      detail={"items": len(out), **({"format": file_format} if file_format else {})})
    return sorted(out, key=lambda r: r.name.lower()), damaged


def export_vault(db: Database, actor: Actor, client=None, *, personal: bool = False, file_format: str = "bitwarden-json",
                 password: str | None = None, kdf: str = "pbkdf2", master_password: str | None = None) -> Export:
    """A client's vault (or with `personal` one's own) in one of FORMATS, as bytes to write."""
    if file_format not in FORMATS:
        raise BadInput(f"format: {file_format!r} is not one of {', '.join(FORMATS)}", "format")
    if personal == (client is not None):
        raise BadInput("Give a CLIENT, or --personal for your own vault.", "client")
    encrypted = file_format == "bitwarden-json-encrypted"
    if encrypted and not password:
        raise BadInput("An encrypted export needs a password for the file.", "password")
    if kdf not in KDFS:
        raise BadInput(f"kdf: {kdf!r} is not one of {', '.join(KDFS)}", "kdf")
    if personal:
        records, damaged = personal_records(db, actor, master_password=master_password, file_format=file_format)
        org_id = None
    else:
        records, damaged, org_id = client_records(db, actor, client, master_password=master_password,
                                                  file_format=file_format)
    warnings = []
    if damaged:
        warnings.append(f"{damaged} item{'s' if damaged != 1 else ''} cannot be decrypted (damaged or altered) "
                        "and {} not in the file.".format("are" if damaged != 1 else "is"))
    if file_format == "csv":
        left = bitwarden_csv.unwritable(records)
        if left:
            kinds = sorted({r.type for r in left})
            warnings.append(f"{len(left)} item{'s' if len(left) != 1 else ''} ({', '.join(kinds)}) "
                            f"{'are' if len(left) != 1 else 'is'} not in the file: a Bitwarden CSV holds logins "
                            "and notes only. Use --format bitwarden-json for everything.")
        data = bitwarden_csv.write(records, organization=not personal)
        written = len(records) - len(left)
    else:
        data = bitwarden_json.write(records, organization_id=org_id, password=password if encrypted else None,
                                    kdf=KDFS[kdf])
        written = len(records)
    return Export(data, written, warnings)


def write_private(path: str | os.PathLike, data: bytes, *, overwrite: bool = False) -> None:
    """Write `data` to a file only its owner can read (0600 from its creation: a temporary file in
    the same folder, created with that mode, then renamed over `path`)."""
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{target} is a folder; give a file name.", "output")
    if target.exists() and not overwrite:
        raise BadInput(f"{target} already exists; give another name, or --force to replace it.", "output")
    if not target.parent.is_dir():
        raise BadInput(f"The folder {target.parent} does not exist.", "output")
    temp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BadInput(f"Cannot write in {target.parent}: {exc.strerror}.", "output") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
