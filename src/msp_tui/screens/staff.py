"""Provider staff: role and status; invite several, confirm, change role, remove; bulk re-invite/confirm."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from msp_tui.core.access import Action, Decision
from msp_tui.core.enums import StaffRole, StaffStatus, status_label
from msp_tui.core.errors import BadInput
from msp_tui.core.schemas import StaffInvite, parse
from msp_tui.core.services import staff as staff_service
from msp_tui.screens import second_admin
from msp_tui.screens.base import ListScreen, MspScreen
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.widgets.invite_secrets import InviteSecretsModal
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.text import plain


def _status(s, short: bool = False) -> Text:
    return Text(status_label(s.status, s.invitation_expired, short=short),
                style="bold" if s.invitation_expired else "")


STAFF_COLUMNS = [
    Column("email", "Email", 0, lambda s: plain(s.email), ratio=3, min_width=26, priority=0),
    Column("name", "Name", 0, lambda s: plain(s.name), ratio=2, min_width=12, priority=3),
    Column("role", "Role", 14, lambda s: s.role.label, priority=1),
    Column("status", "Status", 17, _status, min_width=9, priority=1, short=lambda s: _status(s, short=True)),
    Column("invited", "Invited (UTC)", 16, lambda s: s.invited_at.strftime("%Y-%m-%d %H:%M"), priority=4),
    # S12: filled by the screen from core's scopes (one query for the whole list); drops right after Invited.
    Column("scope", "Scope", 0, lambda s: "", ratio=1, min_width=11, priority=3),
]


def split_emails(text: str) -> list[str]:
    return [e for e in text.replace(",", " ").replace(";", " ").split() if e]


def invite_error(text: str) -> str | None:
    emails = split_emails(text)
    if not emails:
        return "Type one or more email addresses, separated by spaces or commas."
    try:
        parse(StaffInvite, emails=emails, role=StaffRole.SERVICE_USER)
    except BadInput as exc:
        return exc.message
    return None


def fingerprint_message(found: list[tuple[str, str]],
                        gets: str = "They get the provider key and access to every client.") -> Text:
    """Each person's fingerprint phrase, to compare with the phrase they read out before confirming."""
    text = Text("Ask each person for their fingerprint phrase (shown when they sign in) and compare it "
                "word by word. Confirm only if it matches:\n\n")
    for email, phrase in found:
        text.append_text(plain(email, "bold")).append("\n  ").append_text(plain(phrase)).append("\n")
    text.append("\n" + gets)
    return text


class InviteModal(ModalScreen[tuple[list[str], StaffRole] | None]):
    """Several emails at once and one role; checked by core's StaffInvite as you type."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text("Invite staff"), classes="modal-title")
            yield Static(Text("Emails (up to 20, separated by spaces or commas)"), classes="modal-body")
            yield Input(id="emails", placeholder="a@msp.example, b@msp.example")
            yield Static("", id="error", classes="field-error")
            with RadioSet(id="role"):
                yield RadioButton("Service User", value=True, id="service")
                yield RadioButton("Provider Admin", id="admin")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Invite", id="invite", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#emails", Input).focus()

    @on(Input.Changed, "#emails")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#error", Static).update(Text(invite_error(event.value) or "") if event.value else "")

    def _role(self) -> StaffRole:
        pressed = self.query_one(RadioSet).pressed_button
        return StaffRole.PROVIDER_ADMIN if pressed is not None and pressed.id == "admin" else StaffRole.SERVICE_USER

    @on(Input.Submitted, "#emails")
    @on(Button.Pressed, "#invite")
    def _invite(self) -> None:
        text = self.query_one("#emails", Input).value
        error = invite_error(text)
        if error:
            self.query_one("#error", Static).update(Text(error))
            return
        self.dismiss((split_emails(text), self._role()))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class StaffScreen(ListScreen, MspScreen):
    TITLE_TEXT = "Provider staff"
    NEW_LABEL = "Invite"
    ROWS_NAME = "staff"
    GUARDED = {name: Action.MANAGE_STAFF for name in ("new", "confirm", "reinvite", "role", "remove", "scope")}
    BINDINGS = [
        Binding("i", "new", "Invite", show=False, id="invite"),  # n invites, as on every list; i as before
        Binding("c", "confirm", "Confirm", id="confirm"),
        Binding("v", "reinvite", "Re-invite", id="reinvite"),
        Binding("t", "role", "Role", id="role"),
        Binding("d", "remove", "Remove", id="remove"),
        Binding("s", "scope", "Scope", id="scope"),
        Binding("r", "reload", "Reload", show=False, id="reload"),  # ctrl+r as on every list; r as before
    ]

    #: Core's refusal (S5) for removing yourself: the key is greyed on your own row, as on members.
    REMOVE_SELF = Decision(False, "S5", "You cannot remove yourself.")

    def __init__(self, invite: bool = False) -> None:
        super().__init__()
        self.open_invite = invite
        #: Each person's scope (S12) from core, loaded with the list.
        self.scopes: dict = {}

    def _scope_of(self, row) -> Text:
        scope = self.scopes.get(row.id)
        return plain(scope.short_label) if scope is not None else Text("")

    def _on_admin_row(self) -> bool:
        if not self.is_mounted or not self.query("#staff"):
            return False
        row = self.query_one("#staff", PagedTable).current_row
        return row is not None and row.role == StaffRole.PROVIDER_ADMIN

    def _on_own_row(self) -> bool:
        if not self.is_mounted or not self.query("#staff"):
            return False
        row = self.query_one("#staff", PagedTable).current_row
        return row is not None and self.actor is not None and row.account_id == self.actor.account_id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove" and self._on_own_row():
            return None  # shown greyed; pressing it says why
        if action == "scope" and self._on_admin_row():
            return None
        return super().check_action(action, parameters)

    def refusal_for(self, action: str):
        if action == "remove" and self._on_own_row():
            return self.REMOVE_SELF
        if action == "scope" and self._on_admin_row():
            return self.SCOPE_ADMIN  # core refuses it too (services.client_groups.set_staff_scope)
        return super().refusal_for(action)

    #: S12: an admin always sees every client; `s` greys on their rows.
    SCOPE_ADMIN = Decision(False, "S12", "A Provider Admin always sees every client; only Service Users "
                                         "can be scoped.")

    @on(PagedTable.Highlighted)
    def _row_changed(self) -> None:
        self.refresh_bindings()  # `d` greys on your own row, `s` on an admin's

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="failover", classes="banner")
        yield from self.compose_filter("part of an email, name, role or status (esc clears)")
        columns = [*STAFF_COLUMNS[:-1], dataclasses.replace(STAFF_COLUMNS[-1], value=self._scope_of)]
        yield PagedTable(columns=columns, row_key=lambda s: s.id, empty_text="No staff.", openable=False,
                         id="staff")
        yield Static(Text("space marks several: confirm and re-invite apply to the marked rows"),
                     classes="status-line")
        yield from self.compose_footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#staff", PagedTable)

    def on_mount(self) -> None:
        self.query_one("#failover", Static).display = False
        self.table.focus()
        self.action_reload()
        if self.open_invite:
            self.call_after_refresh(self.action_new)

    def action_reload(self) -> None:
        from msp_tui.core.services.client_groups import staff_scope_views

        def load():
            return staff_service.list_staff(self.db, self.actor), staff_scope_views(self.db, self.actor)

        self.run_db(load, on_done=self._loaded, group="staff-list")
        self.run_db(staff_service.failover_warning, self.db, self.actor.provider_id, on_done=self._failover,
                    group="failover")

    def _loaded(self, found) -> None:
        rows, self.scopes = found
        self.table.show_rows(rows)

    def _failover(self, warning: str | None) -> None:
        banner = self.query_one("#failover", Static)
        banner.display = bool(warning)
        banner.update(Text(f"⚠ {warning}" if warning else ""))

    def _done(self, message: str):
        def after(_result) -> None:
            self.app.say(message)
            self.action_reload()

        return after

    def _failed(self, exc) -> None:
        self.app.show_error(exc)
        self.action_reload()

    def action_new(self) -> None:
        """n (or i): invite staff."""
        def done(result) -> None:
            if not result:
                return
            emails, role = result

            def invited(res) -> None:
                msg = f"Invited {len(res.invited)} as {role.label}"
                if res.skipped:
                    msg += f"; already staff: {', '.join(res.skipped)}"
                self.app.say(msg + ".")
                self.action_reload()
                if res.secrets:
                    self.app.push_screen(InviteSecretsModal(res.secrets))

            self.run_db(staff_service.invite, self.db, self.actor, emails, role, on_done=invited,
                        on_error=self._failed)

        self.app.push_screen(InviteModal(), done)

    def action_confirm(self) -> None:
        rows = [r for r in self.table.marked_rows if r.status == StaffStatus.ACCEPTED]
        if not rows:
            self.app.notify("Only staff who accepted their invitation can be confirmed.", severity="warning")
            return

        shown: dict[str, str] = {}

        def work():
            # The phrase shown is passed on: a key changed since it was shown is refused by core.
            return [staff_service.confirm(self.db, self.actor, r.id, fingerprint=shown[r.email]).email
                    for r in rows]

        def ask(ok: bool | None) -> None:
            if ok:
                self.run_db(work, on_done=lambda done: self._done(f"Confirmed {', '.join(done)}.")(None),
                            on_error=self._failed)

        def phrases():
            from msp_tui.core.services.accounts import fingerprint_of

            return [(r.email, fingerprint_of(self.db, r.account_id)) for r in rows]

        def show(found) -> None:
            shown.update(found)
            self.app.push_screen(ConfirmModal("Confirm staff", fingerprint_message(found),
                                              confirm_label="Confirm"), ask)

        self.run_db(phrases, on_done=show, on_error=self._failed)

    def action_reinvite(self) -> None:
        rows = [r for r in self.table.marked_rows if r.status == StaffStatus.INVITED]
        if not rows:
            self.app.notify("Only pending invitations can be sent again.", severity="warning")
            return
        def reinvited(done: dict[str, str]) -> None:
            self._done(f"Re-invited {', '.join(done)}.")(None)
            self.app.push_screen(InviteSecretsModal(done, "New invitation secrets (the old ones stop working)"))

        self.run_db(staff_service.reinvite, self.db, self.actor, [r.id for r in rows],
                    on_done=reinvited, on_error=self._failed)

    def action_role(self) -> None:
        row = self.one_row("Role")
        if row is None:
            return
        new = StaffRole.SERVICE_USER if row.role == StaffRole.PROVIDER_ADMIN else StaffRole.PROVIDER_ADMIN

        def ask(ok: bool | None) -> None:
            if ok:
                self.run_db(staff_service.change_role, self.db, self.actor, row.id, new,
                            expected_version=row.version, on_done=self._done(f"{row.email} is now {new.label}."),
                            on_error=self._failed)

        self.app.push_screen(ConfirmModal("Change role", plain(f"Make {row.email} a {new.label}?"),
                                          confirm_label="Change"), ask)

    def action_scope(self) -> None:
        """s: which clients a Service User sees (S12): every client or some client groups."""
        row = self.one_row("Scope")
        if row is None:
            return
        from msp_tui.core.services import client_groups as cg

        def ask(groups) -> None:
            from msp_tui.widgets.group_dialogs import ScopeDialog

            scope = self.scopes.get(row.id)
            ticked = None if scope is None or scope.everything else set(scope.group_ids)

            def submit(chosen: list | None) -> str:
                after = cg.set_staff_scope(self.db, self.actor, row.email, chosen)
                return f"{row.email} now sees {after}."

            def done(message: str | None) -> None:
                if message:
                    self.app.say(message)
                    self.action_reload()

            self.app.push_screen(ScopeDialog(f"Scope of {row.email}", [(g.name, g.id) for g in groups], ticked,
                                             submit), done)

        self.run_db(cg.list_client_groups, self.db, self.actor, on_done=ask, on_error=self._failed)

    def action_remove(self) -> None:
        row = self.one_row("Remove")
        if row is None:
            return

        from msp_tui.core.services import org_keys

        def remove():
            opened = org_keys.vaults_opened_by(self.db, self.actor, row.account_id)
            staff_service.remove(self.db, self.actor, row.id)
            return opened

        def removed(opened) -> None:
            self._done(f"Removed {row.email}.")(None)
            if opened:
                self._offer_rotation(row.email, opened)

        def ask(ok: bool | None) -> None:
            if ok:
                self.run_db(remove, on_done=removed, on_error=self._failed)

        self.app.push_screen(ConfirmModal("Remove staff", plain(
            f"Remove {row.email} from the provider? The provider key is rotated so their copy opens nothing new."),
            confirm_label="Remove", danger=True), ask)

    def _offer_rotation(self, email: str, opened: list) -> None:
        """A removed staffer may have kept the org keys of the clients whose vaults they opened."""
        from msp_tui.core.services import org_keys

        names = ", ".join(name for _, name in opened)

        def rotate():
            return org_keys.rotate_each(self.db, self.actor, opened)

        def say(done, requests: list) -> None:
            items = sum(d.items for d in done.rotated)
            words = [f"{len(done.rotated)} rotated ({items:,} items encrypted again)" if done.rotated
                     else "0 rotated"]
            if requests:
                n = sorted(v.number for v in requests)
                span = f"{n[0]} to {n[-1]}" if len(n) > 2 and n[-1] - n[0] == len(n) - 1 else ", ".join(map(str, n))
                words.append(f"{len(n)} sent for approval by a second Provider Admin (requests {span})")
            if len(done.guarded) > len(requests):  # esc on the reason (perhaps after core refused one)
                words.append(f"{len(done.guarded) - len(requests)} need a second Provider Admin's approval and no "
                             "request was sent (K on a client's screen asks again)")
            said = ", ".join(words) + "".join(f"; {name} not rotated: {why}" for name, why in done.refused)
            self.app.say(f"Client keys after removing {email}: {said}.")

        def rotated(done) -> None:
            if done.guarded:  # one reason for every guarded client, one request each
                second_admin.ask_each(self.app, done.guarded, lambda requests: say(done, requests))
            else:
                say(done, [])

        def ask(ok: bool | None) -> None:
            if ok:
                self.app.notify(f"Rotating the keys of {len(opened)} client(s)…", timeout=3, markup=False)
                self.run_db(rotate, on_done=rotated, on_error=self._failed)

        self.app.push_screen(ConfirmModal("Rotate client keys", plain(
            f"{email} opened the vaults of {len(opened)} client(s): {names}. They may have kept those "
            "clients' keys. Rotate them now? Every item of those clients is encrypted again under a new key."),
            confirm_label="Rotate"), ask)
