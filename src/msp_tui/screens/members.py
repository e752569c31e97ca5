"""Member roles for one client: invite, re-invite, confirm, role and Custom flags, revoke, restore,
remove — one member or every marked one at once. Core decides; this screen greys out what core
would refuse and shows core's reason."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from msp_tui.core.access import Decision
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import MemberRole, MemberStatus, status_label
from msp_tui.core.errors import MspError
from msp_tui.core.services import members as member_service
from msp_tui.core.services.member_actions import MemberPanel, load
from msp_tui.core.services.members import MemberView
from msp_tui.screens.base import ListScreen
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.widgets.invite_secrets import InviteSecretsModal
from msp_tui.widgets.member_dialogs import (MemberInviteDialog, MemberReasonsDialog, MemberRoleDialog,
                                           RecoverAccountDialog)
from msp_tui.widgets.timeline_table import inert
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.threads import deliver

#: Screen actions that act on members, with the key and what the reasons dialog calls them.
MEMBER_ACTIONS = {
    "reinvite": ("r", "Send the invitation again"),
    "confirm": ("c", "Confirm (gives them the organization key)"),
    "role": ("e", "Change role and Custom permissions"),
    "revoke": ("x", "Revoke access (keeps the member)"),
    "restore": ("u", "Restore a revoked member"),
    "remove": ("delete", "Remove from the organization"),
    "recover": ("p", "Recover account: reset their master password (policy 8)"),
}
VERBS = {"reinvite": "Re-invited", "confirm": "Confirmed", "role": "Updated", "revoke": "Revoked",
         "restore": "Restored", "remove": "Removed"}


def _status(m: MemberView, short: bool = False) -> Text:
    style = "yellow" if m.status in (MemberStatus.INVITED, MemberStatus.ACCEPTED) else (
        "dim" if m.status == MemberStatus.REVOKED else "")
    return Text(status_label(m.status, m.invitation_expired, short=short), style=style)


def _role(m: MemberView) -> str:
    return m.role.label + (f" ({len(m.permissions)})" if m.role == MemberRole.CUSTOM else "")


MEMBER_COLUMNS = [
    Column("email", "Email", 0, lambda m: Text(inert(m.email), style="dim" if m.status == MemberStatus.REVOKED
                                                 else ""), ratio=3, min_width=30, priority=0),
    Column("name", "Name", 0, lambda m: inert(m.name), ratio=2, min_width=12, priority=3),
    Column("role", "Role", 12, _role, min_width=9, priority=1),
    Column("status", "Status", 17, _status, min_width=9, priority=1, short=lambda m: _status(m, short=True)),
    Column("groups", "Groups", 18, lambda m: inert(", ".join(m.groups)) or "—", min_width=8, priority=4),
    Column("twostep", "Two-step", 8, lambda m: "on" if m.two_factor_enabled else "off", priority=2),
    # Account recovery (policy 8): dropped first on a narrow terminal; `members list` always has it.
    Column("recovery", "Recovery", 9, lambda m: "enrolled" if m.recovery_enrolled else "—", priority=5),
]


class MembersScreen(ListScreen):
    """Every member of a client with role, status, groups and two-step login."""

    DEFAULT_CSS = """
    MembersScreen #m-title { height: 1; background: $boost; padding: 0 1; }
    MembersScreen PagedTable { height: 1fr; }
    MembersScreen #m-why { height: 2; padding: 0 1; color: $text-muted; }
    """
    NEW_LABEL = "Invite"
    ROWS_NAME = "members"

    BINDINGS = [
        Binding("a", "mark_all", "Mark all", show=False, id="members.mark_all"),
        Binding("i", "new", "Invite", show=False, id="members.invite"),  # n invites; i as before
        Binding("r", "reinvite", "Re-invite", show=False, id="members.reinvite"),
        Binding("c", "confirm", "Confirm", id="members.confirm"),
        Binding("e", "role", "Role", id="members.role"),
        Binding("x", "revoke", "Revoke", id="members.revoke"),
        Binding("u", "restore", "Restore", id="members.restore"),
        Binding("delete", "remove", "Remove", id="members.remove"),
        Binding("question_mark", "why", "Why", id="members.why"),
        Binding("p", "recover", "Recover", show=False, id="members.recover"),
    ]

    def __init__(self, db: Database, actor: Actor, organization_id: uuid.UUID | str,
                 focus_member: uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.actor = actor
        self.organization_id = organization_id
        self.focus_member = focus_member
        self.panel: MemberPanel | None = None
        self.by_id: dict[uuid.UUID, MemberView] = {}
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader("Members")  # where you are and as whom, as on every screen
        yield Static(Text("Members", style="bold"), id="m-title")
        yield from self.compose_filter("part of an email, name, role, status or group (esc clears)")
        yield PagedTable(columns=MEMBER_COLUMNS, fetch=lambda *_: None, row_key=lambda m: m.id,
                         empty_text="No members yet: press n to invite.", id="m-table")
        yield Static("", id="m-why")
        yield KeyBar()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    @property
    def marked(self) -> set:
        """The ids of the marked members (the table keeps them)."""
        return self.table.marked

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

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
        t = self.table
        t.show_rows(panel.members)
        if self.focus_member is not None:
            t.move_to_key(self.focus_member)
        self.focus_member = None
        title = Text(f"{panel.client_name}", style="bold", no_wrap=True, overflow="ellipsis")
        title.append(f" · {panel.used} of {panel.seats} seats used · {panel.plan.label}", style="")
        self.query_one("#m-title", Static).update(title)
        self._explain()

    # --- what is chosen, and what may be done to it ----------------------------------------

    def _current_id(self) -> uuid.UUID | None:
        row = self.table.current_row
        return row.id if row is not None else None

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
        if action in ("invite", "new"):
            return self.panel.manage_refusal
        chosen = self.targets()
        if not chosen:
            return "No member chosen."
        if action == "recover":  # its own permission (policy 8), one member at a time
            if len(chosen) > 1:
                return "Recover one member's account at a time: unmark the others."
            return self.panel.recover_refusals.get(chosen[0].id, "Loading…")
        for m in chosen:
            why = self.panel.refusals[m.id][action]
            if why:
                return why
        return None

    def refusal_for(self, action: str) -> Decision | None:
        """Core's reason a greyed-out key is refused (the app shows it when the key is pressed)."""
        if action not in MEMBER_ACTIONS and action != "new":
            return super().refusal_for(action)
        why = self.refusal(action)
        if why is None:
            return None
        rule = "roles" if why in (member_service.ONLY_OWNER, member_service.CUSTOM_NO_ADMINS,
                                  member_service.CUSTOM_SAME_FLAGS) else "members"
        return Decision(False, rule, why)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in MEMBER_ACTIONS or action == "new":
            return None if self.refusal(action) else True
        return super().check_action(action, parameters)

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
        # Account recovery is a key for the few clients with policy 8: its reason is under ? only.
        refused = [(MEMBER_ACTIONS[a][0], a, self.refusal(a)) for a in MEMBER_ACTIONS if a != "recover"]
        refused = [(k, a, w) for k, a, w in refused if w]
        if not chosen:
            text.append("No members yet: press n to invite.")
        elif refused:
            k, a, w = refused[0]
            text.append(f"{k} {a}: {w}")
            if len(refused) > 1:
                text.append(f"  (+{len(refused) - 1} more greyed out: press ? for why)", style="dim")
        why.update(text)

    @on(PagedTable.Highlighted)
    @on(PagedTable.Marked)
    def _moved(self) -> None:
        self._explain()

    def open_row(self, row: MemberView) -> None:
        """enter on a member: their role and Custom permissions (when the person may change them)."""
        if self.refusal("role") is None:
            self.action_role()
        else:
            self.action_why()

    # --- actions ----------------------------------------------------------------------------

    def action_mark_all(self) -> None:
        self.table.mark_all()
        self._explain()

    def action_why(self) -> None:
        chosen = self.targets()
        who = (f"{len(chosen)} marked members" if len(chosen) > 1 else chosen[0].email) if chosen else "nobody"
        lines = [("n", "Invite members", self.refusal("invite"))]
        lines += [(k, what, self.refusal(a)) for a, (k, what) in MEMBER_ACTIONS.items()]
        lines += [("space", "Mark or unmark (bulk actions act on marked members)", None),
                  ("a", "Mark all or none", None), ("/", "Filter", None), ("ctrl+r", "Reload", None),
                  ("esc", "Back", None)]
        self.app.push_screen(MemberReasonsDialog(f"Keys for {who}", lines))

    def _who(self, chosen: list[MemberView]) -> str:
        return chosen[0].email if len(chosen) == 1 else f"{len(chosen)} members"

    def action_new(self) -> None:
        """n (or i): invite members."""
        if self.panel is None or self.refusal("invite"):
            return

        fresh: dict[str, str] = {}

        def submit(emails, role, flags) -> str:
            result = member_service.invite(self.db, self.actor, self.organization_id, emails, role, flags)
            fresh.update(result.secrets)
            done = f"Invited {len(result.invited)}"
            return done + (f"; already members: {', '.join(result.skipped)}" if result.skipped else "")

        def after(message: str | None) -> None:
            self._done(message)
            if fresh:  # the one time the inviter sees them
                self.app.push_screen(InviteSecretsModal(dict(fresh)))

        self.app.push_screen(MemberInviteDialog(self.panel, submit), after)

    def _simple(self, action: str, fn) -> None:
        chosen = self.targets()
        if not chosen or self.refusal(action):
            return
        refs = [m.id for m in chosen]
        self.run_core(action, lambda: fn(self.db, self.actor, self.organization_id, refs), len(refs))

    def action_reinvite(self) -> None:
        def reinvite(db, actor, organization_id, refs):
            views = member_service.reinvite(db, actor, organization_id, refs)
            deliver(self, self._show_secrets, {v.email: v.invite_secret for v in views})
            return views

        self._simple("reinvite", reinvite)

    def _show_secrets(self, secrets: dict[str, str]) -> None:
        self.app.push_screen(InviteSecretsModal(secrets, "New invitation secrets (the old ones stop working)"))

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

    def action_recover(self) -> None:
        """p: account recovery (policy 8): a temporary master password for one enrolled member."""
        chosen = self.targets()
        if self.panel is None or len(chosen) != 1 or self.refusal("recover"):
            return
        member = chosen[0]

        def submit(temporary: str) -> str:
            from msp_tui.core.services import recovery

            email = recovery.recover(self.db, self.actor, self.organization_id, member.id, temporary)
            return (f"Reset {email}'s master password: give them the temporary one by another channel; "
                    "they must change it when they sign in.")

        self.app.push_screen(RecoverAccountDialog(member.email, self.panel.client_name, submit), self._done)

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
