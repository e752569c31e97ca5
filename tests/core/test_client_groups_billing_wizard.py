"""Client groups where issue 18 left gaps: the billing summary filters by group (its totals follow the
filter, the discount tier stays the provider's), a new client is created in existing and new client
groups in its own transaction (the onboarding wizard's one write), and a scoped Service User may put
a client only in groups of their scope."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import Event
from msp_tui.core.services import billing
from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients
from tests.core.test_client_groups_scope import shop  # noqa: F401 - the fixture


def _rows(db, actor, group=None):
    rows, after = billing.run_rate_page(db, actor, limit=50, group=group)
    assert after is None
    return rows


def test_billing_summary_filters_by_client_group_and_its_totals_follow(db, shop):  # noqa: F811
    admin = shop["admin"]
    gold = cg.group_ids(db, admin, ["Gold"])[0]
    everything = billing.summary(db, admin)
    only_gold = billing.summary(db, admin, group=gold)
    gold_rows = _rows(db, admin, gold)
    assert [r.name for r in gold_rows] == ["Contoso", "Fabrikam"]
    assert only_gold.clients == 2 and everything.clients == 3
    assert only_gold.monthly_total == sum((r.monthly for r in gold_rows), Decimal("0.00"))
    assert only_gold.monthly_total < everything.monthly_total
    assert [(p.plan, p.clients, p.assigned) for p in only_gold.plans] == [(gold_rows[0].plan, 2, 10)]
    # The discount is earned by every client under management, whatever the filter shows.
    assert only_gold.schedule == everything.schedule and only_gold.cumulative_seats == 15
    assert only_gold.without_payment == 2 and everything.without_payment == 3


def test_consolidated_billing_summary_by_group_leaves_the_provider_minimum_out(db, shop):  # noqa: F811
    admin = shop["admin"]
    billing.set_billing_mode(db, admin, "consolidated")
    billing.set_seat_minimum(db, admin, "enterprise", 40)
    silver = cg.group_ids(db, admin, ["Silver"])[0]
    whole = billing.summary(db, admin)
    part = billing.summary(db, admin, group=silver)
    assert whole.plans[0].unassigned == 25  # 40 minimum, 15 assigned: the provider's, not a group's
    assert [(p.clients, p.assigned, p.minimum, p.unassigned) for p in part.plans] == [(1, 5, 0, 0)]
    assert part.monthly_total == sum((r.monthly for r in _rows(db, admin, silver)), Decimal("0.00"))
    assert part.without_payment == 0  # consolidated: the provider pays


def test_client_created_in_existing_and_new_client_groups_in_one_transaction(db, shop):  # noqa: F811
    admin = shop["admin"]
    c = clients.create_client(db, admin, name="Woodgrove", plan="teams-monthly", seats=3,
                              owner_email="o@woodgrove.example", groups=["Silver"], new_groups=["Bronze"])
    assert c.groups == ("Bronze", "Silver")
    assert [(g.name, g.clients) for g in cg.list_client_groups(db, admin)] == [("Bronze", 1), ("Gold", 2),
                                                                              ("Silver", 2)]
    with db.read() as s:
        created = s.execute(select(Event.detail).where(Event.type == int(EventType.CLIENT_GROUP_CREATED))).all()
    assert {"client_group": "Bronze"} in [json.loads(d) for (d,) in created]
    # A new group's name taken (any case), or an unknown one: nothing is saved, not even the client.
    for kwargs, err, msg in ((dict(new_groups=["gold"]), BadInput, "already a client group named 'Gold'"),
                             (dict(groups=["Gold", "Nope"], new_groups=["Copper"]), NotFound, "'Nope'")):
        with pytest.raises(err, match=msg):
            clients.create_client(db, admin, name="Litware", plan="teams-monthly", seats=3,
                                  owner_email="o@litware.example", **kwargs)
        assert clients.count_clients(db, admin, "litware") == 0
        assert "Copper" not in [g.name for g in cg.list_client_groups(db, admin)]


def test_client_created_with_the_same_new_group_twice_makes_it_once(db, shop):  # noqa: F811
    admin = shop["admin"]
    c = clients.create_client(db, admin, name="Woodgrove", plan="teams-monthly", seats=3,
                              owner_email="o@woodgrove.example", new_groups=["Bronze", " bronze "])
    assert c.groups == ("Bronze",)


def test_S12_scoped_service_user_cannot_create_a_client_in_any_group(db, shop):  # noqa: F811
    """Today only Provider Admins create clients (S4): a scoped Service User is refused whichever
    group they name, inside their scope or not, and nothing is written."""
    tech = shop["tech"]
    for groups in (["Gold"], ["Silver"], []):
        with pytest.raises(Refused, match="S4"):
            clients.create_client(db, tech, name="Litware", plan="teams-monthly", seats=3,
                                  owner_email="o@litware.example", groups=groups)
    assert clients.count_clients(db, shop["admin"], "litware") == 0


def test_S12_putting_a_client_in_a_group_outside_the_scope_is_refused_as_if_it_did_not_exist(db, shop):  # noqa: F811
    """Should Service Users ever create clients, the groups they may name are those of their scope:
    put_in_groups (the one path of `clients create --group` and the wizard) asks the scope itself."""
    tech, admin = shop["tech"], shop["admin"]
    with db.write() as s:
        org = clients.find_client(s, admin.provider_id, "Contoso")
        with pytest.raises(NotFound, match="No client group 'Silver'"):
            cg.put_in_groups(s, tech, org, ["Silver"])
        with pytest.raises(Refused, match="S12"):
            cg.put_in_groups(s, tech, org, [], new=["Bronze"])  # a new group widens nobody's scope
        cg.put_in_groups(s, tech, org, ["Gold"])  # already in it: nothing to do, no refusal


def test_timeline_client_group_filter_reads_an_index_never_the_whole_event_table(db, shop):  # noqa: F811
    """F on the timeline (no type filter): the page walks the provider's date index newest first and
    asks the client group's membership through its own index (Scope.clients()' IN subquery): no scan
    of the event table, so the 1M-event budgets hold. On PostgreSQL, with sequential scans made
    dear (a handful of rows would otherwise be read whole), no sequential scan of event either."""
    from sqlalchemy import event

    from msp_tui.core.events import EventFilter
    from msp_tui.core.services import timeline

    admin = shop["admin"]
    gold = cg.group_ids(db, admin, ["Gold"])[0]
    seen = []

    def hook(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        rows = timeline.page(db, timeline.scope_for(db, admin), EventFilter(client_group=gold))
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)
    assert rows and {r.organization_id for r in rows} <= {shop["ids"]["Contoso"], shop["ids"]["Fabrikam"]}
    sql, params = next((q, p) for q, p in seen if "FROM event" in q and "LIMIT" in q)
    with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "SCAN event" not in plan and "SEARCH event USING INDEX ix_event_provider_date" in plan, plan
            assert "client_group_client USING COVERING INDEX" in plan, plan
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
            conn.exec_driver_sql("RESET enable_seqscan")
            assert "Seq Scan on event" not in plan, plan
