"""Dialogs for a client's groups and collections: a name with a checklist (a group and its members, a
member and their groups) and an access level (a member or group on a collection).

Each takes a `submit` that runs core off the UI thread and returns the toast's sentence; when core
refuses, the dialog stays open with core's message under the form (nothing is changed).

    self.app.push_screen(ChecklistDialog("Group Finance", options, submit, name="Finance"), done)
    self.app.push_screen(AccessDialog("Give access to Shared", submit, who=[("a@x.example", key)]), done)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, SelectionList, Static
from textual.widgets.selection_list import Selection

from msp_tui.core.enums import CollectionAccess
from msp_tui.widgets.core_dialog import CoreFormDialog
from msp_tui.widgets.dialog_css import form_dialog_css
from msp_tui.widgets.text import plain

CSS = form_dialog_css("FormDialog", 70) + """
FormDialog SelectionList { height: auto; max-height: 12; border: none; padding: 0; background: $boost; }
FormDialog SelectionList:focus { background: $primary-muted; border: none; }
FormDialog RadioSet { layout: vertical; }
FormDialog #f-who { max-height: 8; overflow-y: auto; }
FormDialog .flags { color: $text-muted; height: auto; }
"""


def access_flags(level: CollectionAccess) -> str:
    """The reference's three flags for a level: read only, hide passwords, manage."""
    return ", ".join(f for f, on_ in (("read only", level.read_only), ("hide passwords", level.hide_passwords),
                                      ("manage", level == CollectionAccess.CAN_MANAGE)) if on_) or "edit"


class FormDialog(CoreFormDialog):
    """A centred form; `run_submit` calls core in a thread and dismisses with its sentence."""

    DEFAULT_CSS = CSS

    def buttons(self, save: str, delete: str | None = None) -> ComposeResult:
        yield Static("", id="f-error", classes="error")
        with Horizontal(classes="buttons"):
            if delete:
                yield Button(delete, id="f-delete", variant="error")
            yield Button("Cancel", id="f-cancel")
            yield Button(save, id="f-save", variant="primary")

    @on(Button.Pressed, "#f-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ChecklistDialog(FormDialog):
    """An optional name and a checklist (space ticks); Save submits `(name, ticked keys)`.

    `delete`, when given, adds a Delete button that asks nothing more: the caller's `delete()` runs
    core (which may refuse) and returns the toast's sentence."""

    def __init__(self, title: str, options: list[tuple[str, Hashable, bool]],
                 submit: Callable[[str | None, list], str], *, name: str | None = None,
                 list_label: str = "Members (space ticks)", empty: str = "Nobody to choose yet.",
                 delete: Callable[[], str] | None = None, delete_label: str = "Delete",
                 name_label: str = "Name") -> None:
        super().__init__()
        self.name_label = name_label
        self.title_text = title
        self.options = options
        self.submit = submit
        self.name_value = name
        self.list_label = list_label
        self.empty = empty
        self.delete = delete
        self.delete_label = delete_label

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(self.title_text, style="bold"))
            if self.name_value is not None:
                yield Label(self.name_label, classes="field")
                yield Input(value=self.name_value, id="f-name")
            yield Label(self.list_label, classes="field")
            if self.options:
                yield SelectionList(*[Selection(plain(label), key, checked) for label, key, checked in self.options],
                                    id="f-list")
            else:
                yield Static(Text(self.empty, style="dim"), classes="hint")
            yield Static(Text("tab moves · space ticks · tab to Save · esc cancels"), classes="hint")
            yield from self.buttons("Save", self.delete_label if self.delete else None)

    def on_mount(self) -> None:
        first = self.query("#f-name, #f-list")
        if first:
            first.first().focus()

    def ticked(self) -> list:
        lists = self.query("#f-list")
        return list(lists.first(SelectionList).selected) if lists else []

    @on(Input.Submitted, "#f-name")
    @on(Button.Pressed, "#f-save")
    def _save(self) -> None:
        name = self.query_one("#f-name", Input).value if self.name_value is not None else None
        self.run_submit(self.submit, name, self.ticked())

    @on(Button.Pressed, "#f-delete")
    def _delete(self) -> None:
        if self.delete is not None:
            self.run_submit(self.delete)

    @on(Input.Changed, "#f-name")
    def _typed(self) -> None:
        self.show_error("")


class AccessDialog(FormDialog):
    """Who (chosen from `who`, or fixed) and which of the five access levels; Save submits
    `(who key, level)`; `remove` adds a button that takes the access away."""

    def __init__(self, title: str, submit: Callable[[Hashable, CollectionAccess], str], *,
                 who: list[tuple[str, Hashable]] | None = None, current: CollectionAccess | None = None,
                 remove: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.submit = submit
        self.who = who
        self.current = current if current is not None else CollectionAccess.CAN_VIEW
        self.take_away = remove

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(self.title_text, style="bold"))
            if self.who is not None:
                yield Label("Who (a group or a member)", classes="field")
                if self.who:
                    with RadioSet(id="f-who"):
                        for i, (label, _key) in enumerate(self.who):
                            yield RadioButton(plain(label), value=i == 0, id=f"who-{i}")
                else:
                    yield Static(Text("Every member and group has access already.", style="dim"))
            yield Label("Access", classes="field")
            with RadioSet(id="f-access"):
                for level in CollectionAccess:
                    yield RadioButton(f"{level.label}", value=level == self.current, id=f"access-{int(level)}")
            yield Static(Text(access_flags(self.current)), id="f-flags", classes="flags")
            yield Static(Text("tab moves · arrows and enter choose · tab to Save · esc cancels"), classes="hint")
            yield from self.buttons("Save", "Take away" if self.take_away else None)

    def on_mount(self) -> None:
        self.query(RadioSet).first().focus()

    def level(self) -> CollectionAccess:
        pressed = self.query_one("#f-access", RadioSet).pressed_button
        return CollectionAccess(int(pressed.id.split("-")[1])) if pressed else self.current

    @on(RadioSet.Changed, "#f-access")
    def _level_changed(self) -> None:
        self.query_one("#f-flags", Static).update(Text(access_flags(self.level())))

    def chosen_who(self) -> Hashable | None:
        if self.who is None:
            return None
        sets = self.query("#f-who")
        if not sets or sets.first(RadioSet).pressed_button is None:
            return None
        return self.who[int(sets.first(RadioSet).pressed_button.id.split("-")[1])][1]

    @on(Button.Pressed, "#f-save")
    def _save(self) -> None:
        if self.who is not None and self.chosen_who() is None:
            self.show_error("Choose who gets access.")
            return
        self.run_submit(self.submit, self.chosen_who(), self.level())

    @on(Button.Pressed, "#f-delete")
    def _remove(self) -> None:
        if self.take_away is not None:
            self.run_submit(self.take_away)


class ScopeDialog(FormDialog):
    """A Service User's scope (S12): every client, or only the clients of the ticked client groups.
    Save submits `(None)` for every client or `(ticked group ids)`; core refuses an empty list."""

    def __init__(self, title: str, groups: list[tuple[str, Hashable]], ticked: set | None,
                 submit: Callable[[list | None], str]) -> None:
        super().__init__()
        self.title_text = title
        self.groups = groups
        #: None: the person sees every client now.
        self.current = ticked
        self.submit = submit

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(self.title_text, style="bold"))
            with RadioSet(id="f-scope"):
                yield RadioButton("Every client", value=self.current is None, id="scope-all")
                yield RadioButton("Only the clients of these client groups", value=self.current is not None,
                                  id="scope-groups")
            if self.groups:
                yield SelectionList(*[Selection(plain(label), key, key in (self.current or ()))
                                      for label, key in self.groups], id="f-list")
            else:
                yield Static(Text("No client groups yet (clients home: a).", style="dim"), classes="hint")
            yield Static(Text("tab moves · space ticks · tab to Save · esc cancels"), classes="hint")
            yield from self.buttons("Save")

    def on_mount(self) -> None:
        self.query_one("#f-scope", RadioSet).focus()

    def every_client(self) -> bool:
        pressed = self.query_one("#f-scope", RadioSet).pressed_button
        return pressed is None or pressed.id == "scope-all"

    def ticked(self) -> list:
        lists = self.query("#f-list")
        return list(lists.first(SelectionList).selected) if lists else []

    @on(SelectionList.SelectedChanged, "#f-list")
    def _ticked(self) -> None:
        # Ticking a group means "only these groups".
        if self.ticked():
            self.query_one("#scope-groups", RadioButton).value = True
        self.show_error("")

    @on(Button.Pressed, "#f-save")
    def _save(self) -> None:
        self.run_submit(self.submit, None if self.every_client() else self.ticked())
