"""A snapshot of every place the app opens at 80×24, and at 120×36 where no other file has one.

The places are tests/ui/walk.py's PLACES (the walkthrough's list), opened on the frozen demo of
test_frame_snapshots.py as Ada, its Provider Admin. Issue 14: every screen must let a person do its job
at 80 columns; these pictures are what a person sees there (open them: `pytest --snapshot-update` only
writes what the code draws).
"""

from __future__ import annotations

import pytest

from msp_tui.app import MspApp
from tests.ui.frame_support import settle
from tests.ui.test_frame_snapshots import _ada, _no_blink, demo_db  # noqa: F401  (fixtures)
from tests.ui.walk import PLACES, a_client, open_place

SMALL, BIG = (80, 24), (120, 36)
#: 120×36 pictures other files already hold (test_frame_snapshots, test_members_snapshots, test_vault_screen,
#: test_billing_ui, test_health_screen, test_policies_snapshots, test_timeline_snapshots).
WIDE_ELSEWHERE = {"login", "clients", "client-overview", "client-members", "client-events", "members", "vault",
                  "policies", "billing", "health", "timeline", "staff", "lock", "onboarding"}


#: 80×24 pictures held elsewhere (test_frame_snapshots.test_snapshot_clients_home_80x24).
SMALL_ELSEWHERE = {"clients"}


def _cases():
    for place in PLACES:
        if place.name not in SMALL_ELSEWHERE:
            yield pytest.param(place, SMALL, id=f"{place.name}-80x24")
        if place.name not in WIDE_ELSEWHERE:
            yield pytest.param(place, BIG, id=f"{place.name}-120x36")


async def _still(pilot) -> None:
    """Until the picture stops changing (at most ~2 s): tables size their columns when idle and then
    ask for a repaint, and a picture taken before it shows columns cut to their headers."""
    from textual.widgets import DataTable

    last = None
    for _ in range(40):
        for table in pilot.app.screen.query(DataTable):
            table.refresh(layout=True)
        await pilot.pause(0.05)
        shot = pilot.app.export_screenshot()
        if shot == last:
            return
        last = shot


@pytest.mark.parametrize("place,size", list(_cases()))
def test_snapshot_of_every_screen(snap_compare, demo_db, place, size):  # noqa: F811
    async def run_before(pilot) -> None:
        await settle(pilot)
        if place.name == "login":
            await pilot.press(*"ada@northwind.example")
        else:
            open_place(pilot.app, place, a_client(demo_db))
        await settle(pilot)
        await _still(pilot)

    actor = None if place.name == "login" else _ada(demo_db)
    assert snap_compare(MspApp(demo_db, actor=actor), terminal_size=size, run_before=run_before)
