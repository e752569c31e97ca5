"""A fresh process that opens the app headless (scenarios 1 and 8), or a bare Textual app (baseline).

    python -m benchmarks.child_app --db URL --email E [--timeline] [--bare]   (password: $MSP_BENCH_PASSWORD)

Prints one JSON line: seconds from the process's start (MSP_BENCH_T0, set by the parent just before it
started us) until the clients home was painted, and how long the sign-in's password hashing took.
Its peak memory goes to $MSP_BENCH_PEAK_FILE at exit (benchmarks.peak).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time


def _t0() -> float:
    return float(os.environ.get("MSP_BENCH_T0") or time.time())


async def _bare() -> dict:
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        def compose(self):
            yield Header()
            yield Static("nothing")
            yield Footer()

    from benchmarks import ui

    app = Bare()
    clock = ui.paint_clock(app)
    async with app.run_test(size=ui.SIZE) as pilot:
        await ui.settle(pilot)
        return {"painted_since_start": _since_start(clock.last[0]), "sign_in": 0.0, "cpu": clock.last[1],
                "sign_in_cpu": 0.0}


def _since_start(perf: float) -> float:
    """Seconds from the process's start (the parent's MSP_BENCH_T0) to the perf_counter reading."""
    return time.time() - (time.perf_counter() - perf) - _t0()


async def _app(args) -> dict:
    from benchmarks import ui
    from msp_tui.app import MspApp
    from msp_tui.core.db import Database
    from msp_tui.core.services import accounts

    db = Database(args.db)
    t, c = time.perf_counter(), time.process_time()
    actor = accounts.sign_in(db, args.email, os.environ["MSP_BENCH_PASSWORD"])
    sign_in, sign_in_cpu = time.perf_counter() - t, time.process_time() - c
    app = MspApp(db, actor=actor)
    clock = ui.paint_clock(app)
    out = {}
    async with app.run_test(size=ui.SIZE) as pilot:
        await ui.until(pilot, lambda: ui.clients_home_loaded(app))
        out = {"painted_since_start": _since_start(clock.last[0]), "sign_in": sign_in, "cpu": clock.last[1],
               "sign_in_cpu": sign_in_cpu}
        if args.timeline:
            from msp_tui.screens.timeline import TimelineScreen

            screen = TimelineScreen(db, actor)
            app.push_screen(screen)
            await ui.until(pilot, lambda: ui.timeline_loaded(screen))
            out["timeline_rows"] = len(screen.table.rows)
    return out


def main() -> None:
    from benchmarks.peak import record_peak_at_exit

    record_peak_at_exit()
    p = argparse.ArgumentParser()
    p.add_argument("--db")
    p.add_argument("--email")
    p.add_argument("--timeline", action="store_true")
    p.add_argument("--bare", action="store_true")
    args = p.parse_args()
    out = asyncio.run(_bare() if args.bare else _app(args))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
