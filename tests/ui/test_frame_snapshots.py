"""Snapshots of the frame's screens (120×36, and the clients home at 80×24) on a frozen clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core import clock
from msp_tui.core.db import Database
from msp_tui.core.services import accounts
from tests.ui.frame_support import settle

NOW = datetime(2026, 11, 20, 9, 30)
BIG = (120, 36)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch):
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    from msp_tui.core import demo

    # The builder pins the clock for its first steps and then releases it; keep it on NOW throughout,
    # so invitation dates (and the "expired"/"stale invites" they imply) are the same on every run.
    real_freeze = clock.freeze
    monkeypatch.setattr(clock, "freeze", lambda at: real_freeze(at or NOW))
    clock.freeze(NOW)
    db = Database(tmp_path / "demo.db")
    demo.build(db, clients=24, events=300, seed=7)
    monkeypatch.setattr(clock, "freeze", real_freeze)
    real_freeze(NOW)
    yield db
    db.dispose()


def _ada(db):
    return accounts.sign_in(db, "ada@northwind.example", "northwind-demo-2026")


def _run(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_snapshot_login(snap_compare, sqlite_db):
    clock.freeze(NOW)
    assert snap_compare(MspApp(sqlite_db), terminal_size=BIG, run_before=_run(*"ada@northwind.example"))


def test_snapshot_clients_home(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run())


def test_snapshot_clients_home_80x24(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=(80, 24), run_before=_run())


def test_snapshot_clients_filtered_and_marked(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG,
                        run_before=_run("slash", "o", "enter", "space", "space", "1"))  # name ▼: no ties


def test_snapshot_clients_empty_provider(snap_compare, sqlite_db):
    from tests.conftest import make_provider

    clock.freeze(NOW)
    admin = make_provider(sqlite_db)
    assert snap_compare(MspApp(sqlite_db, actor=admin), terminal_size=BIG, run_before=_run())


def test_snapshot_clients_service_user(snap_compare, demo_db):
    # Kim is a confirmed Service User in the demo; her keys are sealed, so sign her in through core.
    from tests.ui.frame_support import make_service_user

    admin = _ada(demo_db)
    sam = make_service_user(demo_db, admin, "night@northwind.example")
    assert snap_compare(MspApp(demo_db, actor=sam), terminal_size=BIG, run_before=_run("n"))


def test_snapshot_client_detail_overview(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run("enter"))


def test_snapshot_client_detail_events(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run("enter", "5"))


def test_snapshot_client_detail_members(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run("enter", "2"))


def test_snapshot_onboarding_field_error(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG,
                        run_before=_run("n", "enter", *"Acme", "enter", "enter", "ctrl+u", "0"))


def test_snapshot_onboarding_confirm(snap_compare, demo_db):
    keys = ["n", "enter", *"Acme Dental", "enter", "down", "enter", "ctrl+u", *"20", "enter",
            *"billing@acme.example", "enter", "ctrl+u", *"owner@acme.example", "enter", "enter",  # no group
            "shift+tab", "right", "right", "enter", "tab", "enter", "enter"]  # invoice terms, no template
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run(*keys))


def test_snapshot_onboarding_client_groups_step_80x24(snap_compare, demo_db):
    """Issue 18: the wizard's client groups step, one group ticked and a new one named."""
    from tests.ui.test_client_groups_wizard_billing_timeline import groups_loaded

    keys = ["n", "enter", *"Acme Dental", "enter", "enter", "ctrl+u", *"20", "enter",
            *"billing@acme.example", "enter", "enter"]

    async def run_before(pilot) -> None:
        await _run(*keys)(pilot)
        await groups_loaded(pilot)
        await _run("down", "space", "tab", *"West")(pilot)

    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_billing_filtered_by_client_group_80x24(snap_compare, demo_db):
    """Issue 18: f on billing: the group's run-rate and clients; the discount tier stays the provider's."""
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=(80, 24), run_before=_run("b", "f"))


def test_snapshot_staff(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run("s"))


def test_snapshot_staff_remove_confirmation(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG,
                        run_before=_run("s", "G", "d"))


def test_snapshot_unlink_asks_for_the_name(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run("u"))


def test_snapshot_help(snap_compare, demo_db):
    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=_run("question_mark"))


def test_snapshot_help_service_user(snap_compare, demo_db):
    from tests.ui.frame_support import make_service_user

    sam = make_service_user(demo_db, _ada(demo_db), "night@northwind.example")
    assert snap_compare(MspApp(demo_db, actor=sam), terminal_size=BIG, run_before=_run("question_mark"))


def test_snapshot_login_accepting_an_invitation(snap_compare, sqlite_db):
    clock.freeze(NOW)
    assert snap_compare(MspApp(sqlite_db), terminal_size=BIG, run_before=_run("ctrl+n", *"new@msp.example"))


def test_snapshot_lock(snap_compare, demo_db):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.lock()
        await settle(pilot)

    assert snap_compare(MspApp(demo_db, actor=_ada(demo_db)), terminal_size=BIG, run_before=run_before)
