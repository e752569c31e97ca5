"""accounts: the signing key's signature over the public key (issue 15, attack 3)

Accounts made before this revision have none; confirming such a person is refused until they sign
in once (signing in signs the public key that matches the private key they hold).

Revision ID: c001
Revises: t001
"""
import sqlalchemy as sa
from alembic import op


revision = 'c001'
down_revision = 't001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_key_signature', sa.LargeBinary(length=64), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch would re-create the table, and with foreign keys on,
    # dropping the old table deletes every row that references it (ON DELETE CASCADE).
    op.drop_column('account', 'public_key_signature')
