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
