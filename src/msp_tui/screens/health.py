"""The health view (B5): what needs attention across all clients, worst first; enter goes to the fix."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from msp_tui.core.errors import MspError
from msp_tui.core.services import health as svc
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import deliver

SHORT = {"failover": "failover admin missing", "two-factor": "without two-step login",
         "seats": "out of seats", "drift": "drifted from template", "unconfirmed": "with unconfirmed members",
         "stale-invites": "with stale invitations", "staff-invites": "stale staff invitations"}
SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "dim"}


class OpenTarget(Message):
    """Open the place where something is fixed: ("staff",) or ("client", org_id, "members" | "policies" |
    "overview"). Posted by the health and drift screens; the app decides which screen that is."""

    def __init__(self, target: tuple) -> None:
        super().__init__()
        self.target = target


class HealthScreen(Screen):
    DEFAULT_CSS = """
    HealthScreen { layout: vertical; }
    HealthScreen #summary { height: auto; padding: 0 1; }
    HealthScreen DataTable { height: 1fr; }
    HealthScreen #where { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "open", "Go to fix", id="health.open", priority=True),
        Binding("r", "reload", "Reload", id="health.reload"),
        Binding("escape", "back", "Back", id="health.back"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, db, actor, *, limit: int = 200, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.limit = db, actor, limit
        self.findings: list[svc.Finding] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="where")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        where = 16
        title = max(30, self.app.size.width - 8 - where - 8)
        table.add_column("Severity", key="severity", width=8)
        table.add_column("What needs attention", key="title", width=title)
        table.add_column("Fix in", key="where", width=where)
        table.border_title = "Health"
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one(DataTable).loading = True
        self._load()

    @work(thread=True, exclusive=True, group="health", exit_on_error=False)
    def _load(self) -> None:
        try:
            rep = svc.report(self.db, self.actor, limit=self.limit)
        except MspError as exc:
            deliver(self, self._failed, exc.message)
            return
        deliver(self, self._show, rep)

    def _failed(self, message: str) -> None:
        self.query_one(DataTable).loading = False
        self.query_one("#summary", Static).update(Text(message, style="bold red"))

    def _show(self, rep: svc.HealthReport) -> None:
        self.findings = rep.findings
        table = self.query_one(DataTable)
        table.clear()
        for i, f in enumerate(rep.findings):
            # The client is named in the title; the column says where in it (the footer line has all).
            table.add_row(Text(f.severity, style=SEVERITY_STYLE[f.severity]), Text(f.title),
                          Text(f.where.split(" › ")[-1]), key=str(i))
        table.loading = False
        table.border_title = f"Health ({rep.total:,} finding{'s' if rep.total != 1 else ''})"
        parts = []
        for kind, severity, heading in svc.KINDS:
            n = rep.totals.get(kind, 0)
            if n:
                parts.append(Text.assemble((f"{n:,}", SEVERITY_STYLE[severity]), " ", SHORT[kind]))
        summary = Text(" · ").join(parts) if parts else Text("Nothing needs attention.", style="green")
        if rep.truncated:
            summary.append(f"  (showing the first {rep.limit} of each kind)", style="dim")
        self.query_one("#summary", Static).update(summary)
        self._update_where()

    @on(DataTable.RowHighlighted)
    def _update_where(self) -> None:
        f = self._current()
        self.query_one("#where", Static).update(Text(f"enter: go to {f.where}" if f else ""))

    def _current(self) -> svc.Finding | None:
        table = self.query_one(DataTable)
        if not self.findings or table.cursor_row >= len(self.findings):
            return None
        return self.findings[table.cursor_row]

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        f = self._current()
        if f is not None:
            self.post_message(OpenTarget(f.target))

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss()
