"""Your account recovery (policy 8): each client you belong to, whether it offers account recovery and
whether you are enrolled; enter enrols or withdraws (core decides: staff never enrol, S11; automatic
enrolment allows no withdrawal). From the palette: "account: account recovery"."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from msp_tui.core.errors import MspError
from msp_tui.widgets.threads import deliver


def _line(e) -> Text:
    text = Text(f"{e.client:<28} ", no_wrap=True, overflow="ellipsis")
    if not e.policy_on:
        text.append("account recovery off", style="dim")
    elif e.enrolled:
        text.append("enrolled" + (" (automatic)" if e.automatic else ""), style="green")
    else:
        text.append("not enrolled: enter enrols", style="yellow")
    return text


class AccountRecoveryScreen(ModalScreen[None]):
    """One line per client of yours; enter enrols in (or withdraws from) the highlighted one."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, db, actor) -> None:
        super().__init__()
        self.db, self.actor = db, actor
        self.rows: list = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text("Account recovery"), classes="modal-title")
            yield Static(Text("Enrolled, a client's Owners, Admins with the permission and its provider staff can "
                              "reset your master password if you forget it (never read it). Provider staff are "
                              "never enrolled."), classes="modal-body")
            yield OptionList(id="r-list")
            yield Static("", id="error", classes="field-error")
            yield Static(Text("enter enrol/withdraw · esc close"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, group="recovery-load", exit_on_error=False)
    def load(self) -> None:
        from msp_tui.core.services import recovery

        try:
            rows = recovery.my_enrolments(self.db, self.actor)
        except MspError as exc:
            deliver(self, self._error, exc.message)
            return
        deliver(self, self._show, rows)

    def _show(self, rows) -> None:
        self.rows = rows
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if not rows:
            options.add_option(Option(Text("You are not a member of any client.", style="dim"), disabled=True))
        for e in rows:
            options.add_option(Option(_line(e), id=str(e.organization_id)))
        if rows:
            options.highlighted = min(highlighted or 0, len(rows) - 1)

    def _error(self, message: str) -> None:
        self.query_one("#error", Static).update(Text(message))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next((e for e in self.rows if str(e.organization_id) == event.option.id), None)
        if chosen is not None:
            self.toggle(chosen)

    @work(thread=True, exclusive=True, group="recovery-write", exit_on_error=False)
    def toggle(self, e) -> None:
        from msp_tui.core.services import recovery

        try:
            if e.enrolled:
                recovery.withdraw(self.db, self.actor, e.organization_id)
            else:
                recovery.enrol(self.db, self.actor, e.organization_id)
        except MspError as exc:
            deliver(self, self._error, exc.message)
            return
        deliver(self, self._error, "")
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
