"""The drift report (B2): each client whose policies differ from its template, policy by policy.

`a` accepts a difference on purpose (with a reason): it is recorded and no longer reported.
`enter` opens the client's policies (an OpenTarget message the app handles).

TemplateApplyScreen applies a template to the clients marked on the clients home (or all): the dry
run lists client by client what would change and whom it would revoke; `A` applies it for real.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Select, Static

from msp_tui.core.access import Action, decide, standing_for
from msp_tui.core.errors import MspError
from msp_tui.core.services import policies as svc
from msp_tui.screens.health import OpenTarget
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import deliver


@dataclass(frozen=True)
class _Line:
    client: svc.ClientDrift
    difference: svc.PolicyDifference


class DriftScreen(Screen):
    DEFAULT_CSS = """
    DriftScreen { layout: vertical; }
    DriftScreen #summary { height: auto; padding: 0 1; }
    DriftScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open client", id="drift.open", priority=True),
        Binding("a", "accept", "Accept deviation", id="drift.accept"),
        Binding("r", "reload", "Reload", id="drift.reload"),
        Binding("escape", "back", "Back", id="drift.back"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, db, actor, *, template: str | None = None, limit: int = 500, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.template, self.limit = db, actor, template, limit
        self.lines: list[_Line] = []
        self.may_accept = False

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        yield DataTable(id="drift", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        rest = max(40, self.app.size.width - 24 - 10 - 30 - 12)
        for label, key, width in [("Client", "client", 24), ("Template", "template", 10),
                                  ("Policy", "policy", 30), ("Template says", "expected", rest // 2),
                                  ("Client has", "actual", rest - rest // 2)]:
            table.add_column(label, key=key, width=width)
        table.border_title = "Drift from templates"
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one(DataTable).loading = True
        self._load()

    @work(thread=True, exclusive=True, group="drift", exit_on_error=False)
    def _load(self) -> None:
        try:
            report = svc.drift_report(self.db, self.actor, template=self.template, limit=self.limit)
            with self.db.read() as s:
                may = bool(decide(standing_for(s, self.actor), Action.MANAGE_TEMPLATES))
        except MspError as exc:
            deliver(self, self._failed, exc.message)
            return
        deliver(self, self._show, report, may)

    def _failed(self, message: str) -> None:
        self.query_one(DataTable).loading = False
        self.query_one("#summary", Static).update(Text(message, style="bold red"))

    def _show(self, report: list[svc.ClientDrift], may_accept: bool) -> None:
        self.may_accept = may_accept
        self.lines = [_Line(c, d) for c in report for d in c.differences]
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        previous = None
        for i, line in enumerate(self.lines):
            first = line.client.organization_id != previous
            previous = line.client.organization_id
            table.add_row(Text(line.client.client_name if first else "", style="bold"),
                          Text(line.client.template if first else ""), Text(line.difference.name),
                          Text(line.difference.expected, style="green"),
                          Text(line.difference.actual, style="yellow"), key=str(i))
        table.loading = False
        if self.lines:
            table.move_cursor(row=min(max(row, 0), len(self.lines) - 1))
        n = len(report)
        table.border_title = f"Drift from templates ({n:,} client{'s' if n != 1 else ''})"
        if not report:
            summary = Text("Every client matches its template (accepted deviations apart).", style="green")
        else:
            summary = Text(f"{n:,} client{'s' if n != 1 else ''} differ from their template in "
                           f"{len(self.lines):,} polic{'y' if len(self.lines) == 1 else 'ies'}.")
            if n >= self.limit:
                summary.append(f" Showing the first {self.limit}.", style="dim")
        if not may_accept:
            summary.append("  Only Provider Admins can accept deviations.", style="dim")
        self.query_one("#summary", Static).update(summary)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "accept" and (not self.may_accept or not self.lines):
            return None
        return True

    def _current(self) -> _Line | None:
        table = self.query_one(DataTable)
        if not self.lines or table.cursor_row >= len(self.lines):
            return None
        return self.lines[table.cursor_row]

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        line = self._current()
        if line is not None:
            self.post_message(OpenTarget(("client", line.client.organization_id, "policies")))

    def action_accept(self) -> None:
        line = self._current()
        if line is None or not self.may_accept:
            return
        self.app.push_screen(AcceptDeviationScreen(line.client.client_name, line.difference),
                             lambda reason: self._accept(line, reason) if reason else None)

    @work(thread=True, exclusive=True, group="drift-accept", exit_on_error=False)
    def _accept(self, line: _Line, reason: str) -> None:
        try:
            svc.accept_deviation(self.db, self.actor, line.client.organization_id, line.difference.type, reason)
        except MspError as exc:
            deliver(self, self.app.notify, exc.message, severity="error", title="Not accepted",
                    markup=False)
            return
        deliver(self, self.app.notify, f"{line.client.client_name}: {line.difference.name} "
                "accepted as a deviation", title="Accepted", markup=False)
        deliver(self, self.action_reload)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss()


class AcceptDeviationScreen(ModalScreen[str | None]):
    """Ask why the client differs on purpose; returns the reason or None."""

    DEFAULT_CSS = """
    AcceptDeviationScreen { align: center middle; }
    AcceptDeviationScreen > Vertical { width: 70; height: auto; border: round $primary; background: $surface;
                                       padding: 0 1; }
    AcceptDeviationScreen #buttons { height: auto; align: right middle; padding-top: 1; }
    AcceptDeviationScreen #buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, client_name: str, difference: svc.PolicyDifference, **kwargs) -> None:
        super().__init__(**kwargs)
        self.client_name, self.difference = client_name, difference

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Accept a deviation"
            yield Static(Text(f"{self.client_name}: {self.difference.name} stays "
                              f"{self.difference.actual} (template: {self.difference.expected})."))
            yield Input(placeholder="Why does this client differ on purpose?", max_length=500, id="reason")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Accept", id="ok", variant="primary", disabled=True)

    @on(Input.Changed, "#reason")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#ok", Button).disabled = not event.value.strip()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if reason:
            self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question with Cancel focused."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 70; height: auto; border: thick $warning; background: $surface;
                               padding: 0 1; }
    ConfirmScreen #buttons { height: auto; align: right middle; padding-top: 1; }
    ConfirmScreen #buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, ok_label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title_text, self.text, self.ok_label = title, text, ok_label

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(Text(self.text))
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.ok_label, id="ok", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(True)


class TemplateApplyScreen(Screen):
    """Apply a policy template to marked clients (or all): a dry run client by client, then for real.

    `client_ids` are the clients marked on the clients home; None applies to every client."""

    DEFAULT_CSS = """
    TemplateApplyScreen { layout: vertical; }
    TemplateApplyScreen #top { height: auto; padding: 0 1; }
    TemplateApplyScreen #top Select { width: 40; }
    TemplateApplyScreen #summary { height: auto; padding: 0 1; }
    TemplateApplyScreen DataTable { height: 1fr; }
    TemplateApplyScreen #detail { height: auto; max-height: 8; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("A", "apply", "Apply for real", id="templates.apply"),
        Binding("t", "choose", "Template", id="templates.choose"),
        Binding("escape", "back", "Back", id="templates.back"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, db, actor, client_ids: list | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.client_ids = db, actor, client_ids
        self.result: svc.ApplyResult | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Select([], prompt="Choose a template", id="template", compact=True)
        yield Static("", id="summary")
        yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        name_w = 24 if self.app.size.width < 100 else 30
        rest = max(20, self.app.size.width - name_w - 8 - 8 - 10)
        table.add_column("Client", key="client", width=name_w)
        table.add_column("Changes", key="changes", width=8)
        table.add_column("Revokes", key="revokes", width=8)
        table.add_column("Status", key="status", width=rest)
        target = "all clients" if self.client_ids is None else f"{len(self.client_ids)} marked client(s)"
        table.border_title = f"Apply a template to {target}"
        self._templates()

    @work(thread=True, exclusive=True, group="templates", exit_on_error=False)
    def _templates(self) -> None:
        try:
            names = [t.name for t in svc.list_templates(self.db, self.actor)]
        except MspError as exc:
            deliver(self, self._say, exc.message, "bold red")
            return
        deliver(self, self._fill, names)

    def _fill(self, names: list[str]) -> None:
        select = self.query_one("#template", Select)
        select.set_options([(n, n) for n in names])
        if names:
            select.value = names[0]
        else:
            self._say("No templates yet: create one with `msp-tui policies template create`.", "yellow")

    def _say(self, text: str, style: str = "") -> None:
        self.query_one("#summary", Static).update(Text(text, style=style))

    @on(Select.Changed, "#template")
    def _chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.result = None
            self.query_one(DataTable).loading = True
            self._run(str(event.value), True)

    @work(thread=True, exclusive=True, group="templates-run", exit_on_error=False)
    def _run(self, name: str, dry_run: bool) -> None:
        def progress(done: int, total: int) -> None:
            deliver(self, self._say, f"Applying {name}: {done:,} of {total:,} clients…")
        try:
            res = svc.apply_template(self.db, self.actor, name, self.client_ids, all_clients=self.client_ids is None,
                                     dry_run=dry_run, progress=None if dry_run else progress)
        except MspError as exc:
            deliver(self, self._failed, exc.message)
            return
        deliver(self, self._show, res)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one(DataTable).loading = False
        self._say(message, "bold red")
        self.refresh_bindings()

    def _show(self, res: svc.ApplyResult) -> None:
        self.busy = False
        self.result = res
        table = self.query_one(DataTable)
        table.clear()
        for i, c in enumerate(res.clients):
            if c.error and c.error.startswith("Policies can be saved only"):
                status = Text("not Enterprise: policies cannot be saved", style="red")
            elif c.error:
                status = Text(c.error, style="red")
            elif not c.changes:
                status = Text("matches already" + (f" (keeps {', '.join(c.kept)})" if c.kept else ""), style="dim")
            else:
                status = Text("would change" if res.dry_run else "changed", style="yellow" if res.dry_run else "green")
            table.add_row(Text(c.client_name), Text(str(len(c.changes))), Text(str(len(c.revoke))), status, key=str(i))
        table.loading = False
        verb = "would change" if res.dry_run else "changed"
        self._say(f"{res.template}{' (dry run)' if res.dry_run else ''}: {res.changed:,} client(s) {verb}, "
                  f"{res.revoked:,} member(s) {'would be ' if res.dry_run else ''}revoked, {res.failed:,} cannot "
                  f"take it." + ("  Press A to apply for real." if res.dry_run and res.changed else ""))
        self._detail()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _detail(self) -> None:
        table = self.query_one(DataTable)
        if self.result is None or not self.result.clients or table.cursor_row >= len(self.result.clients):
            self.query_one("#detail", Static).update("")
            return
        c = self.result.clients[table.cursor_row]
        lines = [f"{x.name}: {x.before} → {x.after}" for x in c.changes] + ([c.error] if c.error else [])
        if c.revoke:
            lines.append("revokes: " + ", ".join(f"{e.email} ({e.role.label})" for e in c.revoke))
        self.query_one("#detail", Static).update(Text("\n".join(lines)))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "apply":
            ready = self.result is not None and self.result.dry_run and self.result.changed > 0 and not self.busy
            return True if ready else None
        return True

    def action_apply(self) -> None:
        res = self.result
        if res is None or not res.dry_run or not res.changed or self.busy:
            return
        text = (f"Apply {res.template} to {res.changed:,} client(s)? {res.revoked:,} member(s) will be revoked. "
                "Each client is changed in its own transaction.")
        self.app.push_screen(ConfirmScreen("Apply template", text, "Apply"),
                             lambda ok: self._apply(res.template) if ok else None)

    def _apply(self, name: str) -> None:
        self.busy = True
        self.refresh_bindings()
        self.query_one(DataTable).loading = True
        self._run(name, False)

    def action_choose(self) -> None:
        self.query_one("#template", Select).focus()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss()
