"""The client's access report as the client sees it: `msp-tui report access` writes the HTML file, the
system's headless Chromium (the Debian package) opens it with every network request failing, and
the page it renders holds the people, the totals and the log's verification status; printing it to
PDF works (it is handed over on paper too)."""

from __future__ import annotations

import html.parser
import os
import subprocess

import pytest

from tests.e2e.support import DEMO_EMAIL, DEMO_PASSWORD, SRC, demo_database, need


class _Text(html.parser.HTMLParser):
    """The rendered DOM's text and its element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == "id" and v)

    def handle_data(self, data):
        self.parts.append(data)


def _chromium(binary: str, profile, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "--headless=new", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-dev-shm-usage",
         *(["--no-sandbox"] if os.geteuid() == 0 else []),
         # Any attempt to reach the network fails: the file must need none.
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def test_access_report_renders_in_a_real_headless_browser(tmp_path):
    binary = need("chromium", "chromium-browser", package="chromium")
    db_path, names = demo_database(tmp_path / "demo.db")
    client = names[0]
    out = tmp_path / "access.html"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")},
           "PYTHONPATH": SRC, "MSP_TUI_E2E_PW": DEMO_PASSWORD}
    import sys

    r = subprocess.run([sys.executable, "-m", "msp_tui", "--db", str(db_path), "--email", DEMO_EMAIL,
                        "--passwordenv", "MSP_TUI_E2E_PW", "report", "access", client, "--since", "120d",
                        "-o", str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    profile = tmp_path / "profile"
    dom = _chromium(binary, profile, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = _Text()
    page.feed(dom.stdout)
    text = " ".join(" ".join(page.parts).split())
    assert f"Provider access to {client}" in text
    assert "Event log: Verified:" in text and "validly signed" in text
    assert {"totals", "verification"} <= page.ids
    assert "Everyone" in text and "vault opened" in text
    assert "@northwind.example" in text  # the staff who acted, by person
    pdf = tmp_path / "access.pdf"
    printed = _chromium(binary, tmp_path / "profile2", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", out.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-", printed.stderr[-2000:]
    assert pdf.stat().st_size > 2000
