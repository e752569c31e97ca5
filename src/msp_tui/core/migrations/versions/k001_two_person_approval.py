"""two-person approval: the provider's guarded actions and the pending requests

Revision ID: k001
Revises: f001
"""
import sqlalchemy as sa
from alembic import op


revision = 'k001'
down_revision = 'f001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_actions', sa.String(length=300), nullable=True))
    op.create_table(
        'approval_request',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Uuid(), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('arguments', sa.Text(), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=True),
        sa.Column('requested_by_id', sa.Uuid(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.SmallInteger(), nullable=False),
        sa.Column('decided_by_id', sa.Uuid(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], ondelete='CASCADE',
                                name=op.f('fk_approval_request_provider_id_provider')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['account.id'], ondelete='CASCADE',
                                name=op.f('fk_approval_request_requested_by_id_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_request')),
    )
    op.create_index('ix_approval_request_provider_status', 'approval_request',
                    ['provider_id', 'status', 'requested_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_approval_request_provider_status', table_name='approval_request')
    op.drop_table('approval_request')
    # Plain DROP COLUMN (SQLite 3.35+): a batch would re-create the table and cascade deletes.
    op.drop_column('provider', 'approval_actions')
