"""The event log: keyset pages at equal timestamps, ranges, scopes (S4, S8) and the hash chain (B4)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from msp_tui.core import clock, events
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.events import EventFilter, EventScope
from msp_tui.core.services import clients, staff, timeline
from tests.world import join


def test_keyset_pages_neither_skip_nor_repeat_at_equal_timestamps(db, admin):
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=400, owner_email="o@c.example")
    same = clock.now() - timedelta(minutes=5)
    clock.freeze(same)  # every event below shares one timestamp
    from msp_tui.core.services import members
    for i in range(7):
        members.invite(db, admin, "Contoso", [f"m{i}-{j}@c.example" for j in range(20)])
    clock.freeze(None)
    scope = timeline.scope_for(db, admin)
    seen, keys, cursor = [], [], None
    while True:
        page = timeline.page(db, scope, before=cursor, limit=9)
        seen += [r.id for r in page]
        keys += [r.cursor for r in page]
        if len(page) < 9:
            break
        cursor = page[-1].cursor
    with db.read() as s:
        total = s.execute(text("select count(*) from event")).scalar()
    assert len(seen) == len(set(seen)) == total
    assert keys == sorted(keys, reverse=True)  # newest first, ties broken by id


def test_range_longer_than_367_days_is_refused():
    now = datetime(2026, 1, 1)
    with pytest.raises(BadInput, match="367"):
        EventFilter(since=now - timedelta(days=368), until=now).time_range()
    since, until = EventFilter(since=now, until=now - timedelta(days=3)).time_range()
    assert since < until  # swapped values are corrected


def test_S4_service_user_sees_clients_events_but_not_the_provider_log(db, admin):
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=4, owner_email="o@c.example")
    secret = staff.invite(db, admin, ["svc@msp.example"], "service").secrets["svc@msp.example"]
    svc = join(db, "svc@msp.example", secret)
    staff.confirm(db, admin, "svc@msp.example")
    svc.provider_id = admin.provider_id
    admin_types = {r.type for r in timeline.page(db, timeline.scope_for(db, admin))}
    svc_types = {r.type for r in timeline.page(db, timeline.scope_for(db, svc))}
    assert EventType.CLIENT_CREATED in admin_types and EventType.STAFF_INVITED in admin_types
    assert EventType.MEMBER_INVITED in svc_types
    assert not svc_types & {1800, 1801, 1802, 1803, 1900, 1901, 1902, 1903}


def test_client_owner_sees_only_their_client(db, admin):
    from msp_tui.core.services import members

    a = clients.create_client(db, admin, name="A Corp", plan="teams-monthly", seats=4, owner_email="o@a.example")
    clients.create_client(db, admin, name="B Corp", plan="teams-monthly", seats=4, owner_email="o@b.example")
    owner = join(db, "o@a.example", a.owner_invite_secret)
    members.confirm(db, admin, a.id, ["o@a.example"])
    owner.provider_id = None
    with pytest.raises(Refused):
        timeline.scope_for(db, owner)
    rows = timeline.page(db, timeline.scope_for(db, owner, a.id))
    assert rows and {r.organization_id for r in rows} == {a.id}
    assert all(r.type < 1800 for r in rows)


def test_filters_by_category_actor_and_client(db, admin):
    a = clients.create_client(db, admin, name="A Corp", plan="teams-monthly", seats=4, owner_email="o@a.example")
    clients.create_client(db, admin, name="B Corp", plan="teams-monthly", seats=4, owner_email="o@b.example")
    scope = timeline.scope_for(db, admin)
    rows = timeline.page(db, scope, EventFilter(categories=("members",)))
    assert rows and all(1500 <= r.type < 1600 for r in rows)
    rows = timeline.page(db, scope, EventFilter(client_ids=(a.id,)))
    assert rows and all(r.organization_id == a.id for r in rows)
    rows = timeline.page(db, scope, EventFilter(actor_ids=(admin.account_id,), types=(1900,)))
    assert len(rows) == 2
    assert timeline.page(db, scope, EventFilter(since=clock.now() + timedelta(minutes=1))) == []


def test_S8_events_carry_the_ssh_address_and_device(db, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.7 52814 10.0.0.2 22")
    from tests.conftest import make_provider

    admin = make_provider(db)
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=4, owner_email="o@c.example")
    row = timeline.page(db, timeline.scope_for(db, admin), EventFilter(types=(1900,)))[0]
    assert row.ip_address == "198.51.100.7" and row.device == "terminal"


def test_chain_verifies_and_detects_an_edited_row(db, admin):
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=4, owner_email="o@c.example")
    with db.read() as s:
        assert events.verify_chain(s).ok
    with db.engine.begin() as c:
        c.execute(text("update event set detail = '{\"name\":\"Evil\"}' where type = 1900"))
    with db.read() as s:
        result = events.verify_chain(s)
    assert not result.ok and "altered" in result.problem
