"""Two-person approval in the UI (issue 18): the one home for every guarded action.

When the provider's two-person setting covers an action (unlink a client, remove staff, change a staff
role, lower seats, turn off policy 0 or 1 on a client, rotate a client's key), core refuses the direct
change with `ApprovalNeeded`, naming the change it refused (`arguments`). Wherever the UI catches a
refusal it hands it to `offer()`: instead of core's command-line sentence ("give --reason") a dialog asks
why, and enter files the request through core (`approvals.request`); esc writes nothing. The screen
doing the action does not know which actions are guarded: core decides.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from msp_tui.core.errors import MspError
from msp_tui.core.services import approvals
from msp_tui.widgets.text import plain
from msp_tui.widgets.threads import OneAnswerAtATime, deliver

SENT = "Sent for approval by a second Provider Admin"
NEEDS_REASON = "Say why: the second Provider Admin reads it before approving."


def needs_second_admin(exc: BaseException) -> bool:
    """Is this core's refusal of a guarded change that a reason alone turns into a request?"""
    return isinstance(exc, approvals.ApprovalNeeded) and exc.arguments is not None


class ReasonModal(OneAnswerAtATime, ModalScreen["list[approvals.RequestView] | None"]):
    """Why, for a second Provider Admin: enter sends the request through core (one per refusal, the same
    reason: several clients' keys after a staffer left); esc cancels (nothing written). A refusal of a
    request itself (core's words) stays under the field; requests already filed are not filed again."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, db, actor, *refusals: approvals.ApprovalNeeded) -> None:
        super().__init__()
        self.db, self.actor = db, actor
        self.pending = list(refusals)
        self.sent: list = []

    def compose(self) -> ComposeResult:
        label = approvals.GUARDED[self.pending[0].action].label
        each = f" The reason goes with each of the {len(self.pending)} requests." if len(self.pending) > 1 else ""
        with Vertical(classes="modal"):
            yield Label(Text("Needs a second Provider Admin"), classes="modal-title")
            yield Static(Text(f"Two-person approval is on: to {label}, a second Provider Admin must approve. "
                              f"Nothing changes until one does; the request expires in 24 hours.{each}"),
                         classes="modal-body")
            yield Static(Text("Reason"), classes="modal-body")
            yield Input(id="reason", placeholder="why this change is needed")
            yield Static("", id="error", classes="field-error")
            yield Static(Text("enter send for approval · esc cancel"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#error", Static).update(Text(NEEDS_REASON))
            return
        if self.answering:
            return
        self.query_one("#error", Static).update(Text("Sending…"))
        self.answer_in_thread(self._send, event.value, group="second-admin")

    def _send(self, reason: str) -> None:
        while self.pending:
            r = self.pending[0]
            try:
                view = approvals.request(self.db, self.actor, r.action, reason, **r.arguments)
            except MspError as exc:
                self.deliver_answer(self._refused, plain(exc.message))
                return
            self.sent.append(view)
            self.pending.pop(0)
        deliver(self, self.dismiss, self.sent)

    def _refused(self, message) -> None:
        self.query_one("#error", Static).update(message)

    def action_cancel(self) -> None:
        self.dismiss(self.sent or None)


def offer(app: App, exc: BaseException, *, on_sent: Callable[[object], None] | None = None) -> bool:
    """Turn core's ApprovalNeeded into the reason dialog (True); anything else is not ours (False)."""
    if not needs_second_admin(exc) or getattr(app, "actor", None) is None:
        return False

    def sent(views) -> None:
        if not views:
            return
        view = views[0]
        app.say(f"{SENT}: request {view.number}, {view.summary}. Nothing changes until one approves it.")
        refresh = getattr(app, "refresh_approvals", None)
        if refresh is not None:
            refresh()
        if on_sent is not None:
            on_sent(view)

    app.push_screen(ReasonModal(app.db, app.actor, exc), sent)
    return True


def ask_each(app: App, refusals, on_done: Callable[[list], None]) -> None:
    """One reason for several guarded changes (core's refusals): one request each; `on_done` gets the
    requests filed (none when esc cancelled) so the caller says in one sentence what happened."""

    def done(views) -> None:
        views = views or []
        refresh = getattr(app, "refresh_approvals", None)
        if views and refresh is not None:
            refresh()
        on_done(views)

    app.push_screen(ReasonModal(app.db, app.actor, *refusals), done)
