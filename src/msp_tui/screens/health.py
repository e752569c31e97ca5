"""The health view (B5): what needs attention across all clients, worst first; enter goes to the fix."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from msp_tui.core.errors import MspError
from msp_tui.core.services import health as svc
from msp_tui.screens.base import ListScreen
from msp_tui.screens.client_group_filter import ClientGroupFilter
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.text import plain
from msp_tui.widgets.threads import deliver

SHORT = {"failover": "failover admin missing", "break-glass": "emergency access to acknowledge", "two-factor": "without two-step login",
         "seats": "out of seats", "drift": "drifted from template", "unconfirmed": "with unconfirmed members",
         "stale-invites": "with stale invitations", "staff-invites": "stale staff invitations"}
SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "dim"}


class OpenTarget(Message):
    """Open the place where something is fixed: ("staff",) or ("client", org_id, "members" | "policies" |
    "overview"). Posted by the health and drift screens; the app decides which screen that is."""

    def __init__(self, target: tuple) -> None:
        super().__init__()
        self.target = target


def _severity(f: svc.Finding) -> Text:
    return Text(f.severity, style=SEVERITY_STYLE[f.severity])


#: The client is named in the title; Fix in says where in it (the line under the table has all).
HEALTH_COLUMNS = [
    Column("severity", "Severity", 8, _severity, priority=1),
    Column("title", "What needs attention", 0, lambda f: plain(f.title), min_width=40, priority=0),
    Column("where", "Fix in", 16, lambda f: plain(f.where.split(" › ")[-1]), min_width=9, priority=2),
]


class HealthScreen(ClientGroupFilter, ListScreen):
    """`f` narrows the findings to one client group's clients (ClientGroupFilter)."""

    AREA = "health"
    DEFAULT_CSS = """
    HealthScreen { layout: vertical; }
    HealthScreen #summary { height: auto; padding: 0 1; }
    HealthScreen PagedTable { height: 1fr; }
    HealthScreen #where { height: 1; padding: 0 1; color: $text-muted; }
    """
    ROWS_NAME = "findings"
    BINDINGS = [
        Binding("r", "reload", "Reload", show=False, id="health.reload"),  # ctrl+r as on every list
        Binding("f", "cycle_group", "Client group", show=False, id="health.group"),
    ]

    def __init__(self, db, actor, *, limit: int = 200, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.limit = db, actor, limit
        self.findings: list[svc.Finding] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        yield from self.compose_filter("part of a finding (esc clears)")
        yield PagedTable(columns=HEALTH_COLUMNS, row_key=lambda f: (f.title, f.where), empty_text="Loading…",
                         open_label="Go to fix",
                         markable=False, id="findings")
        yield Static("", id="where")
        yield KeyBar()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        self.table.border_title = "Health"
        self.table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    def client_group_changed(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="health", exit_on_error=False)
    def _load(self) -> None:
        try:
            rep = svc.report(self.db, self.actor, limit=self.limit, group=self.client_group_id)
        except MspError as exc:
            deliver(self, self._failed, exc.message)
            return
        deliver(self, self._show, rep)

    def _failed(self, message: str) -> None:
        self.table.show_rows([], error=message)
        self.query_one("#summary", Static).update(Text(message, style="bold red"))

    def _show(self, rep: svc.HealthReport) -> None:
        self.findings = rep.findings
        table = self.table
        table.empty_text = "Nothing needs attention."
        table.show_rows(rep.findings)
        of = f" of “{self.client_group[1]}” (f: next)" if self.client_group else ""
        table.border_title = f"Health{of} ({rep.total:,} finding{'s' if rep.total != 1 else ''})"
        parts = []
        for kind, severity, heading in svc.KINDS:
            n = rep.totals.get(kind, 0)
            if n:
                parts.append(Text.assemble((f"{n:,}", SEVERITY_STYLE[severity]), " ", SHORT[kind]))
        summary = Text(" · ").join(parts) if parts else Text("Nothing needs attention.", style="green")
        if rep.truncated:
            summary.append(f"  (showing the first {rep.limit} of each kind)", style="dim")
        if self.client_group is not None:  # the table has no frame to carry it: the summary says it
            summary = Text.assemble((f"Client group “{self.client_group[1]}” (f: next): ", "bold"), summary)
        self.query_one("#summary", Static).update(summary)
        self._update_where()

    @on(PagedTable.Highlighted)
    def _update_where(self) -> None:
        f = self.table.current_row
        self.query_one("#where", Static).update(plain(f"enter: go to {f.where}") if f else Text(""))

    def open_row(self, row: svc.Finding) -> None:
        self.post_message(OpenTarget(row.target))
