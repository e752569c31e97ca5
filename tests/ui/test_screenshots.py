"""A screenshot from the palette goes to a folder that exists (made if missing), is written at once,
and a toast says where (issue 14)."""

from __future__ import annotations

import asyncio

from msp_tui.app import MspApp
from tests.conftest import make_provider
from tests.ui.frame_support import settle, sync


@sync
async def test_palette_screenshot_is_written_at_once_to_a_folder_made_for_it(sqlite_db, tmp_path, monkeypatch):
    folder = tmp_path / "not" / "yet" / "there"
    monkeypatch.setenv("MSP_TUI_SCREENSHOTS", str(folder))
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await asyncio.sleep(0.6)  # no key after it: the file is written, not waiting for one
        shots = list(folder.glob("*.svg"))
        assert len(shots) == 1, list(tmp_path.rglob("*"))
        assert shots[0].read_text().startswith("<svg")
        toasts = [n.message for n in app._notifications]
        assert any(str(shots[0]) in t for t in toasts), toasts
