"""`msp-tui account 2fa enable/disable`, `--otpenv` and the provider's requirement, as people run them
(issue 16: two-step login for real)."""

from __future__ import annotations

import re
import subprocess

from msp_tui.core import demo as builder
from msp_tui.core.services import two_step
from tests.cli.conftest import MSP_TUI, PASSWORD_VAR

SECOND = builder.SECOND_ADMIN


def enable(cli) -> tuple[str, str, str]:
    """Run `account 2fa enable` as a person would: read the secret it shows, type the app's code.
    Returns (secret, recovery code, everything printed)."""
    proc = subprocess.Popen([MSP_TUI, "--passwordenv", PASSWORD_VAR, "account", "2fa", "enable"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli.env())
    shown = []
    for line in proc.stdout:
        shown.append(line)
        if line.startswith("Secret:"):
            break
    secret = line.split(":", 1)[1].replace(" ", "").strip()
    out, err = proc.communicate(two_step.current_code(secret) + "\n", timeout=120)
    assert proc.returncode == 0, err
    recovery = re.search(r"Recovery code: (\S+)", out).group(1)
    return secret, recovery, "".join(shown) + out


def next_code(secret: str) -> str:
    """A code the app shows next (the enrolment's own code cannot sign in again: a code works once)."""
    return two_step.code_at(secret, two_step._step() + 1)


def test_account_2fa_enable_shows_a_qr_code_uri_and_secret_then_the_recovery_code(cli):
    secret, recovery, shown = enable(cli)
    assert f"otpauth://totp/msp-tui:{builder.DEMO_EMAIL.replace('@', '%40')}?secret={secret}" in shown
    qr = [line for line in shown.splitlines() if set(line) <= set("█▀▄ ") and line.strip()]
    assert 15 <= len(qr) <= 23 and all(len(line) == len(qr[0]) <= 45 for line in qr)  # fits 80x24
    assert re.fullmatch(r"[A-Z2-9]{5}(-[A-Z2-9]{5}){3}", recovery)
    r = cli.run("staff", "list", input="")  # a listing now needs the code too: none typed
    assert r.returncode == 3 and r.stderr.splitlines()[-1] == "error: Sign-in failed."


def test_otpenv_wrong_or_missing_code_exits_3_with_the_wrong_password_message(cli):
    secret, _, _ = enable(cli)
    wrong_password = type(cli)(cli.url, password="not the password").run("clients", "list")
    assert wrong_password.returncode == 3
    bad = "000000" if next_code(secret) != "000000" else "111111"
    answers = [
        cli.run("--otpenv", "OTP", "clients", "list", env=cli.env(OTP=bad)),       # wrong
        cli.run("--otpenv", "OTP", "clients", "list"),                             # variable not set
        cli.run("clients", "list", input=""),                                      # no code typed
    ]
    for r in answers:  # (the prompt, when there is one, stands on its own line before the answer)
        assert (r.returncode, r.stdout, r.stderr.splitlines()[-1]) == (3, "", wrong_password.stderr.strip())
    code = next_code(secret)
    ok = cli.run("--otpenv", "OTP", "clients", "list", env=cli.env(OTP=code))
    assert ok.returncode == 0, ok.stderr
    replay = cli.run("--otpenv", "OTP", "clients", "list", env=cli.env(OTP=code))
    assert (replay.returncode, replay.stderr) == (3, wrong_password.stderr)


def test_account_2fa_disable_with_the_recovery_code(cli):
    _, recovery, _ = enable(cli)
    r = cli.run("--otpenv", "OTP", "account", "2fa", "disable", env=cli.env(OTP=recovery))
    assert r.returncode == 0, r.stderr
    assert "Two-step login is off." in r.stderr
    assert cli.run("clients", "list", input="").returncode == 0  # no code asked any more


def test_account_2fa_disable_with_the_sign_in_code(cli):
    secret, _, _ = enable(cli)
    code = next_code(secret)
    r = cli.run("--otpenv", "OTP", "account", "2fa", "disable", env=cli.env(OTP=code))
    assert r.returncode == 0 and "Two-step login is off." in r.stderr, r.stderr
    assert cli.run("clients", "list", input="").returncode == 0


def test_staff_without_two_step_login_are_sent_to_enrol_when_the_provider_requires_it(cli):
    r = cli.run("staff", "require-2fa", "on")
    assert r.returncode == 0 and "now required" in r.stderr
    second = type(cli)(cli.url, email=SECOND[0], password=SECOND[2])
    refused = second.run("clients", "list")
    assert refused.returncode == 1 and "msp-tui account 2fa enable" in refused.stderr
    assert "two-step-login" in refused.stderr and refused.stdout == ""
    secret, _, _ = enable(second)
    ok = second.run("--otpenv", "OTP", "clients", "list", env=second.env(OTP=next_code(secret)))
    assert ok.returncode == 0, ok.stderr
