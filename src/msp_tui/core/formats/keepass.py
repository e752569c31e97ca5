"""KeePass 2 (.kdbx, KDBX 3.1 and 4), read with pykeepass: a password, a key file, or both.

Each entry's Title, UserName, Password, URL and Notes map onto a login (a note when it has neither
username, password nor URL); `otp` (KeePassXC's otpauth URI, or the older `TOTP Seed`) is the TOTP;
`KP2A_URL*` / `URL*` extra strings are more URIs; other strings are custom fields (hidden when the
file protects them); the entry's history gives the password history; the group path under the root
is its collection. Entries in the recycle bin are not imported; attachments are named in the report.
"""

from __future__ import annotations

import io

from msp_tui.core.formats.records import (CustomField, FormatError, ImportedItem, PasswordChange, PasswordNeeded,
                                          ReadResult, WrongPassword)

FORMAT = "keepass"
#: KeePass 2's two signature words (little-endian) at the start of every .kdbx.
SIGNATURE = bytes.fromhex("03d9a29a67fb4bb5")
_TOTP_KEYS = ("TOTP Seed",)


#: The outer header's CipherID (field 2) values pykeepass decrypts.
CIPHERS = {bytes.fromhex("31c1f2e6bf714350be5805216afc5aff"): "AES-256",
           bytes.fromhex("d6038a2b8b6f4cb5a524339a31dbb59a"): "ChaCha20",
           bytes.fromhex("ad68f29f576f4bb9a36ad47af965346c"): "Twofish"}


def looks_like(data: bytes) -> bool:
    return data[:8] == SIGNATURE


def cipher_id(data: bytes) -> bytes | None:
    """The CipherID of the outer header: fields of (id: 1 byte, length: 2 bytes in KDBX 3, 4 in KDBX 4,
    data) after the 12-byte signature and version; field 0 ends the header. None when it is missing."""
    wide = data[10:12] == b"\x04\x00"
    pos = 12
    while pos < len(data):
        field_id = data[pos]
        size_len = 4 if wide else 2
        size = int.from_bytes(data[pos + 1:pos + 1 + size_len], "little")
        value = data[pos + 1 + size_len:pos + 1 + size_len + size]
        if field_id == 2:
            return value
        if field_id == 0:
            return None
        pos += 1 + size_len + size
    return None


def _open(data: bytes, password: str | None, keyfile: bytes | None):
    from construct.core import ConstructError
    from pykeepass import PyKeePass
    from pykeepass.exceptions import CredentialsError, HeaderChecksumError, PayloadChecksumError

    if not looks_like(data):
        raise FormatError("this is not a KeePass 2 database (.kdbx): its signature is missing.")
    if password is None and keyfile is None:
        raise PasswordNeeded("this KeePass database is protected: give its password (and key file if it has one).")
    if data[10:12] not in (b"\x03\x00", b"\x04\x00"):
        major = int.from_bytes(data[10:12], "little")
        raise FormatError(f"this KeePass database is version {major}; KDBX 3 and 4 can be imported.")
    cipher = cipher_id(data)
    if cipher is None:
        raise FormatError("this KeePass database is damaged or truncated (its header names no cipher).")
    if cipher not in CIPHERS:
        raise FormatError("this KeePass database uses a cipher msp-tui cannot read "
                          f"({cipher.hex()}); AES-256, ChaCha20 and Twofish can be imported.")
    try:
        return PyKeePass(io.BytesIO(data), password=password, keyfile=io.BytesIO(keyfile) if keyfile else None)
    except CredentialsError:
        raise WrongPassword("the password or key file does not open this KeePass database.") from None
    except (HeaderChecksumError, PayloadChecksumError):
        raise FormatError("this KeePass database is damaged (its checksums do not match).") from None
    except ConstructError as exc:
        text = f"{getattr(exc, 'path', '')} {exc}"
        if "cipher" in text.lower():
            raise FormatError("this KeePass database uses a cipher msp-tui cannot read "
                              "(AES-256, ChaCha20 and Twofish can be imported).") from None
        if "kdf" in text.lower() or "uuid" in text.lower():
            raise FormatError("this KeePass database uses a key derivation msp-tui cannot read "
                              "(AES-KDF and Argon2 can be imported).") from None
        raise FormatError("this KeePass database is damaged or truncated.") from None
    except (AttributeError, ValueError) as exc:  # pykeepass's word for a key file it cannot read
        raise FormatError(f"the key file cannot be read ({exc}).") from None
    except Exception as exc:  # noqa: BLE001 - pykeepass lets zlib, lxml and crypto errors through
        raise FormatError(f"this KeePass database is damaged or truncated ({type(exc).__name__}).") from None


def read(data: bytes, *, password: str | None = None, keyfile: bytes | None = None) -> ReadResult:
    kp = _open(data, password, keyfile)
    result = ReadResult(FORMAT)
    bin_ = kp.recyclebin_group
    bin_path = "/".join(p or "" for p in bin_.path) if bin_ is not None else None
    folders = set()
    for group in kp.groups:
        path = "/".join(p or "(no name)" for p in group.path)
        if path and not (bin_path and (path == bin_path or path.startswith(bin_path + "/"))):
            folders.add(path)
    for entry in kp.entries:
        group_path = "/".join(p or "(no name)" for p in (entry.group.path if entry.group is not None else []))
        if bin_path and (group_path == bin_path or group_path.startswith(bin_path + "/")):
            continue
        title = entry.title or ""
        item = ImportedItem(type="login", name=title, where="/".join(p for p in ("Root", group_path, title) if p),
                            notes=entry.notes or "")
        if group_path:
            item.collections.append(group_path)
        for key, value in (("username", entry.username), ("password", entry.password)):
            if value:
                item.fields[key] = value
        if entry.url:
            item.uris.append(entry.url)
        item.totp = entry.otp or ""
        for key, value in entry.custom_properties.items():
            if value is None or value == "":
                continue
            if key in _TOTP_KEYS and not item.totp:
                item.totp = value
            elif key == "TOTP Settings":
                continue
            elif key.startswith(("KP2A_URL", "URL_")) or key.startswith("URL"):
                item.uris.append(value)
            else:
                item.custom_fields.append(CustomField(key, value, bool(entry.is_custom_property_protected(key))))
        seen = {item.fields.get("password")}
        for old in reversed(entry.history or []):
            if old.password and old.password not in seen:
                seen.add(old.password)
                when = old.mtime.isoformat() if getattr(old, "mtime", None) else ""
                item.password_history.append(PasswordChange(old.password, when))
        if entry.tags:
            item.custom_fields.append(CustomField("Tags", ", ".join(entry.tags)))
        for att in entry.attachments:
            item.notices.append(f"its attachment {att.filename!r} was not imported (attachments are not)")
        if not item.fields and not item.uris and not item.totp:
            item.type = "note"
        result.items.append(item)
    result.folders = sorted(folders)
    return result
