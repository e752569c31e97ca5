"""The lock screen: asks the master password again (after the idle time, or before revealing a secret).

`LockScreen(db, actor)` covers the whole terminal (nothing unlocked shows behind it) and dismisses
with True once the master password opened the keys again. With `cancellable=True` (the re-prompt
before revealing a password) `esc` dismisses it with False.

`IdleLock` is a small App mixin: it notes every key and mouse press, and `lock_if_idle()` (run every
10 seconds) locks the actor — core drops the keys — and pushes a LockScreen once core's IdleWatch
(the provider's idle time, at most the Vault timeout policy, read again as the session runs) says so.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from msp_tui.core import clock
from msp_tui.core.errors import AuthFailed, MspError
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import deliver

NO_RECOVERY = ("No one can reset or recover a master password — not your provider, not another admin. "
               "If it is lost, a second Provider Admin can remove you and invite you again.")


class LockScreen(Screen[bool]):
    """Type the master password to unlock."""

    DEFAULT_CSS = """
    LockScreen { align: center middle; }
    LockScreen #lock-box { width: 64; height: auto; border: round $primary; padding: 1 2; }
    LockScreen #lock-title { text-style: bold; }
    LockScreen #lock-status { color: $error; height: auto; }
    LockScreen #lock-note { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="lock.cancel"),
                Binding("ctrl+o", "sign_out", "Sign out", id="lock.sign-out"),
                # In the app's turn, once the field has every key typed before it (screens/login.py).
                Binding("enter,ctrl+j", "unlock", "Unlock", id="lock.unlock", show=False,
                        priority=True)]

    def __init__(self, db, actor, *, reason: str | None = None, cancellable: bool = False) -> None:
        super().__init__()
        self.db = db
        self.actor = actor
        self.reason = reason or "msp-tui is locked. Your keys were dropped from memory."
        self.cancellable = cancellable
        self.checking = False
        self.again = False  # Enter was pressed on a password typed while the last one was checked

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Label(Text("Master password"), id="lock-title")
            yield Static(Text(self.reason), id="lock-reason")
            yield Static(Text(f"Signed in as {self.actor.label}"), id="lock-who")
            yield Input(password=True, placeholder="master password", id="lock-password")
            yield Static("", id="lock-status")
            yield Static(Text(NO_RECOVERY), id="lock-note")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#lock-password", Input))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.cancellable
        return True

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(False)

    def action_sign_out(self) -> None:
        self.dismiss(False)
        if hasattr(self.app, "sign_out"):
            self.app.sign_out()

    def action_unlock(self) -> None:
        field = self.query_one("#lock-password", Input)
        hold = getattr(self.app, "hold_keys_until", None)
        if hold is None:
            self._submit()
        else:
            hold(field, self._submit)

    def _submit(self) -> None:
        # The field stays open while a password is checked: what is typed meanwhile is kept for
        # the next try, and its Enter runs that try once this one failed.
        field = self.query_one("#lock-password", Input)
        if self.checking:
            self.again = True
            return
        if not field.value:
            return
        password, field.value = field.value, ""
        self.checking = True
        self.query_one("#lock-status", Static).update(Text("Checking…"))
        self._unlock(password)

    @work(thread=True, group="unlock")  # one at a time: self.checking
    def _unlock(self, password: str) -> None:
        from msp_tui.core.services import accounts

        try:
            accounts.unlock(self.db, self.actor, password)
        except AuthFailed:
            deliver(self, self._failed, "Wrong master password. Each wrong try waits longer.")
            return
        except MspError as exc:
            deliver(self, self._failed, str(exc))
            return
        deliver(self, self.dismiss, True)

    def _failed(self, message: str) -> None:
        self.checking = False
        self.query_one("#lock-status", Static).update(Text(message))
        self.set_focus(self.query_one("#lock-password", Input))
        if self.again:
            self.again = False
            self._submit()


class IdleLock:
    """App mixin: lock after the provider's idle time. The App sets `self.db` and `self.actor`."""

    IDLE_CHECK_SECONDS = 10
    _last_activity = None
    _idle_timer = None
    _idle_watch = None

    def start_idle_lock(self) -> None:
        from msp_tui.core.services import policies

        self._last_activity = clock.now()
        # Core decides: the provider's idle time, at most a client's Vault timeout policy (policy 9),
        # read again while the session runs.
        self._idle_watch = policies.IdleWatch(self.db, self.actor)
        if self._idle_timer is None:
            self._idle_timer = self.set_interval(self.IDLE_CHECK_SECONDS, self.lock_if_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self._last_activity = clock.now()
        await super().on_event(event)

    def lock_if_idle(self) -> bool:
        """Lock now if the idle time has passed; True when it locked. (Not `check_idle`: that is
        Textual's, which wakes the app for callbacks queued by timers - a resize among them.)"""
        actor = getattr(self, "actor", None)
        if self._last_activity is None or actor is None or actor.secrets is None or self._idle_watch is None:
            return False
        timeout = self._idle_watch.due(self._last_activity)
        if timeout is None:
            return False
        minutes = timeout.minutes
        why = f" (the Vault timeout policy of {', '.join(timeout.clients)})" if timeout.clients else ""
        if timeout.action == "logOut" and hasattr(self, "sign_out"):
            self._last_activity = None
            self.sign_out()
            self.notify(f"msp-tui signed you out after {minutes} minutes without activity{why}.",
                        severity="warning", timeout=30, markup=False)
            return True
        self.lock(reason=f"msp-tui locked after {minutes} minutes without activity{why}; "
                         "your keys were dropped from memory.")
        return True

    def lock(self, reason: str | None = None) -> None:
        """Drop the keys (core) and cover everything until the master password is typed again."""
        if getattr(self, "actor", None) is None or isinstance(self.screen, LockScreen):
            return
        self.actor.lock()
        self.push_screen(LockScreen(self.db, self.actor, reason=reason),
                         callback=lambda _ok: setattr(self, "_last_activity", clock.now()))
