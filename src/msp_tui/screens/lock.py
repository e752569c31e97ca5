"""The idle lock: after a quiet while the keys are dropped and the screen hidden until the master
password is typed again (core `accounts.unlock`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from msp_tui.core.errors import MspError
from msp_tui.widgets.text import plain


class LockScreen(ModalScreen[None]):
    BINDINGS = [Binding("ctrl+o", "sign_out", "Sign out")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text("Locked"), classes="modal-title")
            yield Static(Text.assemble("The session locked after a quiet while. ",
                                       plain(self.app.actor.label if self.app.actor else ""),
                                       ": type your master password to go on."), classes="modal-body")
            yield Input(password=True, placeholder="master password", id="password")
            yield Static("", id="lock-message", classes="field-error")
            yield Static(Text("enter unlock · ctrl+o sign out"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        db, actor, password = self.app.db, self.app.actor, event.value

        def work() -> None:
            from msp_tui.core.services import accounts

            try:
                accounts.unlock(db, actor, password)
            except MspError:
                self.app.call_from_thread(self._failed)
                return
            self.app.call_from_thread(self.dismiss, None)

        self.run_worker(work, thread=True, group="unlock")

    def _failed(self) -> None:
        self.query_one("#lock-message", Static).update(Text("Sign-in failed."))
        self.query_one(Input).value = ""

    def action_sign_out(self) -> None:
        self.dismiss(None)
        self.app.sign_out()
