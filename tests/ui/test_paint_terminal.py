"""The tables repaint only what changed (a moved cursor: two lines; a page arriving below the view:
nothing) and reuse lines they drew before. These tests run the app's real output through a terminal
emulator (pyte) and check that what the terminal shows after those partial paints is what a full
repaint of the screen would show — a line left stale on a person's terminal fails them."""

from __future__ import annotations

import asyncio
import time

import pyte

from msp_tui.app import MspApp
from msp_tui.widgets.paged_table import PagedTable
from tests.ui.frame_support import settle, sync
from tests.ui.test_frame_paged_table import ROWS, TableApp, keyset_fetch


class Terminal:
    """A terminal fed with every update the app paints (the headless driver writes nothing)."""

    def __init__(self, app, size: tuple[int, int]) -> None:
        self.app, self.size = app, size
        self.screen = pyte.Screen(*size)
        self.stream = pyte.Stream(self.screen)
        self.paints = 0
        display = app._display

        def feed(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None:
                self.paints += 1
                self.stream.feed(renderable.render_segments(app.console))

        app._display = feed

    @staticmethod
    def _cells(screen: pyte.Screen) -> list[list[tuple]]:
        return [[(c.data, c.fg, c.bg, c.bold, c.reverse) for c in (screen.buffer[y][x] for x in range(screen.columns))]
                for y in range(screen.lines)]

    def full_repaint(self) -> pyte.Screen:
        """The screen drawn from scratch: every widget's drawn lines (Textual's and our tables') are
        dropped first, so nothing an incremental paint left behind can leak into the reference."""
        for widget in self.app.screen.walk_children(with_self=True):
            widget._styles_cache.clear()
            if hasattr(widget, "_line_cache"):
                widget._line_cache.clear()
        fresh = pyte.Screen(*self.size)
        pyte.Stream(fresh).feed(self.app.screen._compositor.render_full_update().render_segments(self.app.console))
        return fresh

    def assert_shows_the_full_repaint(self) -> None:
        want = self.full_repaint()
        for y, (got_row, want_row) in enumerate(zip(self._cells(self.screen), self._cells(want))):
            assert got_row == want_row, (f"line {y} is stale:\n shown: {self.screen.display[y]!r}\n"
                                         f"  want: {want.display[y]!r}")


@sync
async def test_cursor_moves_pages_and_marks_leave_no_stale_line():
    app = TableApp(keyset_fetch([]))
    term = Terminal(app, (40, 12))
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(PagedTable)
        for keys in (["j"], ["j", "j", "k"], ["space"], ["pagedown"], ["j"] * 12, ["pagedown"] * 3,
                     ["pageup"], ["G"], ["k"] * 25, ["space", "space"], ["g"]):
            before = term.paints
            await pilot.press(*keys)
            await settle(pilot)
            assert term.paints > before, f"{keys} painted nothing"
            term.assert_shows_the_full_repaint()
        assert table.current_row == ROWS[0]


@sync
async def test_a_page_arriving_inside_a_tall_view_is_drawn():
    first_page = keyset_fetch([])

    def slow_second_page(cursor, limit, backward):
        if cursor is not None:
            time.sleep(0.3)  # the first page is on the terminal before the second arrives
        return first_page(cursor, limit, backward)

    app = TableApp(slow_second_page)  # pages of 20 rows in a view of 28: the next page shows at once
    term = Terminal(app, (40, 30))
    async with app.run_test(size=(40, 30)) as pilot:
        await settle(pilot)
        await asyncio.sleep(0.4)
        await settle(pilot)
        assert len(app.query_one(PagedTable).rows) > 20
        assert ROWS[25] in "\n".join(term.screen.display)
        term.assert_shows_the_full_repaint()


@sync
async def test_a_cursor_move_repaints_two_lines_not_the_table():
    app = TableApp(keyset_fetch([]))
    term = Terminal(app, (40, 12))
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(PagedTable)
        drawn = []
        render_line = table.render_line
        table.render_line = lambda y: drawn.append(y) or render_line(y)
        await pilot.press("j")
        await settle(pilot)
        assert sorted(set(drawn)) == [1, 2]  # the line the cursor left and the one it reached
        term.assert_shows_the_full_repaint()


@sync
async def test_drift_flags_arriving_after_the_rows_reach_the_terminal(tmp_path):
    from msp_tui.core import clock, demo
    from msp_tui.core.db import Database

    db = Database(tmp_path / "demo.db")
    result = demo.build(db, clients=12, events=0)
    clock.freeze(None)
    app = MspApp(db, actor=result.actor)
    term = Terminal(app, (120, 36))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = app.screen
        drifted = set(home.drifted)
        assert drifted, "the demo has drifted clients"
        # Paint the rows as they look before the flags are known, then let the flags arrive.
        home.drifted.clear()
        home.drift_known.clear()
        home.table.refresh_rows()
        await settle(pilot)
        assert "drift" not in "\n".join(term.screen.display)
        home._load_drift()
        await settle(pilot)
        assert home.drifted == drifted
        assert "drift" in "\n".join(term.screen.display)
        term.assert_shows_the_full_repaint()
        await pilot.press("j", "j", "pagedown", "g")
        await settle(pilot)
        term.assert_shows_the_full_repaint()
    db.dispose()


def test_timeline_moves_pages_and_new_events_leave_no_stale_line(sqlite_db):
    asyncio.run(_timeline_terminal(sqlite_db))


async def _timeline_terminal(db):
    from msp_tui.core.services import clients, members
    from msp_tui.screens.timeline import TIMELINE_PAGE, TimelineScreen
    from tests.conftest import make_provider
    from tests.ui.test_timeline import Harness

    admin = make_provider(db)
    alpha = clients.create_client(db, admin, name="Alpha", plan="enterprise-monthly", seats=300,
                                  owner_email="owner@alpha.example")
    for batch in range(6):
        members.invite(db, admin, alpha.id, [f"a{batch}-{i}@alpha.example" for i in range(20)])
    app = Harness(lambda: TimelineScreen(db, admin))
    term = Terminal(app, (120, 36))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert len(table.rows) == TIMELINE_PAGE
        for keys in (["j"], ["j", "j", "k"], ["pagedown"], ["j"] * 5, ["G"], ["k"] * 3, ["g"], ["u"], ["t"], ["u"], ["t"]):
            await pilot.press(*keys)
            await settle(pilot)
            term.assert_shows_the_full_repaint()
        assert len(table.rows) > TIMELINE_PAGE  # G fetched the next page
        # Follow mode: new events arrive on top while the person is further down.
        await pilot.press("f", "j", "j")
        await settle(pilot)
        members.invite(db, admin, alpha.id, ["late@alpha.example"])
        for _ in range(40):
            await asyncio.sleep(0.1)
            if table.unseen:
                break
        await settle(pilot)
        assert table.unseen
        term.assert_shows_the_full_repaint()
