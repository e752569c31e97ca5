"""The timeline across all clients (B3): who sees what (S4), S3 for personal items, follow, export."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from msp_tui.core import clock, events, export
from msp_tui.core.context import Actor
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.events import EventFilter
from msp_tui.core.models import Event, EventChainHead
from msp_tui.core.services import accounts, clients, members, staff, timeline
from tests.conftest import PASSWORD


def _client(db, admin, name="Contoso", seats=10, owner=None):
    return clients.create_client(db, admin, name=name, plan="enterprise-monthly", seats=seats,
                                 owner_email=owner or f"owner@{name.lower()}.example")


def _service_user(db, admin):
    secret = staff.invite(db, admin, ["sam@msp.example"], "service").secrets["sam@msp.example"]
    accounts.accept_invitations(db, email="sam@msp.example", secret=secret, password=PASSWORD, name="Sam Service")
    staff.confirm(db, admin, "sam@msp.example")
    return accounts.sign_in(db, "sam@msp.example", PASSWORD)


def test_S4_service_user_sees_clients_but_not_provider_log(db, admin):
    c = _client(db, admin)
    sam = _service_user(db, admin)
    admin_rows = timeline.page(db, timeline.scope_for(db, admin), limit=500)
    sam_rows = timeline.page(db, timeline.scope_for(db, sam), limit=500)
    assert any(r.type == EventType.STAFF_INVITED for r in admin_rows)
    assert any(r.type == EventType.CLIENT_CREATED for r in admin_rows)
    assert all(not (1800 <= r.type < 2000) for r in sam_rows)
    assert any(r.type == EventType.MEMBER_INVITED and r.organization_id == c.id for r in sam_rows)


def test_S4_client_owner_sees_only_their_client(db, admin):
    a = _client(db, admin, "Alpha")
    _client(db, admin, "Beta")
    owner, _ = accounts.accept_invitations(db, email="owner@alpha.example", secret=a.owner_invite_secret,
                                           password=PASSWORD, name="Olga")
    members.confirm(db, admin, a.id, ["owner@alpha.example"])
    with pytest.raises(Refused):
        timeline.scope_for(db, owner)
    scope = timeline.scope_for(db, owner, a.id)
    rows = timeline.page(db, scope, limit=500)
    assert rows and {r.organization_id for r in rows} == {a.id}
    assert all(not (1800 <= r.type < 2000) for r in rows)
    # A filter naming one client gives the owner that client's scope.
    assert timeline.scope_for_filter(db, owner, EventFilter(client_ids=(a.id,))) == scope


def _raw_personal_event(db, provider_id, item_id, account_id):
    """An event written around record() (as a bulk import might): S3 must still hold on read."""
    with db.write() as s:
        head = s.get(EventChainHead, 1)
        values = dict(id=head.last_event_id + 1, type=int(EventType.ITEM_UPDATED), date=clock.now(),
                      provider_id=provider_id, provider_log=False, organization_id=None,
                      acting_account_id=account_id, account_id=None, provider_user_id=None,
                      provider_organization_id=None, organization_user_id=None, group_id=None,
                      collection_id=None, item_id=item_id, policy_id=None, device="browser",
                      ip_address=None, system_user=None, detail=json.dumps({"name": "My secret bank"}))
        digest = events.chain_hash(head.last_hash, values)
        s.execute(insert(Event), [dict(values, prev_hash=head.last_hash, hash=digest, signature=None)])
        head.last_event_id, head.last_hash, head.count = values["id"], digest, head.count + 1


def test_S3_personal_item_event_never_shows_name_or_id_to_staff(db, admin):
    c = _client(db, admin)
    item_id = uuid.uuid4()
    person = Actor(account_id=admin.account_id, email=admin.email, name=admin.name, provider_id=None)
    with db.write() as s:  # recorded through core: a personal item (no organization)
        ev = events.record(s, person, EventType.ITEM_CLIENT_VIEWED, provider_id=admin.provider_id,
                           item_id=item_id, detail={"name": "My secret bank"})
        ev_id = ev.id
    with db.read() as s:
        stored = s.get(Event, ev_id)
        assert stored.detail is None and stored.provider_id is None and stored.organization_id is None
    _raw_personal_event(db, admin.provider_id, item_id, admin.account_id)
    scope = timeline.scope_for(db, admin)
    rows = timeline.page(db, scope, limit=500)
    personal = [r for r in rows if 1100 <= r.type < 1200 and r.organization_id is None]
    assert personal, "the bypassing row is in the provider's scope, so it must be shown redacted"
    for r in rows:
        assert r.item_id != item_id
        assert "My secret bank" not in json.dumps(r.detail)
    out = io.StringIO()
    timeline.export(db, scope, EventFilter(), out, "jsonl")
    assert str(item_id) not in out.getvalue() and "My secret bank" not in out.getvalue()
    # The client's own events are untouched.
    assert any(r.organization_id == c.id for r in rows)


def test_filters_by_client_actor_category_and_time(db, admin):
    a = _client(db, admin, "Alpha")
    b = _client(db, admin, "Beta")
    members.invite(db, admin, b.id, ["x@beta.example"])
    scope = timeline.scope_for(db, admin)
    only_a = timeline.page(db, scope, EventFilter(client_ids=(a.id,)), limit=500)
    assert only_a and {r.organization_id for r in only_a} == {a.id}
    numbers, cats = timeline.parse_types("members, 1900")
    assert numbers == (1900,) and cats == ("members",)
    mixed = timeline.page(db, scope, EventFilter(types=numbers, categories=cats), limit=500)
    assert {r.type for r in mixed} <= set(range(1500, 1600)) | {1900} and 1900 in {r.type for r in mixed}
    by_actor = timeline.page(db, scope, EventFilter(actor_ids=timeline.find_account_ids(db, admin, admin.email)))
    assert by_actor and all(r.acting_account_id == admin.account_id for r in by_actor)
    vault = timeline.page(db, scope, EventFilter(categories=("vault-access",)))
    assert vault == []
    future = timeline.page(db, scope, timeline.with_preset(EventFilter(), "1h"))
    assert len(future) == len(timeline.page(db, scope, limit=500))
    clock.freeze(clock.now() + timedelta(hours=2))
    assert timeline.page(db, scope, timeline.with_preset(EventFilter(), "1h")) == []
    with pytest.raises(BadInput):
        timeline.parse_types("bogus")
    with pytest.raises(BadInput):
        timeline.find_account_ids(db, admin, "nobody@x.example")


def test_keyset_pages_do_not_overlap_and_newer_finds_arrivals(db, admin):
    c = _client(db, admin, seats=40)
    members.invite(db, admin, c.id, [f"m{i}@c.example" for i in range(20)])
    scope = timeline.scope_for(db, admin)
    first = timeline.page(db, scope, limit=10)
    second = timeline.page(db, scope, before=first[-1].cursor, limit=10)
    assert len(first) == 10 and second
    assert not {r.id for r in first} & {r.id for r in second}
    assert first[-1].cursor > second[0].cursor
    top = timeline.page(db, scope, limit=50)
    fresh, complete = timeline.newer(db, scope, EventFilter(), top[0].cursor, [r.id for r in top])
    assert fresh == [] and complete
    members.invite(db, admin, c.id, ["late@c.example"])
    fresh, complete = timeline.newer(db, scope, EventFilter(), top[0].cursor, [r.id for r in top])
    assert [r.detail.get("email") for r in fresh] == ["late@c.example"] and complete


def test_export_csv_neutralises_formulas(db, admin):
    _client(db, admin, name="=HYPERLINK(1)", owner="o@formula.example")
    scope = timeline.scope_for(db, admin)
    out = io.StringIO()
    n = timeline.export(db, scope, EventFilter(), out, "csv")
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == export.CSV_COLUMNS and len(rows) == n + 1
    client_cells = [r[export.CSV_COLUMNS.index("client")] for r in rows[1:]]
    assert "'=HYPERLINK(1)" in client_cells and "=HYPERLINK(1)" not in client_cells
    with pytest.raises(BadInput):
        timeline.export(db, scope, EventFilter(), io.StringIO(), "xml")


def test_subject_of_event_points_at_member_staff_or_client(db, admin):
    c = _client(db, admin)
    rows = timeline.page(db, timeline.scope_for(db, admin), limit=500)
    kinds = {r.type: timeline.subject_of(r) for r in rows}
    assert kinds[EventType.MEMBER_INVITED].kind == "member"
    assert kinds[EventType.MEMBER_INVITED].organization_id == c.id
    assert kinds[EventType.STAFF_INVITED].kind == "staff"
    assert kinds[EventType.COLLECTION_CREATED].kind == "collection"  # Enter opens the collection itself


def test_time_fields_accept_iso_or_spans_and_refuse_nonsense():
    clock.freeze(datetime(2026, 11, 25, 12, 0))
    assert timeline.parse_time("2026-11-24 08:00") == datetime(2026, 11, 24, 8, 0)
    assert timeline.parse_time("2026-11-24T08:00+01:00") == datetime(2026, 11, 24, 7, 0)
    assert timeline.parse_time("2d") == datetime(2026, 11, 23, 12, 0)
    assert timeline.parse_time("") is None
    with pytest.raises(BadInput):
        timeline.parse_time("yesterday-ish")
    flt = timeline.with_preset(EventFilter(), "7d")
    assert flt.since == datetime(2026, 11, 18, 12, 0) and flt.until is None
    with pytest.raises(BadInput):
        timeline.with_preset(EventFilter(), "2w")
    with pytest.raises(BadInput):
        EventFilter(since=datetime(2020, 1, 1)).time_range()


def test_type_filtered_pages_read_per_type_and_match_the_single_query(db, admin):
    """The per-type reading of a provider's timeline returns exactly what one query would: pages
    down (`before`), pages up and follow mode (`after`), for Provider Admins and Service Users."""
    c = _client(db, admin, seats=60)
    d = _client(db, admin, name="Fabrikam", seats=20)
    for i in range(5):
        members.invite(db, admin, c.id, [f"p{i}-{j}@c.example" for j in range(8)])
        members.revoke(db, admin, c.id, [f"p{i}-0@c.example"])
        members.invite(db, admin, d.id, [f"q{i}@d.example"])
    sam = _service_user(db, admin)
    for who in (admin, sam):
        scope = timeline.scope_for(db, who)
        for flt in (EventFilter(categories=("members",)), EventFilter(types=(1511, 1900)),
                    EventFilter(categories=("staff", "clients")), EventFilter(types=(1803,)),
                    EventFilter(categories=("members", "vault-access", "organization")),
                    EventFilter(categories=("members",), client_ids=(c.id,)),
                    EventFilter(categories=("members",), client_ids=(c.id, d.id)),
                    EventFilter(categories=("members",), actor_ids=(admin.account_id,)),
                    EventFilter(categories=("members",), client_ids=(c.id, d.id),
                                actor_ids=(admin.account_id,))):
            cursor, seen = None, []
            while True:
                got = timeline.page(db, scope, flt, before=cursor, limit=7)
                with db.read() as s:
                    want = events.query_page(s, scope, flt, before=cursor, limit=7)
                assert [r.id for r in got] == [r.id for r in want], flt
                seen += got
                if len(got) < 7:
                    break
                cursor = got[-1].cursor
            assert len({r.id for r in seen}) == len(seen)
            for row in seen[::5]:
                got = timeline.page(db, scope, flt, after=row.cursor, limit=4)
                with db.read() as s:
                    want = events.query_page(s, scope, flt, after=row.cursor, limit=4)
                assert [r.id for r in got] == [r.id for r in want], flt
                fresh, complete = timeline.newer(db, scope, flt, row.cursor, [r.id for r in seen])
                assert fresh == [] and complete
