"""Billing use cases: payment methods, discount tiers, billing mode, seat minimums, invoices (S9, S10, B1).

Who sees what (S9): any confirmed provider staff sees a client's billing (plan, seats, seat price,
run-rate); provider-wide figures, tiers, invoices and payment methods are for Provider Admins; a
client's own members see none of it. The money rules themselves live in `core.billing`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import String, cast, delete, exists, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from msp_tui.core import billing, clock, events
from msp_tui.core.access import Action, Kind, check, decide, standing_for
from msp_tui.core.billing import (CONSOLIDATED_PLANS, MANAGED_PLAN, BankOnFile, CardOnFile, Invoice,
                                  InvoiceTerms, PaymentOnFile, Tier, TierProgress)
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, PlanType
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import (Client, DiscountTier, Organization, PaymentMethod, Provider, ProviderPlan,
                                 SeatChange)
from msp_tui.core.scope import in_group
from msp_tui.core.services.common import check_version, collector_paused, find_client, touch

MODES = {"per_client": "per client", "consolidated": "consolidated"}
UNASSIGNED = "Unassigned seats"
CSV_COLUMNS = ["Client", "Id", "Assigned", "Used", "Remaining", "Plan", "Estimated total"]


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentView:
    kind: str  # 'card' | 'bank' | 'invoice'
    label: str
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    holder: str | None = None
    bank_name: str | None = None
    net_days: int | None = None
    version: int = 0


@dataclass(frozen=True)
class TierSchedule:
    tiers: tuple[Tier, ...]
    is_default: bool
    progress: TierProgress

    @property
    def percent(self) -> Decimal:
        return self.progress.current.percent


@dataclass(frozen=True)
class ClientBilling:
    """One client's billing as its billing tab shows it."""

    client_id: uuid.UUID
    name: str
    plan: PlanType
    cadence: str
    seats: int
    used: int
    is_internal: bool
    mode: str
    currency: str
    list_monthly: Decimal
    portal_monthly: Decimal
    #: Discounted provider-portal seat price per month, unrounded.
    unit_price: Decimal
    #: seats × unit_price, to the cent: what this client costs per month now.
    monthly: Decimal
    #: Provider Admins only (None for Service Users): the payment method and this period's invoice.
    admin_view: bool
    payment: PaymentView | None = None
    invoice: Invoice | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class RunRateRow:
    client_id: uuid.UUID
    name: str
    plan: PlanType
    seats: int
    used: int
    is_internal: bool
    unit_price: Decimal
    monthly: Decimal
    payment: str


@dataclass(frozen=True)
class PlanTotals:
    plan: PlanType
    clients: int
    assigned: int
    used: int
    minimum: int
    billed_seats: int
    unit_price: Decimal
    total: Decimal

    @property
    def unassigned(self) -> int:
        return billing.unassigned_seats(self.minimum, self.assigned)


@dataclass(frozen=True)
class BillingSummary:
    mode: str
    currency: str
    clients: int
    cumulative_seats: int
    schedule: TierSchedule
    #: Per-client mode: the sum of every client's monthly run-rate. Consolidated: the monthly invoice.
    monthly_total: Decimal
    plans: tuple[PlanTotals, ...]
    without_payment: int

    @property
    def mode_label(self) -> str:
        return MODES[self.mode]


class InvoiceRow(NamedTuple):
    """One row of the consolidated invoice (CSV: Client, Id, Assigned, Used, Remaining, Plan, Estimated total).

    A tuple, not a dataclass: a provider with 100,000 clients builds 100,000 of these per invoice."""

    client: str
    id: str  # the client's id as text ('' for an "Unassigned seats" row)
    assigned: int
    used: int
    remaining: int
    plan: PlanType
    total: Decimal

    def csv(self) -> dict:
        return {"Client": self.client, "Id": self.id, "Assigned": self.assigned, "Used": self.used,
                "Remaining": self.remaining, "Plan": self.plan.label, "Estimated total": self.total}


@dataclass(frozen=True)
class ConsolidatedInvoice:
    period_start: date
    period_end: date
    percent: Decimal
    currency: str
    rows: list[InvoiceRow]
    plans: tuple[PlanTotals, ...]

    @property
    def total(self) -> Decimal:
        return sum((r.total for r in self.rows), Decimal("0.00"))


@dataclass(frozen=True)
class ClientInvoice:
    client_id: uuid.UUID
    name: str
    invoice: Invoice
    payment: str


# --- shared reads -------------------------------------------------------------------------------


def _provider(s: Session, provider_id: uuid.UUID | None) -> Provider:
    provider = s.get(Provider, provider_id) if provider_id else None
    if provider is None:
        raise NotFound("No provider.", "provider")
    return provider


def _clients_of(provider_id: uuid.UUID):
    return Client.provider_id == provider_id


def cumulative_seats(s: Session, provider_id: uuid.UUID) -> int:
    """S10: seats of every Teams and Enterprise client under management, the internal org included."""
    return s.execute(select(func.coalesce(func.sum(Organization.seats), 0))
                     .join(Client, Client.organization_id == Organization.id)
                     .where(_clients_of(provider_id),
                            Organization.plan_type.in_([int(p) for p in PlanType]))).scalar_one()


def _tiers(s: Session, provider_id: uuid.UUID) -> tuple[tuple[Tier, ...], bool]:
    rows = s.execute(select(DiscountTier.min_seats, DiscountTier.basis_points)
                     .where(DiscountTier.provider_id == provider_id).order_by(DiscountTier.min_seats)).all()
    if not rows:
        return billing.DEFAULT_TIERS, True
    return tuple(Tier(m, Decimal(bp) / 100) for m, bp in rows), False


def schedule(s: Session, provider_id: uuid.UUID) -> TierSchedule:
    tiers, is_default = _tiers(s, provider_id)
    return TierSchedule(tiers, is_default, billing.tier_for(cumulative_seats(s, provider_id), tiers))


def _minimums(s: Session, provider_id: uuid.UUID) -> dict[PlanType, int]:
    rows = s.execute(select(ProviderPlan.plan_type, ProviderPlan.seat_minimum)
                     .where(ProviderPlan.provider_id == provider_id)).all()
    out = {p: 0 for p in CONSOLIDATED_PLANS}
    out.update({PlanType(p): m for p, m in rows})
    return out


def _payment_view(pm: PaymentMethod | None) -> PaymentView | None:
    if pm is None:
        return None
    if pm.kind == "card":
        label = CardOnFile(pm.brand, pm.last4, pm.exp_month, pm.exp_year, pm.holder).label
    elif pm.kind == "bank":
        label = BankOnFile(pm.bank_name, pm.last4).label
    else:
        label = InvoiceTerms(pm.net_days or billing.NET_DAYS).label
    return PaymentView(pm.kind, label, pm.brand, pm.last4, pm.exp_month, pm.exp_year, pm.holder,
                       pm.bank_name, pm.net_days, pm.version)


def _method_label(kind, brand, last4, exp_month, exp_year, bank_name, net_days) -> str:
    if kind == "card":
        return CardOnFile(brand, last4, exp_month, exp_year, "").label
    if kind == "bank":
        return BankOnFile(bank_name, last4).label
    if kind == "invoice":
        return InvoiceTerms(net_days or billing.NET_DAYS).label
    return "no payment method"


def _payment_label(kind, brand, last4, net_days) -> str:
    if kind is None:
        return "none"
    if kind == "card":
        return f"{brand} ••{last4}"
    if kind == "bank":
        return f"bank ••{last4}"
    return f"invoice net {net_days or billing.NET_DAYS}"


def _history(s: Session, org_id: uuid.UUID) -> list[tuple]:
    return [tuple(r) for r in s.execute(
        select(SeatChange.changed_at, SeatChange.seats, SeatChange.plan_type)
        .where(SeatChange.organization_id == org_id).order_by(SeatChange.changed_at, SeatChange.id))]


def _invoice_from(org_created, linked, seats: int, plan_type: int, history: list[tuple], percent: Decimal,
                  when: date) -> Invoice:
    """The invoice of the period holding `when`, billed from the day the client came under management."""
    since = max(linked or org_created, org_created)
    billed = billing.billed_history(history, since, (seats, plan_type))
    start, end = billing.period_for(plan_type, since.date(), when)
    return Invoice(start, end, PlanType(plan_type), percent, billing.prorate(billed, start, end, percent))


def _invoice_for(s: Session, org: Organization, percent: Decimal, when: date) -> Invoice:
    linked = s.execute(select(Client.created_at).where(Client.organization_id == org.id)).scalar()
    return _invoice_from(org.created_at, linked, org.seats, org.plan_type, _history(s, org.id), percent, when)


# --- client billing (any provider staff) ---------------------------------------------------------


def client_payment(db: Database, actor: Actor, client: str | uuid.UUID) -> ClientBilling:
    """A client's billing with its payment method: Provider Admins only, as every payment detail."""
    from msp_tui.core.services.members import _org_for

    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_BILLING, organization_id=_org_for(s, actor, client).id)
    return client_billing(db, actor, client)


def client_billing(db: Database, actor: Actor, client: str | uuid.UUID, *, when: date | None = None
                   ) -> ClientBilling:
    """A client's billing tab. Provider staff only (S9); payment and invoice for Provider Admins."""
    from msp_tui.core.services.members import _org_for

    with db.read() as s:
        org = _org_for(s, actor, client)
        standing = check(s, actor, Action.VIEW_CLIENT_BILLING, organization_id=org.id)
        provider = _provider(s, standing.provider_id)
        sched = schedule(s, provider.id)
        pct = sched.percent
        admin = bool(decide(standing_for(s, actor, provider_id=provider.id), Action.VIEW_PROVIDER_BILLING))
        plan = PlanType(org.plan_type)
        p = billing.price(plan)
        unit = billing.unit_price(plan, pct)
        payment = invoice = None
        if admin:
            payment = _payment_view(s.execute(select(PaymentMethod).where(
                PaymentMethod.organization_id == org.id)).scalar_one_or_none())
            if provider.billing_mode == "per_client":
                invoice = _invoice_for(s, org, pct, when or clock.now().date())
        return ClientBilling(
            client_id=org.id, name=org.name, plan=plan, cadence=p.cadence, seats=org.seats,
            used=org.occupied_seats, is_internal=org.is_internal, mode=provider.billing_mode,
            currency=p.currency, list_monthly=p.list_monthly, portal_monthly=p.portal_monthly, unit_price=unit,
            monthly=billing.to_cents(Decimal(org.seats) * unit), admin_view=admin, payment=payment,
            invoice=invoice, percent=pct if admin else None)


# --- provider-wide (Provider Admins) ---------------------------------------------------------------


def tier_schedule(db: Database, actor: Actor) -> TierSchedule:
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_BILLING)
        return schedule(s, actor.provider_id)


def _seat_groups(s: Session, provider_id: uuid.UUID, group: uuid.UUID | None = None):
    """(plan type, seats, clients, used) groups: enough to add up exact per-client rows in SQL
    (only the clients of client group `group`, when given)."""
    stmt = (select(Organization.plan_type, Organization.seats, func.count(), func.sum(Organization.occupied_seats))
            .join(Client, Client.organization_id == Organization.id).where(_clients_of(provider_id)))
    if group is not None:
        stmt = stmt.where(in_group(Organization.id, group))
    return s.execute(stmt.group_by(Organization.plan_type, Organization.seats)).all()


def _plan_totals(groups, percent: Decimal, minimums: dict[PlanType, int], consolidated: bool
                 ) -> tuple[tuple[PlanTotals, ...], Decimal]:
    acc: dict[PlanType, list] = {}
    for plan_type, seats, n, used in groups:
        plan = MANAGED_PLAN[PlanType(plan_type)] if consolidated else PlanType(plan_type)
        unit = billing.unit_price(plan, percent)
        row = acc.setdefault(plan, [0, 0, 0, Decimal("0.00"), unit])
        row[0] += n
        row[1] += seats * n
        row[2] += int(used or 0)
        row[3] += billing.to_cents(Decimal(seats) * unit) * n  # each client's row rounded (the rule)
    plans = []
    for plan in (CONSOLIDATED_PLANS if consolidated else tuple(PlanType)):
        n, assigned, used, total, unit = acc.get(plan, [0, 0, 0, Decimal("0.00"),
                                                        billing.unit_price(plan, percent)])
        minimum = minimums.get(plan, 0) if consolidated else 0
        gap = billing.unassigned_seats(minimum, assigned)
        total += billing.to_cents(Decimal(gap) * unit)
        if n or minimum:
            plans.append(PlanTotals(plan, n, assigned, used, minimum, max(minimum, assigned), unit, total))
    return tuple(plans), sum((p.total for p in plans), Decimal("0.00"))


def summary(db: Database, actor: Actor, group: uuid.UUID | None = None) -> BillingSummary:
    """Provider-wide figures (Provider Admins only): tier progress, run-rate per plan and in total.

    With `group` (a client group's id) the clients, run-rate, plan totals and clients without payment
    are that group's; the discount tier stays the provider's (S10: every client's seats earn it), and
    consolidated seat minimums, which are the provider's, are left out (no "Unassigned seats")."""
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_BILLING)
        provider = _provider(s, actor.provider_id)
        consolidated = provider.billing_mode == "consolidated"
        every = _seat_groups(s, provider.id)
        groups = every if group is None else _seat_groups(s, provider.id, group)
        tiers, is_default = _tiers(s, provider.id)
        sched = TierSchedule(tiers, is_default, billing.tier_for(sum(g[1] * g[2] for g in every), tiers))
        plans, total = _plan_totals(groups, sched.percent, _minimums(s, provider.id) if group is None else {},
                                    consolidated)
        n_clients = sum(g[2] for g in groups)
        without = 0
        if not consolidated:
            stmt = (select(func.count()).select_from(Client).outerjoin(
                PaymentMethod, PaymentMethod.organization_id == Client.organization_id)
                .where(_clients_of(provider.id), PaymentMethod.id.is_(None)))
            if group is not None:
                stmt = stmt.where(in_group(Client.organization_id, group))
            without = s.execute(stmt).scalar_one()
        return BillingSummary(provider.billing_mode, billing.CURRENCY, n_clients, sched.progress.seats, sched,
                              total, plans, without)


def run_rate_page(db: Database, actor: Actor, *, after: tuple | None = None, limit: int = 200,
                  group: uuid.UUID | None = None) -> tuple[list[RunRateRow], tuple | None]:
    """Per-client monthly run-rate, by name, keyset-paged (Provider Admins only); only the clients of
    client group `group`, when given."""
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_BILLING)
        provider = _provider(s, actor.provider_id)
        pct = schedule(s, provider.id).percent
        consolidated = provider.billing_mode == "consolidated"
        stmt = (select(Organization.id, Organization.name, Organization.name_lower, Organization.plan_type,
                       Organization.seats, Organization.occupied_seats, Organization.is_internal,
                       PaymentMethod.kind, PaymentMethod.brand, PaymentMethod.last4, PaymentMethod.net_days)
                .outerjoin(PaymentMethod, PaymentMethod.organization_id == Organization.id)
                # EXISTS, not a join: the database walks the name index and stops after one page.
                .where(exists().where(Client.organization_id == Organization.id, _clients_of(provider.id))))
        if group is not None:
            stmt = stmt.where(in_group(Organization.id, group))
        if after is not None:
            stmt = stmt.where((Organization.name_lower > after[0]) | (
                (Organization.name_lower == after[0]) & (Organization.id > after[1])))
        rows = s.execute(stmt.order_by(Organization.name_lower, Organization.id).limit(limit + 1)).all()
        out = []
        for r in rows[:limit]:
            plan = MANAGED_PLAN[PlanType(r.plan_type)] if consolidated else PlanType(r.plan_type)
            unit = billing.unit_price(plan, pct)
            out.append(RunRateRow(r.id, r.name, plan, r.seats, r.occupied_seats, r.is_internal,
                                  unit, billing.to_cents(Decimal(r.seats) * unit),
                                  "provider pays" if consolidated else _payment_label(
                                      r.kind, r.brand, r.last4, r.net_days)))
        nxt = (rows[limit - 1].name_lower, rows[limit - 1].id) if len(rows) > limit else None
        return out, nxt


def _id_as_text(db: Database, col=Organization.id):
    """An id as 8-4-4-4-12 text, made by the database (no UUID objects for 100,000 rows)."""
    if db.is_sqlite:  # stored as 32 hex digits
        part = lambda a, n: func.substr(type_coerce(col, String), a, n)  # noqa: E731
        return part(1, 8) + "-" + part(9, 4) + "-" + part(13, 4) + "-" + part(17, 4) + "-" + part(21, 12)
    return cast(col, String)


def consolidated_invoice(db: Database, actor: Actor, *, when: date | None = None) -> ConsolidatedInvoice:
    """B1: one provider invoice for the month: a row per client (by name) plus an "Unassigned seats"
    row per plan. ONE query streams every client's name, id, seats, members and plan; the
    cumulative seats (for the discount tier), the plan totals and each row's total come from it."""
    when = when or clock.now().date()
    with collector_paused():
        return _consolidated_invoice(db, actor, when)


def _consolidated_invoice(db: Database, actor: Actor, when: date) -> ConsolidatedInvoice:
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_BILLING)
        provider = _provider(s, actor.provider_id)
        tiers, _ = _tiers(s, provider.id)
        minimums = _minimums(s, provider.id)
        stmt = (select(Organization.name, _id_as_text(db), Organization.seats, Organization.occupied_seats,
                       Organization.plan_type, Organization.name_lower)
                .select_from(Organization).join(Client, Client.organization_id == Organization.id)
                .where(_clients_of(provider.id)))
        if db.is_sqlite:
            stmt = stmt.order_by(Organization.name_lower, Organization.id)
        # Plain tuples straight from the driver's cursor: no ORM objects, no UUID parsing, and no Row
        # object per client either (every column is text or an integer as the driver gives it); the
        # sort and the loops below run 2-3x faster on tuples than on Rows.
        result = s.connection().execute(stmt)
        try:
            found = result.cursor.fetchall()
        finally:
            result.close()
    if not db.is_sqlite:  # PostgreSQL would sort 100,000 rows on disk with its collation: by code point here
        # by the lower-case name alone: it is unique among a provider's clients (uq_provider_organization_name),
        # so (name, id) gives the same order, and one string a row is compared 3x faster than a pair.
        found.sort(key=itemgetter(5))
    groups: dict[tuple[int, int], list[int]] = {}
    for _name, _id, seats, used, plan_type, _lower in found:
        g = groups.get((plan_type, seats))
        if g is None:
            g = groups[(plan_type, seats)] = [0, 0]
        g[0] += 1
        g[1] += used
    pct = billing.tier_for(sum(st * g[0] for (_p, st), g in groups.items()), tiers).current.percent
    plan_of = {int(p): MANAGED_PLAN[p] for p in PlanType}
    units = {p: billing.unit_price(p, pct) for p in CONSOLIDATED_PLANS}
    # Every client row's total is seats × unit rounded to the cent (the rule): one per (plan, seats).
    totals = {key: billing.to_cents(Decimal(key[1]) * units[plan_of[key[0]]]) for key in groups}
    new = tuple.__new__
    rows = [new(InvoiceRow, (name, org_id, seats, used, seats - used, plan_of[p], totals[(p, seats)]))
            for name, org_id, seats, used, p, _lower in found]
    plans, _ = _plan_totals([(p, st, n, u) for (p, st), (n, u) in groups.items()], pct, minimums, True)
    for p in plans:  # every plan in use gets its "Unassigned seats" row, 0 when above the minimum
        rows.append(InvoiceRow(UNASSIGNED, "", p.unassigned, 0, p.unassigned, p.plan,
                               billing.to_cents(Decimal(p.unassigned) * p.unit_price)))
    start = date(when.year, when.month, 1)
    return ConsolidatedInvoice(start, billing.add_months(start, 1), pct, billing.CURRENCY, rows, plans)


def client_invoice(db: Database, actor: Actor, client: str | uuid.UUID, *, when: date | None = None
                   ) -> ClientInvoice:
    """Per-client mode: one client's invoice for the billing period holding `when` (Provider Admins)."""
    with db.read() as s:
        org = find_client(s, actor.provider_id, client)
        check(s, actor, Action.VIEW_PROVIDER_BILLING, organization_id=org.id)
        provider = _provider(s, actor.provider_id)
        if provider.billing_mode != "per_client":
            raise Refused("consolidated", "Billing is consolidated: the provider gets one invoice for all "
                          "clients (msp-tui billing invoice).")
        pct = schedule(s, provider.id).percent
        pm = _payment_view(s.execute(select(PaymentMethod).where(
            PaymentMethod.organization_id == org.id)).scalar_one_or_none())
        return ClientInvoice(org.id, org.name, _invoice_for(s, org, pct, when or clock.now().date()),
                             pm.label if pm else "no payment method")


def client_invoices(db: Database, actor: Actor, *, when: date | None = None) -> list[ClientInvoice]:
    """Per-client mode: every client's invoice for the period holding `when`, by name. Two queries
    (clients with their payment method; every seat change), not one per client."""
    when = when or clock.now().date()
    with db.read() as s:
        check(s, actor, Action.VIEW_PROVIDER_BILLING)
        provider = _provider(s, actor.provider_id)
        if provider.billing_mode != "per_client":
            raise Refused("consolidated", "Billing is consolidated: see the consolidated invoice instead.")
        pct = schedule(s, provider.id).percent
        orgs = s.execute(
            select(_id_as_text(db), Organization.name, Organization.created_at, Organization.seats,
                   Organization.plan_type, Client.created_at, PaymentMethod.kind, PaymentMethod.brand,
                   PaymentMethod.last4, PaymentMethod.exp_month, PaymentMethod.exp_year, PaymentMethod.bank_name,
                   PaymentMethod.net_days)
            .join(Client, Client.organization_id == Organization.id)
            .outerjoin(PaymentMethod, PaymentMethod.organization_id == Organization.id)
            .where(_clients_of(provider.id)).order_by(Organization.name_lower, Organization.id)).all()
        histories: dict[str, list[tuple]] = {}
        for org_id, changed_at, seats, plan_type in s.execute(
                select(_id_as_text(db, SeatChange.organization_id), SeatChange.changed_at, SeatChange.seats,
                       SeatChange.plan_type)
                .join(Client, Client.organization_id == SeatChange.organization_id)
                .where(_clients_of(provider.id)).order_by(SeatChange.changed_at, SeatChange.id)):
            histories.setdefault(org_id, []).append((changed_at, seats, plan_type))
        out = []
        for org_id, name, created, seats, plan_type, linked, kind, brand, last4, month, year, bank, net in orgs:
            out.append(ClientInvoice(uuid.UUID(org_id), name, _invoice_from(
                created, linked, seats, plan_type, histories.get(org_id, []), pct, when),
                _method_label(kind, brand, last4, month, year, bank, net)))
        return out


# --- changes (Provider Admins, each an event) -----------------------------------------------------


def payment_input(method: PaymentOnFile | dict, *, today: date | None = None) -> PaymentOnFile:
    """Validate a payment method typed by a person. Returns only what may be kept (never a card number).

    `method` is a dict: {'kind': 'card', 'number', 'expiry' ('08/2029') or 'exp_month'/'exp_year',
    'holder'} · {'kind': 'bank', 'account', 'bank_name'} · {'kind': 'invoice'}."""
    if isinstance(method, (CardOnFile, BankOnFile, InvoiceTerms)):
        return method
    if not isinstance(method, dict):
        raise BadInput("A payment method is a card, a bank account or an invoice.", "payment")
    kind = str(method.get("kind", "")).strip().lower()
    today = today or clock.now().date()
    if kind == "card":
        if method.get("expiry") is not None:
            month, year = billing.parse_expiry(str(method["expiry"]))
        else:
            month, year = method.get("exp_month"), method.get("exp_year")
        return billing.check_card(method.get("number"), month, year, method.get("holder"), today=today)
    if kind == "bank":
        return billing.check_bank(method.get("account"), method.get("bank_name"))
    if kind == "invoice":
        return InvoiceTerms()
    raise BadInput("A payment method is 'card', 'bank' or 'invoice'.", "payment")


def attach_payment(s: Session, actor: Actor, org: Organization, method: PaymentOnFile,
                   expected_version: int | None = None) -> PaymentView:
    """In the caller's transaction: set or replace the client's payment method, with its event."""
    link = s.execute(select(Client).where(Client.organization_id == org.id)).scalar_one_or_none()
    if link is None:
        raise NotFound(f"No client {org.name!r}.", "client")
    check(s, actor, Action.EDIT_PROVIDER_BILLING, provider_id=link.provider_id)
    provider = _provider(s, link.provider_id)
    if provider.billing_mode != "per_client":
        raise Refused("consolidated", "Billing is consolidated: the provider pays for every client, so "
                      "clients carry no payment method.")
    pm = s.execute(select(PaymentMethod).where(PaymentMethod.organization_id == org.id)).scalar_one_or_none()
    if pm is not None:
        check_version(s, pm, expected_version, f"The payment method of {org.name!r}")
    old = _payment_view(pm)
    if pm is None:
        pm = PaymentMethod(organization_id=org.id)
        s.add(pm)
    values = dict(kind="invoice", brand=None, last4=None, exp_month=None, exp_year=None, holder=None,
                  bank_name=None, net_days=None)
    if isinstance(method, CardOnFile):
        values.update(kind="card", brand=method.brand, last4=method.last4, exp_month=method.exp_month,
                      exp_year=method.exp_year, holder=method.holder)
    elif isinstance(method, BankOnFile):
        values.update(kind="bank", bank_name=method.bank_name, last4=method.last4)
    else:
        values.update(net_days=method.net_days)
    for k, v in values.items():
        setattr(pm, k, v)
    touch(pm, actor)
    s.flush()
    events.record(s, actor, EventType.CLIENT_PAYMENT_METHOD_CHANGED, provider_id=provider.id,
                  organization_id=org.id, provider_organization_id=link.id,
                  detail={"payment": [old.label if old else "none", method.label]})
    return _payment_view(pm)


def set_payment_method(db: Database, actor: Actor, client: str | uuid.UUID, method: PaymentOnFile | dict,
                       expected_version: int | None = None) -> PaymentView:
    """Set or replace a client's payment method (Provider Admins; per-client billing; an event)."""
    stored = payment_input(method)
    with db.write() as s:
        org = find_client(s, actor.provider_id, client)
        return attach_payment(s, actor, org, stored, expected_version)


def create_client_with_payment(db: Database, actor: Actor, *, payment: PaymentOnFile | dict, **client):
    """Create a client and its payment method in one transaction (the onboarding wizard's path)."""
    from msp_tui.core.services import clients

    return clients.create_client(db, actor, payment=payment, **client)


def set_billing_mode(db: Database, actor: Actor, mode: str, expected_version: int | None = None) -> str:
    """Switch between per-client and consolidated billing (Provider Admins; an event)."""
    mode = (mode or "").strip().lower().replace("-", "_").replace(" ", "_")
    if mode not in MODES:
        raise BadInput("The billing mode is 'per-client' or 'consolidated'.", "mode")
    with db.write() as s:
        check(s, actor, Action.EDIT_PROVIDER_BILLING)
        provider = _provider(s, actor.provider_id)
        check_version(s, provider, expected_version, "The billing settings")
        old = provider.billing_mode
        if old != mode:
            provider.billing_mode = mode
            touch(provider, actor)
            events.record(s, actor, EventType.BILLING_MODE_CHANGED, provider_id=provider.id,
                          detail={"mode": [MODES[old], MODES[mode]]})
        return mode


def _tiers_text(tiers: tuple[Tier, ...]) -> str:
    return ", ".join(f"{t.min_seats}+ {t.percent.normalize():f}%" for t in tiers)


def set_tiers(db: Database, actor: Actor, tiers: tuple[Tier, ...] | list | str | None) -> TierSchedule:
    """Replace the provider's discount schedule; None restores the shipped default (an event)."""
    if isinstance(tiers, str):
        new = billing.parse_tiers(tiers)
    elif tiers is None:
        new = None
    else:
        new = billing.check_tiers([(t.min_seats, t.percent) if isinstance(t, Tier) else t for t in tiers])
    with db.write() as s:
        check(s, actor, Action.EDIT_PROVIDER_BILLING)
        pid = actor.provider_id
        old, old_default = _tiers(s, pid)
        s.execute(delete(DiscountTier).where(DiscountTier.provider_id == pid))
        if new is not None:
            s.execute(insert(DiscountTier), [dict(provider_id=pid, min_seats=t.min_seats,
                                                  basis_points=int(t.percent * 100)) for t in new])
        after = "default" if new is None else _tiers_text(new)
        before = "default" if old_default else _tiers_text(old)
        if before != after:
            events.record(s, actor, EventType.DISCOUNT_TIERS_CHANGED, provider_id=pid,
                          detail={"tiers": [before, after]})
        s.flush()
        return schedule(s, pid)


def set_seat_minimum(db: Database, actor: Actor, plan: str | PlanType, minimum: int) -> PlanType:
    """Consolidated billing: the seats the provider pays for each month even if unassigned (an event)."""
    try:
        plan = MANAGED_PLAN[PlanType.parse(plan) if isinstance(plan, str) else PlanType(plan)]
    except ValueError as exc:
        raise BadInput(str(exc), "plan") from None
    if not isinstance(minimum, int) or not 0 <= minimum <= 1_000_000:
        raise BadInput("A seat minimum is a whole number from 0 to 1,000,000.", "minimum")
    with db.write() as s:
        check(s, actor, Action.EDIT_PROVIDER_BILLING)
        row = s.execute(select(ProviderPlan).where(ProviderPlan.provider_id == actor.provider_id,
                                                    ProviderPlan.plan_type == int(plan))).scalar_one_or_none()
        old = row.seat_minimum if row else 0
        if row is None:
            row = ProviderPlan(provider_id=actor.provider_id, plan_type=int(plan), seat_minimum=minimum)
            s.add(row)
        row.seat_minimum = minimum
        touch(row, actor)
        if old != minimum:
            events.record(s, actor, EventType.SEAT_MINIMUM_CHANGED, provider_id=actor.provider_id,
                          detail={"plan": plan.label, "minimum": [old, minimum]})
        return plan


def can_edit(db: Database, actor: Actor) -> bool:
    """Whether the UI should offer billing changes (core refuses them anyway)."""
    with db.read() as s:
        return standing_for(s, actor).kind == Kind.PROVIDER_ADMIN


# --- demo ------------------------------------------------------------------------------------


def add_demo_payment_methods(db: Database, org_ids: list[uuid.UUID], seed: int = 7) -> None:
    """Demo data: a payment method for each demo client (made-up brands and last digits, no numbers)."""
    rng = random.Random(seed)
    now = clock.now()
    banks = ["First Harbor Bank", "Cascade Credit Union", "Meridian Savings"]
    holders = ["Accounts Payable", "Finance Team", "Office Manager"]
    rows = []
    for i, org_id in enumerate(org_ids):
        if i % 10 == 9:
            continue  # a few clients still need one
        kind = rng.choices(["card", "bank", "invoice"], [60, 25, 15])[0]
        row = dict(id=uuid.uuid4(), organization_id=org_id, kind=kind, brand=None, last4=None, exp_month=None,
                   exp_year=None, holder=None, bank_name=None, net_days=None, created_at=now, revision_date=now,
                   version=1)
        if kind == "card":
            row.update(brand=rng.choice(["Visa", "Mastercard", "American Express"]),
                       last4=f"{rng.randint(0, 9999):04d}", exp_month=rng.randint(1, 12),
                       exp_year=now.year + rng.randint(1, 4), holder=rng.choice(holders))
        elif kind == "bank":
            row.update(bank_name=rng.choice(banks), last4=f"{rng.randint(0, 9999):04d}")
        else:
            row.update(net_days=billing.NET_DAYS)
        rows.append(row)
    for lo in range(0, len(rows), 10000):
        with db.write() as s:
            s.execute(insert(PaymentMethod), rows[lo:lo + 10000])
