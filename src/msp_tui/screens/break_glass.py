"""Break-glass access from the UI (issue 18): a scoped Service User asks for a client outside their
scope (`A` on the clients home, or the palette's "access: request break-glass access").

Clients outside the scope are not listed for them (S12), so the dialog asks for the client's name as
typed; core answers exactly as `msp-tui access request` does (an unknown name, a client already in
scope, a time over the provider's maximum), under the form. A Provider Admin decides in the inbox
(ctrl+a); once granted, the client is in the technician's list until its time is up (core decides; the
list shows what core returns when it loads).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Label, Static

from msp_tui.core.services import break_glass
from msp_tui.widgets.group_dialogs import FormDialog

NEEDS_CLIENT = "Type the name of the client you need."
NEEDS_REASON = "Say why: a Provider Admin reads it before granting access."


def asked_text(v: break_glass.GrantView) -> str:
    """The toast once core took the request (or granted it at once: the emergency self-grant)."""
    if v.live:
        return (f"Emergency self-grant {v.number}: you have {v.client} until {v.ends_at:%H:%M} UTC; Provider "
                "Admins are told until one acknowledges it.")
    return (f"Asked for break-glass access to {v.client} for {break_glass.duration_text(v.minutes)} (request "
            f"{v.number}): a Provider Admin approves it in their inbox.")


class RequestAccessDialog(FormDialog):
    """Client (typed), reason, optional ticket, how long (at most the provider's maximum). Enter or Ask
    sends it to core; esc cancels (nothing is written)."""

    def __init__(self, db, actor, maximum: int, client: str = "") -> None:
        super().__init__()
        self.db, self.actor, self.maximum, self.client = db, actor, maximum, client

    def compose(self) -> ComposeResult:
        longest = break_glass.duration_text(self.maximum)
        with VerticalScroll():
            yield Label(Text("Request break-glass access", style="bold"))
            yield Static(Text("A client outside your scope, for a time you choose. Type its name: clients "
                              "outside your scope are not listed for you.", style="dim"), classes="hint")
            yield Label("Client", classes="field")
            yield Input(value=self.client, id="f-client", placeholder="the client's name")
            yield Label("Reason", classes="field")
            yield Input(id="f-reason", placeholder="why you need it")
            yield Label("Ticket (optional)", classes="field")
            yield Input(id="f-ticket", placeholder="e.g. T-1234")
            yield Label(f"For how long (at most {longest})", classes="field")
            yield Input(value=longest, id="f-for", placeholder="e.g. 2h or 90m")
            yield Static(Text("tab moves · enter asks · esc cancels"), classes="hint")
            yield from self.buttons("Ask")

    def on_mount(self) -> None:
        self.query_one("#f-reason" if self.client else "#f-client", Input).focus()

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    @on(Input.Submitted)
    @on(Button.Pressed, "#f-save")
    def _ask(self) -> None:
        client, reason = self._value("f-client").strip(), self._value("f-reason").strip()
        if not client:
            self.show_error(NEEDS_CLIENT)
            return
        if not reason:
            self.show_error(NEEDS_REASON)
            return
        self.show_error("Asking…")
        self.run_submit(self._submit, client, reason, self._value("f-ticket"), self._value("f-for"))

    def _submit(self, client: str, reason: str, ticket: str, minutes: str) -> str:
        return asked_text(break_glass.request(self.db, self.actor, client, reason, ticket=ticket or None,
                                              minutes=minutes.strip() or None))


def request_access(app: App, *, client: str = "", after: Callable[[], None] | None = None) -> None:
    """Open the dialog (the provider's maximum read first, off the UI thread); its toast, then `after`."""
    from msp_tui.widgets.threads import deliver

    db, actor = app.db, app.actor

    def opened(maximum: int) -> None:
        def done(sentence: str | None) -> None:
            if sentence:
                app.say(sentence)
                if after is not None:
                    after()

        app.push_screen(RequestAccessDialog(db, actor, maximum, client), done)

    def job() -> None:
        from msp_tui.core.errors import MspError

        try:
            maximum = break_glass.max_minutes(db, actor)
        except MspError as exc:
            deliver(app, app.show_error, exc)
            return
        deliver(app, opened, maximum)

    app.run_worker(job, thread=True, group="break-glass-open", exclusive=True)
