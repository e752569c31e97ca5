"""PostgreSQL: a trigram index for the clients home's name filter (a fragment anywhere in the name)

At 100,000 clients a filter like "contoso dental 1" read every client on PostgreSQL (a sequential scan,
55-180 ms); with pg_trgm's GIN index it reads only the names that hold the fragment's trigrams. SQLite
is left as it is (its scan of the name index stays under the budget). Where the extension cannot be
made (not installed, or the database's role may not create it), the upgrade goes on without the
index: the filter works, only slower.

Revision ID: s001
Revises: r001
"""
from alembic import op
from sqlalchemy import text


revision = 's001'
down_revision = 'r001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        return
    try:
        with bind.begin_nested():  # a refusal must not abort the whole upgrade
            bind.execute(text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    except Exception:  # noqa: BLE001 - no privilege to create it: go on without the index
        return
    op.execute('CREATE INDEX IF NOT EXISTS ix_organization_name_trgm ON organization '
               'USING gin (name_lower gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_organization_name_trgm')
