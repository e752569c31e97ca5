"""The event log: one table for the provider's and every client's events, hash-chained (B4)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from msp_tui.core.models.base import Base, BigIntPK


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (
        # Keyset pages newest first, per scope the timeline filters on. The client last: a scoped
        # Service User's timeline (S12) checks it in the index and reads only the rows it keeps.
        Index("ix_event_provider_date", "provider_id", "date", "id", "organization_id"),
        Index("ix_event_org_date", "organization_id", "date", "id"),
        Index("ix_event_actor_date", "acting_account_id", "date", "id"),
        Index("ix_event_date", "date", "id"),
        # A provider's timeline filtered on types seeks once per type (services/timeline.py), so a
        # rare type among a million events still reads one page (and a scoped one, its clients' page),
        # from the index alone.
        Index("ix_event_type_date", "type", "provider_id", "date", "id", "organization_id"),
        # The few events still waiting for a signature (failed sign-ins, countersigned later).
        Index("ix_event_unsigned", "id", sqlite_where=text("signature IS NULL"),
              postgresql_where=text("signature IS NULL")),
    )

    #: Also the order of the hash chain.
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    type: Mapped[int] = mapped_column(Integer)
    date: Mapped[datetime] = mapped_column()
    #: The provider whose timeline shows this event (its own events and its clients').
    provider_id: Mapped[uuid.UUID | None] = mapped_column()
    #: True for the provider's own log (18xx, 19xx): Provider Admins only (S4).
    provider_log: Mapped[bool] = mapped_column(default=False)
    organization_id: Mapped[uuid.UUID | None] = mapped_column()
    acting_account_id: Mapped[uuid.UUID | None] = mapped_column()
    #: The person the event is about (a staff member or member's account), when known.
    account_id: Mapped[uuid.UUID | None] = mapped_column()
    provider_user_id: Mapped[uuid.UUID | None] = mapped_column()
    provider_organization_id: Mapped[uuid.UUID | None] = mapped_column()
    organization_user_id: Mapped[uuid.UUID | None] = mapped_column()
    group_id: Mapped[uuid.UUID | None] = mapped_column()
    collection_id: Mapped[uuid.UUID | None] = mapped_column()
    item_id: Mapped[uuid.UUID | None] = mapped_column()
    policy_id: Mapped[uuid.UUID | None] = mapped_column()
    device: Mapped[str | None] = mapped_column(String(30))
    ip_address: Mapped[str | None] = mapped_column(String(50))
    system_user: Mapped[int | None] = mapped_column(SmallInteger)
    #: What changed, as JSON ({"field": [old, new]}, names, counts). Never a secret.
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Ed25519 signature of `hash` by the acting person's signing key, or by the provider's system key
    #: for an event with no acting person (None only for a failed sign-in not yet countersigned).
    signature: Mapped[bytes | None] = mapped_column(LargeBinary(64))


class EventChainHead(Base):
    """The last link of the chain. Writers lock this row first, which orders every write."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigIntPK, default=0)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    count: Mapped[int] = mapped_column(BigIntPK, default=0)
