"""account recovery (policy 8): members' recovery keys, the forced change after a recovery

Revision ID: h001
Revises: k002
"""
import sqlalchemy as sa
from alembic import op


revision = 'h001'
down_revision = 'k002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch re-creates the table on SQLite when the column has a default, and with
    # foreign keys on, dropping the old `account` table deletes or refuses every row that references it
    # (tests/core/test_migrations_keep_rows.py).
    op.add_column('organization_user', sa.Column('reset_password_key', sa.LargeBinary(), nullable=True))
    op.add_column('account', sa.Column('force_password_reset', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch would re-create the tables, and with foreign keys on,
    # dropping the old table deletes every row that references it (ON DELETE CASCADE).
    op.drop_column('account', 'force_password_reset')
    op.drop_column('organization_user', 'reset_password_key')
