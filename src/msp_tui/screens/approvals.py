"""The approvals inbox (issue 18): pending two-person approval requests and break-glass requests; a
approves, d denies, w withdraws. Core decides each (who may approve, not one's own request, expired);
the screen shows it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from msp_tui.core.errors import MspError
from msp_tui.core.services import approvals as svc
from msp_tui.core.services import break_glass
from msp_tui.screens.base import ListScreen
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.text import plain

@dataclass(frozen=True)
class BreakGlassRow:
    """A pending break-glass request, as a row of the inbox (its actions go to core.break_glass)."""

    id: uuid.UUID
    number: int
    summary: str
    requested_by: str
    reason: str
    requested_at: datetime | None = None
    expires_at: datetime | None = None


def _break_glass_row(v) -> BreakGlassRow:
    ticket = f" (ticket {v.ticket})" if v.ticket else ""
    return BreakGlassRow(v.id, v.number, f"break-glass: open {v.client} for {v.minutes} minutes{ticket}",
                         v.requested_by, v.reason)


COLUMNS = [
    Column("number", "#", 4, lambda r: str(r.number), align="right", priority=1),
    Column("summary", "What", 0, lambda r: plain(r.summary), min_width=30, ratio=2, priority=0),
    Column("by", "Asked by", 22, lambda r: plain(r.requested_by), min_width=12, priority=2),
    Column("reason", "Why", 0, lambda r: plain(r.reason), min_width=12, priority=3),
    Column("expires", "Expires", 16, 
           lambda r: r.expires_at.strftime("%Y-%m-%d %H:%M") if r.expires_at else "-", priority=4),
]


def _inbox(db, actor):
    """The pending requests (break-glass first) and the provider's two-person approval setting."""
    rows = [*(_break_glass_row(v) for v in break_glass.list_grants(db, actor)
              if v.status == break_glass.Status.PENDING), *svc.list_requests(db, actor)]
    return rows, svc.setting(db, actor)


PAST = {"approve": "approved, the change is made", "deny": "denied", "withdraw": "withdrawn"}


class ApprovalsScreen(ListScreen):
    TITLE_TEXT = "Approvals"
    DEFAULT_CSS = """
    ApprovalsScreen { layout: vertical; }
    ApprovalsScreen PagedTable { height: 1fr; }
    ApprovalsScreen #detail { height: auto; padding: 0 1; }
    """
    ROWS_NAME = "requests"
    BINDINGS = [
        Binding("a", "approve", "Approve", id="approvals.approve"),
        Binding("d", "deny", "Deny", id="approvals.deny"),
        Binding("w", "withdraw", "Withdraw", id="approvals.withdraw"),
    ]

    def __init__(self, db, actor, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor = db, actor

    def compose(self) -> ComposeResult:
        yield AppHeader(self.TITLE_TEXT)
        yield PagedTable(columns=COLUMNS, row_key=lambda r: r.id, empty_text="Loading…", open_label="Details",
                         markable=False, id="requests")
        yield Static("", id="detail")
        yield KeyBar()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        self.table.border_title = "Two-person approval requests"
        self.table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_db(_inbox, self.db, self.actor, on_done=self._show, on_error=self._failed, group="approvals",
                    exclusive=True)

    def _failed(self, exc: MspError) -> None:
        self.table.show_rows([], error=exc.message)

    def _show(self, inbox) -> None:
        rows, setting = inbox
        self.table.empty_text = ("No request is waiting." if setting.actions else
                                 "No request is waiting; two-person approval is off (msp-tui provider approvals).")
        self.table.show_rows(rows)
        self.table.border_title = f"Approval and break-glass requests ({len(rows)} pending)"
        note = Text("a approve · d deny · w withdraw your own · a request expires 24 hours after it was asked")
        if setting.warning:
            note = Text(setting.warning, style="bold yellow")
        self.query_one("#detail", Static).update(note)
        self.app.refresh_approvals()

    def open_row(self, row) -> None:
        when = f" at {row.requested_at:%Y-%m-%d %H:%M} UTC" if row.requested_at else ""
        self.query_one("#detail", Static).update(plain(
            f"#{row.number} {row.summary}. Asked by {row.requested_by}{when}: {row.reason}"))

    def _decide(self, verb: str, fn) -> None:
        row = self.table.current_row
        if row is None:
            self.app.notify("No request is highlighted.")
            return

        if isinstance(row, BreakGlassRow):  # the same keys, core's break-glass use cases
            fn = {"approve": break_glass.approve, "deny": break_glass.deny, "withdraw": break_glass.end}[verb]

        def done(ok: bool | None) -> None:
            if ok:
                self._run(fn, row.number, text)

        kind = "break-glass request" if isinstance(row, BreakGlassRow) else "request"
        past = "granted" if verb == "approve" and isinstance(row, BreakGlassRow) else PAST[verb]
        text = f"{kind.capitalize()} {row.number}: {past}."
        self.app.push_screen(ConfirmModal(f"{verb.capitalize()} {kind} {row.number}",
                                          Text(f"{verb.capitalize()}: {row.summary}?\nAsked by {row.requested_by}: "
                                               f"{row.reason}")), done)

    def _run(self, fn, number: int, text: str) -> None:
        self.run_db(fn, self.db, self.actor, number, on_done=lambda _result: self._acted(text),
                    group="approvals-act", exclusive=True)

    def _acted(self, message: str) -> None:
        self.app.notify(message)
        self.action_reload()

    def action_approve(self) -> None:
        self._decide("approve", lambda db, actor, n: svc.approve(db, actor, n))

    def action_deny(self) -> None:
        self._decide("deny", svc.deny)

    def action_withdraw(self) -> None:
        self._decide("withdraw", svc.withdraw)
