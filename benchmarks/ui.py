"""Driving the Textual app headless and timing it: key press (or start) until the result is on screen.

"On screen" means: every worker the action started has finished (a worker hands its rows to the UI
with call_from_thread, which returns only after the UI applied them) and the app then went idle
once more, which is when Textual paints.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SIZE = (120, 36)


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, cond: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not finish loading")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def timed_press(pilot, key: str, into) -> None:
    """Press a key; add (wall, cpu) until its result is painted to the Samples `into`."""
    from benchmarks.common import Stopwatch

    with Stopwatch() as sw:
        await pilot.press(key)
        await settle(pilot)
    into.add(sw.wall, sw.cpu)


def clients_home_loaded(app) -> bool:
    from msp_tui.screens.clients import ClientsScreen

    from textual.css.query import NoMatches

    screen = app.screen
    if not isinstance(screen, ClientsScreen):
        return False
    try:
        table = screen.query_one("#clients")
    except NoMatches:  # pushed, not composed yet
        return False
    return bool(table._state.loaded) and not table._busy


def clients_table(app):
    return app.screen.query_one("#clients")


def timeline_loaded(screen) -> bool:
    from textual.css.query import NoMatches

    try:
        return bool(screen.table.rows) and not screen.loading_more
    except NoMatches:  # pushed, not composed yet
        return False


def harness(make_screen):
    """A bare App showing one screen (for screens the app frame does not open by name yet)."""
    from textual.app import App

    class Harness(App):
        def on_mount(self) -> None:
            self.push_screen(make_screen())

    return Harness()


def all_clients_app(load_rows: Callable[[], list[tuple]]):
    """The baseline for the clients home: every client loaded into a plain DataTable."""
    from textual import work
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class AllClients(App):
        loaded = False

        def compose(self):
            yield Header()
            yield DataTable(id="all")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Client", "Plan", "Seats", "Used", "Left", "Status", "Flags")
            table.focus()
            self.load()

        @work(thread=True)
        def load(self) -> None:
            rows = load_rows()
            self.call_from_thread(self.fill, rows)

        def fill(self, rows) -> None:
            self.query_one(DataTable).add_rows(rows)
            self.loaded = True

    return AllClients()
