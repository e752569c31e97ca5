"""client groups, the clients in them, and Service Users' scopes (S12)

Revision ID: j001
Revises: k001
"""
import sqlalchemy as sa
from alembic import op


revision = 'j001'
down_revision = 'k001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'client_group',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('provider_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('name_lower', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('revision_date', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_client_group_provider_id_provider'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_client_group')),
        sa.UniqueConstraint('provider_id', 'name_lower', name='uq_client_group_name'),
    )
    op.create_table(
        'client_group_client',
        sa.Column('client_group_id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['client_group_id'], ['client_group.id'],
                                name=op.f('fk_client_group_client_client_group_id_client_group'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_client_group_client_organization_id_organization'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_group_id', 'organization_id', name=op.f('pk_client_group_client')),
    )
    op.create_index('ix_client_group_client_org', 'client_group_client', ['organization_id', 'client_group_id'])
    op.create_table(
        'staff_scope_group',
        sa.Column('staff_id', sa.Uuid(), nullable=False),
        sa.Column('client_group_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['client_group_id'], ['client_group.id'],
                                name=op.f('fk_staff_scope_group_client_group_id_client_group'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['provider_user.id'],
                                name=op.f('fk_staff_scope_group_staff_id_provider_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_id', 'client_group_id', name=op.f('pk_staff_scope_group')),
    )
    op.create_index(op.f('ix_staff_scope_group_client_group_id'), 'staff_scope_group', ['client_group_id'])
    # Plain ADD COLUMN: a batch would re-create provider_user, and with foreign keys on that deletes
    # every row referencing it (ON DELETE CASCADE).
    op.add_column('provider_user', sa.Column('scoped', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('provider_user', 'scoped')
    op.drop_index(op.f('ix_staff_scope_group_client_group_id'), table_name='staff_scope_group')
    op.drop_table('staff_scope_group')
    op.drop_index('ix_client_group_client_org', table_name='client_group_client')
    op.drop_table('client_group_client')
    op.drop_table('client_group')
