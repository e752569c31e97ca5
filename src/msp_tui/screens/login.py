"""Sign in with email and master password, then (two-step login on) the authenticator app's code; or
accept an invitation: email, the invitation's one-time secret (from whoever invited you), and a master
password typed twice (an existing account's, and then its two-step login code when it is on)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from msp_tui.core.errors import AuthFailed, MspError
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.text import plain
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import OneAnswerAtATime, deliver

FAILED = "Sign-in failed."
NEEDS = {"email": "Type your email address first.", "password": "Type your master password.",
         "password2": "Type the master password again.",
         "secret": "Type the invitation secret you were given (ask whoever invited you).",
         "code": "Type the code from your authenticator app (or your recovery code)."}
#: The second step's title: the master password was right, the app's code is next.
CODE_STEP = "Two-step login: the code from your authenticator app"


class LoginScreen(OneAnswerAtATime, Screen):
    TITLE_TEXT = "Sign in"
    BINDINGS = [
        Binding("ctrl+n", "toggle_accept", "Accept an invitation", id="accept"),
        Binding("escape", "sign_in_mode", "Back to sign-in", show=False),
        # A priority binding runs in the app's own turn, before it hands on the next key: the focus
        # moves before keys typed ahead (a paste, a password manager, a fast typist over SSH) are
        # delivered, so they reach the field they were typed for. Input's own enter (a message to
        # the screen, handled later) let them land in the email field, in clear text.
        # ctrl+j: an Enter typed before the app took the terminal reaches it as a newline (the
        # terminal turned it into one), so the password typed after it would join the email.
        Binding("enter,ctrl+j", "next_field", "Next / sign in", show=False, priority=True),
    ]

    def __init__(self, email: str | None = None) -> None:
        super().__init__()
        self.accepting = False
        self.email = email  # `msp-tui --email X`: filled in, the password field focused
        # The master password passed (signing in, or accepting with an existing account); two-step
        # login wants the code: core's PasswordChecked or AcceptChecked.
        self.pending = None

    def compose(self) -> ComposeResult:
        yield AppHeader(self.TITLE_TEXT)
        with Center():
            with Vertical(id="login-box", classes="card"):
                yield Label(Text("Sign in to the Provider Portal"), id="login-title", classes="card-title")
                yield Input(placeholder="email", id="email")
                yield Input(placeholder="invitation secret (from whoever invited you)", id="secret",
                            classes="accept-only")
                yield Input(placeholder="your name (optional)", id="name", classes="accept-only")
                yield Input(placeholder="master password", password=True, id="password")
                yield Input(placeholder="master password again", password=True, id="password2",
                            classes="accept-only")
                yield Input(placeholder="6-digit code (or recovery code)", id="code", classes="code-only")
                yield Static("", id="login-message", classes="field-error")
                yield Static(Text("enter sign in · ctrl+n accept an invitation · ctrl+q quit"), id="login-hint",
                             classes="modal-hint")
        yield KeyBar()

    @property
    def key_labels(self) -> dict[str, str]:
        # From the code step esc goes back to the master password (the email kept), as the hint says.
        return {"sign_in_mode": "Back to the master password"} if self.pending is not None else {}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # esc leads back to sign-in only from accepting an invitation (not in the key bar otherwise).
        if action == "sign_in_mode":
            return self.accepting or self.pending is not None
        return self.pending is None if action == "toggle_accept" else True

    def on_mount(self) -> None:
        self._apply_mode()
        email = self.query_one("#email", Input)
        if self.email:
            email.value = self.email
        self.set_focus(self.query_one("#password", Input) if self.email else email)

    def _apply_mode(self) -> None:
        coding = self.pending is not None
        for w in self.query(".accept-only"):
            w.display = self.accepting and not coding
        for w in self.query(".code-only"):
            w.display = coding
        for field_id in ("#email", "#password"):
            self.query_one(field_id, Input).display = not coding
        self.query_one("#login-box").set_class(self.accepting, "accepting")
        self.query_one("#login-title", Label).update(Text(
            CODE_STEP if coding else "Accept your invitation: choose a master password" if self.accepting
            else "Sign in to the Provider Portal"))
        self.query_one("#login-hint", Static).update(Text(
            f"enter {'accept' if self.accepting else 'sign in'} · esc back to the master password · ctrl+q quit"
            if coding else "enter accept · esc back to sign-in · ctrl+q quit" if self.accepting
            else "enter sign in · ctrl+n accept an invitation · ctrl+q quit"))
        self._message("")
        self.refresh_bindings()

    def _message(self, text: str) -> None:
        self.query_one("#login-message", Static).update(plain(text))

    def action_toggle_accept(self) -> None:
        self.accepting = not self.accepting
        self._apply_mode()

    def action_sign_in_mode(self) -> None:
        if self.pending is not None:  # back from the code to the master password
            self._back_to_password("")
        elif self.accepting:
            self.accepting = False
            self._apply_mode()

    def action_next_field(self) -> None:
        """Enter: on to the next empty field, or sign in (accept) once all are filled. An empty field
        keeps the focus and says what it needs, so what is typed next is not sent to another field.
        Decided once the field has every key typed before the Enter; keys typed after it wait."""
        hold = getattr(self.app, "hold_keys_until", None)
        if hold is None or self.focused is None:
            self._next_field()
        else:
            hold(self.focused, self._next_field)

    def _next_field(self) -> None:
        order = (["code"] if self.pending is not None else ["email", "secret", "name", "password", "password2"]
                 if self.accepting else ["email", "password"])
        focused = self.focused
        current = focused.id if isinstance(focused, Input) and focused.id in order else order[0]
        values = {k: self.query_one(f"#{k}", Input).value for k in order}
        if current != "name" and not values[current].strip():
            self._message(NEEDS[current])
            self.set_focus(self.query_one(f"#{current}", Input))
            return
        following = next((k for k in order[order.index(current) + 1:] if not values[k]), None)
        if following is not None:
            self._message("")
            self.set_focus(self.query_one(f"#{following}", Input))
            return
        missing = next((k for k in order if k != "name" and not values[k].strip()), None)
        if missing is not None:
            self._message(NEEDS[missing])
            self.set_focus(self.query_one(f"#{missing}", Input))
            return
        if self.pending is not None:
            self._second_step(values["code"])
        elif self.accepting:
            self._accept(values)
        else:
            self._sign_in(values["email"], values["password"])

    def _sign_in(self, email: str, password: str) -> None:
        if self.answering:
            return
        self._message("Signing in…")
        db = self.app.db

        def work() -> None:
            from msp_tui.core.services import accounts

            try:
                checked = accounts.check_password(db, email, password)
                if checked.needs_code:
                    self.deliver_answer(self._ask_code, checked)
                    return
                actor = accounts.finish_sign_in(db, checked)
            except MspError:
                self.deliver_answer(self._failed, FAILED)
                return
            deliver(self, self.app.signed_in, actor)

        self.answer_in_thread(work, group="sign-in")

    def _ask_code(self, checked) -> None:
        """The master password opened the keys; the second step asks for the app's code."""
        self.pending = checked
        self.query_one("#password", Input).value = ""
        self.query_one("#password2", Input).value = ""
        self._apply_mode()
        self._message("")
        self.set_focus(self.query_one("#code", Input))

    def _second_step(self, code: str) -> None:
        if self.answering:
            return
        self._message("Checking the code…")
        db, checked = self.app.db, self.pending

        def work() -> None:
            from msp_tui.core.services import accounts

            try:
                if isinstance(checked, accounts.AcceptChecked):
                    accepted = accounts.finish_acceptance(db, checked, code)
                else:
                    actor = accounts.finish_sign_in(db, checked, code)
            except AuthFailed:
                # The same answer as a wrong master password; both steps are typed again.
                self.deliver_answer(self._back_to_password, FAILED)
                return
            except MspError as exc:  # accepting: the invitation itself refused (policy 3, used meanwhile)
                self.deliver_answer(self._back_to_password, FAILED if not self.accepting else exc.message)
                return
            if isinstance(checked, accounts.AcceptChecked):
                self.deliver_answer(self._accepted, *accepted)
            else:
                deliver(self, self.app.signed_in, actor)

        self.answer_in_thread(work, group="sign-in")

    def _back_to_password(self, text: str) -> None:
        self.pending = None
        self.query_one("#code", Input).value = ""
        self._apply_mode()
        self._failed(text)

    def _failed(self, text: str) -> None:
        self._message(text)
        pw = self.query_one("#password", Input)
        pw.value = ""
        pw.focus()

    def _accept(self, values: dict[str, str]) -> None:
        if self.answering:
            return
        if values["password"] != values["password2"]:
            self._message("The two passwords differ; type the same master password twice.")
            return
        self._message("Creating your account…")
        db = self.app.db

        def work() -> None:
            from msp_tui.core.services import accounts

            try:
                checked = accounts.check_acceptance(db, email=values["email"], secret=values["secret"],
                                                    password=values["password"], name=values["name"])
                if checked.needs_code:  # an existing account with two-step login on: its code next
                    self.deliver_answer(self._ask_code, checked)
                    return
                actor, result = accounts.finish_acceptance(db, checked)
            except AuthFailed:
                self.deliver_answer(self._failed, FAILED)
                return
            except MspError as exc:
                self.deliver_answer(self._failed, exc.message)
                return
            self.deliver_answer(self._accepted, actor, result)

        self.answer_in_thread(work, group="accept")

    def _accepted(self, actor, result) -> None:
        self.pending = None
        self.query_one("#code", Input).value = ""
        joined = result.staff + result.memberships
        where = ", ".join(joined)
        self.accepting = False
        self._apply_mode()
        self._message(f"Invitation accepted ({where}). A Provider Admin must confirm you before you can "
                      "sign in to their clients." if result.staff else f"Invitation accepted ({where}).")
        for field_id in ("#secret", "#password", "#password2"):
            self.query_one(field_id, Input).value = ""
