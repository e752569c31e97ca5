"""The home: every client with plan, seats, status and health flags (policy drift too), from SQL pages;
keys to health, billing, staff and the drift report."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from msp_tui.core.access import Action
from msp_tui.core.services import clients as client_service
from msp_tui.core.services.clients import ClientView
from msp_tui.screens.base import ListScreen, MspScreen
from msp_tui.screens.client_group_filter import ClientGroupFilter
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


CLIENT_COLUMNS = [
    Column("name", "Client", 0, lambda c: plain(c.name), sortable=True, ratio=3, min_width=27, priority=0),
    Column("plan", "Plan", 13, lambda c: c.plan.short_label, sortable=True, min_width=13, priority=2),
    Column("seats", "Seats", 7, lambda c: str(c.seats), align="right", sortable=True, min_width=5, priority=3),
    Column("used", "Used", 6, lambda c: str(c.used), align="right", sortable=True, min_width=4, priority=3),
    Column("remaining", "Left", 6, lambda c: str(c.remaining), align="right", sortable=True, min_width=4,
           priority=1),
    Column("status", "Status", 7, lambda c: c.status.name.capitalize(), priority=4),
    Column("flags", "Flags", 0, _flags, ratio=2, min_width=17, priority=1),
    # The client groups of the person's scope that hold it (core lists them with the page); the first
    # column to drop when narrow.
    Column("groups", "Groups", 0, lambda c: plain(", ".join(c.groups)), ratio=1, min_width=10, priority=5),
]
SORT_KEYS = {"1": "name", "2": "plan", "3": "seats", "4": "used", "5": "remaining"}


def client_fetcher(db, actor, text: str, sort: str, descending: bool, group=None):
    """Keyset pages of `services.clients.list_clients` for the PagedTable (`group`: a client group's id)."""

    def fetch(cursor, limit, backward) -> Page:
        page = client_service.list_clients(db, actor, text=text, sort=sort, descending=descending != backward,
                                           after=cursor, limit=limit, group=group)
        return Page(page.rows, page.next_cursor)

    return fetch


class ClientsScreen(ClientGroupFilter, ListScreen, MspScreen):
    TITLE_TEXT = "Clients"
    #: The palette's commands for this screen name it (screens/areas.py Command.where).
    AREA = "clients"
    NEW_LABEL = "New client"
    ROWS_NAME = "clients"
    GUARDED = {"new": Action.CREATE_CLIENT, "staff": Action.VIEW_STAFF, "unlink": Action.UNLINK_CLIENT,
               "billing": Action.VIEW_PROVIDER_BILLING, "health": Action.VIEW_CLIENTS,
               "drift": Action.VIEW_CLIENTS, "client_groups": Action.MANAGE_CLIENT_GROUPS,
               "request_access": Action.REQUEST_BREAK_GLASS}
    HIDDEN_WHEN_REFUSED = frozenset({"staff", "unlink", "billing"})
    #: The palette's "policies: apply template" takes the clients marked here.
    marks_clients = True
    BINDINGS = [
        Binding("s", "staff", "Staff", id="staff"),
        Binding("h", "health", "Health", show=False, id="health"),
        Binding("b", "billing", "Billing", show=False, id="billing"),
        Binding("o", "cycle_sort", "Sort", id="sort"),
        Binding("d", "drift", "Policy drift", show=False, id="drift"),
        Binding("v", "vault", "My personal items", show=False, id="vault"),
        Binding("t", "timeline", "Event timeline", show=False, id="timeline"),
        Binding("u", "unlink", "Unlink", show=False, id="unlink"),
        Binding("A", "request_access", "Request break-glass access", show=False,
                id="request_access"),
        Binding("r", "reload", "Reload", show=False, id="reload"),
        Binding("a", "client_groups", "Client groups of the marked (or this) client", show=False,
                id="client_groups"),
        Binding("f", "cycle_group", "Client group filter (again: the next group, then all)", show=False,
                id="group"),  # ctrl+r as on every list; r as before
        *[Binding(k, f"sort('{v}')", f"Sort by {v} (again: reverse)", show=False) for k, v in SORT_KEYS.items()],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.sort = "name"
        self.descending = False
        #: Drift flags from core: those each page brings, else asked for once per page of rows
        #: (services.policies.drifted_client_ids).
        self.drifted: set = set()
        self.drift_known: set = set()
        #: The status line's text as last shown (it is updated only when it changes).
        self._status_text: str | None = None
        #: The client group the list is narrowed to (ClientGroupFilter): (id, name), or None for every client.
        self.client_group = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="failover", classes="banner")
        yield from self.compose_filter("part of a client's name (esc clears)")
        columns = [*CLIENT_COLUMNS[:-2], dataclasses.replace(CLIENT_COLUMNS[-2], value=self._flags_of),
                   CLIENT_COLUMNS[-1]]
        yield PagedTable(columns=columns, fetch=self._fetcher(), row_key=lambda c: c.id,
                         empty_text=EMPTY, sort_key=self.sort, on_loaded=self._update_status, id="clients")
        yield Static("", id="status-line", classes="status-line")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#clients", PagedTable)

    def _fetcher(self):
        return client_fetcher(self.db, self.actor, self.filter_text, self.sort, self.descending,
                              self.client_group_id)

    @property
    def key_labels(self) -> dict[str, str]:
        # The home has nowhere to go back to: esc clears the filter (and is in the bar only then).
        return {**super().key_labels, "back": "Clear filter"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and len(self.app.screen_stack) <= 2 and not self.filter_text \
                and not any(bar.display for bar in self.query("#filter-bar")):
            return False
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        self.query_one("#failover", Static).display = False
        self.table.empty_text = self._empty_text()
        self.table.focus()
        self.table.reload()
        self._load_failover()

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        # Another full screen (a client, onboarding, staff) may change what the list shows.
        self._stale = not isinstance(self.app.screen, ModalScreen)

    def grants_changed(self) -> None:
        """The app saw this person's break-glass grants change (approved, ended, run out): core's scope
        differs, so the rows are read again, now if the home is on top, else when it is shown again."""
        self._stale = True
        if self.is_current:
            self.on_screen_resume()

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
        super().action_filter()
        self.refresh_bindings()

    def filter_changed(self, text: str) -> None:
        self.filter_text = text
        self._refetch()

    def filter_done(self) -> None:
        self._load_drift()
        self.refresh_bindings()

    def action_sort(self, key: str) -> None:
        if key == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = key, False
        self._refetch()

    def client_group_changed(self) -> None:
        """f (ClientGroupFilter): the list of the chosen client group's clients, or of every client."""
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
        # A page brings its rows' drift flags (core.list_clients); asking core for others (rows that came
        # without) waits while the filter is being typed: each keystroke stays one page query.
        self._load_drift(ask=not self.filter_being_typed())

    @on(PagedTable.Highlighted, "#clients")
    def _highlighted(self) -> None:
        self._update_status()

    # --- drift flags: one core query for the rows not asked about yet (a page), never one per row ---

    def _flags_of(self, c: ClientView) -> Text:
        return _flags(c, c.id in self.drifted)

    def _groups_of(self, c: ClientView) -> Text:
        return CLIENT_COLUMNS[-1].value(c)

    def _load_drift(self, ask: bool = True) -> None:
        from msp_tui.core.services.policies import drifted_client_ids

        rows = [r for r in self.table.rows if r.id not in self.drift_known]
        brought = [r for r in rows if r.drifted is not None]
        if brought:
            self._got_drift([r.id for r in brought], {r.id for r in brought if r.drifted})
        ids = [r.id for r in rows if r.drifted is None]
        if ids and ask:
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
        if self.client_group is not None:
            parts.append(self.client_group_text("f"))
        if table.marked:
            parts.append(f"{len(table.marked)} marked")
        text = " · ".join(parts)
        if text != self._status_text:  # a cursor move changes nothing here
            self._status_text = text
            self.query_one("#status-line", Static).update(Text(text), layout=False)  # one fixed line

    # --- actions ----------------------------------------------------------------------------------

    @on(PagedTable.Marked, "#clients")
    def _marked(self) -> None:
        self._update_status()

    def open_row(self, row: ClientView) -> None:
        self.app.open_client(row.id)

    def action_new(self) -> None:
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

    def action_request_access(self) -> None:
        """A: ask for a client outside one's scope (break-glass); an emergency self-grant shows at once."""
        from msp_tui.screens.break_glass import request_access

        request_access(self.app, after=self.action_reload)

    def action_client_groups(self) -> None:
        """a: put the marked clients (or the highlighted one) in client groups or take them out, or in
        a new group; the dialog ticks the groups that hold all of them."""
        from msp_tui.core.services.client_groups import memberships

        rows = self.marked_rows() or ([self.table.current_row] if self.table.current_row is not None else [])
        if not rows:
            self.app.notify("No client to put in a group.", severity="warning")
            return
        self.run_db(memberships, self.db, self.actor, [r.id for r in rows],
                    on_done=lambda found: self._ask_client_groups(rows, *found), group="client-groups")

    def _ask_client_groups(self, rows: list, groups: list, held: dict) -> None:
        from msp_tui.core.services import client_groups as cg
        from msp_tui.widgets.group_dialogs import ChecklistDialog

        ids = [r.id for r in rows]
        n = len(ids)
        before = {g.id for g in groups if len(held.get(g.id, ())) == n}
        options = []
        for g in groups:
            some = len(held.get(g.id, ()))
            note = f"  ({some} of {n} in it)" if 0 < some < n else ""
            options.append((g.name + note, g.id, g.id in before))
        who = plain(rows[0].name).plain if n == 1 else f"{n} clients"

        def submit(new_name: str | None, ticked: list) -> str:
            # Core checks each step (Provider Admins only); the new group first, so a refused name
            # (taken, empty) changes nothing.
            done = []
            if new_name and new_name.strip():
                g = cg.create_client_group(self.db, self.actor, new_name, ids)
                done.append(f"created {g.name}")
            for gid in [g for g in ticked if g not in before]:
                cg.add_clients(self.db, self.actor, gid, ids)
                done.append(f"added to {next(g.name for g in groups if g.id == gid)}")
            for gid in [g for g in before if g not in ticked]:
                cg.remove_clients(self.db, self.actor, gid, ids)
                done.append(f"taken out of {next(g.name for g in groups if g.id == gid)}")
            return f"Client groups of {who}: " + ("; ".join(done) if done else "nothing changed") + "."

        def after(message: str | None) -> None:
            if message:
                self.app.say(message)
                self.action_reload()  # the Groups column asks core again

        self.app.push_screen(ChecklistDialog(
            f"Client groups of {who}", options, submit, name="", name_label="New client group (optional)",
            list_label="Client groups (space ticks; ticked: all of them are in it)",
            empty="No client groups yet: type a name above to make one."), after)

    def action_unlink(self) -> None:
        row = self.one_row("Unlink")
        if row is not None:
            from msp_tui.screens.client_detail import ask_unlink

            ask_unlink(self, row.id, row.name, after=lambda: self.table.reload(keep_marks=True))
