"""Two-person approval: a guarded action waiting for a second Provider Admin (issue 18)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core import clock
from msp_tui.core.models.base import Base, new_id


class ApprovalRequest(Base):
    """One pending (or decided) request: the action's name and its validated arguments, run on
    approval through the same core function as the direct path (core.services.approvals)."""

    __tablename__ = "approval_request"
    __table_args__ = (Index("ix_approval_request_provider_status", "provider_id", "status", "requested_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: A short number people type (`approvals approve 3`), counted per provider.
    number: Mapped[int] = mapped_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    #: The validated arguments, as JSON (ids, not the names people typed).
    arguments: Mapped[str] = mapped_column(Text)
    #: What it does, in words ("unlink the client Contoso"), as it stood when asked.
    summary: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(500))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: 0 pending, 1 approved, 2 denied, 3 withdrawn, 4 expired (core.services.approvals.Status).
    status: Mapped[int] = mapped_column(SmallInteger, default=0)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
