"""The walkthrough's harness: a demo provider, every place the app opens, and a watch for crashes.

    crashes = CrashWatch(monkeypatch)           # before the app runs
    ...
    crashes.check(app, "clients, key 'n'")      # fails the test with what broke, where

The app runs with its toasts shown (`run_test(notifications=True)`; Textual hides them in tests by default,
which is how a toast that crashed on every vault save went unseen). A crash is anything Textual would
print as a traceback: the app's own `_exception` (it exits on the
first one), a worker that failed (also those started with exit_on_error=False, which Textual keeps
silent), an error logged through `logging`, an exception in a thread, or an exception's name in a toast.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core.db import Database
from msp_tui.core.models import Client, Organization
from msp_tui.core.services import accounts

DEMO_EMAIL = "ada@northwind.example"
DEMO_PASSWORD = "northwind-demo-2026"
SERVICE_EMAIL = "walker@northwind.example"
SIZES = {"80x24": (80, 24), "120x36": (120, 36)}

#: Keys the walk never presses: they end the app or the process (not a crash), or hand the terminal away.
NEVER_ACTIONS = {"quit", "app.quit", "help_quit", "app.help_quit", "suspend_process", "app.suspend_process"}
NEVER_KEYS = {"ctrl+q", "ctrl+c", "ctrl+z", "super+c"}
#: An exception's name in a toast is a traceback told to the person.
_LEAKED = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b")


# --- a demo provider, built once per test process and copied for each test ------------------------

_TEMPLATE: dict[str, Path] = {}


def demo_template(tmp_path_factory) -> Path:
    """A small demo database (24 clients, 300 events, with a confirmed Service User who has a password)."""
    if "path" not in _TEMPLATE:
        from msp_tui.core import demo
        from msp_tui.core.services import staff

        path = tmp_path_factory.mktemp("walk") / "demo.db"
        db = Database(path)
        result = demo.build(db, clients=24, events=300, seed=7)
        secret = staff.invite(db, result.actor, [SERVICE_EMAIL], "service").secrets[SERVICE_EMAIL]
        accounts.accept_invitations(db, email=SERVICE_EMAIL, secret=secret, password=DEMO_PASSWORD,
                                    name="Walker Service")
        staff.confirm(db, result.actor, SERVICE_EMAIL)
        db.dispose()
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


def demo_copy(tmp_path, tmp_path_factory) -> Database:
    path = tmp_path / "walk.db"
    shutil.copy(demo_template(tmp_path_factory), path)
    return Database(path)


def sign_in(db: Database, who: str):
    return accounts.sign_in(db, DEMO_EMAIL if who == "admin" else SERVICE_EMAIL, DEMO_PASSWORD)


def a_client(db: Database) -> uuid.UUID:
    """The first managed client by name (the demo's clients have members, groups, items and events)."""
    with db.read() as s:
        return s.execute(select(Organization.id).join(Client, Client.organization_id == Organization.id)
                         .order_by(Organization.name).limit(1)).scalar_one()


# --- every place the app opens ----------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    name: str
    open: Callable  # open(app, org_id) -> None; None for the home itself and the sign-in screen


def _area(name: str) -> Callable:
    return lambda app, org: app.open_area(name)


def _client(tab: str) -> Callable:
    return lambda app, org: app.open_client(org, tab=tab)


def _tab(tab: str) -> Callable:
    def open_tab(app, org) -> None:
        from msp_tui.screens.client_detail import ClientDetailScreen

        app.push_screen(ClientDetailScreen(org, tab=tab))

    return open_tab


def _lock(app, org) -> None:
    app.lock()


PLACES: list[Place] = [
    Place("login", None),
    Place("clients", lambda app, org: None),
    *[Place(f"client-{tab}", _tab(tab))
      for tab in ("overview", "members", "groups", "collections", "events", "billing")],
    Place("members", _client("members")),
    Place("vault", _client("vault")),
    Place("policies", _client("policies")),
    Place("personal-vault", _area("vault")),
    *[Place(name, _area(name)) for name in ("staff", "billing", "health", "drift", "templates", "timeline",
                                             "onboarding")],
    Place("lock", _lock),
]


def open_place(app, place: Place, org) -> None:
    place.open(app, org)


# --- watching for crashes -----------------------------------------------------------------------------

class CrashWatch(logging.Handler):
    """Collects every exception the app raises or logs while it runs (see the module's docstring)."""

    def __init__(self, monkeypatch) -> None:
        super().__init__(level=logging.ERROR)
        self.found: list[str] = []
        from textual.worker import Worker, WorkerState

        original_run = Worker._run
        watch = self

        async def _run(worker, app) -> None:
            await original_run(worker, app)
            if worker.state == WorkerState.ERROR and worker._error is not None:
                watch.found.append(f"worker {worker.name or worker.group!r} failed: {worker._error!r}")

        monkeypatch.setattr(Worker, "_run", _run)
        original_hook = threading.excepthook

        def excepthook(args) -> None:
            watch.found.append(f"thread {args.thread.name if args.thread else '?'}: {args.exc_value!r}")
            original_hook(args)

        monkeypatch.setattr(threading, "excepthook", excepthook)
        root = logging.getLogger()
        root.addHandler(self)
        monkeypatch.setattr(self, "_root", root, raising=False)
        self._seen_notes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append(f"logged {record.levelname} {record.name}: {record.getMessage()}")

    def close(self) -> None:
        logging.getLogger().removeHandler(self)
        super().close()

    def problems(self, app) -> list[str]:
        out = list(self.found)
        if app._exception is not None:
            out.insert(0, f"app raised {app._exception!r}")
        for note in list(app._notifications):
            text = f"{note.title or ''} {note.message}"
            if _LEAKED.search(text):
                out.append(f"toast tells an exception: {text!r}")
        return out

    def check(self, app, where: str) -> None:
        problems = self.problems(app)
        if problems:
            import traceback

            detail = ""
            if app._exception is not None:
                detail = "\n" + "".join(traceback.format_exception(app._exception))
            pytest.fail(f"{where}:\n  " + "\n  ".join(problems) + detail, pytrace=False)


# --- pressing and typing ---------------------------------------------------------------------------------

_LONG_LIVED: set = set()  # workers that outlived a wait (a follow loop): not waited on again


async def settle(pilot, rounds: int = 2) -> None:
    """Let the screen handle what is pending, workers finish and their results land on the UI thread.

    Bounded: a worker still running after 5 s is taken for a long-lived one (the timeline's follow) and
    not waited on again; a cancelled one is not a failure (a screen closed under it)."""
    import asyncio

    for _ in range(rounds):
        await pilot._wait_for_screen()
        running = [w for w in pilot.app.workers if not w.is_finished and w not in _LONG_LIVED]
        if running:
            waits = asyncio.gather(*(w.wait() for w in running), return_exceptions=True)
            try:
                await asyncio.wait_for(waits, timeout=5)
            except (asyncio.TimeoutError, TimeoutError):
                _LONG_LIVED.update(w for w in running if not w.is_finished)
    await pilot._wait_for_screen()


async def press(pilot, key: str) -> None:
    """One key as the terminal sends it (Pilot.press without its waits for an idle CPU, which cost ~0.1 s
    a key on a busy machine; `settle` waits for what the key started instead)."""
    import unicodedata

    from textual import events
    from textual.app import _character_to_key
    from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key

    app = pilot.app
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)
    await settle(pilot)


async def finish(pilot) -> None:
    """See Walker.finish."""
    app = pilot.app
    await pilot.pause()
    for _ in range(10):
        if len(app.screen_stack) <= 2:
            break
        await app.pop_screen()
        await pilot.pause()
    await settle(pilot)


def declared_keys(screen) -> list[str]:
    """Every key bound on the screen and the widgets in its focus chain (also those greyed out: pressing
    a refused key must say why, not crash), minus the ones that end the app."""
    keys: list[str] = []
    for _node, bindings in screen._modal_binding_chain:
        for key, key_bindings in bindings.key_to_bindings.items():
            if key in NEVER_KEYS or key in keys:
                continue
            if any(b.action in NEVER_ACTIONS for b in key_bindings):
                continue
            keys.append(key)
    return keys


def visible_inputs(screen) -> list[Input]:
    out = []
    for widget in screen.query(Input):
        node, shown = widget, True
        while node is not None and node is not screen:
            if not node.display:
                shown = False
                break
            node = node.parent
        if shown and not widget.disabled:
            out.append(widget)
    return out


_counter = iter(range(1, 10**9))


def value_for(widget: Input, screen, valid: bool) -> str:
    """A value for a form field, read from its id and placeholder: valid ones a person would type, invalid
    ones a person mistypes (empty, a word for a number, an address without a domain)."""
    n = next(_counter)
    hint = f"{widget.id or ''} {widget.placeholder or ''}".lower()
    expected = getattr(screen, "expected", None)
    if isinstance(expected, str):  # a "type the name to confirm" field
        return expected if valid else expected.upper() + "x"
    if type(screen).__name__ == "LoginScreen" and widget.id == "email":
        return DEMO_EMAIL if valid else "ada@"
    if "totp" in hint or "authenticator" in hint:
        return "JBSWY3DPEHPK3PXP" if valid else "not base32!"
    if "password" in hint or "master" in hint:
        return DEMO_PASSWORD if valid else "wrong"
    if "email" in hint or "invite" in hint:
        return f"walk{n}@contoso.example" if valid else "walk@@contoso"
    if any(w in hint for w in ("seat", "number", "count", "days", "minutes", "length", "minimum", "limit",
                               "type no", "types")):
        return "7" if valid else "seven"
    if any(w in hint for w in ("since", "until", "time", "from")):
        return "24h" if valid else "yesterday-ish"
    if "url" in hint or "uri" in hint or "website" in hint:
        return "https://example.com/login" if valid else "not a url"
    if "filter" in hint or "search" in hint:
        return "co" if valid else "\x1b[31mzz"
    if "name" in hint:
        return f"Walk Client {n}" if valid else ""
    return f"walk value {n}" if valid else ""


# --- walking a place: every declared key from a fresh screen, every form invalid then valid ---------------

#: Keys that move focus or close a dialog: pressed by the unwinding, not as the dialog's own actions.
_NAV_KEYS = {"tab", "shift+tab", "escape"}
_SUBMIT_ACTIONS = ("save", "submit", "send", "apply")


class Walker:
    def __init__(self, pilot, crashes: CrashWatch, db: Database, who: str, place: Place, org, label: str) -> None:
        self.pilot, self.app, self.crashes, self.db = pilot, pilot.app, crashes, db
        self.who, self.place, self.org, self.label = who, place, org, label
        self.steps = 0
        self.keys: list[str] = []

    def check(self, what: str) -> None:
        self.steps += 1
        self.crashes.check(self.app, f"{self.label}: {what} (on {type(self.app.screen).__name__}; "
                                     f"the keys before: {' '.join(self.keys[-8:-1])})")

    async def press(self, key: str, what: str) -> None:
        self.keys.append(key)
        if os.environ.get("MSP_TUI_WALK_TRACE"):
            print(f"{self.label}: {what}: {[type(s).__name__ for s in self.app.screen_stack]} "
                  f"{getattr(getattr(self.app.screen, 'current', None), 'key', '')}", flush=True)
        await press(self.pilot, key)
        self.check(what)

    async def fresh(self):
        """The place's screen on top again: what a key opened above it is closed; the place is opened anew
        when a key left it (back, sign-out) or left a field focused (a filter bar would eat the next keys)."""
        from textual.widgets import TextArea

        app = self.app
        screen = getattr(self, "screen", None)
        if screen is not None and screen in app.screen_stack and app.actor is not None \
                or (self.place.name == "login" and screen in app.screen_stack):
            if app.screen is not screen:
                await self.pilot.pause()  # let what the key opened finish mounting: a person sees it first
            for _ in range(10):  # bounded: a screen that will not pop is reopened below, not waited on
                if app.screen is screen:
                    break
                await app.pop_screen()
            if app.screen is screen and (not isinstance(screen.focused, (Input, TextArea))
                                         or screen is getattr(self, "_input_home", None)):
                await settle(self.pilot, 1)
                return screen
        self.screen = await self._reopen()
        self._input_home = self.screen if isinstance(self.screen.focused, (Input, TextArea)) else None
        return self.screen

    async def _reopen(self):
        from msp_tui.screens.login import LoginScreen

        app = self.app
        if self.place.name == "login":
            if not isinstance(app.screen, LoginScreen) or len(app.screen_stack) > 2:
                app.sign_out()
                await settle(self.pilot)
            return app.screen
        if app.actor is None:  # signed out (the lock screen's ctrl+o, the palette's "sign out")
            app.signed_in(sign_in(self.db, self.who))
            await settle(self.pilot)
        for _ in range(10):
            if len(app.screen_stack) <= 2:
                break
            await app.pop_screen()
        await settle(self.pilot, 1)
        open_place(app, self.place, self.org)
        await settle(self.pilot)
        self.check("opening it")
        return app.screen

    async def every_key(self) -> None:
        screen = await self.fresh()
        for key in declared_keys(screen):
            screen = await self.fresh()
            await self.press(key, f"key {key!r}")
            if self.app.screen is not screen and self.app.screen.is_modal:
                await self.dialog(self.app.screen, f"key {key!r}", depth=1)

    async def dialog(self, dialog, how: str, depth: int) -> None:
        """A dialog: its form submitted invalid then valid, or its own keys pressed; nested ones likewise."""
        app = self.app
        inputs = visible_inputs(dialog)
        if inputs:
            for valid in (False, True):
                if app.screen is not dialog:
                    break
                await self.submit(dialog, inputs, valid, f"{how}, dialog form {'valid' if valid else 'invalid'}")
        else:
            for key in declared_keys(dialog):
                if app.screen is not dialog:
                    break
                if key not in _NAV_KEYS:
                    await self.press(key, f"{how}, dialog key {key!r}")
            if app.screen is dialog:
                await self.press("enter", f"{how}, dialog enter")
        top = app.screen
        if top is not dialog and top.is_modal and depth < 2 and top in app.screen_stack:
            await self.dialog(top, f"{how} → {type(top).__name__}", depth + 1)

    async def submit(self, screen, inputs, valid: bool, what: str) -> None:
        from textual.widgets import SelectionList

        for widget in inputs:
            if widget.is_attached:
                widget.value = value_for(widget, screen, valid)
        for choices in screen.query(SelectionList):  # e.g. an item's collections: one chosen, or none
            choices.deselect_all()
            if valid and choices.option_count:
                choices.select(choices.get_option_at_index(0).value)
        await settle(self.pilot, 1)
        last = [w for w in inputs if w.is_attached]
        if not last:
            return
        last[-1].focus()
        await self.press("enter", what)
        if self.app.screen is screen:
            for key in declared_keys(screen):
                bindings = screen._modal_binding_chain
                actions = {b.action for _n, m in bindings for b in m.key_to_bindings.get(key, [])}
                if any(a.split(".")[-1].startswith(_SUBMIT_ACTIONS) for a in actions) and self.app.screen is screen:
                    await self.press(key, f"{what} ({key})")

    async def finish(self) -> None:
        """Before the app is stopped: what the last key opened finishes mounting (stopping the app in
        the middle of a screen's mount fails inside Textual's tabs, which no person can cause: ctrl+q
        waits for the mount), and the stack goes back to the home."""
        await finish(self.pilot)
        self.check("closing")

    async def forms(self) -> None:
        """The place's own fields (sign-in, lock, the wizard's steps, a filter bar), invalid then valid."""
        screen = await self.fresh()
        for step in range(8):
            if self.app.screen is not screen:
                if self.app.screen.is_modal and self.app.screen in self.app.screen_stack:
                    await self.dialog(self.app.screen, f"form step {step}", depth=1)
                return
            inputs = visible_inputs(screen)
            if not inputs:  # a step that is a choice (the wizard's first): enter takes the one offered
                await self.press("enter", f"form step {step}: enter")
                continue
            await self.submit(screen, inputs, False, f"form step {step} invalid")
            if self.app.screen is screen:
                await self.submit(screen, visible_inputs(screen) or inputs, True, f"form step {step} valid")
