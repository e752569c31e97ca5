"""The event timeline across the provider and all its clients (B3): filter, follow, open, export."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.errors import MspError
from msp_tui.core.events import PAGE_SIZE, EventFilter, EventRow, EventScope
from msp_tui.core.services import timeline
from msp_tui.screens.base import ListScreen
from msp_tui.screens.client_group_filter import ClientGroupFilter
from msp_tui.widgets.timeline_dialogs import (FilterChoice, TimelineEventDialog, TimelineExportDialog,
                                              TimelineFilterDialog, TimelineHelpDialog, range_summary)
from msp_tui.widgets.timeline_table import TimelineTable
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import deliver

#: Follow mode asks for new events this often (seconds).
FOLLOW_INTERVAL = 0.8
#: Rows per keyset page: enough to fill a 60-line terminal with room to scroll.
TIMELINE_PAGE = max(PAGE_SIZE, 100)


class TimelineScreen(ClientGroupFilter, ListScreen):
    """Provider events and every client's events together, newest first."""

    AREA = "timeline"

    DEFAULT_CSS = """
    TimelineScreen #tl-title { height: 1; background: $boost; padding: 0 1; }
    TimelineScreen #tl-filter { height: 1; padding: 0 1; color: $text-muted; }
    TimelineScreen #tl-status { height: 1; padding: 0 1; background: $boost; }
    TimelineScreen #tl-status.following { background: $success-muted; }
    """

    BINDINGS = [
        Binding("f", "follow", "Follow", id="timeline.follow"),
        Binding("slash", "filter", "Filter", id="timeline.filter"),
        Binding("x", "export", "Export", id="timeline.export"),
        Binding("u", "utc", "UTC", id="timeline.utc"),
        Binding("t", "types", "Type no.", show=False, id="timeline.types"),
        Binding("d", "detail", "Detail", show=False, id="timeline.detail"),
        Binding("r", "reload", "Reload", show=False, id="timeline.reload"),  # ctrl+r as on every list
        Binding("c", "only_client", "This client", show=False, id="timeline.only_client"),
        Binding("p", "only_person", "This person", show=False, id="timeline.only_person"),
        # f follows here; F is the client group filter that f is on the clients home and billing.
        Binding("F", "cycle_group", "Client group", show=False, id="timeline.group"),
        Binding("0", "preset('today')", "Today", show=False),
        Binding("1", "preset('1h')", "Last hour", show=False),
        Binding("2", "preset('24h')", "24 hours", show=False),
        Binding("3", "preset('7d')", "7 days", show=False),
        Binding("4", "preset('30d')", "30 days", show=False),
        Binding("question_mark", "help", "Keys", id="timeline.help"),
        Binding("escape", "back", "Back", id="timeline.back"),
    ]

    HELP = [
        ("j k ↑ ↓", "Move; page up/down; g first; G last loaded (loads the next page)"),
        ("enter", "Open what the event is about: the member, item, collection, group, policy, staff "
                  "member or client"),
        ("d", "The event in full (type number and name, time in UTC and local)"),
        ("f", "Follow: new events from other staff appear within 2 seconds; your place is kept"),
        ("/", "Filter: client, acting person, type or category, time range (preset or from–to)"),
        ("0 1 2 3 4", "Time range: today (since local midnight), last hour, 24 hours, 7 days, 30 days"),
        ("c", "Only the highlighted event's client (again: every client)"),
        ("p", "Only the highlighted event's acting person (again: anyone)"),
        ("F", "Only the events of one client group's clients (again: the next group; after the last: all)"),
        ("u", "Times in UTC or local"),
        ("t", "Show the type number before each message"),
        ("x", "Export every event of this filter to CSV or JSON lines"),
        ("ctrl+r r", "Reload the newest events"),
        ("esc", "Back"),
    ]

    class OpenSubject(Message):
        """`enter` on an event: what it is about (a client, a member, a staff member)."""

        def __init__(self, subject: timeline.Subject, row: EventRow) -> None:
            super().__init__()
            self.subject = subject
            self.row = row

    def __init__(self, db: Database, actor: Actor, filter: EventFilter | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.actor = actor
        self.flt = filter or EventFilter()
        self.range_label = "custom" if (self.flt.since or self.flt.until) else "30d"
        self.texts: dict = {}
        self.scope: EventScope | None = None
        self.following = False
        self.loading_more = False
        self.exhausted = False
        self.generation = 0
        self.error: str | None = None
        self._timer: Timer | None = None
        self._polling = False
        self.loading_first = False
        self._last_poll_error: str | None = None
        #: The status line's text as last shown (it is updated only when it changes).
        self._status_text: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Event timeline", style="bold"), id="tl-title")
        yield Static("", id="tl-filter")
        yield TimelineTable(id="tl-table")
        yield Static("Loading…", id="tl-status")
        yield KeyBar()

    @property
    def table(self) -> TimelineTable:
        return self.query_one(TimelineTable)

    @property
    def list_table(self) -> TimelineTable:
        return self.table

    def on_mount(self) -> None:
        self.table.focus()
        self.load_first()

    # --- loading ----------------------------------------------------------------------------

    def _summary(self, names: dict) -> str:
        f = self.flt
        clients = names.get("client") or ("" if self.client_group else "all clients")
        if self.client_group:
            clients = ", ".join(filter(None, [f"client group “{self.client_group[1]}”", clients]))
        parts = [clients, names.get("actor") or "anyone"]
        kinds = [*f.categories, *(str(t) for t in f.types)]
        parts.append(", ".join(kinds) if kinds else "all types")
        parts.append(range_summary(f, self.range_label))
        return "Showing " + " · ".join(parts) + "   (/ to filter)"

    def load_first(self) -> None:
        """(Re)load the newest page; any page or poll still in flight for the old filter is ignored."""
        self.generation += 1
        self.loading_more = False
        self.loading_first = True
        self._fetch_first(self.generation)

    @work(thread=True, exclusive=True, group="tl-load")
    def _fetch_first(self, gen: int) -> None:
        try:
            # Who may see what is decided again for every filter (one client can narrow it).
            flt = self.flt
            scope = timeline.scope_for_filter(self.db, self.actor, flt)
            rows = timeline.page(self.db, scope, flt, limit=TIMELINE_PAGE)
            names = timeline.names_for(self.db, flt)
        except MspError as exc:
            message = exc.message
            deliver(self, self._show_error, gen, message)
            return
        deliver(self, self._apply_first, gen, scope, rows, names)

    def _show_error(self, gen: int, message: str) -> None:
        if gen != self.generation:
            return
        self.scope = None
        self.loading_first = False
        self.error = message
        self.table.empty_text = message
        self.table.set_rows([])
        self._status()

    def _scope_text(self) -> str:
        sc = self.scope
        if sc is None:
            return ""
        if sc.organization_id is not None:
            return "one client's events"
        if sc.include_provider_log:
            return "the provider's log and every client"
        return "every client (the provider's own log is for Provider Admins)"

    def _apply_first(self, gen: int, scope: EventScope, rows: list[EventRow], names: dict) -> None:
        if gen != self.generation:
            return
        self.scope = scope
        self.loading_first = False
        self.error = None
        title = Text("Event timeline", style="bold")
        title.append(f" — {self._scope_text()}", style="")
        self.query_one("#tl-title", Static).update(title)
        self.exhausted = len(rows) < TIMELINE_PAGE
        self.table.empty_text = "No events match this filter. Press / to change it, or 4 for 30 days."
        self.table.set_rows(rows)
        self.query_one("#tl-filter", Static).update(Text(self._summary(names)))
        self._status()

    @on(TimelineTable.NearEnd)
    def _near_end(self) -> None:
        if self.loading_more or self.exhausted or self.scope is None or not self.table.rows:
            return
        self.loading_more = True
        self.load_more(self.generation, self.table.oldest_cursor)

    @work(thread=True, group="tl-more")
    def load_more(self, gen: int, before) -> None:
        try:
            rows = timeline.page(self.db, self.scope, self.flt, before=before, limit=TIMELINE_PAGE)
        except MspError as exc:
            message = exc.message
            deliver(self, self._more_failed, message)
            return
        deliver(self, self._apply_more, gen, rows)

    def _more_failed(self, message: str) -> None:
        self.loading_more = False
        self.notify(message, severity="error", markup=False)

    def _apply_more(self, gen: int, rows: list[EventRow]) -> None:
        self.loading_more = False
        if gen != self.generation:
            return
        self.exhausted = len(rows) < TIMELINE_PAGE
        self.table.append(rows)
        self._status()

    # --- follow mode ------------------------------------------------------------------------

    def action_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self._timer = self.set_interval(FOLLOW_INTERVAL, self._poll)
            self._poll()
        elif self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._status()

    def _poll(self) -> None:
        if self._polling or self.loading_first or self.scope is None or self.error:
            return
        self._polling = True
        self.poll_newer(self.generation, self.table.newest_cursor, self.table.top_ids(2 * timeline.FOLLOW_LIMIT))

    @work(thread=True, group="tl-follow")
    def poll_newer(self, gen: int, newest, known: list[int]) -> None:
        try:
            rows, complete = timeline.newer(self.db, self.scope, self.flt, newest, known)
        except MspError as exc:
            message = exc.message
            deliver(self, self._poll_failed, message)
            return
        except Exception as exc:  # noqa: BLE001 - a lost connection must not stop following for good
            message = f"Could not read new events: {exc}"
            deliver(self, self._poll_failed, message)
            return
        deliver(self, self._apply_newer, gen, rows, complete)

    def _poll_failed(self, message: str) -> None:
        self._polling = False
        if message != self._last_poll_error:  # once, not every second while the database is away
            self.notify(message, severity="error", markup=False)
        self._last_poll_error = message

    def _apply_newer(self, gen: int, rows: list[EventRow], complete: bool) -> None:
        self._polling = False
        self._last_poll_error = None
        if gen != self.generation or not self.following:
            return
        if not complete:
            self.load_first()
            return
        if rows:
            self.table.prepend(rows)
            self._status()

    def _status(self) -> None:
        status = self.query_one("#tl-status", Static)
        t = self.table
        if self.error:
            self._status_text = None
            status.update(Text(self.error))
            return
        parts = []
        if self.following:
            parts.append("● Following live" + (f" — {t.unseen} new above (g: go to the newest)"
                                                if t.unseen else ""))
        n = len(t.rows)
        parts.append(f"{n:,} event{'s' if n != 1 else ''} loaded" + ("" if self.exhausted else ", more below"))
        parts.append("times in UTC" if t.utc else "local times")
        if t.current is not None:
            parts.append(f"#{t.current.id} type {t.current.type}")
        text = " · ".join(parts)
        if text != self._status_text:  # most cursor moves change nothing here
            self._status_text = text
            status.update(Text(text), layout=False)  # one fixed line
        status.set_class(self.following, "following")

    @on(TimelineTable.Highlighted)
    def _highlighted(self) -> None:
        self._status()

    # --- the person's actions ---------------------------------------------------------------

    def action_only_client(self) -> None:
        row = self.table.current
        if self.flt.client_ids:
            self.flt = dataclasses.replace(self.flt, client_ids=())
            self.texts["client"] = ""
        elif row is not None and row.organization_id is not None:
            self.flt = dataclasses.replace(self.flt, client_ids=(row.organization_id,))
            self.texts["client"] = row.client_name or str(row.organization_id)
        else:
            return
        self.load_first()

    def client_group_changed(self) -> None:
        """F (ClientGroupFilter): only the events of the chosen client group's clients, or every client's."""
        self.flt = dataclasses.replace(self.flt, client_group=self.client_group_id)
        self.load_first()

    def action_only_person(self) -> None:
        row = self.table.current
        if self.flt.actor_ids:
            self.flt = dataclasses.replace(self.flt, actor_ids=())
            self.texts["actor"] = ""
        elif row is not None and row.acting_account_id is not None:
            self.flt = dataclasses.replace(self.flt, actor_ids=(row.acting_account_id,))
            self.texts["actor"] = row.actor_email or ""
        else:
            return
        self.load_first()

    def action_help(self) -> None:
        self.app.push_screen(TimelineHelpDialog(self.HELP))

    def action_reload(self) -> None:
        self.table.remember_place()
        self.load_first()

    def action_utc(self) -> None:
        self.table.utc = not self.table.utc
        self.table.refresh()
        self._status()

    def action_types(self) -> None:
        self.table.show_type = not self.table.show_type
        self.table.refresh()

    def action_preset(self, preset: str) -> None:
        self.flt = timeline.with_preset(self.flt, preset)
        self.range_label = preset
        self.load_first()

    def action_filter(self) -> None:
        def done(choice: FilterChoice | None) -> None:
            if choice is None:
                return
            # The dialog has no client group field: the one chosen with F stays.
            self.flt = dataclasses.replace(choice.filter, client_group=self.flt.client_group)
            self.range_label = choice.range_label
            self.texts = choice.texts
            self.load_first()

        self.app.push_screen(TimelineFilterDialog(self.db, self.actor, self.texts, self.range_label), done)

    def action_export(self) -> None:
        if self.scope is None or self.error:
            return
        summary = self.query_one("#tl-filter", Static).content
        self.app.push_screen(TimelineExportDialog(self.db, self.scope, self.flt, str(summary)), self._exported)

    def _exported(self, result) -> None:
        if result:
            n, path = result
            self.notify(f"Exported {n:,} events to {path}", title="Export", markup=False)

    def action_detail(self) -> None:
        row = self.table.current
        if row is not None:
            self.app.push_screen(TimelineEventDialog(row, self.table.utc))

    @on(TimelineTable.Selected)
    def _selected(self, event: TimelineTable.Selected) -> None:
        """Open what the event is about: through the app's hooks when it has them."""
        row = event.row
        subject = timeline.subject_of(row)
        self.post_message(self.OpenSubject(subject, row))
        app = self.app
        client_tabs = {"item": "vault", "policy": "policies", "group": "groups"}
        if subject.kind in client_tabs and hasattr(app, "open_client"):
            app.open_client(subject.organization_id, tab=client_tabs[subject.kind])
        elif subject.kind == "collection" and hasattr(app, "open_client"):
            from msp_tui.screens.collections import CollectionAccessScreen

            app.open_client(subject.organization_id, tab="collections")
            app.push_screen(CollectionAccessScreen(subject.organization_id, subject.target_id))
        elif subject.kind == "member" and hasattr(app, "open_member"):
            app.open_member(subject.organization_id, subject.target_id)
        elif subject.kind == "member":
            from msp_tui.screens.members import MembersScreen

            app.push_screen(MembersScreen(self.db, self.actor, subject.organization_id,
                                          focus_member=subject.target_id))
        elif subject.kind == "staff" and hasattr(app, "open_staff"):
            app.open_staff(subject.target_id)
        elif subject.kind == "client" and hasattr(app, "open_client"):
            app.open_client(subject.organization_id)
        else:
            app.push_screen(TimelineEventDialog(row, self.table.utc))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()
