"""timeline: the client in the provider's and the type's event indexes, so a scoped Service User's
timeline (S12) checks each event's client in the index and reads a row only when it is theirs

Revision ID: r001
Revises: h001
"""
from alembic import op


revision = 'r001'
down_revision = 'h001'
branch_labels = None
depends_on = None

#: index name -> its leading columns (before date, id and now organization_id)
LEADING = {'ix_event_provider_date': 'provider_id', 'ix_event_type_date': 'type'}


def upgrade() -> None:
    # Plain DROP/CREATE INDEX (not a batch, which on SQLite would copy the event table).
    for name, lead in LEADING.items():
        op.drop_index(name, table_name='event')
        op.create_index(name, 'event', [lead, 'date', 'id', 'organization_id'], unique=False)


def downgrade() -> None:
    for name, lead in LEADING.items():
        op.drop_index(name, table_name='event')
        op.create_index(name, 'event', [lead, 'date', 'id'], unique=False)
