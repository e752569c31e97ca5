"""timeline: an event index by type, so a timeline filtered on a rare type reads a bounded page

Revision ID: t001
Revises: u001
"""
from alembic import op


revision = 't001'
down_revision = 'u001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_type_date', ['type', 'date', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_type_date')
