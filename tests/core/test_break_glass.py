"""Break-glass access (issue 18): a scoped Service User asks for a client outside their scope; a
Provider Admin grants it; it ends at its time by itself (a fixed clock); the holder ends it early;
the emergency self-grant (off by default) grants at once and stays until acknowledged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from msp_tui.core import clock
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.models import Event
from msp_tui.core.services import break_glass as bg
from msp_tui.core.services import clients
from tests.core.test_client_groups_scope import shop  # noqa: F401  (fixture)


def _types(db):
    with db.read() as s:
        return [(e.type, json.loads(e.detail or "{}")) for e in
                s.execute(select(Event).where(Event.type >= 2020, Event.type < 2040).order_by(Event.id)).scalars()]


def test_break_glass_granted_access_ends_by_itself_and_the_first_action_after_is_refused(db, shop):  # noqa: F811
    admin, tech, tailspin = shop["admin"], shop["tech"], shop["ids"]["Tailspin"]
    clock.freeze(clock.now())
    with pytest.raises(Refused) as before:
        clients.get_client(db, tech, tailspin)
    assert before.value.rule == "S12"
    req = bg.request(db, tech, "Tailspin", "their firewall is down", ticket="INC-42", minutes="2h")
    assert req.status == bg.Status.PENDING and req.minutes == 120
    with pytest.raises(Refused):  # asked is not granted
        clients.get_client(db, tech, tailspin)
    with pytest.raises(Refused, match="Only Provider Admins"):
        bg.approve(db, tech, req.number)
    granted = bg.approve(db, admin, req.number)
    assert granted.live and granted.ends_at == clock.now() + timedelta(hours=2)
    assert clients.get_client(db, tech, tailspin).name == "Tailspin"
    assert "Tailspin" in [c.name for c in clients.list_clients(db, tech).rows]
    clock.freeze(clock.now() + timedelta(hours=2))  # its time is up: the very next action is refused
    with pytest.raises(Refused) as after:
        clients.get_client(db, tech, tailspin)
    assert after.value.rule == "S12"
    assert "Tailspin" not in [c.name for c in clients.list_clients(db, tech).rows]
    bg.request(db, tech, "Tailspin", "again", minutes="30m")
    kinds = [t for t, _ in _types(db)]  # the refused read after its time recorded the expiry, once
    assert kinds[:4] == [EventType.BREAK_GLASS_REQUESTED, EventType.BREAK_GLASS_GRANTED, EventType.BREAK_GLASS_USED,
                         EventType.BREAK_GLASS_EXPIRED]
    assert kinds.count(EventType.BREAK_GLASS_EXPIRED) == 1
    assert _types(db)[0][1]["ticket"] == "INC-42"


def test_break_glass_end_early_deny_and_limits(db, shop):  # noqa: F811
    admin, tech, everyone = shop["admin"], shop["tech"], shop["all"]
    with pytest.raises(BadInput, match="at most 4h00"):
        bg.request(db, tech, "Tailspin", "long job", minutes="5h")
    with pytest.raises(BadInput, match="reason"):
        bg.request(db, tech, "Tailspin", " ")
    with pytest.raises(Refused, match="already in your scope"):
        bg.request(db, tech, "Contoso", "mine anyway")
    first = bg.request(db, tech, "Tailspin", "printer")
    assert bg.deny(db, admin, first.number).status == bg.Status.DENIED
    second = bg.request(db, tech, "Tailspin", "printer again", minutes=60)
    bg.approve(db, admin, second.number)
    with pytest.raises(Refused, match="Only its holder or a Provider Admin"):
        bg.end(db, everyone, second.number)
    assert bg.end(db, tech, second.number).status == bg.Status.ENDED
    with pytest.raises(Refused):
        clients.get_client(db, tech, shop["ids"]["Tailspin"])
    assert [v.number for v in bg.list_grants(db, admin)] == []
    assert {v.number: v.status for v in bg.list_grants(db, admin, everything=True)} == {
        first.number: bg.Status.DENIED, second.number: bg.Status.ENDED}


def test_break_glass_emergency_self_grant_is_off_by_default_and_loud_until_acknowledged(db, shop):  # noqa: F811
    admin, tech = shop["admin"], shop["tech"]
    assert bg.request(db, tech, "Tailspin", "outage").status == bg.Status.PENDING  # off: only asked
    assert bg.set_settings(db, admin, self_grant=True, max_minutes=60) == (60, True)
    with pytest.raises(Refused, match="Only Provider Admins"):
        bg.set_settings(db, tech, self_grant=False)
    g = bg.request(db, tech, "Tailspin", "outage, nobody answers", minutes="1h")
    assert g.live and g.emergency and not g.acknowledged
    assert clients.get_client(db, tech, shop["ids"]["Tailspin"]).name == "Tailspin"
    from msp_tui.core.services import health

    [loud] = [f for f in health.report(db, admin).findings if f.kind == "break-glass"]
    assert loud.severity == "critical" and "tech@msp.example granted themselves access to Tailspin" in loud.title
    assert bg.acknowledge(db, admin, g.number).acknowledged
    assert [f for f in health.report(db, admin).findings if f.kind == "break-glass"] == []
    kinds = [t for t, _ in _types(db)]
    assert EventType.BREAK_GLASS_SELF_GRANTED in kinds and EventType.BREAK_GLASS_ACKNOWLEDGED in kinds


def _used(db):
    return [d for t, d in _types(db) if t == EventType.BREAK_GLASS_USED]


def test_break_glass_use_is_an_event_for_the_first_read_and_every_write_under_the_grant(db, shop):  # noqa: F811
    from datetime import datetime

    from msp_tui.core.events import EventFilter
    from msp_tui.core.services import access_report, members, timeline

    admin, tech, tailspin = shop["admin"], shop["tech"], shop["ids"]["Tailspin"]
    number = bg.request(db, tech, "Tailspin", "owner locked out", minutes="1h").number
    bg.approve(db, admin, number)
    assert _used(db) == []  # granted is not used
    clients.get_client(db, tech, tailspin)
    clients.get_client(db, tech, tailspin)
    members.list_members(db, tech, tailspin)
    assert _used(db) == [{"grant": number, "action": "open this client"}]  # the first read only
    clients.get_client(db, tech, "Contoso")  # in her own scope: no grant, no use
    members.invite(db, tech, tailspin, ["new@tailspin.example"])
    clients.rename(db, tech, tailspin, "Tailspin Toys")
    with pytest.raises(BadInput):  # a write refused changes nothing and records no use
        clients.rename(db, tech, tailspin, " ")
    assert [d["action"] for d in _used(db)] == ["open this client", "manage this client's members", "rename a client"]
    # The timeline's break-glass filter and the client's access report show the use.
    rows = timeline.page(db, timeline.scope_for(db, admin), EventFilter(categories=("break-glass",)), limit=50)
    assert [r.type for r in rows].count(EventType.BREAK_GLASS_USED) == 3
    report = access_report.build(db, admin, tailspin, since=datetime(2000, 1, 1))
    [person] = [p for p in report.people if p.email == "tech@msp.example"]
    assert person.totals["break-glass"] == 4  # asked once, then three uses
    assert any(f"Acted under break-glass access #{number}: rename a client" in line.what for line in person.lines)


def test_break_glass_expiry_is_recorded_by_the_first_read_after_it_lapses(db, shop):  # noqa: F811
    from msp_tui.core.services import approvals

    admin, tech, tailspin = shop["admin"], shop["tech"], shop["ids"]["Tailspin"]
    clock.freeze(clock.now())
    first = bg.request(db, tech, "Tailspin", "printer", minutes="30m").number
    bg.approve(db, admin, first)
    clock.freeze(clock.now() + timedelta(minutes=31))
    assert "Tailspin" not in [c.name for c in clients.list_clients(db, tech).rows]  # a read notices it
    assert [(t, d["grant"]) for t, d in _types(db) if t == EventType.BREAK_GLASS_EXPIRED] == [
        (EventType.BREAK_GLASS_EXPIRED, first)]
    with pytest.raises(Refused):
        clients.get_client(db, tech, tailspin)
    assert [t for t, _ in _types(db)].count(EventType.BREAK_GLASS_EXPIRED) == 1  # once
    # Nobody on the technician's side reads again: the admins' inbox count notices it.
    second = bg.request(db, tech, "Tailspin", "printer again", minutes="10m").number
    bg.approve(db, admin, second)
    clock.freeze(clock.now() + timedelta(minutes=11))
    approvals.pending_count(db, admin)
    assert [d["grant"] for t, d in _types(db) if t == EventType.BREAK_GLASS_EXPIRED] == [first, second]
    assert [v.status for v in bg.list_grants(db, admin, everything=True)] == [bg.Status.EXPIRED, bg.Status.EXPIRED]


def test_break_glass_ended_or_revoked_refuses_every_action_of_the_client_screen(db, shop):  # noqa: F811
    """The client's detail screen opened under a grant may still be on the technician's terminal when
    the grant ends: whatever she presses there, core refuses (S12), whether an admin ended it or its
    time ran out."""
    from msp_tui.core.services import members, vault

    admin, tech, tailspin = shop["admin"], shop["tech"], shop["ids"]["Tailspin"]
    clock.freeze(clock.now())

    def actions():
        return {
            "overview": lambda: clients.get_client(db, tech, tailspin),
            "rename": lambda: clients.rename(db, tech, tailspin, "Tailspin Toys"),
            "seats": lambda: clients.change_seats(db, tech, tailspin, 6),
            "unlink": lambda: clients.unlink(db, tech, tailspin, confirm_name="Tailspin"),
            "members": lambda: members.list_members(db, tech, tailspin),
            "vault": lambda: vault.list_items(db, tech, tailspin),
        }

    for ends in ("revoked", "ran out"):
        grant = bg.approve(db, admin, bg.request(db, tech, "Tailspin", "printer", minutes=60).number)
        assert clients.get_client(db, tech, tailspin).name == "Tailspin"
        if ends == "revoked":
            bg.end(db, admin, grant.number)
        else:
            clock.freeze(clock.now() + timedelta(hours=1))
        for name, act in actions().items():
            with pytest.raises(Refused) as refused:
                act()
            # Unlinking is not a Service User's in any case (S4); the rest is out of her scope again.
            assert refused.value.rule == ("S4" if name == "unlink" else "S12"), (ends, name)
    assert clients.get_client(db, admin, tailspin).name == "Tailspin"  # nothing changed
    assert clients.get_client(db, admin, tailspin).seats == 5
