"""1Password: the `.1pux` export (a zip) and the 1Password 8 CSV.

.1pux: a zip with `export.attributes` and `export.data`, a JSON document
    {"accounts": [{"attrs": {...}, "vaults": [{"attrs": {"name": ...}, "items": [item, ...]}]}]}
and attachments under `files/` (not imported; the report names them). An item:
    {"uuid", "favIndex" (>0 a favourite), "state" ("active" | "archived"), "categoryUuid",
     "overview": {"title", "url", "urls": [{"label", "url"}], "tags": [...]},
     "details": {"loginFields": [{"value", "name", "fieldType", "designation": "username"|"password"}],
                 "notesPlain", "sections": [{"title", "fields": [{"title", "id", "value": {KIND: ...}}]}],
                 "passwordHistory": [{"value", "time"}], "password", "documentAttributes"}}
categoryUuid: 001 login, 002 credit card, 003 secure note, 004 identity, 005 password, 006 document,
101 bank account, 103 driver licence, 106 passport, 114 SSH key; the rest become logins or notes
with their fields as custom fields. A field's value is one {KIND: value} with KIND in string,
concealed, totp, email, url, phone, date (epoch seconds), monthYear (YYYYMM), creditCardNumber,
creditCardType, address, sshKey, menu, gender, reference …

CSV (1Password 8): `Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`; tags (comma
separated) become collections.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

from msp_tui.core.formats.common import cell, csv_rows, header_index, text_of
from msp_tui.core.formats.records import (CustomField, FormatError, ImportedItem, PasswordChange, Problem,
                                          ReadResult)

FORMAT_1PUX = "1password-1pux"
FORMAT_CSV = "1password-csv"
CSV_HEADER = ("title", "url", "username", "password", "otpauth", "favorite", "archived", "tags", "notes")

CATEGORIES = {"001": "login", "002": "card", "003": "note", "004": "identity", "005": "login", "006": "note",
              "101": "bank-account", "103": "drivers-licence", "106": "passport", "114": "ssh-key"}

#: (item type, 1Password field id) → vault field key.
FIELD_IDS: dict[str, dict[str, str]] = {
    "card": {"cardholder": "cardholder", "type": "brand", "ccnum": "number", "cvv": "code"},
    "identity": {"firstname": "first_name", "lastname": "last_name", "company": "company",
                 "email": "email", "defphone": "phone", "cellphone": "phone", "address": "address"},
    "bank-account": {"bankName": "bank_name", "owner": "name_on_account", "accountType": "account_type",
                     "routingNo": "routing_number", "accountNo": "account_number", "swift": "swift_code",
                     "iban": "iban", "telephonePin": "pin", "branchPhone": "bank_contact_phone"},
    "drivers-licence": {"fullname": "first_name", "birthdate": "date_of_birth", "number": "license_number",
                        "class": "license_class", "state": "issuing_state", "country": "issuing_country",
                        "expiry_date": "expiration_date"},
    "passport": {"type": "passport_type", "issuing_country": "issuing_country", "number": "passport_number",
                 "fullname": "given_name", "sex": "sex", "nationality": "nationality",
                 "issuing_authority": "issuing_authority", "birthdate": "date_of_birth",
                 "birthplace": "birth_place", "issue_date": "issue_date", "expiry_date": "expiration_date"},
    "ssh-key": {"private_key": "private_key"},
}


def matches_csv(header: list[str]) -> bool:
    names = {h.strip().lower() for h in header}
    return {"title", "url", "username", "password"} <= names and bool({"otpauth", "archived", "tags"} & names)


def _value(value: dict) -> tuple[str, bool]:
    """(text, hidden) of a 1Password field value {KIND: ...}."""
    if not isinstance(value, dict) or not value:
        return "", False
    kind, v = next(iter(value.items()))
    if kind == "date" and isinstance(v, (int, float)):
        return datetime.fromtimestamp(v, timezone.utc).date().isoformat(), False
    if kind == "monthYear" and isinstance(v, int):
        return f"{v % 100:02d}/{v // 100}", False
    if kind == "email" and isinstance(v, dict):
        return str(v.get("email_address", "")), False
    if kind == "address" and isinstance(v, dict):
        parts = [v.get(k, "") for k in ("street", "city", "state", "zip", "country")]
        return "\n".join(str(p) for p in parts if p), False
    if kind == "sshKey" and isinstance(v, dict):
        return str(v.get("privateKey", "")), True
    if v is None or isinstance(v, (dict, list)):
        return ("" if v is None else json.dumps(v, ensure_ascii=False)), False
    return str(v), kind in ("concealed", "creditCardNumber")


def _item(raw: dict, where: str, vault_name: str) -> ImportedItem:
    overview, details = raw.get("overview") or {}, raw.get("details") or {}
    item = ImportedItem(name=str(overview.get("title", "")), where=where,
                        type=CATEGORIES.get(str(raw.get("categoryUuid", "")), ""))
    category = str(raw.get("categoryUuid", ""))
    if not item.type:
        item.type = "login"
        item.notices.append(f"1Password category {category} has no item type here: kept as a login "
                            "with its fields as custom fields")
    item.favorite = bool(raw.get("favIndex"))
    item.collections.append(vault_name)
    urls = [u.get("url", "") for u in overview.get("urls") or [] if isinstance(u, dict)]
    item.uris = [u for u in ([overview.get("url", "")] + urls) if u]
    item.uris = list(dict.fromkeys(item.uris))
    item.notes = str(details.get("notesPlain") or "")
    for f in details.get("loginFields") or []:
        designation, value = f.get("designation"), str(f.get("value", ""))
        if designation in ("username", "password") and item.type == "login":
            item.fields[designation] = value
        elif value:
            item.custom_fields.append(CustomField(str(f.get("name") or f.get("id") or "field"), value,
                                                  f.get("fieldType") == "P"))
    if details.get("password") and "password" not in item.fields:
        item.fields["password"] = str(details["password"])
    mapping = FIELD_IDS.get(item.type, {})
    for section in details.get("sections") or []:
        for f in section.get("fields") or []:
            text, hidden = _value(f.get("value"))
            if not text:
                continue
            fid, kind = str(f.get("id", "")), next(iter(f.get("value") or {"": ""}))
            if kind == "totp" and not item.totp:
                item.totp = text
            elif item.type == "card" and kind == "monthYear" and fid == "expiry":
                item.fields["exp_month"], item.fields["exp_year"] = str(int(text[:2])), text[3:]
            elif item.type == "ssh-key" and kind == "sshKey":
                item.fields["private_key"] = text
                meta = (f["value"]["sshKey"] or {}).get("metadata") or {}
                if meta.get("publicKey"):
                    item.fields["public_key"] = str(meta["publicKey"])
                if meta.get("fingerprint"):
                    item.fields["key_fingerprint"] = str(meta["fingerprint"])
            elif fid in mapping and mapping[fid] not in item.fields:
                item.fields[mapping[fid]] = text
            else:
                item.custom_fields.append(CustomField(str(f.get("title") or fid or "field"), text, hidden))
    for entry in details.get("passwordHistory") or []:
        when = entry.get("time")
        stamp = datetime.fromtimestamp(when, timezone.utc).isoformat() if isinstance(when, (int, float)) else ""
        item.password_history.append(PasswordChange(str(entry.get("value", "")), stamp))
    doc = details.get("documentAttributes")
    if isinstance(doc, dict) and doc.get("fileName"):
        item.notices.append(f"its document {doc['fileName']!r} was not imported (attachments are not)")
    for tag in overview.get("tags") or []:
        item.custom_fields.append(CustomField("Tag", str(tag)))
    if raw.get("state") == "archived":
        item.add_note_line("(archived in 1Password)")
    if item.type == "login" and category not in ("001", "005") and not item.fields and not item.uris:
        item.type = "note"
    return item


def read_1pux(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "export.data" not in z.namelist():
                raise FormatError("this zip is not a 1Password export: it has no export.data.")
            doc = json.loads(z.read("export.data").decode("utf-8"))
    except zipfile.BadZipFile:
        raise FormatError("the .1pux file is damaged or truncated (not a readable zip).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"the .1pux file's export.data is not valid JSON ({exc}).") from None
    except (zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise FormatError(f"the .1pux file is damaged or truncated ({exc}).") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list):
        raise FormatError("the .1pux file's export.data has no accounts list.")
    result = ReadResult(FORMAT_1PUX)
    for a, account in enumerate(doc["accounts"]):
        for v, vault in enumerate((account or {}).get("vaults") or []):
            name = str(((vault or {}).get("attrs") or {}).get("name") or f"Vault {v + 1}")
            result.folders.append(name)
            for i, raw in enumerate(vault.get("items") or []):
                where = f"accounts[{a}].vaults[{v}].items[{i}]"
                if not isinstance(raw, dict):
                    result.problems.append(Problem(where, "not an item object"))
                    continue
                if raw.get("state") == "trashed":
                    continue
                result.items.append(_item(raw, where, name))
    return result


def read_csv(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    rows = csv_rows(text_of(data, "the 1Password CSV"))
    first = next(rows, None)
    if first is None or not matches_csv(first[1]):
        raise FormatError("this is not a 1Password CSV: its first line must be " + ",".join(
            h.title() if h != "otpauth" else "OTPAuth" for h in CSV_HEADER) + ".")
    head = header_index(first[1])
    result = ReadResult(FORMAT_CSV)
    for line, row in rows:
        item = ImportedItem(type="login", name=cell(row, head, "title"), where=f"line {line}")
        for key in ("username", "password"):
            if cell(row, head, key):
                item.fields[key] = cell(row, head, key)
        item.uris = [u for u in [cell(row, head, "url")] if u]
        item.totp = cell(row, head, "otpauth")
        item.notes = cell(row, head, "notes")
        item.favorite = cell(row, head, "favorite").strip().lower() in ("true", "1", "yes")
        item.collections = [t.strip() for t in cell(row, head, "tags").split(",") if t.strip()]
        if cell(row, head, "archived").strip().lower() in ("true", "1", "yes"):
            item.add_note_line("(archived in 1Password)")
        if not item.fields and not item.uris and not item.totp:
            item.type = "note"
        result.items.append(item)
    result.folders = sorted({c for i in result.items for c in i.collections})
    return result
