"""`msp-tui clients …` against the database it changes."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from msp_tui.core.enums import EventType
from msp_tui.core.models import Client, Event, Organization

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_list_json_matches_the_database(any_cli):
    rows = any_cli.json("clients", "list")
    db = any_cli.database()
    with db.read() as s:
        orgs = {str(o.id): o for o in s.execute(select(Organization).join(
            Client, Client.organization_id == Organization.id)).scalars()}
    db.dispose()
    assert {r["id"] for r in rows} == set(orgs) and len(rows) == 5
    for r in rows:
        o = orgs[r["id"]]
        assert (r["name"], r["seats"], r["used"], r["remaining"]) == (o.name, o.seats, o.occupied_seats,
                                                                      o.seats_remaining)
        assert r["internal"] is o.is_internal and r["billing_email"] == o.billing_email
        assert isinstance(r["id"], str) and ISO.match(r["created_at"])
    assert [r["name"] for r in rows] == sorted((r["name"] for r in rows), key=str.lower)


def test_create_rename_seats_show(cli):
    created = cli.json("clients", "create", "--name", "Contoso", "--plan", "teams-monthly", "--seats", "5",
                       "--owner", "it@contoso.example")
    assert created["name"] == "Contoso" and created["plan"] == "Teams (Monthly)" and created["used"] == 1
    cli.ok("clients", "rename", "Contoso", "Contoso Ltd")
    shown = cli.json("clients", "seats", "Contoso Ltd", "9")
    assert shown["id"] == created["id"] and shown["seats"] == 9 and shown["name"] == "Contoso Ltd"
    db = cli.database()
    with db.read() as s:
        org = s.get(Organization, __import__("uuid").UUID(created["id"]))
        assert (org.name, org.seats) == ("Contoso Ltd", 9)
        assert s.execute(select(func.count()).where(Event.organization_id == org.id,
                                                    Event.type == EventType.CLIENT_CREATED)).scalar() == 1
    db.dispose()


def test_seats_below_used_is_refused(cli):
    c = cli.json("clients", "list")[0]
    r = cli.run("clients", "seats", c["id"], str(max(c["used"] - 1, 1)))
    assert r.returncode == 1 and "seats" in r.stderr
    assert cli.json("clients", "show", c["id"])["seats"] == c["seats"]


def test_csv_listing(cli):
    text = cli.ok("clients", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5 and rows[0].keys() >= {"id", "name", "plan", "seats", "used", "remaining"}


def test_a_formula_in_a_client_name_is_neutralised_in_csv(cli):
    cli.ok("clients", "create", "--name", "=HYPERLINK(\"http://x\")", "--plan", "teams-monthly",
           "--seats", "2", "--owner", "o@evil.example")
    rows = list(csv.DictReader(io.StringIO(cli.ok("clients", "list", "--format", "csv"))))
    names = [r["name"] for r in rows]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
