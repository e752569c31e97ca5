"""Snapshots of the policy editor, its form and the drift report (looked at: see the SVGs)."""

from __future__ import annotations

from textual.widgets import Checkbox, Input

from msp_tui.widgets.paged_table import PagedTable

from msp_tui.core.services import policies as pol
from msp_tui.screens.drift import DriftScreen
from msp_tui.screens.policies import PolicyEditorScreen
from tests.conftest import make_provider
from tests.core._policy_support import client
from tests.ui.frame_support import Harness

SIZE = (120, 36)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _baseline(db):
    admin = make_provider(db)
    a = client(db, admin, "Contoso Dental")
    b = client(db, admin, "Fabrikam Legal")
    client(db, admin, "Tailspin Motors")
    pol.create_template(db, admin, "Baseline", {
        "two-factor": True, "single-org": True, "remove-pin": True,
        "master-password": (True, {"min_length": 14, "require_upper": True}),
        "vault-timeout": (True, {"minutes": 240, "action": "lock"})})
    pol.apply_template(db, admin, "Baseline", all_clients=True, dry_run=False)
    return admin, a, b


def test_policy_editor_snapshot(snap_compare, sqlite_db):
    admin, a, _ = _baseline(sqlite_db)
    pol.set_policy(sqlite_db, admin, a.id, "vault-timeout", options={"minutes": 720})

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.query_one(PagedTable).cursor = 9
        await pilot.pause()

    assert snap_compare(Harness(lambda: PolicyEditorScreen(sqlite_db, admin, a.id)), terminal_size=SIZE,
                        run_before=run_before)


def test_policy_form_with_inline_errors_snapshot(snap_compare, sqlite_db):
    admin = make_provider(sqlite_db)
    a = client(sqlite_db, admin, "Contoso Dental")

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.query_one(PagedTable).cursor = 9
        await pilot.press("enter")
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#enabled", Checkbox).value = True
        form.query_one("#opt-minutes", Input).value = "0"
        await pilot.pause()

    assert snap_compare(Harness(lambda: PolicyEditorScreen(sqlite_db, admin, a.id)), terminal_size=SIZE,
                        run_before=run_before)


def test_drift_report_snapshot(snap_compare, sqlite_db):
    admin, a, b = _baseline(sqlite_db)
    pol.set_policy(sqlite_db, admin, a.id, "vault-timeout", options={"minutes": 720})
    pol.set_policy(sqlite_db, admin, a.id, "remove-pin", enabled=False)
    pol.set_policy(sqlite_db, admin, b.id, "master-password", options={"min_length": 12})

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(Harness(lambda: DriftScreen(sqlite_db, admin)), terminal_size=SIZE,
                        run_before=run_before)
