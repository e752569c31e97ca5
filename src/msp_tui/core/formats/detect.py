"""Every format msp-tui imports, and which one a file is when --format is not given.

READERS maps a format's key to (its name for people, "module:function"); each function is
`read(data: bytes, *, password=None, keyfile=None) -> ReadResult` (records.py). detect() looks at the
content only, never the file name: a KeePass signature, a zip holding export.data (1Password .1pux),
JSON by its top-level keys, CSV by its header line (Keeper's CSV has none: recognised by its shape).
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile

from msp_tui.core.formats import keepass, keeper, lastpass, onepassword
from msp_tui.core.formats.common import MAX_FILE_BYTES, csv_rows, text_of
from msp_tui.core.formats.records import FormatError, ReadResult

READERS: dict[str, tuple[str, str]] = {
    "bitwarden-json": ("Bitwarden JSON", "msp_tui.core.formats.bitwarden_json:read"),
    "bitwarden-json-encrypted": ("Bitwarden JSON (password protected)", "msp_tui.core.formats.bitwarden_json:read"),
    "bitwarden-csv": ("Bitwarden CSV", "msp_tui.core.formats.bitwarden_csv:read"),
    lastpass.FORMAT: ("LastPass CSV", "msp_tui.core.formats.lastpass:read"),
    onepassword.FORMAT_1PUX: ("1Password .1pux", "msp_tui.core.formats.onepassword:read_1pux"),
    onepassword.FORMAT_CSV: ("1Password CSV", "msp_tui.core.formats.onepassword:read_csv"),
    keeper.FORMAT_CSV: ("Keeper CSV", "msp_tui.core.formats.keeper:read_csv"),
    keeper.FORMAT_JSON: ("Keeper JSON", "msp_tui.core.formats.keeper:read_json"),
    keepass.FORMAT: ("KeePass 2 (.kdbx)", "msp_tui.core.formats.keepass:read"),
}
BITWARDEN_CSV_COLUMNS = {"name", "type", "login_uri", "login_username", "login_password"}
CSV_FORMATS = "Bitwarden CSV (personal or organization), LastPass CSV, 1Password CSV or Keeper CSV"


def label(key: str) -> str:
    return READERS[key][0]


def formats_sentence() -> str:
    return ", ".join(k for k in READERS)


def parse_format(value: str) -> str:
    key = value.strip().lower().replace("_", "-").replace(" ", "-")
    key = {"kdbx": "keepass", "1pux": "1password-1pux", "lastpass": "lastpass-csv", "keeper": "keeper-csv",
           "bitwarden": "bitwarden-json", "1password": "1password-1pux"}.get(key, key)
    if key not in READERS:
        raise FormatError(f"unknown format {value!r}; the formats are: {formats_sentence()}.")
    return key


def detect(data: bytes) -> str:
    """The format's key, from the content; FormatError with a sentence when it is none of them."""
    if not data.strip():
        raise FormatError("the file is empty.")
    if keepass.looks_like(data):
        return keepass.FORMAT
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "export.data" in z.namelist():
                    return onepassword.FORMAT_1PUX
        except zipfile.BadZipFile:
            raise FormatError("the file is a damaged or truncated zip (a 1Password .1pux?).") from None
        raise FormatError("the file is a zip but not a 1Password .1pux export (it has no export.data).")
    text = text_of(data)
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            # A headerless Keeper CSV may begin with a folder named '{': CSV gets its chance first.
            try:
                return _csv_format(text)
            except FormatError:
                pass
            raise FormatError(f"the file looks like JSON but is damaged or truncated (line {exc.lineno}: "
                              f"{exc.msg}).") from None
        if isinstance(doc, dict):
            if doc.get("encrypted") is True:
                return "bitwarden-json-encrypted"
            if "items" in doc and ("folders" in doc or "collections" in doc):
                return "bitwarden-json"
            if "records" in doc:
                return keeper.FORMAT_JSON
        raise FormatError("this JSON is neither a Bitwarden export (items and folders or collections) "
                          "nor a Keeper export (records).")
    return _csv_format(text)


def _csv_format(text: str) -> str:
    rows = csv_rows(text)
    first = next(rows, None)
    if first is None:
        raise FormatError("the file is empty.")
    header = first[1]
    names = {h.strip().lower() for h in header}
    if BITWARDEN_CSV_COLUMNS <= names:
        return "bitwarden-csv"
    if lastpass.matches(header):
        return lastpass.FORMAT
    if onepassword.matches_csv(header):
        return onepassword.FORMAT_CSV
    if keeper.looks_like_csv(header):
        return keeper.FORMAT_CSV
    shown = ",".join(header)[:80]
    raise FormatError(f"the first line ({shown!r}) matches no format msp-tui imports; it reads "
                      f"{CSV_FORMATS} (give --format when you know which), JSON from Bitwarden or Keeper, "
                      "1Password .1pux and KeePass .kdbx.")


def read(data: bytes, format: str | None = None, *, password: str | None = None,
         keyfile: bytes | None = None) -> ReadResult:
    """Read a file in the given format (detected when None). FormatError for anything unreadable."""
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(f"the file is {len(data) / 1048576:.1f} MB; at most {MAX_FILE_BYTES // 1048576} MB "
                          "can be imported at once (split the export).")
    key = parse_format(format) if format else detect(data)
    module, _, func = READERS[key][1].partition(":")
    try:
        reader = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        raise FormatError(f"{label(key)} files cannot be imported by this version of msp-tui yet.") from None
    if key == "bitwarden-csv" or key.startswith("bitwarden-json"):
        return reader(data, password=password)
    try:
        return reader(data, password=password, keyfile=keyfile)
    except RecursionError:
        raise FormatError("the file nests too deeply to be read.") from None
