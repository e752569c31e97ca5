"""The clients home's name filter on PostgreSQL: a fragment anywhere in the name is found through
pg_trgm's trigram index (migration s001), not by reading every client (issue 19: at 100,000 clients
the filter "contoso dental 1" was a sequential scan of 55-180 ms)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import new_pg

pytestmark = pytest.mark.postgres


def test_postgres_client_name_filter_has_a_trigram_index(pg_server):
    db = new_pg(pg_server)
    try:
        with db.read() as s:
            found = s.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_organization_name_trgm'"
                                   )).scalar()
        assert found is not None and "gin" in found and "gin_trgm_ops" in found
    finally:
        db.dispose()


def test_postgres_client_name_filter_reads_only_matching_names(pg_server):
    """With many clients, a rare fragment is answered from the trigram index (a bitmap scan)."""
    from msp_tui.core.models import Organization
    from msp_tui.core.services import clients
    from tests.conftest import make_provider

    db = new_pg(pg_server)
    try:
        admin = make_provider(db)
        with db.write() as s:  # 20,000 names, straight in: set-up, not the path under test
            s.execute(text("""
                INSERT INTO organization (id, name, name_lower, billing_email, plan_type, seats, occupied_seats,
                                          seats_remaining, status, enabled, is_internal, use_policies,
                                          use_custom_permissions, created_at, version, revision_date)
                SELECT gen_random_uuid(), 'Client ' || i, 'client ' || i, 'b@x.example', 2, 10, 0, 10, 0, true,
                       false, false, false, now(), 1, now()
                FROM generate_series(1, 20000) AS i"""))
            s.execute(text("""
                INSERT INTO provider_organization (id, provider_id, organization_id, created_at, name_lower)
                SELECT gen_random_uuid(), :provider, id, now(), name_lower FROM organization
                WHERE name_lower LIKE 'client %'"""), {"provider": admin.provider_id})
            s.execute(text("ANALYZE organization"))
            s.execute(text("ANALYZE provider_organization"))
        stmt = clients._filtered(admin.provider_id, "client 12345").order_by(Organization.name_lower,
                                                                              Organization.id).limit(50)
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True})).replace("%%", "%")
        with db.read() as s:
            plan = "\n".join(r[0] for r in s.execute(text("EXPLAIN " + sql)))
        assert "ix_organization_name_trgm" in plan, plan
    finally:
        db.dispose()
