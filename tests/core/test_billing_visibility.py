"""S9: who sees billing — every actor kind of the access table, against every billing read and change."""

import uuid

import pytest

from msp_tui.core import crypto
from msp_tui.core.access import Kind
from msp_tui.core.context import Actor
from msp_tui.core.enums import EventType, MemberRole, MemberStatus, StaffRole, StaffStatus
from msp_tui.core.errors import Refused
from msp_tui.core.models import Account, Member, Staff
from msp_tui.core.permissions import CUSTOM_FLAGS, dump
from msp_tui.core.services import billing, clients, timeline

STAFF = {Kind.PROVIDER_ADMIN: (StaffRole.PROVIDER_ADMIN, StaffStatus.CONFIRMED),
         Kind.SERVICE_USER: (StaffRole.SERVICE_USER, StaffStatus.CONFIRMED),
         Kind.STAFF_INVITED: (StaffRole.PROVIDER_ADMIN, StaffStatus.INVITED),
         Kind.STAFF_ACCEPTED: (StaffRole.PROVIDER_ADMIN, StaffStatus.ACCEPTED)}
MEMBERS = {Kind.OWNER: MemberRole.OWNER, Kind.ADMIN: MemberRole.ADMIN, Kind.USER: MemberRole.USER,
           Kind.CUSTOM: MemberRole.CUSTOM}


def make_actor(db, admin, kind: Kind, org_id) -> Actor:
    """A signed-in person of the given standing (rows written as the use cases would leave them)."""
    account_id = uuid.uuid4()
    email = f"{kind.name.lower()}@people.example"
    made = crypto.sealed_account_keys(account_id)
    with db.write() as s:
        s.add(Account(id=account_id, email=email, name=kind.value, **made.columns))
        s.flush()
        if kind in STAFF:
            role, status = STAFF[kind]
            s.add(Staff(provider_id=admin.provider_id, account_id=account_id, email=email, role=role,
                        status=status))
        elif kind in MEMBERS:
            s.add(Member(organization_id=org_id, account_id=account_id, email=email, role=MEMBERS[kind],
                         status=MemberStatus.CONFIRMED,
                         permissions=dump(set(CUSTOM_FLAGS)) if kind == Kind.CUSTOM else None))
    provider_id = admin.provider_id if kind in STAFF else None
    return Actor(account_id=account_id, email=email, name=kind.value, provider_id=provider_id,
                 secrets=made.secrets)


@pytest.fixture
def contoso(db, admin):
    view = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                                 owner_email="owner@contoso.example",
                                 payment={"kind": "card", "number": "5555 5555 5555 4444", "expiry": "12/2030",
                                          "holder": "Contoso AP"})
    return view


def _refusal(fn):
    try:
        fn()
    except Refused as exc:
        return exc.rule
    return None


#: kind → (client billing, provider-wide figures) : None = allowed, else the refusing rule.
EXPECTED = {
    Kind.PROVIDER_ADMIN: (None, None),
    Kind.SERVICE_USER: (None, "S4"),
    Kind.STAFF_INVITED: ("S1", "S1"),
    Kind.STAFF_ACCEPTED: ("S1", "S1"),
    # A client's members and strangers are told that only provider staff may (S2, docs/access.md).
    Kind.OWNER: ("S9", "S2"),
    Kind.ADMIN: ("S9", "S2"),
    Kind.USER: ("S9", "S2"),
    Kind.CUSTOM: ("S9", "S2"),
    Kind.STRANGER: ("access", "S2"),
}


#: A Service User outside their scope is a kind only scoped staff reach (S12): their billing refusals are
#: proved with real client groups in tests/core/test_client_groups_scope.py and the access walk.
KINDS = [k for k in Kind if k is not Kind.OUT_OF_SCOPE]


def test_S9_expectations_cover_every_actor_kind():
    assert set(EXPECTED) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name.lower() for k in KINDS])
def test_S9_billing_visibility_for_every_actor_kind(db, admin, contoso, kind):
    actor = admin if kind == Kind.PROVIDER_ADMIN else make_actor(db, admin, kind, contoso.id)
    client_rule, provider_rule = EXPECTED[kind]
    assert _refusal(lambda: billing.client_billing(db, actor, contoso.id)) == client_rule
    for read in (billing.summary, billing.tier_schedule, billing.consolidated_invoice,
                 lambda d, a: billing.run_rate_page(d, a), lambda d, a: list(billing.client_invoices(d, a))):
        assert _refusal(lambda: read(db, actor)) == provider_rule
    # Changes: Provider Admins only.
    changes = (lambda: billing.set_tiers(db, actor, "0:0,10:5"),
               lambda: billing.set_seat_minimum(db, actor, "teams", 5),
               lambda: billing.set_payment_method(db, actor, contoso.id, {"kind": "invoice"}),
               lambda: billing.set_billing_mode(db, actor, "per-client"))
    for change in changes:
        rule = _refusal(change)
        assert (rule is None) == (kind == Kind.PROVIDER_ADMIN)


def test_S9_service_user_sees_client_billing_but_not_payment_or_invoice(db, admin, contoso):
    sam = make_actor(db, admin, Kind.SERVICE_USER, contoso.id)
    seen = billing.client_billing(db, sam, contoso.id)
    assert (seen.seats, seen.unit_price, seen.monthly) == (10, 6, 60)
    assert not seen.admin_view and seen.payment is None and seen.invoice is None and seen.percent is None
    full = billing.client_billing(db, admin, contoso.id)
    assert full.admin_view and full.payment.label == "Mastercard ending 4444, expires 12/2030"
    assert full.invoice is not None


def test_S9_owner_cannot_see_billing_events_in_their_client_log(db, admin, contoso):
    owner = make_actor(db, admin, Kind.OWNER, contoso.id)
    scope = timeline.scope_for(db, owner, contoso.id)
    types = {e.type for e in timeline.page(db, scope)}
    assert int(EventType.MEMBER_INVITED) in types  # they do see their organization's own events
    assert int(EventType.CLIENT_PAYMENT_METHOD_CHANGED) not in types
    admin_types = {e.type for e in timeline.page(db, timeline.scope_for(db, admin, contoso.id))}
    assert int(EventType.CLIENT_PAYMENT_METHOD_CHANGED) in admin_types
    detail = [e.detail for e in timeline.page(db, timeline.scope_for(db, admin))
              if e.type == int(EventType.CLIENT_PAYMENT_METHOD_CHANGED)]
    assert detail == [{"payment": ["none", "Mastercard ending 4444, expires 12/2030"]}]
