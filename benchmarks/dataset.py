"""The benchmark database: 100,000 clients and 1,000,000 events from the demo generator, built once
and reused while the generator's code is unchanged. A schema change reaches a reused database the way
it reaches a person's: its migration runs when the database is opened."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msp_tui
from msp_tui.core import clock
from msp_tui.core.db import Database

DATA_DIR = Path(__file__).resolve().parent / ".data"
#: A cached database older than this is rebuilt: the timeline's default range is the last 30 days.
MAX_AGE_HOURS = 20


@dataclass
class Dataset:
    db: Database
    url: str
    path: Path | None
    clients: int
    events: int
    built_at: datetime
    build_seconds: float | None  # None when reused
    email: str
    password: str
    #: The checkpoint file that vouches for a PostgreSQL copy (MSP_TUI_CHECKPOINT names it to verify).
    checkpoint: Path | None = None

    def sign_in(self):
        from msp_tui.core.services import accounts

        return accounts.sign_in(self.db, self.email, self.password)


def code_version() -> str:
    """A hash of the demo generator's sources (core/demo*.py), which decide what the database holds."""
    core = Path(msp_tui.__file__).resolve().parent / "core"
    files = sorted(core.glob("demo*.py"))
    h = hashlib.sha256()
    for f in files:
        if f.exists():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def _build(db: Database, clients: int, events: int, say) -> float:
    from msp_tui.core import demo

    t = time.perf_counter()
    last = [t]

    def progress(msg: str) -> None:
        now = time.perf_counter()
        if now - last[0] > 10:
            say(f"  {msg}")
            last[0] = now

    # Every size gets scenario 13's 200 client groups and scoped technician (the smoke run's too).
    demo.build(db, clients=clients, events=events, progress=progress, bench_scope=True)
    clock.freeze(None)
    return time.perf_counter() - t


def sqlite_dataset(clients: int, events: int, *, data_dir: Path = DATA_DIR, say=print,
                   rebuild: bool = False, max_age_hours: float = MAX_AGE_HOURS) -> Dataset:
    from msp_tui.core import demo

    data_dir.mkdir(parents=True, exist_ok=True)
    version = code_version()
    path = data_dir / f"bench-{clients}-{events}-{version}.db"
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else None
    if meta is not None:
        age = (clock.now() - datetime.fromisoformat(meta["built_at"])).total_seconds() / 3600
        if age > max_age_hours or rebuild:
            meta = None
    if meta is None:
        for old in data_dir.glob(f"bench-{clients}-{events}-*"):
            old.unlink()
        say(f"building the benchmark database: {clients:,} clients, {events:,} events ({path.name}) …")
        db = Database(path)
        seconds = _build(db, clients, events, say)
        db.dispose()
        meta = {"built_at": clock.now().isoformat(), "seconds": seconds, "version": version}
        meta_path.write_text(json.dumps(meta))
        say(f"  built in {seconds:.0f} s")
        build_seconds = seconds
    else:
        say(f"reusing the benchmark database {path.name} (built {meta['built_at'][:16]} UTC)")
        build_seconds = None
    db = Database(path)
    return Dataset(db, str(path), path, clients, events, datetime.fromisoformat(meta["built_at"]),
                   build_seconds, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)


def postgres_dataset(server, clients: int, events: int, *, data_dir: Path = DATA_DIR, say=print,
                     rebuild: bool = False, max_age_hours: float = MAX_AGE_HOURS) -> Dataset:
    """The database `bench` on a PostgreSQL server the run started (benchmarks.pgserver): the SQLite
    benchmark database of the same size (built or reused, see sqlite_dataset) copied in with COPY
    (core.db_copy), unless the server already holds that very copy. The copy keeps the SQLite file's
    ids, chain and signatures, so the file's checkpoint (copied beside the server) vouches for it."""
    from sqlalchemy import create_engine, text

    from msp_tui.core import demo
    from msp_tui.core.db_copy import copy_into_postgres

    source = sqlite_dataset(clients, events, data_dir=data_dir, say=say, rebuild=rebuild, max_age_hours=max_age_hours)
    source.db.dispose()
    key = f"{clients}-{events}-{code_version()}-{source.built_at.isoformat()}"
    url = server.url("bench")
    checkpoint = server.root / "bench.checkpoint"
    if server.loaded(key):
        say(f"reusing the PostgreSQL benchmark database ({clients:,} clients, {events:,} events)")
        return Dataset(Database(url), url, None, clients, events, source.built_at, None, demo.DEMO_EMAIL,
                       demo.DEMO_PASSWORD, checkpoint)
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS bench"))
        c.execute(text("CREATE DATABASE bench"))
    engine.dispose()
    say(f"copying {source.path.name} into PostgreSQL with COPY …")
    report = copy_into_postgres(source.path, url, lambda msg: say(f"  {msg}"), checkpoint_to=checkpoint)
    server.mark_loaded(key)
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in report.steps.items())
    say(f"  loaded {report.total:,} rows in {report.seconds:.0f} s ({steps})")
    return Dataset(Database(url), url, None, clients, events, source.built_at, report.seconds, demo.DEMO_EMAIL,
                   demo.DEMO_PASSWORD, checkpoint)
