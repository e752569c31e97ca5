"""What the end-to-end tests share: a small demo database, the app's command line, a screen read with pyte.

These tests drive the app through the real ways people reach it (sshd, a browser through `serve`). A
missing system binary skips them locally with the reason; in CI (`MSP_TUI_REQUIRE_E2E=1`, set by
.ci/run, which installs the packages) it fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pyte
import pytest

import msp_tui

REQUIRE_E2E = os.environ.get("MSP_TUI_REQUIRE_E2E") == "1"
DEMO_EMAIL = "ada@northwind.example"
DEMO_PASSWORD = "northwind-demo-2026"
#: The source tree under test, so a child process (through sshd or serve) runs this code, not an installed one.
SRC = str(Path(msp_tui.__file__).resolve().parent.parent)


def need(binary: str, *candidates: str, package: str) -> str:
    """The path of a system binary, or skip (fail in CI) saying which Debian package provides it."""
    for name in (binary, *candidates):
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    message = f"{binary} not found: apt-get install {package} (.ci/run does)"
    if REQUIRE_E2E:
        pytest.fail(message + "; MSP_TUI_REQUIRE_E2E=1 requires it", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_database(path: Path) -> tuple[Path, list[str]]:
    """A small demo database; returns its path and its client names."""
    from sqlalchemy import select

    from msp_tui.core import demo
    from msp_tui.core.db import Database
    from msp_tui.core.models import Client, Organization

    db = Database(path)
    demo.build(db, clients=5, events=100, seed=7)
    with db.read() as s:
        names = list(s.execute(select(Organization.name).join(Client, Client.organization_id == Organization.id))
                     .scalars())
    db.dispose()
    return path, names


def app_command(db_path: Path) -> list[str]:
    """The app as a person's login would start it, from the tree under test."""
    return ["env", f"PYTHONPATH={SRC}", sys.executable, "-m", "msp_tui", "--db", str(db_path)]


class Screen:
    """A terminal screen fed with what the app wrote, read as lines of text."""

    def __init__(self, columns: int = 80, lines: int = 24) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.fed = 0

    def feed(self, data: bytes) -> None:
        self.fed += len(data)
        self.stream.feed(data)

    def resize(self, columns: int, lines: int) -> None:
        self.screen.resize(lines, columns)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def shows(self, *words: str) -> bool:
        text = self.text
        return all(w in text for w in words)


def wait_until(condition, timeout: float, what: str, screen: Screen | None = None, pump=None) -> None:
    """Poll `condition` (calling `pump` to read more output between tries) until true, or fail saying what
    was awaited and what the screen showed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pump is not None:
            pump(0.1)
        if condition():
            return
        if pump is None:
            time.sleep(0.1)
    shown = f"\nThe screen showed:\n{screen.text}" if screen is not None else ""
    pytest.fail(f"waited {timeout:.0f} s for {what}{shown}", pytrace=False)
