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


class AccessGrant(Base):
    """Break-glass access (issue 18): a scoped Service User's time-boxed access to one client outside
    their scope, asked with a reason, granted by a Provider Admin (or self-granted in an emergency)."""

    __tablename__ = "access_grant"
    __table_args__ = (Index("ix_access_grant_account_status", "account_id", "status", "ends_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    #: Who asked (and holds the grant).
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    ticket: Mapped[str | None] = mapped_column(String(100), default=None)
    minutes: Mapped[int] = mapped_column()
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: 0 pending, 1 granted, 2 denied, 3 ended early, 4 withdrawn (core.services.break_glass.Status).
    status: Mapped[int] = mapped_column(SmallInteger, default=0)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Self-granted in an emergency: loud (a health finding) until an admin acknowledges it.
    emergency: Mapped[bool] = mapped_column(default=False)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
