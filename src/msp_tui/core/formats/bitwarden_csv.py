"""The reference's CSV export: a pure reader and writer of the neutral record (records.py).

Two headers, one row per item:

    personal:      folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp
    organization:  collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp

`type` is `login` or `note` (the reference's CSV holds no other type: `unwritable` names the items a
CSV leaves out, so the export can say so); `fields` is one `name: value` line per custom field (hidden
fields become plain text: CSV has no hidden); `login_uri` and `collections` are comma-separated, so a
URI or a collection name with a comma in it is cut there (the reference's own limit; the JSON
formats keep them whole). Cells are written exactly as they are: this is a file for a password
manager, not a spreadsheet, and a password starting with `=` must come back as it was.
"""

from __future__ import annotations

import csv
import io

from msp_tui.core.formats.records import CustomField, FormatError, ImportedItem, Problem, ReadResult

FORMAT = "bitwarden-csv"
PERSONAL = ["folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri", "login_username",
            "login_password", "login_totp"]
ORGANIZATION = ["collections", "type", "name", "notes", "fields", "reprompt", "login_uri", "login_username",
                "login_password", "login_totp"]
CSV_TYPES = ("login", "note")


def _header(data: bytes) -> list[str] | None:
    try:
        first = data.decode("utf-8-sig").splitlines()[0] if data else ""
    except UnicodeDecodeError:
        return None
    try:
        return [h.strip() for h in next(csv.reader([first]))]
    except (StopIteration, csv.Error):
        return None


def looks_like(data: bytes) -> str | None:
    """FORMAT when the first line is one of the reference's two CSV headers."""
    return FORMAT if _header(data[:4096]) in (PERSONAL, ORGANIZATION) else None


def read(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    if b"\x00" in data[:4096]:
        raise FormatError("This is binary data, not a Bitwarden CSV export.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"This file is not UTF-8 text (byte {exc.start} is not valid), so not a Bitwarden "
                          "CSV export.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FormatError("This file is empty.") from None
    except csv.Error as exc:
        raise FormatError(f"This is not readable CSV: {exc}.") from None
    if header not in (PERSONAL, ORGANIZATION):
        raise FormatError("This CSV's header is not a Bitwarden export's (personal: " + ",".join(PERSONAL)
                          + "; organization: " + ",".join(ORGANIZATION) + ").")
    organization = header == ORGANIZATION
    result = ReadResult(FORMAT)
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FormatError(f"line {start}: this is not readable CSV ({exc}); the file may be truncated or "
                              "damaged.") from None
        where, start = f"line {start}", reader.line_num + 1
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            result.problems.append(Problem(where, f"{len(row)} cells where the header has {len(header)}; skipped"))
            continue
        result.items.append(_item(dict(zip(header, row)), where, organization))
        for home in result.items[-1].collections:
            if home not in result.folders:
                result.folders.append(home)
    return result


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _item(row: dict, where: str, organization: bool) -> ImportedItem:
    kind = row["type"].strip().lower()
    item = ImportedItem(type="note" if kind == "note" else "login", name=row["name"], notes=row["notes"],
                        where=where)
    if kind not in CSV_TYPES:
        item.notices.append(f"its type {row['type']!r} is not one a Bitwarden CSV holds; read as a login")
    item.collections = _split(row["collections"]) if organization else ([row["folder"]] if row["folder"] else [])
    item.favorite = not organization and row["favorite"].strip() in ("1", "true")
    for line in row["fields"].splitlines():
        if not line:
            continue
        name, sep, value = line.rpartition(": ")
        item.custom_fields.append(CustomField(name, value) if sep else CustomField(line, ""))
    if item.type == "login":
        item.uris = _split(row["login_uri"])
        for key in ("username", "password"):
            if row[f"login_{key}"]:
                item.fields[key] = row[f"login_{key}"]
        item.totp = row["login_totp"]
    elif any(row[k] for k in ("login_uri", "login_username", "login_password", "login_totp")):
        item.notices.append("its login columns were set on a note; added to its notes")
        for k in ("login_uri", "login_username", "login_password", "login_totp"):
            if row[k]:
                item.add_note_line(f"{k}: {row[k]}")
    return item


def unwritable(items: list[ImportedItem]) -> list[ImportedItem]:
    """The items a Bitwarden CSV cannot hold (any type but login and secure note)."""
    return [i for i in items if i.type not in CSV_TYPES]


def write(items: list[ImportedItem], *, organization: bool = False) -> bytes:
    """The items a CSV holds (see `unwritable`), under the organization header or the personal one
    (an item in several folders is filed under its first)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ORGANIZATION if organization else PERSONAL)
    for item in items:
        if item.type not in CSV_TYPES:
            continue
        fields = "\n".join(f"{c.name}: {c.value}" for c in item.custom_fields)
        login = item.type == "login"
        cells = [item.type, item.name, item.notes, fields, "0",
                 ",".join(item.uris) if login else "", item.fields.get("username", "") if login else "",
                 item.fields.get("password", "") if login else "", item.totp if login else ""]
        if organization:
            writer.writerow([",".join(item.collections), *cells])
        else:
            writer.writerow([item.collections[0] if item.collections else "", "1" if item.favorite else "",
                             *cells])
    return out.getvalue().encode("utf-8")
