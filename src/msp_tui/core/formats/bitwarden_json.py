"""The reference's JSON export, unencrypted and password protected: a pure reader and writer of the
neutral record (records.py).

Unencrypted, a personal export is `{"encrypted": false, "folders": [{id, name}], "items": [...]}` with
each item's `folderId`; an organization export has `"collections": [{id, organizationId, name,
externalId}]` and each item's `collectionIds`. An item: `type` (1 login, 2 secure note, 3 card,
4 identity, 5 SSH key, 6 bank account, 7 driver's licence, 8 passport), `name`, `notes`, `favorite`,
`fields` (custom: name, value, type 0 text / 1 hidden / 2 boolean / 3 linked), `passwordHistory`
(password, lastUsedDate) and one object for its type (`login` with `uris`, `username`, `password`,
`totp`; `card`; `identity`; `sshKey`; `bankAccount`; `driversLicense`; `passport`).

Password protected, the whole unencrypted export is one EncString under a key derived from the
password (bitwarden_crypto.py):
`{"encrypted": true, "passwordProtected": true, "salt", "kdfType", "kdfIterations", ["kdfMemory",
"kdfParallelism" for Argon2id], "encKeyValidation_DO_NOT_EDIT", "data"}`. The validation value is
opened first, so a wrong password is told apart from a damaged file. An *account-restricted* export
(encrypted with the exporting account's key) cannot be opened anywhere else, and the reader says so.
"""

from __future__ import annotations

import json
import re
import uuid

from msp_tui.core.formats import bitwarden_crypto as bwc
from msp_tui.core.formats.records import (CustomField, FormatError, ImportedItem, PasswordChange, PasswordNeeded,
                                          Problem, ReadResult, WrongPassword)

FORMAT = "bitwarden-json"
FORMAT_ENCRYPTED = "bitwarden-json-encrypted"

TYPE_NUMBERS = {"login": 1, "note": 2, "card": 3, "identity": 4, "ssh-key": 5, "bank-account": 6,
                "drivers-licence": 7, "passport": 8}
TYPE_NAMES = {n: t for t, n in TYPE_NUMBERS.items()}
#: The object that carries each type's fields in the file.
TYPE_OBJECTS = {"card": "card", "identity": "identity", "ssh-key": "sshKey", "bank-account": "bankAccount",
                "drivers-licence": "driversLicense", "passport": "passport"}
#: The file's keys where the vault's field keys are not simply their snake_case.
RENAMED = {
    "card": {"cardholderName": "cardholder", "expMonth": "exp_month", "expYear": "exp_year"},
    "identity": {},
    "ssh-key": {"privateKey": "private_key", "publicKey": "public_key", "keyFingerprint": "key_fingerprint"},
}
#: The identity's address lines in the file, in order (the vault keeps one multi-line address).
ADDRESS_PARTS = ("address1", "address2", "address3")
HIDDEN_FIELD, BOOLEAN_FIELD, LINKED_FIELD = 1, 2, 3
#: Refuse JSON nested deeper than this (a hostile file would exhaust the stack).
MAX_DEPTH = 40


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _file_key(type_name: str, field_key: str) -> str:
    for file_key, vault_key in RENAMED.get(type_name, {}).items():
        if vault_key == field_key:
            return file_key
    return _camel(field_key)


def _vault_key(type_name: str, file_key: str) -> str:
    return RENAMED.get(type_name, {}).get(file_key) or _snake(file_key)


# --- reading ------------------------------------------------------------------------------------


def _load_json(data: bytes, what: str) -> object:
    if b"\x00" in data[:4096]:
        raise FormatError(f"This is binary data, not {what}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"This file is not UTF-8 text (byte {exc.start} is not valid), so not {what}.") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise FormatError(f"This JSON is nested too deeply to be {what}.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"This is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                          "the file may be truncated or damaged.") from None


def looks_like(data: bytes) -> str | None:
    """FORMAT or FORMAT_ENCRYPTED when the data has the reference's JSON export shape, else None."""
    head = data.lstrip()[:1]
    if head != b"{":
        return None
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or "encrypted" not in doc:
        return None
    if doc.get("encrypted") is True and doc.get("passwordProtected") is True:
        return FORMAT_ENCRYPTED
    return FORMAT if isinstance(doc.get("items"), list) else None


def read(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    """The items of an unencrypted or password-protected export (FormatError, PasswordNeeded,
    WrongPassword with a sentence for a person)."""
    doc = _load_json(data, "a Bitwarden JSON export")
    if not isinstance(doc, dict):
        raise FormatError("This JSON is not a Bitwarden export (it is not an object with \"items\").")
    if doc.get("encrypted") is True and doc.get("passwordProtected") is True:
        return _read_plain(_decrypt(doc, password), FORMAT_ENCRYPTED)
    if doc.get("encrypted") is True:
        raise FormatError("This Bitwarden export is account restricted: only the Bitwarden account that made it "
                          "can open it. Export again choosing \"Password protected\" or unencrypted JSON.")
    return _read_plain(doc, FORMAT)


def _decrypt(doc: dict, password: str | None) -> dict:
    if password is None or password == "":
        raise PasswordNeeded("This Bitwarden export is password protected: give the password it was exported with.")
    salt, data, check = doc.get("salt"), doc.get("data"), doc.get("encKeyValidation_DO_NOT_EDIT")
    if not isinstance(salt, str) or not isinstance(data, str):
        raise FormatError("This password-protected Bitwarden export has no salt or no data; it is damaged.")
    try:
        kdf = bwc.Kdf(int(doc.get("kdfType", 0)), int(doc.get("kdfIterations")),
                      None if doc.get("kdfMemory") is None else int(doc["kdfMemory"]),
                      None if doc.get("kdfParallelism") is None else int(doc["kdfParallelism"]))
        keys = bwc.derive(password, salt, kdf)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"This Bitwarden export's key derivation settings cannot be used: {exc}.") from None
    try:
        if isinstance(check, str):
            bwc.decrypt(keys, check)
        plain = bwc.decrypt(keys, data)
    except bwc.WrongPassword:
        raise WrongPassword("The password does not open this Bitwarden export (or the file was altered).") from None
    except bwc.BadEncString as exc:
        raise FormatError(f"This password-protected Bitwarden export is damaged: {exc}.") from None
    inner = _load_json(plain.encode("utf-8"), "a Bitwarden JSON export")
    if not isinstance(inner, dict):
        raise FormatError("The decrypted export is not a Bitwarden export.")
    return inner


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _read_plain(doc: dict, fmt: str) -> ReadResult:
    items = doc.get("items")
    if not isinstance(items, list):
        raise FormatError("This JSON is not a Bitwarden export: it has no \"items\" list.")
    result = ReadResult(fmt)
    homes: dict[str, str] = {}
    for key in ("folders", "collections"):
        for i, entry in enumerate(doc.get(key) or []):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry.get("id") is not None:
                homes[str(entry["id"])] = entry["name"]
                result.folders.append(entry["name"])
            else:
                result.problems.append(Problem(f"{key}[{i}]", "not a folder or collection with an id and a name; "
                                                              "skipped"))
    for i, raw in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(raw, dict):
            result.problems.append(Problem(where, "not an item (an object); skipped"))
            continue
        result.items.append(_item(raw, where, homes))
    return result


def _item(raw: dict, where: str, homes: dict[str, str]) -> ImportedItem:
    number = raw.get("type")
    type_name = TYPE_NAMES.get(number) if isinstance(number, int) else None
    item = ImportedItem(type=type_name or "note", name=_text(raw.get("name")), notes=_text(raw.get("notes")),
                        favorite=raw.get("favorite") is True, where=where)
    if type_name is None:
        item.notices.append(f"its type {number!r} is unknown here; kept as a secure note")
    for cid in raw.get("collectionIds") or []:
        if str(cid) in homes:
            item.collections.append(homes[str(cid)])
    folder = raw.get("folderId")
    if folder is not None and str(folder) in homes:
        item.collections.append(homes[str(folder)])
    for f in raw.get("fields") or []:
        if not isinstance(f, dict):
            continue
        kind = f.get("type")
        if kind == LINKED_FIELD:
            item.notices.append(f"its linked field {_text(f.get('name'))!r} points into the item; kept as text")
        item.custom_fields.append(CustomField(_text(f.get("name")), _text(f.get("value")), kind == HIDDEN_FIELD))
    for h in raw.get("passwordHistory") or []:
        if isinstance(h, dict) and isinstance(h.get("password"), str):
            item.password_history.append(PasswordChange(h["password"], _text(h.get("lastUsedDate"))))
    if type_name == "login":
        login = raw.get("login") if isinstance(raw.get("login"), dict) else {}
        for key in ("username", "password"):
            if login.get(key):
                item.fields[key] = _text(login[key])
        item.totp = _text(login.get("totp"))
        item.uris = [_text(u.get("uri")) for u in login.get("uris") or []
                     if isinstance(u, dict) and u.get("uri")]
        if login.get("fido2Credentials"):
            item.notices.append("its passkey was not imported (msp-tui keeps no passkeys)")
    elif type_name in TYPE_OBJECTS:
        sub = raw.get(TYPE_OBJECTS[type_name])
        sub = sub if isinstance(sub, dict) else {}
        address = []
        city = []
        for key, value in sub.items():
            value = _text(value)
            if not value:
                continue
            if type_name == "identity" and key in ADDRESS_PARTS:
                address.append(value)
            elif type_name == "identity" and key in ("city", "state", "postalCode"):
                city.append(value)
            elif type_name == "identity" and key == "country":
                continue
            else:
                item.fields[_vault_key(type_name, key)] = value
        if type_name == "identity":
            lines = address + ([" ".join(city)] if city else []) + ([_text(sub["country"])] if sub.get("country")
                                                                     else [])
            if lines:
                item.fields["address"] = "\n".join(lines)
    if raw.get("attachments"):
        item.notices.append("its attachments were not imported")
    return item


# --- writing ------------------------------------------------------------------------------------


def _uuid_for(name: str, space: uuid.UUID) -> str:
    return str(uuid.uuid5(space, name))


def _item_doc(item: ImportedItem, *, organization_id: str | None, homes: dict[str, str]) -> dict:
    number = TYPE_NUMBERS[item.type]
    doc: dict = {"passwordHistory": [{"lastUsedDate": p.last_used or None, "password": p.password}
                                     for p in item.password_history] or None,
                 "organizationId": organization_id, "folderId": None, "type": number, "reprompt": 0,
                 "name": item.name, "notes": item.notes or None, "favorite": bool(item.favorite),
                 "fields": [{"name": c.name, "value": c.value, "type": HIDDEN_FIELD if c.hidden else 0,
                             "linkedId": None} for c in item.custom_fields] or None}
    if organization_id is not None:
        doc["collectionIds"] = [homes[c] for c in item.collections if c in homes]
    elif item.collections:
        doc["folderId"] = homes.get(item.collections[0])
    if item.type == "login":
        doc["login"] = {"fido2Credentials": [], "uris": [{"match": None, "uri": u} for u in item.uris],
                        "username": item.fields.get("username") or None,
                        "password": item.fields.get("password") or None, "totp": item.totp or None}
    elif item.type == "note":
        doc["secureNote"] = {"type": 0}
    else:
        sub: dict = {}
        for key, value in item.fields.items():
            if item.type == "identity" and key == "address":
                sub["address1"] = value
            else:
                sub[_file_key(item.type, key)] = value
        doc[TYPE_OBJECTS[item.type]] = sub
    return doc


def write(items: list[ImportedItem], *, organization_id: str | None = None, password: str | None = None,
          kdf: bwc.Kdf = bwc.DEFAULT_PBKDF2) -> bytes:
    """An export of these items: an organization's (collections) when `organization_id` is given, else a
    personal one (folders; an item in several folders is filed under its first). With a password, the
    reference's password-protected export of it."""
    space = uuid.UUID(organization_id) if organization_id else uuid.uuid4()
    names = sorted({c for i in items for c in i.collections})
    homes = {name: _uuid_for(name, space) for name in names}
    doc: dict = {"encrypted": False}
    if organization_id is not None:
        doc["collections"] = [{"id": homes[n], "organizationId": organization_id, "name": n, "externalId": None}
                              for n in names]
    else:
        doc["folders"] = [{"id": homes[n], "name": n} for n in names]
    doc["items"] = [_item_doc(i, organization_id=organization_id, homes=homes) for i in items]
    plain = json.dumps(doc, ensure_ascii=False, indent=2)
    if password is None:
        return plain.encode("utf-8")
    if not password:
        raise ValueError("an encrypted export needs a password")
    salt = bwc.new_salt()
    keys = bwc.derive(password, salt, kdf)
    envelope: dict = {"encrypted": True, "passwordProtected": True, "salt": salt, "kdfType": kdf.type,
                      "kdfIterations": kdf.iterations}
    if kdf.type == bwc.ARGON2ID:
        envelope.update(kdfMemory=kdf.memory_mib, kdfParallelism=kdf.parallelism)
    envelope["encKeyValidation_DO_NOT_EDIT"] = bwc.encrypt(keys, str(uuid.uuid4()))
    envelope["data"] = bwc.encrypt(keys, plain)
    return json.dumps(envelope, indent=2).encode("utf-8")
