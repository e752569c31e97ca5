"""What every scenario shares: samples and their statistics, result rows, budgets, skipping."""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Skip(Exception):
    """A scenario (or one backend of it) cannot run here; the reason is printed in the table."""


def require(module: str, attr: str | None = None, *, branch: str = "") -> Any:
    """Import `module` (checking it has `attr`), or Skip naming the branch that brings it."""
    import importlib

    why = f"{module}{'.' + attr if attr else ''} is not here yet" + (f" (branch {branch})" if branch else "")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        if exc.name and module.startswith(exc.name):
            raise Skip(why) from None
        raise
    if attr is not None and not hasattr(mod, attr):
        raise Skip(why)
    return mod


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile (with few samples, the largest)."""
    s = sorted(samples)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


class Samples(list):
    """Wall-clock seconds, with the CPU seconds this process (or the child) spent in each."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.append(wall)
        self.cpu.append(cpu)

    def __iadd__(self, other):
        super().__iadd__(other)
        self.cpu += getattr(other, "cpu", [])
        return self


class Stopwatch:
    """with Stopwatch() as sw: ...  then sw.wall and sw.cpu (seconds; cpu counts every thread)."""

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def stop(self) -> None:
        if not hasattr(self, "wall"):
            self.wall = time.perf_counter() - self._w
            self.cpu = time.process_time() - self._c

    def __exit__(self, *exc):
        self.stop()
        return False


def timed(fn: Callable[[], Any], n: int, warmup: int = 1) -> Samples:
    """Seconds per call of fn, n times after `warmup` unmeasured calls."""
    for _ in range(warmup):
        fn()
    out = Samples()
    for _ in range(n):
        with Stopwatch() as sw:
            fn()
        out.add(sw.wall, sw.cpu)
    return out


def timed_pair(fn: Callable[[], Any], base: Callable[[], Any], n: int, warmup: int = 1
               ) -> tuple[Samples, Samples]:
    """fn and its baseline alternately, so a burst of load elsewhere hits both alike."""
    for _ in range(warmup):
        fn()
        base()
    a, b = Samples(), Samples()
    for _ in range(n):
        for f, into in ((fn, a), (base, b)):
            with Stopwatch() as sw:
                f()
            into.add(sw.wall, sw.cpu)
    return a, b


def machine_busy() -> bool:
    """More runnable processes than CPUs: wall times include waiting for a CPU."""
    return os.getloadavg()[0] > (os.cpu_count() or 1)


def run_async(coro):
    return asyncio.run(coro)


@dataclass
class Row:
    """One line of the table: a measurement, the same-run baseline beside it, and its budget."""

    scenario: str
    what: str
    backend: str = "sqlite"
    unit: str = "ms"  # ms | s | MB | ev/s | B/ev
    median: float | None = None
    p95: float | None = None
    n: int = 0
    baseline: str | None = None
    base_median: float | None = None
    base_p95: float | None = None
    #: measurement ÷ baseline (medians); for ev/s the baseline's rate ÷ ours, so higher is always worse.
    ratio: float | None = None
    budget: str | None = None
    passed: bool | None = None  # None: no budget on this line
    skipped: str | None = None
    note: str | None = None
    cpu_median: float | None = None
    cpu_p95: float | None = None
    #: The ratio of CPU medians (this process's CPU time only), steadier than wall time on a busy machine.
    cpu_ratio: float | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def check(self, limit: float, *, stat: str = "p95", text: str | None = None) -> "Row":
        """Budget: `stat` (p95 or median) under `limit` (in the row's unit). When the machine is
        busier than its CPUs and only the CPU time meets it, the row passes saying so."""
        self.budget = text or f"{stat} < {limit:g} {self.unit}"
        value, cpu = getattr(self, stat), getattr(self, f"cpu_{stat}")
        if self.backend == "postgresql":
            cpu = None  # the server's share is not in this process's CPU time
        if value is not None and value < limit:
            self.passed = True
        elif cpu is not None and cpu < limit and machine_busy():
            self.passed = True
            self._add_note(f"met on CPU time ({cpu:.3g} {self.unit}); wall time waited for a busy CPU")
        else:
            self.passed = False
        return self

    def check_ratio(self, limit: float, text: str | None = None) -> "Row":
        """Budget: at most `limit` × the baseline (wall; or CPU time when the machine is busy)."""
        self.budget = text or f"≤ {limit:g}× baseline"
        if self.ratio is not None and self.ratio <= limit:
            self.passed = True
        elif (self.cpu_ratio is not None and self.cpu_ratio <= limit and machine_busy()
              and self.backend != "postgresql"):
            self.passed = True
            self._add_note(f"met on CPU time ({self.cpu_ratio:.1f}×); wall time waited for a busy CPU")
        else:
            self.passed = False
        return self

    def _add_note(self, text: str) -> None:
        self.note = f"{self.note}; {text}" if self.note else text


SCALE = {"ms": 1000.0, "s": 1.0, "MB": 1.0, "ev/s": 1.0, "B/ev": 1.0}


def measured(scenario: str, what: str, samples: list[float], *, unit: str = "ms", backend: str = "sqlite",
             base: list[float] | None = None, baseline: str | None = None, **kw) -> Row:
    """A row from samples in seconds (or MB / ev/s as they are), with its baseline samples."""
    k = SCALE[unit]
    row = Row(scenario, what, backend, unit, median(samples) * k, p95(samples) * k, len(samples),
              baseline=baseline, **kw)
    cpu = getattr(samples, "cpu", None)
    if cpu and unit in ("ms", "s"):
        row.cpu_median, row.cpu_p95 = median(cpu) * k, p95(cpu) * k
    if base:
        row.base_median, row.base_p95 = median(base) * k, p95(base) * k
        if row.base_median and row.median:
            row.ratio = (row.base_median / row.median) if unit == "ev/s" else row.median / row.base_median
        base_cpu = getattr(base, "cpu", None)
        if cpu and base_cpu and median(base_cpu) > 0 and backend != "postgresql":
            row.cpu_ratio = median(cpu) / median(base_cpu)
    return row


def skipped(scenario: str, what: str, why: str, backend: str = "sqlite") -> Row:
    return Row(scenario, what, backend, skipped=why)


# --- child processes --------------------------------------------------------------------------


def python() -> str:
    return sys.executable


def msp_tui_cmd(*, peak: bool = False) -> list[str]:
    """The installed `msp-tui`; with peak=True through benchmarks.peak, which reports its peak memory."""
    if peak:
        return [sys.executable, "-m", "benchmarks.peak"]
    exe = Path(sys.executable).with_name("msp-tui")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "msp_tui"]


@dataclass
class ChildResult:
    seconds: float
    cpu: float
    #: From the child's own VmHWM (benchmarks.peak / child_app write it); None if it did not.
    peak_mb: float | None
    returncode: int
    stdout: str
    stderr: str


def run_child(cmd: list[str], *, env: dict | None = None, stdin: str | None = None,
              timeout: float = 300) -> ChildResult:
    """Run a process to its end: wall and CPU seconds (wait4), and the peak memory it reports."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        env = {**os.environ, **(env or {}), "MSP_BENCH_PEAK_FILE": peak.name, "MSP_BENCH_T0": repr(time.time())}
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                             env=env, text=True, cwd=ROOT)
        if stdin:
            p.stdin.write(stdin)
            p.stdin.close()
        import threading

        killer = threading.Timer(timeout, p.kill)
        killer.start()
        try:
            _pid, status, usage = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = peak.read().strip()
        return ChildResult(seconds, usage.ru_utime + usage.ru_stime, int(text) / 1024 if text else None,
                           p.returncode, out.read(), err.read())
