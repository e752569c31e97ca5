"""Break-glass access from the command line (issue 18): a scoped technician asks for a client outside
their scope, a Provider Admin grants or denies, and the access ends (early, or at its time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from msp_tui.core.demo import SCOPED_TECHS
from msp_tui.core.models import AccessGrant


def _tara(cli):
    email, _name, password, _groups = SCOPED_TECHS[0]
    return replace(cli, email=email, password=password)


def _theirs(pending: list[dict]) -> list[dict]:
    """Leave out the demo's own pending request (Tara's, number 1): the tests' requests come after it."""
    return [p for p in pending if p["number"] != 1]


def _outside(cli, tara) -> str:
    mine = {c["name"] for c in tara.json("clients", "list")}
    return next(c["name"] for c in cli.json("clients", "list") if c["name"] not in mine)


def test_break_glass_cli_request_approve_then_end_refuses_again(any_cli):
    cli = any_cli
    tara = _tara(cli)
    client = _outside(cli, tara)
    r = tara.run("members", "list", client)
    assert r.returncode == 1 and "refused by rule S12" in r.stderr
    r = tara.run("--format", "json", "access", "request", client, "--reason", "owner locked out", "--ticket",
                 "T-1234", "--for", "2h")
    assert r.returncode == 0, r.stderr
    assert "a Provider Admin approves it" in r.stderr
    number = str(__import__("json").loads(r.stdout)["number"])
    assert tara.run("members", "list", client).returncode == 1  # nothing until it is granted
    pending = _theirs(cli.json("access", "pending"))
    assert [(p["number"], p["status"], p["client"], p["ticket"]) for p in pending] == [
        (int(number), "pending", client, "T-1234")]
    granted = cli.json("access", "approve", number)
    assert granted["status"] == "granted" and granted["minutes"] == 120
    assert tara.run("members", "list", client).returncode == 0
    assert client in {c["name"] for c in tara.json("clients", "list")}
    ended = tara.json("access", "end", number)
    assert ended["status"] == "ended"
    r = tara.run("members", "list", client)
    assert r.returncode == 1 and "refused by rule S12" in r.stderr


def test_break_glass_cli_access_ends_by_itself_at_its_time(cli):
    tara = _tara(cli)
    client = _outside(cli, tara)
    number = str(tara.json("access", "request", client, "--reason", "printer", "--for", "30m")["number"])
    cli.ok("access", "approve", number)
    assert tara.run("members", "list", client).returncode == 0
    # The clock of a subprocess cannot be frozen: move the grant 31 minutes into the past instead.
    db = cli.database()
    with db.write() as s:
        g = s.execute(select(AccessGrant).where(AccessGrant.number == int(number))).scalar_one()
        g.starts_at, g.ends_at = g.starts_at - timedelta(minutes=31), g.ends_at - timedelta(minutes=31)
    db.dispose()
    r = tara.run("members", "list", client)
    assert r.returncode == 1 and "refused by rule S12" in r.stderr
    assert _theirs(cli.json("access", "pending")) == []
    assert {p["status"] for p in _theirs(cli.json("access", "pending", "--all"))} == {"expired"}


def test_break_glass_cli_deny_and_a_technician_cannot_approve(cli):
    tara = _tara(cli)
    client = _outside(cli, tara)
    number = str(tara.json("access", "request", client, "--reason", "curious")["number"])
    r = tara.run("access", "approve", number)
    assert r.returncode == 1 and "refused by rule S4" in r.stderr
    denied = cli.json("access", "deny", number, "--reason", "ask the Gold team")
    assert denied["status"] == "denied"
    r = cli.run("access", "approve", number)
    assert r.returncode == 1 and "is denied; only a pending one" in r.stderr
    r = tara.run("members", "list", client)
    assert r.returncode == 1 and "refused by rule S12" in r.stderr


def test_break_glass_cli_longer_than_the_maximum_is_refused(cli):
    tara = _tara(cli)
    client = _outside(cli, tara)
    assert cli.json("provider", "break-glass", "--max", "1h") == {"max_minutes": 60, "self_grant": "off"}
    r = tara.run("access", "request", client, "--reason", "migration", "--for", "2h")
    assert r.returncode == 2 and "at most 1h00 (the provider's maximum)" in r.stderr
    r = tara.run("access", "request", client, "--reason", "migration", "--for", "soon")
    assert r.returncode == 2 and "use a time like 2h or 90m" in r.stderr
    assert _theirs(cli.json("access", "pending", "--all")) == []
    r = cli.run("access", "request", client, "--reason", "x")
    assert r.returncode == 1 and "already in your scope" in r.stderr


def test_break_glass_cli_emergency_self_grant_until_acknowledged(cli):
    tara = _tara(cli)
    client = _outside(cli, tara)
    cli.ok("provider", "break-glass", "--self-grant", "on")
    r = tara.run("--format", "json", "access", "request", client, "--reason", "server down", "--for", "1h")
    assert r.returncode == 0 and "emergency self-grant" in r.stderr
    number = str(__import__("json").loads(r.stdout)["number"])
    assert tara.run("members", "list", client).returncode == 0
    assert any(f["kind"] == "break-glass" for f in cli.json("health"))
    assert cli.json("access", "acknowledge", number)["acknowledged"] is True
    assert not any(f["kind"] == "break-glass" for f in cli.json("health"))


def test_demo_has_a_pending_break_glass_request_only_admins_and_its_requester_see(cli):
    """A newcomer's demo shows break-glass waiting: Tara (scoped to Gold) asked for a client outside her
    scope, with a reason and a ticket; Reza (another scope) does not see it (S12)."""
    tara = _tara(cli)
    [demo] = cli.json("access", "pending")
    assert (demo["number"], demo["status"], demo["requested_by"], demo["ticket"]) == (
        1, "pending", SCOPED_TECHS[0][0], "T-4711")
    assert demo["reason"] and demo["client"] not in {c["name"] for c in tara.json("clients", "list")}
    assert [p["number"] for p in tara.json("access", "pending")] == [1]
    reza = replace(cli, email=SCOPED_TECHS[1][0], password=SCOPED_TECHS[1][2])
    assert reza.json("access", "pending") == []
