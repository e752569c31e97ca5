"""Write docs/screenshot-clients.svg: the clients home at 120×36 on the demo data.

    .venv/bin/python -m tests.ui.frame_screenshot
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path

from msp_tui.app import MspApp
from msp_tui.core import clock, demo
from msp_tui.core.db import Database
from tests.ui.frame_support import settle

NOW = datetime(2026, 11, 20, 9, 30)


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        real_freeze = clock.freeze
        clock.freeze = lambda at: real_freeze(at or NOW)  # the builder releases the clock; keep it on NOW
        try:
            clock.freeze(NOW)
            db = Database(Path(tmp) / "demo.db")
            result = demo.build(db, seed=7)
        finally:
            clock.freeze = real_freeze
        app = MspApp(db, actor=result.actor)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            app.save_screenshot(filename=out.name, path=str(out.parent))
        db.dispose()
    print(out)


if __name__ == "__main__":
    asyncio.run(main(Path(__file__).resolve().parents[2] / "docs" / "screenshot-clients.svg"))
