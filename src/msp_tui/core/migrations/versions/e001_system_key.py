"""the provider's system key (signs events with no acting person) and an index of unsigned events

Revision ID: e001
Revises: n001
"""
import sqlalchemy as sa
from alembic import op


revision = 'e001'
down_revision = 'n001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.add_column(sa.Column('system_signing_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('protected_system_signing_key', sa.LargeBinary(), nullable=True))
    op.create_index('ix_event_unsigned', 'event', ['id'], unique=False,
                    sqlite_where=sa.text('signature IS NULL'), postgresql_where=sa.text('signature IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_event_unsigned', table_name='event')
    # Plain DROP COLUMN (SQLite 3.35+): a batch would re-create the table, and with foreign keys on,
    # dropping the old table deletes every row that references it (ON DELETE CASCADE).
    op.drop_column('provider', 'protected_system_signing_key')
    op.drop_column('provider', 'system_signing_public_key')
