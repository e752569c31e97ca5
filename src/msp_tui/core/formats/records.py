"""The neutral record every reader returns and every writer takes: THE CONTRACT of core/formats/.

A reader is a pure function `read(data: bytes, *, password=None, keyfile=None) -> ReadResult`; a
writer is `write(items: list[ImportedItem], ...) -> bytes`. Neither touches a database or Textual:
the import service (core/services/vault_import.py) maps records onto the vault, and the export
builds records from the vault and hands them to a writer.

ImportedItem, field by field:

- `type`: the vault's type name, one of ITEM_TYPES ("login", "note", "card", "identity", "ssh-key",
  "bank-account", "drivers-licence", "passport") — names, not numbers, so a reader needs no enum.
- `name`: as in the file, may be "" (the service names it "(no name)" and reports it).
- `fields`: keyed exactly like the vault's FieldSpecs for that type (core/services/vault.py FIELDS),
  e.g. login {"username", "password"}, card {"cardholder", "brand", "number", "exp_month",
  "exp_year", "code"}, identity {"title", "first_name", "last_name", "email", "phone", "company",
  "address"}. Do NOT put the notes, the URIs or the TOTP here: they have their own attributes. A key
  the type does not have is not an error: the service turns it into a custom field and reports it.
- `uris`: every URI in the file's order; the first becomes the login's Website.
- `totp`: the authenticator key or otpauth:// URI, "" when none.
- `notes`: multi-line text.
- `favorite`: bool.
- `custom_fields`: [CustomField(name, value, hidden)] in the file's order; names may repeat.
- `password_history`: [PasswordChange(password, last_used ISO-8601 text or "")], newest first.
- `collections`: the paths the item is filed under (folders, groups, vaults, collections), each a
  "/"-joined path as the user sees it ("Finance/Banks"); empty = no folder. Several = in several.
- `where`: the item's place in the file for reports: "line 12" (CSV: the line the record starts
  on, header = line 1), "items[3]" (JSON), "Root/Finance/Bank" (KeePass group path + title).
- `notices`: sentences about this item that the report repeats ("its attachment 'a.pdf' was not
  imported"), things the reader kept but could not place exactly.

ReadResult: `format` (the format's key, e.g. "lastpass-csv"), `items`, `problems` ([Problem(where,
message)] records the reader skipped or mangled; a fatal file-level fault is raised as FormatError
instead, with a sentence a person can act on), and `folders` (paths the file declares, even empty
ones, so the import can create them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ITEM_TYPES = ("login", "note", "card", "identity", "ssh-key", "bank-account", "drivers-licence", "passport")


class FormatError(ValueError):
    """The file cannot be read at all; str() is a sentence for a person. Nothing is imported."""


class WrongPassword(FormatError):
    """The file's password (or KeePass key file) does not open it."""


class PasswordNeeded(FormatError):
    """The file is protected and no password was given."""


@dataclass(frozen=True)
class CustomField:
    name: str
    value: str
    hidden: bool = False


@dataclass(frozen=True)
class PasswordChange:
    password: str
    last_used: str = ""


@dataclass
class ImportedItem:
    type: str = "login"
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    uris: list[str] = field(default_factory=list)
    totp: str = ""
    notes: str = ""
    favorite: bool = False
    custom_fields: list[CustomField] = field(default_factory=list)
    password_history: list[PasswordChange] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    where: str = ""
    notices: list[str] = field(default_factory=list)

    def add_note_line(self, line: str) -> None:
        """Something with no place of its own: a line at the end of the notes."""
        self.notes = f"{self.notes}\n{line}" if self.notes else line


@dataclass(frozen=True)
class Problem:
    where: str
    message: str


@dataclass
class ReadResult:
    format: str
    items: list[ImportedItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
