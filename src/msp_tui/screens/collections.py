"""One collection of a client: who may use it (groups and members) and at which level; give, change
and take away access, rename or delete the collection. Core decides every change."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from msp_tui.core.access import Action
from msp_tui.core.services import collections as svc
from msp_tui.screens.base import ListScreen, MspScreen
from msp_tui.screens.confirm import AskModal, ConfirmModal
from msp_tui.widgets.group_dialogs import AccessDialog
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.text import plain

ACCESS_COLUMNS = [
    Column("who", "Who", 0, lambda r: plain(r.who), min_width=20, priority=0),
    Column("kind", "Kind", 6, lambda r: r.kind, priority=2),
    # The level's name says its flags (read only, hide passwords, manage); the dialog spells them out.
    Column("access", "Access", 26, lambda r: r.access.label, min_width=12, priority=1),
]


def _set(db, actor, org_id, collection_id, row_kind: str, ident, level) -> None:
    if row_kind == "group":
        svc.set_group_access(db, actor, org_id, collection_id, ident, level)
    else:
        svc.set_member_access(db, actor, org_id, collection_id, ident, level)


def _candidates(db, actor, org_id, collection_id) -> list[tuple[str, tuple[str, uuid.UUID]]]:
    """Groups, then members, who have no access to the collection yet."""
    from msp_tui.core.services import groups, members

    _name, rows = svc.collection_access(db, actor, org_id, collection_id)
    have = {(r.kind, r.id) for r in rows}
    out = [(f"group  {g.name}", ("group", g.id)) for g in groups.list_groups(db, actor, org_id)
           if ("group", g.id) not in have]
    out += [(f"member {m.email}", ("member", m.id)) for m in members.list_members(db, actor, org_id)
            if ("member", m.id) not in have]
    return out


class CollectionAccessScreen(ListScreen, MspScreen):
    """Who may use one collection. n gives access, enter (or e) changes a level, x takes access away
    from the marked rows (or the highlighted one), r renames and d deletes the collection."""

    TITLE_TEXT = "Collection"
    NEW_LABEL = "Give access"
    ROWS_NAME = "people and groups"
    GUARDED = {"new": Action.MANAGE_ACCESS_RULES, "change": Action.MANAGE_ACCESS_RULES,
               "take_away": Action.MANAGE_ACCESS_RULES, "rename": Action.EDIT_ANY_COLLECTION,
               "delete": Action.DELETE_ANY_COLLECTION}
    BINDINGS = [
        Binding("e", "change", "Change", id="change"),
        Binding("x", "take_away", "Take away", id="take_away"),
        Binding("r", "rename", "Rename", id="rename"),
        Binding("d", "delete", "Delete", id="delete"),
    ]

    def __init__(self, organization_id: uuid.UUID, collection_id: uuid.UUID) -> None:
        super().__init__()
        self.organization_id = self.guard_organization_id = organization_id
        self.collection_id = collection_id
        self.collection_name = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(Text("Loading…"), id="coll-title", classes="title-line")
        yield from self.compose_filter("part of a group's name or a member's email (esc clears)")
        yield PagedTable(columns=ACCESS_COLUMNS, row_key=lambda r: (r.kind, r.id),
                         empty_text=Text("Nobody may use this collection yet: n gives a group or member access."),
                         id="access-table")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#access-table", PagedTable)

    def _show(self, found) -> None:
        self.collection_name, rows = found
        self.table.show_rows(rows)
        self.query_one("#coll-title", Static).update(Text.assemble(
            plain(self.collection_name, "bold"), f"  collection · {len(rows)} with access"))

    def on_mount(self) -> None:
        self.table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_db(svc.collection_access, self.db, self.actor, self.organization_id, self.collection_id,
                    on_done=self._show, group="access-list", exclusive=True)

    def _done(self, message: str | None) -> None:
        if message:
            self.app.say(message)
            self.action_reload()

    def action_new(self) -> None:
        db, actor, org, coll = self.db, self.actor, self.organization_id, self.collection_id

        def submit(who, level) -> str:
            kind, ident = who
            _set(db, actor, org, coll, kind, ident, level)
            return f"Gave {level.label.lower()} on {self.collection_name}."

        def show(who) -> None:
            self.app.push_screen(AccessDialog(f"Give access to {self.collection_name}", submit, who=who), self._done)

        self.run_db(_candidates, db, actor, org, coll, on_done=show)

    def _change(self, row) -> None:
        db, actor, org, coll = self.db, self.actor, self.organization_id, self.collection_id

        def submit(_who, level) -> str:
            _set(db, actor, org, coll, row.kind, row.id, level)
            return f"{row.who}: {level.label.lower()} on {self.collection_name}."

        def remove() -> str:
            _set(db, actor, org, coll, row.kind, row.id, None)
            return f"{row.who} no longer has access to {self.collection_name}."

        self.app.push_screen(AccessDialog(f"{row.kind.capitalize()} {row.who} on {self.collection_name}", submit,
                                          current=row.access, remove=remove), self._done)

    def action_change(self) -> None:
        row = self.one_row("Changing a level")
        if row is not None:
            self._change(row)

    def open_row(self, row) -> None:
        refusal = self.refusal_for("change")
        if refusal is not None:
            self.app.show_refusal(refusal)
            return
        self._change(row)

    def action_take_away(self) -> None:
        rows = self.table.marked_rows  # the marked rows, or the highlighted one
        if not rows:
            return

        def go() -> None:
            for r in rows:
                _set(self.db, self.actor, self.organization_id, self.collection_id, r.kind, r.id, None)

        who = rows[0].who if len(rows) == 1 else f"{len(rows)} marked"

        def done(yes: bool | None) -> None:
            if yes:
                self.run_db(go, on_done=lambda _r: self._done(f"Took away {who}'s access to {self.collection_name}."))

        self.app.push_screen(ConfirmModal("Take away access", plain(f"Take away {who}'s access to {self.collection_name}?"),
                                          confirm_label="Take away", danger=True), done)

    def action_rename(self) -> None:
        def done(name: str | None) -> None:
            if name is None or name.strip() == self.collection_name:
                return
            self.run_db(svc.rename_collection, self.db, self.actor, self.organization_id, self.collection_id, name,
                        on_done=lambda _r: self._done(f"Renamed the collection to {name.strip()}."))

        self.app.push_screen(AskModal("Rename collection", "New name", value=self.collection_name), done)

    def action_delete(self) -> None:
        def done(yes: bool | None) -> None:
            if yes:
                self.run_db(svc.delete_collection, self.db, self.actor, self.organization_id, self.collection_id,
                            on_done=self._deleted)

        self.app.push_screen(ConfirmModal("Delete collection", plain(
            f"Delete {self.collection_name}? Its items stay in the vault, outside any collection."),
            confirm_label="Delete", danger=True), done)

    def _deleted(self, _result) -> None:
        self.app.say(f"Deleted collection {self.collection_name}.")
        self.app.pop_screen()
