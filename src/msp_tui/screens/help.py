"""`?`: every key of the screen underneath, and for each refused action the core's reason."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


def _key_label(app, key: str) -> str:
    return app.get_key_display(Binding(key, ""))


def help_table(app, screen) -> Table:
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("key", no_wrap=True)
    table.add_column("does")
    table.add_column("", ratio=1)
    seen_keys: set[str] = set()
    rows: dict[tuple[int, str], list] = {}
    for namespace, bindings in screen._binding_chain:
        for key, entries in bindings.key_to_bindings.items():
            if key in seen_keys:
                continue
            seen_keys.add(key)
            binding = entries[0]
            slot = rows.setdefault((id(namespace), binding.action), [namespace, binding, []])
            slot[2].append(_key_label(app, key))
    for namespace, binding, keys in rows.values():
        action = binding.action
        desc = binding.description or binding.tooltip or action.replace("_", " ")
        refusal = getattr(namespace, "refusal_for", lambda _a: None)(action)
        note = Text(refusal.reason, style="italic") if refusal is not None else Text("")
        style = "dim" if refusal is not None else ""
        table.add_row(Text(", ".join(keys), style=("bold " + style).strip()), Text(desc, style=style), note)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, screen) -> None:
        super().__init__()
        self.target = screen

    def compose(self) -> ComposeResult:
        title = getattr(self.target, "TITLE_TEXT", "")
        with VerticalScroll(classes="modal help"):
            yield Label(Text(f"Keys: {title}"), classes="modal-title")
            yield Static(help_table(self.app, self.target))
            yield Static(Text("Greyed keys are not allowed for you; the reason is on the right. "
                              "ctrl+p opens the command palette. esc closes this."), classes="modal-hint")

    def action_dismiss(self) -> None:
        self.dismiss(None)
