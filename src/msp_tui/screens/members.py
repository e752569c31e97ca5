"""Member roles for one client: invite, re-invite, confirm, role and Custom flags, revoke, restore,
remove — one member or every marked one at once. Core decides; this screen greys out what core
would refuse and shows core's reason."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from msp_tui.core.access import Decision
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import MemberRole, MemberStatus
from msp_tui.core.errors import MspError
from msp_tui.core.services import members as member_service
from msp_tui.core.services.member_actions import MemberPanel, load
from msp_tui.core.services.members import MemberView
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.widgets.member_dialogs import MemberInviteDialog, MemberReasonsDialog, MemberRoleDialog
from msp_tui.widgets.timeline_table import inert
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import deliver

#: Screen actions that act on members, with the key and what the reasons dialog calls them.
MEMBER_ACTIONS = {
    "reinvite": ("r", "Send the invitation again"),
    "confirm": ("c", "Confirm (gives them the organization key)"),
    "role": ("e", "Change role and Custom permissions"),
    "revoke": ("x", "Revoke access (keeps the member)"),
    "restore": ("u", "Restore a revoked member"),
    "remove": ("delete", "Remove from the organization"),
}
VERBS = {"reinvite": "Re-invited", "confirm": "Confirmed", "role": "Updated", "revoke": "Revoked",
         "restore": "Restored", "remove": "Removed"}


class MembersScreen(Screen):
    """Every member of a client with role, status, groups and two-step login."""

    DEFAULT_CSS = """
    MembersScreen #m-title { height: 1; background: $boost; padding: 0 1; }
    MembersScreen DataTable { height: 1fr; }
    MembersScreen #m-why { height: 2; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("space", "mark", "Mark", show=False, id="members.mark"),
        Binding("a", "mark_all", "Mark all", show=False, id="members.mark_all"),
        Binding("i", "invite", "Invite", id="members.invite"),
        Binding("r", "reinvite", "Re-invite", show=False, id="members.reinvite"),
        Binding("c", "confirm", "Confirm", id="members.confirm"),
        Binding("e", "role", "Role", id="members.role"),
        Binding("x", "revoke", "Revoke", id="members.revoke"),
        Binding("u", "restore", "Restore", id="members.restore"),
        Binding("delete", "remove", "Remove", id="members.remove"),
        Binding("question_mark", "why", "Why", id="members.why"),
        Binding("g", "reload", "Reload", show=False),
        Binding("escape", "back", "Back", id="members.back"),
    ]

    def __init__(self, db: Database, actor: Actor, organization_id: uuid.UUID | str,
                 focus_member: uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.actor = actor
        self.organization_id = organization_id
        self.focus_member = focus_member
        self.panel: MemberPanel | None = None
        self.marked: set[uuid.UUID] = set()
        self.by_id: dict[uuid.UUID, MemberView] = {}
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Members", style="bold"), id="m-title")
        table = DataTable(id="m-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="m-why")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def _columns(self) -> None:
        """Column widths for the terminal's width (80 columns up to wide screens)."""
        wide = self.size.width >= 110
        widths = ((30, 20, 11, 14, 18, 8) if wide else (22, 12, 10, 10, 6, 3))
        labels = ("Email", "Name", "Role", "Status", "Groups", "Two-step" if wide else "2FA")
        t = self.table
        t.add_column("", key="mark", width=1)
        for key, label, width in zip(("email", "name", "role", "status", "groups", "twostep"), labels, widths):
            t.add_column(label, key=key, width=width)

    # --- loading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="members-load")
    def reload(self) -> None:
        try:
            panel = load(self.db, self.actor, self.organization_id)
        except MspError as exc:
            message = exc.message
            deliver(self, self._failed_load, message)
            return
        deliver(self, self._show, panel)

    def action_reload(self) -> None:
        self.reload()

    def _failed_load(self, message: str) -> None:
        self.error = message
        self.query_one("#m-why", Static).update(Text(message))
        self.refresh_bindings()

    def _show(self, panel: MemberPanel) -> None:
        self.error = None
        self.panel = panel
        self.organization_id = panel.organization_id
        self.by_id = {m.id: m for m in panel.members}
        self.marked &= set(self.by_id)
        t = self.table
        keep = self._current_id() or self.focus_member
        self.focus_member = None
        t.clear()
        if not t.columns:
            self._columns()
        for m in panel.members:
            t.add_row(*self._cells(m), key=str(m.id))
        if keep is not None and keep in self.by_id:
            t.move_cursor(row=t.get_row_index(str(keep)))
        title = Text(f"{panel.client_name}", style="bold")
        title.append(f" — members · {panel.used} of {panel.seats} seats used · {panel.plan.label}"
                     f" · you: {panel.standing}", style="")
        self.query_one("#m-title", Static).update(title)
        self._explain()

    def _cells(self, m: MemberView) -> list[Text]:
        status = m.status.label
        if m.invitation_expired:
            status += " (expired)"
        role = m.role.label + (f" ({len(m.permissions)})" if m.role == MemberRole.CUSTOM else "")
        style = "dim" if m.status == MemberStatus.REVOKED else ""
        return [Text("●" if m.id in self.marked else " ", style="bold"), Text(inert(m.email), style=style),
                Text(inert(m.name)), Text(role), Text(status, style="yellow" if m.status in (
                    MemberStatus.INVITED, MemberStatus.ACCEPTED) else style),
                Text(inert(", ".join(m.groups)) or "—"), Text("on" if m.two_factor_enabled else "off")]

    # --- what is chosen, and what may be done to it ----------------------------------------

    def _current_id(self) -> uuid.UUID | None:
        t = self.table
        if not t.row_count:
            return None
        try:
            key = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
        return uuid.UUID(key) if key else None

    def targets(self) -> list[MemberView]:
        """The marked members, or else the highlighted one."""
        if self.marked:
            return [self.by_id[i] for i in self.by_id if i in self.marked]
        cur = self._current_id()
        return [self.by_id[cur]] if cur in self.by_id else []

    def refusal(self, action: str) -> str | None:
        """Core's reason the action is refused for the chosen members (None when allowed)."""
        if self.panel is None:
            return "Loading…"
        if action == "invite":
            return self.panel.manage_refusal
        chosen = self.targets()
        if not chosen:
            return "No member chosen."
        for m in chosen:
            why = self.panel.refusals[m.id][action]
            if why:
                return why
        return None

    def refusal_for(self, action: str) -> Decision | None:
        """Core's reason a greyed-out key is refused (the app shows it when the key is pressed)."""
        if action not in MEMBER_ACTIONS and action != "invite":
            return None
        why = self.refusal(action)
        if why is None:
            return None
        rule = "roles" if why in (member_service.ONLY_OWNER, member_service.CUSTOM_NO_ADMINS,
                                  member_service.CUSTOM_SAME_FLAGS) else "members"
        return Decision(False, rule, why)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in MEMBER_ACTIONS or action == "invite":
            return None if self.refusal(action) else True
        return True

    def _explain(self) -> None:
        """Under the table: who is chosen, and why the greyed-out keys are greyed out."""
        self.refresh_bindings()
        why = self.query_one("#m-why", Static)
        if self.panel is None:
            return
        chosen = self.targets()
        text = Text()
        if self.marked:
            text.append(f"{len(self.marked)} marked. ", style="bold")
        refused = [(MEMBER_ACTIONS[a][0], a, self.refusal(a)) for a in MEMBER_ACTIONS]
        refused = [(k, a, w) for k, a, w in refused if w]
        if not chosen:
            text.append("No members yet: press i to invite.")
        elif refused:
            k, a, w = refused[0]
            text.append(f"{k} {a}: {w}")
            if len(refused) > 1:
                text.append(f"  (+{len(refused) - 1} more greyed out: press ? for why)", style="dim")
        why.update(text)

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self._explain()

    @on(DataTable.RowSelected)
    def _opened(self) -> None:
        """enter on a member: their role and Custom permissions (when the person may change them)."""
        if self.refusal("role") is None:
            self.action_role()
        else:
            self.action_why()

    # --- actions ----------------------------------------------------------------------------

    def action_mark(self) -> None:
        cur = self._current_id()
        if cur is None:
            return
        self.marked ^= {cur}
        t = self.table
        t.update_cell(str(cur), "mark", Text("●" if cur in self.marked else " ", style="bold"))
        if t.cursor_row < t.row_count - 1:
            t.move_cursor(row=t.cursor_row + 1)
        self._explain()

    def action_mark_all(self) -> None:
        self.marked = set() if len(self.marked) == len(self.by_id) else set(self.by_id)
        for mid in self.by_id:
            self.table.update_cell(str(mid), "mark", Text("●" if mid in self.marked else " ", style="bold"))
        self._explain()

    def action_why(self) -> None:
        chosen = self.targets()
        who = (f"{len(chosen)} marked members" if len(chosen) > 1 else chosen[0].email) if chosen else "nobody"
        lines = [("i", "Invite members", self.refusal("invite"))]
        lines += [(k, what, self.refusal(a)) for a, (k, what) in MEMBER_ACTIONS.items()]
        lines += [("space", "Mark or unmark (bulk actions act on marked members)", None),
                  ("a", "Mark all or none", None), ("g", "Reload", None), ("esc", "Back", None)]
        self.app.push_screen(MemberReasonsDialog(f"Keys for {who}", lines))

    def _who(self, chosen: list[MemberView]) -> str:
        return chosen[0].email if len(chosen) == 1 else f"{len(chosen)} members"

    def action_invite(self) -> None:
        if self.panel is None or self.refusal("invite"):
            return

        def submit(emails, role, flags) -> str:
            result = member_service.invite(self.db, self.actor, self.organization_id, emails, role, flags)
            done = f"Invited {len(result.invited)}"
            return done + (f"; already members: {', '.join(result.skipped)}" if result.skipped else "")

        self.app.push_screen(MemberInviteDialog(self.panel, submit), self._done)

    def _simple(self, action: str, fn) -> None:
        chosen = self.targets()
        if not chosen or self.refusal(action):
            return
        refs = [m.id for m in chosen]
        self.run_core(action, lambda: fn(self.db, self.actor, self.organization_id, refs), len(refs))

    def action_reinvite(self) -> None:
        self._simple("reinvite", member_service.reinvite)

    def action_confirm(self) -> None:
        """Confirming hands over the org key: first compare each person's fingerprint phrase."""
        chosen = self.targets()
        if not chosen or self.refusal("confirm"):
            return
        db = self.db

        def phrases() -> None:
            from msp_tui.core.services.accounts import fingerprint_of

            found = [(m.email, fingerprint_of(db, m.account_id)) for m in chosen if m.account_id]
            deliver(self, show, found)

        def show(found) -> None:
            from msp_tui.screens.staff import fingerprint_message

            def confirm(db_, actor, org, refs):
                # The phrases shown are passed on: a key changed since is refused by core.
                return member_service.confirm(db_, actor, org, refs, fingerprints=dict(found))

            def done(yes: bool | None) -> None:
                if yes:
                    self._simple("confirm", confirm)

            gets = "They get this client's key and access to the items of their collections."
            self.app.push_screen(ConfirmModal("Confirm members", fingerprint_message(found, gets),
                                              confirm_label="Confirm"), done)

        self.run_worker(phrases, thread=True, group="fingerprints")

    def action_restore(self) -> None:
        self._simple("restore", member_service.restore)

    def _ask(self, action: str, question: str, verb: str, fn) -> None:
        """A destructive action asks first (the app's confirm modal: Cancel focused, y confirms)."""
        chosen = self.targets()
        if not chosen or self.refusal(action):
            return

        def done(yes: bool | None) -> None:
            if yes:
                self._simple(action, fn)

        self.app.push_screen(ConfirmModal(f"{verb} members", Text(question.format(who=self._who(chosen))),
                                          confirm_label=verb, danger=True), done)

    def action_revoke(self) -> None:
        self._ask("revoke", "Revoke {who}? They keep their membership but lose access until restored.",
                  "Revoke", member_service.revoke)

    def action_remove(self) -> None:
        self._ask("remove", "Remove {who} from the organization? This cannot be undone.", "Remove",
                  member_service.remove)

    def action_role(self) -> None:
        chosen = self.targets()
        if self.panel is None or not chosen or self.refusal("role"):
            return
        first = chosen[0]
        version = first.version if len(chosen) == 1 else None
        refs = [m.id for m in chosen]

        def submit(role, flags) -> str:
            member_service.change_role(self.db, self.actor, self.organization_id, refs, role, flags,
                                       expected_version=version)
            return f"Updated {self._who(chosen)}"

        self.app.push_screen(MemberRoleDialog(self.panel, self._who(chosen), first.role, first.permissions,
                                              submit), self._done)

    @work(thread=True, group="members-write")
    def run_core(self, action: str, call, count: int | None = None) -> None:
        """Run one use case off the UI thread; show core's message when it refuses."""
        try:
            call()
        except MspError as exc:
            message = exc.message
            deliver(self, self._refused, message)
            return
        done = f"{VERBS[action]} {count} member{'s' if count != 1 else ''}"
        deliver(self, self._done, done, action == "remove")

    def _refused(self, message: str) -> None:
        self.notify(message, title="Refused", severity="error", timeout=8, markup=False)
        self.query_one("#m-why", Static).update(Text(message))

    def _done(self, message: str | None, unmark: bool = False) -> None:
        if unmark:
            self.marked.clear()
        if message:
            self.notify(message, markup=False)
            self.reload()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
