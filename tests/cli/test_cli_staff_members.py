"""`msp-tui staff …` and `msp-tui members …` (with groups and collections) against the database."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from msp_tui.core.enums import MemberStatus, StaffStatus
from msp_tui.core.models import Collection, CollectionGroup, Group, GroupMember, Member, Staff


def test_staff_list_json_matches_the_database(any_cli):
    rows = any_cli.json("staff", "list")
    db = any_cli.database()
    with db.read() as s:
        staff = {str(st.id): st for st in s.execute(select(Staff)).scalars()}
    db.dispose()
    assert {r["id"] for r in rows} == set(staff)
    for r in rows:
        assert r["email"] == staff[r["id"]].email
        assert r["status"] == StaffStatus(staff[r["id"]].status).label


def test_staff_invite_then_bulk_confirm(cli):
    rows = cli.json("staff", "invite", "new1@northwind.example", "ada@northwind.example", "--role", "service")
    assert {r["email"]: r["result"] for r in rows} == {"new1@northwind.example": "invited",
                                                      "ada@northwind.example": "skipped"}
    waiting = [r["email"] for r in cli.json("staff", "list") if r["status"] == "Accepted"]
    assert waiting, "the demo has staff who accepted but are not confirmed"
    confirmed = cli.json("staff", "confirm", "--all", "--skip-fingerprint-check")
    assert sorted(r["email"] for r in confirmed) == sorted(waiting)
    db = cli.database()
    with db.read() as s:
        for email in waiting:
            assert s.execute(select(Staff.status).where(Staff.email == email)).scalar() == StaffStatus.CONFIRMED
    db.dispose()


def test_staff_bulk_confirm_goes_on_past_a_refusal_and_exits_1(cli):
    waiting = [r["email"] for r in cli.json("staff", "list") if r["status"] == "Accepted"]
    r = cli.run("--format", "json", "staff", "confirm", "--skip-fingerprint-check", "new2@northwind.example",
                *waiting)
    assert r.returncode == 2  # the first name is no staff member at all
    r = cli.run("staff", "invite", "new3@northwind.example", "--role", "service")
    assert r.returncode == 0
    r = cli.run("--format", "json", "staff", "confirm", "--skip-fingerprint-check", "new3@northwind.example")
    assert r.returncode == 1 and "S1" in r.stderr  # invited, not accepted
    assert [x["status"] for x in cli.json("staff", "list") if x["email"] in waiting] == ["Confirmed"] * len(waiting)


def test_members_list_json_matches_the_database(any_cli):
    client = any_cli.json("clients", "list")[0]
    rows = any_cli.json("members", "list", client["id"])
    db = any_cli.database()
    with db.read() as s:
        members = {str(m.id): m for m in s.execute(
            select(Member).where(Member.organization_id == uuid.UUID(client["id"]))).scalars()}
    db.dispose()
    assert {r["id"] for r in rows} == set(members)
    for r in rows:
        m = members[r["id"]]
        assert r["email"] == m.email and r["status"] == MemberStatus(m.status).label


def test_members_invite_past_the_seats_is_refused(cli):
    client = cli.json("clients", "list")[0]
    emails = [f"extra{i}@client.example" for i in range(client["remaining"] + 1)][:20]
    if len(emails) <= client["remaining"]:
        cli.ok("clients", "seats", client["id"], str(client["used"] + 1))
        emails = ["extra-a@client.example", "extra-b@client.example"]
    r = cli.run("members", "invite", client["id"], *emails)
    assert r.returncode == 1 and "seats" in r.stderr
    assert not any(m["email"] in emails for m in cli.json("members", "list", client["id"]))


def test_members_invite_revoke_restore(cli):
    client = cli.json("clients", "create", "--name", "Tiny", "--plan", "enterprise-monthly", "--seats", "4",
                      "--owner", "owner@tiny.example")
    rows = cli.json("members", "invite", "Tiny", "a@tiny.example", "--role", "user")
    assert [{k: v for k, v in r.items() if k != "secret"} for r in rows] == [
        {"email": "a@tiny.example", "result": "invited"}]
    assert len(rows[0]["secret"].replace("-", "")) >= 20  # the one-time secret, shown once
    revoked = cli.json("members", "revoke", "Tiny", "a@tiny.example")
    assert revoked[0]["status"] == "Revoked"
    assert cli.json("members", "restore", "Tiny", "a@tiny.example")[0]["status"] == "Invited"
    cli.ok("members", "remove", "Tiny", "a@tiny.example")
    assert [m["email"] for m in cli.json("members", "list", client["id"])] == ["owner@tiny.example"]
    r = cli.run("members", "invite", "Tiny", "not-an-email")
    assert r.returncode == 2


def test_groups_and_collections(cli):
    client = cli.json("clients", "list")[0]["id"]
    member = [m for m in cli.json("members", "list", client) if m["status"] == "Confirmed"][0]
    group = cli.json("members", "groups", "create", client, "Finance")
    assert group["name"] == "Finance" and group["members"] == 0
    cli.json("members", "set-groups", client, member["email"], "Finance")
    assert {g["name"]: g["members"] for g in cli.json("members", "groups", "list", client)}["Finance"] == 1
    coll = cli.json("members", "collections", "create", client, "Payroll")
    cli.ok("members", "collections", "grant", client, "Payroll", "--group", "Finance", "--access", "can-view")
    cli.ok("members", "collections", "grant", client, "Payroll", "--member", member["email"],
           "--access", "can-manage")
    listed = {c["name"]: c for c in cli.json("members", "collections", "list", client)}["Payroll"]
    assert listed["groups"] == [{"group": "Finance", "access": "Can view"}]
    assert listed["members"] == [{"email": member["email"], "access": "Can manage"}]
    db = cli.database()
    with db.read() as s:
        g = s.execute(select(Group).where(Group.id == uuid.UUID(group["id"]))).scalar_one()
        assert s.execute(select(GroupMember.member_id).where(GroupMember.group_id == g.id)).scalar() \
            == uuid.UUID(member["id"])
        assert s.get(Collection, uuid.UUID(coll["id"])) is not None
        assert s.execute(select(CollectionGroup.access).where(CollectionGroup.group_id == g.id)).scalar() == 0
    db.dispose()
    cli.ok("members", "groups", "delete", client, "Finance")
    assert "Finance" not in [g["name"] for g in cli.json("members", "groups", "list", client)]
    r = cli.run("members", "collections", "grant", client, "Payroll", "--group", "Nope", "--access", "can-view")
    assert r.returncode == 2
