"""The program in a real pseudo-terminal at 80x24, keys typed before it is ready (issue 14)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time

from msp_tui.core.db import Database
from tests.cli.conftest import MSP_TUI
from tests.conftest import PASSWORD, make_provider


def _starting_quietly(fd) -> bool:
    """The program has stopped the echo but Textual has not yet taken the terminal (still cooked)."""
    lflag = termios.tcgetattr(fd)[3]
    return not lflag & termios.ECHO and bool(lflag & termios.ICANON)


def _run_in_pty(argv, env, typed: bytes, until: bytes, timeout: float = 90) -> bytes:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program on the pty
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    # Type while the program is still starting (loading Textual, opening the database: seconds over a
    # slow link): once it stopped the echo, at once (a paste, a password manager, a fast typist).
    deadline = time.monotonic() + 20
    while not _starting_quietly(fd):
        assert time.monotonic() < deadline, "the terminal kept echoing keys while the program started"
        time.sleep(0.005)
    os.write(fd, typed)
    out = b""
    deadline = time.monotonic() + timeout
    quit_sent = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if until in out and not quit_sent:
                time.sleep(0.5)
                os.write(fd, b"\x11")  # ctrl+q
                quit_sent = True
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return out


def test_a_sign_in_typed_before_the_app_is_ready_signs_in_and_never_shows_the_password(tmp_path):
    path = tmp_path / "m.db"
    db = Database(path)
    make_provider(db)
    db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
    out = _run_in_pty([MSP_TUI, "--db", str(path)], env, f"ada@msp.example\r{PASSWORD}\r".encode(),
                      until=b"Clients")
    assert PASSWORD.encode() not in out, "the master password was printed"
    assert b"Clients" in out, "the typed-ahead sign-in did not reach the clients home"
