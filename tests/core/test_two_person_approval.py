"""Two-person approval (issue 18): chosen actions wait for a second Provider Admin; one mechanism
runs every approved request through the same use case as the direct path, in the approver's
transaction, with both names in the action's event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from msp_tui.core import clock
from msp_tui.core.enums import EventType, StaffRole
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.models import Event, Organization, Policy, Provider
from msp_tui.core.services import approvals, clients, health, org_keys, policies, staff
from tests.world import join


def events_of(db, type_):
    with db.read() as s:
        return [json.loads(e.detail or "{}") for e in
                s.execute(select(Event).where(Event.type == int(type_)).order_by(Event.id)).scalars()]


def second_admin(db, admin, email="grace@msp.example"):
    secret = staff.invite(db, admin, [email], "admin").secrets[email]
    grace = join(db, email, secret)
    staff.confirm(db, admin, email)
    grace.provider_id = admin.provider_id
    return grace


def service_user(db, admin, email="sam@msp.example"):
    secret = staff.invite(db, admin, [email], "service").secrets[email]
    sam = join(db, email, secret)
    staff.confirm(db, admin, email)
    sam.provider_id = admin.provider_id
    return sam


def contoso(db, admin, seats=10, plan="enterprise-monthly"):
    return clients.create_client(db, admin, name="Contoso", plan=plan, seats=seats,
                                 owner_email="owner@contoso.example")


def seats_of(db, org_id):
    with db.read() as s:
        return s.get(Organization, org_id).seats


def test_two_person_approval_cannot_be_turned_on_with_one_admin_and_the_failover_warning_says_why(db, admin):
    with pytest.raises(Refused, match="second confirmed Provider Admin") as exc:
        approvals.set_actions(db, admin, ["lower-seats"])
    assert exc.value.rule == "two-person"
    assert approvals.setting(db, admin).actions == []
    warning = staff.failover_warning(db, admin.provider_id)
    assert "Two-person approval cannot be turned on until a second Provider Admin" in warning
    [finding] = [f for f in health.report(db, admin).findings if f.kind == "failover"]
    assert "two-person approval cannot be turned on" in finding.title
    assert events_of(db, EventType.APPROVAL_SETTING_CHANGED) == []


def test_two_person_approval_lowering_seats_becomes_a_request_another_admin_approves(db, admin):
    grace = second_admin(db, admin)
    org = contoso(db, admin)
    assert approvals.set_actions(db, admin, ["lower-seats"]) == ["lower-seats"]
    # Raising seats is not guarded; lowering is refused directly by core, naming the rule.
    clients.change_seats(db, admin, org.id, 12)
    with pytest.raises(Refused, match="second Provider Admin must approve") as exc:
        clients.change_seats(db, admin, org.id, 5)
    assert exc.value.rule == "two-person"
    assert seats_of(db, org.id) == 12
    req = approvals.request(db, admin, "lower-seats", "client shrank to 5 people", client="Contoso", seats=5)
    assert req.pending and req.number == 1 and req.summary == "lower Contoso's seats from 12 to 5"
    assert seats_of(db, org.id) == 12  # nothing happens until approved
    assert approvals.pending_count(db, grace) == 1 and approvals.pending_count(db, admin) == 0
    with pytest.raises(Refused, match="you asked for this yourself"):
        approvals.approve(db, admin, 1)
    view, result = approvals.approve(db, grace, "1")
    assert view.status == approvals.Status.APPROVED and view.decided_by == "grace@msp.example"
    assert result.seats == 5 and seats_of(db, org.id) == 5
    # The change's own event names both people.
    [*_, change] = [d for d in events_of(db, EventType.ORGANIZATION_UPDATED) if "seats" in d]
    assert change["seats"] == [12, 5]
    assert change["approval"] == {"request": 1, "action": "lower-seats", "requested_by": "ada@msp.example",
                                  "approved_by": "grace@msp.example"}
    with pytest.raises(Refused, match="is approved"):
        approvals.approve(db, grace, 1)
    assert [d["request"] for d in events_of(db, EventType.APPROVAL_REQUESTED)] == [1]
    assert [d["requested_by"] for d in events_of(db, EventType.APPROVAL_APPROVED)] == ["ada@msp.example"]


def test_two_person_approval_a_failing_approved_action_rolls_back_the_approval_too(db, admin):
    grace = second_admin(db, admin)
    org = contoso(db, admin)
    approvals.set_actions(db, admin, ["unlink-client"])
    approvals.request(db, admin, "unlink-client", "contract ended", client=org.id)
    # Contoso's Owner never joined: the unlink itself refuses, and the request stays pending.
    with pytest.raises(Refused, match="confirmed Owner"):
        approvals.approve(db, grace, 1)
    [still] = approvals.list_requests(db, grace)
    assert still.pending
    assert events_of(db, EventType.APPROVAL_APPROVED) == []


def test_two_person_approval_deny_withdraw_and_expiry_after_24_hours(db, admin):
    grace = second_admin(db, admin)
    sam = service_user(db, admin)
    org = contoso(db, admin)
    approvals.set_actions(db, admin, "all")
    r1 = approvals.request(db, sam, "lower-seats", "fewer users", client=org.id, seats=3)
    r2 = approvals.request(db, admin, "rotate-client-key", "a technician left", client="Contoso")
    r3 = approvals.request(db, admin, "change-staff-role", "promotion", staff="sam@msp.example", role="admin")
    with pytest.raises(Refused, match="Only Provider Admins"):
        approvals.approve(db, sam, r2.number)
    assert approvals.deny(db, grace, r1.number, "keep the seats").status == approvals.Status.DENIED
    assert seats_of(db, org.id) == 10
    with pytest.raises(Refused, match="Only the person who asked"):
        approvals.withdraw(db, sam, r2.number)
    assert approvals.withdraw(db, admin, r2.number).status == approvals.Status.WITHDRAWN
    clock.freeze(clock.now() + timedelta(hours=24, seconds=1))
    assert approvals.list_requests(db, grace) == []
    with pytest.raises(Refused, match="is expired"):
        approvals.approve(db, grace, r3.number)
    # The next write records the expiry; the role never changed.
    approvals.request(db, admin, "rotate-client-key", "again", client="Contoso")
    assert [d["request"] for d in events_of(db, EventType.APPROVAL_EXPIRED)] == [r3.number]
    assert {v.email: v.role for v in staff.list_staff(db, admin)}["sam@msp.example"] == StaffRole.SERVICE_USER
    assert [d["why"] for d in events_of(db, EventType.APPROVAL_DENIED)] == ["keep the seats"]
    assert len(events_of(db, EventType.APPROVAL_WITHDRAWN)) == 1


def test_two_person_approval_each_guarded_action_runs_through_its_own_use_case(db, admin):
    grace = second_admin(db, admin)
    second_admin(db, admin, "hal@msp.example")
    sam = service_user(db, admin)
    org = contoso(db, admin)
    policies.set_policy(db, admin, org.id, "two-factor", enabled=True)
    policies.set_policy(db, admin, org.id, "master-password", enabled=True, options={"min_length": 12})
    approvals.set_actions(db, admin, "all")
    for off in ("two-factor", "master-password"):
        with pytest.raises(Refused, match="two-person approval is on|Two-person approval is on"):
            policies.set_policy(db, admin, org.id, off, enabled=False)
    with pytest.raises(Refused, match="Two-person approval is on"):
        org_keys.rotate_org_key(db, admin, org.id)
    with pytest.raises(Refused, match="Two-person approval is on"):
        staff.change_role(db, admin, "sam@msp.example", "admin")
    with pytest.raises(Refused, match="Two-person approval is on"):
        staff.remove(db, admin, "hal@msp.example")
    asked = [
        approvals.request(db, admin, "turn-off-two-step-login", "vendor migration", client="Contoso"),
        approvals.request(db, admin, "turn-off-master-password", "vendor migration", client="Contoso"),
        approvals.request(db, admin, "rotate-client-key", "laptop stolen", client="Contoso"),
        approvals.request(db, admin, "change-staff-role", "team lead", staff="sam@msp.example", role="admin"),
        approvals.request(db, admin, "remove-staff", "left the company", staff="hal@msp.example"),
    ]
    for r in asked:
        approvals.approve(db, grace, r.number)
    with db.read() as s:
        on = {p.type: p.enabled for p in s.execute(select(Policy).where(Policy.organization_id == org.id)).scalars()}
    assert on[0] is False and on[1] is False
    assert [d["approval"]["approved_by"] for d in events_of(db, EventType.ORGANIZATION_KEY_ROTATED)] \
        == ["grace@msp.example"]
    roles = {v.email: v.role for v in staff.list_staff(db, admin)}
    assert roles["sam@msp.example"] == StaffRole.PROVIDER_ADMIN and "hal@msp.example" not in roles
    assert [d["approval"]["requested_by"] for d in events_of(db, EventType.STAFF_REMOVED)][-1] == "ada@msp.example"
    del sam


def test_two_person_approval_bad_requests_change_nothing(db, admin):
    second_admin(db, admin)
    org = contoso(db, admin)
    approvals.set_actions(db, admin, ["lower-seats"])
    with pytest.raises(BadInput, match="reason is required"):
        approvals.request(db, admin, "lower-seats", "  ", client=org.id, seats=3)
    with pytest.raises(BadInput, match="not fewer"):
        approvals.request(db, admin, "lower-seats", "why", client=org.id, seats=11)
    with pytest.raises(Refused, match="does not cover"):
        approvals.request(db, admin, "unlink-client", "why", client=org.id)
    with pytest.raises(BadInput, match="Unknown action 'everything'"):
        approvals.set_actions(db, admin, ["everything"])
    assert approvals.list_requests(db, admin, everything=True) == []


def test_two_person_approval_turning_it_off_needs_a_second_admin_too(db, admin):
    grace = second_admin(db, admin)
    approvals.set_actions(db, admin, ["lower-seats", "unlink-client"])
    approvals.set_actions(db, admin, ["lower-seats", "unlink-client", "rotate-client-key"])  # widening: at once
    with pytest.raises(Refused, match="Two-person approval is on"):
        approvals.set_actions(db, admin, "none")
    req = approvals.request(db, admin, "change-approvals", "audit over", actions=["lower-seats"])
    approvals.approve(db, grace, req.number)
    assert approvals.setting(db, admin).actions == ["lower-seats"]
    with db.read() as s:
        assert s.get(Provider, admin.provider_id).approval_actions == "lower-seats"
    [*_, last] = events_of(db, EventType.APPROVAL_SETTING_CHANGED)
    assert last["actions"][1] == ["lower-seats"] and last["approval"]["approved_by"] == "grace@msp.example"


def test_two_person_refusal_carries_the_change_so_a_reason_alone_files_its_request(db, admin):
    """The UI's reason dialog asks only for a reason: core's refusal must name the very change that was
    refused (every guarded action), and a request made from it is that change, approved as asked."""
    from msp_tui.core.enums import PolicyType

    grace = second_admin(db, admin)
    sam = service_user(db, admin)
    org = contoso(db, admin)
    for type_ in approvals.POLICY_OFF:
        policies.set_policy(db, admin, org.id, type_, enabled=True)
    approvals.set_actions(db, admin, "all")
    attempts = {
        "unlink-client": lambda: clients.unlink(db, admin, org.id),
        "lower-seats": lambda: clients.change_seats(db, admin, org.id, 6),
        "remove-staff": lambda: staff.remove(db, admin, "sam@msp.example"),
        "change-staff-role": lambda: staff.change_role(db, admin, "sam@msp.example", "admin"),
        "turn-off-two-step-login": lambda: policies.set_policy(db, admin, org.id,
                                                               PolicyType.TWO_FACTOR_AUTHENTICATION, enabled=False),
        "turn-off-master-password": lambda: policies.set_policy(db, admin, org.id, PolicyType.MASTER_PASSWORD,
                                                                enabled=False),
        "rotate-client-key": lambda: org_keys.rotate_org_key(db, admin, org.id),
    }
    summaries = {}
    for name, attempt in attempts.items():
        with pytest.raises(approvals.ApprovalNeeded) as exc:
            attempt()
        assert exc.value.action == name and exc.value.arguments is not None
        summaries[name] = approvals.request(db, admin, exc.value.action, "asked from the dialog",
                                            **exc.value.arguments).summary
    assert summaries == {
        "unlink-client": "unlink the client Contoso",
        "lower-seats": "lower Contoso's seats from 10 to 6",
        "remove-staff": "remove sam@msp.example (Service User) from the staff",
        "change-staff-role": "make sam@msp.example a Provider Admin (now Service User)",
        "turn-off-two-step-login": "turn off Require two-step login for Contoso",
        "turn-off-master-password": "turn off Master password requirements for Contoso",
        "rotate-client-key": "rotate the key of Contoso",
    }
    seats = next(r for r in approvals.list_requests(db, grace) if r.action == "lower-seats")
    approvals.approve(db, grace, seats.number)
    assert seats_of(db, org.id) == 6
    assert sam is not None
