"""The import dialog of the vault screen (issue 17): bring a client's passwords in from another manager.

`ImportDialog(db, actor, organization_id)` — organization_id None for one's own vault. The steps: a file
path (completed from the directory as it is typed), the format core detects, the file's password when
core says the file is protected, an optional collection, then core's dry run as a table (counts by type
and by collection, likely duplicates, problems with their place in the file), then Import: the real run
in a worker with a progress bar. Core decides everything; its refusals stay on the dialog as a sentence
and nothing is written. Esc cancels at every step — during the import too: the run is one transaction,
so stopping it part way writes none of it. Dismisses with the finished ImportPlan, or None.
"""

from __future__ import annotations

import os
import threading
import uuid

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, ProgressBar, Static

from msp_tui.core.errors import MspError, Refused
from msp_tui.widgets.text import inert_str
from msp_tui.widgets.threads import deliver

#: Formats whose files carry their own password (core says so too: a Refused "file-password").
PROTECTED = {"bitwarden-json-encrypted", "keepass"}


class PathSuggester(Suggester):
    """Completes the last part of a path from the entries of its directory (folders end with /)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        folder, start = os.path.split(os.path.expanduser(value))
        try:
            names = sorted(n for n in os.listdir(folder or ".") if n.startswith(start) and n != start
                           and (start.startswith(".") or not n.startswith(".")))
        except OSError:
            return None
        if not names:
            return None
        name = names[0]
        if os.path.isdir(os.path.join(folder or ".", name)):
            name += "/"
        return value + name[len(start):]


class PathInput(Input):
    """The file path: tab takes the completion shown (as right arrow does), else moves on."""

    BINDINGS = [Binding("tab", "complete", "Complete the path", show=False)]

    def action_complete(self) -> None:
        if self._suggestion and self.cursor_at_end:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


class _Stopped(Exception):
    """Raised inside the import's transaction when the person pressed esc: it rolls all of it back."""


def read_file(path: str) -> bytes:
    """The file's bytes; MspError with a sentence when it cannot be read or is too big."""
    from msp_tui.core.errors import BadInput
    from msp_tui.core.formats.common import MAX_FILE_BYTES

    path = os.path.expanduser(path.strip())
    if not path:
        raise BadInput("Type the path of the export file.", "file")
    try:
        if os.path.isdir(path):
            raise BadInput(f"{path} is a folder; choose the export file in it.", "file")
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise BadInput(f"{path} is {size / 1048576:.1f} MB; at most {MAX_FILE_BYTES // 1048576} MB can be "
                           "imported at once (split the export).", "file")
        with open(path, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadInput(f"{exc.filename or path}: {exc.strerror or exc}.", "file") from None


def plan_table(plan) -> Table:
    """The dry run as people read it: what comes in, where, and what does not."""
    out = Table.grid(padding=(0, 2))
    out.add_column()
    out.add_column(justify="right")
    count = plan.items if not plan.imported else plan.imported
    out.add_row(Text(f"{count:,} item{'s' if count != 1 else ''} into {plan.client_name}", style="bold"), "")
    for name, n in plan.by_type.items():
        out.add_row(Text(f"  {name}"), f"{n:,}")
    out.add_row(Text("By collection", style="bold"), "")
    for name, n in plan.by_collection.items():
        out.add_row(Text.assemble(f"  {name}", (" (new)" if name in plan.new_collections else "", "dim")), f"{n:,}")
    if plan.duplicates:
        out.add_row(Text(f"Likely duplicates ({len(plan.duplicates)}): same name, username and URI",
                         style="bold yellow"), "")
        for d in plan.duplicates[:20]:
            out.add_row(Text(f"  {d.where}: {d.name} {d.username}".rstrip()), "")
    if plan.problems:
        out.add_row(Text(f"Not imported ({len(plan.problems)})", style="bold red"), "")
        for p in plan.problems[:50]:
            out.add_row(Text(f"  {p.where}: {p.message}"), "")
    if plan.notices:
        out.add_row(Text(f"Moved or left behind ({len(plan.notices)})", style="bold"), "")
        for p in plan.notices[:50]:
            out.add_row(Text(f"  {p.where}: {p.message}"), "")
    return out


class ImportDialog(ModalScreen):
    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    ImportDialog #import-form { width: 78; max-width: 100%; height: 22; max-height: 100%;
                                border: round $primary; padding: 0 1; background: $surface; }
    ImportDialog Input { border: none; height: 1; margin-bottom: 1; background: $boost; }
    ImportDialog Input:focus { border: none; background: $primary 30%; }
    ImportDialog Label { color: $text-muted; }
    ImportDialog #import-format { height: 1; }
    ImportDialog #import-status { color: $error; height: auto; }
    ImportDialog #import-plan { height: 1fr; border-top: solid $panel; }
    ImportDialog #import-progress { height: 1; }
    ImportDialog #import-buttons { height: 1; align-horizontal: right; }
    ImportDialog #import-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, db, actor, organization_id: uuid.UUID | None, client_name: str = "") -> None:
        super().__init__()
        self.db, self.actor, self.organization_id = db, actor, organization_id
        self.client_name = client_name or ("your vault" if organization_id is None else "the client")
        self.data: bytes | None = None
        self.format: str | None = None
        self.plan = None
        self.running = False
        self._stop = threading.Event()

    @property
    def personal(self) -> bool:
        return self.organization_id is None

    def compose(self) -> ComposeResult:
        with Vertical(id="import-form"):
            yield Static(Text.assemble(("Import into ", "bold"), (self.client_name, "bold"),
                                       ("  esc: cancel", "dim")))
            yield Label("Export file (tab completes, enter checks it)")
            yield PathInput(placeholder="~/Downloads/lastpass_export.csv", suggester=PathSuggester(), id="import-path")
            yield Static("", id="import-format")
            yield Label("The file's password", id="import-password-label")
            yield Input(password=True, placeholder="the password the export was protected with",
                        id="import-password")
            if not self.personal:
                yield Label("Collection (optional: everything goes into it; else the file's folders)")
                yield Input(placeholder="e.g. From LastPass", id="import-collection")
            yield Static("", id="import-status")
            with VerticalScroll(id="import-plan"):
                yield Static("", id="import-plan-body")
            yield ProgressBar(total=None, show_eta=False, id="import-progress")
            with Horizontal(id="import-buttons"):
                yield Button("Check", id="import-check", compact=True)
                yield Button("Import", id="import-run", variant="primary", compact=True, disabled=True)
                yield Button("Cancel", id="import-cancel", compact=True)

    def on_mount(self) -> None:
        self._show_password(False)
        self.query_one("#import-progress").display = False
        self.query_one("#import-path", Input).focus()

    def _show_password(self, shown: bool) -> None:
        self.query_one("#import-password-label").display = shown
        self.query_one("#import-password").display = shown

    def _say(self, text: str) -> None:
        self.query_one("#import-status", Static).update(Text(text))

    # --- the steps ----------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.running:
            return
        if event.input.id == "import-path":
            self.data, self.format = None, None
            self.query_one("#import-format", Static).update("")
        self.plan = None
        self.query_one("#import-run", Button).disabled = True
        self.query_one("#import-plan-body", Static).update("")
        self._say("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if self.plan is not None:
            self.action_import()
        else:
            self.action_check()

    @on(Button.Pressed, "#import-check")
    def action_check(self) -> None:
        if self.running:
            return
        self._say("Reading the file…")
        self._check(self.query_one("#import-path", Input).value, self._password(), self._collection())

    def _password(self) -> str | None:
        field = self.query_one("#import-password", Input)
        return field.value if field.display and field.value else None

    def _collection(self) -> str | None:
        found = self.query("#import-collection")
        value = found.first(Input).value.strip() if found else ""
        return value or None

    @work(thread=True, exclusive=True, group="import-check")
    def _check(self, path: str, password: str | None, collection: str | None) -> None:
        from msp_tui.core.formats import detect
        from msp_tui.core.formats.records import FormatError
        from msp_tui.core.services import vault_import

        try:
            data = read_file(path)
            try:
                fmt = detect.detect(data)
            except FormatError as exc:
                deliver(self, self._failed, vault_import._sentence(exc), None)
                return
            deliver(self, self._detected, data, fmt)
            plan = vault_import.plan_import(self.db, self.actor, data, client=self.organization_id,
                                            personal=self.personal, password=password, collection=collection)
        except Refused as exc:  # the file's password: a sentence on its own, the field below it
            deliver(self, self._failed, inert_str(exc.message if exc.rule == "file-password" else exc), exc.rule)
            return
        except MspError as exc:
            deliver(self, self._failed, inert_str(exc), None)
            return
        deliver(self, self._planned, plan)

    def _detected(self, data: bytes, fmt: str) -> None:
        from msp_tui.core.formats import detect

        self.data, self.format = data, fmt
        self.query_one("#import-format", Static).update(Text.assemble("Format: ", (detect.label(fmt), "bold")))
        if fmt in PROTECTED:
            self._show_password(True)

    def _failed(self, text: str, rule: str | None) -> None:
        self._say(text)
        if rule == "file-password":
            self._show_password(True)
            self.query_one("#import-password", Input).focus()

    def _planned(self, plan) -> None:
        self.plan = plan
        self._say("")
        self.query_one("#import-plan-body", Static).update(plan_table(plan))
        button = self.query_one("#import-run", Button)
        button.disabled = not plan.items
        if plan.items:
            button.focus()
        else:
            self._say("The file holds no item that can be imported.")

    @on(Button.Pressed, "#import-run")
    def action_import(self) -> None:
        if self.running or self.plan is None or self.data is None:
            return
        self.running = True
        for widget in self.query(Input):
            widget.disabled = True
        self.query_one("#import-run", Button).disabled = True
        self.query_one("#import-check", Button).disabled = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=self.plan.items, progress=0)
        self._say("Importing… (esc stops it; nothing is written until all of it is in)")
        self._run(self.data, self._password(), self._collection())

    @work(thread=True, exclusive=True, group="import-run")
    def _run(self, data: bytes, password: str | None, collection: str | None) -> None:
        from msp_tui.core.services import vault_import

        def progress(done: int, total: int) -> None:
            if self._stop.is_set():
                raise _Stopped()
            deliver(self, self.query_one("#import-progress", ProgressBar).update, total=total, progress=done)

        try:
            plan = vault_import.run_import(self.db, self.actor, data, client=self.organization_id,
                                           personal=self.personal, password=password, collection=collection,
                                           progress=progress)
        except _Stopped:
            return
        except MspError as exc:
            deliver(self, self._run_failed, inert_str(exc))
            return
        deliver(self, self.dismiss, plan)

    def _run_failed(self, text: str) -> None:
        self.running = False
        for widget in self.query(Input):
            widget.disabled = False
        self.query_one("#import-check", Button).disabled = False
        self.query_one("#import-progress").display = False
        self.plan = None
        self._say(text + " Nothing was imported.")

    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        self._stop.set()  # a running import rolls back at its next progress step
        self.dismiss(None)
