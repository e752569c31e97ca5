"""My account: the signed-in person's own account (master password, two-step login), and turning
two-step login on (QR code, secret, one code, the recovery code) or off. Core decides everything
(core.services.two_step); these screens only show it. Staff whose provider requires two-step login
are brought to `TwoStepEnrolScreen(forced=True)` at sign-in: esc there signs out."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Static

from msp_tui.core.errors import MspError
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import OneAnswerAtATime, deliver

#: Light modules white, dark ones black, whatever the theme: a phone reads it on any terminal.
QR_STYLE = "#ffffff on #000000"


def qr_widget_text(uri: str) -> Text:
    from msp_tui.core.qr import half_block_lines

    return Text("\n".join(half_block_lines(uri)), style=QR_STYLE, no_wrap=True)


class TwoStepEnrolScreen(OneAnswerAtATime, Screen[bool]):
    """The QR code on the left (half blocks: a version 5 code is 41x21), on the right the secret, the
    URI, the code field; then the recovery code, once."""

    DEFAULT_CSS = """
    TwoStepEnrolScreen #enrol { height: 1fr; }
    TwoStepEnrolScreen #qr { width: auto; height: auto; margin: 0 1 0 0; }
    TwoStepEnrolScreen #enrol-side { width: 1fr; height: auto; }
    TwoStepEnrolScreen #enrol-side Static { margin-bottom: 1; }
    TwoStepEnrolScreen #enrol-side .tight { margin-bottom: 0; }
    TwoStepEnrolScreen #recovery { text-style: bold; color: $text-accent; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "submit", "Turn on", show=False)]

    def __init__(self, db, actor, *, forced: bool = False, secret: str | None = None) -> None:
        super().__init__()
        self.db, self.actor, self.forced = db, actor, forced
        from msp_tui.core.services import two_step

        self.enrolment = two_step.begin(db, actor, secret)  # `secret`: a fixed one, for the snapshot
        self.recovery: str | None = None
        self.error_text = ""

    def compose(self) -> ComposeResult:
        from msp_tui.core.services.two_step import grouped

        yield AppHeader("Turn on two-step login")
        with Horizontal(id="enrol"):
            yield Static(qr_widget_text(self.enrolment.uri), id="qr")
            with Vertical(id="enrol-side"):
                if self.forced:
                    from msp_tui.core.services.two_step import ENROL_FIRST

                    yield Static(Text(ENROL_FIRST.split(":")[0] + "."), classes="tight")
                yield Static(Text("Scan the code with your authenticator app, or type the secret:"),
                             classes="tight")
                yield Static(Text(grouped(self.enrolment.secret), style="bold"), id="secret")
                yield Static(Text(self.enrolment.uri, style="dim"), id="uri")
                yield Input(placeholder="6-digit code from the app", id="code", max_length=8)
                yield Static("", id="error", classes="field-error")
                yield Static(Text("enter turn on · esc " + ("sign out" if self.forced else "cancel")),
                             id="enrol-hint", classes="modal-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def _error(self, text: str) -> None:
        self.error_text = text
        self.query_one("#error", Static).update(Text(text))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self.recovery is not None:
            self.dismiss(True)
            return
        self.answer_in_thread(self._finish, self.query_one("#code", Input).value, group="two-step",
                              exit_on_error=False)

    def _finish(self, code: str) -> None:
        from msp_tui.core.services import two_step

        try:
            recovery = two_step.finish(self.db, self.actor, self.enrolment, code)
        except MspError as exc:
            self.deliver_answer(self._error, exc.message)
            return
        deliver(self, self._done, recovery)

    def _done(self, recovery: str) -> None:
        """The recovery code, once, in place of the QR code (it is not shown again)."""
        self.recovery = recovery
        self.query_one("#qr", Static).update(Text(""))
        self.query_one("#qr").display = False
        side = self.query_one("#enrol-side", Vertical)
        side.remove_children()
        side.mount(Static(Text("Two-step login is on.", style="bold")),
                   Static(Text("Your recovery code, shown only now. Write it down and keep it away from this "
                               "machine: typed in place of a code it signs you in once and turns two-step "
                               "login off.")),
                   Static(Text(recovery), id="recovery"),
                   Static(Text("enter done"), classes="modal-hint"))
        self.set_focus(None)

    def action_cancel(self) -> None:
        if self.recovery is not None:
            self.dismiss(True)
        elif self.forced:
            self.dismiss(False)
            self.app.sign_out()
        else:
            self.dismiss(False)


class TwoStepOffScreen(OneAnswerAtATime, ModalScreen[bool]):
    """Turn two-step login off: a code from the app or the recovery code (a wrong one is a failed
    attempt and waits like one)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, db, actor) -> None:
        super().__init__()
        self.db, self.actor = db, actor
        self.error_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text("Turn off two-step login"), classes="modal-title")
            yield Input(placeholder="code from your authenticator app, or your recovery code", id="code")
            yield Static("", id="error", classes="field-error")
            yield Static(Text("enter turn off · esc cancel"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.answer_in_thread(self._off, event.value, group="two-step", exit_on_error=False)

    def _off(self, code: str) -> None:
        from msp_tui.core.services import two_step

        try:
            two_step.disable(self.db, self.actor, code)
        except MspError as exc:
            self.deliver_answer(self._error, exc.message)
            return
        deliver(self, self.dismiss, True)

    def _error(self, text: str) -> None:
        self.error_text = text
        self.query_one("#error", Static).update(Text(text))
        self.query_one("#code", Input).value = ""

    def action_cancel(self) -> None:
        self.dismiss(False)


class MyAccountScreen(Screen):
    """Who you are, whether two-step login is on (and required), and the keys to change both."""

    DEFAULT_CSS = """
    MyAccountScreen #account-body { padding: 1 2; height: auto; }
    MyAccountScreen #account-body Static { margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("t", "two_step_on", "Turn on two-step"),
        Binding("o", "two_step_off", "Turn off two-step"),
        Binding("p", "password", "Change master password"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.enrolled = False

    def compose(self) -> ComposeResult:
        yield AppHeader("My account")
        with Vertical(id="account-body"):
            yield Static("", id="who")
            yield Static("", id="two-step")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_state()

    def refresh_state(self) -> None:
        from msp_tui.core.services import two_step

        actor = self.app.actor
        self.enrolled = two_step.is_enrolled(self.app.db, actor.account_id)
        required = two_step.provider_requires(self.app.db, actor.provider_id)
        self.query_one("#who", Static).update(Text(f"{actor.name or actor.email} <{actor.email}>", style="bold"))
        state = ("Two-step login: on (authenticator app). A code is asked after your master password."
                 if self.enrolled else "Two-step login: off. Only your master password guards sign-in.")
        if required:
            state += " Your provider requires it of its staff."
        self.query_one("#two-step", Static).update(Text(state))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "two_step_on":
            return not self.enrolled
        if action == "two_step_off":
            return self.enrolled
        return True

    def action_two_step_on(self) -> None:
        try:
            screen = TwoStepEnrolScreen(self.app.db, self.app.actor)
        except MspError as exc:
            self.notify(exc.message, severity="error")
            return
        self.app.push_screen(screen, lambda _done: self.refresh_state())

    def action_two_step_off(self) -> None:
        self.app.push_screen(TwoStepOffScreen(self.app.db, self.app.actor), lambda _done: self.refresh_state())

    def action_password(self) -> None:
        from msp_tui.screens.account import ChangePasswordScreen

        self.app.push_screen(ChangePasswordScreen(self.app.db, self.app.actor))

    def action_back(self) -> None:
        self.app.pop_screen()
