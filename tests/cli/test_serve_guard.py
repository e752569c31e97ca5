"""Attack 2 of issue 15: a web page in the admin's browser drives `msp-tui serve` on 127.0.0.1.

A real `serve` subprocess and a real websocket client (aiohttp), typing keys like a browser does and
reading the screen back through a terminal emulator (pyte).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import aiohttp
import pyte
import pytest
from sqlalchemy import select

from msp_tui.core import invitation_secret
from msp_tui.core.enums import StaffStatus
from msp_tui.core.models import Staff
from tests.cli.conftest import MSP_TUI

TARGET = "newadmin@northwind.example"
ATTACKER_PASSWORD = "attacker's long master password"
EVIL = "http://evil.example"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(cli, *args: str):
    port = _free_port()
    env = cli.env()
    env.pop("MSP_TUI_EMAIL")
    proc = subprocess.Popen([MSP_TUI, "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Browser:
    """One browser tab's websocket: keys go in as the page sends them, the screen comes back."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.screen = pyte.Screen(100, 32)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, *needles: str, timeout: float = 60) -> str:
        """The screen once any of `needles` shows on it."""
        deadline = time.monotonic() + timeout
        needle = " or ".join(map(repr, needles))
        while not any(n in self.text() for n in needles):
            left = deadline - time.monotonic()
            assert left > 0, f"{needle} never appeared on:\n{self.text()}"
            try:
                msg = await self.ws.receive(timeout=left)
            except asyncio.TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.stream.feed(msg.data)
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                raise AssertionError(f"the session closed; screen was:\n{self.text()}")
        return self.text()

    async def type(self, *parts: str) -> None:
        for part in parts:
            await self.ws.send_json(["stdin", part])
            await asyncio.sleep(0.15)


def _accept_in_browser(address: str, origin: str, secret: str) -> str:
    """Press ctrl+n, type the invited email, a secret, a name and a password twice; the screen after."""

    async def go() -> str:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"ws://{address}/ws?width=100&height=32", origin=origin) as ws:
                tab = Browser(ws)
                await tab.wait_for("Sign in to the Provider Portal")
                await tab.type("\x0e")  # ctrl+n: accept an invitation
                await tab.wait_for("Accept your invitation")
                await tab.type(TARGET, "\r", secret, "\r", "Mallory", "\r", ATTACKER_PASSWORD, "\r",
                               ATTACKER_PASSWORD, "\r")
                try:
                    return await tab.wait_for("Invitation accepted", "No pending invitation", "Sign-in failed")
                finally:
                    await tab.type("\x11")  # ctrl+q

    return asyncio.run(go())


def _status(cli) -> StaffStatus:
    db = cli.database()
    try:
        with db.read() as s:
            return StaffStatus(s.execute(select(Staff.status).where(Staff.email == TARGET)).scalar_one())
    finally:
        db.dispose()


@pytest.fixture
def invited(cli):
    """A pending Provider Admin invitation; its one-time secret went to the inviter only."""
    [row] = cli.json("staff", "invite", TARGET, "--role", "admin")
    return row["secret"]


def test_attack2_evil_origin_cannot_claim_a_pending_admin_invitation(cli):
    """The attack as it was run: a page on evil.example opens the websocket to 127.0.0.1."""
    cli.ok("staff", "invite", TARGET, "--role", "admin")
    with served(cli) as address:
        async def attack():
            async with aiohttp.ClientSession() as http:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    async with http.ws_connect(f"ws://{address}/ws", origin=EVIL):
                        pass
                return refused.value.status
        assert asyncio.run(attack()) == 403
        # A page from elsewhere cannot even load the app's page, nor a rebound DNS name.
        for headers in ({"Origin": EVIL}, {"Host": "evil.example"}):
            request = urllib.request.Request(f"http://{address}/", headers=headers)
            with pytest.raises(urllib.error.HTTPError) as page:
                urllib.request.urlopen(request, timeout=10)
            assert page.value.code == 403
    assert _status(cli) == StaffStatus.INVITED


def test_attack2_same_origin_without_the_secret_gets_the_one_answer(cli, invited):
    """Even from the server's own page, the email alone (or a wrong secret) accepts nothing."""
    with served(cli) as address:
        screen = _accept_in_browser(address, f"http://{address}", "AAAA-BBBB-CCCC-DDDD-EEEE")
    assert "No pending invitation matches this email and secret" in screen
    assert "Invitation accepted" not in screen
    assert _status(cli) == StaffStatus.INVITED


def test_invited_person_accepts_in_the_browser_with_the_secret(cli, invited):
    with served(cli) as address:
        screen = _accept_in_browser(address, f"http://localhost:{address.split(':')[1]}", invited)
    assert "Invitation accepted" in screen
    assert _status(cli) == StaffStatus.ACCEPTED
    db = cli.database()
    try:
        with db.read() as s:  # used: the hash is gone, so the secret cannot be used again
            assert s.execute(select(Staff.invite_secret_hash).where(Staff.email == TARGET)).scalar_one() is None
    finally:
        db.dispose()


def test_serve_caps_sessions_and_says_so_in_the_page(cli):
    with served(cli, "--max-sessions", "1") as address:
        async def go():
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"ws://{address}/ws", origin=f"http://{address}") as ws:
                    await Browser(ws).wait_for("Sign in")
                    async with http.get(f"http://{address}/") as page:
                        body = await page.text()
                        assert page.status == 503 and "all 1 sessions are in use" in body
                    with pytest.raises(aiohttp.WSServerHandshakeError) as second:
                        async with http.ws_connect(f"ws://{address}/ws", origin=f"http://{address}"):
                            pass
                    assert second.value.status == 503
                    await ws.send_json(["stdin", "\x11"])
                await asyncio.sleep(1)
                async with http.get(f"http://{address}/") as page:  # the session ended: room again
                    assert page.status == 200
        asyncio.run(go())


def test_the_secret_is_stored_only_as_a_hash(cli, invited):
    db = cli.database()
    try:
        with db.read() as s:
            stored = s.execute(select(Staff.invite_secret_hash).where(Staff.email == TARGET)).scalar_one()
    finally:
        db.dispose()
    assert stored == invitation_secret.digest(invited) and invited not in stored
    assert cli.database  # the file itself never holds the secret:
    with open(cli.url, "rb") as f:
        assert invited.encode() not in f.read()
