"""Declarative base and the column helpers every table shares."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from msp_tui.core import clock

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: An auto-incrementing 64-bit key (SQLite only auto-increments INTEGER PRIMARY KEY).
BigIntPK = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=False)}


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Editable:
    """Rows people edit: a version that refuses stale edits, and who changed them last, when."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    revision_date: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # SQLAlchemy bumps `version` on every UPDATE and raises if another writer got there first.
        return {"version_id_col": cls.__table__.c.version}
