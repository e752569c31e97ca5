"""Client groups (a provider's clients in service tiers, regions, teams) and staff scopes (S12).

Not to be confused with a client's own member groups (models.orgs.Group): these group whole clients.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id


class ClientGroup(Editable, Base):
    __tablename__ = "client_group"
    __table_args__ = (UniqueConstraint("provider_id", "name_lower", name="uq_client_group_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    name_lower: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ClientGroupClient(Base):
    """One client in one client group (a client may be in several)."""

    __tablename__ = "client_group_client"
    __table_args__ = (
        # The scope filter asks "is this organization in one of these groups": seek by organization.
        Index("ix_client_group_client_org", "organization_id", "client_group_id"),
    )

    client_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_group.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)


class StaffScopeGroup(Base):
    """A client group a scoped Service User serves (Staff.scoped says whether the scope applies)."""

    __tablename__ = "staff_scope_group"

    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider_user.id", ondelete="CASCADE"),
                                                primary_key=True)
    client_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_group.id", ondelete="CASCADE"), primary_key=True, index=True)
