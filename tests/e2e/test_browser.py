"""Reaching the app in a real browser through `msp-tui serve`: the system's headless Chromium (the Debian
package; nothing downloaded) opens the page, its own JavaScript connects to the server from the page's
own origin, and we sign in, see the clients home, open one client and quit, typing as a person types.

Chromium is driven over the DevTools protocol (its websocket, with aiohttp). What the app draws reaches
the page as websocket frames; the test reads them off the Network domain into pyte, at the size the page
asked the server for, so it sees what the browser's terminal shows.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.e2e.support import DEMO_EMAIL, DEMO_PASSWORD, SRC, Screen, demo_database, free_port, need


class DevTools:
    """One page of Chromium over the DevTools protocol: commands, and the terminal the page shows."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0
        self.pending: dict[int, asyncio.Future] = {}
        self.screen: Screen | None = None
        self.early: list[bytes] = []
        self.closed = False
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def send(self, method: str, **params):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send_str(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return await asyncio.wait_for(future, 30)

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data:
                future = self.pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data.get("result", data.get("error")))
                continue
            method, params = data.get("method"), data.get("params", {})
            if method == "Network.webSocketFrameSent":
                self._sent(params["response"])
            elif method == "Network.webSocketFrameReceived":
                frame = params["response"]
                if frame.get("opcode") == 2:
                    self._output(base64.b64decode(frame["payloadData"]))
            elif method == "Network.webSocketClosed":
                self.closed = True

    def _sent(self, frame: dict) -> None:
        """The page's resize message says the terminal's size: the screen is made (or resized) to it."""
        try:
            message = json.loads(frame.get("payloadData", ""))
        except ValueError:
            return
        if isinstance(message, list) and message and message[0] == "resize":
            size = message[1]
            if self.screen is None:
                self.screen = Screen(size["width"], size["height"])
                for chunk in self.early:
                    self.screen.feed(chunk)
            else:
                self.screen.resize(size["width"], size["height"])

    def _output(self, data: bytes) -> None:
        if self.screen is None:
            self.early.append(data)
        else:
            self.screen.feed(data)

    @property
    def text(self) -> str:
        return self.screen.text if self.screen else ""

    async def wait_for(self, condition, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition():
                return
            await asyncio.sleep(0.1)
        pytest.fail(f"waited {timeout:.0f} s for {what}; the browser's terminal showed:\n{self.text}", pytrace=False)

    async def type(self, text: str) -> None:
        await self.send("Input.insertText", text=text)

    async def key(self, key: str, code: str, vk: int, text: str = "", modifiers: int = 0) -> None:
        for kind in ("keyDown", "keyUp"):
            params = dict(type=kind, key=key, code=code, windowsVirtualKeyCode=vk, nativeVirtualKeyCode=vk,
                          modifiers=modifiers)
            if kind == "keyDown" and text:
                params["text"] = text
            await self.send("Input.dispatchKeyEvent", **params)

    async def enter(self) -> None:
        await self.key("Enter", "Enter", 13, "\r")


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"{what} stopped: {proc.stdout.read().decode(errors='replace')}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{what} did not listen on {port} in {timeout:.0f} s", pytrace=False)


@pytest.fixture
def served(tmp_path):
    db_path, names = demo_database(tmp_path / "demo.db")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "msp_tui", "--db", str(db_path), "serve", "--port", str(port)],
                            env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _wait_for_port(port, proc, "msp-tui serve")
    yield {"url": f"http://127.0.0.1:{port}/", "names": names}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def chromium(tmp_path):
    binary = need("chromium", "chromium-browser", package="chromium")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    proc = subprocess.Popen(
        [binary, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
         *(["--no-sandbox"] if os.geteuid() == 0 else []),  # Chromium's sandbox refuses to run as root
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1024,768", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    active = profile / "DevToolsActivePort"
    end = time.monotonic() + 60
    while not (active.exists() and active.read_text().count("\n") >= 1):
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            pytest.fail(f"chromium did not start: {proc.stderr.read().decode(errors='replace')[-2000:]}",
                        pytrace=False)
        time.sleep(0.1)
    yield int(active.read_text().splitlines()[0])
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_in_a_browser_sign_in_open_the_clients_home_and_one_client_then_quit(served, chromium):
    asyncio.run(_browse(served, chromium))


async def _browse(served: dict, devtools_port: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{devtools_port}/json/list") as r:
            pages = [t for t in await r.json() if t["type"] == "page"]
        async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = DevTools(ws)
            await page.send("Network.enable")
            await page.send("Page.enable")
            await page.send("Page.navigate", url=served["url"])
            await page.wait_for(lambda: "Sign in" in page.text, 60, "the sign-in screen")
            await page.send("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
            await page.type(DEMO_EMAIL)
            await page.enter()
            await asyncio.sleep(0.2)
            await page.type(DEMO_PASSWORD)
            await page.enter()
            await page.wait_for(lambda: any(n in page.text for n in served["names"]), 60, "the clients home")
            assert DEMO_PASSWORD not in page.text
            await page.enter()  # open the client under the cursor
            await page.wait_for(lambda: all(w in page.text for w in ("1 Overview", "Seats", "Owners")), 30,
                                "a client's overview")
            await page.key("q", "KeyQ", 81, modifiers=2)  # ctrl+q
            await page.wait_for(lambda: page.closed, 30, "the session to end")
            ended = await page.send("Runtime.evaluate", expression="document.body.classList.contains('-closed')")
            assert ended["result"]["value"] is True  # the page says "Session ended."
            page.reader.cancel()
