"""80x24: every list keeps the column that identifies its rows readable, drops lower-priority columns
first, cuts text with "…", and its key bar keeps esc and ? (issue 14: client names were cut to 16
characters, staff emails to 8, the timeline's What to 36 while Who took 28 columns of an email, drift
lost "Client has", policies lost "Needs", billing showed 4 rows, key bars ended in "m Membe").

The same checks run at 120x36, where nothing of this may get worse.
"""

from __future__ import annotations

import pytest
from textual.widgets import Static

from msp_tui.app import MspApp
from msp_tui.core.services import policies as pol
from msp_tui.core.services import staff as staff_service
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, fit_columns
from msp_tui.widgets.timeline_table import TimelineTable, layout
from tests.conftest import make_provider
from tests.core._policy_support import client, member
from tests.ui.frame_support import settle, sync

SIZES = [(80, 24), (120, 36)]


def test_fit_columns_drops_the_lowest_priority_first_and_keeps_the_identifying_column():
    cols = [Column("name", "Client", 0, min_width=27, priority=0), Column("plan", "Plan", 18, min_width=13,
                                                                          priority=2),
            Column("status", "Status", 7, priority=4), Column("flags", "Flags", 0, min_width=17, priority=1)]
    wide = fit_columns(cols, 118)
    assert [c.key for c, _w in wide] == ["name", "plan", "status", "flags"]
    narrow = dict((c.key, w) for c, w in fit_columns(cols, 60))
    assert "status" not in narrow and narrow["name"] >= 27 and narrow["flags"] >= 17
    tiny = dict((c.key, w) for c, w in fit_columns(cols, 30))
    assert list(tiny) == ["name"] and tiny["name"] == 30, "the identifying column is the last to go"
    assert sum(w for _c, w in fit_columns(cols, 78)) + 3 <= 78


def world(db):
    admin = make_provider(db)
    staff_service.invite(db, admin, ["grace.hopper@msp.example", "kim.nightshift@msp.example"], "service")
    contoso = client(db, admin, "Bellows College Accounting")
    client(db, admin, "Bellows College Hotels")
    other = client(db, admin, "School of Fine Art Pharmacy")
    for name in ("jordan.kowalski62@mail.example", "avery.andersen117@mail.example"):
        member(db, contoso.id, name)
    pol.create_template(db, admin, "Baseline", {"two-factor": True, "remove-pin": True})
    pol.apply_template(db, admin, "Baseline", [contoso.id, other.id], dry_run=False)
    pol.set_policy(db, admin, contoso.id, "remove-pin", enabled=False)
    return admin, contoso


def lines(table) -> list[str]:
    """The table as drawn: its header and each row on screen."""
    return [table.render_line(y).text for y in range(min(table.size.height, len(table.rows) + 1))]


def widths(table) -> dict[str, int]:
    return {c.key: w for c, w in table.fitted()}


def bar(screen) -> str:
    return str(screen.query_one(KeyBar).render())


def assert_bar_keeps_esc_and_help(screen, where: str) -> None:
    text = bar(screen).split("▏")[0]
    assert " esc " in text, f"{where}: esc is not in the key bar: {text!r}"
    assert " ? " in text or " f1 " in text, f"{where}: ? is not in the key bar: {text!r}"


async def open_screen(app, pilot, opener) -> object:
    opener()
    await settle(pilot, 6)
    return app.screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@sync
async def test_each_list_keeps_its_identifying_column_readable(sqlite_db, size):
    admin, contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, 5)
        home = app.screen
        drawn = "\n".join(lines(home.list_table))
        assert widths(home.list_table)["name"] >= 27
        assert "Bellows College Accounting " in drawn and "Bellows College Hotels " in drawn
        assert "School of Fine Art Pharmacy" in drawn
        assert " s Staff " in bar(home) and " ? Help " in bar(home)

        staff = await open_screen(app, pilot, lambda: app.open_area("staff"))
        assert widths(staff.list_table)["email"] >= 26
        assert "kim.nightshift@msp.example" in "\n".join(lines(staff.list_table))
        assert_bar_keeps_esc_and_help(staff, "staff")
        app.pop_screen()

        members = await open_screen(app, pilot, lambda: app.open_client(contoso.id, tab="members"))
        assert widths(members.list_table)["email"] >= 30
        drawn = "\n".join(lines(members.list_table))
        assert "jordan.kowalski62@mail.example" in drawn and "avery.andersen117@mail.example" in drawn
        assert_bar_keeps_esc_and_help(members, "members")
        detail = app.screen_stack[-2]
        app.pop_screen()
        await settle(pilot)
        assert_bar_keeps_esc_and_help(detail, "client detail")
        app.pop_screen()

        health = await open_screen(app, pilot, lambda: app.open_area("health"))
        assert widths(health.list_table)["title"] >= 40
        assert_bar_keeps_esc_and_help(health, "health")
        app.pop_screen()

        drift = await open_screen(app, pilot, lambda: app.open_area("drift"))
        header = lines(drift.list_table)[0]
        assert "Client has" in header and "Template says" in header
        assert "Bellows College Accounting" in "\n".join(lines(drift.list_table))
        assert_bar_keeps_esc_and_help(drift, "drift")
        app.pop_screen()

        policies = await open_screen(app, pilot, lambda: app.open_client(contoso.id, tab="policies"))
        header = lines(policies.list_table)[0]
        assert "Needs" in header and "Policy" in header
        assert "Require single sign-on authentication" in "\n".join(lines(policies.list_table))
        assert_bar_keeps_esc_and_help(policies, "policies")
        app.pop_screen()
        app.pop_screen()

        timeline = await open_screen(app, pilot, lambda: app.open_area("timeline"))
        table = timeline.query_one(TimelineTable)
        columns = {c.key: c.width for c in layout(table.scrollable_content_region.width)}
        assert columns["what"] >= 40 and columns["who"] <= 24
        assert "Ada Admin" in table.render_line(1).text, "Who shows the name"
        assert_bar_keeps_esc_and_help(timeline, "timeline")
        app.pop_screen()

        billing = await open_screen(app, pilot, lambda: app.open_area("billing"))
        assert billing.list_table.size.height - 1 >= 10, "billing shows at least ten clients at 24 lines"
        assert widths(billing.list_table)["name"] >= 27
        assert_bar_keeps_esc_and_help(billing, "billing")
        head = str(billing.query_one("#billing-head", Static).render())
        assert all(len(line) <= size[0] - 2 for line in head.splitlines()), "the billing head does not wrap"


@sync
async def test_the_layout_follows_a_resize(sqlite_db):
    admin, _contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, 5)
        table = app.screen.list_table
        assert widths(table).get("status"), "Status is shown when there is room"
        await pilot.resize_terminal(80, 24)
        await settle(pilot, 3)
        assert "status" not in widths(table), "Status drops first at 80 columns"
        assert widths(table)["name"] >= 27
        assert "Bellows College Accounting " in "\n".join(lines(table))
        await pilot.resize_terminal(120, 36)
        await settle(pilot, 3)
        assert widths(table).get("status")


@sync
async def test_a_cut_cell_ends_in_an_ellipsis():
    from textual.app import App

    from msp_tui.widgets.paged_table import PagedTable

    class One(App):
        def compose(self):
            yield PagedTable(columns=[Column("name", "Name", 0, lambda r: r, min_width=10, priority=0),
                                      Column("note", "Note", 12, lambda r: "a rather long note", priority=1)])

    app = One()
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(PagedTable)
        table.show_rows(["School of Fine Art Pharmacy Holdings"])
        await pilot.pause()
        drawn = table.render_line(1).text
        assert "School of Fine Art Pharm… " in drawn and drawn.rstrip().endswith("a rather lo…")


def on_screen(app, selector: str) -> bool:
    region = app.screen.query_one(selector).region
    return region.height > 0 and region.y >= 0 and region.bottom <= app.size.height


@sync
async def test_the_invite_dialogs_keep_their_buttons_on_screen_at_24_lines(sqlite_db):
    """The members' invite dialog with Custom chosen, and the staff one with an error, at 80x24."""
    from textual.widgets import Button, Input, RadioSet

    admin, contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 5)
        app.open_client(contoso.id, tab="members")
        await settle(pilot, 6)
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        dialog.query_one("#role-custom").value = True
        await settle(pilot)
        assert dialog.query_one(RadioSet).pressed_button.id == "role-custom"
        buttons = [b for b in dialog.query(Button)]
        assert buttons and all(on_screen(app, f"#{b.id}") for b in buttons), "invite buttons off screen"
        await pilot.press("escape")
        await settle(pilot)
        app.pop_screen()
        app.pop_screen()
        app.open_area("staff")
        await settle(pilot, 6)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#emails", Input).value = "abc x y z " * 3
        await settle(pilot)
        assert str(app.screen.query_one("#error").render()).strip(), "the error shows"
        assert on_screen(app, "#invite") and on_screen(app, "#cancel")


@sync
async def test_the_header_keeps_the_role_whole_at_80_columns(sqlite_db):
    """Issue 14: at 80 columns the header cut the role to "Provi…"; the email goes before the role does."""
    from msp_tui.widgets.header import AppHeader

    admin, _contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 5)
        line = str(app.screen.query_one(AppHeader).render())
        assert line.rstrip().endswith("Provider Admin") and "…" not in line, line
        assert admin.name in line, line
        await pilot.resize_terminal(120, 36)
        await settle(pilot, 3)
        line = str(app.screen.query_one(AppHeader).render())
        assert f"<{admin.email}>" in line and line.rstrip().endswith("Provider Admin"), line


@sync
async def test_the_members_screen_has_the_header_and_its_title_line_is_not_cut(sqlite_db):
    """Issue 14: the members screen's one title line ended in "you:" cut off at 80 columns, and it alone had
    no header saying where you are and as whom."""
    from msp_tui.widgets.header import AppHeader

    admin, contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 5)
        members = await open_screen(app, pilot, lambda: app.open_client(contoso.id, tab="members"))
        header = str(members.query_one(AppHeader).render())
        assert "Members" in header and header.rstrip().endswith("Provider Admin"), header
        title = str(members.query_one("#m-title", Static).render())
        assert "Bellows College Accounting" in title and "seats used" in title, title
        assert "you:" not in title and len(title.rstrip()) <= 78, title


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@sync
async def test_an_expired_invitation_reads_whole_in_the_status_column(sqlite_db, size):
    """Review finding of issue 14: at 80 columns the members Status column cut "Invited (expired)" to
    "Invited (ex…". Where the whole label does not fit, the column says core's short one."""
    from datetime import timedelta

    from sqlalchemy import update

    from msp_tui.core import clock
    from msp_tui.core.enums import MemberStatus
    from msp_tui.core.models import Member
    from tests.core._policy_support import member

    admin, contoso = world(sqlite_db)
    late = member(sqlite_db, contoso.id, "late.reader@mail.example", status=MemberStatus.INVITED)
    with sqlite_db.write() as s:
        s.execute(update(Member).where(Member.id == late).values(invited_at=clock.now() - timedelta(days=9)))
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, 5)
        members = await open_screen(app, pilot, lambda: app.open_client(contoso.id, tab="members"))
        [row] = [line for line in lines(members.list_table) if "late.reader@mail.example" in line]
        assert "…" not in row, row
        assert ("Invited (expired)" if size[0] >= 120 else "Expired") in row, row
