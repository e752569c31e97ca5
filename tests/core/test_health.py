"""The health view (B5): each finding appears when its condition holds and disappears when fixed."""

from datetime import timedelta

from msp_tui.core import clock
from msp_tui.core.enums import MemberStatus
from msp_tui.core.services import accounts, clients, health, members, policies as pol, staff
from tests.conftest import PASSWORD
from tests.core._policy_support import client, member


def kinds(db, actor, **kw):
    return [f.kind for f in health.report(db, actor, **kw).findings]


def find(db, actor, kind):
    return [f for f in health.report(db, actor).findings if f.kind == kind]


def test_failover_warning_until_a_second_admin_is_confirmed(db, admin):
    [f] = find(db, admin, "failover")
    assert f.severity == "critical" and f.target == ("staff",)
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    accounts.accept_invitations(db, email="grace@msp.example", secret=secret, password=PASSWORD, name="Grace")
    assert find(db, admin, "failover")  # accepted is not enough
    staff.confirm(db, admin, "grace@msp.example")
    assert find(db, admin, "failover") == []


def test_client_out_of_seats_until_seats_are_added(db, admin):
    c = client(db, admin, "Contoso", plan="teams-monthly", seats=2)
    assert find(db, admin, "seats") == []
    member(db, c.id, "u@contoso.example", two_factor=True)
    [f] = find(db, admin, "seats")
    assert f.organization_id == c.id and f.target == ("client", c.id, "overview") and "2 of 2" in f.title
    clients.change_seats(db, admin, c.id, 5)
    assert find(db, admin, "seats") == []


def test_invitations_pending_over_5_days_until_sent_again(db, admin):
    c = client(db, admin, "Contoso", plan="teams-monthly")
    assert find(db, admin, "stale-invites") == []
    clock.freeze(clock.now() + timedelta(days=5, hours=1))
    [f] = find(db, admin, "stale-invites")
    assert f.target == ("client", c.id, "members") and f.count == 1
    members.reinvite(db, admin, c.id, ["owner@contoso.example"])
    assert find(db, admin, "stale-invites") == []


def test_staff_invitations_pending_over_5_days(db, admin):
    staff.invite(db, admin, ["bob@msp.example"], "service")
    assert find(db, admin, "staff-invites") == []
    clock.freeze(clock.now() + timedelta(days=6))
    [f] = find(db, admin, "staff-invites")
    assert f.target == ("staff",)
    staff.remove(db, admin, "bob@msp.example")
    assert find(db, admin, "staff-invites") == []


def test_members_accepted_but_not_confirmed_until_confirmed(db, admin):
    c = client(db, admin, "Contoso", plan="teams-monthly")
    member(db, c.id, "a@contoso.example", status=MemberStatus.ACCEPTED)
    member(db, c.id, "b@contoso.example", status=MemberStatus.ACCEPTED)
    [f] = find(db, admin, "unconfirmed")
    assert f.count == 2 and "2 members accepted but not confirmed" in f.title
    assert f.target == ("client", c.id, "members")
    members.confirm(db, admin, c.id, ["a@contoso.example", "b@contoso.example"])
    assert find(db, admin, "unconfirmed") == []


def test_enterprise_clients_without_two_step_login_until_required(db, admin):
    e = client(db, admin, "Contoso")
    client(db, admin, "Teams Co", plan="teams-annually")
    [f] = find(db, admin, "two-factor")
    assert f.organization_id == e.id and f.target == ("client", e.id, "policies")
    pol.set_policy(db, admin, e.id, "two-factor", enabled=True)
    assert find(db, admin, "two-factor") == []


def test_health_two_step_finding_counts_members_by_real_enrolment(db, admin):
    from tests.core._policy_support import member

    e = client(db, admin, "Contoso")
    member(db, e.id, "on@contoso.example", two_factor=True)
    member(db, e.id, "off1@contoso.example")
    member(db, e.id, "off2@contoso.example")
    [f] = find(db, admin, "two-factor")
    assert f.title == "Contoso (Enterprise) does not require two-step login (2 of 3 members have not turned it on)"


def test_clients_drifted_from_template_until_fixed_or_accepted(db, admin):
    a = client(db, admin, "Contoso")
    pol.create_template(db, admin, "Baseline", {"two-factor": True, "remove-pin": True})
    pol.apply_template(db, admin, "Baseline", [a.id], dry_run=False)
    assert find(db, admin, "drift") == []
    pol.set_policy(db, admin, a.id, "remove-pin", enabled=False)
    [f] = find(db, admin, "drift")
    assert f.target == ("client", a.id, "policies") and "1 policy" in f.title
    pol.set_policy(db, admin, a.id, "remove-pin", enabled=True)
    assert find(db, admin, "drift") == []
    pol.set_policy(db, admin, a.id, "remove-pin", enabled=False)
    pol.accept_deviation(db, admin, a.id, "remove-pin", "Kiosk devices need a PIN")
    assert find(db, admin, "drift") == []


def test_findings_worst_first_and_limited_with_totals(db, admin):
    for i in range(3):
        client(db, admin, f"Client {i}", seats=1)  # Enterprise, out of seats (the owner's invite)
    clock.freeze(clock.now() + timedelta(days=6))
    rep = health.report(db, admin)
    order = [health.RANK[k] for k in kinds(db, admin)]
    assert order == sorted(order)
    assert kinds(db, admin)[:1] == ["failover"]
    assert rep.totals["seats"] == 3 and rep.totals["two-factor"] == 3 and rep.totals["stale-invites"] == 3
    small = health.report(db, admin, limit=1)
    assert [f.kind for f in small.findings].count("seats") == 1 and small.truncated and small.total == rep.total


def test_health_is_one_set_of_aggregates_on_many_clients(sqlite_db):
    import time

    from msp_tui.core import demo

    admin = demo.build(sqlite_db, clients=3000, events=0).actor
    t0 = time.perf_counter()
    rep = health.report(sqlite_db, admin)
    elapsed = time.perf_counter() - t0
    assert rep.totals["seats"] > 20 and rep.totals["drift"] > 10 and rep.totals["two-factor"] > 20
    assert elapsed < 2.0, elapsed
