"""The SQL-paged table on its own: pages on demand, keyset from the end, marks, enter."""

from __future__ import annotations

from textual.app import App, ComposeResult

from msp_tui.widgets.paged_table import Column, Page, PagedTable, list_fetcher
from tests.ui.frame_support import settle, sync

ROWS = [f"row {i:04d}" for i in range(1000)]


def keyset_fetch(calls: list):
    """A keyset callback over a sorted list, as a SQL query would page it (cursor = last key)."""

    def fetch(cursor, limit, backward):
        calls.append((cursor, limit, backward))
        if backward:
            pool = [r for r in reversed(ROWS) if cursor is None or r < cursor]
        else:
            pool = [r for r in ROWS if cursor is None or r > cursor]
        rows = pool[:limit]
        return Page(rows, rows[-1] if len(pool) > limit else None)

    return fetch


class TableApp(App):
    def __init__(self, fetch) -> None:
        super().__init__()
        self.fetch = fetch
        self.opened = []

    def compose(self) -> ComposeResult:
        yield PagedTable(columns=[Column("name", "Name", 0, lambda r: r)], fetch=self.fetch, row_key=lambda r: r,
                         page_size=20)

    def on_mount(self) -> None:
        table = self.query_one(PagedTable)
        table.focus()
        table.reload()

    def on_paged_table_opened(self, event: PagedTable.Opened) -> None:
        self.opened.append(event.row)


@sync
async def test_pages_load_as_the_cursor_moves_and_G_fetches_only_the_last_page():
    calls: list = []
    app = TableApp(keyset_fetch(calls))
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(PagedTable)
        assert table.rows == ROWS[:20]
        for _ in range(15):
            await pilot.press("j")
        await settle(pilot)
        assert table.rows == ROWS[:40]  # the next page came when the cursor got near the end
        await pilot.press("G")
        await settle(pilot)
        assert table.current_row == ROWS[-1]
        assert table.rows == ROWS[-20:]
        assert calls[-1] == (None, 20, True)
        await pilot.press("g")
        await settle(pilot)
        assert table.current_row == ROWS[0]
        assert table.rows_fetched <= 5 * 20


@sync
async def test_scrolling_up_from_the_end_fetches_backwards():
    calls: list = []
    app = TableApp(keyset_fetch(calls))
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        table = app.query_one(PagedTable)
        for _ in range(18):
            await pilot.press("k")
        await settle(pilot)
        assert table.rows == ROWS[-40:]
        assert table.current_row == ROWS[-19]


@sync
async def test_space_marks_and_enter_opens():
    app = TableApp(list_fetcher(lambda: ROWS[:30]))
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(PagedTable)
        await pilot.press("space", "space", "k", "enter")
        assert table.marked == {ROWS[0], ROWS[1]}
        assert table.marked_rows == [ROWS[0], ROWS[1]]
        assert app.opened == [ROWS[1]]
        assert table.render_line(1).text.startswith("● row 0000")
        await pilot.press("G")
        await settle(pilot)
        assert table.current_row == ROWS[29]


@sync
async def test_an_empty_list_says_what_to_do_next():
    app = TableApp(list_fetcher(lambda: []))
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot)
        table = app.query_one(PagedTable)
        table.empty_text = "Nothing here. Press n."
        table.refresh()
        assert "Nothing here. Press n." in table.render_line(2).text
