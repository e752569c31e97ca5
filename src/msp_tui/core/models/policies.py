"""One policy row per organization and type (S7)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id


class Policy(Editable, Base):
    __tablename__ = "policy"
    __table_args__ = (UniqueConstraint("organization_id", "type", name="uq_policy_org_type"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    type: Mapped[int] = mapped_column(SmallInteger)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The policy's options as JSON, validated by its pydantic model.
    data: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
