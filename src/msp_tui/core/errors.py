"""The three ways a use case says no. The command line maps them to exit codes 1, 2 and 3."""

from __future__ import annotations


class MspError(Exception):
    """Base of every error a person is meant to read."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(MspError):
    """A rule forbids the action. `rule` names the rule (e.g. 'S5', 'seats', 'stale-edit')."""

    exit_code = 1

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}]"


class StaleEdit(Refused):
    """The row changed since the person read it; their edit would overwrite a newer one."""

    def __init__(self, message: str) -> None:
        super().__init__("stale-edit", message)


class Damaged(MspError):
    """Encrypted data does not decrypt: damaged, or altered or moved in the database (exit 4)."""

    exit_code = 4


class BadInput(MspError):
    """The input is malformed; nothing was written."""

    exit_code = 2

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(BadInput):
    """A name or id that matches nothing the actor may see."""


class Unavailable(MspError):
    """The database or a file cannot be used, for a cause outside the program: a read-only or full
    disk, a folder where the file should be, a database server that is down. One line names the
    file (or server) and the cause; exit 2, like other input the program cannot work with."""

    exit_code = 2


class AuthFailed(MspError):
    """Sign-in failed. The message never says whether the email or the password was wrong."""

    exit_code = 3

    def __init__(self, message: str = "Sign-in failed.") -> None:
        super().__init__(message)
