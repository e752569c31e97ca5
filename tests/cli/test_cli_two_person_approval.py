"""`msp-tui provider approvals` and `msp-tui approvals …`: a guarded command becomes a pending request
(exit 0, its number), a second Provider Admin approves or denies, the requester withdraws."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import select

from msp_tui.core.demo import SECOND_ADMIN
from msp_tui.core.enums import EventType
from msp_tui.core.models import Event


def _create(cli, name, seats=10):
    return cli.json("clients", "create", "--name", name, "--plan", "teams-monthly", "--seats", str(seats),
                    "--owner", f"it@{name.lower()}.example")


def test_two_person_approval_cli_request_then_a_second_admin_approves(any_cli):
    cli = any_cli
    grace = replace(cli, email=SECOND_ADMIN[0], password=SECOND_ADMIN[2])
    _create(cli, "Tailspin", seats=10)
    shown = cli.json("provider", "approvals", "lower-seats", "unlink-client")
    assert shown["two_person_approval"] == "on" and shown["actions"] == "unlink-client, lower-seats"
    r = cli.run("clients", "seats", "Tailspin", "6")
    assert r.returncode == 1 and "refused by rule two-person" in r.stderr and "--reason" in r.stderr
    r = cli.run("--format", "json", "clients", "seats", "Tailspin", "6", "--reason", "the client has 6 people now")
    assert r.returncode == 0, r.stderr
    req = json.loads(r.stdout)
    assert req["status"] == "pending" and req["summary"] == "lower Tailspin's seats from 10 to 6"
    assert f"pending request {req['number']}" in r.stderr
    assert cli.json("clients", "show", "Tailspin")["seats"] == 10  # nothing yet
    assert cli.json("clients", "seats", "Tailspin", "12")["seats"] == 12  # raising is not guarded
    r = cli.run("approvals", "approve", str(req["number"]))
    assert r.returncode == 1 and "you asked for this yourself" in r.stderr
    listed = [x for x in grace.json("approvals", "list") if x["number"] != 1]  # 1: the demo's own request
    assert [x["number"] for x in listed] == [req["number"]] and listed[0]["requested_by"] == cli.email
    done = grace.json("approvals", "approve", str(req["number"]))
    assert done["status"] == "approved" and done["decided_by"] == SECOND_ADMIN[0]
    assert cli.json("clients", "show", "Tailspin")["seats"] == 6
    db = cli.database()
    with db.read() as s:
        last = s.execute(select(Event).where(Event.type == int(EventType.ORGANIZATION_UPDATED))
                         .order_by(Event.id.desc()).limit(1)).scalar_one()
    db.dispose()
    assert json.loads(last.detail)["approval"]["requested_by"] == cli.email
    assert json.loads(last.detail)["approval"]["approved_by"] == SECOND_ADMIN[0]


def test_two_person_approval_cli_deny_and_withdraw_change_nothing(cli):
    grace = replace(cli, email=SECOND_ADMIN[0], password=SECOND_ADMIN[2])
    _create(cli, "Tailspin", seats=10)
    cli.ok("provider", "approvals", "all")
    first = cli.json("clients", "seats", "Tailspin", "4", "--reason", "fewer people")
    second = cli.json("staff", "role", "sam@northwind.example", "admin", "--reason", "team lead")
    third = cli.json("clients", "rotate-key", "Tailspin", "--reason", "a technician left")
    assert grace.json("approvals", "deny", str(first["number"]), "--reason", "not yet")["status"] == "denied"
    assert cli.json("approvals", "withdraw", str(second["number"]))["status"] == "withdrawn"
    assert [x["number"] for x in grace.json("approvals", "list") if x["number"] != 1] == [third["number"]]
    everything = {x["number"]: x["status"] for x in cli.json("approvals", "list", "--all") if x["number"] != 1}
    assert everything == {first["number"]: "denied", second["number"]: "withdrawn", third["number"]: "pending"}
    assert cli.json("clients", "show", "Tailspin")["seats"] == 10
    roles = {x["email"]: x["role"] for x in cli.json("staff", "list")}
    assert roles["sam@northwind.example"] == "Service User"
    # Narrowing the setting is itself a request now.
    r = cli.run("provider", "approvals", "none")
    assert r.returncode == 1 and "two-person" in r.stderr
    off = cli.json("provider", "approvals", "none", "--reason", "audit finished")
    assert off["status"] == "pending" and off["summary"] == "set two-person approval to off"
    grace.ok("approvals", "approve", str(off["number"]))
    assert cli.json("provider", "approvals")["two_person_approval"] == "off"


def test_two_person_approval_cli_refused_with_one_admin(tmp_path, sqlite_template):
    import shutil

    from tests.cli.conftest import Cli
    from tests.conftest import PASSWORD, make_provider
    from msp_tui.core.db import Database

    path = tmp_path / "one.db"
    shutil.copy(sqlite_template, path)
    db = Database(path)
    make_provider(db)
    db.dispose()
    cli = Cli(str(path), email="ada@msp.example", password=PASSWORD)
    r = cli.run("provider", "approvals", "unlink-client")
    assert r.returncode == 1 and "second confirmed Provider Admin" in r.stderr
    r = cli.run("provider", "approvals")
    assert r.returncode == 0 and "cannot be turned on until a second Provider Admin" in r.stderr
