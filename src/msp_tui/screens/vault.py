"""The client vault screen: collections on the left, items in the middle, the item on the right.

`VaultScreen(db, actor, organization_id)` — or organization_id=None for the person's own (personal)
vault. Opening a client's vault as provider staff is recorded by core (events 1903 and 1603).
Passwords and other protected fields stay hidden until `r`; revealing or copying asks the master
password again when the last unlock is older than 5 minutes (core decides). Every action the person
may not take is greyed out in the footer and refused by core.
"""

from __future__ import annotations

import uuid

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (Button, Input, Label, OptionList, Select, SelectionList, Static,
                             TextArea)
from textual.widgets.option_list import Option

from msp_tui.core.errors import MspError
from msp_tui.screens.base import ListScreen
from msp_tui.screens.lock import LockScreen
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.text import inert_str, plain
from msp_tui.widgets.threads import OneAnswerAtATime, deliver

HIDDEN = "••••••••"
ALL = "all"


def _item_service():
    from msp_tui.core.services import vault

    return vault


def _item_name(item) -> Text:
    return plain(item.name, "italic red" if item.damaged else "")  # damage shows whatever the filter


ITEM_COLUMNS = [
    Column("name", "Name", 0, _item_name, ratio=2, min_width=20, priority=0),
    Column("type", "Type", 12, lambda i: i.type_label, min_width=8, priority=2),
    Column("details", "Details", 0, lambda i: plain(i.subtitle), min_width=12, priority=3),
]


class VaultScreen(ListScreen):
    NEW_LABEL = "New"
    ROWS_NAME = "items"
    DEFAULT_CSS = """
    VaultScreen #vault-title { height: auto; padding: 0 1; background: $boost; }
    VaultScreen #vault-body { height: 1fr; }
    VaultScreen #collections { width: 22%; max-width: 30; min-width: 16; height: 1fr; border: round $panel; }
    VaultScreen #items-pane { width: 1fr; min-width: 30; }
    VaultScreen #items { height: 1fr; border: round $panel; }
    VaultScreen #detail { width: 35%; max-width: 60; border: round $panel; padding: 0 1; }
    VaultScreen .pane-title { text-style: bold; }
    """
    BINDINGS = [
        Binding("e", "edit_item", "Edit", id="vault.edit"),
        Binding("r", "reveal", "Reveal", id="vault.reveal"),
        Binding("c", "copy", "Copy", id="vault.copy"),
        Binding("m", "move", "Move", id="vault.move"),
        Binding("d", "delete", "Delete", id="vault.delete"),
        Binding("u", "restore", "Restore", id="vault.restore"),
        Binding("t", "trash", "Trash", id="vault.trash"),
        Binding("i", "import_file", "Import", id="vault.import"),
    ]

    def __init__(self, db, actor, organization_id: uuid.UUID | None) -> None:
        super().__init__()
        self.db = db
        self.actor = actor
        self.organization_id = organization_id
        self.view = None
        self.collection = ALL
        self.filter_text = ""
        self.shown: list = []
        self.detail = None
        self.revealed: dict[str, str] = {}
        #: The trash view (t toggles): the items deleted in the last 30 days, to restore or delete for good.
        self.in_trash = False

    @property
    def personal(self) -> bool:
        return self.organization_id is None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("Vault — loading…"), id="vault-title")
        with Horizontal(id="vault-body"):
            yield OptionList(id="collections")
            with Vertical(id="items-pane"):
                yield from self.compose_filter("part of an item's name or details (esc clears)")
                yield PagedTable(columns=ITEM_COLUMNS, row_key=lambda i: i.id, empty_text="Loading…",
                                 markable=False, id="items")
            with VerticalScroll(id="detail"):
                yield Static(Text("No item selected."), id="detail-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#collections", OptionList).border_title = "Collections"
        self.query_one("#items", PagedTable).border_title = "Items"
        self.query_one("#detail", VerticalScroll).border_title = "Item"
        self.query_one("#items", PagedTable).focus()
        self._load(record=True)

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="vault-load")
    def _load(self, record: bool = False, select: uuid.UUID | None = None) -> None:
        svc = _item_service()
        try:
            if self.personal:
                view = None
                items = (svc.list_trash(self.db, self.actor, personal=True) if self.in_trash
                         else svc.list_personal(self.db, self.actor))
            else:
                view = svc.open_vault(self.db, self.actor, self.organization_id, record_access=record)
                items = (svc.list_trash(self.db, self.actor, self.organization_id) if self.in_trash
                         else list(view.items))
        except MspError as exc:
            deliver(self, self._error, exc)
            return
        deliver(self, self._show, view, items, select)

    def _error(self, exc: Exception) -> None:
        self.notify(inert_str(exc), severity="error", timeout=6, markup=False)

    def _show(self, view, items, select) -> None:
        self.view = view
        self.all_items = items
        title = self.query_one("#vault-title", Static)
        if self.in_trash:
            whose = "My vault" if self.personal else view.client_name
            title.update(Text.assemble(("Trash · ", "bold"), (whose, "bold"),
                                       " — deleted items stay 30 days, then are gone for good",
                                       ("   t: back to the vault", "dim")))
        elif self.personal:
            title.update(Text.assemble(("My vault", "bold"), " — personal items: only you can ever see them"))
        else:
            note = (" — all items" if view.all_items else " — the items of your collections")
            title.update(Text.assemble(("Vault · ", "bold"), (view.client_name, "bold"), note,
                                       ("   opening it is recorded in the event log", "dim")))
        options = self.query_one("#collections", OptionList)
        options.clear_options()
        options.add_option(Option(Text(f"{'In the trash' if self.in_trash else 'All items'} ({len(items)})"), id=ALL))
        for c in (view.collections if view else ()):
            count = sum(c.id in i.collection_ids for i in items) if self.in_trash else c.items
            options.add_option(Option(Text.assemble(c.name, (f" ({count})", "dim")), id=str(c.id)))
        ids = [ALL] + [str(c.id) for c in (view.collections if view else ())]
        if self.collection not in ids:
            self.collection = ALL
        options.highlighted = ids.index(self.collection)
        self._fill(select)
        damaged = sum(i.damaged for i in items)
        if damaged:
            self.notify(f"{damaged} item{'s' if damaged != 1 else ''} cannot be decrypted (damaged or altered); "
                        "the others are listed.", severity="warning", timeout=8, markup=False)

    def _fill(self, select: uuid.UUID | None = None) -> None:
        table = self.query_one("#items", PagedTable)
        text = self.filter_text.strip().lower()
        self.shown = [i for i in self.all_items
                      if (self.collection == ALL or uuid.UUID(self.collection) in i.collection_ids)
                      and (i.damaged or not text or text in i.name.lower() or text in i.subtitle.lower())]
        empty = ("No item matches the filter." if text else "The trash is empty." if self.in_trash
                 else "No items here. Press n to add one.")
        table.empty_text = empty
        table.show_rows(self.shown)
        if select is not None:
            table.move_to_key(select)
        if not self.shown:
            self.query_one("#detail-body", Static).update(Text(empty))
            self.detail = None
        self.refresh_bindings()
        self._summary()

    # --- selection ----------------------------------------------------------------------------

    @property
    def current(self):
        tables = self.query("#items")
        return tables.first(PagedTable).current_row if tables else None

    @on(OptionList.OptionHighlighted, "#collections")
    def _collection_changed(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id and event.option_id != self.collection:
            self.collection = event.option_id
            self._fill()

    @on(PagedTable.Highlighted, "#items")
    def _row_changed(self, _event) -> None:
        self._summary()

    def _summary(self) -> None:
        item = self.current
        if self.detail is not None and item is not None and self.detail.id == item.id:
            return
        self.detail, self.revealed = None, {}
        self.refresh_bindings()
        if item is None:
            return
        if item.damaged:
            self.query_one("#detail-body", Static).update(Text(
                "This item cannot be decrypted (damaged or altered): its stored data was damaged, or changed "
                "or moved outside msp-tui. Nothing of it can be shown. Restore it from a backup, or delete "
                "it (d)."))
            return
        grid = _grid()
        grid.add_row(Text("Name"), Text(item.name))
        grid.add_row(Text("Type"), Text(item.type_label))
        if item.subtitle:
            grid.add_row(Text("Details"), Text(item.subtitle))
        names = {c.id: c.name for c in (self.view.collections if self.view else ())}
        if not item.personal:
            grid.add_row(Text("Collections"), Text(", ".join(sorted(names.get(c, "?") for c in item.collection_ids))
                                                   or "none"))
            grid.add_row(Text("Your access"), Text(_access(item)))
        if item.deleted_at is not None:
            grid.add_row(Text("In the trash"), Text(f"since {item.deleted_at:%Y-%m-%d %H:%M} UTC"))
        body = Table.grid()
        body.add_row(grid)
        hint = ("u: restore · d: delete for good" if item.can_delete else "only someone who can manage it "
                "may restore it") if self.in_trash else "enter: open the item"
        body.add_row(Text("\n" + hint, style="dim"))
        self.query_one("#detail-body", Static).update(body)

    def open_row(self, row) -> None:
        if not row.damaged and not self.in_trash:  # a trashed item opens once restored
            self._open(row.id)

    @work(thread=True, exclusive=True, group="vault-item")
    def _open(self, item_id: uuid.UUID, then: str | None = None) -> None:
        try:
            detail = _item_service().view_item(self.db, self.actor, item_id)
        except MspError as exc:
            deliver(self, self._error, exc)
            return
        deliver(self, self._show_detail, detail, {}, then)

    def _show_detail(self, detail, revealed: dict, then: str | None = None) -> None:
        self.detail, self.revealed = detail, revealed
        grid = _grid()
        grid.add_row(Text("Name"), Text(detail.name, style="bold"))
        grid.add_row(Text("Type"), Text(detail.type_label))
        for f in detail.fields:
            if not f.has_value:
                continue
            if f.protected:
                if detail.hide_passwords:
                    value = Text("hidden (your access is except passwords)", style="italic dim")
                elif f.key in revealed:
                    value = Text(revealed[f.key], style="bold")
                else:
                    value = Text(HIDDEN)
            else:
                value = Text(f.value or "")
            grid.add_row(Text(f.label), value)
        if not detail.personal:
            grid.add_row(Text("Your access"), Text(_access(detail)))
        self.query_one("#detail-body", Static).update(grid)
        self.refresh_bindings()
        if then == "edit":
            self._edit_form(detail)

    # --- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        item = self.current
        if action == "trash":
            return True
        if action == "import_file":  # who may import is core's to say, in the dialog
            return not self.in_trash
        if action == "restore":
            if not self.in_trash:
                return False
            return True if item is not None and item.can_delete else None
        if self.in_trash and action in ("new", "new_item", "edit_item", "move", "reveal", "copy"):
            return False
        if action in ("new", "new_item"):
            return True if self.personal or (self.view is not None and self.view.can_create) else None
        if action in ("edit_item", "move", "delete", "reveal", "copy"):
            if item is None:
                return None
            if item.damaged and action != "delete":
                return None
            if action == "edit_item":
                return True if item.can_edit else None
            if action == "move":
                return True if item.can_edit and not item.personal else None
            if action == "delete":
                return True if item.can_delete else None
            if item.hide_passwords or not _primary_secret(item.type):
                return None
        return super().check_action(action, parameters)

    def filter_changed(self, text: str) -> None:
        # Collection and text together, damaged items always (see _fill).
        self.filter_text = text
        self._fill()

    def action_reload(self) -> None:
        self._load(select=self.current.id if self.current is not None else None)

    def action_new(self) -> None:
        self.action_new_item()

    def _with_master_password(self, then) -> None:
        """Run `then` now, or after the master password when core says it must be asked again."""
        from msp_tui.core.services import accounts

        if not accounts.needs_master_password(self.actor):
            then()
            return
        self.app.push_screen(LockScreen(self.db, self.actor, cancellable=True,
                                        reason="Type your master password again to see or copy a secret "
                                               "(your last unlock was more than 5 minutes ago)."),
                             callback=lambda ok: then() if ok else None)

    def action_reveal(self) -> None:
        item = self.current
        if item is None:
            return
        if self.detail is not None and self.detail.id == item.id and self.revealed:
            self._show_detail(self.detail, {})  # hide again
            return
        self._with_master_password(lambda: self._reveal(item.id))

    @work(thread=True, exclusive=True, group="vault-item")
    def _reveal(self, item_id: uuid.UUID) -> None:
        svc = _item_service()
        try:
            detail = svc.view_item(self.db, self.actor, item_id)
            revealed = {f.key: svc.reveal(self.db, self.actor, item_id, f.key)
                        for f in detail.fields if f.protected and f.has_value}
        except MspError as exc:
            deliver(self, self._error, exc)
            return
        deliver(self, self._show_detail, detail, revealed)

    def action_copy(self) -> None:
        item = self.current
        if item is not None:
            self._with_master_password(lambda: self._copy(item.id, _primary_secret(item.type)))

    @work(thread=True, exclusive=True, group="vault-item")
    def _copy(self, item_id: uuid.UUID, field: str) -> None:
        try:
            value = _item_service().reveal(self.db, self.actor, item_id, field, copy=True)
        except MspError as exc:
            deliver(self, self._error, exc)
            return
        deliver(self, self.app.copy_to_clipboard, value)
        deliver(self, self.notify, "Copied to the clipboard.", timeout=3)

    def action_new_item(self) -> None:
        svc = _item_service()
        collections = [(c.name, c.id) for c in (self.view.collections if self.view else ()) if c.can_add]
        preselect = {uuid.UUID(self.collection)} if self.collection != ALL else set()

        def save(result: dict):
            return svc.create_item(self.db, self.actor, type=result["type"], name=result["name"],
                                   fields=result["fields"], client=self.organization_id,
                                   collection_ids=result["collections"], personal=self.personal)

        self.app.push_screen(ItemForm(save, collections=None if self.personal else collections,
                                      preselect=preselect, generate=self._generator(self.organization_id)),
                             callback=self._saved)

    def action_edit_item(self) -> None:
        item = self.current
        if item is None:
            return
        if self.detail is not None and self.detail.id == item.id:
            self._edit_form(self.detail)
        else:
            self._open(item.id, then="edit")

    def _edit_form(self, detail) -> None:
        svc = _item_service()

        def save(result: dict):
            return svc.edit_item(self.db, self.actor, detail.id, name=result["name"], fields=result["fields"],
                                 expected_version=detail.version)

        self.app.push_screen(ItemForm(save, item=detail, generate=self._generator(detail.organization_id)),
                             callback=self._saved)

    def _generator(self, organization_id):
        from msp_tui.core.services import policies

        return lambda: policies.generate_for(self.db, self.actor, organization_id)

    def _saved(self, item) -> None:
        if item is not None:
            self.notify(inert_str(f"Saved {item.name}."), timeout=3, markup=False)
            self.detail = None
            self._load(select=item.id)

    def action_move(self) -> None:
        item = self.current
        if item is None or self.view is None:
            return
        svc = _item_service()
        choices = [(c.name, c.id) for c in self.view.collections if c.can_add]

        def save(ids: list):
            return svc.move_item(self.db, self.actor, item.id, ids, expected_version=item.version)

        self.app.push_screen(MoveForm(save, item.name, choices, set(item.collection_ids)), callback=self._saved)

    def action_delete(self) -> None:
        item = self.current
        if item is None:
            return
        svc = _item_service()
        permanent = self.in_trash

        def go():
            svc.delete_item(self.db, self.actor, item.id, expected_version=item.version, permanent=permanent)
            return item

        def done(result) -> None:
            if result is not None:
                said = f"Deleted {item.name} for good." if permanent else f"Moved {item.name} to the trash (t shows it)."
                self.notify(inert_str(said), timeout=3, markup=False)
                self._load()

        self.app.push_screen(ConfirmDelete(go, item.name, permanent=permanent), callback=done)

    def action_restore(self) -> None:
        item = self.current
        if item is None or not self.in_trash:
            return
        svc = _item_service()

        def go():
            return svc.restore_item(self.db, self.actor, item.id, expected_version=item.version)

        def done(result) -> None:
            if result is not None:
                self.notify(inert_str(f"Restored {item.name}."), timeout=3, markup=False)
                self._load()

        self.app.push_screen(ConfirmDelete(go, item.name, restore=True), callback=done)

    def action_import_file(self) -> None:
        from msp_tui.screens.vault_import import ImportDialog

        name = "your vault" if self.personal else (self.view.client_name if self.view else "")
        self.app.push_screen(ImportDialog(self.db, self.actor, self.organization_id, name),
                             callback=self._imported)

    def _imported(self, plan) -> None:
        if plan is None:
            return
        self.notify(plan.done_sentence, markup=False)
        self.action_reload()

    def action_trash(self) -> None:
        """Between the vault and its trash."""
        self.in_trash = not self.in_trash
        self.collection, self.detail = ALL, None
        self.query_one("#items", PagedTable).border_title = "Trash" if self.in_trash else "Items"
        self._load()


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _access(item) -> str:
    text = "Can manage" if item.can_delete else ("Can edit" if item.can_edit else "Can view")
    return text + (", except passwords" if item.hide_passwords else "")


def _primary_secret(item_type) -> str | None:
    from msp_tui.core.enums import ItemType

    return {ItemType.LOGIN: "password", ItemType.CARD: "number", ItemType.SSH_KEY: "private_key",
            ItemType.BANK_ACCOUNT: "account_number", ItemType.DRIVERS_LICENSE: "license_number",
            ItemType.PASSPORT: "passport_number"}.get(item_type)


# --- modals -------------------------------------------------------------------------------------


class _SavingModal(OneAnswerAtATime, ModalScreen):
    """A modal whose save runs core in a worker; core's refusal stays on the form as a message."""

    def _run_save(self, fn, *args) -> None:
        if self.answering:
            return
        self.query_one(".form-status", Static).update(Text("Saving…"))
        self.answer_in_thread(self._save_worker, fn, *args, group="vault-save")

    def _save_worker(self, fn, *args) -> None:
        try:
            result = fn(*args)
        except MspError as exc:
            self.deliver_answer(self._refused, Text(str(exc)))
            return
        deliver(self, self.dismiss, result)

    def _refused(self, message: Text) -> None:
        self.query_one(".form-status", Static).update(message)

    @on(Input.Changed)
    def _input_changed(self) -> None:
        """Core's message is about what was submitted: it goes once the input changes."""
        self.query_one(".form-status", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ItemForm(_SavingModal):
    """Create an item (type, name, fields, collections) or edit one (name and fields)."""

    DEFAULT_CSS = """
    ItemForm { align: center middle; }
    ItemForm #form { width: 72; height: 90%; border: round $primary; padding: 0 1; background: $surface; }
    ItemForm #form-body { height: 1fr; }
    ItemForm #form-fields { height: auto; }
    ItemForm Input { border: none; height: 1; margin-bottom: 1; background: $boost; }
    ItemForm Input:focus { border: none; background: $primary 30%; }
    ItemForm TextArea { height: 4; margin-bottom: 1; }
    ItemForm Select { margin-bottom: 1; }
    ItemForm SelectionList { height: auto; max-height: 6; }
    ItemForm .form-status { color: $error; height: auto; }
    ItemForm #form-buttons { height: auto; align-horizontal: right; }
    ItemForm Label { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save"),
                Binding("ctrl+g", "generate", "Generate password")]

    def __init__(self, save, *, item=None, collections=None, preselect=frozenset(), generate=None) -> None:
        super().__init__()
        self.save_fn = save
        #: Core's generator bounded by the Password generator policy of where the item goes (ctrl+g).
        self.generate_fn = generate
        self.item = item
        self.collections = collections
        self.preselect = preselect

    def compose(self) -> ComposeResult:
        from msp_tui.core.enums import ItemType
        from msp_tui.core.services.vault import TYPE_LABELS

        with Vertical(id="form"):
            yield Label(Text("Edit item" if self.item else "New item", style="bold"))
            with VerticalScroll(id="form-body"):
                if self.item is None:
                    yield Select([(TYPE_LABELS[t], t) for t in ItemType], value=ItemType.LOGIN,
                                 allow_blank=False, id="form-type")
                yield Label(Text("Name"))
                yield Input(value=self.item.name if self.item else "", placeholder="name", id="form-name")
                yield Vertical(id="form-fields")
                if self.item is None and self.collections is not None:
                    yield Label(Text("Collections"))
                    yield SelectionList(*[(Text(name), cid, cid in self.preselect)
                                          for name, cid in self.collections], id="form-collections")
            yield Static("", classes="form-status")
            with Horizontal(id="form-buttons"):
                yield Button("Cancel", id="form-cancel")
                yield Button("Save", variant="primary", id="form-save")

    item_type = None

    async def on_mount(self) -> None:
        from msp_tui.core.enums import ItemType

        await self._show_fields(self.item.type if self.item else ItemType.LOGIN)
        self.query_one("#form-name", Input).focus()

    @on(Select.Changed, "#form-type")
    async def _type_changed(self, event: Select.Changed) -> None:
        if event.value != self.item_type:
            await self._show_fields(event.value)

    async def _show_fields(self, item_type) -> None:
        from msp_tui.core.services.vault import FIELDS

        self.item_type = item_type
        box = self.query_one("#form-fields", Vertical)
        await box.remove_children()
        current = {f.key: f for f in self.item.fields} if self.item else {}
        widgets = []
        for f in FIELDS[item_type]:
            widgets.append(Label(Text(f.label)))
            if f.protected:
                hidden = self.item is not None and self.item.hide_passwords
                placeholder = ("hidden: your access is except passwords" if hidden else
                               "unchanged — type a new value to replace it" if self.item else "")
                if f.key == "password" and self.generate_fn is not None and not hidden:
                    placeholder += (" (ctrl+g generates one)" if placeholder else "ctrl+g generates one")
                widgets.append(Input(password=not f.multiline, placeholder=placeholder, disabled=hidden,
                                     id=f"field-{f.key}", classes="protected"))
            elif f.multiline:
                widgets.append(TextArea(current[f.key].value or "" if f.key in current else "", id=f"field-{f.key}"))
            else:
                widgets.append(Input(value=current[f.key].value or "" if f.key in current else "",
                                     id=f"field-{f.key}"))
        await box.mount_all(widgets)

    def _result(self) -> dict:
        from msp_tui.core.services.vault import FIELDS

        fields = {}
        for f in FIELDS[self.item_type]:
            widget = self.query_one(f"#field-{f.key}")
            value = widget.text if isinstance(widget, TextArea) else widget.value
            if f.protected and self.item is not None and not value:
                continue  # unchanged
            fields[f.key] = value
        collections = []
        if self.item is None and self.collections is not None:
            collections = list(self.query_one("#form-collections", SelectionList).selected)
        return {"type": self.item_type, "name": self.query_one("#form-name", Input).value,
                "fields": fields, "collections": collections}

    def action_save(self) -> None:
        self._run_save(self.save_fn, self._result())

    def action_generate(self) -> None:
        """Fill the password field with a generated one (policy 2), when the item has one."""
        fields = self.query("#field-password")
        if self.generate_fn is None or not fields or fields.first().disabled:
            return
        self._generate_worker()

    @work(thread=True, exclusive=True, group="vault-generate")
    def _generate_worker(self) -> None:
        try:
            value = self.generate_fn()
        except MspError as exc:
            deliver(self, self.query_one(".form-status", Static).update, Text(str(exc)))
            return
        deliver(self, self._fill_password, value)

    def _fill_password(self, value: str) -> None:
        field = self.query_one("#field-password", Input)
        field.value = value
        field.focus()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self, _event) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self, _event) -> None:
        self.dismiss(None)


class MoveForm(_SavingModal):
    DEFAULT_CSS = """
    MoveForm { align: center middle; }
    MoveForm #move { width: 60; height: auto; border: round $primary; padding: 0 1; background: $surface; }
    MoveForm SelectionList { height: auto; max-height: 12; }
    MoveForm .form-status { color: $error; height: auto; }
    MoveForm Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, save, name: str, choices, current: set) -> None:
        super().__init__()
        self.save_fn, self.name_, self.choices, self.current = save, name, choices, current

    def compose(self) -> ComposeResult:
        with Vertical(id="move"):
            yield Label(Text.assemble("Collections of ", (self.name_, "bold")))
            yield SelectionList(*[(Text(n), cid, cid in self.current) for n, cid in self.choices], id="move-list")
            yield Static("", classes="form-status")
            with Horizontal():
                yield Button("Cancel", id="move-cancel")
                yield Button("Save", variant="primary", id="move-save")

    def on_mount(self) -> None:
        self.query_one("#move-list", SelectionList).focus()

    def action_save(self) -> None:
        self._run_save(self.save_fn, list(self.query_one("#move-list", SelectionList).selected))

    @on(Button.Pressed, "#move-save")
    def _save_pressed(self, _event) -> None:
        self.action_save()

    @on(Button.Pressed, "#move-cancel")
    def _cancel_pressed(self, _event) -> None:
        self.dismiss(None)


class ConfirmDelete(_SavingModal):
    DEFAULT_CSS = """
    ConfirmDelete { align: center middle; }
    ConfirmDelete #confirm { width: 60; height: auto; border: round $error; padding: 1 2; background: $surface; }
    ConfirmDelete .form-status { color: $error; height: auto; }
    ConfirmDelete Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, go, name: str, *, permanent: bool = False, restore: bool = False) -> None:
        super().__init__()
        self.go, self.name_, self.permanent, self.restore = go, name, permanent, restore

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            if self.restore:
                question = Text.assemble("Restore ", (self.name_, "bold"), " into the collections it was in?")
            elif self.permanent:
                question = Text.assemble("Delete ", (self.name_, "bold"), " for good? This cannot be undone.")
            else:
                question = Text.assemble("Move ", (self.name_, "bold"), " to the trash? It can be restored "
                                         "for 30 days.")
            yield Static(question)
            yield Static("", classes="form-status")
            with Horizontal():
                yield Button("Cancel", id="confirm-cancel")
                yield Button("Restore" if self.restore else "Delete", variant="primary" if self.restore else "error",
                             id="confirm-delete")

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()

    @on(Button.Pressed, "#confirm-delete")
    def _delete(self, _event) -> None:
        self._run_save(self.go)

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel(self, _event) -> None:
        self.dismiss(None)
