"""LastPass CSV: `url,username,password,totp,extra,name,grouping,fav`.

A secure note has the url `http://sn`; its `extra` is the note, or for LastPass's typed notes lines of
`Key:Value` after a first line `NoteType:<type>` (Credit Card, Address, Bank Account, Driver's License,
Passport, SSH Key, …) whose `Notes:` key runs to the end. `grouping` is the folder, nested with `\\`;
`fav` is 1 for a favourite. Typed-note keys with no field of their own become custom fields.
"""

from __future__ import annotations

from msp_tui.core.formats.common import cell, csv_rows, header_index, text_of
from msp_tui.core.formats.records import CustomField, FormatError, ImportedItem, ReadResult

FORMAT = "lastpass-csv"
HEADER = ("url", "username", "password", "totp", "extra", "name", "grouping", "fav")
NOTE_URL = "http://sn"

_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), 1)}

#: NoteType → (item type, {LastPass key: vault field key}).
NOTE_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    "Credit Card": ("card", {"Name on Card": "cardholder", "Type": "brand", "Number": "number",
                             "Security Code": "code"}),
    "Address": ("identity", {"Title": "title", "First Name": "first_name", "Last Name": "last_name",
                             "Company": "company", "Email Address": "email", "Phone": "phone"}),
    "Bank Account": ("bank-account", {"Bank Name": "bank_name", "Account Type": "account_type",
                                      "Routing Number": "routing_number", "Account Number": "account_number",
                                      "SWIFT Code": "swift_code", "IBAN Number": "iban", "Pin": "pin",
                                      "Branch Phone": "bank_contact_phone"}),
    "Driver's License": ("drivers-licence", {"Number": "license_number", "Expiration Date": "expiration_date",
                                             "License Class": "license_class", "Date of Birth": "date_of_birth",
                                             "State": "issuing_state", "Country": "issuing_country"}),
    "Passport": ("passport", {"Type": "passport_type", "Country": "issuing_country", "Number": "passport_number",
                              "Sex": "sex", "Nationality": "nationality", "Issuing Authority": "issuing_authority",
                              "Date of Birth": "date_of_birth", "Issued Date": "issue_date",
                              "Expiration Date": "expiration_date"}),
    "SSH Key": ("ssh-key", {"Private Key": "private_key", "Public Key": "public_key"}),
}
_ADDRESS_KEYS = ("Address 1", "Address 2", "Address 3", "City / Town", "State", "Zip / Postal Code", "Country")
_HIDDEN_KEYS = {"Passphrase", "Password", "Pin", "PIN"}


def matches(header: list[str]) -> bool:
    names = [h.strip().lower() for h in header]
    return names[:len(HEADER)] == list(HEADER) or set(HEADER) <= set(names)


def _typed_note(extra: str) -> tuple[str, list[tuple[str, str]], str] | None:
    """(NoteType, [(key, value)], notes) for a typed note, None for a plain one."""
    lines = extra.split("\n")
    if not lines or not lines[0].startswith("NoteType:"):
        return None
    pairs, notes = [], ""
    for i, line in enumerate(lines[1:], 1):
        key, sep, value = line.partition(":")
        if key == "Notes" and sep:
            notes = "\n".join([value, *lines[i + 1:]])
            break
        if sep:
            pairs.append((key, value))
        elif pairs:  # a value that ran over a line break
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + "\n" + line)
    return lines[0][len("NoteType:"):].strip(), pairs, notes


def _expiry(item: ImportedItem, value: str) -> None:
    """LastPass writes a card's expiry as 'June,2025'."""
    month, _, year = value.partition(",")
    m = _MONTHS.get(month.strip().lower())
    if m and year.strip().isdigit():
        item.fields["exp_month"], item.fields["exp_year"] = str(m), year.strip()
    elif value.strip(","):
        item.custom_fields.append(CustomField("Expiration Date", value))


def _note_item(item: ImportedItem, note_type: str, pairs: list[tuple[str, str]]) -> None:
    known = NOTE_TYPES.get(note_type)
    if known is None:
        item.type = "note"
        item.notices.append(f"LastPass note type {note_type!r} has no item type here: kept as a secure note "
                            "with its values as custom fields")
        item.custom_fields.extend(CustomField(k, v, k in _HIDDEN_KEYS) for k, v in pairs if v)
        return
    item.type, mapping = known
    address, moved = [], []
    for key, value in pairs:
        if not value.strip(","):  # LastPass writes an empty month-and-year as ","
            continue
        if key in mapping:
            item.fields[mapping[key]] = value
        elif note_type == "Credit Card" and key == "Expiration Date":
            _expiry(item, value)
        elif note_type == "Address" and key in _ADDRESS_KEYS:
            address.append(value)
        elif note_type in ("Driver's License", "Passport") and key == "Name":
            first, _, last = value.rpartition(" ")
            if note_type == "Passport":
                item.fields["given_name"], item.fields["surname"] = first, last
            else:
                item.fields["first_name"], item.fields["last_name"] = first, last
        else:
            item.custom_fields.append(CustomField(key, value, key in _HIDDEN_KEYS))
            moved.append(key)
    if moved:
        item.notices.append(f"its {', '.join(moved)} {'have' if len(moved) > 1 else 'has'} no field here: "
                            "kept as custom fields")
    if address:
        item.fields["address"] = "\n".join(address)


def read(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    result = ReadResult(FORMAT)
    rows = csv_rows(text_of(data, "the LastPass CSV"))
    first = next(rows, None)
    if first is None or not matches(first[1]):
        raise FormatError("this is not a LastPass CSV: its first line must be " + ",".join(HEADER) + ".")
    head = header_index(first[1])
    folders = set()
    for line, row in rows:
        item = ImportedItem(where=f"line {line}", name=cell(row, head, "name"))
        grouping = cell(row, head, "grouping").replace("\\", "/").strip("/")
        if grouping:
            item.collections.append(grouping)
            folders.add(grouping)
        item.favorite = cell(row, head, "fav").strip() == "1"
        url, extra = cell(row, head, "url"), cell(row, head, "extra")
        if url == NOTE_URL:
            typed = _typed_note(extra)
            if typed is None:
                item.type, item.notes = "note", extra
            else:
                note_type, pairs, item.notes = typed
                _note_item(item, note_type, pairs)
        else:
            item.type = "login"
            for key in ("username", "password"):
                if cell(row, head, key):
                    item.fields[key] = cell(row, head, key)
            if url:
                item.uris.append(url)
            item.totp = cell(row, head, "totp")
            item.notes = extra
        result.items.append(item)
    result.folders = sorted(folders)
    return result
