"""invitations: the hash of each invitation's one-time secret; failed sign-ins for unknown emails

Invitations pending before this revision have no secret and cannot be accepted: send them again
(`staff reinvite`, `members reinvite`) to issue one.

Revision ID: i001
Revises: e001
"""
import sqlalchemy as sa
from alembic import op


revision = 'i001'
down_revision = 'e001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_secret_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('organization_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_secret_hash', sa.String(length=64), nullable=True))
    op.create_table(
        'sign_in_failure',
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('email_hash', name=op.f('pk_sign_in_failure')),
    )


def downgrade() -> None:
    op.drop_table('sign_in_failure')
    # Plain DROP COLUMN (SQLite 3.35+): a batch would re-create the table, and with foreign keys on,
    # dropping the old table deletes every row that references it (ON DELETE CASCADE).
    op.drop_column('organization_user', 'invite_secret_hash')
    op.drop_column('provider_user', 'invite_secret_hash')
