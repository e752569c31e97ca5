"""One policy row per organization and type (S7)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id
from msp_tui.core.models.orgs import Member


class Policy(Editable, Base):
    __tablename__ = "policy"
    __table_args__ = (
        UniqueConstraint("organization_id", "type", name="uq_policy_org_type"),
        # The health view: which clients have a given policy on, read as one index range.
        Index("ix_policy_type_enabled", "type", "enabled", "organization_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    type: Mapped[int] = mapped_column(SmallInteger)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The policy's options as JSON, validated by its pydantic model.
    data: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PolicyTemplate(Editable, Base):
    """A provider's named set of policies with options (B2), applied to many clients at once."""

    __tablename__ = "policy_template"
    __table_args__ = (UniqueConstraint("provider_id", "name_lower", name="uq_policy_template_provider_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    name_lower: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PolicyTemplateItem(Base):
    """One policy of a template: on or off, and its options (canonical JSON, see core.policies)."""

    __tablename__ = "policy_template_item"

    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policy_template.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str | None] = mapped_column(Text)


class ClientTemplate(Base):
    """Which template a client follows (set when a template is applied to it)."""

    __tablename__ = "client_policy_template"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policy_template.id", ondelete="CASCADE"), index=True)
    applied_at: Mapped[datetime] = mapped_column(default=clock.now)
    applied_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: True while a policy differs from the template (accepted deviations apart). Kept by
    #: core.services.policies whenever a policy, the template or a deviation changes, so the
    #: clients home and the health view read it through an index instead of joining every policy.
    drifted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class PolicyDeviation(Base):
    """A client's policy that differs from its template on purpose: no longer reported as drift."""

    __tablename__ = "policy_deviation"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime] = mapped_column(default=clock.now)


#: The health view counts members by status (accepted, stale invitations) across all clients through
#: this index instead of visiting every client (declared here, with the policy area that needs it).
Index("ix_organization_user_status_invited", Member.status, Member.invited_at, Member.organization_id)
