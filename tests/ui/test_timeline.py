"""The event timeline screen: pages, filters, follow mode with a second process, open, export."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
import time

import pytest

from msp_tui.core import export
from msp_tui.core.enums import EventType
from msp_tui.core.services import clients, members
from msp_tui.screens.members import MembersScreen
from msp_tui.screens.timeline import TIMELINE_PAGE, TimelineScreen
from msp_tui.widgets.timeline_dialogs import TimelineFilterDialog
from tests.conftest import PASSWORD, make_provider
from tests.ui.frame_support import Harness


class HookedHarness(Harness):
    """An app that offers the hooks the timeline calls on enter."""

    def open_member(self, organization_id, member_id) -> None:
        self.opened.append(("member", organization_id, member_id))

    def open_client(self, organization_id) -> None:
        self.opened.append(("client", organization_id))


async def settle(pilot, rounds: int = 4) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def busy(db):
    """A provider with two clients and more events than one page (on SQLite and PostgreSQL)."""
    admin = make_provider(db)
    a = clients.create_client(db, admin, name="Alpha", plan="enterprise-monthly", seats=200,
                              owner_email="owner@alpha.example")
    b = clients.create_client(db, admin, name="Beta", plan="teams-monthly", seats=50,
                              owner_email="owner@beta.example")
    for batch in range(7):
        members.invite(db, admin, a.id, [f"a{batch}-{i}@alpha.example" for i in range(20)])
    members.invite(db, admin, b.id, [f"b{i}@beta.example" for i in range(10)])
    return db, admin, a, b


WRITER = """
import sys
from msp_tui.core.db import Database
from msp_tui.core.services import accounts, members
db = Database(sys.argv[1])
actor = accounts.sign_in(db, sys.argv[2], sys.argv[3])
members.invite(db, actor, sys.argv[4], [sys.argv[5]])
"""


def test_timeline_pages_filters_and_follows_a_second_process(busy, tmp_path):
    asyncio.run(_pages_filters_follows(*busy, tmp_path))


async def _pages_filters_follows(db, admin, a, b, tmp_path):
    app = Harness(lambda: TimelineScreen(db, admin))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.table
        assert len(table.rows) == TIMELINE_PAGE and not screen.exhausted
        assert {r.client_name for r in table.rows} >= {"Alpha", "Beta"}
        # Keyset paging: going to the end of what is loaded fetches the next page.
        await pilot.press("G")
        await settle(pilot)
        assert len(table.rows) > TIMELINE_PAGE
        ids = [r.id for r in table.rows]
        assert len(ids) == len(set(ids)) and ids == sorted(ids, reverse=True)

        # Filter on one client through the dialog.
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, TimelineFilterDialog)
        await pilot.press(*"Alpha")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert table.rows and {r.client_name for r in table.rows} == {"Alpha"}
        assert "Alpha" in str(screen.query_one("#tl-filter").content)

        # Follow mode: the person moves down; another process writes; the event arrives in 2 s
        # and the highlighted event stays highlighted.
        await pilot.press("f")
        await settle(pilot)
        for _ in range(5):
            await pilot.press("j")
        before = table.current
        assert before is not None and table.cursor == 5
        proc = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-c", WRITER, db.url.render_as_string(hide_password=False), admin.email, PASSWORD,
            str(a.id),
            "late@alpha.example"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        written = time.monotonic()
        arrived = None
        while time.monotonic() - written < 2.0:
            await pilot.pause(0.05)
            if any(r.detail.get("email") == "late@alpha.example" for r in table.rows):
                arrived = time.monotonic() - written
                break
        assert arrived is not None, "the other process's event did not arrive within 2 seconds"
        assert table.current == before and table.cursor == 6
        assert table.rows[0].detail.get("email") == "late@alpha.example"
        status = str(screen.query_one("#tl-status").content)
        assert "Following" in status and "1 new above" in status
        await pilot.press("f")

        # Export the current filter (every matching event, not just the loaded ones).
        out = tmp_path / "events.csv"
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#x-path").value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        rows = list(csv.reader(out.open()))
        assert rows[0] == export.CSV_COLUMNS  # the same file `msp-tui events export` writes
        assert len(rows) - 1 == 1 + 1 + 1 + 140 + 1  # created, owner, collection, 140 invites, late
        assert {r[export.CSV_COLUMNS.index("client")] for r in rows[1:]} == {"Alpha"}


def test_enter_opens_what_the_event_is_about(busy):
    asyncio.run(_enter_opens(*busy))


async def _enter_opens(db, admin, a, b):
    app = HookedHarness(lambda: TimelineScreen(db, admin))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.current.type == EventType.MEMBER_INVITED
        await pilot.press("enter")
        await pilot.pause()
        assert app.opened == [("member", b.id, table.current.organization_user_id)]
    # Without the app's hook, the member roles screen opens on that member.
    app = Harness(lambda: TimelineScreen(db, admin))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        target = app.screen.table.current.organization_user_id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MembersScreen)
        assert app.screen._current_id() == target


def test_S4_service_user_timeline_has_no_provider_log(busy):
    db, admin, a, b = busy
    from msp_tui.core.services import accounts, staff

    secret = staff.invite(db, admin, ["sam@msp.example"], "service").secrets["sam@msp.example"]
    accounts.accept_invitations(db, email="sam@msp.example", secret=secret, password=PASSWORD, name="Sam")
    staff.confirm(db, admin, "sam@msp.example")
    sam = accounts.sign_in(db, "sam@msp.example", PASSWORD)

    async def go():
        app = Harness(lambda: TimelineScreen(db, sam))
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("G")
            await settle(pilot)
            rows = app.screen.table.rows
            assert rows and all(not (1800 <= r.type < 2000) for r in rows)

    asyncio.run(go())


def test_S4_client_owner_sees_only_their_client_and_is_told_otherwise(busy):
    db, admin, a, b = busy
    from msp_tui.core.events import EventFilter
    from msp_tui.core.services import accounts

    owner, _ = accounts.accept_invitations(db, email="owner@alpha.example", secret=a.owner_invite_secret,
                                           password=PASSWORD, name="Olga")
    members.confirm(db, admin, a.id, ["owner@alpha.example"])

    async def go():
        app = Harness(lambda: TimelineScreen(db, owner))
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.screen.table.rows == []
            assert "Only provider staff can see the timeline across all clients" in app.screen.table.empty_text
        app = Harness(lambda: TimelineScreen(db, owner, EventFilter(client_ids=(a.id,))))
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            rows = app.screen.table.rows
            assert rows and {r.organization_id for r in rows} == {a.id}
            assert "one client" in str(app.screen.query_one("#tl-title").content)

    asyncio.run(go())


def test_time_range_keys_narrow_the_timeline(busy):
    db, admin, a, b = busy
    from datetime import timedelta

    from msp_tui.core import clock

    clock.freeze(clock.now() + timedelta(hours=2))

    async def go():
        app = Harness(lambda: TimelineScreen(db, admin))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.screen.table.rows
            await pilot.press("1")  # last hour: everything happened two hours ago
            await settle(pilot)
            assert app.screen.table.rows == []
            assert "last hour" in str(app.screen.query_one("#tl-filter").content)
            await pilot.press("3")
            await settle(pilot)
            assert len(app.screen.table.rows) == TIMELINE_PAGE
            # c narrows to the highlighted event's client, c again widens; p does the same for people.
            org = app.screen.table.current.organization_id
            await pilot.press("c")
            await settle(pilot)
            assert {r.organization_id for r in app.screen.table.rows} == {org}
            await pilot.press("c", "p")
            await settle(pilot)
            rows = app.screen.table.rows
            assert len({r.organization_id for r in rows}) > 1
            assert {r.acting_account_id for r in rows} == {admin.account_id}

    asyncio.run(go())


def test_database_text_is_shown_inert():
    from datetime import datetime

    from msp_tui.core.events import EventRow
    from msp_tui.widgets.timeline_table import cell_values, layout

    row = EventRow(id=1, type=int(EventType.CLIENT_CREATED), date=datetime(2026, 11, 25, 8, 0),
                   provider_id=None, organization_id=None, client_name="[red]Evil\x1b[2J Corp",
                   acting_account_id=None, actor_name="[b]Mallory[/b]", actor_email="m@x.example",
                   account_id=None, provider_user_id=None, organization_user_id=None, group_id=None,
                   collection_id=None, item_id=None, policy_id=None, device="term\x07", ip_address=None,
                   detail={"name": "[link=http://x]y[/link]"})
    values = cell_values(row, utc=True, show_type=False, columns=layout(120))
    assert values["client"] == "[red]Evil?[2J Corp"
    assert values["who"] == "[b]Mallory[/b]"  # the name; the email is in the event's detail
    assert "[link=http://x]y[/link]" in values["what"]
    assert values["device"] == "term?"
