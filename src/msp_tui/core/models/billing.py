"""Billing tables: a client's payment method, the provider's discount tiers and plan seat minimums.

A card is stored as brand, last four digits, expiry and holder only: the full number has no column.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id


class PaymentMethod(Editable, Base):
    """How one client pays in per-client billing: 'card', 'bank' or 'invoice' (net 30)."""

    __tablename__ = "payment_method"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: Card: brand (from the number), last four digits, expiry, holder. Bank: last four + bank name.
    brand: Mapped[str | None] = mapped_column(String(30))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(SmallInteger)
    exp_year: Mapped[int | None] = mapped_column(SmallInteger)
    holder: Mapped[str | None] = mapped_column(String(100))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    #: Invoice: days to pay.
    net_days: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class DiscountTier(Base):
    """One step of a provider's reseller discount schedule; no rows = the shipped default."""

    __tablename__ = "discount_tier"
    __table_args__ = (UniqueConstraint("provider_id", "min_seats", name="uq_discount_tier_provider_min"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    min_seats: Mapped[int] = mapped_column(Integer)
    #: Percent off in hundredths of a percent (525 = 5.25 %): exact, no float on SQLite.
    basis_points: Mapped[int] = mapped_column(Integer)


class ProviderPlan(Editable, Base):
    """Consolidated billing: the seat minimum the provider pays for per managed plan."""

    __tablename__ = "provider_plan"
    __table_args__ = (UniqueConstraint("provider_id", "plan_type", name="uq_provider_plan_provider_plan"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    plan_type: Mapped[int] = mapped_column(SmallInteger)
    seat_minimum: Mapped[int] = mapped_column(Integer, default=0)
