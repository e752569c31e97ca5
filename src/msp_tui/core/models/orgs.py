"""Client organizations, their link to the provider, members, groups and collections."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (Boolean, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id
from msp_tui.core.models.people import Account


class Organization(Editable, Base):
    __tablename__ = "organization"
    __table_args__ = (
        # PostgreSQL also has ix_organization_name_trgm (pg_trgm GIN, migration s001) for the name filter.
        Index("ix_organization_name_lower", "name_lower", "id"),
        # The clients home sorts by every seat column and the plan, keyset-paged: an index each, with the
        # lower-cased name last so "filter as you type" is checked inside the index, not row by row.
        Index("ix_organization_remaining", "seats_remaining", "id", "name_lower"),
        Index("ix_organization_seats", "seats", "id", "name_lower"),
        Index("ix_organization_occupied", "occupied_seats", "id", "name_lower"),
        Index("ix_organization_plan", "plan_type", "id", "name_lower"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    #: Lower-cased name for case-insensitive filter and sort through an index.
    name_lower: Mapped[str] = mapped_column(String(50))
    plan_type: Mapped[int] = mapped_column(SmallInteger)
    seats: Mapped[int] = mapped_column(Integer)
    #: Members Invited, Accepted or Confirmed; kept by the member use cases in the same transaction.
    occupied_seats: Mapped[int] = mapped_column(Integer, default=0)
    #: seats − occupied_seats, stored so the clients home can sort on it through an index.
    seats_remaining: Mapped[int] = mapped_column(Integer, default=0)
    billing_email: Mapped[str] = mapped_column(String(256))
    status: Mapped[int] = mapped_column(SmallInteger, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The MSP's own internal organization (billed at the discounted rate, S10).
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    use_policies: Mapped[bool] = mapped_column(Boolean, default=False)
    use_custom_permissions: Mapped[bool] = mapped_column(Boolean, default=False)
    #: X25519 public key of the organization; private half wrapped by the org key.
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    protected_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    def set_seat_counts(self, seats: int | None = None, occupied: int | None = None) -> None:
        if seats is not None:
            self.seats = seats
        if occupied is not None:
            self.occupied_seats = occupied
        self.seats_remaining = self.seats - self.occupied_seats


class Client(Base):
    """ProviderOrganization: the link that makes an organization a client of a provider."""

    __tablename__ = "provider_organization"
    __table_args__ = (
        # Two clients of one provider never share a name in any case: what people type to pick a client
        # ("contoso legal") must name one. Kept by core (create, add, rename) beside the organization's.
        UniqueConstraint("provider_id", "name_lower", name="uq_provider_organization_name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    #: The client's name lower-cased (Organization.name_lower, copied here for the constraint above).
    name_lower: Mapped[str | None] = mapped_column(String(50))
    #: One provider per organization ("Organization already belongs to a provider.").
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), unique=True)
    #: The organization key wrapped by the provider key of generation `key_generation`.
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_generation: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    organization: Mapped[Organization] = relationship(lazy="joined")


class Member(Editable, Base):
    """OrganizationUser: a person's membership of one organization."""

    __tablename__ = "organization_user"
    __table_args__ = (
        UniqueConstraint("organization_id", "email", name="uq_organization_user_org_email"),
        Index("ix_organization_user_org_status", "organization_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    email: Mapped[str] = mapped_column(String(256))
    role: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[int] = mapped_column(SmallInteger)
    #: Status to return to on restore (the reference's StatusNew).
    previous_status: Mapped[int | None] = mapped_column(SmallInteger)
    revocation_reason: Mapped[int | None] = mapped_column(SmallInteger)
    #: Custom role flags as JSON (see core.permissions).
    permissions: Mapped[str | None] = mapped_column(Text)
    #: The org key sealed to the member's public key; set on confirmation.
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Account recovery (policy 8): the member's user key sealed to the organization's public key
    #: (the reference's ResetPasswordKey); None when not enrolled (core.services.recovery).
    reset_password_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    external_id: Mapped[str | None] = mapped_column(String(300))
    invited_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: SHA-256 of the invitation's one-time secret (core.invitation_secret); cleared once accepted.
    invite_secret_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    account: Mapped[Account | None] = relationship(lazy="joined")


class Group(Editable, Base):
    __tablename__ = "group"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_group_org_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class GroupMember(Base):
    __tablename__ = "group_user"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization_user.id", ondelete="CASCADE"), primary_key=True, index=True)


class Collection(Editable, Base):
    __tablename__ = "collection"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    #: The name, encrypted by the org key (zero-knowledge storage, B7).
    name: Mapped[bytes] = mapped_column(LargeBinary)
    external_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CollectionMember(Base):
    """CollectionUser: a member's access level on a collection."""

    __tablename__ = "collection_user"

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    access: Mapped[int] = mapped_column(SmallInteger)


class CollectionGroup(Base):
    __tablename__ = "collection_group"

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("group.id", ondelete="CASCADE"), primary_key=True, index=True)
    access: Mapped[int] = mapped_column(SmallInteger)


class SeatChange(Base):
    """Every change of a client's seat count, for invoices prorated by day."""

    __tablename__ = "seat_change"
    __table_args__ = (Index("ix_seat_change_org_date", "organization_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    seats: Mapped[int] = mapped_column(Integer)
    plan_type: Mapped[int] = mapped_column(SmallInteger)
    changed_at: Mapped[datetime] = mapped_column(default=clock.now)
