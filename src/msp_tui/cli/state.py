"""What every command shares: the database, the signed-in person, and output formatting."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import click

from msp_tui.core.errors import AuthFailed, BadInput


@dataclass
class CliState:
    db_url: str | None
    email: str | None
    passwordenv: str | None
    passwordfile: str | None
    fmt: str = "table"
    #: Only `init`, `demo` and `db upgrade` create a database; every other command refuses a missing file.
    create: bool = False
    _db: object = field(default=None, repr=False)
    _actor: object = field(default=None, repr=False)
    signed_in_password: str | None = field(default=None, repr=False)

    def db(self):
        if self._db is None:
            from msp_tui.core.db import open_database

            self._db = open_database(self.db_url, create=self.create)
        return self._db

    def where(self) -> str:
        """The database as a person names it (its path, or the server URL without a password)."""
        from msp_tui.core.db import resolve_url, where

        return where(self._db.url if self._db is not None else resolve_url(self.db_url))

    def password(self, prompt: str = "Master password", confirm: bool = False) -> str:
        if self.passwordenv:
            value = os.environ.get(self.passwordenv)
            if value is None:
                raise BadInput(f"The environment variable {self.passwordenv} is not set.", "passwordenv")
            return value
        if self.passwordfile:
            return read_password_file(self.passwordfile)
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)

    def actor(self, *, changing_password: bool = False):
        """Sign in with --email and the password (env, file or prompt); exit 3 on failure. A person
        whose master password no longer meets policy 1 (enforce on login) may only change it."""
        from msp_tui.core.services import accounts

        if self._actor is None:
            if not self.email:
                raise AuthFailed("Sign-in needs --email (or MSP_TUI_EMAIL).")
            self.signed_in_password = self.password()
            self._actor = accounts.sign_in(self.db(), self.email, self.signed_in_password)
        if not changing_password:
            accounts.require_current_password(self._actor)
        return self._actor


def read_password_file(path: str) -> str:
    """The file's first line, without its line ending (as docs/cli.md says); a warning on stderr when
    the file can be read by group or others, who can then read the master password too."""
    import stat

    try:
        mode = os.stat(path).st_mode
        with open(path, encoding="utf-8", newline="") as f:
            first = f.readline()
    except OSError as exc:
        raise BadInput(f"Cannot read the password file: {exc.strerror}.", "passwordfile") from None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        click.echo(f"warning: the password file {path} can be read by other users (mode {stat.filemode(mode)}); "
                   f"make it yours alone: chmod 600 {path}", err=True)
    return first.rstrip("\r\n")


pass_state = click.make_pass_decorator(CliState)
