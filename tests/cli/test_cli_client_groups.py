"""Client groups and S12 Scoped staff on the command line, on the demo (5 clients; its groups and its
two scoped technicians): create/add/remove/rename/delete, the --group filters, `staff scope`, and a
scoped technician refused (exit 1, rule S12, naming the scope) on a client outside the scope."""

from __future__ import annotations

import dataclasses
import json

from msp_tui.core.demo import SCOPED_TECHS


def _names(cli, *args) -> set[str]:
    r = cli.run(*args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return {c["name"] for c in json.loads(r.stdout)}


def test_client_groups_commands_and_group_filters(any_cli):
    cli = any_cli
    every = _names(cli, "clients", "list")
    some = sorted(every)[:2]
    assert cli.run("clients", "groups", "create", "Pilot tier", *some).returncode == 0
    assert _names(cli, "clients", "list", "--group", "pilot tier") == set(some)
    groups = {g["name"]: g["clients"] for g in json.loads(cli.run("clients", "groups", "list", "--format",
                                                                  "json").stdout)}
    assert groups["Pilot tier"] == 2
    assert cli.run("clients", "groups", "remove", "Pilot tier", some[0]).returncode == 0
    assert _names(cli, "clients", "list", "--group", "Pilot tier") == {some[1]}
    for args in (["health", "--group", "Pilot tier"], ["policies", "drift", "--group", "Pilot tier"],
                 ["events", "list", "--group", "Pilot tier"]):
        r = cli.run(*args, "--format", "json")
        assert r.returncode == 0, (args, r.stderr)
        rows = json.loads(r.stdout)
        assert all(row.get("client") in (None, some[1]) for row in rows if "client" in row), args
    assert cli.run("clients", "groups", "rename", "Pilot tier", "Pilot").returncode == 0
    assert cli.run("clients", "groups", "delete", "Pilot").returncode == 0
    r = cli.run("clients", "list", "--group", "Pilot")
    assert r.returncode == 2 and "No client group 'Pilot'" in r.stderr


def test_S12_scoped_technician_on_the_command_line(any_cli):
    email, _name, password, groups = SCOPED_TECHS[0]
    tech = dataclasses.replace(any_cli, email=email, password=password)
    mine = _names(tech, "clients", "list")
    everyone = _names(any_cli, "clients", "list")
    assert mine < everyone
    outside = sorted(everyone - mine)[0]
    r = tech.run("clients", "show", outside)
    assert r.returncode == 1
    assert "refused by rule S12" in r.stderr and f"the client group '{groups[0]}'" in r.stderr
    assert r.stdout == ""
    r = any_cli.run("staff", "scope", email, "--all")
    assert r.returncode == 0 and "now sees every client" in r.stderr
    assert _names(tech, "clients", "list") == everyone
    listed = json.loads(any_cli.run("staff", "list", "--format", "json").stdout)
    assert {s["email"]: s["scope"] for s in listed}[email] == "every client"


def test_billing_summary_group_totals_follow_the_group_and_keep_the_provider_tier(any_cli):
    cli = any_cli
    gold = _names(cli, "clients", "list", "--group", "Gold")
    every = cli.json("billing", "summary")
    part = cli.json("billing", "summary", "--group", "gold")
    rows = cli.json("billing", "summary", "--clients", "--group", "Gold")
    assert {r["client"] for r in rows} == gold and part["clients"] == len(gold) < every["clients"]
    assert float(part["monthly_total"]) == round(sum(float(r["monthly"]) for r in rows), 2)
    assert part["discount_percent"] == every["discount_percent"]
    assert part["cumulative_seats"] == every["cumulative_seats"]
    r = cli.run("billing", "summary", "--group", "Nope")
    assert r.returncode == 2 and "No client group 'Nope'" in r.stderr


def test_clients_create_with_a_new_client_group(any_cli):
    cli = any_cli
    made = cli.json("clients", "create", "--name", "Litware", "--plan", "teams-monthly", "--seats", "5",
                    "--owner", "it@litware.example", "--group", "Gold", "--new-group", "West region")
    assert made["groups"] == ["Gold", "West region"]
    assert _names(cli, "clients", "list", "--group", "West region") == {"Litware"}
