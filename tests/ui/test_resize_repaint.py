"""After a terminal resize the app repaints at once, not at the next key (issue 14).

The cause was a name: IdleLock's `check_idle()` (lock after the idle time) hid Textual's own
`MessagePump.check_idle()`, which wakes the app to run callbacks queued from timers. Textual
answers a resize from a 1/120 s timer, so the new layout waited for the next key.
"""

from __future__ import annotations

import asyncio

from textual.app import App

from msp_tui.app import MspApp
from msp_tui.screens.clients import ClientsScreen
from msp_tui.widgets.keybar import KeyBar
from tests.conftest import make_provider
from tests.ui.frame_support import settle, sync


def test_no_app_mixin_hides_a_textual_method():
    """Our mixins and the app override only what they mean to (each calling Textual's own)."""
    ours = [c for c in MspApp.__mro__ if c.__module__.startswith("msp_tui")]
    meant = {"on_event", "run_action", "deliver_screenshot"}  # each calls Textual's own
    hidden = sorted({f"{c.__name__}.{name}" for c in ours for name, value in vars(c).items()
                     if callable(value) and not name.startswith("_") and hasattr(App, name)
                     and name not in meant})
    assert hidden == []


@sync
async def test_a_resize_repaints_the_screen_without_a_key(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        # The terminal grows: what a SIGWINCH posts. No key, no Pilot call after it, just time.
        from textual import events
        from textual.geometry import Size

        app.post_message(events.Resize(Size(110, 30), Size(110, 30)))
        await asyncio.sleep(0.5)
        assert app.screen.size == Size(110, 30)
        bar = app.screen.query_one(KeyBar)
        assert bar.region.y == 29 and bar.region.width == 110  # the key bar sits on the new last line
