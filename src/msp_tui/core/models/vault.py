"""Vault items: owned by an organization (through collections) or personally by one account."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id


class VaultItem(Editable, Base):
    """Cipher. `data` holds the name and every field, encrypted by the org key or the owner's user key."""

    __tablename__ = "vault_item"
    __table_args__ = (
        CheckConstraint("(organization_id IS NULL) <> (owner_account_id IS NULL)", name="one_owner"),
        Index("ix_vault_item_org", "organization_id"),
        Index("ix_vault_item_owner", "owner_account_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"))
    #: Set only for a personal item (S3: no provider user ever reads these).
    owner_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    type: Mapped[int] = mapped_column(SmallInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class CollectionItem(Base):
    __tablename__ = "collection_item"

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vault_item.id", ondelete="CASCADE"), primary_key=True, index=True)
