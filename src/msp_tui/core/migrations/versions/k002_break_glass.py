"""break-glass access: time-boxed grants to one client outside a Service User's scope

Revision ID: k002
Revises: j001
"""
import sqlalchemy as sa
from alembic import op


revision = 'k002'
down_revision = 'j001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch re-creates `provider` on SQLite for a column with a default, and dropping
    # the old table with foreign keys on took every staff row with it (tests/core/test_migrations_keep_rows.py).
    op.add_column('provider', sa.Column('break_glass_max_minutes', sa.Integer(), nullable=False,
                                        server_default='240'))
    op.add_column('provider', sa.Column('break_glass_self_grant', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.create_table(
        'access_grant',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('ticket', sa.String(length=100), nullable=True),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.SmallInteger(), nullable=False),
        sa.Column('decided_by_id', sa.Uuid(), nullable=True),
        sa.Column('starts_at', sa.DateTime(), nullable=True),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('emergency', sa.Boolean(), nullable=False),
        sa.Column('acknowledged_by_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], ondelete='CASCADE',
                                name=op.f('fk_access_grant_provider_id_provider')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE',
                                name=op.f('fk_access_grant_organization_id_organization')),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE',
                                name=op.f('fk_access_grant_account_id_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grant')),
    )
    op.create_index('ix_access_grant_account_status', 'access_grant', ['account_id', 'status', 'ends_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_grant_account_status', table_name='access_grant')
    op.drop_table('access_grant')
    op.drop_column('provider', 'break_glass_self_grant')
    op.drop_column('provider', 'break_glass_max_minutes')
