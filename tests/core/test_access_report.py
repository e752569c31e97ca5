"""The client's access report (issue 18): every provider staff action on one client in the period,
grouped by person with totals and scope, the log's verification status; HTML escaped and
self-contained, CSV safe in a spreadsheet, files created 0600."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import timedelta

import pytest
from sqlalchemy import update

from msp_tui.core import clock
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.models import Event
from msp_tui.core.services import access_report, accounts, clients, collections, members, staff, vault
from tests.conftest import PASSWORD
from tests.world import join


def setup(db, admin):
    """Contoso with an item; a Service User opens the vault, views and reveals; the admin invites a
    member; the client's own Owner works in the vault too (not provider staff: not in the report)."""
    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                                owner_email="owner@contoso.example")
    owner = join(db, "owner@contoso.example", org.owner_invite_secret)
    members.confirm(db, admin, org.id, ["owner@contoso.example"])
    coll = collections.create_collection(db, admin, org.id, "Servers")
    item = vault.create_item(db, admin, type="login", name="Router", fields={"username": "admin",
                                                                             "password": "s3cret"},
                             client=org.id, collection_ids=[coll.id])
    secret = staff.invite(db, admin, ["sam@msp.example"], "service").secrets["sam@msp.example"]
    sam = join(db, "sam@msp.example", secret)
    staff.confirm(db, admin, "sam@msp.example")
    sam = accounts.sign_in(db, "sam@msp.example", PASSWORD)
    vault.open_vault(db, sam, org.id)
    vault.view_item(db, sam, item.id, client=org.id)
    vault.reveal(db, sam, item.id, client=org.id)
    vault.reveal(db, sam, item.id, client=org.id, copy=True)
    members.invite(db, admin, org.id, ["new@contoso.example"])
    owner = accounts.sign_in(db, "owner@contoso.example", PASSWORD)
    vault.view_item(db, owner, item.id, client=org.id)
    return org, item


def test_access_report_groups_staff_actions_by_person_with_totals(db, admin):
    org, item = setup(db, admin)
    r = access_report.build(db, admin, "Contoso", clock.now() - timedelta(days=1), clock.now() + timedelta(minutes=1))
    by = {p.email: p for p in r.people}
    assert "owner@contoso.example" not in by  # the client's own people are not provider staff
    sam = by["sam@msp.example"]
    assert (sam.totals["vault opened"], sam.totals["items viewed"], sam.totals["passwords revealed"],
            sam.totals["passwords copied"]) == (1, 1, 1, 1)
    assert sam.role == "Service User" and sam.scope == "every client"
    assert by["ada@msp.example"].totals["member changes"] >= 1
    assert any(str(item.id) in line.what for line in sam.lines)
    assert r.totals["vault opened"] == sum(p.totals["vault opened"] for p in r.people) >= 1
    assert r.verification.ok and "Verified" in r.verification.text


def org_id(db, admin):
    return clients.get_client(db, admin, "Contoso").id


def test_access_report_only_the_period_and_only_people_who_may_read_the_client_log(db, admin):
    setup(db, admin)
    later = clock.now() + timedelta(days=2)
    r = access_report.build(db, admin, "Contoso", later, later + timedelta(days=1))
    assert r.people == []
    with pytest.raises(BadInput, match="before"):
        access_report.build(db, admin, "Contoso", later, later - timedelta(days=1))
    sam = accounts.sign_in(db, "sam@msp.example", PASSWORD)
    sam.provider_id = admin.provider_id
    assert access_report.build(db, sam, "Contoso", later - timedelta(days=3)).people  # staff may
    owner = accounts.sign_in(db, "owner@contoso.example", PASSWORD)  # the client's Owner may too
    assert access_report.build(db, owner, org_id(db, admin), later - timedelta(days=3)).people


def test_access_report_html_is_self_contained_escaped_and_created_0600(db, admin, tmp_path):
    org, _ = setup(db, admin)
    clients.rename(db, admin, org.id, "<script>alert(1)</script>")
    r = access_report.build(db, admin, org.id, clock.now() - timedelta(days=1), clock.now() + timedelta(minutes=1))
    path = tmp_path / "report.html"
    path.write_text("old")
    os.chmod(path, 0o644)
    assert access_report.write(r, str(path)) == "html"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    for outside in ("http://", "https://", "//cdn", "<link", "<img", "@import", "url("):
        assert outside not in text, outside
    assert "default-src 'none'" in text and "@media print" in text


def test_access_report_csv_cells_never_start_a_formula(db, admin, tmp_path):
    org, _ = setup(db, admin)
    clients.rename(db, admin, org.id, "=HYPERLINK(1)")
    r = access_report.build(db, admin, org.id, clock.now() - timedelta(days=1), clock.now() + timedelta(minutes=1))
    path = tmp_path / "report.csv"
    assert access_report.write(r, str(path)) == "csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[1] == access_report.CSV_COLUMNS
    assert all(not cell.startswith(("=", "+", "@")) for row in rows[2:] for cell in row)
    with pytest.raises(BadInput, match="name it .html or .csv"):
        access_report.write(r, str(tmp_path / "report.txt"))


def test_access_report_says_the_log_is_broken_when_an_event_was_edited(db, admin):
    setup(db, admin)
    with db.write() as s:
        s.execute(update(Event).where(Event.id == 3).values(detail='{"name":"forged"}'))
    r = access_report.build(db, admin, "Contoso", clock.now() - timedelta(days=1), clock.now() + timedelta(minutes=1))
    assert not r.verification.ok and "BROKEN" in r.verification.text
    assert 'class="status bad"' in access_report.to_html(r)


def test_access_report_refused_for_a_client_member_without_the_log(db, admin):
    org, _ = setup(db, admin)
    secret = members.invite(db, admin, org.id, ["plain@contoso.example"], "user").secrets["plain@contoso.example"]
    join(db, "plain@contoso.example", secret)
    members.confirm(db, admin, org.id, ["plain@contoso.example"])
    plain = accounts.sign_in(db, "plain@contoso.example", PASSWORD)
    with pytest.raises(Refused):
        access_report.build(db, plain, org.id, clock.now() - timedelta(days=1))


def test_access_report_names_the_scope_each_person_acts_under(db, admin):
    from msp_tui.core.services import client_groups

    org, _ = setup(db, admin)
    client_groups.create_client_group(db, admin, "Gold", clients=[org.id])
    client_groups.set_staff_scope(db, admin, "sam@msp.example", ["Gold"])
    r = access_report.build(db, admin, org.id, clock.now() - timedelta(days=1), clock.now() + timedelta(minutes=1))
    scopes = {p.email: p.scope for p in r.people}
    assert scopes["sam@msp.example"] == "the client group 'Gold'"
    assert scopes["ada@msp.example"] == "every client"
    assert "the client group &#x27;Gold&#x27;" in access_report.to_html(r)
