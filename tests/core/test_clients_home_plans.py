"""What the clients home asks the database at each page (issue 19: a scoped technician's page down at
100,000 clients missed its 50 ms): the plans SQLite picks, checked with EXPLAIN QUERY PLAN on the
statements core really sends, and the same pages on PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients, policies
from tests.core.test_client_groups_scope import shop  # noqa: F401 - the fixture


@contextmanager
def sent(db, marker: str):
    """The (statement, parameters) sent while inside, those containing `marker`."""
    seen = []

    def hook(conn, cursor, statement, parameters, context, executemany):
        if marker in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)


def sqlite_plan(db, statement, params) -> str:
    with db.engine.connect() as conn:
        return "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))


def pages(db, actor, **kw) -> list[list[str]]:
    """Every keyset page of the listing (two clients a page)."""
    out, after = [], None
    while True:
        page = clients.list_clients(db, actor, limit=2, after=after, **kw)
        out.append([r.name for r in page.rows])
        if page.next_cursor is None:
            return out
        after = page.next_cursor


@pytest.fixture
def more(db, shop):  # noqa: F811
    """Shop's Gold holds five clients (Contoso, Fabrikam, three more), Silver one (Tailspin)."""
    for name in ("Adatum", "Litware", "Northwind"):
        clients.create_client(db, shop["admin"], name=name, plan="teams-monthly", seats=2,
                              owner_email=f"owner@{name.lower()}.example")
    cg.add_clients(db, shop["admin"], "Gold", ["Adatum", "Litware", "Northwind"])
    return shop


@pytest.mark.parametrize("kw", [{}, {"text": "o"}, {"sort": "remaining", "descending": True}, {"sort": "plan"}])
def test_S12_a_scope_of_many_clients_walks_the_sort_index_and_lists_the_same_pages(db, more, monkeypatch, kw):
    """A scope of many clients (2,500 of 100,000) is checked row by row while the sort index is walked,
    as a Provider Admin's list is, and a page stops after its rows (7 ms); read whole first and sorted
    it cost 21 ms a page. A small scope is still read from its client groups. Either way the same pages."""
    tech = more["tech"]
    small = pages(db, tech, **kw)
    with sent(db, "organization.seats_remaining") as few:
        clients.list_clients(db, tech, **kw)
    monkeypatch.setattr(clients, "SCOPE_WALKED_FROM", 5)  # Gold's five clients are "many" now
    with sent(db, "organization.seats_remaining") as many, sent(db, "SELECT") as every:
        clients.list_clients(db, tech, **kw)
    # SQLite is told, by a count of at most SCOPE_WALKED_FROM of her clients; PostgreSQL's planner
    # knows from its statistics (both forms give it the same plan), so no round trip is spent asking.
    assert sum("count(" in q for q, _ in every) == (1 if db.is_sqlite else 0)
    assert pages(db, tech, **kw) == small
    assert sum(len(p) for p in small) == (2 if kw.get("text") else 5)  # (Contoso and Northwind have an o)
    if db.is_sqlite:
        plan = sqlite_plan(db, *few[-1])
        assert "SEARCH client_group_client" in plan and "TEMP B-TREE FOR ORDER BY" in plan, plan
        plan = sqlite_plan(db, *many[-1])
        assert "SCAN organization USING INDEX ix_organization_" in plan, plan
        assert "TEMP B-TREE" not in plan and "SEARCH client_group_client USING COVERING INDEX" in plan, plan
    monkeypatch.setattr(clients, "SCOPE_WALKED_FROM", 6)  # one more than she has: read whole again
    with sent(db, "organization.seats_remaining") as few:
        clients.list_clients(db, tech, **kw)
    if db.is_sqlite:
        assert "SEARCH client_group_client" in sqlite_plan(db, *few[-1])


def test_S12_clients_list_and_client_name_only_the_client_groups_of_the_scope(db, shop):  # noqa: F811
    """A scoped Service User is not told of client groups outside the scope: not by the home's Groups
    column, nor by `clients list` / `clients show` (the listing's own group names)."""
    admin, tech = shop["admin"], shop["tech"]
    cg.add_clients(db, admin, "Silver", ["Contoso"])
    assert clients.get_client(db, admin, "Contoso").groups == ("Gold", "Silver")
    assert clients.get_client(db, tech, "Contoso").groups == ("Gold",)
    assert {r.name: r.groups for r in clients.list_clients(db, tech).rows} == {
        "Contoso": ("Gold",), "Fabrikam": ("Gold",)}
    assert {r.name: r.groups for r in clients.list_clients(db, admin).rows}["Contoso"] == ("Gold", "Silver")


def test_drift_flags_of_a_page_seek_its_clients_not_every_drifted_client(db, shop):  # noqa: F811
    """The home asks for the drift flags of each page: SQLite read them through the `drifted` index,
    every drifted client of the provider (8,700 at 100,000 clients, 10 ms a page), instead of seeking
    the page's fifty by key."""
    ids = list(shop["ids"].values())
    with sent(db, "client_policy_template") as asked:
        assert policies.drifted_client_ids(db, shop["admin"], ids) == set()
    assert len(asked) == 1
    if db.is_sqlite:
        plan = sqlite_plan(db, *asked[0])
        assert "ix_client_policy_template_drifted" not in plan, plan
        assert "client_policy_template USING" in plan and "(organization_id=?)" in plan, plan


def test_postgres_name_filter_checks_names_in_the_sort_index_not_in_each_clients_row(db, admin):
    """Issue 19: on PostgreSQL a Provider Admin's filter keystroke ("con" … "contoso dental ", 100,000
    clients) walked the name index and fetched every client's row to test its name: 24-45 ms a key. The
    page's ids now come from the index alone (an index-only scan tests the name there), then its rows.
    Same pages on SQLite, which already tests the name in the index."""
    from sqlalchemy import text

    for name in ("Contoso Dental", "Contoso Legal", "Fabrikam", "Northwind Contoso"):
        clients.create_client(db, admin, name=name, plan="teams-monthly", seats=2,
                              owner_email=f"o@{name.split()[0].lower()}.example")
    assert [r.name for r in clients.list_clients(db, admin, text="contoso").rows] == [
        "Contoso Dental", "Contoso Legal", "Northwind Contoso"]
    page = clients.list_clients(db, admin, text="contoso", limit=1)
    assert [r.name for r in clients.list_clients(db, admin, text="contoso", after=page.next_cursor).rows] == [
        "Contoso Legal", "Northwind Contoso"]
    if db.is_sqlite:
        return
    with db.write() as s:  # 20,000 more clients, straight in (set-up), so the planner sees a provider's size
        s.execute(text("""
            INSERT INTO organization (id, name, name_lower, billing_email, plan_type, seats, occupied_seats,
                                      seats_remaining, status, enabled, is_internal, use_policies,
                                      use_custom_permissions, created_at, version, revision_date)
            SELECT gen_random_uuid(), 'Client ' || i, 'client ' || i, 'b@x.example', 17, 10, 0, 10, 2, true,
                   false, false, false, now(), 1, now()
            FROM generate_series(1, 20000) AS i"""))
        s.execute(text("""
            INSERT INTO provider_organization (id, provider_id, organization_id, created_at, name_lower)
            SELECT gen_random_uuid(), :provider, id, now(), name_lower FROM organization
            WHERE name_lower LIKE 'client %'"""), {"provider": admin.provider_id})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE organization")
        conn.exec_driver_sql("VACUUM ANALYZE provider_organization")
    with sent(db, "organization.seats_remaining") as asked:  # a fragment in most names: the walk pays
        assert [r.name for r in clients.list_clients(db, admin, text="client 1", limit=3).rows] == [
            "Client 1", "Client 10", "Client 100"]
    statement, params = asked[-1]
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")  # (the trigram index answers rare fragments)
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
    assert "Index Only Scan using ix_organization_name_lower" in plan, plan


def test_postgres_scoped_list_walks_with_the_scope_hashed_not_probing_an_index_per_client(db, more):  # noqa: F811
    """Issue 19: Tess's page down on PostgreSQL (2,500 of 100,000 clients) walked the name index with a
    semi-join probing client_group_client for each of the ~1,900 clients walked past: 14-20 ms of server
    time a page. Her clients are now one hashed filter of that walk (3 ms). With a name filter PostgreSQL
    still chooses (the trigram index joined with her clients is cheaper then)."""
    tech = more["tech"]
    with sent(db, "organization.seats_remaining") as asked:
        names = [r.name for r in clients.list_clients(db, tech).rows]
        clients.list_clients(db, tech, text="con")
    assert names == ["Adatum", "Contoso", "Fabrikam", "Litware", "Northwind"]
    if db.is_sqlite:
        return
    with db.engine.connect() as conn:
        plans = ["\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + q, p)) for q, p in asked]
    assert "hashed SubPlan" in plans[0], plans[0]
    assert "hashed SubPlan" not in plans[1], plans[1]


def test_postgres_a_clients_home_page_is_one_round_trip_with_its_flags_groups_and_drift(db, more):
    """Issue 19: on PostgreSQL the clients home's keys at 100,000 clients missed 50 ms on wall time
    because a page cost 6 round trips for a Provider Admin and 8 for a scoped technician (the access
    check, her scope's groups, her break-glass grants, the page, its stale invitations, its client
    groups, then the drift flags behind an access check of their own), each waiting for the server
    process on a busy machine. Now the page brings its flags, groups and drift (admin: 2 statements, her:
    3) and both engines list the same as the separate questions answer (her groups only of her scope, S12)."""
    from datetime import timedelta

    from msp_tui.core import clock
    from msp_tui.core.services import policies as pol
    from tests.core.test_policies_templates import BASE

    admin, tech = more["admin"], more["tech"]
    cg.add_clients(db, admin, "Silver", ["Contoso"])
    pol.create_template(db, admin, "Baseline", BASE)
    pol.apply_template(db, admin, "Baseline", ["Contoso", "Fabrikam"], dry_run=False)
    pol.set_policy(db, admin, more["ids"]["Contoso"], "vault-timeout", options={"minutes": 720})
    clock.freeze(clock.now() + timedelta(days=6))  # every owner invitation so far is stale now
    clients.create_client(db, admin, name="Woodgrove", plan="teams-monthly", seats=2,
                          owner_email="owner@woodgrove.example")
    cg.add_clients(db, admin, "Gold", ["Woodgrove"])

    for actor in (admin, tech):
        with sent(db, "") as every:
            page = clients.list_clients(db, actor, limit=50)
        ids = [r.id for r in page.rows]
        with db.read() as s:
            stale = clients._orgs_with_stale_invites(s, ids)
            groups = cg.groups_of(s, ids, clients.scope_of(s, actor))
        drifted = pol.drifted_client_ids(db, actor, ids)
        assert [(r.name, r.stale_invites, r.groups, r.drifted) for r in page.rows] == [
            (r.name, r.id in stale, tuple(groups.get(r.id, ())), r.id in drifted) for r in page.rows]
        shown = {r.name: (r.stale_invites, r.groups, r.drifted) for r in page.rows}
        assert shown["Contoso"] == (True, ("Gold", "Silver") if actor is admin else ("Gold",), True)
        assert shown["Fabrikam"] == (True, ("Gold",), False) and shown["Woodgrove"] == (False, ("Gold",), False)
        assert ("Tailspin" in shown) == (actor is admin)
        if not db.is_sqlite:
            assert len(every) == (2 if actor is admin else 3), [" ".join(q.split())[:90] for q, _ in every]
