"""Change the master password (policy 1): from the palette, or at sign-in when a client's Master
password requirements (enforce on login) say the current one no longer meets them."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from msp_tui.core.errors import MspError
from msp_tui.widgets.threads import deliver


class ChangePasswordScreen(ModalScreen[bool]):
    """Current, new and again; core checks the policy and re-wraps the keys. `forced`: esc signs out."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, db, actor, *, forced: bool = False) -> None:
        super().__init__()
        self.db, self.actor, self.forced = db, actor, forced
        self.error_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text("Change master password"), classes="modal-title")
            if self.forced:
                from msp_tui.core.services.accounts import CHANGE_FIRST

                yield Static(Text(CHANGE_FIRST.split(":")[0] + ": choose a new one to go on."), classes="modal-body")
            yield Input(password=True, placeholder="current master password", id="current")
            yield Input(password=True, placeholder="new master password", id="new")
            yield Input(password=True, placeholder="new master password again", id="again")
            yield Static("", id="error", classes="field-error")
            yield Static(Text("enter next/save · esc " + ("sign out" if self.forced else "cancel")),
                         classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        order = ["current", "new", "again"]
        i = order.index(event.input.id)
        if i < 2:
            self.query_one(f"#{order[i + 1]}", Input).focus()
        else:
            self.action_save()

    def _error(self, text: str) -> None:
        self.error_text = text
        self.query_one("#error", Static).update(Text(text))

    def action_save(self) -> None:
        current, new, again = (self.query_one(f"#{k}", Input).value for k in ("current", "new", "again"))
        if new != again:
            self._error("The new master password and its repetition differ.")
            return
        self._save(current, new)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _save(self, current: str, new: str) -> None:
        from msp_tui.core.services import accounts

        try:
            accounts.change_master_password(self.db, self.actor, current, new)
        except MspError as exc:
            deliver(self, self._error, exc.message)
            return
        deliver(self, self.dismiss, True)

    def action_cancel(self) -> None:
        if self.forced:
            self.dismiss(False)
            self.app.sign_out()
        else:
            self.dismiss(False)
