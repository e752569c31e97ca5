"""Opening the terminal UI from the command line: its options and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys

HEADLESS = "textual.drivers.headless_driver:HeadlessDriver"

#: The real `msp-tui` entry point, with the app's first screen replaced by one that raises: the
#: stand-in for any bug that reaches Textual's unhandled-exception path.
CRASHING = """
import sys
import msp_tui.app as app
def on_mount(self):
    raise RuntimeError("a bug in a screen")
app.MspApp.on_mount = on_mount
from msp_tui.cli import main
main(["--db", sys.argv[1]])
"""


def test_an_unhandled_exception_in_the_ui_never_exits_0(tmp_path):
    from msp_tui.core.db import Database

    Database(tmp_path / "m.db").dispose()  # only init/demo create one; the UI opens an existing file
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_TUI")}
    env["TEXTUAL_DRIVER"] = HEADLESS
    done = subprocess.run([sys.executable, "-c", CRASHING, str(tmp_path / "m.db")], capture_output=True,
                          text=True, env=env, timeout=120)
    assert "a bug in a screen" in done.stderr + done.stdout
    assert done.returncode == 70


def test_bad_emails_on_the_command_line_read_as_sentences(cli):
    r = cli.run("staff", "invite", "--role", "service", "x", "ana@msp.test")
    assert r.returncode == 2
    assert r.stderr.strip() == "error: 'x' is not a valid email address: an email address must have an @-sign."
    r = cli.run("staff", "invite", "--role", "service", "ana@msp.test")
    assert "reserved domain that no email is ever delivered to" in r.stderr and "emails.0" not in r.stderr


def test_email_and_passwordenv_sign_in_before_the_ui_opens(cli, monkeypatch):
    import pytest

    from msp_tui.cli.state import CliState
    from msp_tui.cli.ui import sign_in_first
    from msp_tui.core.errors import AuthFailed

    monkeypatch.setenv("MSP_TUI_TEST_PW", cli.password)
    state = CliState(db_url=cli.url, email=cli.email, passwordenv="MSP_TUI_TEST_PW", passwordfile=None)
    actor, email = sign_in_first(state)
    assert actor is not None and actor.email == cli.email and email is None
    # --email alone: the sign-in screen opens with the email filled in.
    state = CliState(db_url=cli.url, email=cli.email, passwordenv=None, passwordfile=None)
    assert sign_in_first(state) == (None, cli.email)
    # A wrong password fails as on the command line (exit 3), before any screen.
    monkeypatch.setenv("MSP_TUI_TEST_PW", "not the password")
    state = CliState(db_url=cli.url, email=cli.email, passwordenv="MSP_TUI_TEST_PW", passwordfile=None)
    with pytest.raises(AuthFailed):
        sign_in_first(state)
