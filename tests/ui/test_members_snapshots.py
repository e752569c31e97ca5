"""Snapshots of member roles at 120×36 and 80×24 (clock frozen)."""

from __future__ import annotations

from msp_tui.screens.members import MembersScreen
from tests.ui.frame_support import Harness
from tests.ui.test_timeline_snapshots import build_world, settle, utc  # noqa: F401 - fixture


def test_members_snapshot_120x36(sqlite_db, utc, snap_compare):  # noqa: F811
    admin, c, _ = build_world(sqlite_db)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down", "space")

    assert snap_compare(Harness(lambda: MembersScreen(sqlite_db, admin, c.id)), terminal_size=(120, 36),
                        run_before=run_before)


def test_members_snapshot_80x24(sqlite_db, utc, snap_compare):  # noqa: F811
    admin, c, _ = build_world(sqlite_db)

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(Harness(lambda: MembersScreen(sqlite_db, admin, c.id)), terminal_size=(80, 24),
                        run_before=run_before)


def test_members_role_dialog_snapshot_120x36(sqlite_db, utc, snap_compare):  # noqa: F811
    admin, c, _ = build_world(sqlite_db)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "e")
        await settle(pilot)

    assert snap_compare(Harness(lambda: MembersScreen(sqlite_db, admin, c.id)), terminal_size=(120, 36),
                        run_before=run_before)


def test_members_snapshot_80x24_an_expired_invitation_reads_whole(sqlite_db, utc, snap_compare):  # noqa: F811
    """Six days on, the invitations have expired: the Status column at 80 columns says core's short
    "Expired", not "Invited (ex…"."""
    from datetime import timedelta

    from msp_tui.core import clock

    admin, c, _ = build_world(sqlite_db)
    clock.freeze(clock.now() + timedelta(days=6))

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(Harness(lambda: MembersScreen(sqlite_db, admin, c.id)), terminal_size=(80, 24),
                        run_before=run_before)
