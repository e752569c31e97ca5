"""A tiny harness App for the vault and lock screens (the real app frame is built elsewhere)."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from msp_tui.screens.lock import IdleLock
from msp_tui.screens.vault import VaultScreen
from msp_tui.widgets.typed_ahead import TypedAhead


class Harness(TypedAhead, IdleLock, App):
    """Pushes a VaultScreen over a blank base screen; locks after the provider's idle time."""

    def __init__(self, db, actor, organization_id, *, idle_lock: bool = False) -> None:
        super().__init__()
        self.db, self.actor, self.organization_id, self.idle_lock = db, actor, organization_id, idle_lock

    def compose(self):
        yield Static("base")

    def on_mount(self) -> None:
        self.push_screen(VaultScreen(self.db, self.actor, self.organization_id))
        if self.idle_lock:
            self.start_idle_lock()


if __name__ == "__main__":  # try it in a terminal: python -m tests.ui.test_vault_support DBFILE
    import sys

    from msp_tui.core.db import Database
    from msp_tui.core.services import accounts, clients

    db = Database(sys.argv[1])
    who = sys.argv[2] if len(sys.argv) > 2 else "ada@northwind.example"
    pw = sys.argv[3] if len(sys.argv) > 3 else "northwind-demo-2026"
    actor = accounts.sign_in(db, who, pw)
    org = None
    if actor.provider_id and "--personal" not in sys.argv:
        org = clients.list_clients(db, actor, limit=5).rows[1].id
    Harness(db, actor, org, idle_lock=True).run()
