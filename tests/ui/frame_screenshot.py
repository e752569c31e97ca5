"""Write the README's pictures of the clients home on the demo data: docs/screenshot-clients.svg at
120×36 and docs/screenshot-clients-80x24.svg at 80×24.

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


SIZES = {"screenshot-clients.svg": (120, 36), "screenshot-clients-80x24.svg": (80, 24)}


async def main(docs: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        real_freeze = clock.freeze
        clock.freeze = lambda at: real_freeze(at or NOW)  # the builder releases the clock; keep it on NOW
        try:
            clock.freeze(NOW)
            db = Database(Path(tmp) / "demo.db")
            result = demo.build(db, seed=7)
        finally:
            clock.freeze = real_freeze
        for name, size in SIZES.items():
            app = MspApp(db, actor=result.actor)
            async with app.run_test(size=size) as pilot:
                await settle(pilot)
                app.save_screenshot(filename=name, path=str(docs))
            print(docs / name)
        db.dispose()


if __name__ == "__main__":
    asyncio.run(main(Path(__file__).resolve().parents[2] / "docs"))
