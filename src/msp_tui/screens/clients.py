"""The home: every client with plan, seats, status and health flags (policy drift too), from SQL pages;
keys to health, billing, staff and the drift report."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from msp_tui.core.access import Action
from msp_tui.core.enums import PlanType
from msp_tui.core.services import clients as client_service
from msp_tui.core.services.clients import ClientView
from msp_tui.screens.base import MspScreen
from msp_tui.widgets.paged_table import Column, Page, PagedTable
from msp_tui.widgets.text import plain

EMPTY = Text.assemble("No clients yet. Press ", ("n", "bold"), " to onboard a new client or add an "
                      "organization you own, or ", ("ctrl+p", "bold"), " for every command.")
EMPTY_SERVICE_USER = Text("No clients yet. A Provider Admin onboards clients (press ? for keys).")


def _flags(c: ClientView, drifted: bool = False) -> Text:
    parts = list(c.flags)
    if c.is_internal:
        parts.append("internal")
    if drifted:
        parts.append("drift")
    return Text(", ".join(parts), style="bold" if c.seats_full or c.stale_invites or drifted else "")


def plan_short(plan: PlanType) -> str:
    return f"{'Enterprise' if plan.is_enterprise else 'Teams'} {'annual' if plan.is_annual else 'monthly'}"


CLIENT_COLUMNS = [
    Column("name", "Client", 0, lambda c: plain(c.name), sortable=True, ratio=3),
    Column("plan", "Plan", 18, lambda c: plan_short(c.plan), sortable=True),
    Column("seats", "Seats", 7, lambda c: str(c.seats), align="right", sortable=True),
    Column("used", "Used", 6, lambda c: str(c.used), align="right", sortable=True),
    Column("remaining", "Left", 6, lambda c: str(c.remaining), align="right", sortable=True),
    Column("status", "Status", 7, lambda c: c.status.name.capitalize()),
    Column("flags", "Flags", 0, _flags, ratio=2),
]
SORT_KEYS = {"1": "name", "2": "plan", "3": "seats", "4": "used", "5": "remaining"}


def client_fetcher(db, actor, text: str, sort: str, descending: bool):
    """Keyset pages of `services.clients.list_clients` for the PagedTable."""

    def fetch(cursor, limit, backward) -> Page:
        page = client_service.list_clients(db, actor, text=text, sort=sort, descending=descending != backward,
                                           after=cursor, limit=limit)
        return Page(page.rows, page.next_cursor)

    return fetch


class ClientsScreen(MspScreen):
    TITLE_TEXT = "Clients"
    GUARDED = {"new_client": Action.CREATE_CLIENT, "staff": Action.VIEW_STAFF, "unlink": Action.UNLINK_CLIENT,
               "billing": Action.VIEW_PROVIDER_BILLING, "health": Action.VIEW_CLIENTS,
               "drift": Action.VIEW_CLIENTS}
    HIDDEN_WHEN_REFUSED = frozenset({"staff", "unlink", "billing"})
    #: The palette's "policies: apply template" takes the clients marked here.
    marks_clients = True
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("n", "new_client", "New client", id="new-client"),
        Binding("s", "staff", "Staff", id="staff"),
        Binding("h", "health", "Health", show=False, id="health"),
        Binding("b", "billing", "Billing", show=False, id="billing"),
        Binding("o", "cycle_sort", "Sort", id="sort"),
        Binding("d", "drift", "Policy drift", show=False, id="drift"),
        Binding("v", "vault", "My personal items", show=False, id="vault"),
        Binding("t", "timeline", "Event timeline", show=False, id="timeline"),
        Binding("u", "unlink", "Unlink", show=False, id="unlink"),
        Binding("r", "reload", "Reload", show=False, id="reload"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        *[Binding(k, f"sort('{v}')", f"Sort by {v} (again: reverse)", show=False) for k, v in SORT_KEYS.items()],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.sort = "name"
        self.descending = False
        #: Drift flags from core, asked for once per page of rows (services.policies.drifted_client_ids).
        self.drifted: set = set()
        self.drift_known: set = set()
        #: The status line's text as last shown (it is updated only when it changes).
        self._status_text: str | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="failover", classes="banner")
        with Horizontal(id="filter-bar"):
            yield Static(Text("Filter /", style="bold"), id="filter-label")
            yield Input(placeholder="part of a client's name (esc clears)", id="filter")
        columns = [*CLIENT_COLUMNS[:-1], Column("flags", "Flags", 0, self._flags_of, ratio=2)]
        yield PagedTable(columns=columns, fetch=self._fetcher(), row_key=lambda c: c.id,
                         empty_text=EMPTY, sort_key=self.sort, on_loaded=self._update_status, id="clients")
        yield Static("", id="status-line", classes="status-line")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#clients", PagedTable)

    def _fetcher(self):
        return client_fetcher(self.db, self.actor, self.filter_text, self.sort, self.descending)

    def on_mount(self) -> None:
        self.query_one("#filter-bar").display = False
        self.query_one("#failover", Static).display = False
        self.table.empty_text = self._empty_text()
        self.table.focus()
        self.table.reload()
        self._load_failover()

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        # Another full screen (a client, onboarding, staff) may change what the list shows.
        self._stale = not isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        if self.app.actor is None:  # resumed for a moment while signing out empties the stack
            return
        if getattr(self, "_stale", False):
            self._stale = False
            self.drift_known.clear()
            self.table.reload(keep_marks=True, keep_position=True)
            self._load_failover()

    def _load_failover(self) -> None:
        from msp_tui.core.services.staff import failover_warning

        self.run_db(failover_warning, self.db, self.actor.provider_id, on_done=self._show_failover,
                    group="failover")

    def _show_failover(self, warning: str | None) -> None:
        banner = self.query_one("#failover", Static)
        banner.display = bool(warning)
        banner.update(Text(f"⚠ {warning}" if warning else ""))

    # --- filter and sort --------------------------------------------------------------------------

    def _empty_text(self) -> Text:
        if self.filter_text.strip():
            return Text.assemble("No client's name contains “", plain(self.filter_text.strip()), "”. ",
                                 ("esc", "bold"), " clears the filter.")
        return EMPTY if self.app.allowed(Action.CREATE_CLIENT) else EMPTY_SERVICE_USER

    def action_filter(self) -> None:
        self.query_one("#filter-bar").display = True
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._refetch()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()
        self._load_drift()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""
        self.query_one("#filter-bar").display = False
        self.table.focus()
        self._load_drift()

    def action_sort(self, key: str) -> None:
        if key == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = key, False
        self._refetch()

    def action_cycle_sort(self) -> None:
        keys = list(SORT_KEYS.values())
        self.action_sort(keys[(keys.index(self.sort) + 1) % len(keys)])

    def _refetch(self) -> None:
        table = self.table
        table.fetch = self._fetcher()
        table.sort_key, table.descending = self.sort, self.descending
        table.empty_text = self._empty_text()
        table.reload(keep_marks=True)

    def action_reload(self) -> None:
        self.drift_known.clear()
        self.table.reload(keep_marks=True, keep_position=True)
        self._load_failover()

    @on(PagedTable.Loaded, "#clients")
    def _page_loaded(self) -> None:
        # Not while the filter is being typed: each keystroke stays one page query (test_frame_scale).
        if not self.query_one("#filter", Input).has_focus:
            self._load_drift()

    @on(PagedTable.Highlighted, "#clients")
    def _highlighted(self) -> None:
        self._update_status()

    # --- drift flags: one core query for the rows not asked about yet (a page), never one per row ---

    def _flags_of(self, c: ClientView) -> Text:
        return _flags(c, c.id in self.drifted)

    def _load_drift(self) -> None:
        from msp_tui.core.services.policies import drifted_client_ids

        ids = [r.id for r in self.table.rows if r.id not in self.drift_known]
        if ids:
            self.run_db(drifted_client_ids, self.db, self.actor, ids, on_done=lambda found: self._got_drift(ids, found),
                        group="drift")

    def _got_drift(self, ids: list, found: set) -> None:
        changed = (self.drifted & set(ids)) ^ set(found)  # rows whose flag appears or goes
        self.drift_known.update(ids)
        self.drifted.difference_update(ids)
        self.drifted.update(found)
        self.table.refresh_rows(changed)

    def _update_status(self) -> None:
        table = self.table
        shown = len(table.rows)
        more = "+" if table._state.tail is not None else ""
        parts = [f"{shown}{more} shown", f"sorted by {self.sort} {'▼' if self.descending else '▲'}"]
        if self.filter_text.strip():
            parts.append(f"filter “{self.filter_text.strip()}”")
        if table.marked:
            parts.append(f"{len(table.marked)} marked")
        text = " · ".join(parts)
        if text != self._status_text:  # a cursor move changes nothing here
            self._status_text = text
            self.query_one("#status-line", Static).update(Text(text), layout=False)  # one fixed line

    # --- actions ----------------------------------------------------------------------------------

    def action_mark(self) -> None:
        self.table.action_toggle_mark()
        self._update_status()

    def action_open(self) -> None:
        row = self.table.current_row
        if row is not None:
            self.app.open_client(row.id)

    @on(PagedTable.Opened, "#clients")
    def _opened(self, event: PagedTable.Opened) -> None:
        event.stop()
        self.app.open_client(event.row.id)

    def action_new_client(self) -> None:
        self.app.open_area("onboarding")

    def action_staff(self) -> None:
        self.app.open_area("staff")

    def action_health(self) -> None:
        self.app.open_area("health")

    def action_billing(self) -> None:
        self.app.open_area("billing")

    def action_drift(self) -> None:
        self.app.open_area("drift")

    def action_vault(self) -> None:
        self.app.open_area("vault")

    def action_timeline(self) -> None:
        self.app.open_area("timeline")

    def action_unlink(self) -> None:
        row = self.table.current_row
        if row is not None:
            from msp_tui.screens.client_detail import ask_unlink

            ask_unlink(self, row.id, row.name, after=lambda: self.table.reload(keep_marks=True))
