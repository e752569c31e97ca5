"""provider_organization.name_lower: two clients of one provider never share a name in any case

Older versions allowed "contoso legal" beside "Contoso Legal". Such clients keep their data; the later
ones (by creation) are renamed "<name> (2)", "(3)", … so each name picks one client, and the change is
visible in the client list. Then a unique index on (provider_id, name_lower) keeps it so.

Revision ID: n001
Revises: c001
"""
import sqlalchemy as sa
from alembic import op


revision = 'n001'
down_revision = 'c001'
branch_labels = None
depends_on = None

MAX_NAME = 50


def upgrade() -> None:
    with op.batch_alter_table('provider_organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_lower', sa.String(length=50), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT po.id, po.provider_id, o.id, o.name FROM provider_organization po "
        "JOIN organization o ON o.id = po.organization_id ORDER BY po.provider_id, po.created_at, po.id")).all()
    taken: set[tuple] = set()
    for link_id, provider_id, org_id, name in rows:
        key = (provider_id, name.lower())
        if key in taken:
            n = 2
            while True:
                suffix = f" ({n})"
                candidate = name[:MAX_NAME - len(suffix)] + suffix
                if (provider_id, candidate.lower()) not in taken and not any(
                        r[1] == provider_id and r[3].lower() == candidate.lower() for r in rows):
                    break
                n += 1
            name = candidate
            conn.execute(sa.text("UPDATE organization SET name = :name, name_lower = :lower WHERE id = :id"),
                         {"name": name, "lower": name.lower(), "id": org_id})
        taken.add((provider_id, name.lower()))
        conn.execute(sa.text("UPDATE provider_organization SET name_lower = :lower WHERE id = :id"),
                     {"lower": name.lower(), "id": link_id})
    with op.batch_alter_table('provider_organization', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_provider_organization_name', ['provider_id', 'name_lower'])


def downgrade() -> None:
    with op.batch_alter_table('provider_organization', schema=None) as batch_op:
        batch_op.drop_constraint('uq_provider_organization_name', type_='unique')
        batch_op.drop_column('name_lower')
