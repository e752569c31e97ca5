"""8. Peak memory of the app with the clients home and the timeline open (a new process),
beside a bare Textual app with a header, a line of text and a footer."""

from __future__ import annotations

import json

from benchmarks.common import Row, measured, python, require, run_child

TITLE = "8 app memory"


def run(ctx) -> list[Row]:
    require("msp_tui.app", "MspApp", branch="ui")
    require("msp_tui.screens.timeline", "TimelineScreen", branch="timeline")
    peaks, bare = [], []
    rows = 0
    for _ in range(2):
        res = run_child([python(), "-m", "benchmarks.child_app", "--db", ctx.data.url, "--email",
                         ctx.data.email, "--timeline"], env={"MSP_BENCH_PASSWORD": ctx.data.password},
                        timeout=180)
        if res.returncode != 0:
            raise RuntimeError(f"child_app failed: {(res.stderr.strip().splitlines() or [''])[-1]}")
        rows = json.loads(res.stdout.strip().splitlines()[-1]).get("timeline_rows", 0)
        peaks.append(res.peak_mb)
        bare.append(run_child([python(), "-m", "benchmarks.child_app", "--bare"], timeout=60).peak_mb)
    row = measured(TITLE, f"clients home + timeline ({rows} events loaded), peak RSS", peaks, unit="MB",
                   base=bare, baseline="bare Textual app")
    row.budget, row.passed = "< 300 MB", row.p95 < 300
    row.note = "includes the sign-in's 64 MiB Argon2id"
    return [row]
