"""What every signed-in screen shares: header, footer, database workers, and who-may-do-what.

A screen lists the bindings core decides on in `GUARDED` (action name → core `Action`). The
decisions come from `core.access.standing_for` + `decide` in a worker; until they arrive, and
whenever core says no, the binding is greyed out (`check_action` → None) and pressing it shows
core's reason (see `MspApp.run_action`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Static

from msp_tui.core.access import Action, Decision, decide, standing_for
from msp_tui.core.errors import MspError
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import PagedTable
from msp_tui.widgets.threads import deliver


def decisions_for(db, actor, actions: dict[str, Action], organization_id: uuid.UUID | None = None
                  ) -> dict[str, Decision]:
    """Core's decision for each guarded action (provider-level ones against the provider)."""
    from msp_tui.core.access import PROVIDER_ACTIONS

    with db.read() as s:
        org_standing = standing_for(s, actor, organization_id=organization_id) if organization_id else None
        prov_standing = standing_for(s, actor)
    out = {}
    for name, action in actions.items():
        standing = org_standing if (org_standing is not None and action not in PROVIDER_ACTIONS) else prov_standing
        out[name] = decide(standing, action)
    return out


class DbWork(Screen):
    """What every screen that reads or writes through core shares: one way to do it off the UI thread."""

    def run_db(self, fn: Callable, *args, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[MspError], None] | None = None, group: str = "db",
               exclusive: bool = False, **kwargs) -> None:
        """Run `fn(*args, **kwargs)` in a thread; hand its result (or core's refusal) back on the UI thread."""

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except MspError as exc:
                deliver(self, on_error or self.show_error, exc)
                return
            if on_done is not None:
                deliver(self, on_done, result)

        self.run_worker(job, thread=True, group=group, exclusive=exclusive)

    def show_error(self, exc: MspError) -> None:
        self.app.show_error(exc)


class MspScreen(DbWork):
    """Base of signed-in screens."""

    TITLE_TEXT = "msp-tui"
    #: action name → core Action; greyed out unless core allows it.
    GUARDED: dict[str, Action] = {}
    #: Guarded actions hidden (not just greyed) when refused: a Service User sees no staff management,
    #: no "add existing", no unlink. Help still lists them with core's reason; pressing them says why.
    HIDDEN_WHEN_REFUSED: frozenset[str] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.decisions: dict[str, Decision] = {}

    @property
    def db(self):
        return self.app.db

    @property
    def actor(self):
        return self.app.actor

    #: The client whose standing decides org-level actions (None: the provider).
    guard_organization_id: uuid.UUID | None = None

    def compose_header(self):
        yield AppHeader(self.TITLE_TEXT)

    def compose_footer(self):
        yield KeyBar()

    def on_mount(self) -> None:
        self.load_decisions()

    def load_decisions(self) -> None:
        if not self.GUARDED:
            return
        org = self.guard_organization_id
        self.run_db(decisions_for, self.db, self.actor, dict(self.GUARDED), org, on_done=self._got_decisions,
                    group="decisions")

    def _got_decisions(self, decisions: dict[str, Decision]) -> None:
        self.decisions = decisions
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.GUARDED:
            d = self.decisions.get(action)
            if d is not None and d.allowed:
                return True
            return False if d is not None and action in self.HIDDEN_WHEN_REFUSED else None
        return True

    def refusal_for(self, action: str) -> Decision | None:
        """Core's refusal for a guarded action, or None when it is allowed (or not guarded)."""
        if action not in self.GUARDED:
            return None
        d = self.decisions.get(action)
        if d is None:
            return Decision(False, "loading", "Still checking what you may do here; try again in a moment.")
        return None if d.allowed else d

class ListScreen(DbWork):
    """What every list screen shares, so a key does the same on each (README "Keys").

    The table (a PagedTable, `list_table`) moves with j/k/g/G/home/end/page keys, marks with space
    where something acts on marks, and posts enter as `open_row(row)`. The screen adds: `/` filters
    (`compose_filter` yields the bar; `filter_changed` narrows the table), `n` creates or invites
    (`NEW_LABEL`; where nothing is created it says so), `ctrl+r` reloads (`action_reload`), and `esc`
    clears an open filter first, then goes back.

    Mix it in before the screen's other base (`class X(ListScreen, MspScreen)`).
    """

    #: What `n` does here, as the key bar shows it ("New client", "Invite"); None: nothing is created.
    NEW_LABEL: str | None = None
    #: The list's name in messages ("clients", "members").
    ROWS_NAME = "rows"
    #: Why `/` does nothing on a list without a filter bar (the key leaves the bar; pressing it says this).
    NO_FILTER_REASON = "This list is not filtered."

    BINDINGS = [
        Binding("escape", "back", "Back", id="list.back"),
        Binding("slash", "filter", "Filter", id="list.filter"),
        Binding("n", "new", "New", id="list.new"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="list.reload"),
    ]

    @property
    def list_table(self) -> PagedTable:
        return self.query_one(PagedTable)

    @property
    def key_labels(self) -> dict[str, str]:
        return {"new": self.NEW_LABEL or "New"}

    # --- the filter bar ---------------------------------------------------------------------------

    def compose_filter(self, placeholder: str = "type to filter (esc clears)") -> ComposeResult:
        with Horizontal(id="filter-bar", classes="filter-bar"):
            yield Static(Text("Filter /", style="bold"), id="filter-label")
            yield Input(placeholder=placeholder, id="filter")

    def _filter_box(self) -> Input | None:
        found = self.query("#filter-bar Input")
        return found.first(Input) if found else None

    def filter_being_typed(self) -> bool:
        """The filter bar is open with the cursor in it. Not focus alone: a new screen may focus the
        hidden box for a moment before the table takes it (the home after the sign-in screen did)."""
        box = self._filter_box()
        return box is not None and box.has_focus and self.query_one("#filter-bar").display

    def action_filter(self) -> None:
        box = self._filter_box()
        if box is None:
            return
        self.query_one("#filter-bar").display = True
        box.focus()

    @on(Input.Changed, "#filter-bar Input")
    def _list_filter_changed(self, event: Input.Changed) -> None:
        self.filter_changed(event.value)

    @on(Input.Submitted, "#filter-bar Input")
    def _list_filter_submitted(self) -> None:
        self.list_table.focus()
        self.filter_done()

    def filter_changed(self, text: str) -> None:
        """Narrow the list as the person types (a screen with SQL pages refetches instead)."""
        self.list_table.set_filter(text)

    def filter_done(self) -> None:
        """The filter box was left (enter or esc)."""

    def clear_filter(self) -> bool:
        """Close the filter bar and empty it; False when there was nothing to clear."""
        box = self._filter_box()
        if box is None:
            return False
        bar = self.query_one("#filter-bar")
        if not bar.display and not box.value:
            return False
        if box.value:
            box.value = ""
            self.filter_changed("")
        bar.display = False
        self.list_table.focus()
        self.filter_done()
        return True

    def on_mount(self) -> None:
        if self.query("#filter-bar"):
            self.query_one("#filter-bar").display = False

    # --- keys -------------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.clear_filter():
            return
        if len(self.app.screen_stack) > 1:
            self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new" and self.NEW_LABEL is None:
            return False  # not in the key bar; pressing n says why (refusal_for)
        if action == "filter" and self.is_mounted and self._filter_box() is None \
                and type(self).action_filter is ListScreen.action_filter:
            return False  # no filter bar here (the timeline has its own dialog)
        return super().check_action(action, parameters)

    def refusal_for(self, action: str) -> Decision | None:
        if action == "new" and self.NEW_LABEL is None:
            return Decision(False, "keys", "Nothing is created on this screen (n makes something new "
                                           "where it can: clients, staff, members, vault items).")
        if action == "filter" and self.check_action("filter", ()) is False:
            return Decision(False, "keys", self.NO_FILTER_REASON)
        parent = getattr(super(), "refusal_for", None)
        return parent(action) if parent is not None else None

    def action_new(self) -> None:
        """n: create or invite (screens with NEW_LABEL override this)."""

    def action_reload(self) -> None:
        """ctrl+r: load the list again, keeping the cursor's row and the marks."""

    @on(PagedTable.Opened)
    def _list_opened(self, event: PagedTable.Opened) -> None:
        event.stop()
        self.open_row(event.row)

    def open_row(self, row: Any) -> None:
        """enter on a row."""

    def marked_rows(self) -> list:
        """The rows marked in the list (empty when none are)."""
        table = self.list_table
        return [r for r in table.rows if table.row_key(r) in table.marked]

    def one_row(self, verb: str) -> Any | None:
        """The highlighted row, for an action that takes one row at a time. With other rows marked
        it acts on nothing and says so plainly (marks are for the keys that act on several)."""
        table = self.list_table
        row = table.current_row
        others = table.marked - ({table.row_key(row)} if row is not None else set())
        if others:
            self.app.notify(f"{verb} takes one row at a time, not the {len(table.marked)} marked: "
                            "unmark them (space) first.", title="Marks not used", severity="warning",
                            markup=False)
            return None
        return row
