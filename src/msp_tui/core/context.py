"""Who is acting: the signed-in person, the provider they work in, and their unlocked keys."""

from __future__ import annotations

import os
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from msp_tui.core.crypto import AccountSecrets


#: While an approved two-person request runs (core.services.approvals.approve): who asked, who
#: approved, which request. Every event the action records carries it, so both names are in the log.
APPROVAL: ContextVar[dict | None] = ContextVar("approval", default=None)

#: Set by `msp-tui serve` for each browser tab's process: the browser's address (cli/serve.py).
BROWSER_ADDRESS = "MSP_TUI_BROWSER_ADDRESS"


def session_device() -> str:
    """Where this session runs: "browser" in a tab of `msp-tui serve`, else "terminal"."""
    return "browser" if os.environ.get(BROWSER_ADDRESS) else "terminal"


def ssh_client_address() -> str | None:
    """The browser's address under `serve`; the SSH client's in an SSH session; else None."""
    browser = os.environ.get(BROWSER_ADDRESS)
    if browser:
        return browser[:50]
    for var in ("SSH_CONNECTION", "SSH_CLIENT"):
        value = os.environ.get(var)
        if value:
            return value.split()[0][:50]
    return None


@dataclass
class Actor:
    account_id: uuid.UUID
    email: str
    name: str
    #: The provider this person works in (None for a client's member who is not staff).
    provider_id: uuid.UUID | None
    #: The account's keys while unlocked; None once the app locks.
    secrets: AccountSecrets | None = field(default=None, repr=False)
    device: str = field(default_factory=session_device)
    ip_address: str | None = field(default_factory=ssh_client_address)
    #: Keys opened during this session (provider key, org keys), dropped with `lock()`.
    key_cache: dict = field(default_factory=dict, repr=False)
    #: When the master password last opened the keys (sign-in or unlock); core.services.accounts
    #: asks for it again before revealing a password when this is older than 5 minutes.
    unlocked_at: datetime | None = None
    #: Signed in with a master password that no longer meets a client's Master password requirements
    #: with "enforce on login": nothing else until it is changed (core.services.accounts).
    must_change_password: bool = False
    #: Provider staff who must use two-step login (the provider's setting) and have not turned it on:
    #: nothing else until they do (core.services.two_step).
    must_enrol_two_step: bool = False
    #: When this session's sign-in passed the two-step login code (None: it did not ask for one).
    two_step_at: datetime | None = None
    #: Why, when it is not policy 1: an account recovery set a temporary password (services.recovery).
    change_first: str | None = None

    def lock(self) -> None:
        self.secrets = None
        self.key_cache.clear()
        self.unlocked_at = None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email
