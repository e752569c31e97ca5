"""The command line as people run it: the installed `msp-tui` program, in a subprocess, on a real database."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from msp_tui.core import demo as builder
from msp_tui.core.db import Database

#: The `msp-tui` console script of the virtual environment running the tests.
MSP_TUI = str(Path(sys.executable).with_name("msp-tui"))
PASSWORD_VAR = "MSP_TUI_TEST_PASSWORD"


@dataclass
class Cli:
    """Runs `msp-tui` against one database, signed in as the demo's Provider Admin by default."""

    url: str
    email: str = builder.DEMO_EMAIL
    password: str = builder.DEMO_PASSWORD

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")}
        env.update(MSP_TUI_DB=self.url, MSP_TUI_EMAIL=self.email, **{PASSWORD_VAR: self.password})
        env.update(extra)
        return env

    def run(self, *args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([MSP_TUI, "--passwordenv", PASSWORD_VAR, *args], capture_output=True, text=True,
                              env=env or self.env(), input=input, timeout=timeout)

    def ok(self, *args: str) -> str:
        r = self.run(*args)
        assert r.returncode == 0, f"msp-tui {' '.join(args)} exited {r.returncode}: {r.stderr}"
        return r.stdout

    def json(self, *args: str):
        return json.loads(self.ok("--format", "json", *args))

    def database(self) -> Database:
        return Database(self.url)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A small demo database (5 clients, 400 events), built once and copied for each test."""
    path = tmp_path_factory.mktemp("cli-demo") / "demo.db"
    db = Database(path)
    builder.build(db, clients=5, events=400)
    db.dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def cli(tmp_path, demo_template) -> Cli:
    """The demo copied to a fresh SQLite file."""
    path = tmp_path / "msp.db"
    shutil.copy(demo_template, path)
    return Cli(str(path))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_cli(request, tmp_path, demo_template) -> Cli:
    """The demo on SQLite, and built fresh on the test run's PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path / "msp.db"
        shutil.copy(demo_template, path)
        return Cli(str(path))
    from tests.conftest import new_pg

    db = new_pg(request.getfixturevalue("pg_server"))
    builder.build(db, clients=5, events=400)
    url = db.url.render_as_string(hide_password=False)
    db.dispose()
    return Cli(url)


def on_a_terminal(args: list[str], env: dict | None = None) -> tuple[int, str, bytes]:
    """Run with stderr on a pseudo-terminal (stdout piped): the exit code, what stderr showed, stdout.

    The terminal is read while the command runs: a pseudo-terminal holds only a few kilobytes, and a
    progress bar on a slow (loaded) machine redraws enough to fill it and block the command."""
    leader, follower = pty.openpty()
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the command and every copy of the follower end are gone
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, env=env)
        os.close(follower)
        follower = None
        stdout, _ = proc.communicate(timeout=300)
        reader.join(timeout=30)
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    return proc.returncode, shown.decode("utf-8", "replace"), stdout
