"""indexes for sorting (and filtering) the clients home by seats, used, remaining and plan

Revision ID: u001
Revises: p001
"""
from alembic import op


revision = 'u001'
down_revision = 'p001'
branch_labels = None
depends_on = None

COLUMNS = {
    'ix_organization_remaining': 'seats_remaining',
    'ix_organization_seats': 'seats',
    'ix_organization_occupied': 'occupied_seats',
    'ix_organization_plan': 'plan_type',
}


def upgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index('ix_organization_remaining')
        for name, column in COLUMNS.items():
            batch_op.create_index(name, [column, 'id', 'name_lower'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_index(name)
        batch_op.create_index('ix_organization_remaining', ['seats_remaining', 'id'], unique=False)
