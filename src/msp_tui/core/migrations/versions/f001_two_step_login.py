"""two-step login: the account's sealed TOTP secret, recovery-code hash and last used time step;
the provider's "staff must use two-step login" setting. The old two_factor_enabled flag (set by the
demo, never by enrolment) goes: enrolment is now the sealed secret itself.

Revision ID: f001
Revises: i001
"""
import sqlalchemy as sa
from alembic import op


revision = 'f001'
down_revision = 'i001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+): a batch would re-create the tables, and with foreign keys
    # on, dropping the old table deletes every row that references it (ON DELETE CASCADE).
    op.add_column('account', sa.Column('totp_secret', sa.LargeBinary(), nullable=True))
    op.add_column('account', sa.Column('totp_recovery_hash', sa.String(length=64), nullable=True))
    op.add_column('account', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.drop_column('account', 'two_factor_enabled')
    op.add_column('provider', sa.Column('require_two_step_login', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('provider', 'require_two_step_login')
    op.add_column('account', sa.Column('two_factor_enabled', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.execute("UPDATE account SET two_factor_enabled = (totp_secret IS NOT NULL)")
    op.drop_column('account', 'totp_last_step')
    op.drop_column('account', 'totp_recovery_hash')
    op.drop_column('account', 'totp_secret')
