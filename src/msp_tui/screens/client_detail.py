"""One client: overview, members, groups, collections, events and billing; rename and change seats here;
v, p and m open the client's vault, policies and members (the same on every tab). On the groups and
collections tabs `n` creates one and enter opens it; enter on a member sets their groups.

What it shows follows changes made elsewhere: on coming back from another screen, and when a new
event of this client appears (another person, another process), it reloads."""

from __future__ import annotations

import uuid

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TabbedContent, TabPane

from msp_tui.core import event_text
from msp_tui.core.access import Action, Decision
from msp_tui.core.enums import MemberRole
from msp_tui.core.errors import BadInput, MspError, Refused
from msp_tui.core.schemas import Rename, Seats, parse
from msp_tui.core.services import clients as client_service
from msp_tui.screens.base import MspScreen
from msp_tui.screens.confirm import AskModal, ConfirmModal, TypeNameModal
from msp_tui.widgets.paged_table import Column, Page, PagedTable, list_fetcher
from msp_tui.widgets.text import plain

TABS = ["overview", "members", "groups", "collections", "events", "billing"]
RECENT_EVENTS = 8
#: How often (seconds) the screen asks whether this client has a new event.
CHANGE_CHECK_INTERVAL = 2.0


def _field_error(model, **value) -> str | None:
    try:
        parse(model, **value)
    except BadInput as exc:
        return exc.message
    return None


def load_overview(db, actor, org_id: uuid.UUID) -> dict:
    from msp_tui.core.services import members, timeline

    from msp_tui.core.services.policies import drifted_client_ids

    client = client_service.get_client(db, actor, org_id)
    owners = [m for m in members.list_members(db, actor, org_id) if m.role == MemberRole.OWNER]
    scope = timeline.scope_for(db, actor, org_id)
    recent = timeline.page(db, scope, limit=RECENT_EVENTS)
    drifted = org_id in drifted_client_ids(db, actor, [org_id])
    return {"client": client, "owners": owners, "recent": recent, "drifted": drifted,
            "newest": recent[0].id if recent else None}


def newest_event_id(db, actor, org_id: uuid.UUID) -> int | None:
    """The id of this client's newest event (a change anywhere writes one)."""
    from msp_tui.core.services import timeline

    rows = timeline.page(db, timeline.scope_for(db, actor, org_id), limit=1)
    return rows[0].id if rows else None


def event_fetcher(db, actor, org_id: uuid.UUID):
    from msp_tui.core.services import timeline

    scope_box: dict = {}

    def fetch(cursor, limit, backward) -> Page:
        if "scope" not in scope_box:
            scope_box["scope"] = timeline.scope_for(db, actor, org_id)
        rows = timeline.page(db, scope_box["scope"], before=cursor, limit=limit)
        return Page(rows, rows[-1].cursor if len(rows) == limit else None)

    return fetch


EVENT_COLUMNS = [
    Column("date", "When (UTC)", 16, lambda e: e.date.strftime("%Y-%m-%d %H:%M"), priority=1),
    Column("actor", "Who", 24, lambda e: plain(e.actor_name or e.actor_email or "—"), min_width=14, priority=2),
    Column("what", "What", 0, lambda e: plain(event_text.describe(e.type, e.detail)), min_width=40, priority=0),
]
MEMBER_COLUMNS = [
    Column("email", "Email", 0, lambda m: plain(m.email), ratio=3, min_width=30, priority=0),
    Column("name", "Name", 0, lambda m: plain(m.name), ratio=2, min_width=12, priority=3),
    Column("role", "Role", 8, lambda m: m.role.label, priority=1),
    Column("status", "Status", 9, lambda m: m.status.label, priority=1),
    Column("groups", "Groups", 24, lambda m: plain(", ".join(m.groups)), min_width=10, priority=4),
]
GROUP_COLUMNS = [
    Column("name", "Group", 0, lambda g: plain(g.name)),
    Column("members", "Members", 8, lambda g: str(g.members), align="right"),
]
COLLECTION_COLUMNS = [
    Column("name", "Collection", 0, lambda c: plain(c.name)),
    Column("members", "Members", 8, lambda c: str(len(c.members)), align="right"),
    Column("groups", "Groups", 7, lambda c: str(len(c.groups)), align="right"),
]


def ask_unlink(screen: MspScreen, org_id: uuid.UUID, name: str, after=None) -> None:
    """Unlinking asks for the client's name, then core decides (it must keep a non-staff Owner)."""

    def done(ok: bool | None) -> None:
        if not ok:
            return

        def finished(_result) -> None:
            screen.app.say(f"Unlinked {name}.")
            if after:
                after()

        screen.run_db(client_service.unlink, screen.db, screen.actor, org_id, confirm_name=name, on_done=finished)

    screen.app.push_screen(TypeNameModal("Unlink client", name, Text(
        "The organization stays, with its members and vault; this provider stops managing it."),
        confirm_label="Unlink"), done)


class ClientDetailScreen(MspScreen):
    TITLE_TEXT = "Client"
    GUARDED = {"rename": Action.RENAME_CLIENT, "seats": Action.CHANGE_SEATS, "unlink": Action.UNLINK_CLIENT,
               "vault": Action.ACCESS_ASSIGNED_ITEMS, "policies": Action.VIEW_POLICIES,
               "members": Action.VIEW_MEMBERS, "tab_billing": Action.VIEW_CLIENT_BILLING,
               # What the tabs' keys need (n and enter mean the tab's own thing; see TAB_ACTIONS).
               "new_group": Action.MANAGE_GROUPS, "new_collection": Action.CREATE_COLLECTION,
               "member_groups": Action.MANAGE_MEMBERS, "rotate_key": Action.ROTATE_CLIENT_KEY}
    #: `n` on a tab → the guarded action it runs.
    TAB_NEW = {"groups": "new_group", "collections": "new_collection"}
    HIDDEN_WHEN_REFUSED = frozenset({"unlink"})
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("n", "new", "New", id="new"),  # only on the groups and collections tabs
        Binding("r", "rename", "Rename", id="rename"),
        Binding("e", "seats", "Seats", id="seats"),
        Binding("u", "unlink", "Unlink", id="unlink"),
        Binding("K", "rotate_key", "Rotate key", show=False, id="rotate_key"),  # rare: listed under ?
        Binding("v", "vault", "Vault", id="vault"),
        Binding("p", "policies", "Policies", id="policies"),
        Binding("m", "members", "Members", id="members"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="reload"),
        *[Binding(str(i + 1), f"tab('{t}')", f"{t.capitalize()} tab", show=False) for i, t in enumerate(TABS)],
    ]

    def __init__(self, organization_id: uuid.UUID, tab: str | None = None) -> None:
        super().__init__()
        self.client_id = organization_id
        self.guard_organization_id = organization_id
        self.initial_tab = tab if tab in TABS else "overview"
        self.client = None
        # The billing pane mounts once, however often decisions arrive (two answers in one frame
        # once mounted it twice: the removed reason line was still there for the second).
        self._billing_shown = False
        #: The newest event shown; a newer one (any process) reloads the screen.
        self._newest_seen: int | None = None
        self._stale = False

    def compose(self) -> ComposeResult:
        from msp_tui.core.services import collections, groups, members

        db, actor, org = self.db, self.actor, self.client_id
        yield from self.compose_header()
        yield Static(Text("Loading…"), id="client-title", classes="title-line")
        with TabbedContent(initial=self.initial_tab, id="tabs"):
            with TabPane("1 Overview", id="overview"):
                yield Static(id="overview-body")
            with TabPane("2 Members", id="members"):
                yield PagedTable(columns=MEMBER_COLUMNS, fetch=list_fetcher(
                    lambda: members.list_members(db, actor, org)), row_key=lambda m: m.id,
                    empty_text="No members.", markable=False, id="members-table")
            with TabPane("3 Groups", id="groups"):
                yield PagedTable(columns=GROUP_COLUMNS, fetch=list_fetcher(
                    lambda: groups.list_groups(db, actor, org)), row_key=lambda g: g.id,
                    empty_text=Text("No groups. n creates one."), markable=False, id="groups-table")
            with TabPane("4 Collections", id="collections"):
                yield PagedTable(columns=COLLECTION_COLUMNS, fetch=list_fetcher(
                    lambda: collections.list_collections(db, actor, org)), row_key=lambda c: c.id,
                    empty_text=Text("No collections. n creates one."), markable=False, id="collections-table")
            with TabPane("5 Events", id="events"):
                yield PagedTable(columns=EVENT_COLUMNS, fetch=event_fetcher(db, actor, org), row_key=lambda e: e.id,
                                 empty_text="No events in the last 90 days.", can_fetch_backward=False,
                                 openable=False, markable=False, id="events-table")
            with TabPane("6 Billing", id="billing"):
                yield Static(Text("Checking whether you may see this client's billing…", style="dim"),
                             id="billing-reason")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.action_reload()
        self.set_interval(CHANGE_CHECK_INTERVAL, self._check_changes)

    # --- following changes made elsewhere (as the clients home and the timeline's follow mode) ------

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        # Members, vault or policies may change what this screen shows; a dialog of ours reloads itself.
        self._stale = not isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.action_reload()

    def grants_changed(self) -> None:
        """The session timer saw this person's break-glass grants change (one ended, was ended, or ran
        out). Core decides whether she may still see this client; if not, its screen (and what she
        opened over it) closes back to her home and says why, rather than show what is no longer hers."""
        if self.actor is None:
            return
        self.run_db(client_service.get_client, self.db, self.actor, self.client_id, on_done=lambda _c: None,
                    on_error=self._access_ended, group="grant-check", exclusive=True)

    def _access_ended(self, exc: MspError) -> None:
        if not (isinstance(exc, Refused) and exc.rule == "S12") or self not in self.app.screen_stack:
            return  # another refusal (the database away for a moment) is not the grant's end
        name = self.client.name if self.client is not None else "this client"
        self.app.say(f"Your break-glass access to {name} has ended.")
        while self in self.app.screen_stack:
            self.app.pop_screen()

    def _check_changes(self) -> None:
        if self.app.screen is not self or self.actor is None:
            return
        self.run_db(newest_event_id, self.db, self.actor, self.client_id, on_done=self._newest,
                    on_error=lambda _exc: None, group="changes", exclusive=True)

    def _newest(self, newest: int | None) -> None:
        if newest != self._newest_seen:
            self._newest_seen = newest
            self.action_reload()

    def action_reload(self) -> None:
        if self.actor is None:  # signed out under us (the lock screen's sign out): nothing to load as nobody
            return
        self.run_db(load_overview, self.db, self.actor, self.client_id, on_done=self._show_overview,
                    group="overview", exclusive=True)
        for table in self.query(PagedTable):
            table.reload(keep_position=True)

    def _show_overview(self, data: dict) -> None:
        from msp_tui.screens.clients import _flags

        c = data["client"]
        self.client = c
        self._newest_seen = data["newest"]
        # The same flags as the client's row on the clients home.
        title = Text.assemble(plain(c.name, "bold"), "  ", (c.plan.label, ""), "  ", _flags(c, data["drifted"]))
        self.query_one("#client-title", Static).update(title)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        grid.add_row("Plan", c.plan.label)
        grid.add_row("Seats", f"{c.seats} assigned · {c.used} used · {c.remaining} remaining")
        grid.add_row("Status", c.status.name.capitalize())
        grid.add_row("Billing email", plain(c.billing_email))
        owners = plain(", ".join(f"{o.email} ({o.status.label})" for o in data["owners"]) or "none")
        grid.add_row("Owners", owners)
        grid.add_row("Policies", "Enterprise: policies can be set" if c.plan.is_enterprise
                     else "Teams plan: policies need Enterprise")
        grid.add_row("Created", c.created_at.strftime("%Y-%m-%d"))
        grid.add_row("", "")
        grid.add_row("Recent events", "")
        for e in data["recent"]:
            grid.add_row(Text(e.date.strftime("%Y-%m-%d %H:%M"), style="dim"),
                         plain(f"{e.actor_name or e.actor_email or '—'}: {event_text.describe(e.type, e.detail)}"))
        if not data["recent"]:
            grid.add_row("", Text("none in the last 90 days", style="dim"))
        self.query_one("#overview-body", Static).update(grid)

    def _got_decisions(self, decisions) -> None:
        super()._got_decisions(decisions)
        d = decisions.get("tab_billing")
        reason = self.query("#billing-reason")
        if d is None or not reason or self._billing_shown:
            return
        if d.allowed:
            from msp_tui.screens.billing import ClientBillingPane

            self._billing_shown = True
            reason.first().remove()
            pane = ClientBillingPane(self.db, self.actor, self.client_id, id="billing-pane")
            self.query_one("#billing", TabPane).mount(pane)
            if self.active_tab == "billing":
                pane.focus()  # its keys ($ payment method) answer at once
        else:
            reason.first().update(Text(f"{d.reason} [{d.rule}]"))

    def action_back(self) -> None:
        self.app.pop_screen()

    # --- this client's other screens (screens/areas.py CLIENT_SCREENS) ------------------------------

    def _open(self, name: str) -> None:
        from msp_tui.screens.areas import CLIENT_SCREENS

        self.app.push_screen(CLIENT_SCREENS[name](self.app, self.client_id))

    def action_vault(self) -> None:
        self._open("vault")

    def action_policies(self) -> None:
        self._open("policies")

    def action_members(self) -> None:
        from msp_tui.screens.areas import CLIENT_SCREENS

        if "members" in CLIENT_SCREENS:
            self._open("members")
        else:
            self.action_tab("members")

    def action_tab_billing(self) -> None:
        self.action_tab("billing")

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        tables = pane.query("PagedTable, ClientBillingPane")
        if tables:
            tables.first().focus()

    def action_tab_events(self) -> None:
        self.action_tab("events")

    # --- edits ------------------------------------------------------------------------------------

    def action_rename(self) -> None:
        c = self.client
        if c is None:
            return

        def save(name: str):
            if name.strip() == c.name:
                return None
            return client_service.rename(self.db, self.actor, c.id, name, expected_version=c.version)

        def done(view) -> None:
            if view is not None:
                self._changed(view)
            else:
                self.action_reload()  # after a refusal (a stale edit), show what is there now

        # A refusal (a name another client has in any case, a stale edit) stays in the dialog.
        self.app.push_screen(AskModal("Rename client", "New name", value=c.name,
                                      check=lambda v: _field_error(Rename, name=v), save=save), done)

    def action_access_report(self, days: int = 90) -> None:
        """The client's access report (issue 18) for the last `days` days, to a file named here."""
        c = self.client
        if c is None:
            return
        import os
        import re
        from datetime import timedelta

        from msp_tui.core import clock
        from msp_tui.core.errors import BadInput, MspError, Refused
        from msp_tui.core.services import access_report

        slug = re.sub(r"[^a-z0-9]+", "-", c.name.lower()).strip("-") or "client"
        default = os.path.join(os.path.expanduser("~"), f"{slug}-access-{clock.now():%Y-%m-%d}.html")

        def save(path: str):
            path = os.path.expanduser(path.strip())
            access_report.format_for(path, None)
            report = access_report.build(self.db, self.actor, c.id, clock.now() - timedelta(days=days))
            try:
                access_report.write(report, path)
            except OSError as exc:
                raise BadInput(f"{path}: {exc.strerror or exc}.", "output") from None
            return path, report

        def done(result) -> None:
            if result:
                path, report = result
                state = "verified" if report.verification.ok else "BROKEN"
                self.app.notify(f"Wrote {path}: {sum(p.total for p in report.people)} actions by "
                                f"{len(report.people)} people; event log {state}.", markup=False)

        self.app.push_screen(AskModal("Access report", f"Every provider staff action on {c.name} in the last "
                                      f"{days} days, for the client: write it to (.html or .csv)",
                                      value=default, save=save), done)

    def action_seats(self) -> None:
        c = self.client
        if c is None:
            return

        def check(v: str) -> str | None:
            v = v.strip()
            if not v.isdigit():
                return "Seats are a whole number, e.g. 25."
            return _field_error(Seats, seats=int(v))

        def save(value: str):
            return client_service.change_seats(self.db, self.actor, c.id, int(value.strip()),
                                               expected_version=c.version)

        def done(view) -> None:
            if view is not None:
                self._changed(view)
            else:
                self.action_reload()  # after a refusal (a stale edit), show what is there now

        # Core's seats refusal (fewer seats than members in them) stays in the dialog, by the number.
        self.app.push_screen(AskModal("Change seats", f"Seats ({c.used} in use now)", value=str(c.seats),
                                      check=check, save=save), done)

    def _changed(self, view) -> None:
        self.app.say(f"Saved {view.name}: {view.seats} seats.")
        self.action_reload()

    def action_unlink(self) -> None:
        c = self.client
        if c is not None:
            ask_unlink(self, c.id, c.name, after=self.app.pop_screen)

    def action_rotate_key(self) -> None:
        """A new org key for the client (as `msp-tui clients rotate-key`): after someone who held it left."""
        c = self.client
        if c is None:
            return
        from msp_tui.core.services import org_keys

        def rotated(done) -> None:
            damaged = f" {done.damaged} damaged left as they were." if done.damaged else ""
            self.app.say(f"Rotated the key of {done.client}: {done.items:,} items and {done.collections} collection "
                         f"names encrypted again, sealed to {done.members} members.{damaged}")
            self.action_reload()

        def ask(ok: bool | None) -> None:
            if ok:
                self.app.notify(f"Rotating the key of {c.name}…", timeout=3, markup=False)
                self.run_db(org_keys.rotate_org_key, self.db, self.actor, c.id, on_done=rotated,
                            exclusive=True, group="rotate-key")

        self.app.push_screen(ConfirmModal("Rotate client key", plain(
            f"Give {c.name} a new key? Every item and collection name is encrypted again under it, and it is "
            "sealed to the provider and each confirmed member. Someone who kept the old key can no longer read "
            "this client's data in the database file."), confirm_label="Rotate"), ask)

    # --- the tabs' own keys: n creates, enter opens (core decides; refusals show core's reason) ----

    CLIENT_ROW_KEYS = {"rename", "seats", "unlink"}  # act on the client itself, not on a tab's row

    @property
    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        inside = self.query_one(f"#{self.active_tab}", TabPane).query("PagedTable, ClientBillingPane")
        if inside:
            inside.first().focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.CLIENT_ROW_KEYS and self.active_tab in self.TAB_NEW:
            return False  # on a tab of groups or collections, "r Rename" would read as renaming the row
        if action == "new":
            guarded = self.TAB_NEW.get(self.active_tab)
            if guarded is None:
                return False  # nothing to create on this tab: the key leaves the bar
            return super().check_action(guarded, parameters)
        return super().check_action(action, parameters)

    def refusal_for(self, action: str) -> Decision | None:
        if action == "new":
            guarded = self.TAB_NEW.get(self.active_tab)
            return super().refusal_for(guarded) if guarded else None
        return super().refusal_for(action)

    def _reload_after(self, message: str | None) -> None:
        if message:
            self.app.say(message)
            self.action_reload()

    def action_new(self) -> None:
        if self.active_tab == "groups":
            self._group_dialog(None)
        elif self.active_tab == "collections":
            self._new_collection()

    @on(PagedTable.Opened)
    def _opened(self, event: PagedTable.Opened) -> None:
        table = event.table.id
        guarded = {"members-table": "member_groups", "groups-table": "new_group"}.get(table)
        refusal = self.refusal_for(guarded) if guarded else None
        if refusal is not None:
            self.app.show_refusal(refusal)
        elif table == "members-table":
            self._member_groups(event.row)
        elif table == "groups-table":
            self._group_dialog(event.row)
        elif table == "collections-table":
            from msp_tui.screens.collections import CollectionAccessScreen

            self.app.push_screen(CollectionAccessScreen(self.client_id, event.row.id))

    def _group_dialog(self, group) -> None:
        """A group's name and members in one dialog (a new group when `group` is None)."""
        from msp_tui.core.services import groups, members

        db, actor, org = self.db, self.actor, self.client_id

        def load():
            inside = groups.group_member_ids(db, actor, org, group.id) if group else set()
            return members.list_members(db, actor, org), inside

        def show(found) -> None:
            from msp_tui.widgets.group_dialogs import ChecklistDialog

            people, inside = found
            options = [(m.email, m.id, m.id in inside) for m in people]

            def submit(name, ticked) -> str:
                if group is None:
                    made = groups.create_group(db, actor, org, name)
                    if ticked:
                        groups.set_group_members(db, actor, org, made.id, ticked)
                    return f"Created group {made.name} with {len(ticked)} member{'s' if len(ticked) != 1 else ''}."
                if name.strip() != group.name:
                    groups.rename_group(db, actor, org, group.id, name, expected_version=group.version)
                changed = groups.set_group_members(db, actor, org, group.id, ticked)
                return f"Saved group {name.strip()}" + (f" ({changed} member{'s' if changed != 1 else ''} "
                                                        "joined or left)." if changed else ".")

            def delete() -> str:
                groups.delete_group(db, actor, org, group.id)
                return f"Deleted group {group.name}; its members stay members of the client."

            title = "New group" if group is None else f"Group {group.name}"
            self.app.push_screen(ChecklistDialog(title, options, submit, name=group.name if group else "",
                                                 empty="This client has no members yet.",
                                                 delete=delete if group else None), self._reload_after)

        self.run_db(load, on_done=show)

    def _member_groups(self, member) -> None:
        """Which groups one member is in (as `members set-groups`)."""
        from msp_tui.core.services import groups, members

        db, actor, org = self.db, self.actor, self.client_id

        def show(known) -> None:
            from msp_tui.widgets.group_dialogs import ChecklistDialog

            options = [(g.name, g.id, g.name in member.groups) for g in known]

            def submit(_name, ticked) -> str:
                v = members.set_groups(db, actor, org, member.id, ticked)
                return f"{v.email} is in {', '.join(v.groups) or 'no group'}."

            self.app.push_screen(ChecklistDialog(f"Groups of {member.email}", options, submit,
                                                 list_label="Groups (space ticks)",
                                                 empty="This client has no groups yet: n on the groups tab "
                                                       "creates one."), self._reload_after)

        self.run_db(groups.list_groups, db, actor, org, on_done=show)

    def _new_collection(self) -> None:
        from msp_tui.core.schemas import CollectionInput
        from msp_tui.core.services import collections

        def done(name: str | None) -> None:
            if name is None:
                return
            self.run_db(collections.create_collection, self.db, self.actor, self.client_id, name,
                        on_done=lambda v: self._reload_after(f"Created collection {v.name}; enter on it gives "
                                                             "access."))

        self.app.push_screen(AskModal("New collection", "Name (encrypted with the client's key)",
                                      check=lambda v: _field_error(CollectionInput, name=v)), done)
