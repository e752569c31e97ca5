"""Snapshots of the event timeline at 120×36 and 80×24 (clock frozen, times in UTC)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from msp_tui.core import clock
from msp_tui.core.services import accounts, clients, groups, members
from msp_tui.screens.timeline import TimelineScreen
from tests.conftest import PASSWORD, make_provider
from tests.ui.frame_support import Harness

T0 = datetime(2026, 11, 20, 8, 0, 0)


async def settle(pilot, rounds: int = 4) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def build_world(db):
    """A small provider whose every event has a known time: the clock moves 7 minutes a step."""
    step = iter(range(1000))

    def tick():
        clock.freeze(T0 + timedelta(minutes=7 * next(step)))

    tick()
    admin = make_provider(db)
    tick()
    c = clients.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    tick()
    f = clients.create_client(db, admin, name="Fabrikam Legal", plan="teams-annually", seats=5,
                              owner_email="it@fabrikam.example")
    tick()
    ana = members.invite(db, admin, c.id, ["ana@contoso.example", "ben@contoso.example",
                                           "cara@contoso.example"]).secrets["ana@contoso.example"]
    tick()
    members.invite(db, admin, c.id, ["dev@contoso.example"], "custom", {"manage_users", "access_event_logs"})
    tick()
    members.invite(db, admin, f.id, ["paralegal@fabrikam.example"], "admin")
    tick()
    accounts.accept_invitations(db, email="ana@contoso.example", secret=ana, password=PASSWORD, name="Ana Lima")
    tick()
    members.confirm(db, admin, c.id, ["ana@contoso.example"])
    tick()
    g = groups.create_group(db, admin, c.id, "Front desk")
    tick()
    members.set_groups(db, admin, c.id, "ana@contoso.example", [g.id])
    tick()
    members.revoke(db, admin, c.id, ["cara@contoso.example"])
    tick()
    members.change_role(db, admin, c.id, ["ben@contoso.example"], "admin")
    clock.freeze(T0 + timedelta(hours=3))
    return admin, c, f


def _app(db, admin):
    return Harness(lambda: TimelineScreen(db, admin))


def test_timeline_snapshot_120x36(sqlite_db, utc, snap_compare):
    admin, _, _ = build_world(sqlite_db)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("u")  # UTC, so the picture does not depend on the machine's zone

    assert snap_compare(_app(sqlite_db, admin), terminal_size=(120, 36), run_before=run_before)


def test_timeline_snapshot_80x24_with_type_numbers(sqlite_db, utc, snap_compare):
    admin, _, _ = build_world(sqlite_db)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("u", "t", "j", "j")

    assert snap_compare(_app(sqlite_db, admin), terminal_size=(80, 24), run_before=run_before)


def test_timeline_filter_dialog_snapshot_80x24(sqlite_db, utc, snap_compare):
    admin, _, _ = build_world(sqlite_db)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"Contoso Dental")

    assert snap_compare(_app(sqlite_db, admin), terminal_size=(80, 24), run_before=run_before)
