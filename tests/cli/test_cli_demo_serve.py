"""`msp-tui demo` and `msp-tui serve` as people start them."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

from msp_tui.core import demo as builder
from tests.cli.conftest import MSP_TUI, Cli


def test_demo_prints_the_sign_in_and_stays_quiet_when_piped(tmp_path):
    path = tmp_path / "demo.db"
    r = subprocess.run([MSP_TUI, "--db", str(path), "demo", "--no-ui", "--clients", "3", "--events", "200"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    shown = r.stdout.splitlines()
    assert shown[:2] == [f"email: {builder.DEMO_EMAIL}", f"password: {builder.DEMO_PASSWORD}"]
    assert all(line.startswith("scoped technician: ") for line in shown[2:])  # the S12 demo sign-ins
    assert "\r" not in r.stderr  # no progress line when stderr is not a terminal
    cli = Cli(str(path))
    assert len(cli.json("clients", "list")) == 3


def test_demo_will_not_replace_a_database_that_is_not_a_demo(cli, tmp_path):
    path = tmp_path / "real.db"
    r = subprocess.run([MSP_TUI, "--db", str(path), "--passwordenv", "PW", "init", "--provider", "Real MSP",
                        "--email", "boss@real.example", "--name", "Boss"], capture_output=True, text=True,
                       env={**cli.env(), "PW": "a long enough master password"}, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([MSP_TUI, "--db", str(path), "demo", "--no-ui", "--clients", "1"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "--force" in r.stderr
    real = Cli(str(path), email="boss@real.example", password="a long enough master password")
    assert [s["email"] for s in real.json("staff", "list")] == ["boss@real.example"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback_only_by_default(cli):
    port = _free_port()
    proc = subprocess.Popen([MSP_TUI, "serve", "--port", str(port)], env=cli.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        page = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    page = resp.read().decode()
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.3)
        assert page is not None and "msp-tui" in page
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        local = [line.split()[3] for line in listening.splitlines()]
        assert local == [f"127.0.0.1:{port}"], listening
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_sign_ins_are_recorded_as_the_browser_with_its_address(cli):
    """A real `msp-tui serve`, a real websocket as the browser page opens it: the sign-in event
    reads "browser" and the browser's address (the export shows `msp-tui (browser)`)."""
    import asyncio
    import json

    import aiohttp
    from sqlalchemy import select

    from msp_tui.core.enums import EventType
    from msp_tui.core.models import Event

    port = _free_port()
    proc = subprocess.Popen([MSP_TUI, "serve", "--port", str(port)], env=cli.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)

    def sign_ins():
        db = cli.database()
        try:
            with db.read() as s:
                return list(s.execute(select(Event.device, Event.ip_address).where(
                    Event.type == int(EventType.USER_LOGGED_IN))).all())
        finally:
            db.dispose()

    before = len(sign_ins())

    async def browse():
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            while True:
                try:
                    ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24",
                                                  origin=f"http://127.0.0.1:{port}")  # as its page does
                    break
                except aiohttp.ClientError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    await asyncio.sleep(0.3)
            async with ws:
                await asyncio.sleep(4)  # the tab's process starts and shows the sign-in screen
                for text in (cli.email, "\r", cli.password, "\r"):
                    await ws.send_str(json.dumps(["stdin", text]))
                    await asyncio.sleep(0.5)
                deadline = time.monotonic() + 60
                while len(sign_ins()) == before and time.monotonic() < deadline:
                    await asyncio.sleep(0.5)

    try:
        asyncio.run(browse())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    fresh = sign_ins()[before:]
    assert fresh == [("browser", "127.0.0.1")]
