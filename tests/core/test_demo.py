"""The demo generator: a realistic provider whose event chain verifies and whose sign-in works."""

from __future__ import annotations

from sqlalchemy import func, select

from msp_tui.core import demo, events
from msp_tui.core.enums import MemberStatus, StaffRole, StaffStatus
from msp_tui.core.models import Member
from msp_tui.core.services import accounts, clients, staff


def test_demo_builds_a_provider_that_works(db):
    result = demo.build(db, clients=12, events=3000)
    actor = accounts.sign_in(db, result.email, result.password)
    assert clients.count_clients(db, actor) == 12
    roster = staff.list_staff(db, actor)
    confirmed_admins = [s for s in roster if s.role == StaffRole.PROVIDER_ADMIN
                        and s.status == StaffStatus.CONFIRMED]
    assert len(confirmed_admins) == 2
    assert {s.status for s in roster} == {StaffStatus.INVITED, StaffStatus.ACCEPTED, StaffStatus.CONFIRMED}
    with db.read() as s:
        statuses = set(s.execute(select(Member.status).distinct()).scalars())
        assert statuses == {int(x) for x in MemberStatus}
        check = events.verify_chain(s)
        assert check.ok, check.problem
        assert check.count >= 3000
    # Every client's counters agree with its members.
    with db.read() as s:
        for view in clients.list_clients(db, actor).rows:
            n = s.execute(select(func.count()).select_from(Member).where(
                Member.organization_id == view.id, Member.status >= 0)).scalar_one()
            assert view.used == n and view.remaining == view.seats - n


def test_demo_events_name_their_actor_and_what_they_are_about(db):
    """Like real events: a member event names the member, an item event the item and the person who
    used it (a member of that client), a staff edit the staff member; none is left to "system"."""
    from msp_tui.core.enums import EventType
    from msp_tui.core.models import Collection, Event, Group, Policy, Staff, VaultItem

    demo.build(db, clients=12, events=3000)
    with db.read() as s:
        rows = s.execute(select(Event).where(Event.id > 5)).scalars().all()
        members = {m.id: m for m in s.execute(select(Member)).scalars()}
        items = dict(s.execute(select(VaultItem.id, VaultItem.organization_id)).all())
        colls = dict(s.execute(select(Collection.id, Collection.organization_id)).all())
        groups = dict(s.execute(select(Group.id, Group.organization_id)).all())
        policies = dict(s.execute(select(Policy.id, Policy.organization_id)).all())
        staff_ids = set(s.execute(select(Staff.id)).scalars())
    by_type: dict = {}
    for e in rows:
        by_type.setdefault(EventType(e.type), []).append(e)
    assert len(by_type) >= 15
    for t, evs in by_type.items():
        for e in evs:
            if t != EventType.USER_FAILED_LOGIN:
                assert e.acting_account_id is not None, t
            if 1500 <= t < 1600:
                m = members[e.organization_user_id]
                assert m.organization_id == e.organization_id and e.account_id == m.account_id, t
                assert m.email in e.detail
            elif 1100 <= t < 1200:
                assert items[e.item_id] == e.organization_id
                actor = [m for m in members.values() if m.account_id == e.acting_account_id
                         and m.organization_id == e.organization_id]
                assert actor and actor[0].status == MemberStatus.CONFIRMED
            elif t == EventType.COLLECTION_UPDATED:
                assert colls[e.collection_id] == e.organization_id
            elif t == EventType.GROUP_UPDATED:
                assert groups[e.group_id] == e.organization_id
            elif t == EventType.POLICY_UPDATED:
                assert policies[e.policy_id] == e.organization_id
            elif t == EventType.STAFF_UPDATED:
                assert e.provider_user_id in staff_ids and e.account_id is not None


def test_demo_build_vouches_for_its_generated_history_once_instead_of_verifying_it_again(sqlite_db):
    """Found building ten million events (issue 19): the client groups, made after the generated
    history, were the first write the checkpointer saw again, and it verified every generated event,
    signature by signature (a minute for 200,000 events, about an hour for ten million). The builder
    hashed and signed those events itself: it vouches for them with one line right after them, so
    the next write verifies only its own events, and the chain and the checkpoint file still agree."""
    from msp_tui.core import checkpoint
    from msp_tui.core.models import Event, EventChainHead

    demo.build(sqlite_db, clients=12, events=3000)
    path = checkpoint.default_path(sqlite_db)
    first_after = min(cp.count for cp in checkpoint.read_checkpoints(path) if cp.count > 3000)
    with sqlite_db.read() as s:
        head = s.get(EventChainHead, 1)
        count, last = head.count, bytes(head.last_hash)
        check = events.verify_chain(s)
        last_vouched_type = s.execute(select(Event.type).where(Event.id == first_after)).scalar_one()
    assert check.ok, check.problem
    # The first line past the history ends at its last generated event, not at a client group's.
    assert last_vouched_type in {int(k) for k, *_ in demo.EVENT_MIX}
    assert checkpoint.latest(path).as_tuple() == (count, last)
