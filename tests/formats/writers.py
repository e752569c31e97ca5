"""Test-side writers for the formats msp-tui reads, each following the format's published structure
(the exporters of LastPass, 1Password, Keeper and KeePass as their public importers document them).
They take the neutral records (core/formats/records.py) so property tests can write a vault, read it
back and compare. Only logins and notes with folders: what every format has."""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile

from msp_tui.core.formats.records import ImportedItem


def _csv(rows) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def lastpass_csv(items: list[ImportedItem]) -> bytes:
    rows = [["url", "username", "password", "totp", "extra", "name", "grouping", "fav"]]
    for i in items:
        folder = (i.collections[0] if i.collections else "").replace("/", "\\")
        if i.type == "note":
            rows.append(["http://sn", "", "", "", i.notes, i.name, folder, "1" if i.favorite else "0"])
        else:
            rows.append([i.uris[0] if i.uris else "", i.fields.get("username", ""), i.fields.get("password", ""),
                         i.totp, i.notes, i.name, folder, "1" if i.favorite else "0"])
    return _csv(rows)


def onepassword_csv(items: list[ImportedItem]) -> bytes:
    rows = [["Title", "Url", "Username", "Password", "OTPAuth", "Favorite", "Archived", "Tags", "Notes"]]
    for i in items:
        rows.append([i.name, i.uris[0] if i.uris else "", i.fields.get("username", ""),
                     i.fields.get("password", ""), i.totp, "true" if i.favorite else "false", "false",
                     ",".join(i.collections), i.notes])
    return _csv(rows)


def keeper_csv(items: list[ImportedItem]) -> bytes:
    rows = []
    for i in items:
        row = [(i.collections[0] if i.collections else "").replace("/", "\\"), i.name,
               i.fields.get("username", ""), i.fields.get("password", ""), i.uris[0] if i.uris else "", i.notes, ""]
        if i.totp:
            row += ["TFC:Keeper", i.totp]
        for c in i.custom_fields:
            row += [c.name, c.value]
        rows.append(row)
    return _csv(rows)


def keeper_json(items: list[ImportedItem]) -> bytes:
    records = []
    for i in items:
        rec = {"title": i.name, "$type": "encryptedNotes" if i.type == "note" else "login", "notes": i.notes}
        if i.type != "note":
            rec.update(login=i.fields.get("username", ""), password=i.fields.get("password", ""),
                       login_url=i.uris[0] if i.uris else "")
        custom = {c.name: c.value for c in i.custom_fields}
        if i.totp:
            custom["$oneTimeCode::1"] = i.totp
        if custom:
            rec["custom_fields"] = custom
        if i.collections:
            rec["folders"] = [{"folder": c.replace("/", "\\")} for c in i.collections]
        records.append(rec)
    return json.dumps({"shared_folders": [], "records": records}, ensure_ascii=False).encode("utf-8")


def onepassword_1pux(items: list[ImportedItem], vault: str = "Private") -> bytes:
    vaults: dict[str, list] = {}
    for n, i in enumerate(items):
        details = {"notesPlain": i.notes, "sections": [], "passwordHistory": [
            {"value": p.password, "time": 1700000000 - k} for k, p in enumerate(i.password_history)]}
        if i.type != "note":
            details["loginFields"] = [
                {"value": i.fields.get("username", ""), "name": "username", "fieldType": "T", "designation": "username"},
                {"value": i.fields.get("password", ""), "name": "password", "fieldType": "P", "designation": "password"}]
        if i.totp:
            details["sections"].append({"title": "", "fields": [{"title": "one-time password", "id": "TOTP_1",
                                                                 "value": {"totp": i.totp}}]})
        if i.custom_fields:
            details["sections"].append({"title": "More", "fields": [
                {"title": c.name, "id": f"f{k}", "value": {"concealed" if c.hidden else "string": c.value}}
                for k, c in enumerate(i.custom_fields)]})
        raw = {"uuid": f"u{n}", "favIndex": 1 if i.favorite else 0, "state": "active",
               "categoryUuid": "003" if i.type == "note" else "001", "details": details,
               "overview": {"title": i.name, "url": i.uris[0] if i.uris else "",
                            "urls": [{"label": "", "url": u} for u in i.uris]}}
        for c in (i.collections or [vault]):
            vaults.setdefault(c, []).append(raw)
    doc = {"accounts": [{"attrs": {"accountName": "Test", "name": "Test"},
                         "vaults": [{"attrs": {"uuid": f"v{k}", "name": name}, "items": its}
                                    for k, (name, its) in enumerate(vaults.items())]}]}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export.attributes", json.dumps({"version": 3, "description": "1Password Unencrypted Export"}))
        z.writestr("export.data", json.dumps(doc, ensure_ascii=False))
    return buf.getvalue()


def keepass(items: list[ImportedItem], path, password: str = "kdbx-pw", keyfile=None, version: int = 4) -> bytes:
    """A KDBX 4 (or 3) file written with pykeepass."""
    from pykeepass import PyKeePass

    blank = _cheap_blank() if version == 4 else base64.b64decode(KDBX3_BLANK)
    kp = PyKeePass(io.BytesIO(blank), password=_BLANK_PW)
    kp.filename, kp.password, kp.keyfile = str(path), password, keyfile
    groups = {}
    for i in items:
        group = kp.root_group
        for part in (i.collections[0].split("/") if i.collections else []):
            key = (id(group), part)
            if key not in groups:
                groups[key] = kp.add_group(group, part)
            group = groups[key]
        # pykeepass looks title and username up by XPath before adding: placeholders, then the values.
        e = kp.add_entry(group, f"entry {id(i)}", "", "", url=i.uris[0] if i.uris else None,
                         notes=i.notes or None, otp=i.totp or None, force_creation=True)
        e.title, e.username, e.password = i.name, i.fields.get("username", ""), i.fields.get("password", "")
        for c in i.custom_fields:
            e.set_custom_property(c.name, c.value, protect=c.hidden)
    kp.save()
    return path.read_bytes()


_BLANK_PW = "blank"
_blank: list[bytes] = []


def _cheap_blank() -> bytes:
    """pykeepass's empty KDBX 4 with its Argon2 made cheap (2 passes, 8 MiB), built once: its own
    template takes seconds to open, and property tests write many files."""
    if not _blank:
        from pykeepass import create_database

        kp = create_database(io.BytesIO(), password=_BLANK_PW)
        kdf = kp.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
        kdf["I"].value, kdf["M"].value = 2, 8 * 1024 * 1024
        buf = io.BytesIO()
        kp.save(buf)
        _blank.append(buf.getvalue())
    return _blank[0]


#: An empty KDBX 3.1 database (AES-256, AES-KDF 100 rounds, password "blank") holding only our own
#: XML (a Root group): pykeepass writes KDBX 3 only over a KDBX 3 file, and makes new ones as KDBX 4.
KDBX3_BLANK = (
    "A9mimmf7S7UBAAMAAhAAMcHy5r9xQ1C+WAUhavxa/wMEAAEAAAAEIAAAZOCXfClv7B1ITUnx02m1dUQI0M0dK3l9VOv5UMZqTwUg"
    "AL5j9SkyO32xQ72BxtUuOctgjSmZ/SEhPrntzLqnjrylBggAZAAAAAAAAAAHEAABYmbCb6syAZIm693Vqp/lCCAAx6pxWQHn1aKv"
    "GFVrDjwswjNP+8gJ7tRItjObCcjG2QYJIADNNGxqgdyjTaw1KdpWrPBkWtdPRIxBRUFmYhvukFKxwwoEAAIAAAAABAANCg0KfqcM"
    "1Mj4kaNBWRt8iGM/7LImnCeS7I/s+bazTXYw6AsUuQAa/ZP9umNG9/yNDjPjc6ofyVaxW0oxxUtZpXHV/H6a2qq4C4Mkhrareqpq"
    "6SpDPOJidcF8FRS4kl6vB9g/yYrLiC+WXEDaq8fSOCTEr9QM+ATVfuQAvsnXot7CCVmEKjMUwM4hNSIzlbj3SDIeyErfoIWCZ3GQ"
    "N3iKeL79SIxqo1oCB2oURWgxA5gFpEUN0ZuBuIsTotL50BMtc4Bm5PokI5RDSyw/atVhTaKSwBbNzDWQ6uGDQwGUPznD7z8F5AFL"
    "4SMi+39XcirVdIMsEyHO68ccnxUsvFyx724R5HLQ6XHkzbLNLDbuYJW4927iscZ9uFsrqYKn/0/8oPeXWfvXvsVvtcs9tua35DTM"
    "ddvqkn3PutkgEvyhgGempSccc4J+GRb1Go1tnMxGnsc9Vsj6qiz8kZeZz2yUh57QRkyM4Hw8+f1qvRcw06lXiFOaHp0x1b0Hbdte"
    "vcu624qM/jHR0MF8Xxu49Fpxoqm3UDeslXGyeYlFoYNQ6ZfAsEI3DMYjmEAiKvuDzsDCMO9cxSXlaxLBI2U/zbRcOaCzGtQhNQuP"
    "+lvPALUH22huFFT0boIE04/wX+YnX8DMniYK7kRp+z5wtVZ3MiCVmKMOTU/FIZwcX/1+kGICjvpy84Q+ox1+pwa2RcuHz09yFS/K"
    "vLhikTbHvcYoHn6Fa4rYLAZIVmNeHTfK1BP3AnvSquiEU1SzRoPsCtv/Jy8ZgxgvVIRsx6zaNsRm89eVfytFRfKMNWzjminNyc+g"
    "aPLSwf0XWAFsT/+0Z9bum7FQGEy1"
)
