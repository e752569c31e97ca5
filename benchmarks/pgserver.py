"""A PostgreSQL server for the benchmark that keeps its data between runs (tests/pg.py's server,
made persistent), so the loaded database is reused while the code that shapes it is unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from tests.pg import PostgresServer, _free_port

#: Outside the repository: the server runs as the `postgres` user, which must reach the folder. One
#: per checkout: a run starting the server stops one left running in its folder, so two checkouts
#: sharing a folder stopped each other's server mid-run.
ROOT = Path(os.environ.get("MSP_BENCH_PG_ROOT") or "/var/tmp/msp-tui-bench-pg-" + hashlib.sha256(
    str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8])


class PersistentPostgres(PostgresServer):
    #: The load writes its tables in the transaction that emptied them: with wal_level=minimal their
    #: rows skip the WAL. Index builds and VACUUM sort in memory; a bigger cache for a 1 GB database.
    SETTINGS = PostgresServer.SETTINGS + (" -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=4GB"
                                          " -c maintenance_work_mem=256MB -c shared_buffers=256MB")

    def __init__(self, root: Path | None = None) -> None:
        super().__init__()
        shutil.rmtree(self.root, ignore_errors=True)  # the parent's temporary folder: not needed
        self.root = root or ROOT  # ROOT read now: tests point it elsewhere
        self.data = self.root / "data"
        self.marker = self.root / "loaded"  # holds the key of the database loaded into it
        self.port = _free_port()

    def start(self) -> "PersistentPostgres":
        if (self.data / "PG_VERSION").exists():
            # Start the existing cluster (after stopping one a killed run left behind).
            import subprocess

            running = subprocess.run(["runuser", "-u", "postgres", "--", self.pg_ctl, "-D", str(self.data),
                                      "status"] if self.as_root else [self.pg_ctl, "-D", str(self.data), "status"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            if running:
                self.stop()
            self._run(self.pg_ctl, "-D", str(self.data), "-o", self.options(), "-l", str(self.root / "log"),
                      "-w", "start")
            return self
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(mode=0o700, parents=True)
        return super().start()

    def loaded(self, key: str) -> bool:
        """Whether the server holds the database loaded under `key` (its size, code and source)."""
        return self.marker.exists() and self.marker.read_text() == key

    def mark_loaded(self, key: str) -> None:
        self.marker.write_text(key)

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop")
