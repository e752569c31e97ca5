"""The drift report (B2): each client whose policies differ from its template, policy by policy.

`a` accepts a difference on purpose (with a reason): it is recorded and no longer reported.
`enter` opens the client's policies (an OpenTarget message the app handles).

TemplateApplyScreen applies a template to the clients marked on the clients home (or all): the dry
run lists client by client what would change and whom it would revoke; `A` applies it for real.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from msp_tui.core.access import Action, decide, standing_for
from msp_tui.core.errors import MspError
from msp_tui.core.services import policies as svc
from msp_tui.screens.base import ListScreen
from msp_tui.screens.client_group_filter import ClientGroupFilter
from msp_tui.screens.health import OpenTarget
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.text import plain
from msp_tui.widgets.threads import deliver


@dataclass(frozen=True)
class _Line:
    client: svc.ClientDrift
    difference: svc.PolicyDifference
    #: The client's first line: its name and template are shown on it only.
    first: bool = True


DRIFT_COLUMNS = [
    Column("client", "Client", 0, lambda x: plain(x.client.client_name if x.first else "", "bold"), ratio=3,
           min_width=27, priority=0),
    Column("template", "Template", 10, lambda x: plain(x.client.template if x.first else ""), min_width=8,
           priority=3),
    Column("policy", "Policy", 0, lambda x: plain(x.difference.name), ratio=3, min_width=22, priority=0),
    Column("expected", "Template says", 14, lambda x: plain(x.difference.expected, "green"), min_width=13,
           priority=1),
    Column("actual", "Client has", 14, lambda x: plain(x.difference.actual, "yellow"), min_width=13, priority=1),
]


def _drift(db, actor, template: str | None, limit: int, group) -> tuple[list[svc.ClientDrift], bool]:
    """The drift report (of one client group's clients, or all), and whether this person may accept a
    deviation."""
    report = svc.drift_report(db, actor, template=template, limit=limit, group=group)
    with db.read() as s:
        return report, bool(decide(standing_for(s, actor), Action.MANAGE_TEMPLATES))


class DriftScreen(ClientGroupFilter, ListScreen):
    """`f` narrows the report to one client group's clients (ClientGroupFilter)."""

    AREA = "drift"
    DEFAULT_CSS = """
    DriftScreen { layout: vertical; }
    DriftScreen #summary { height: auto; padding: 0 1; }
    DriftScreen PagedTable { height: 1fr; }
    """
    ROWS_NAME = "differences"
    BINDINGS = [
        Binding("a", "accept", "Accept deviation", id="drift.accept"),
        Binding("r", "reload", "Reload", show=False, id="drift.reload"),  # ctrl+r as on every list
        Binding("f", "cycle_group", "Client group", show=False, id="drift.group"),
    ]

    def __init__(self, db, actor, *, template: str | None = None, limit: int = 500, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.template, self.limit = db, actor, template, limit
        self.lines: list[_Line] = []
        self.may_accept = False

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        yield from self.compose_filter("part of a client, template or policy (esc clears)")
        yield PagedTable(columns=DRIFT_COLUMNS, row_key=lambda x: (x.client.organization_id, x.difference.type),
                         empty_text="Loading…", open_label="Open client", markable=False, id="drift")
        yield KeyBar()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_db(_drift, self.db, self.actor, self.template, self.limit, self.client_group_id,
                    on_done=self._show, on_error=self._failed, group="drift", exclusive=True)

    def client_group_changed(self) -> None:
        self.action_reload()

    def _failed(self, exc: MspError) -> None:
        self.table.show_rows([], error=exc.message)
        self.query_one("#summary", Static).update(Text(exc.message, style="bold red"))

    def _show(self, drift: tuple[list[svc.ClientDrift], bool]) -> None:
        report, may_accept = drift
        self.may_accept = may_accept
        self.lines = [_Line(c, d, i == 0) for c in report for i, d in enumerate(c.differences)]
        table = self.table
        table.empty_text = "Every client matches its template."
        table.show_rows(self.lines)
        n = len(report)
        if not report:
            summary = Text("Every client matches its template (accepted deviations apart).", style="green")
        else:
            summary = Text(f"{n:,} client{'s' if n != 1 else ''} differ from their template in "
                           f"{len(self.lines):,} polic{'y' if len(self.lines) == 1 else 'ies'}.")
            if n >= self.limit:
                summary.append(f" Showing the first {self.limit}.", style="dim")
        if self.client_group is not None:
            summary = Text.assemble((f"Client group “{self.client_group[1]}” (f: next): ", "bold"), summary)
        if not may_accept:
            summary.append("  Only Provider Admins can accept deviations.", style="dim")
        self.query_one("#summary", Static).update(summary)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "accept" and (not self.may_accept or not self.lines):
            return None
        return super().check_action(action, parameters)

    def _current(self) -> _Line | None:
        return self.table.current_row

    def open_row(self, row: _Line) -> None:
        self.post_message(OpenTarget(("client", row.client.organization_id, "policies")))

    def action_accept(self) -> None:
        line = self._current()
        if line is None or not self.may_accept:
            return
        self.app.push_screen(AcceptDeviationScreen(line.client.client_name, line.difference),
                             lambda reason: self._accept(line, reason) if reason else None)

    def _accept(self, line: _Line, reason: str) -> None:
        def accepted(_result) -> None:
            self.app.notify(f"{line.client.client_name}: {line.difference.name} accepted as a deviation",
                            title="Accepted", markup=False)
            self.action_reload()

        self.run_db(svc.accept_deviation, self.db, self.actor, line.client.organization_id, line.difference.type,
                    reason, on_done=accepted, group="drift-accept", exclusive=True,
                    on_error=lambda exc: self.app.notify(exc.message, severity="error", title="Not accepted",
                                                         markup=False))


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


def _apply_status(c) -> Text:
    if c.error and c.error.startswith("Policies can be saved only"):
        return Text("not Enterprise: policies cannot be saved", style="red")
    if c.error:
        return plain(c.error, "red")
    if not c.changes:
        return plain("matches already" + (f" (keeps {', '.join(c.kept)})" if c.kept else ""), "dim")
    return Text("would change", style="yellow") if c.dry_run else Text("changed", style="green")


APPLY_COLUMNS = [
    Column("client", "Client", 0, lambda c: plain(c.client_name), min_width=24, priority=0),
    Column("changes", "Changes", 8, lambda c: str(len(c.changes)), align="right", min_width=7, priority=2),
    Column("revokes", "Revokes", 8, lambda c: str(len(c.revoke)), align="right", min_width=7, priority=1),
    Column("status", "Status", 0, _apply_status, min_width=16, priority=1),
]


@dataclass(frozen=True)
class _Planned:
    """One client of a template run, with whether the run was a dry run (for its status cell)."""

    client_name: str
    changes: list
    revoke: list
    kept: list
    error: str | None
    dry_run: bool
    index: int


class TemplateApplyScreen(ListScreen):
    """Apply a policy template to marked clients (or all): a dry run client by client, then for real.

    `client_ids` are the clients marked on the clients home; None applies to every client."""

    DEFAULT_CSS = """
    TemplateApplyScreen { layout: vertical; }
    TemplateApplyScreen #top { height: auto; padding: 0 1; }
    TemplateApplyScreen #top Select { width: 40; }
    TemplateApplyScreen #summary { height: auto; padding: 0 1; }
    TemplateApplyScreen PagedTable { height: 1fr; }
    TemplateApplyScreen #detail { height: auto; max-height: 8; padding: 0 1; color: $text-muted; }
    """
    ROWS_NAME = "clients"
    BINDINGS = [
        Binding("A", "apply", "Apply for real", id="templates.apply"),
        Binding("t", "choose", "Template", id="templates.choose"),
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
        yield from self.compose_filter("part of a client's name or status (esc clears)")
        yield PagedTable(columns=APPLY_COLUMNS, row_key=lambda c: c.index, empty_text="Choose a template.",
                         openable=False, markable=False, id="plan")
        yield Static("", id="detail")
        yield KeyBar()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        self.run_db(svc.list_templates, self.db, self.actor, on_done=self._fill, group="templates", exclusive=True,
                    on_error=lambda exc: self._say(exc.message, "bold red"))

    def _fill(self, templates) -> None:
        names = [t.name for t in templates]
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
            self.table.loading = True
            self._run(str(event.value), True)

    def _run(self, name: str, dry_run: bool) -> None:
        def progress(done: int, total: int) -> None:  # called in the worker thread
            deliver(self, self._say, f"Applying {name}: {done:,} of {total:,} clients…")

        self.run_db(svc.apply_template, self.db, self.actor, name, self.client_ids,
                    all_clients=self.client_ids is None, dry_run=dry_run, progress=None if dry_run else progress,
                    on_done=self._show, on_error=self._failed, group="templates-run", exclusive=True)

    def _failed(self, exc: MspError) -> None:
        self.busy = False
        self.table.loading = False
        self._say(exc.message, "bold red")
        self.refresh_bindings()

    def _show(self, res: svc.ApplyResult) -> None:
        self.busy = False
        self.result = res
        table = self.table
        table.show_rows([_Planned(c.client_name, c.changes, c.revoke, c.kept, c.error, res.dry_run, i)
                         for i, c in enumerate(res.clients)])
        table.loading = False
        verb = "would change" if res.dry_run else "changed"
        self._say(f"{res.template}{' (dry run)' if res.dry_run else ''}: {res.changed:,} client(s) {verb}, "
                  f"{res.revoked:,} member(s) {'would be ' if res.dry_run else ''}revoked, {res.failed:,} cannot "
                  f"take it." + ("  Press A to apply for real." if res.dry_run and res.changed else ""))
        self._detail()
        self.refresh_bindings()

    @on(PagedTable.Highlighted)
    def _detail(self) -> None:
        row = self.table.current_row
        if self.result is None or row is None or row.index >= len(self.result.clients):
            self.query_one("#detail", Static).update("")
            return
        c = self.result.clients[row.index]
        lines = [f"{x.name}: {x.before} → {x.after}" for x in c.changes] + ([c.error] if c.error else [])
        if c.revoke:
            lines.append("revokes: " + ", ".join(f"{e.email} ({e.role.label})" for e in c.revoke))
        self.query_one("#detail", Static).update(Text("\n".join(lines)))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "apply":
            ready = self.result is not None and self.result.dry_run and self.result.changed > 0 and not self.busy
            return True if ready else None
        return super().check_action(action, parameters)

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
        self.table.loading = True
        self._run(name, False)

    def action_choose(self) -> None:
        self.query_one("#template", Select).focus()
