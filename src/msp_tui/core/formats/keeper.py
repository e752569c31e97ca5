"""Keeper: the CSV and the JSON export (Keeper Commander's and the vault's "Export to JSON").

CSV, no header line: folder, title, login, password, website address, notes, shared folder, then
pairs of custom field name and value; the name `TFC:Keeper` holds the TOTP. A folder nests with `\\`.

JSON: {"shared_folders": [{"path": ...}], "records": [record, ...]}, a record
    {"uid", "title", "$type" (login, bankCard, bankAccount, address, contact, driverLicense, passport,
     sshKeys, encryptedNotes, databaseCredentials, serverCredentials, …), "login", "password",
     "login_url", "notes", "custom_fields": {"$TYPE:LABEL::N" or "LABEL": value},
     "folders": [{"folder": "A\\B"} | {"shared_folder": "S", "folder": "sub"}]}
Typed custom fields: $oneTimeCode (otpauth URI), $paymentCard {cardNumber, cardExpirationDate MM/YYYY,
cardSecurityCode}, $name {first, middle, last}, $email, $phone {number}, $address {street1, street2,
city, state, zip, country}, $keyPair {publicKey, privateKey}, $bankAccount {accountType, routingNumber,
accountNumber}, $accountNumber, $birthDate, $expirationDate, $pinCode, $url; others are kept as custom
fields.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from msp_tui.core.formats.common import csv_rows, text_of
from msp_tui.core.formats.records import CustomField, FormatError, ImportedItem, Problem, ReadResult

FORMAT_CSV = "keeper-csv"
FORMAT_JSON = "keeper-json"
TOTP_KEY = "TFC:Keeper"

TYPES = {"login": "login", "bankCard": "card", "bankAccount": "bank-account", "address": "identity",
         "contact": "identity", "driverLicense": "drivers-licence", "passport": "passport", "sshKeys": "ssh-key",
         "encryptedNotes": "note", "general": "login", "databaseCredentials": "login",
         "serverCredentials": "login", "wifiCredentials": "login", "softwareLicense": "note",
         "membership": "note", "file": "note", "photo": "note", "ssnCard": "note", "healthInsurance": "note",
         "birthCertificate": "note"}
_SECRET_KINDS = {"secret", "pinCode", "password", "accountNumber", "securityQuestion", "licenseNumber", "otp"}


def looks_like_csv(first_row: list[str]) -> bool:
    """Keeper's CSV has no header: at least six cells, an odd number of trailing name/value cells
    after the seventh at most, and a website cell that is empty or looks like one."""
    if len(first_row) < 6 or (len(first_row) > 7 and (len(first_row) - 7) % 2):
        return False
    site = first_row[4].strip().lower()
    return not site or "." in site or "://" in site


def read_csv(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    result = ReadResult(FORMAT_CSV)
    for line, row in csv_rows(text_of(data, "the Keeper CSV")):
        where = f"line {line}"
        if len(row) < 6:
            result.problems.append(Problem(where, f"has {len(row)} cells; a Keeper record has at least 6 "
                                                  "(folder, title, login, password, website, notes)"))
            continue
        item = ImportedItem(type="login", name=row[1], where=where, notes=row[5])
        for key, value in (("username", row[2]), ("password", row[3])):
            if value:
                item.fields[key] = value
        if row[4]:
            item.uris.append(row[4])
        for folder in (row[0], row[6] if len(row) > 6 else ""):
            path = folder.replace("\\", "/").strip("/")
            if path and path not in item.collections:
                item.collections.append(path)
        pairs = row[7:]
        if len(pairs) % 2:
            item.notices.append("its last custom field has a name but no value")
            pairs.append("")
        for i in range(0, len(pairs), 2):
            name, value = pairs[i], pairs[i + 1]
            if name == TOTP_KEY and not item.totp:
                item.totp = value
            elif name or value:
                item.custom_fields.append(CustomField(name or "field", value))
        if not item.fields and not item.uris and not item.totp:
            item.type = "note"
        result.items.append(item)
    result.folders = sorted({c for i in result.items for c in i.collections})
    return result


def _label(key: str) -> tuple[str, str]:
    """'$paymentCard:Work card::1' → ('paymentCard', 'Work card'); 'My field' → ('', 'My field')."""
    key = key.split("::", 1)[0]
    if not key.startswith("$"):
        return "", key
    kind, _, label = key[1:].partition(":")
    return kind, label or kind


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, (int, float)) and value > 10**11:  # Keeper dates are epoch milliseconds
        return datetime.fromtimestamp(value / 1000, timezone.utc).date().isoformat()
    return "" if value is None else str(value)


def _typed(item: ImportedItem, kind: str, label: str, value) -> bool:
    """Put a typed custom field where the item type has it; False when it has no place."""
    v = value[0] if isinstance(value, list) and len(value) == 1 else value
    f = item.fields
    if kind == "oneTimeCode" and not item.totp:
        item.totp = _text(v)
    elif kind == "paymentCard" and isinstance(v, dict) and item.type == "card":
        f["number"], f["code"] = _text(v.get("cardNumber")), _text(v.get("cardSecurityCode"))
        month, _, year = _text(v.get("cardExpirationDate")).partition("/")
        if month.isdigit() and year.isdigit():
            f["exp_month"], f["exp_year"] = str(int(month)), year
    elif kind == "name" and isinstance(v, dict):
        first, last = _text(v.get("first")), _text(v.get("last"))
        if item.type == "passport":
            f["given_name"], f["surname"] = first, last
        elif item.type == "card":
            f["cardholder"] = " ".join(p for p in (first, last) if p)
        elif item.type == "bank-account":
            f["name_on_account"] = " ".join(p for p in (first, last) if p)
        elif item.type in ("identity", "drivers-licence"):
            f["first_name"], f["last_name"] = first, last
            if v.get("middle") and item.type == "drivers-licence":
                f["middle_name"] = _text(v.get("middle"))
        else:
            return False
    elif kind == "email" and item.type == "identity":
        f["email"] = _text(v)
    elif kind == "phone" and item.type == "identity":
        f["phone"] = _text(v.get("number") if isinstance(v, dict) else v)
    elif kind == "address" and isinstance(v, dict) and item.type == "identity":
        f["address"] = "\n".join(_text(v.get(k)) for k in ("street1", "street2", "city", "state", "zip", "country")
                                 if v.get(k))
    elif kind == "keyPair" and isinstance(v, dict) and item.type == "ssh-key":
        f["private_key"], f["public_key"] = _text(v.get("privateKey")), _text(v.get("publicKey"))
    elif kind == "bankAccount" and isinstance(v, dict) and item.type == "bank-account":
        f["account_type"], f["routing_number"] = _text(v.get("accountType")), _text(v.get("routingNumber"))
        f["account_number"] = _text(v.get("accountNumber"))
    elif kind == "accountNumber" and item.type in ("drivers-licence", "passport"):
        f["license_number" if item.type == "drivers-licence" else "passport_number"] = _text(v)
    elif kind == "birthDate" and item.type in ("drivers-licence", "passport"):
        f["date_of_birth"] = _text(v)
    elif kind == "expirationDate" and item.type in ("drivers-licence", "passport"):
        f["expiration_date"] = _text(v)
    elif kind == "pinCode" and item.type == "bank-account":
        f["pin"] = _text(v)
    elif kind == "url" and _text(v):
        item.uris.append(_text(v))
    else:
        return False
    return True


def read_json(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    try:
        doc = json.loads(text_of(data, "the Keeper JSON"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"the Keeper JSON is damaged or truncated (line {exc.lineno}: {exc.msg}).") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise FormatError("this is not a Keeper JSON export: it has no \"records\" list.")
    result = ReadResult(FORMAT_JSON)
    folders = {str(sf.get("path")) for sf in doc.get("shared_folders") or [] if isinstance(sf, dict) and sf.get("path")}
    for i, raw in enumerate(doc["records"]):
        where = f"records[{i}]"
        if not isinstance(raw, dict):
            result.problems.append(Problem(where, "not a record object"))
            continue
        keeper_type = str(raw.get("$type") or "login")
        item = ImportedItem(type=TYPES.get(keeper_type, "login"), name=str(raw.get("title") or ""), where=where,
                            notes=str(raw.get("notes") or ""))
        if keeper_type not in TYPES:
            item.notices.append(f"Keeper record type {keeper_type!r} has no item type here: kept as a login")
        if item.type == "login":
            for key, src in (("username", "login"), ("password", "password")):
                if raw.get(src):
                    item.fields[key] = str(raw[src])
        else:
            for src, label, hidden in (("login", "Login", False), ("password", "Password", True)):
                if raw.get(src):
                    item.custom_fields.append(CustomField(label, str(raw[src]), hidden))
        if raw.get("login_url"):
            item.uris.append(str(raw["login_url"]))
        for key, value in (raw.get("custom_fields") or {}).items():
            kind, label = _label(str(key))
            if kind and _typed(item, kind, label, value):
                continue
            text = _text(value)
            if text:
                item.custom_fields.append(CustomField(label, text, kind in _SECRET_KINDS))
        item.fields = {k: v for k, v in item.fields.items() if v}
        for f in raw.get("folders") or []:
            if not isinstance(f, dict):
                continue
            path = "/".join(p.replace("\\", "/").strip("/") for p in (f.get("shared_folder"), f.get("folder")) if p)
            if path and path not in item.collections:
                item.collections.append(path)
                folders.add(path)
        if item.type == "login" and not item.fields and not item.uris and not item.totp:
            item.type = "note"
        result.items.append(item)
    result.folders = sorted(folders)
    return result
