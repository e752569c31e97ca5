"""The money rules, pure: prices as data, discount tiers, cards, proration by day, invoice lines.

Nothing here touches the database; `core.services.billing` feeds these functions rows it read.

THE ROUNDING RULE (the only one): every amount is computed exactly with Decimal — unit prices are
never rounded — and each invoice line (or consolidated row) is rounded ONCE, to the cent, half up
(`ROUND_HALF_UP`). Totals are the sums of the rounded lines, so the lines always add up to the total.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from msp_tui.core.enums import PlanType
from msp_tui.core.errors import BadInput

CURRENCY = "USD"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """The rounding rule: to the cent, half up. Applied once per invoice line, nowhere else."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal, currency: str = CURRENCY, *, exact: bool = False) -> str:
    """'$1,234.50' for USD; other currencies as '1,234.50 EUR'. `exact` keeps a unit price's extra
    decimals ('$5.325') instead of showing it to the cent."""
    if exact and amount != to_cents(amount):
        text = f"{amount.normalize():,f}"
    else:
        text = f"{to_cents(amount):,.2f}"
    return f"${text}" if currency == "USD" else f"{text} {currency}"


# --- prices as data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """Seat prices of one plan, per seat per month, in `currency`."""

    plan: PlanType
    #: The list price per seat per month (annual plans: the yearly price / 12).
    list_monthly: Decimal
    #: The provider-portal rate per seat per month, before the reseller discount.
    portal_monthly: Decimal
    #: Months in one billing period: 1 (monthly) or 12 (annual).
    period_months: int
    currency: str = CURRENCY

    @property
    def cadence(self) -> str:
        return "annual" if self.period_months == 12 else "monthly"


#: PRODUCT.md §5 and reference §2.2: list Teams $5 monthly / $4 annual, Enterprise $7 / $6;
#: provider-portal rate Teams $4, Enterprise $6 per seat per month.
PRICES: dict[PlanType, Price] = {p.plan: p for p in (
    Price(PlanType.TEAMS_MONTHLY, Decimal("5"), Decimal("4"), 1),
    Price(PlanType.TEAMS_ANNUALLY, Decimal("4"), Decimal("4"), 12),
    Price(PlanType.ENTERPRISE_MONTHLY, Decimal("7"), Decimal("6"), 1),
    Price(PlanType.ENTERPRISE_ANNUALLY, Decimal("6"), Decimal("6"), 12),
)}

#: In consolidated mode every client is on its product's managed monthly plan (reference §2.3).
MANAGED_PLAN: dict[PlanType, PlanType] = {
    PlanType.TEAMS_MONTHLY: PlanType.TEAMS_MONTHLY,
    PlanType.TEAMS_ANNUALLY: PlanType.TEAMS_MONTHLY,
    PlanType.ENTERPRISE_MONTHLY: PlanType.ENTERPRISE_MONTHLY,
    PlanType.ENTERPRISE_ANNUALLY: PlanType.ENTERPRISE_MONTHLY,
}
CONSOLIDATED_PLANS = (PlanType.TEAMS_MONTHLY, PlanType.ENTERPRISE_MONTHLY)


def price(plan: PlanType | int) -> Price:
    return PRICES[PlanType(plan)]


def discounted(amount: Decimal, percent: Decimal) -> Decimal:
    """amount × (100 − percent) / 100, exact (the reference's discountedSeatPrice)."""
    return amount * (HUNDRED - percent) / HUNDRED


def unit_price(plan: PlanType | int, percent: Decimal) -> Decimal:
    """The discounted provider-portal price of one seat for one month, unrounded."""
    return discounted(price(plan).portal_monthly, percent)


# --- discount tiers ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Tier:
    """From `min_seats` cumulative seats under management on, `percent` off the seat price."""

    min_seats: int
    percent: Decimal

    @property
    def label(self) -> str:
        return f"{self.min_seats:,}+ seats: {self.percent.normalize():f}% off"


#: The shipped default schedule (msp-tui's own; the reference says "contact sales").
DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(0, Decimal("0")),
    Tier(100, Decimal("5")),
    Tier(250, Decimal("10")),
    Tier(1000, Decimal("15")),
    Tier(5000, Decimal("20")),
    Tier(25000, Decimal("25")),
)


def check_tiers(pairs) -> tuple[Tier, ...]:
    """Validate a schedule of (minimum seats, percent off); the first tier must start at 0 seats."""
    tiers: list[Tier] = []
    for entry in pairs:
        try:
            min_seats, pct = entry
            min_seats = int(min_seats)
            pct = Decimal(str(pct).strip().rstrip("%"))
        except (ValueError, TypeError, ArithmeticError):
            shown = ":".join(str(x) for x in entry) if isinstance(entry, (tuple, list)) else str(entry)
            raise BadInput(f"A tier is 'minimum seats:percent', like 100:5, not {shown!r}.", "tiers") from None
        if min_seats < 0:
            raise BadInput("A tier's minimum seats cannot be negative.", "tiers")
        if not pct.is_finite() or pct < 0 or pct > 100 or pct != pct.quantize(CENT):
            raise BadInput(f"A tier's discount is a percent from 0 to 100 with at most two decimals; "
                           f"not {pct}.", "tiers")
        tiers.append(Tier(min_seats, pct))
    tiers.sort()
    if not tiers:
        raise BadInput("A discount schedule needs at least one tier.", "tiers")
    if tiers[0].min_seats != 0:
        raise BadInput("The first tier must start at 0 seats.", "tiers")
    for a, b in zip(tiers, tiers[1:]):
        if a.min_seats == b.min_seats:
            raise BadInput(f"Two tiers start at {a.min_seats} seats.", "tiers")
        if b.percent < a.percent:
            raise BadInput("A tier with more seats cannot have a smaller discount.", "tiers")
    return tuple(tiers)


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """'0:0,100:5,250:10' → tiers."""
    pairs = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if ":" not in part:
            raise BadInput(f"A tier is 'minimum seats:percent', like 100:5, not {part!r}.", "tiers")
        pairs.append(tuple(x.strip() for x in part.split(":", 1)))
    return check_tiers(pairs)


@dataclass(frozen=True)
class TierProgress:
    seats: int
    current: Tier
    next: Tier | None

    @property
    def seats_away(self) -> int | None:
        return None if self.next is None else self.next.min_seats - self.seats

    @property
    def text(self) -> str:
        now = f"{self.current.percent.normalize():f}% off at {self.seats:,} seats"
        if self.next is None:
            return f"{now}; top tier"
        return (f"{now}; next tier {self.next.percent.normalize():f}% off at {self.next.min_seats:,} seats, "
                f"{self.seats_away:,} seat{'s' if self.seats_away != 1 else ''} away")


def tier_for(seats: int, tiers: tuple[Tier, ...]) -> TierProgress:
    current, nxt = tiers[0], None
    for t in tiers:
        if t.min_seats <= seats:
            current = t
        elif nxt is None:
            nxt = t
    return TierProgress(seats, current, nxt)


# --- payment methods ----------------------------------------------------------------------------

NET_DAYS = 30

#: Brand by number prefix (IIN ranges), checked in order; lengths allowed per brand.
_BRANDS = (
    ("American Express", ("34", "37"), (15,)),
    ("Mastercard", tuple(str(n) for n in range(51, 56)) + tuple(str(n) for n in range(2221, 2721)), (16,)),
    ("Discover", ("6011", "65") + tuple(str(n) for n in range(644, 650)), (16, 19)),
    ("JCB", tuple(str(n) for n in range(3528, 3590)), (16, 19)),
    ("Diners Club", ("36", "38", "39", "300", "301", "302", "303", "304", "305"), (14, 16)),
    ("Visa", ("4",), (13, 16, 19)),
)


@dataclass(frozen=True)
class CardOnFile:
    """All that is kept of a card: never the full number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder: str

    @property
    def label(self) -> str:
        return f"{self.brand} ending {self.last4}, expires {self.exp_month:02d}/{self.exp_year}"


@dataclass(frozen=True)
class BankOnFile:
    bank_name: str
    last4: str

    @property
    def label(self) -> str:
        return f"Bank account at {self.bank_name} ending {self.last4}"


@dataclass(frozen=True)
class InvoiceTerms:
    net_days: int = NET_DAYS

    @property
    def label(self) -> str:
        return f"Invoice (net {self.net_days})"


PaymentOnFile = CardOnFile | BankOnFile | InvoiceTerms


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    for name, prefixes, lengths in _BRANDS:
        if len(digits) in lengths and digits.startswith(prefixes):
            return name
    return None


def _digits(number: str) -> str:
    """Strip spaces and dashes; BadInput (never naming the number) for anything else."""
    if not isinstance(number, str):
        raise BadInput("The card number must be text.", "number")
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        raise BadInput("A card number has digits only (spaces and dashes are fine).", "number")
    return digits


def _text(value, field: str, limit: int, what: str) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        raise BadInput(f"{what} is required.", field)
    if len(value) > limit or any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 for ch in value):
        raise BadInput(f"{what} must be at most {limit} printable characters.", field)
    return value


def check_card(number: str, exp_month, exp_year, holder: str, *, today: date) -> CardOnFile:
    """Validate a card and return what may be kept. Messages never contain the number."""
    digits = _digits(number)
    if not 12 <= len(digits) <= 19:
        raise BadInput("A card number has 12 to 19 digits.", "number")
    if not luhn_ok(digits):
        raise BadInput("That card number is not valid (it fails the Luhn check); check for a typo.", "number")
    brand = card_brand(digits)
    if brand is None:
        raise BadInput("Unknown card brand: use Visa, Mastercard, American Express, Discover, JCB or "
                       "Diners Club.", "number")
    try:
        month, year = int(exp_month), int(exp_year)
    except (TypeError, ValueError):
        raise BadInput("The expiry is a month and a year, like 08/2029.", "expiry") from None
    if year < 100:
        year += 2000
    if not 1 <= month <= 12 or year > today.year + 30:
        raise BadInput("The expiry is a month and a year, like 08/2029.", "expiry")
    if (year, month) < (today.year, today.month):
        raise BadInput(f"The card expired at the end of {month:02d}/{year}.", "expiry")
    last4 = digits[-4:]
    del digits
    return CardOnFile(brand, last4, month, year, _text(holder, "holder", 100, "The card holder's name"))


def parse_expiry(text: str) -> tuple[int, int]:
    """'08/29', '8/2029' or '2029-08' → (8, 2029)."""
    text = (text or "").strip()
    for sep in ("/", "-"):
        if sep in text:
            a, b = (p.strip() for p in text.split(sep, 1))
            if len(a) == 4 and a.isdigit() and b.isdigit():
                a, b = b, a
            if a.isdigit() and b.isdigit():
                year = int(b)
                return int(a), year + 2000 if year < 100 else year
    raise BadInput("The expiry is a month and a year, like 08/2029.", "expiry")


def check_bank(account_number: str, bank_name: str) -> BankOnFile:
    """A bank account: only its bank's name and the last four digits of the number are kept."""
    digits = (account_number or "").replace(" ", "").replace("-", "") if isinstance(account_number, str) else ""
    if not digits.isascii() or not digits.isalnum() or not 4 <= len(digits) <= 34:
        raise BadInput("A bank account number has 4 to 34 letters or digits.", "account")
    return BankOnFile(_text(bank_name, "bank_name", 100, "The bank's name"), digits[-4:].upper())


# --- periods and proration by day ---------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, calendar.monthrange(d.year + y, m + 1)[1]))


def period_for(plan: PlanType | int, anchor: date, when: date) -> tuple[date, date]:
    """The billing period [start, end) holding `when`.

    Monthly plans bill by calendar month; annual plans by 12 months starting on the first day of
    the month the client was created in (its anniversary)."""
    months = price(plan).period_months
    first = date(when.year, when.month, 1)
    if months == 1:
        return first, add_months(first, 1)
    start = date(when.year, anchor.month, 1)
    if start > when:
        start = add_months(start, -12)
    return start, add_months(start, 12)


@dataclass(frozen=True)
class InvoiceLine:
    plan: PlanType
    seats: int
    start: date
    end: date  # exclusive
    period_days: int
    unit_price: Decimal  # discounted, per seat for the whole period, unrounded
    amount: Decimal  # rounded to the cent (the rule)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def text(self) -> str:
        share = "" if self.days == self.period_days else f" × {self.days}/{self.period_days} days"
        return f"{self.seats} seats × {money(self.unit_price, exact=True)}{share}"


@dataclass(frozen=True)
class Invoice:
    period_start: date
    period_end: date  # exclusive
    plan: PlanType
    percent: Decimal
    lines: tuple[InvoiceLine, ...]
    currency: str = CURRENCY

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def due(self) -> date:
        return self.period_end


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def prorate(history: list[tuple[datetime | date, int, int]], start: date, end: date,
            percent: Decimal) -> tuple[InvoiceLine, ...]:
    """Invoice lines for [start, end) from a seat history of (changed at, seats, plan type).

    A change counts from the start of the day it was made on (the last change of a day wins);
    each stretch of days with the same seats and plan is one line: seats × unit price × days / days
    in the period, rounded to the cent (the rule)."""
    period_days = (end - start).days
    state: tuple[int, int] | None = None
    changes: dict[date, tuple[int, int]] = {}
    for day, seats, plan in sorted(((_day(h[0]), h[1], h[2]) for h in history), key=lambda h: h[0]):
        if day <= start:
            state = (seats, plan)
        elif day < end:
            changes[day] = (seats, plan)
    points = [(start, state)] + sorted(changes.items())
    stretches: list[list] = []  # [first day, day after, (seats, plan)]
    for i, (day, st) in enumerate(points):
        stop = points[i + 1][0] if i + 1 < len(points) else end
        if stretches and stretches[-1][2] == st:
            stretches[-1][1] = stop  # the same seats again: one longer stretch
        else:
            stretches.append([day, stop, st])
    lines = []
    for day, stop, st in stretches:
        if st is None or st[0] <= 0 or stop <= day:
            continue
        seats, plan = st
        unit = unit_price(plan, percent) * price(plan).period_months
        amount = to_cents(Decimal(seats) * unit * Decimal((stop - day).days) / Decimal(period_days))
        lines.append(InvoiceLine(PlanType(plan), seats, day, stop, period_days, unit, amount))
    return tuple(lines)


def billed_history(history: list[tuple], managed_since: datetime | date, fallback: tuple[int, int]
                   ) -> list[tuple]:
    """A client's seat history as billed: nothing before it came under management, then the seats it
    had on that day (the last change at or before it; else the first known, else `fallback`)."""
    since = _day(managed_since)
    before = [h for h in history if _day(h[0]) <= since]
    after = [h for h in history if _day(h[0]) > since]
    seats, plan = (before[-1][1:] if before else after[0][1:] if after else fallback)
    return [(date.min, 0, plan), (since, seats, plan), *after]


def consolidated_unit(plan: PlanType | int, percent: Decimal) -> Decimal:
    """Consolidated mode: the managed monthly plan's discounted provider-portal seat price."""
    return unit_price(MANAGED_PLAN[PlanType(plan)], percent)


def unassigned_seats(minimum: int, assigned: int) -> int:
    """Consolidated mode: the provider pays max(minimum, assigned) seats of a plan, so the gap
    below the minimum is billed as an "Unassigned seats" row."""
    return max(0, minimum - assigned)
