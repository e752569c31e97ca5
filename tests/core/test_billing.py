"""The pure money rules: prices, tiers, cards, proration by day, the rounding rule."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from msp_tui.core import billing
from msp_tui.core.enums import PlanType
from msp_tui.core.errors import BadInput

TODAY = date(2026, 11, 25)
VISA = "4242 4242 4242 4242"


def test_prices_are_data_with_currency():
    assert billing.price(PlanType.TEAMS_MONTHLY).list_monthly == Decimal("5")
    assert billing.price(PlanType.TEAMS_ANNUALLY).list_monthly == Decimal("4")
    assert billing.price(PlanType.ENTERPRISE_MONTHLY).list_monthly == Decimal("7")
    assert billing.price(PlanType.ENTERPRISE_ANNUALLY).list_monthly == Decimal("6")
    assert billing.price(PlanType.TEAMS_MONTHLY).portal_monthly == Decimal("4")
    assert billing.price(PlanType.ENTERPRISE_MONTHLY).portal_monthly == Decimal("6")
    assert {p.currency for p in billing.PRICES.values()} == {"USD"}
    assert billing.price(PlanType.ENTERPRISE_ANNUALLY).cadence == "annual"


def test_rounding_rule_is_half_up_to_the_cent():
    assert billing.to_cents(Decimal("0.005")) == Decimal("0.01")
    assert billing.to_cents(Decimal("0.015")) == Decimal("0.02")  # not banker's rounding
    assert billing.to_cents(Decimal("2.675")) == Decimal("2.68")
    assert billing.to_cents(Decimal("2.6749")) == Decimal("2.67")


def test_discounted_unit_price_is_exact():
    assert billing.unit_price(PlanType.TEAMS_MONTHLY, Decimal("5")) == Decimal("3.8")
    assert billing.unit_price(PlanType.ENTERPRISE_MONTHLY, Decimal("11.25")) == Decimal("5.325")
    assert billing.money(Decimal("5.325"), exact=True) == "$5.325"
    assert billing.money(Decimal("1234.5")) == "$1,234.50"


@pytest.mark.parametrize("seats,current,nxt,away", [
    (0, 0, 100, 100), (99, 0, 100, 1), (100, 5, 250, 150), (24999, 20, 25000, 1), (25000, 25, None, None)])
def test_tier_progress_on_the_default_schedule(seats, current, nxt, away):
    p = billing.tier_for(seats, billing.DEFAULT_TIERS)
    assert p.current.percent == current
    assert (p.next.min_seats if p.next else None) == nxt
    assert p.seats_away == away


def test_tier_schedule_validation():
    assert billing.parse_tiers("0:0, 50:2.5, 10:1") == (
        billing.Tier(0, Decimal("0")), billing.Tier(10, Decimal("1")), billing.Tier(50, Decimal("2.5")))
    for bad in ["10:5", "0:0,0:5", "0:10,50:5", "0:101", "0:-1", "0:1.234", "0", "a:b", ""]:
        with pytest.raises(BadInput):
            billing.parse_tiers(bad)


@pytest.mark.parametrize("number,brand", [
    ("4242424242424242", "Visa"), ("4000 0566 5566 5556", "Visa"), ("5555-5555-5555-4444", "Mastercard"),
    ("2223003122003222", "Mastercard"), ("378282246310005", "American Express"),
    ("6011111111111117", "Discover"), ("3566002020360505", "JCB"), ("36227206271667", "Diners Club")])
def test_card_brand_from_number(number, brand):
    card = billing.check_card(number, 12, 2030, "Ada Lovelace", today=TODAY)
    assert card.brand == brand
    assert card.last4 == number.replace(" ", "").replace("-", "")[-4:]
    assert set(vars(card)) == {"brand", "last4", "exp_month", "exp_year", "holder"}


def test_card_checks_never_repeat_the_number():
    cases = [("4242424242424241", 12, 2030), ("4242 4242 4242 4242", 10, 2026), ("4242x4242", 1, 2030),
             ("9999999999999995", 1, 2030), ("4242424242424242", 13, 2030)]
    for number, month, year in cases:
        with pytest.raises(BadInput) as exc:
            billing.check_card(number, month, year, "Ada", today=TODAY)
        digits = number.replace(" ", "")
        assert digits not in str(exc.value) and number not in str(exc.value)
        assert digits[:6] not in str(exc.value)
        assert exc.value.__cause__ is None


def test_card_expiry_this_month_is_still_valid():
    assert billing.check_card(VISA, 11, 2026, "Ada", today=TODAY).exp_year == 2026
    with pytest.raises(BadInput, match="expired"):
        billing.check_card(VISA, 10, 26, "Ada", today=TODAY)
    assert billing.parse_expiry("08/29") == (8, 2029)
    assert billing.parse_expiry("2029-08") == (8, 2029)


def test_bank_keeps_last_four_and_bank_name():
    bank = billing.check_bank("DE89 3704 0044 0532 0130 00", "Harbor Bank")
    assert (bank.last4, bank.bank_name) == ("3000", "Harbor Bank")
    with pytest.raises(BadInput):
        billing.check_bank("12", "Harbor Bank")


def test_mid_month_seat_increase_prorated_to_the_cent():
    # Teams monthly at the portal rate $4, no discount; 10 seats, 15 from 16 March (31-day month).
    history = [(datetime(2026, 1, 5, 9), 10, 17), (datetime(2026, 3, 16, 14, 30), 15, 17)]
    lines = billing.prorate(history, date(2026, 3, 1), date(2026, 4, 1), Decimal("0"))
    assert [(ln.seats, ln.days, ln.amount) for ln in lines] == [
        (10, 15, Decimal("19.35")),  # 10 × 4 × 15/31 = 19.3548…
        (15, 16, Decimal("30.97")),  # 15 × 4 × 16/31 = 30.9677…
    ]
    assert sum(ln.amount for ln in lines) == Decimal("50.32")


def test_changes_on_one_day_count_the_last_and_creation_mid_period_prorates():
    history = [(datetime(2026, 2, 10, 9), 5, 19), (datetime(2026, 2, 10, 17), 8, 19)]
    lines = billing.prorate(history, date(2026, 2, 1), date(2026, 3, 1), Decimal("10"))
    # Enterprise $6 − 10 % = $5.40; 8 seats for 19 of 28 days = 29.314… → 29.31
    assert [(ln.seats, ln.days, ln.amount) for ln in lines] == [(8, 19, Decimal("29.31"))]


def test_annual_plan_period_and_proration():
    start, end = billing.period_for(PlanType.TEAMS_ANNUALLY, date(2025, 6, 12), date(2026, 3, 3))
    assert (start, end) == (date(2025, 6, 1), date(2026, 6, 1))
    history = [(datetime(2025, 6, 12), 10, 18), (datetime(2026, 3, 3), 12, 18)]
    lines = billing.prorate(history, start, end, Decimal("0"))
    # $48 per seat-year, created 12 June: 10 seats 264 of 365 days = 347.178… ; 12 seats 90 days = 142.027…
    assert [(ln.seats, ln.days, ln.amount) for ln in lines] == [
        (10, 264, Decimal("347.18")), (12, 90, Decimal("142.03"))]


def test_billed_history_starts_when_the_client_came_under_management():
    history = [(datetime(2025, 1, 10), 10, 17), (datetime(2026, 2, 3), 12, 17), (datetime(2026, 4, 25), 20, 17)]
    billed = billing.billed_history(history, datetime(2026, 4, 21, 15, 0), (99, 17))
    lines = billing.prorate(billed, date(2026, 4, 1), date(2026, 5, 1), Decimal("0"))
    # Nothing before 21 April; 12 seats 21–24 April (4 of 30 days) = 6.40; 20 seats 6 days = 16.00
    assert [(ln.seats, ln.start, ln.days, ln.amount) for ln in lines] == [
        (12, date(2026, 4, 21), 4, Decimal("6.40")), (20, date(2026, 4, 25), 6, Decimal("16.00"))]
    assert billing.billed_history([], date(2026, 4, 21), (7, 19))[1:] == [(date(2026, 4, 21), 7, 19)]
