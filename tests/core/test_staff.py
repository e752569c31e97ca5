"""Provider staff: invitation batches, expiry, confirmation, the last-admin and not-yourself guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from msp_tui.core import clock, invitation_secret
from msp_tui.core.enums import EventType, StaffRole, StaffStatus
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.models import Event, Staff
from msp_tui.core.services import accounts, staff
from tests.conftest import PASSWORD
from tests.world import join


def events_of(db, type_):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(type_))).scalars().all()


def test_S1_invite_accept_confirm_lifecycle(db, admin):
    res = staff.invite(db, admin, ["bob@msp.example"], "service")
    assert res.invited == ["bob@msp.example"]
    bob = join(db, "bob@msp.example", res.secrets["bob@msp.example"])
    rows = {v.email: v for v in staff.list_staff(db, admin)}
    assert rows["bob@msp.example"].status == StaffStatus.ACCEPTED
    staff.confirm(db, admin, "bob@msp.example")
    rows = {v.email: v for v in staff.list_staff(db, admin)}
    assert rows["bob@msp.example"].status == StaffStatus.CONFIRMED
    assert len(events_of(db, EventType.STAFF_INVITED)) == 2  # the first admin's own and bob's
    assert len(events_of(db, EventType.STAFF_CONFIRMED)) == 2
    # Bob now holds the provider key and can work.
    bob.provider_id = admin.provider_id
    from msp_tui.core.services import clients
    assert clients.list_clients(db, bob).rows == []


def test_S1_at_most_20_emails_per_batch_and_nothing_written(db, admin):
    emails = [f"p{i}@msp.example" for i in range(21)]
    with pytest.raises(BadInput, match="up to 20 emails"):
        staff.invite(db, admin, emails, "service")
    assert [v.email for v in staff.list_staff(db, admin)] == [admin.email]
    assert staff.invite(db, admin, emails[:20], "service").invited == emails[:20]


def test_S1_existing_staff_are_skipped(db, admin):
    staff.invite(db, admin, ["bob@msp.example"], "service")
    res = staff.invite(db, admin, ["BOB@msp.example", "carol@msp.example"], "admin")
    assert res.invited == ["carol@msp.example"] and res.skipped == ["bob@msp.example"]


def test_S1_invitations_expire_after_5_days(db, admin):
    from msp_tui.core.models import Account

    clock.freeze(clock.now() - timedelta(days=5, minutes=1))
    old = staff.invite(db, admin, ["late@msp.example"], "service").secrets["late@msp.example"]
    clock.freeze(None)
    # An expired invitation gets the answer every failed accept gets (attack 8: one answer).
    with pytest.raises(BadInput) as err:
        accounts.accept_invitations(db, email="late@msp.example", secret=old, password=PASSWORD)
    assert err.value.message == invitation_secret.NO_MATCH
    with db.read() as s:  # the refused acceptance created no account
        assert s.execute(select(Account).where(Account.email == "late@msp.example")).first() is None
    # A renewed invitation can be accepted, with its new secret only.
    new = staff.reinvite(db, admin, ["late@msp.example"])["late@msp.example"]
    with pytest.raises(BadInput):
        accounts.accept_invitations(db, email="late@msp.example", secret=old, password=PASSWORD)
    join(db, "late@msp.example", new)


def test_S1_only_accepted_staff_can_be_confirmed(db, admin):
    staff.invite(db, admin, ["bob@msp.example"], "service")
    with pytest.raises(Refused) as err:
        staff.confirm(db, admin, "bob@msp.example")
    assert err.value.rule == "S1"


def test_S5_last_confirmed_admin_cannot_be_demoted_or_removed(db, admin):
    with pytest.raises(Refused) as err:
        staff.change_role(db, admin, admin.email, "service")
    assert err.value.rule == "S5" and "at least one confirmed Provider Admin" in err.value.message
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    join(db, "grace@msp.example", secret)
    # An accepted admin does not count: still the last confirmed one.
    with pytest.raises(Refused):
        staff.change_role(db, admin, admin.email, "service")
    staff.confirm(db, admin, "grace@msp.example")
    staff.change_role(db, admin, admin.email, "service")
    with db.read() as s:
        me = s.execute(select(Staff).where(Staff.email == admin.email)).scalar_one()
        assert me.role == StaffRole.SERVICE_USER


def test_S5_nobody_can_remove_themselves(db, admin):
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    join(db, "grace@msp.example", secret)
    staff.confirm(db, admin, "grace@msp.example")
    with pytest.raises(Refused, match="cannot remove yourself"):
        staff.remove(db, admin, admin.email)


def test_S5_failover_warning_until_two_confirmed_admins(db, admin):
    assert "second Provider Admin" in staff.failover_warning(db, admin.provider_id)
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    join(db, "grace@msp.example", secret)
    assert staff.failover_warning(db, admin.provider_id) is not None
    staff.confirm(db, admin, "grace@msp.example")
    assert staff.failover_warning(db, admin.provider_id) is None


def test_S8_staff_removal_recorded_and_provider_key_rotated(db, admin):
    from msp_tui.core.models import Provider
    from msp_tui.core.services import clients

    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=3, owner_email="o@c.example")
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    join(db, "bob@msp.example", secret)
    staff.confirm(db, admin, "bob@msp.example")
    with db.read() as s:
        gen = s.get(Provider, admin.provider_id).key_generation
    staff.remove(db, admin, "bob@msp.example")
    with db.read() as s:
        assert s.get(Provider, admin.provider_id).key_generation == gen + 1
    removed = events_of(db, EventType.STAFF_REMOVED)
    assert len(removed) == 1 and removed[0].provider_log
    # The remaining admin still reaches every client's key with the new provider key.
    assert [c.name for c in clients.list_clients(db, admin).rows] == ["Contoso"]
    from msp_tui.core.services import collections
    assert [c.name for c in collections.list_collections(db, admin, "Contoso")] == ["Default collection"]


def test_stale_role_change_is_refused_naming_who_changed_it(db, admin):
    staff.invite(db, admin, ["bob@msp.example"], "service")
    seen = {v.email: v for v in staff.list_staff(db, admin)}["bob@msp.example"]
    staff.change_role(db, admin, "bob@msp.example", "admin", expected_version=seen.version)
    from msp_tui.core.errors import StaleEdit
    with pytest.raises(StaleEdit, match="Ada Admin"):
        staff.change_role(db, admin, "bob@msp.example", "service", expected_version=seen.version)
