"""Driving the Textual app headless and timing it: key press (or start) until the result is painted.

"Painted" is measured at the paint itself, not when a test helper notices it: `PaintClock` wraps the
app's display call, renders each screen update to the terminal text a real driver would write (the
headless driver skips that work, so we do it to count its cost), and records the wall and CPU clocks
right after. A key's time runs from posting the key event to the *last* paint before the app is quiet
again — every worker the key started has finished (a worker hands its rows to the UI with
call_from_thread) and no message is pending. Waiting for that quiet uses Textual's Pilot helpers,
which sleep in 20 ms steps; those sleeps fall after the last paint, so they are not in the figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SIZE = (120, 36)


class PaintClock:
    """Counts the app's paints and remembers when the last one finished (wall and CPU clocks)."""

    def __init__(self, app) -> None:
        self.count = 0
        self.last: tuple[float, float] = (0.0, 0.0)
        display = app._display

        def timed_display(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)  # the text a terminal driver would write
            self.count += 1
            self.last = (time.perf_counter(), time.process_time())

        app._display = timed_display


def paint_clock(app) -> PaintClock:
    """The app's PaintClock, made on first use (before the first paint, to time the first paint)."""
    clock = getattr(app, "_bench_paint_clock", None)
    if clock is None:
        clock = app._bench_paint_clock = PaintClock(app)
    return clock


async def settle(pilot) -> None:
    """Until every worker finished and the screen processed what was pending (then a quiet spell)."""
    app = pilot.app
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot._wait_for_screen()
        await pilot.pause()


async def until(pilot, cond: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not finish loading")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    await settle(pilot)


def post_key(app, key: str) -> None:
    """Hand one key to the app as the terminal driver would (Pilot.press adds idle waits around it)."""
    from textual import events

    char = " " if key == "space" else (key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def timed_press(pilot, key: str, into, *, may_paint_nothing: bool = False) -> bool:
    """Press a key; add (wall, cpu) from posting it to the last paint of its result to `into`.
    A key that painted nothing (page down on the last row) is an error, or with may_paint_nothing
    not counted: returns False."""
    app = pilot.app
    clock = paint_clock(app)
    await settle(pilot)  # nothing of the previous key may paint inside this one's time
    painted = clock.count
    t, c = time.perf_counter(), time.process_time()
    post_key(app, key)
    await settle(pilot)
    if clock.count == painted:
        if may_paint_nothing:
            return False
        raise RuntimeError(f"the key {key!r} painted nothing")
    wall, cpu = clock.last
    into.add(wall - t, cpu - c)
    return True


async def timed_until(pilot, start: Callable[[], None], cond: Callable[[], bool], into) -> None:
    """Call start() (push a screen, say); add (wall, cpu) until the last paint once cond() holds."""
    app = pilot.app
    clock = paint_clock(app)
    await settle(pilot)
    painted = clock.count
    t, c = time.perf_counter(), time.process_time()
    start()
    await until(pilot, cond)
    if clock.count == painted:
        raise RuntimeError("nothing was painted")
    wall, cpu = clock.last
    into.add(wall - t, cpu - c)


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
