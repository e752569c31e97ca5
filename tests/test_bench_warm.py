"""Issue 19's "disk I/O error" in one `make bench` process: scenario 4 warmed the page cache by reading
the SQLite file with open()/close() in the benchmark process itself. POSIX record locks belong to the
process, and closing ANY descriptor of a file drops all of them (sqlite.org/howtocorrupt.html §2.2), so
the benchmark's open connections kept reading a WAL database while holding no lock on it. The next
process with a SQLite that takes that for "the last connection" (scenario 10's workers ran Python's
SQLite 3.40 then) checkpointed and deleted the -wal and -shm under them; every connection the benchmark
opened afterwards failed with "disk I/O error" (scenarios 13 and 14 in a full run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from benchmarks.scenarios import s4_export
from msp_tui.core.db import Database


def _locks_held(path: Path) -> list[str]:
    """The POSIX locks this process holds on the file (Linux's /proc/locks)."""
    st = os.stat(path)
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return [line for line in Path("/proc/locks").read_text().splitlines()
            if line.split()[4] == str(os.getpid()) and line.split()[5] == inode]


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads Linux's /proc/locks")
def test_warming_the_export_cache_keeps_the_benchmark_process_locks_so_no_process_deletes_the_wal(tmp_path):
    path = tmp_path / "bench.db"
    db = Database(path)
    try:
        with db.read() as s:  # a pooled connection of the benchmark process, as after scenario 4's count
            s.execute(text("SELECT count(*) FROM event")).scalar()
        held = _locks_held(path)
        assert held, "an open WAL connection holds a shared lock on the database file"

        s4_export._warm(SimpleNamespace(path=path))

        assert _locks_held(path) == held, "warming the cache dropped this process's locks on the database"
        # What the lost lock let happen: another program (here Python's own, older SQLite) closes its
        # connection, finds no other lock, and deletes the WAL under this process's connections.
        subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                        "c.execute('SELECT count(*) FROM event').fetchone(); c.close()", str(path)], check=True)
        assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
        with db.engine.connect() as conn:  # a new connection of this process still reads the file
            assert conn.execute(text("SELECT count(*) FROM event")).scalar() >= 0
    finally:
        db.dispose()
