"""`make bench`: every scenario of issue 9 beside its same-run baseline; a table and latest.json.

    python -m benchmarks.run [--clients 100000] [--events 1000000] [--repeat 6] [--only 1,3]
                             [--no-pg] [--pg-clients 100000] [--pg-events 1000000] [--json PATH]

Absolute times on a shared machine drift; the baselines are measured in the same run, so the ratio
column is what compares across runs. Exit status 1 when a budget fails or a scenario errs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import Row, Skip

HERE = Path(__file__).resolve().parent


@dataclass
class Context:
    data: object  # dataset.Dataset (SQLite)
    actor: object
    repeat: int
    tmp: Path
    pg: object | None = None
    pg_actor: object | None = None
    pg_note: str | None = None
    say: object = print
    invites: int = 1000
    #: Scenario 15: (SQLite writer processes, PostgreSQL writer processes, changes each).
    writers: tuple = (8, 16, 200)
    extra: dict = field(default_factory=dict)

    def backends(self):
        yield "sqlite", self.data, self.actor
        if self.pg is not None:
            yield "postgresql", self.pg, self.pg_actor


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return ""
    if unit == "ev/s":
        return f"{v:,.0f}/s"
    if unit == "B/ev":
        return f"{v:,.0f} B/event"
    if unit == "MB":
        return f"{v:.0f} MB"
    if unit == "s":
        return f"{v:.2f} s"
    return f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def _ratio(r: float | None) -> str:
    if r is None:
        return ""
    return f"{r:.1f}×" if r >= 0.1 else f"{r:.2g}×"


def table(rows: list[Row]) -> str:
    head = ["#", "what", "db", "median", "p95", "cpu p95", "baseline", "baseline median", "ratio", "budget",
            "result"]
    lines = []
    for r in rows:
        if r.skipped:
            result = f"skipped: {r.skipped}"
        elif r.passed is None:
            result = "—" if not (r.note or "").startswith("error") else "ERROR"
        else:
            result = "pass" if r.passed else "FAIL"
        if r.note and not r.skipped:
            result += f" ({r.note})"
        lines.append([r.scenario, r.what, r.backend, _fmt(r.median, r.unit), _fmt(r.p95, r.unit),
                      _fmt(r.cpu_p95, r.unit), r.baseline or "", _fmt(r.base_median, r.unit),
                      _ratio(r.ratio) + ("" if r.cpu_ratio is None else f" (cpu {_ratio(r.cpu_ratio)})"),
                      r.budget or "", result])
    widths = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h) for i, h in enumerate(head)]
    fmt = "| " + " | ".join("{:<%d}" % w for w in widths) + " |"
    out = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt.format(*l) for l in lines]
    return "\n".join(out)


def _start_pg(args, say):
    """A PostgreSQL server (tests/pg.py's, keeping its data for the next run)."""
    if args.no_pg:
        return None, None, "PostgreSQL not requested (--no-pg)"
    try:
        from benchmarks.pgserver import PersistentPostgres

        server = PersistentPostgres().start()
    except Exception as exc:  # noqa: BLE001 - no server binaries, not root, ...
        return None, None, f"PostgreSQL not available: {exc}"
    return server, None, None


def _profiler(folder: Path | None):
    """A started pyinstrument profiler (the `test` extra installs it), or None."""
    if folder is None:
        return None
    from pyinstrument import Profiler

    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    return profiler


#: The scenarios that run on PostgreSQL too (beside SQLite).
PG_SCENARIOS = {"1", "2", "3", "5", "6", "13", "15"}

#: The sizes of a full run (`make bench`) and of an everyday one (`make bench-quick`, `--quick`).
#: big_*: scenario 14's own data set (ten million events), left out of an everyday run.
FULL = {"clients": 100_000, "events": 1_000_000, "repeat": 6, "pg_clients": 100_000, "pg_events": 1_000_000,
        "writers": "8,16,200", "big_clients": 100_000, "big_events": 10_000_000}
QUICK = {"clients": 2_000, "events": 200_000, "repeat": 3, "pg_clients": 2_000, "pg_events": 200_000,
         "writers": "4,8,50", "big_clients": 2_000, "big_events": 0}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"everyday sizes: {QUICK['clients']:,} clients, {QUICK['events']:,} events, "
                        f"{QUICK['repeat']} samples (PostgreSQL {QUICK['pg_clients']:,} / {QUICK['pg_events']:,}); "
                        "sizes given explicitly win")
    p.add_argument("--clients", type=int, default=None, help="default 100,000")
    p.add_argument("--events", type=int, default=None, help="default 1,000,000")
    p.add_argument("--repeat", type=int, default=None,
                   help="samples per measurement (some use more or fewer); default 6")
    p.add_argument("--only", default="", help="scenario numbers, e.g. 1,3")
    p.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL runs of scenarios 1, 2, 3, 5, 6, 13, 15")
    p.add_argument("--invites", type=int, default=1000, help="members in the bulk invite (scenario 5)")
    p.add_argument("--writers", default=None, metavar="SQLITE,PG,CHANGES",
                   help="scenario 15: writer processes on SQLite and on PostgreSQL, changes each; default 8,16,200")
    p.add_argument("--pg-clients", type=int, default=None,
                   help="default 100,000 (the SQLite database of this size, built or reused, is copied in)")
    p.add_argument("--pg-events", type=int, default=None, help="default 1,000,000")
    p.add_argument("--big-clients", type=int, default=None, help="scenario 14's clients; default 100,000")
    p.add_argument("--big-events", type=int, default=None,
                   help="scenario 14's events; default 10,000,000 (0 with --quick: left out)")
    p.add_argument("--data-dir", type=Path, default=None, help="where the cached database lives")
    p.add_argument("--json", type=Path, default=HERE / "latest.json")
    p.add_argument("--rebuild", action="store_true", help="build the database even if a cached one fits")
    p.add_argument("--profile", type=Path, default=None, metavar="DIR",
                   help="profile each scenario with pyinstrument into DIR/<scenario>.txt (main thread only)")
    args = p.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    from benchmarks import dataset
    from benchmarks.scenarios import ALL

    started = time.time()

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    scenarios = [m for m in ALL if not wanted or m.TITLE.split()[0] in wanted]
    data = actor = None
    if any(getattr(m, "NEEDS_DATASET", True) for m in scenarios):  # scenario 9 makes its own database
        data = dataset.sqlite_dataset(args.clients, args.events, data_dir=args.data_dir or dataset.DATA_DIR,
                                      say=say, rebuild=args.rebuild)
        actor = data.sign_in()
    server = pg = pg_actor = None
    pg_note = None
    needs_pg = any(m.TITLE.split()[0] in PG_SCENARIOS for m in scenarios)
    if needs_pg:
        server, _, pg_note = _start_pg(args, say)
        if server is not None:
            try:
                same = (args.pg_clients, args.pg_events) == (args.clients, args.events)  # rebuilt above
                pg = dataset.postgres_dataset(server, args.pg_clients, args.pg_events,
                                              data_dir=args.data_dir or dataset.DATA_DIR, say=say,
                                              rebuild=args.rebuild and not same)
                pg_actor = pg.sign_in()
                loaded = "reused" if pg.build_seconds is None else f"loaded with COPY in {pg.build_seconds:.0f} s"
                pg_note = f"PostgreSQL: {args.pg_clients:,} clients, {args.pg_events:,} events ({loaded})"
            except Exception as exc:  # noqa: BLE001
                traceback.print_exc()
                pg_note = f"PostgreSQL load failed: {exc}"
                pg = None
    if pg_note:
        say(pg_note)
    rows: list[Row] = []
    extra = {"big": {"clients": args.big_clients, "events": args.big_events, "data_dir": args.data_dir,
                     "rebuild": args.rebuild, "pg": not args.no_pg}}
    try:
        with tempfile.TemporaryDirectory(prefix="msp-bench-") as tmp:
            ctx = Context(data, actor, args.repeat, Path(tmp), pg, pg_actor, pg_note, say, args.invites,
                          tuple(int(n) for n in args.writers.split(",")), extra)
            for mod in scenarios:
                t = time.perf_counter()
                say(f"scenario {mod.TITLE} …")
                profiler = _profiler(args.profile)
                try:
                    got = mod.run(ctx)
                except Skip as why:
                    got = [Row(mod.TITLE, "", "", skipped=str(why))]
                except Exception as exc:  # noqa: BLE001 - one scenario's failure must not hide the rest
                    traceback.print_exc()
                    msg = " ".join(f"{type(exc).__name__}: {exc}".split())
                    got = [Row(mod.TITLE, "(did not finish)", "", passed=False, note=f"error: {msg}"[:160])]
                finally:
                    if profiler is not None:
                        profiler.stop()
                        out = args.profile / f"{mod.TITLE.replace(' ', '-')}.txt"
                        out.write_text(profiler.output_text(unicode=True, color=False))
                        say(f"  profile: {out}")
                rows += got
                say(f"  {time.perf_counter() - t:.0f} s")
    finally:
        if pg is not None:
            pg.db.dispose()
        if server is not None:
            server.stop()
        if data is not None:
            data.db.dispose()
        if extra.get("big_data") is not None:
            extra["big_data"].db.dispose()

    print(table(rows))
    failed = [r for r in rows if r.passed is False]
    passed = [r for r in rows if r.passed is True]
    summary = (f"{len(passed)} budgets pass, {len(failed)} fail, "
               f"{sum(1 for r in rows if r.skipped)} skipped; {time.time() - started:.0f} s; "
               f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(summary)
    if pg_note:
        print(pg_note)
    report = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "dataset": None if data is None else {
            "clients": data.clients, "events": data.events, "path": data.url,
            "built_at": data.built_at.isoformat(), "build_seconds": data.build_seconds,
            "code_version": dataset.code_version()},
        "postgresql": pg_note,
        "summary": {"passed": len(passed), "failed": len(failed), "skipped": sum(1 for r in rows if r.skipped)},
        "rows": [r.as_dict() for r in rows],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    # A terminated run still stops its PostgreSQL server and closes its databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
