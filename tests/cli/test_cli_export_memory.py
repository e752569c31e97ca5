"""`events export` streams: its peak memory does not grow with the number of events."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from msp_tui.core import demo as builder
from msp_tui.core.db import Database
from tests.cli.conftest import MSP_TUI, PASSWORD_VAR, Cli

_built: dict[int, str] = {}


@pytest.fixture(scope="module")
def event_db(tmp_path_factory):
    """A demo database with N events across 100 clients, built once per size for this module."""
    def build(n: int) -> Cli:
        if n not in _built:
            path = tmp_path_factory.mktemp(f"events-{n}") / "msp.db"
            db = Database(path)
            builder.build(db, clients=100, events=n)
            db.dispose()
            _built[n] = str(path)
        return Cli(_built[n])
    yield build
    _built.clear()


#: Runs a command and reports its peak RSS. A small launcher of its own, because a child forked from
#: this (large) test process counts the parent's pages in its ru_maxrss until it execs.
LAUNCHER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def export_peak(cli: Cli, out) -> tuple[int, int, float]:
    """Run the export to a file; return (peak RSS in KiB of the msp-tui process, lines written, seconds)."""
    started = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", LAUNCHER, MSP_TUI, "--passwordenv", PASSWORD_VAR, "events",
                        "export", "--since", "100d", "-o", str(out)], capture_output=True, text=True,
                       env=cli.env(), timeout=1800)
    elapsed = time.perf_counter() - started
    peak, code = (int(x) for x in r.stdout.split())
    assert code == 0, r.stderr
    with open(out, "rb") as f:
        lines = sum(1 for _ in f)
    return peak, lines, elapsed


def _check(event_db, tmp_path, small: int, large: int) -> None:
    peaks = {}
    for n in (small, large):
        cli = event_db(n)
        peak, lines, seconds = export_peak(cli, tmp_path / f"{n}.csv")
        # header + the events + the demo's fixed set-up events (client groups, scopes, a pending approval)
        # + the sign-ins the demo's admin made (one per export so far)
        assert n < lines - 1 <= n + 100
        peaks[n] = peak
        print(f"export of {n:,} events: peak {peak / 1024:.1f} MiB, {seconds:.1f} s, {n / seconds:,.0f} events/s")
        (tmp_path / f"{n}.csv").unlink()
    # Ten times the events, and the same memory (8 MiB of slack for allocator noise; keeping the
    # events would take hundreds of bytes each).
    assert peaks[large] <= peaks[small] + 8 * 1024, peaks


def test_export_memory_does_not_grow_10k_to_100k(event_db, tmp_path):
    _check(event_db, tmp_path, 10_000, 100_000)


@pytest.mark.slow
def test_export_memory_does_not_grow_100k_to_1m(event_db, tmp_path):
    _check(event_db, tmp_path, 100_000, 1_000_000)
