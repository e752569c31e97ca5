"""Attack 11 of issue 15: files. The password file's first line only, a warning when others can read
it; a warning for a new database in a folder every user can write; a killed `demo` never leaves a
half-built database the next `demo` refuses to replace. Real files, real subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from msp_tui.core import demo as builder
from tests.cli.conftest import MSP_TUI, Cli

READABLE = "can be read by other users"


def _with_file(cli: Cli, path: Path, *args: str) -> subprocess.CompletedProcess:
    env = cli.env()
    return subprocess.run([MSP_TUI, "--passwordfile", str(path), *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_attack11_password_file_first_line_only(cli, tmp_path):
    """docs/cli.md says the first line; the whole file (minus the last newline) was used."""
    pw = tmp_path / "pw"
    pw.write_text(builder.DEMO_PASSWORD + "\nmy notes: the old password was hunter2\n")
    pw.chmod(0o600)
    r = _with_file(cli, pw, "--format", "json", "clients", "list")
    assert r.returncode == 0, r.stderr
    assert READABLE not in r.stderr
    pw.write_bytes(builder.DEMO_PASSWORD.encode() + b"\r\n")  # written on Windows: CRLF
    assert _with_file(cli, pw, "clients", "list").returncode == 0


def test_attack11_a_password_file_others_can_read_is_warned_about(cli, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(builder.DEMO_PASSWORD + "\n")
    for mode in (0o644, 0o640, 0o604):
        pw.chmod(mode)
        r = _with_file(cli, pw, "clients", "list")
        assert r.returncode == 0, r.stderr
        assert READABLE in r.stderr and f"chmod 600 {pw}" in r.stderr, (oct(mode), r.stderr)
        assert builder.DEMO_PASSWORD not in r.stderr + r.stdout


def _init(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([MSP_TUI, "--db", str(path), "--passwordenv", "PW", "init", "--provider", "P",
                           "--email", "boss@p.example", "--name", "Boss"], capture_output=True, text=True,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")},
                               "PW": "a long enough master password"}, timeout=120)


def test_attack11_a_new_database_in_a_folder_everyone_can_write_is_warned_about(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    r = _init(shared / "msp.db")
    assert r.returncode == 0, r.stderr
    assert "a folder every user can write" in r.stderr and str(shared) in r.stderr
    own = tmp_path / "own"
    own.mkdir(mode=0o700)
    r = _init(own / "msp.db")
    assert r.returncode == 0 and "every user can write" not in r.stderr, r.stderr


def test_attack11_the_demo_warning_names_the_file_asked_for_not_its_building_name(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")}
    r = subprocess.run([str(MSP_TUI), "--db", str(shared / "demo.db"), "demo", "--no-ui", "--clients", "3",
                        "--events", "20"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "every user can write" in r.stderr and ".building" not in r.stderr, r.stderr


def test_attack11_a_killed_demo_is_replaced_by_the_next_without_force(tmp_path):
    path = tmp_path / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")}
    demo = [MSP_TUI, "--db", str(path), "demo", "--no-ui", "--seed", "3"]
    # Killed as soon as its schema is in the file: early, before its first admin exists.
    proc = subprocess.Popen([*demo, "--clients", "3000"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    candidates = (path, path.with_name(path.name + ".building"))
    while not any(p.exists() and p.stat().st_size for p in candidates):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not path.exists() or path.stat().st_size == 0  # nothing half-built under the name
    r = subprocess.run([*demo, "--clients", "2", "--events", "50"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db", "demo.db.checkpoint"]
    # A complete demo under the name stays whole while the next one is built and killed.
    proc = subprocess.Popen([*demo, "--clients", "3000"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    cli = Cli(str(path))
    assert len(cli.json("clients", "list")) == 2
