"""Change the master password (policy 1): from the palette, or at sign-in when a client's Master
password requirements (enforce on login) say the current one no longer meets them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from msp_tui.core.errors import MspError
from msp_tui.widgets.threads import OneAnswerAtATime, deliver


#: The KDF settings a change may set (accounts.kdf_settings's keys, prefixed "kdf_"), with their bounds.
KDF_INPUTS = (("kdf_memory_mib", "KDF MiB 64-1024"), ("kdf_iterations", "passes 3-10"),
              ("kdf_parallelism", "lanes 4-16"))


class ChangePasswordScreen(OneAnswerAtATime, ModalScreen[bool]):
    """Current, new and again; core checks the policy and re-wraps the keys. `forced`: esc signs out."""

    DEFAULT_CSS = """
    ChangePasswordScreen #kdf { height: auto; }
    ChangePasswordScreen #kdf Input { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, db, actor, *, forced: bool = False) -> None:
        super().__init__()
        self.db, self.actor, self.forced = db, actor, forced
        self.error_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text("Change master password"), classes="modal-title")
            if self.forced:
                from msp_tui.core.services.accounts import change_first_text

                yield Static(Text(change_first_text(self.actor) + ": choose a new one to go on."),
                             classes="modal-body")
            yield Input(password=True, placeholder="current master password", id="current")
            yield Input(password=True, placeholder="new master password", id="new")
            yield Input(password=True, placeholder="new master password again", id="again")
            if not self.forced:  # the KDF settings may change with it (unset: kept)
                with Horizontal(id="kdf"):
                    for key, hint in KDF_INPUTS:
                        yield Input(placeholder=hint, id=key, restrict=r"[0-9]*")
            yield Static("", id="error", classes="field-error")
            yield Static(Text("enter next/save · esc " + ("sign out" if self.forced else "cancel")
                              + ("" if self.forced else " · empty KDF: unchanged")),
                         classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        order = ["current", "new", "again"] + ([] if self.forced else [k for k, _ in KDF_INPUTS])
        i = order.index(event.input.id)
        if i < len(order) - 1:
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
        kdf = {} if self.forced else {key[4:]: int(v) for key, _ in KDF_INPUTS
                                      if (v := self.query_one(f"#{key}", Input).value.strip())}
        self.answer_in_thread(self._save, current, new, kdf or None, group="password-save", exit_on_error=False)

    def _save(self, current: str, new: str, kdf: dict | None = None) -> None:
        from msp_tui.core.services import accounts

        try:
            accounts.change_master_password(self.db, self.actor, current, new, kdf=kdf)
        except MspError as exc:
            self.deliver_answer(self._error, exc.message)
            return
        deliver(self, self.dismiss, True)

    def action_cancel(self) -> None:
        if self.forced:
            self.dismiss(False)
            self.app.sign_out()
        else:
            self.dismiss(False)
