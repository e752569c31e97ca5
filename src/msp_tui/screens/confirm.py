"""Modals others reuse: confirm (Cancel focused), confirm by typing a name, ask for one value.

    self.app.push_screen(ConfirmModal("Remove staff", Text("Remove a@x.example?")), callback)
    self.app.push_screen(TypeNameModal("Unlink client", client_name), callback)   # -> bool
    self.app.push_screen(AskModal("Rename client", "New name", value=name, check=fn), callback)  # -> str|None

Messages may be `rich.text.Text` (shown literally) — pass database text that way, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from msp_tui.widgets.text import inert_str, plain
from msp_tui.widgets.threads import OneAnswerAtATime


def _text(value: str | Text) -> Text:
    """A message made inert line by line: its line breaks break lines (they are ours), any other
    control character shows as an escape."""
    if isinstance(value, Text):
        if all(inert_str(line) == line for line in value.plain.split("\n")):
            return value
        value = value.plain
    return Text("\n").join(plain(line) for line in value.split("\n"))


class ConfirmModal(ModalScreen[bool]):
    """Yes/no with Cancel focused; `y` confirms, `n`/`esc` cancels."""

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "confirm", "Confirm"),
        Binding("left,h", "app.focus_previous", "Previous", show=False),
        Binding("right,l", "app.focus_next", "Next", show=False),
    ]

    def __init__(self, title: str, message: str | Text, *, confirm_label: str = "Confirm",
                 danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text(self.title_text), classes="modal-title")
            yield Static(_text(self.message), classes="modal-body")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)


class TypeNameModal(ModalScreen[bool]):
    """A destructive action confirmed only by typing `name` exactly (e.g. unlinking a client)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, name: str, message: str | Text = "", *, confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.title_text = title
        self.expected = name
        self.message = message
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text(self.title_text), classes="modal-title")
            if self.message:
                yield Static(_text(self.message), classes="modal-body")
            yield Static(Text.assemble("Type ", plain(self.expected, "bold"), " to confirm:"), classes="modal-body")
            yield Input(id="typed", placeholder=inert_str(f"tab here, then type {self.expected}"))
            yield Static("", id="typed-error", classes="field-error")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self.expected
        self.query_one("#typed-error", Static).update("")

    @on(Input.Submitted, "#typed")
    def _submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        if typed == self.expected:
            self.dismiss(True)
            return
        # Enter does nothing until the name is exact: say why, rather than nothing.
        if typed.lower() == self.expected.lower():
            why = Text.assemble("Type the name exactly, in the same case: ", plain(self.expected, "bold"))
        else:
            why = Text.assemble("That is not the name; type ", plain(self.expected, "bold"), " to confirm.")
        self.query_one("#typed-error", Static).update(why)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)


class AskModal(OneAnswerAtATime, ModalScreen[str | None]):
    """Ask for one value; `check(value)` returns an error message (shown under the field) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: str, *, value: str = "", check: Callable[[str], str | None] | None = None,
                 placeholder: str = "", save: Callable[[str], object] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.check = check
        self.placeholder = placeholder
        #: Given, enter runs `save(value)` (core, in a thread): a refusal stays here under the field,
        #: and the dialog closes with save's result only once core accepted.
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text(self.title_text), classes="modal-title")
            yield Static(Text(self.prompt), classes="modal-body")
            yield Input(value=self.value, id="value", placeholder=self.placeholder)
            yield Static("", id="error", classes="field-error")
            yield Static(Text("enter save · esc cancel"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def _error(self, value: str) -> str | None:
        return self.check(value) if self.check else None

    @on(Input.Changed, "#value")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#error", Static).update(Text(self._error(event.value) or ""))

    @on(Input.Submitted, "#value")
    def _submitted(self, event: Input.Submitted) -> None:
        error = self._error(event.value)
        if error:
            self.query_one("#error", Static).update(Text(error))
            return
        if self.save is None:
            self.dismiss(event.value)
            return
        if self.answering:
            return
        self.query_one("#error", Static).update(Text("Saving…"))
        self.answer_in_thread(self._save, event.value, group="ask-save")

    def _save(self, value: str) -> None:
        from msp_tui.core.errors import MspError
        from msp_tui.widgets.threads import deliver

        try:
            result = self.save(value)
        except MspError as exc:
            from msp_tui.screens.second_admin import needs_second_admin

            if needs_second_admin(exc):  # guarded (two-person approval): this dialog gives way to the reason's
                deliver(self, self._give_way, exc)
                return
            self.deliver_answer(self._refused, plain(exc.message))
            return
        deliver(self, self.dismiss, result)

    def _refused(self, message) -> None:
        self.query_one("#error", Static).update(message)

    def _give_way(self, exc) -> None:
        app = self.app
        self.dismiss(None)
        app.show_error(exc)

    def action_cancel(self) -> None:
        self.dismiss(None)
