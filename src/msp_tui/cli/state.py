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
    #: --otpenv: the variable holding the two-step login code (else a prompt, when it is on).
    otpenv: str | None = None

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

    def actor(self, *, changing_password: bool = False, enrolling: bool = False):
        """Sign in with --email and the password (env, file or prompt), then the two-step login code
        when it is on (--otpenv or a prompt); exit 3 on failure. A person whose master password no
        longer meets policy 1 (enforce on login) may only change it; staff whose provider requires
        two-step login and who have not turned it on may only turn it on (`enrolling`)."""
        from msp_tui.core.services import accounts, two_step

        if self._actor is None:
            if not self.email:
                raise AuthFailed("Sign-in needs --email (or MSP_TUI_EMAIL).")
            self.signed_in_password = self.password()
            checked = accounts.check_password(self.db(), self.email, self.signed_in_password)
            code = self.two_step_code() if checked.needs_code else None
            self._actor = accounts.finish_sign_in(self.db(), checked, code)
        if not changing_password:
            accounts.require_current_password(self._actor)
        if not enrolling:
            two_step.require_enrolled(self._actor)
        return self._actor

    def two_step_code(self, prompt: str = "Two-step login code (or recovery code)") -> str | None:
        """The code from --otpenv or a prompt; None when there is none (the sign-in then fails like a
        wrong password: an unset variable or a closed input tells nothing more)."""
        if self.otpenv:
            return os.environ.get(self.otpenv)
        try:
            return click.prompt(prompt, err=True, default="", show_default=False)
        except click.exceptions.Abort:
            click.echo("", err=True)  # end the prompt's line: the answer is then the same line as always
            return None


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
