"""The msp-tui Textual app: sign-in, then the clients home; screens are pushed and popped.

    MspApp(db, actor=None, start=None, start_args={})

actor=None opens the sign-in screen; with an Actor the clients home opens signed in. `start` names an
area of screens/areas.py to open on top of the home (unknown names open just the home).
"""

from __future__ import annotations

import gc
import os
import uuid
from pathlib import Path
from typing import Any

# Textual paints at most TEXTUAL_FPS times a second (default 60) and a result that arrives between
# frames waits for one; its frame clock can make that wait two frames (33 ms at 60). At 120 a page
# that arrives from a worker is on screen ~15 ms sooner (page down on the home: p95 44 → 24 ms).
# Painting is incremental, so the rate costs nothing while the screen is still. Read when Textual is
# first imported: set here, before that import; a TEXTUAL_FPS already in the environment wins.
os.environ.setdefault("TEXTUAL_FPS", "120")

from rich.text import Text  # noqa: E402  (after TEXTUAL_FPS: see above)
from textual.app import App  # noqa: E402
from textual.binding import Binding  # noqa: E402

from msp_tui.commands import MspCommands
from msp_tui.core.access import PROVIDER_ACTIONS, Action, Decision, decide, standing_for
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.errors import BadInput, MspError, Refused
from msp_tui.screens.areas import AREAS, CLIENT_SCREENS
from msp_tui.screens.lock import IdleLock
from msp_tui.widgets.header import SessionInfo
from msp_tui.widgets.text import inert_str
from msp_tui.widgets.threads import deliver
from msp_tui.widgets.typed_ahead import TypedAhead


def screenshot_folder() -> Path:
    """Where screenshots go: $MSP_TUI_SCREENSHOTS, else `screenshots` in the user data folder (beside
    the default database; platformdirs, e.g. ~/.local/share/msp-tui/screenshots)."""
    configured = os.environ.get("MSP_TUI_SCREENSHOTS")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    from msp_tui.core.db import APP_NAME

    return Path(platformdirs.user_data_dir(APP_NAME)) / "screenshots"


def load_session(db: Database, actor: Actor) -> tuple[SessionInfo, dict[Action, Decision]]:
    """The header's provider / person / role, and core's decisions on every provider-level action."""
    from msp_tui.core.models import Provider

    with db.read() as s:
        standing = standing_for(s, actor)
        provider = s.get(Provider, actor.provider_id) if actor.provider_id else None
        provider_name = provider.name if provider else "no provider"
    from msp_tui.core.services import approvals

    info = SessionInfo(provider=provider_name, person=actor.label, role=standing.kind.value,
                       short_person=actor.name or actor.email, approvals=approvals.pending_count(db, actor))
    return info, {a: decide(standing, a) for a in PROVIDER_ACTIONS}


class MspApp(TypedAhead, IdleLock, App):
    CSS_PATH = "app.tcss"
    #: How often the open session reads again what others change under it: the header's "N to approve"
    #: and this person's live break-glass grants (two small queries; the home re-reads its rows only
    #: when the grants changed).
    WATCH_SECONDS = 5.0
    TITLE = "msp-tui"
    COMMANDS = App.COMMANDS | {MspCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, show=False),
        Binding("ctrl+a", "approvals", "Approvals", id="approvals", show=False),
    ]

    def __init__(self, db: Database, actor: Actor | None = None, start: str | None = None,
                 start_args: dict | None = None, email: str | None = None) -> None:
        super().__init__()
        self.db = db
        self._email = email  # the sign-in screen's email, filled in (`msp-tui --email X`)
        self.actor: Actor | None = None
        self.session_info: SessionInfo | None = None
        self.provider_decisions: dict[Action, Decision] = {}
        self._initial_actor = actor
        self._start = start
        self._start_args = dict(start_args or {})
        #: The live grants last seen (break_glass.live_fingerprint); None until the first tick.
        self._granted: frozenset | None = None
        self._watch_timer = None

    # --- signing in and out -----------------------------------------------------------------------

    def on_mount(self) -> None:
        # What is loaded by now (Textual, SQLAlchemy, the CSS, the screens' code) lives as long as the
        # app: out of the cyclic collector's sight, a full collection costs ~2 ms instead of ~65 ms,
        # so one no longer lands inside a key press now and then.
        gc.freeze()
        if self._initial_actor is None:
            from msp_tui.screens.login import LoginScreen

            self.push_screen(LoginScreen(email=self._email))
        else:
            self.signed_in(self._initial_actor)

    def signed_in(self, actor: Actor) -> None:
        """Called by the sign-in screen (or at start with an Actor): load the session, open the home."""
        self.actor = actor
        if actor.must_change_password:  # policy 1, enforce on login: before anything else
            from msp_tui.screens.account import ChangePasswordScreen

            self.push_screen(ChangePasswordScreen(self.db, actor, forced=True),
                             lambda changed: self.signed_in(actor) if changed else None)
            return
        if actor.must_enrol_two_step:  # the provider requires two-step login of its staff
            from msp_tui.screens.two_step import TwoStepEnrolScreen

            self.push_screen(TwoStepEnrolScreen(self.db, actor, forced=True),
                             lambda done: self.signed_in(actor) if done else None)
            return

        def work() -> None:
            info, decisions = load_session(self.db, actor)
            deliver(self, self._session_ready, info, decisions)

        self.run_worker(work, thread=True, group="session")

    def _session_ready(self, info: SessionInfo, decisions: dict[Action, Decision]) -> None:
        from msp_tui.screens.clients import ClientsScreen

        self.session_info = info
        self.provider_decisions = decisions
        self.start_idle_lock()
        self._granted = None
        if self._watch_timer is None:
            self._watch_timer = self.set_interval(self.WATCH_SECONDS, self._watch)
        self._reset_stack()
        self.push_screen(ClientsScreen())
        start, self._start = self._start, None
        if start and start != "clients":
            self.open_area(start, **self._start_args)

    def refresh_approvals(self) -> None:
        """Count the approval requests waiting for this person again (the header's "N to approve")."""
        actor = self.actor
        if actor is None or self.session_info is None:
            return

        def work() -> None:
            from msp_tui.core.services import approvals

            n = approvals.pending_count(self.db, actor)
            deliver(self, self._approvals_counted, n)

        self.run_worker(work, thread=True, group="approvals-count", exclusive=True)

    def _watch(self) -> None:
        """On the timer: count the requests to approve again, and read this person's live grants."""
        actor = self.actor
        if actor is None or self.session_info is None:
            return

        def work() -> None:
            from sqlalchemy.exc import SQLAlchemyError

            from msp_tui.core.errors import MspError
            from msp_tui.core.services import approvals, break_glass

            try:
                n = approvals.pending_count(self.db, actor)
                granted = break_glass.live_fingerprint(self.db, actor)
            except (MspError, SQLAlchemyError, OSError):  # the database out of reach for a moment (a
                return  # restart, a file being replaced): the next tick reads again; a worker's error would
                # end the session, and the person's next key says why
            deliver(self, self._watched, actor, n, granted)

        self.run_worker(work, thread=True, group="session-watch", exclusive=True)

    def _watched(self, actor: Actor, n: int, granted: frozenset) -> None:
        if actor is not self.actor:  # signed out (or in as someone else) meanwhile
            return
        self._approvals_counted(n)
        before, self._granted = self._granted, granted
        if before is not None and before != granted:  # core's scope for this person changed
            for screen in self.screen_stack:
                changed = getattr(screen, "grants_changed", None)
                if changed is not None:
                    changed()

    def _approvals_counted(self, n: int) -> None:
        import dataclasses

        from msp_tui.widgets.header import AppHeader

        if self.session_info is not None and self.session_info.approvals != n:
            self.session_info = dataclasses.replace(self.session_info, approvals=n)
            # Every screen's header, not only the one on top: the inbox was over the home, whose header
            # kept the old count once shown again.
            for screen in self.screen_stack:
                for header in screen.query(AppHeader):
                    header.refresh()

    def action_approvals(self) -> None:
        self.open_area("approvals")

    def _reset_stack(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def sign_out(self) -> None:
        from msp_tui.screens.login import LoginScreen

        if self.actor is not None:
            self.actor.lock()
            # The next sign-in starts at the password: a password typed at once never lands in the email.
            self._email = self.actor.email
        self.actor = None
        self.session_info = None
        self.provider_decisions = {}
        self._reset_stack()
        self.push_screen(LoginScreen(email=self._email))

    def allowed(self, action: Action) -> bool:
        d = self.provider_decisions.get(action)
        return bool(d and d.allowed) if action in PROVIDER_ACTIONS else self.actor is not None

    # --- opening places (one line per screen, see screens/areas.py) --------------------------------

    def open_area(self, name: str, **kwargs: Any) -> None:
        """Open an area by name ("clients", "onboarding", "staff", later "timeline", …)."""
        area = AREAS.get(name)
        if area is None or name == "clients":
            self._to_home(**kwargs)
            return
        if area.action is not None and not self.allowed(area.action):
            d = self.provider_decisions.get(area.action)
            self.show_refusal(d or Decision(False, "access", "You cannot open this."))
            return
        self.push_screen(area.make(self, **kwargs))

    def _to_home(self, **kwargs: Any) -> None:
        from msp_tui.screens.clients import ClientsScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, ClientsScreen):
            self.pop_screen()
        if isinstance(self.screen, ClientsScreen) and kwargs.get("filter"):
            self.screen.action_filter()

    def open_client(self, organization_id: uuid.UUID, tab: str | None = None) -> None:
        """Open a client's detail screen (on `tab`), or a registered client screen on top of it."""
        from msp_tui.screens.client_detail import ClientDetailScreen

        if tab in CLIENT_SCREENS:
            self.push_screen(ClientDetailScreen(organization_id))
            self.push_screen(CLIENT_SCREENS[tab](self, organization_id))
            return
        self.push_screen(ClientDetailScreen(organization_id, tab=tab))

    def on_open_target(self, message) -> None:
        """Health and drift say where a finding is fixed: ("staff",) or ("client", org_id, place)."""
        target = tuple(message.target or ())
        message.stop()
        if not target:
            return
        if target[0] == "client" and len(target) >= 2:
            place = target[2] if len(target) > 2 else None
            self.open_client(target[1], tab=place if place in CLIENT_SCREENS else (place or "overview"))
        elif target[0] in AREAS:
            self.open_area(target[0], **(target[1] if len(target) > 1 and isinstance(target[1], dict) else {}))

    # --- keys and feedback ------------------------------------------------------------------------

    def action_help(self) -> None:
        from textual.screen import ModalScreen

        from msp_tui.screens.help import HelpScreen

        if isinstance(self.screen, ModalScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """A greyed-out action still answers a key press: with core's reason it is refused."""
        if isinstance(action, str):
            target, name, _params = self._parse_action(
                action, self if default_namespace is None else default_namespace, namespaces)
            refusal_for = getattr(target, "refusal_for", None)
            if refusal_for is not None:
                refusal = refusal_for(name)
                if refusal is not None:
                    self.show_refusal(refusal)
                    return True
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except KeyError:
            # Textual 8.2.8: an OptionList's page keys before its lines are laid out (the palette just
            # opened) look up a line that is not there yet; the key is simply too early.
            from textual.widgets import OptionList

            if isinstance(action, str) and isinstance(self.focused, OptionList) and action.endswith(
                    ("page_down", "page_up")):
                return True
            raise

    def show_refusal(self, decision: Decision) -> None:
        self.notify(inert_str(decision.reason), title=f"Not allowed [{decision.rule}]", severity="warning", markup=False)

    def show_error(self, exc: MspError) -> None:
        from msp_tui.screens import second_admin

        if second_admin.offer(self, exc):  # a guarded change: ask why, and send it for approval
            return
        if isinstance(exc, Refused):
            title = f"Refused [{exc.rule}]"
        elif isinstance(exc, BadInput):
            title = "Bad input"
        else:
            title = "Failed"
        self.notify(inert_str(exc.message), title=title, severity="error", markup=False, timeout=8)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """The palette's Screenshot. In a terminal Textual writes to ~/Downloads from a thread and says
        nothing (nor that the folder is missing); here it goes to screenshot_folder(), made if missing,
        written now, and a toast says where. In a browser (serve) Textual's download is right."""
        if self.is_web:
            return super().deliver_screenshot(filename, path, time_format)
        folder = Path(path) if path else screenshot_folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = self.save_screenshot(filename, str(folder), time_format)
        except OSError as exc:
            self.notify(inert_str(f"Cannot save the screenshot in {folder}: {exc.strerror}."),
                        title="Screenshot", severity="error", markup=False)
            return None
        self.notify(inert_str(f"Saved to {saved}"), title="Screenshot", markup=False)
        return None

    def say(self, message: str | Text) -> None:
        """A result toast; database text is passed literally."""
        self.notify(inert_str(message.plain if isinstance(message, Text) else message), markup=False)
