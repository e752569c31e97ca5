"""Billing use cases on SQLite and PostgreSQL: tiers, proration, internal org, consolidated invoices,
payment methods and the Service User seat rule — with exact figures."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from msp_tui.core import clock
from msp_tui.core.enums import EventType, PlanType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.models import Event, PaymentMethod
from msp_tui.core.services import accounts, billing, clients, staff
from tests.conftest import PASSWORD

CARD = {"kind": "card", "number": "4000 0566 5566 5556", "expiry": "08/2031", "holder": "Contoso AP"}


def new_client(db, admin, name, plan, seats, **kw):
    return clients.create_client(db, admin, name=name, plan=plan, seats=seats,
                                 owner_email=f"owner@{name.lower().replace(' ', '')}.example", **kw)


def service_user(db, admin, email="sam@msp.example"):
    """A confirmed Service User, through invitation, acceptance and confirmation."""
    secret = staff.invite(db, admin, [email], "service").secrets[email]
    actor, _ = accounts.accept_invitations(db, email=email, secret=secret, password=PASSWORD, name="Sam Service")
    staff.confirm(db, admin, email)
    return actor


def events_of(db, type_):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(type_)).order_by(Event.id)).scalars().all()


def test_S10_tier_boundary_crossed_by_one_seat_changes_every_clients_unit_price(db, admin):
    a = new_client(db, admin, "Alpha", "teams-monthly", 60)
    b = new_client(db, admin, "Bravo", "enterprise-monthly", 39)
    assert billing.summary(db, admin).cumulative_seats == 99
    before = [billing.client_billing(db, admin, c.id) for c in (a, b)]
    assert [(x.unit_price, x.monthly) for x in before] == [(Decimal("4"), Decimal("240.00")),
                                                           (Decimal("6"), Decimal("234.00"))]
    clients.change_seats(db, admin, "Bravo", 40)  # 100 seats: the default 5 % tier
    after = [billing.client_billing(db, admin, c.id) for c in (a, b)]
    assert [(x.unit_price, x.monthly) for x in after] == [(Decimal("3.80"), Decimal("228.00")),
                                                          (Decimal("5.70"), Decimal("228.00"))]
    summ = billing.summary(db, admin)
    assert summ.schedule.is_default
    assert (summ.schedule.progress.current.percent, summ.schedule.progress.next.min_seats,
            summ.schedule.progress.seats_away) == (Decimal("5"), 250, 150)
    assert summ.monthly_total == Decimal("456.00")


def test_mid_month_seat_increase_prorated_to_the_cent(db, admin):
    clock.freeze(datetime(2026, 3, 1, 9, 0))
    new_client(db, admin, "Contoso", "teams-monthly", 10)
    clock.freeze(datetime(2026, 3, 16, 14, 30))
    clients.change_seats(db, admin, "Contoso", 15)
    clock.freeze(datetime(2026, 3, 20, 8, 0))
    inv = billing.client_invoice(db, admin, "Contoso").invoice
    assert (inv.period_start, inv.period_end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert [(ln.seats, ln.days, ln.amount) for ln in inv.lines] == [
        (10, 15, Decimal("19.35")), (15, 16, Decimal("30.97"))]
    assert inv.total == Decimal("50.32")
    # The month before the client existed costs nothing; the next month is 15 full seats.
    assert billing.client_invoice(db, admin, "Contoso", when=date(2026, 2, 10)).invoice.total == 0
    assert billing.client_invoice(db, admin, "Contoso", when=date(2026, 4, 2)).invoice.total == Decimal("60.00")


def test_S10_internal_org_counts_towards_the_tier_and_is_billed_discounted(db, admin):
    billing.set_tiers(db, admin, "0:0, 20:10")
    new_client(db, admin, "Northwind Internal", "teams-monthly", 15)
    new_client(db, admin, "Fabrikam", "enterprise-monthly", 5)
    clients.mark_internal(db, admin, "Northwind Internal")
    internal = billing.client_billing(db, admin, "Northwind Internal")
    assert internal.is_internal
    assert internal.percent == Decimal("10")
    assert internal.unit_price == Decimal("3.60")  # $4 portal rate − 10 %
    assert internal.monthly == Decimal("54.00")
    assert internal.invoice.lines[0].unit_price == Decimal("3.60")
    # Without the internal org's 15 seats the provider would be at 5 seats, below the 10 % tier.
    assert billing.summary(db, admin).cumulative_seats == 20


def test_consolidated_invoice_with_clients_below_and_above_the_minimums(db, admin):
    billing.set_billing_mode(db, admin, "consolidated")
    billing.set_seat_minimum(db, admin, "teams-monthly", 50)
    billing.set_seat_minimum(db, admin, "enterprise", 10)
    alpha = new_client(db, admin, "Alpha", "teams-monthly", 20)
    new_client(db, admin, "Bravo", "teams-annually", 10)  # managed as Teams (Monthly)
    new_client(db, admin, "Charlie", "enterprise-monthly", 25)
    inv = billing.consolidated_invoice(db, admin, when=date(2026, 5, 7))
    assert (inv.rows[0].id, inv.rows[-1].id) == (str(alpha.id), "")
    got = [(r.client, r.assigned, r.used, r.remaining, r.plan, r.total) for r in inv.rows]
    assert got == [
        ("Alpha", 20, 1, 19, PlanType.TEAMS_MONTHLY, Decimal("80.00")),
        ("Bravo", 10, 1, 9, PlanType.TEAMS_MONTHLY, Decimal("40.00")),
        ("Charlie", 25, 1, 24, PlanType.ENTERPRISE_MONTHLY, Decimal("150.00")),
        # Teams: 30 assigned below the minimum of 50 → 20 unassigned seats paid for.
        ("Unassigned seats", 20, 0, 20, PlanType.TEAMS_MONTHLY, Decimal("80.00")),
        # Enterprise: 25 assigned above the minimum of 10 → nothing unassigned.
        ("Unassigned seats", 0, 0, 0, PlanType.ENTERPRISE_MONTHLY, Decimal("0.00")),
    ]
    assert inv.total == Decimal("350.00")  # max(50, 30) × $4 + max(10, 25) × $6
    assert list(inv.rows[0].csv()) == ["Client", "Id", "Assigned", "Used", "Remaining", "Plan",
                                        "Estimated total"]
    assert billing.summary(db, admin).monthly_total == inv.total
    assert [(p.plan, p.minimum, p.assigned, p.billed_seats) for p in inv.plans] == [
        (PlanType.TEAMS_MONTHLY, 50, 30, 50), (PlanType.ENTERPRISE_MONTHLY, 10, 25, 25)]
    assert [e.detail for e in events_of(db, EventType.BILLING_MODE_CHANGED)] == [
        '{"mode":["per client","consolidated"]}']
    assert len(events_of(db, EventType.SEAT_MINIMUM_CHANGED)) == 2
    with pytest.raises(Refused) as exc:
        billing.set_payment_method(db, admin, "Alpha", CARD)
    assert exc.value.rule == "consolidated"


def test_consolidated_discount_applies_to_rows_and_unassigned_seats(db, admin):
    billing.set_billing_mode(db, admin, "consolidated")
    billing.set_tiers(db, admin, "0:12.5")
    billing.set_seat_minimum(db, admin, "enterprise-monthly", 7)
    new_client(db, admin, "Delta", "enterprise-annually", 3)
    inv = billing.consolidated_invoice(db, admin)
    # Enterprise $6 − 12.5 % = $5.25: 3 × 5.25 = 15.75; 4 unassigned × 5.25 = 21.00
    assert [(r.client, r.total) for r in inv.rows] == [("Delta", Decimal("15.75")),
                                                       ("Unassigned seats", Decimal("21.00"))]
    assert inv.total == Decimal("36.75")


def test_service_user_cannot_buy_seats_above_the_minimum(db, admin):
    billing.set_billing_mode(db, admin, "consolidated")
    billing.set_seat_minimum(db, admin, "teams", 50)
    new_client(db, admin, "Alpha", "teams-monthly", 20)
    new_client(db, admin, "Bravo", "teams-monthly", 10)
    sam = service_user(db, admin)
    clients.change_seats(db, sam, "Alpha", 40)  # 50 assigned: still within the minimum, no purchase
    with pytest.raises(Refused) as exc:
        clients.change_seats(db, sam, "Alpha", 41)  # 51 > 50: buys a seat
    assert exc.value.rule == "seat-minimum"
    assert exc.value.message.startswith("Service users cannot purchase additional seats.")
    assert clients.get_client(db, admin, "Alpha").seats == 40
    clients.change_seats(db, admin, "Alpha", 45)  # a Provider Admin may buy seats
    clients.change_seats(db, sam, "Alpha", 42)  # shrinking while above the minimum buys nothing
    with pytest.raises(Refused):
        clients.change_seats(db, sam, "Bravo", 11)  # growing while above the minimum buys seats
    billing.set_billing_mode(db, admin, "per-client")
    assert clients.change_seats(db, sam, "Bravo", 11).seats == 11  # per-client mode: no such rule


def test_payment_method_set_replaced_and_recorded(db, admin):
    new_client(db, admin, "Contoso", "teams-monthly", 5)
    view = billing.set_payment_method(db, admin, "Contoso", CARD)
    assert (view.kind, view.brand, view.last4, view.exp_month, view.exp_year, view.holder) == (
        "card", "Visa", "5556", 8, 2031, "Contoso AP")
    bank = billing.set_payment_method(db, admin, "Contoso", {"kind": "bank", "account": "000123456789",
                                                              "bank_name": "Harbor Bank"},
                                      expected_version=view.version)
    assert bank.label == "Bank account at Harbor Bank ending 6789"
    inv = billing.set_payment_method(db, admin, "Contoso", {"kind": "invoice"})
    assert inv.label == "Invoice (net 30)"
    changes = events_of(db, EventType.CLIENT_PAYMENT_METHOD_CHANGED)
    assert [e.provider_log for e in changes] == [True, True, True]
    assert '"none","Visa ending 5556, expires 08/2031"' in changes[0].detail
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(PaymentMethod)).scalar_one() == 1


def test_bad_card_writes_nothing(db, admin):
    new_client(db, admin, "Contoso", "teams-monthly", 5)
    before = len(events_of(db, EventType.CLIENT_PAYMENT_METHOD_CHANGED))
    with pytest.raises(BadInput):
        billing.set_payment_method(db, admin, "Contoso", dict(CARD, number="4000 0566 5566 5557"))
    with pytest.raises(BadInput):
        clients.create_client(db, admin, name="Fabrikam", plan="teams-monthly", seats=5,
                              owner_email="it@fabrikam.example", payment=dict(CARD, expiry="01/2020"))
    assert len(events_of(db, EventType.CLIENT_PAYMENT_METHOD_CHANGED)) == before
    assert clients.count_clients(db, admin) == 1
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(PaymentMethod)).scalar_one() == 0


def test_create_client_with_payment_is_one_transaction(db, admin):
    view = billing.create_client_with_payment(db, admin, name="Contoso", plan="teams-monthly", seats=5,
                                              owner_email="it@contoso.example", payment=CARD)
    assert billing.client_billing(db, admin, view.id).payment.label == "Visa ending 5556, expires 08/2031"
    created = events_of(db, EventType.CLIENT_CREATED)[-1]
    paid = events_of(db, EventType.CLIENT_PAYMENT_METHOD_CHANGED)[-1]
    assert paid.id == created.id + 1  # written in the same transaction, right after the creation


def test_tiers_editable_by_provider_admins_only_and_each_change_an_event(db, admin):
    sam = service_user(db, admin)
    assert billing.tier_schedule(db, admin).is_default
    with pytest.raises(Refused) as exc:
        billing.set_tiers(db, sam, "0:0,10:50")
    assert exc.value.rule == "S4"
    sched = billing.set_tiers(db, admin, "0:0, 10:7.5")
    assert not sched.is_default and [t.percent for t in sched.tiers] == [Decimal("0"), Decimal("7.5")]
    assert billing.set_tiers(db, admin, None).is_default
    assert [e.detail for e in events_of(db, EventType.DISCOUNT_TIERS_CHANGED)] == [
        '{"tiers":["default","0+ 0%, 10+ 7.5%"]}', '{"tiers":["0+ 0%, 10+ 7.5%","default"]}']
    new_client(db, admin, "Contoso", "teams-monthly", 5)
    for fn in (lambda a: billing.set_billing_mode(db, a, "consolidated"),
               lambda a: billing.set_seat_minimum(db, a, "teams", 5),
               lambda a: billing.set_payment_method(db, a, "Contoso", {"kind": "invoice"})):
        with pytest.raises(Refused) as exc:
            fn(sam)
        assert exc.value.rule == "S4"


def test_run_rate_pages_cover_every_client(db, admin):
    for i in range(5):
        new_client(db, admin, f"Client {i}", "enterprise-monthly", 10 + i)
    billing.set_payment_method(db, admin, "Client 2", {"kind": "invoice"})
    rows, cursor = billing.run_rate_page(db, admin, limit=3)
    more, end = billing.run_rate_page(db, admin, after=cursor, limit=3)
    assert end is None
    assert [r.name for r in rows + more] == [f"Client {i}" for i in range(5)]
    assert [r.monthly for r in rows + more] == [Decimal(6 * (10 + i)).quantize(Decimal("0.01")) for i in range(5)]
    assert [r.payment for r in rows + more].count("none") == 4
    assert billing.summary(db, admin).without_payment == 4


def test_existing_org_added_mid_month_is_billed_from_the_day_it_was_added(db, admin):
    from msp_tui.core import crypto, keys
    from msp_tui.core.enums import MemberRole, MemberStatus
    from msp_tui.core.models import Account, Member, Organization

    clock.freeze(datetime(2026, 1, 10, 9, 0))
    with db.write() as s:  # an organization the admin owns that no provider manages yet
        me = s.get(Account, admin.account_id)
        org = Organization(name="Lovelace Labs", name_lower="lovelace labs", plan_type=17, seats=10,
                           occupied_seats=1, seats_remaining=9, billing_email=me.email, status=1)
        s.add(org)
        s.flush()
        s.add(Member(organization_id=org.id, account_id=me.id, email=me.email, role=int(MemberRole.OWNER),
                     status=int(MemberStatus.CONFIRMED),
                     key=keys.seal_org_key_for_member(crypto.random_key(), org.id, me.public_key)))
    clock.freeze(datetime(2026, 4, 21, 11, 0))
    clients.add_existing(db, admin, "Lovelace Labs")
    inv = billing.client_invoice(db, admin, "Lovelace Labs", when=date(2026, 4, 28)).invoice
    # 10 seats × $4 for 21–30 April: 10 of 30 days = 13.333… → 13.33
    assert [(ln.seats, ln.start, ln.days, ln.amount) for ln in inv.lines] == [
        (10, date(2026, 4, 21), 10, Decimal("13.33"))]
