"""10. `events verify` of every event (issue 19): chunks checked on every core (core.chain_check), beside
its floor in the same run: the same rows read in the same processes and every signature put through
the same Ed25519 verify (crypto.verify_signature), nothing else; and a verify of the newest tenth (`--since`) beside the whole log.

The check is the one `events verify` runs: every link, hash and Ed25519 signature against the keys
the dataset's checkpoint file pins, and every checkpoint of that file. The budget is the issue's: a
million events in under 30 s on this 2-core machine (scaled to the run's size). Wall time on a shared
machine waits for a CPU, so each row also notes the CPU seconds of all its processes; a row's `cpu`
is that total ÷ the processes (what the wall time would be on an idle machine)."""

from __future__ import annotations

import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor

from benchmarks.common import Row, Samples, measured

TITLE = "10 events verify"
BUDGET_PER_MILLION = 30.0


def _verify(data, known, **kw):
    from msp_tui.core import events

    with data.db.read() as s:
        return events.verify_chain(s, pins=known.keys, checkpoints=[cp.as_tuple() for cp in known.checkpoints],
                                   **kw)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(fn, n: int, workers: int) -> tuple[Samples, float]:
    """Wall samples; their `cpu` is the CPU of this process and its pool ÷ workers. Also returns the
    total CPU seconds of the last sample."""
    out, total = Samples(), 0.0
    for _ in range(n):
        c0, t = _cpu(), time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t
        total = _cpu() - c0
        assert result is True or result.ok, result.problem
        out.add(wall, total / workers)
    return out, total


def _floor_chunk(url: str, lo: int, hi: int, keys: dict) -> int:
    """In a worker: the rows of ids (lo, hi] read as verify reads them, and the verify's own Ed25519 check
    of each signature over its stored hash; no link, no hash, no checkpoint. Returns the rows read."""
    from msp_tui.core import chain_check
    from msp_tui.core.db import reading_engine
    from msp_tui.core.crypto import verify_signature

    engine = reading_engine(url)
    public: dict = {}
    with engine.connect() as conn:
        rows = chain_check.read_chunk(conn, lo, hi)
    engine.dispose()
    for r in rows:
        signature = r[chain_check._SIGNATURE]
        if signature is not None:
            acting = r[chain_check._ACTING]
            key = public.get(acting)
            if key is None:
                key = public[acting] = keys[chain_check.signer_name(acting)][0]
            assert verify_signature(key, signature, r[chain_check._HASH])
    return len(rows)


def _floor(data, known, count: int, workers: int) -> bool:
    from msp_tui.core import chain_check

    with data.db.read() as s:
        keys = chain_check.signer_keys(s.connection(), known.keys)
    url = data.db.url.render_as_string(hide_password=False)
    bounds = [(lo, min(lo + chain_check.CHUNK, count)) for lo in range(0, count, chain_check.CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=chain_check._pool_context()) as pool:
        done = sum(pool.map(_floor_chunk, *zip(*[(url, lo, hi, keys) for lo, hi in bounds])))
    assert done == count, (done, count)
    return True


def run(ctx) -> list[Row]:
    from msp_tui.core import chain_check, checkpoint

    data = ctx.data
    path = checkpoint.default_path(data.db)
    known = checkpoint.read_file(path) if path is not None and path.exists() else checkpoint.CheckpointFile()
    with data.db.read() as s:
        count = checkpoint.chain_state(s)[0]
    workers = chain_check.workers_default()
    n = 1 if count >= 500_000 else max(2, min(ctx.repeat, 3))
    load = lambda: f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"  # noqa: E731
    before = load()
    ours, ours_cpu = _timed(lambda: _verify(data, known, workers=workers), n, workers)
    floor, floor_cpu = _timed(lambda: _floor(data, known, count, workers), n, workers)
    per = 1e6 / max(count, 1)
    row = measured(TITLE, f"verify {count:,} events: links, hashes, signatures ({workers} processes)", ours,
                   unit="s", base=floor, baseline="its floor: the rows read and every signature through "
                   "the same Ed25519 verify, same processes",
                   note=f"CPU {ours_cpu:.1f} s in all processes ({ours_cpu * per:.0f} µs an event; floor "
                        f"{floor_cpu:.1f} s, {floor_cpu * per:.0f} µs); {before}, then {load()}")
    row.check(BUDGET_PER_MILLION * max(count, 1) / 1_000_000,
              text=f"< {BUDGET_PER_MILLION:g} s per million events")
    since = max(1, count - count // 10 + 1)
    part, part_cpu = _timed(lambda: _verify(data, known, workers=workers, since=since), n, workers)
    tenth = measured(TITLE, f"verify the newest tenth (--since {since:,}: {count - since + 1:,} events)", part,
                     unit="s", base=ours, baseline="verify of the whole log",
                     note=f"CPU {part_cpu:.1f} s; {load()}")
    tenth.check_ratio(0.25, text="≤ 0.25× the whole log (the range's cost)")
    return [row, tenth]
