"""timeline: the provider in the type index, (type, provider_id, date, id, organization_id), so each
type's seek of a provider's timeline (everyone's, and a scoped Service User's) reads the index alone;
PostgreSQL walked the provider's date index for each type instead

Revision ID: r002
Revises: s001
"""
from alembic import op


revision = 'r002'
down_revision = 's001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain DROP/CREATE INDEX (not a batch, which on SQLite would copy the event table).
    op.drop_index('ix_event_type_date', table_name='event')
    op.create_index('ix_event_type_date', 'event', ['type', 'provider_id', 'date', 'id', 'organization_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_type_date', table_name='event')
    op.create_index('ix_event_type_date', 'event', ['type', 'date', 'id', 'organization_id'], unique=False)
