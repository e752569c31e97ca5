"""One collection of a client: who may use it (groups and members) and at which level; give, change
and take away access, rename or delete the collection. Core decides every change."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from msp_tui.core.access import Action
from msp_tui.core.services import collections as svc
from msp_tui.screens.base import MspScreen
from msp_tui.screens.confirm import AskModal, ConfirmModal
from msp_tui.widgets.group_dialogs import AccessDialog
from msp_tui.widgets.paged_table import Column, PagedTable, list_fetcher
from msp_tui.widgets.text import plain

ACCESS_COLUMNS = [
    Column("who", "Who", 0, lambda r: plain(r.who)),
    Column("kind", "Kind", 6, lambda r: r.kind),
    # The level's name says its flags (read only, hide passwords, manage); the dialog spells them out.
    Column("access", "Access", 26, lambda r: r.access.label),
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


class CollectionAccessScreen(MspScreen):
    TITLE_TEXT = "Collection"
    GUARDED = {"grant": Action.EDIT_ANY_COLLECTION, "change": Action.EDIT_ANY_COLLECTION,
               "take_away": Action.EDIT_ANY_COLLECTION, "rename": Action.EDIT_ANY_COLLECTION,
               "delete": Action.DELETE_ANY_COLLECTION}
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("n", "grant", "Give access", id="grant"),
        Binding("e", "change", "Change", id="change"),
        Binding("x", "take_away", "Take away", id="take_away"),
        Binding("r", "rename", "Rename", id="rename"),
        Binding("d", "delete", "Delete", id="delete"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="reload"),
    ]

    def __init__(self, organization_id: uuid.UUID, collection_id: uuid.UUID) -> None:
        super().__init__()
        self.organization_id = self.guard_organization_id = organization_id
        self.collection_id = collection_id
        self.collection_name = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(Text("Loading…"), id="coll-title", classes="title-line")
        yield PagedTable(columns=ACCESS_COLUMNS, fetch=list_fetcher(self._load), row_key=lambda r: (r.kind, r.id),
                         empty_text=Text("Nobody may use this collection yet: n gives a group or member access."),
                         on_loaded=self._title, id="access-table")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#access-table", PagedTable)

    def _load(self):
        self.collection_name, rows = svc.collection_access(self.db, self.actor, self.organization_id, self.collection_id)
        return rows

    def _title(self) -> None:
        n = len(self.table.rows)
        self.query_one("#coll-title", Static).update(Text.assemble(
            plain(self.collection_name, "bold"), f"  collection · {n} with access"))

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.table.reload()

    def action_reload(self) -> None:
        self.table.reload(keep_position=True)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _done(self, message: str | None) -> None:
        if message:
            self.app.say(message)
            self.action_reload()

    def action_grant(self) -> None:
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
        row = self.table.current_row
        if row is not None:
            self._change(row)

    @on(PagedTable.Opened, "#access-table")
    def _opened(self, event: PagedTable.Opened) -> None:
        if self.refusal_for("change") is not None:
            self.app.show_refusal(self.refusal_for("change"))
            return
        self._change(event.row)

    def action_take_away(self) -> None:
        rows = self.table.marked_rows
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
