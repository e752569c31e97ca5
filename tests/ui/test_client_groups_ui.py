"""Issue 18 in the UI: on the clients home `a` puts the marked clients (or the highlighted one) in client
groups, takes them out, or makes a new group for them; on the staff screen `s` sets a Service User's
scope (S12). Each change is core's, with its event; core's refusals stay in the dialog."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input, SelectionList

from msp_tui.app import MspApp
from msp_tui.core.enums import EventType
from msp_tui.core.models import ClientGroup, ClientGroupClient, Organization
from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients
from msp_tui.widgets.group_dialogs import ChecklistDialog
from tests.conftest import make_provider
from tests.ui.frame_support import event_types, make_service_user, settle, sync

GROUP_EVENTS = (EventType.CLIENT_GROUP_CREATED, EventType.CLIENT_GROUP_CLIENT_ADDED,
                EventType.CLIENT_GROUP_CLIENT_REMOVED, EventType.STAFF_SCOPE_CHANGED)


def world(db):
    admin = make_provider(db)
    for name in ("Contoso Legal", "Fabrikam Dental", "Tailspin Toys"):
        clients.create_client(db, admin, name=name, plan="teams-monthly", seats=3,
                              owner_email=f"it@{name.split()[0].lower()}.example")
    cg.create_client_group(db, admin, "Gold", ["Contoso Legal"])
    cg.create_client_group(db, admin, "Silver", [])
    return admin


def members(db) -> dict[str, list[str]]:
    with db.read() as s:
        rows = s.execute(select(ClientGroup.name, Organization.name)
                         .join(ClientGroupClient, ClientGroupClient.client_group_id == ClientGroup.id)
                         .join(Organization, Organization.id == ClientGroupClient.organization_id)
                         .order_by(ClientGroup.name, Organization.name)).all()
    out: dict[str, list[str]] = {}
    for g, o in rows:
        out.setdefault(g, []).append(o)
    return out


def group_id(db, name):
    with db.read() as s:
        return s.execute(select(ClientGroup.id).where(ClientGroup.name == name)).scalar_one()


async def save(pilot, new_name: str = "") -> None:
    dialog = pilot.app.screen
    box = dialog.query_one("#f-name", Input)
    box.focus()
    box.value = new_name
    await pilot.press("enter")
    await settle(pilot, 6)


@sync
async def test_a_puts_the_marked_clients_in_a_group_and_a_new_one_with_events(db):
    admin = world(db)
    before = event_types(db, *GROUP_EVENTS)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "space", "j", "space")  # Fabrikam and Tailspin marked
        await pilot.press("a")
        await settle(pilot, 6)
        dialog = app.screen
        assert isinstance(dialog, ChecklistDialog)
        assert dialog.ticked() == []
        dialog.query_one(SelectionList).select(group_id(db, "Silver"))
        await save(pilot, "North")
        assert not isinstance(app.screen, ChecklistDialog)
    assert members(db) == {"Gold": ["Contoso Legal"], "North": ["Fabrikam Dental", "Tailspin Toys"],
                           "Silver": ["Fabrikam Dental", "Tailspin Toys"]}
    assert event_types(db, *GROUP_EVENTS)[len(before):] == [1950, 1953, 1953, 1953, 1953]


@sync
async def test_a_takes_the_highlighted_client_out_of_a_group_with_its_event(sqlite_db):
    admin = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")  # Contoso Legal, in Gold
        await settle(pilot, 6)
        dialog = app.screen
        assert dialog.ticked() == [group_id(sqlite_db, "Gold")]
        dialog.query_one(SelectionList).deselect_all()
        await save(pilot)
    assert members(sqlite_db) == {}
    assert event_types(sqlite_db, EventType.CLIENT_GROUP_CLIENT_REMOVED) == [1954]


@sync
async def test_a_taken_group_name_is_refused_in_the_dialog_and_nothing_changes(sqlite_db):
    admin = world(sqlite_db)
    before = event_types(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "a")
        await settle(pilot, 6)
        app.screen.query_one(SelectionList).select(group_id(sqlite_db, "Silver"))
        await save(pilot, "gold")
        dialog = app.screen
        assert isinstance(dialog, ChecklistDialog)  # still open, with core's sentence
        assert "There is already a client group named 'Gold'." in str(dialog.query_one("#f-error").render())
    assert event_types(sqlite_db) == before
    assert members(sqlite_db) == {"Gold": ["Contoso Legal"]}


@sync
async def test_a_is_greyed_for_a_service_user_and_core_says_why(sqlite_db):
    admin = world(sqlite_db)
    sam = make_service_user(sqlite_db, admin)
    app = MspApp(sqlite_db, actor=sam)
    seen = []
    app.show_refusal = lambda d: seen.append(d)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.check_action("client_groups", ()) is None  # greyed
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, ChecklistDialog)
    assert seen and "Provider Admin" in seen[0].reason


def scope_label(db, admin, email):
    from msp_tui.core.services.staff import list_staff

    row = next(r for r in list_staff(db, admin) if r.email == email)
    return cg.staff_scope_views(db, admin)[row.id].label


async def open_staff_on(pilot, email):
    pilot.app.open_area("staff")
    await settle(pilot, 6)
    table = pilot.app.screen.table
    while table.current_row.email != email:
        await pilot.press("j")
    await settle(pilot)


@sync
async def test_s_on_the_staff_screen_scopes_a_service_user_and_back_to_every_client(db):
    from msp_tui.widgets.group_dialogs import ScopeDialog

    admin = world(db)
    make_service_user(db, admin)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_staff_on(pilot, "sam@msp.example")
        assert app.screen._scope_of(app.screen.table.current_row).plain == "all clients"
        await pilot.press("s")
        await settle(pilot, 6)
        dialog = app.screen
        assert isinstance(dialog, ScopeDialog) and dialog.every_client()
        dialog.query_one(SelectionList).select(group_id(db, "Gold"))
        await pilot.click("#f-save")
        await settle(pilot, 6)
        assert not isinstance(app.screen, ScopeDialog)
        assert app.screen._scope_of(app.screen.table.current_row).plain == "Gold"
        assert scope_label(db, admin, "sam@msp.example") == "the client group 'Gold'"
        await pilot.press("s")
        await settle(pilot, 6)
        dialog = app.screen
        assert not dialog.every_client() and dialog.ticked() == [group_id(db, "Gold")]
        dialog.query_one("#scope-all").value = True
        await pilot.click("#f-save")
        await settle(pilot, 6)
    assert scope_label(db, admin, "sam@msp.example") == "every client"
    assert event_types(db, EventType.STAFF_SCOPE_CHANGED) == [1955, 1955]


@sync
async def test_s_with_no_group_ticked_shows_cores_refusal_and_changes_nothing(sqlite_db):
    admin = world(sqlite_db)
    make_service_user(sqlite_db, admin)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_staff_on(pilot, "sam@msp.example")
        await pilot.press("s")
        await settle(pilot, 6)
        dialog = app.screen
        dialog.query_one("#scope-groups").value = True
        await pilot.click("#f-save")
        await settle(pilot, 6)
        assert app.screen is dialog
        assert "Name at least one client group" in str(dialog.query_one("#f-error").render())
    assert scope_label(sqlite_db, admin, "sam@msp.example") == "every client"
    assert event_types(sqlite_db, EventType.STAFF_SCOPE_CHANGED) == []


@sync
async def test_s_is_greyed_on_a_provider_admins_row_S12(sqlite_db):
    admin = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    seen = []
    app.show_refusal = lambda d: seen.append(d)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_staff_on(pilot, "ada@msp.example")
        assert app.screen.check_action("scope", ()) is None
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "StaffScreen"
    assert seen and seen[0].rule == "S12"


@sync
async def test_groups_column_shows_each_clients_groups_and_follows_a(sqlite_db):
    admin = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, 6)
        screen = app.screen
        shown = {r.name: screen._groups_of(r).plain for r in screen.table.rows}
        assert shown == {"Contoso Legal": "Gold", "Fabrikam Dental": "", "Tailspin Toys": ""}
        await pilot.press("j", "a")
        await settle(pilot, 6)
        app.screen.query_one(SelectionList).select(group_id(sqlite_db, "Gold"))
        app.screen.query_one(SelectionList).select(group_id(sqlite_db, "Silver"))
        await save(pilot)
        await settle(pilot, 6)
        assert screen._groups_of(screen.table.current_row).plain == "Gold, Silver"


@sync
async def test_S12_groups_column_names_only_groups_of_the_scope(sqlite_db):
    admin = world(sqlite_db)
    sam = make_service_user(sqlite_db, admin)
    cg.add_clients(sqlite_db, admin, "Silver", ["Contoso Legal"])
    cg.set_staff_scope(sqlite_db, admin, "sam@msp.example", ["Silver"])
    assert cg.group_names_of(sqlite_db, sam, [clients.list_clients(sqlite_db, admin).rows[0].id]) \
        == {clients.list_clients(sqlite_db, admin).rows[0].id: ["Silver"]}
