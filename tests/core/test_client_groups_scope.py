"""Client groups and S12 Scoped staff: outside a Service User's scope a client does not exist for
them (lists, counts, search, timeline, health, drift, exports), and every action on it is refused by
core with S12 naming the scope. Provider Admins always see every client."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msp_tui.core import access
from msp_tui.core.access import Action, Kind
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.events import EventFilter
from msp_tui.core.models import Event
from msp_tui.core.scope import may_see
from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients, health, members, staff, timeline
from msp_tui.core.services import policy_templates
from tests.world import join


def _events(db, type_):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(type_)).order_by(Event.id)).scalars().all()


@pytest.fixture
def shop(db, admin):
    """Three clients: Contoso and Fabrikam in 'Gold', Tailspin in 'Silver'; a technician (Service
    User) scoped to Gold, and one with every client."""
    made = {}
    for name in ("Contoso", "Fabrikam", "Tailspin"):
        made[name] = clients.create_client(db, admin, name=name, plan="enterprise-monthly", seats=5,
                                           owner_email=f"owner@{name.lower()}.example")
    cg.create_client_group(db, admin, "Gold", ["Contoso", "Fabrikam"])
    cg.create_client_group(db, admin, "Silver", ["Tailspin"])
    secrets = staff.invite(db, admin, ["tech@msp.example", "all@msp.example"], "service").secrets
    tech = join(db, "tech@msp.example", secrets["tech@msp.example"])
    everyone = join(db, "all@msp.example", secrets["all@msp.example"])
    staff.confirm(db, admin, "tech@msp.example")
    staff.confirm(db, admin, "all@msp.example")
    tech.provider_id = everyone.provider_id = admin.provider_id
    cg.set_staff_scope(db, admin, "tech@msp.example", ["Gold"])
    return {"admin": admin, "tech": tech, "all": everyone, "ids": {n: c.id for n, c in made.items()}}


def names(page):
    return sorted(c.name for c in page.rows)


def test_client_groups_create_rename_add_remove_delete_each_an_event(db, shop):
    admin = shop["admin"]
    assert [(g.name, g.clients) for g in cg.list_client_groups(db, admin)] == [("Gold", 2), ("Silver", 1)]
    cg.rename_client_group(db, admin, "silver", "Silver tier")
    assert cg.add_clients(db, admin, "Silver tier", ["Contoso", "Tailspin"]) == 1  # Tailspin already in
    assert clients.get_client(db, admin, "Contoso").groups == ("Gold", "Silver tier")
    assert cg.remove_clients(db, admin, "Silver tier", ["Contoso"]) == 1
    with pytest.raises(BadInput, match="already a client group named 'Gold'"):
        cg.create_client_group(db, admin, "GOLD")
    cg.delete_client_group(db, admin, "Silver tier")
    assert [g.name for g in cg.list_client_groups(db, admin)] == ["Gold"]
    assert clients.get_client(db, admin, "Tailspin").groups == ()  # the client stays
    kinds = [e.type for e in _events(db, EventType.CLIENT_GROUP_CREATED)]
    assert len(kinds) == 2
    assert len(_events(db, EventType.CLIENT_GROUP_RENAMED)) == 1
    assert len(_events(db, EventType.CLIENT_GROUP_CLIENT_ADDED)) == 4
    assert len(_events(db, EventType.CLIENT_GROUP_CLIENT_REMOVED)) == 1
    assert len(_events(db, EventType.CLIENT_GROUP_DELETED)) == 1
    assert len(_events(db, EventType.STAFF_SCOPE_CHANGED)) == 1


def test_S4_only_provider_admins_manage_client_groups_and_scopes(db, shop):
    with pytest.raises(Refused, match="Only Provider Admins can create, rename or delete client groups"):
        cg.add_clients(db, shop["all"], "Gold", ["Tailspin"])
    with pytest.raises(Refused, match="S4"):
        cg.set_staff_scope(db, shop["tech"], "tech@msp.example", None)


def test_S12_scoped_service_user_lists_and_counts_only_their_clients(db, shop):
    tech, admin, everyone = shop["tech"], shop["admin"], shop["all"]
    assert names(clients.list_clients(db, tech)) == ["Contoso", "Fabrikam"]
    assert clients.count_clients(db, tech) == 2
    assert clients.count_clients(db, tech, "tail") == 0  # search
    assert names(clients.list_clients(db, everyone)) == ["Contoso", "Fabrikam", "Tailspin"]
    assert names(clients.list_clients(db, admin)) == ["Contoso", "Fabrikam", "Tailspin"]
    assert [g.name for g in cg.list_client_groups(db, tech)] == ["Gold"]


def test_S12_every_action_on_a_client_outside_the_scope_is_refused_naming_the_scope(db, shop):
    tech = shop["tech"]
    for call in (lambda: clients.get_client(db, tech, "Tailspin"),
                 lambda: members.list_members(db, tech, "Tailspin"),
                 lambda: clients.rename(db, tech, "Tailspin", "Mine now"),
                 lambda: clients.change_seats(db, tech, "Tailspin", 9),
                 lambda: timeline.scope_for(db, tech, "Tailspin")):
        with pytest.raises(Refused) as err:
            call()
        assert err.value.rule == "S12"
        assert "outside your scope (the client group 'Gold')" in str(err.value)
    clients.get_client(db, tech, "Contoso")  # inside: allowed


def test_S12_may_see_is_the_one_question(db, shop):
    ids = shop["ids"]
    with db.read() as s:
        assert may_see(s, shop["tech"], ids["Contoso"]) and not may_see(s, shop["tech"], ids["Tailspin"])
        assert may_see(s, shop["admin"], ids["Tailspin"]) and may_see(s, shop["all"], ids["Tailspin"])
        standing = access.standing_for(s, shop["tech"], organization_id=ids["Tailspin"])
    assert standing.kind == Kind.OUT_OF_SCOPE
    assert not access.decide(standing, Action.VIEW_CLIENT)


def test_S12_timeline_and_export_show_no_event_of_a_client_outside_the_scope(db, shop):
    tech = shop["tech"]
    rows = timeline.page(db, timeline.scope_for(db, tech), EventFilter())
    seen = {r.organization_id for r in rows}
    assert shop["ids"]["Tailspin"] not in seen and shop["ids"]["Contoso"] in seen
    import io
    out = io.StringIO()
    timeline.export(db, timeline.scope_for(db, tech), EventFilter(), out, "csv")
    assert "Tailspin" not in out.getvalue() and "Contoso" in out.getvalue()
    with pytest.raises(NotFound):
        timeline.find_client_ids(db, tech, "tail")  # a part of its name finds nothing


def test_S12_health_and_drift_leave_out_clients_outside_the_scope(db, shop):
    tech, admin = shop["tech"], shop["admin"]
    report = health.report(db, tech)
    about = {f.organization_id for f in report.findings if f.organization_id}
    assert shop["ids"]["Tailspin"] not in about and shop["ids"]["Contoso"] in about
    assert shop["ids"]["Tailspin"] in {f.organization_id for f in health.report(db, admin).findings}
    policy_templates.create_template(db, admin, "Base", {"disable-send": (True, None)})
    policy_templates.apply_template(db, admin, "Base", [shop["ids"][n] for n in shop["ids"]], dry_run=False)
    from msp_tui.core.services import policies
    for name in ("Contoso", "Tailspin"):
        policies.set_policy(db, admin, name, "disable-send", enabled=False)
    assert [d.client_name for d in policy_templates.drift_report(db, tech)] == ["Contoso"]
    assert [d.client_name for d in policy_templates.drift_report(db, admin)] == ["Contoso", "Tailspin"]


def test_S12_scope_back_to_all_and_deleted_group_never_widens(db, shop):
    admin, tech = shop["admin"], shop["tech"]
    cg.delete_client_group(db, admin, "Gold")
    assert names(clients.list_clients(db, tech)) == []  # a scope left with no group: no client
    cg.set_staff_scope(db, admin, "tech@msp.example", None)
    assert names(clients.list_clients(db, tech)) == ["Contoso", "Fabrikam", "Tailspin"]
    assert staff_scope(db, admin, "tech@msp.example") == "every client"


def staff_scope(db, admin, email):
    views = {v.email: v.id for v in staff.list_staff(db, admin)}
    return cg.staff_scopes(db, admin)[views[email]]


def test_S12_provider_admins_cannot_be_scoped(db, shop):
    with pytest.raises(BadInput, match="always sees every client"):
        cg.set_staff_scope(db, shop["admin"], "ada@msp.example", ["Gold"])


def test_client_groups_filter_the_home_health_drift_and_timeline(db, shop):
    admin = shop["admin"]
    gold = cg.group_ids(db, admin, ["Gold"])[0]
    assert names(clients.list_clients(db, admin, group=gold)) == ["Contoso", "Fabrikam"]
    assert clients.count_clients(db, admin, group=gold) == 2
    about = {f.organization_id for f in health.report(db, admin, group=gold).findings if f.organization_id}
    assert shop["ids"]["Tailspin"] not in about
    rows = timeline.page(db, timeline.scope_for(db, admin), EventFilter(client_group=gold))
    assert rows and {r.organization_id for r in rows} <= {shop["ids"]["Contoso"], shop["ids"]["Fabrikam"]}


def test_client_created_in_groups_in_one_transaction(db, shop):
    admin = shop["admin"]
    c = clients.create_client(db, admin, name="Woodgrove", plan="teams-monthly", seats=3,
                              owner_email="o@woodgrove.example", groups=["Silver"])
    assert c.groups == ("Silver",)
    with pytest.raises(NotFound, match="No client group 'Bronze'"):
        clients.create_client(db, admin, name="Litware", plan="teams-monthly", seats=3,
                              owner_email="o@litware.example", groups=["Bronze"])
    assert clients.count_clients(db, admin, "litware") == 0
