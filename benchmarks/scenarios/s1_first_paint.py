"""1. App start to the clients home painted (headless), beside every client in a plain DataTable;
and from a new process's start (the child also signs in: its password hashing is reported apart)."""

from __future__ import annotations

import json
import time

from benchmarks import ui
from benchmarks.common import Row, Samples, measured, require, run_async

TITLE = "1 first paint"


def _all_client_rows(db, provider_id):
    """Every client as the home shows them, straight from SQL (the baseline's load)."""
    from sqlalchemy import select
    from rich.text import Text

    from msp_tui.core.enums import OrgStatus, PlanType
    from msp_tui.core.models import Client, Organization

    o = Organization.__table__.c
    stmt = (select(o.name, o.plan_type, o.seats, o.occupied_seats, o.seats_remaining, o.status)
            .join(Client.__table__, Client.__table__.c.organization_id == o.id)
            .where(Client.__table__.c.provider_id == provider_id).order_by(o.name_lower, o.id))
    with db.read() as s:
        found = s.connection().execute(stmt).all()
    plans = {int(p): p.label for p in PlanType}
    status = {int(st): st.name.capitalize() for st in OrgStatus}
    return [(Text(name), plans[plan], str(seats), str(used), str(left), status[st],
             Text("seats full" if left <= 0 else ""))
            for name, plan, seats, used, left, st in found]


async def _home(db, actor, into: Samples) -> None:
    from msp_tui.app import MspApp

    t, c = time.perf_counter(), time.process_time()
    app = MspApp(db, actor=actor)
    clock = ui.paint_clock(app)
    async with app.run_test(size=ui.SIZE) as pilot:
        await ui.until(pilot, lambda: ui.clients_home_loaded(app))
        assert len(ui.clients_table(app).rows) > 0
    into.add(clock.last[0] - t, clock.last[1] - c)


async def _baseline(db, provider_id, into: Samples) -> None:
    t, c = time.perf_counter(), time.process_time()
    app = ui.all_clients_app(lambda: _all_client_rows(db, provider_id))
    clock = ui.paint_clock(app)
    async with app.run_test(size=ui.SIZE) as pilot:
        await ui.until(pilot, lambda: app.loaded)
    into.add(clock.last[0] - t, clock.last[1] - c)


def _from_process(data) -> tuple[float, float, float]:
    """From child_app: (process start → painted, its CPU seconds until then, the sign-in's wall
    seconds), the sign-in's password hashing taken out of the first two."""
    from benchmarks.common import python, run_child

    res = run_child([python(), "-m", "benchmarks.child_app", "--db", data.url, "--email", data.email],
                    env={"MSP_BENCH_PASSWORD": data.password}, timeout=180)
    if res.returncode != 0:
        raise RuntimeError(f"child_app failed: {(res.stderr.strip().splitlines() or [''])[-1]}")
    report = json.loads(res.stdout.strip().splitlines()[-1])
    r = report
    return r["painted_since_start"] - r["sign_in"], r["cpu"] - r["sign_in_cpu"], r["sign_in"]


def run(ctx) -> list[Row]:
    require("msp_tui.app", "MspApp", branch="ui")
    require("msp_tui.screens.clients", "ClientsScreen", branch="ui")
    rows = []
    for backend, data, actor in ctx.backends():
        rows += _run(ctx, backend, data, actor)
    return rows


def _run(ctx, backend, data, actor) -> list[Row]:
    db = data.db
    run_async(_home(db, actor, Samples()))  # warm: imports, page cache
    home, base = Samples(), Samples()
    for _ in range(ctx.repeat):
        run_async(_home(db, actor, home))
    for _ in range(max(2, ctx.repeat // 2)):
        run_async(_baseline(db, actor.provider_id, base))
    row = measured(TITLE, f"clients home painted, from App() ({data.clients:,} clients)", home,
                   base=base, baseline="every client in a DataTable", backend=backend)
    speedup = (row.base_median / row.median) if row.median else 0
    row.check(500, text="p95 < 500 ms and ≥ 20× faster than baseline")
    row.passed = row.passed and speedup >= 20
    row._add_note(f"{speedup:.0f}× faster than the DataTable")
    rows = [row]
    proc, sign_in = Samples(), []
    _from_process(data)  # warm: a first run after a code change also compiles the bytecode
    for _ in range(max(2, ctx.repeat // 2)):
        wall, cpu, kdf = _from_process(data)
        proc.add(wall, cpu)
        sign_in.append(kdf)
    r2 = measured(TITLE, "clients home painted, from process start (sign-in KDF excluded)", proc,
                  backend=backend)
    r2.check(1000)
    r2._add_note(f"the master-password KDF adds {sorted(sign_in)[len(sign_in) // 2] * 1000:.0f} ms")
    rows.append(r2)
    return rows
