from msp_tui.core.services import clients, members, staff
from tests.conftest import PASSWORD


def test_create_client_and_list(db, admin):
    view = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                                 owner_email="owner@contoso.example")
    assert view.used == 1 and view.remaining == 4
    page = clients.list_clients(db, admin)
    assert [r.name for r in page.rows] == ["Contoso"]
    res = members.invite(db, admin, "Contoso", ["a@contoso.example", "b@contoso.example"])
    assert res.invited == ["a@contoso.example", "b@contoso.example"]
    st = staff.invite(db, admin, ["bob@msp.example"], "service")
    assert st.invited == ["bob@msp.example"]


def test_postgresql_plans_each_statement_for_its_values(db):
    """A generic plan cached after five runs cannot see one provider's million events beside
    another's ten: every connection plans per execution."""
    import pytest
    from sqlalchemy import text

    if db.is_sqlite:
        pytest.skip("SQLite plans every statement as it runs it")
    with db.read() as s:
        assert s.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
