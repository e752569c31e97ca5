"""Set-ups and helpers the UI tests share (clients home, detail, onboarding, staff, login, vault, the
approvals inbox, the idle lock): one home, so a test file holds its tests."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select
from textual.app import App

from msp_tui.core.enums import EventType
from msp_tui.core.models import Client, Event, Organization, Staff
from msp_tui.core.services import accounts
from msp_tui.core.services import staff as staff_service
from tests.conftest import PASSWORD, make_provider


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their results land on the UI thread."""
    from textual.worker import WorkerCancelled

    for _ in range(rounds):
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # a screen's loader cancelled by the screen that covered it
            pass
    await pilot.pause()


async def until(pilot, done, tries: int = 200) -> None:
    """Wait (50 ms at a time, 10 s at most) until `done()`: for work whose end no worker marks."""
    for _ in range(tries):
        await pilot.pause(0.05)
        if done():
            return
    raise AssertionError("the screen did not get there")


async def home_shown(pilot, app) -> None:
    """Signed in, the idle lock started and the clients home mounted (signing out under it while it
    mounts, as a loaded machine can, would leave it without a person)."""
    from msp_tui.screens.clients import ClientsScreen

    await until(pilot, lambda: app.session_info is not None and app._last_activity is not None
                and isinstance(app.screen, ClientsScreen) and app.screen.is_mounted)
    await pilot.pause()


class Harness(App):
    """An app that shows one screen, `make()`: a screen tested (or snapshotted) on its own. What the
    screen asks the app to open (health's and drift's OpenTarget) is kept in `opened`."""

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make
        self.opened: list = []

    def on_mount(self) -> None:
        self.push_screen(self.make())

    def on_open_target(self, message) -> None:
        self.opened.append(message.target)


@contextlib.asynccontextmanager
async def signed_in(db, actor, size=(80, 24), *, notifications: bool = False, start: str | None = None):
    """The app signed in as `actor` on its clients home (or `start`), settled: yields (app, pilot)."""
    from msp_tui.app import MspApp

    app = MspApp(db, actor=actor, start=start)
    async with app.run_test(size=size, notifications=notifications) as pilot:
        await settle(pilot)
        yield app, pilot


@contextlib.asynccontextmanager
async def on_a_fixed_clock(db, actor, size=(80, 24)):
    """The app signed in as `actor`, its home shown, on a frozen clock: yields (app, pilot, at), where
    `at(minutes)` sets the clock that many minutes after the start (idle time without waiting for it).
    The clock runs again afterwards."""
    from datetime import timedelta

    from msp_tui.app import MspApp
    from msp_tui.core import clock

    start = clock.now()
    clock.freeze(start)
    try:
        app = MspApp(db, actor=actor)
        async with app.run_test(size=size) as pilot:
            await home_shown(pilot, app)
            yield app, pilot, lambda minutes: clock.freeze(start + timedelta(minutes=minutes))
    finally:
        clock.freeze(None)


def notes(app) -> list[str]:
    """The toasts the app has shown (run_test(notifications=True)), as text."""
    return [str(n.message) for n in app._notifications]


def make_second_admin(db, admin, email: str = "grace@msp.example"):
    """A second confirmed Provider Admin, signed in (two-person approval needs two)."""
    from tests.world import join

    secret = staff_service.invite(db, admin, [email], "admin").secrets[email]
    actor = join(db, email, secret)
    staff_service.confirm(db, admin, email)
    return actor


@pytest.fixture
def vault_world(sqlite_db, monkeypatch):
    """(db, admin, Contoso Dental with its owner, user and collections); sign-in throttles do not wait."""
    from tests.core.test_vault_support import NO_WAIT, make_client

    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    admin = make_provider(sqlite_db)
    return sqlite_db, admin, make_client(sqlite_db, admin)


def vault_names(app) -> list[str]:
    """The item names the vault screen lists, in order."""
    from msp_tui.widgets.paged_table import PagedTable

    return [r.name for r in app.screen.query_one("#items", PagedTable).rows]


def event_types(db, *types: EventType) -> list[int]:
    with db.read() as s:
        stmt = select(Event.type).order_by(Event.id)
        if types:
            stmt = stmt.where(Event.type.in_([int(t) for t in types]))
        return list(s.execute(stmt).scalars())


def client_names(db) -> list[str]:
    with db.read() as s:
        return list(s.execute(select(Organization.name).join(Client, Client.organization_id == Organization.id)
                              .order_by(Organization.name)).scalars())


def count(db, model) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def staff_row(db, email: str) -> Staff:
    with db.read() as s:
        return s.execute(select(Staff).where(Staff.email == email)).scalar_one()


def make_service_user(db, admin, email: str = "sam@msp.example"):
    """A confirmed Service User, signed in."""
    secret = staff_service.invite(db, admin, [email], "service").secrets[email]
    accounts.accept_invitations(db, email=email, secret=secret, password=PASSWORD, name="Sam Service")
    staff_service.confirm(db, admin, email)
    return accounts.sign_in(db, email, PASSWORD)


def sync(fn):
    """Run an async Pilot test with asyncio (the project has no pytest async plugin)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper
