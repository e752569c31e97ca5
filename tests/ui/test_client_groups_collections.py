"""Groups and collections are edited from the client screen as the command line edits them: each
action lands in the database with its event, and core's refusals reach the person."""

from __future__ import annotations

from sqlalchemy import select

from msp_tui.app import MspApp
from msp_tui.core.access import Kind
from msp_tui.core.enums import CollectionAccess, EventType
from msp_tui.core.models import CollectionGroup, CollectionMember, Event, Group, GroupMember, Member
from msp_tui.core.services import clients as client_service
from msp_tui.core.services import collections as coll_service
from msp_tui.core.services import groups as group_service
from msp_tui.core.services import members as member_service
from msp_tui.screens.client_detail import ClientDetailScreen
from msp_tui.screens.collections import CollectionAccessScreen
from msp_tui.widgets.group_dialogs import AccessDialog, ChecklistDialog
from msp_tui.widgets.paged_table import PagedTable
from tests.core.test_billing_visibility import make_actor
from tests.ui.frame_support import notes, settle, sync

SIZE = (120, 36)


def _client(db, admin):
    view = client_service.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=10,
                                        owner_email="owner@contoso.example")
    member_service.invite(db, admin, view.id, ["ana@contoso.example", "ben@contoso.example"], "user")
    return view


def _events(db, org_id, *types) -> list[Event]:
    with db.read() as s:
        return list(s.execute(select(Event).where(Event.organization_id == org_id,
                                                  Event.type.in_([int(t) for t in types]))
                              .order_by(Event.id)).scalars())


def _member_id(db, org_id, email):
    with db.read() as s:
        return s.execute(select(Member.id).where(Member.organization_id == org_id, Member.email == email)).scalar_one()


def _groups(db, org_id) -> dict[str, set[str]]:
    with db.read() as s:
        out = {g.name: set() for g in s.execute(select(Group).where(Group.organization_id == org_id)).scalars()}
        for name, email in s.execute(select(Group.name, Member.email).join(GroupMember, GroupMember.group_id == Group.id)
                                     .join(Member, Member.id == GroupMember.member_id)
                                     .where(Group.organization_id == org_id)):
            out[name].add(email)
        return out


async def _open_tab(pilot, app, org_id, tab: str):
    app.open_client(org_id)
    await settle(pilot)
    await pilot.press(str(["overview", "members", "groups", "collections"].index(tab) + 1))
    await settle(pilot)
    assert isinstance(app.screen, ClientDetailScreen)


def _tick(dialog: ChecklistDialog, *labels: str) -> None:
    from textual.widgets import SelectionList

    sl = dialog.query_one("#f-list", SelectionList)
    for i in range(sl.option_count):
        if str(sl.get_option_at_index(i).prompt) in labels:
            sl.toggle(sl.get_option_at_index(i).value)


@sync
async def test_group_created_renamed_given_members_and_deleted_from_the_groups_tab(db, admin):
    view = _client(db, admin)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _open_tab(pilot, app, view.id, "groups")
        # n on the groups tab: a new group with a name and members.
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChecklistDialog)
        await pilot.press(*"Finance")
        _tick(dialog, "ana@contoso.example")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert _groups(db, view.id) == {"Finance": {"ana@contoso.example"}}
        # enter on the group: rename it, swap ana for ben.
        table = app.screen.query_one("#groups-table", PagedTable)
        assert [g.name for g in table.rows] == ["Finance"]
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChecklistDialog)
        await pilot.press("ctrl+u", *"Accounting")
        _tick(dialog, "ana@contoso.example", "ben@contoso.example")
        await pilot.press("enter")
        await settle(pilot)
        assert _groups(db, view.id) == {"Accounting": {"ben@contoso.example"}}
        # A second group may not take the first one's name: core says why, the dialog stays.
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Accounting", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ChecklistDialog)
        assert "already has a group named 'Accounting'" in str(app.screen.query_one("#f-error").content)
        await pilot.press("escape")
        await settle(pilot)
        # Delete it from its dialog.
        await pilot.press("enter")
        await settle(pilot)
        await pilot.click("#f-delete")
        await settle(pilot)
        assert _groups(db, view.id) == {}
    types = [e.type for e in _events(db, view.id, EventType.GROUP_CREATED, EventType.GROUP_UPDATED,
                                     EventType.GROUP_DELETED, EventType.MEMBER_UPDATED_GROUPS)]
    assert types == [EventType.GROUP_CREATED, EventType.MEMBER_UPDATED_GROUPS, EventType.GROUP_UPDATED,
                     EventType.MEMBER_UPDATED_GROUPS, EventType.MEMBER_UPDATED_GROUPS, EventType.GROUP_DELETED]
    joined = _events(db, view.id, EventType.MEMBER_UPDATED_GROUPS)
    assert [e.organization_user_id for e in joined][0] == _member_id(db, view.id, "ana@contoso.example")
    assert all(e.acting_account_id == admin.account_id for e in joined)


@sync
async def test_member_groups_set_with_enter_on_the_members_tab(db, admin):
    view = _client(db, admin)
    group_service.create_group(db, admin, view.id, "Finance")
    group_service.create_group(db, admin, view.id, "Front desk")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _open_tab(pilot, app, view.id, "members")
        table = app.screen.query_one("#members-table", PagedTable)
        table.cursor = [m.email for m in table.rows].index("ben@contoso.example")
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChecklistDialog)
        _tick(dialog, "Finance", "Front desk")
        await pilot.click("#f-save")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
    assert _groups(db, view.id) == {"Finance": {"ben@contoso.example"}, "Front desk": {"ben@contoso.example"}}
    (event,) = _events(db, view.id, EventType.MEMBER_UPDATED_GROUPS)
    assert event.organization_user_id == _member_id(db, view.id, "ben@contoso.example")
    assert event.acting_account_id == admin.account_id


def _access(db, coll_id) -> dict[str, CollectionAccess]:
    with db.read() as s:
        out = {f"member {e}": CollectionAccess(a) for e, a in s.execute(
            select(Member.email, CollectionMember.access).join(CollectionMember,
                                                               CollectionMember.member_id == Member.id)
            .where(CollectionMember.collection_id == coll_id))}
        out.update({f"group {n}": CollectionAccess(a) for n, a in s.execute(
            select(Group.name, CollectionGroup.access).join(CollectionGroup, CollectionGroup.group_id == Group.id)
            .where(CollectionGroup.collection_id == coll_id))})
        return out


def _choose(dialog: AccessDialog, who: str | None, level: CollectionAccess) -> None:
    from textual.widgets import RadioButton

    if who is not None:
        for button in dialog.query("#f-who RadioButton").results(RadioButton):
            if str(button.label) == who:
                button.value = True
    dialog.query_one(f"#access-{int(level)}", RadioButton).value = True


@sync
async def test_collection_created_access_granted_changed_taken_away_renamed_and_deleted(db, admin):
    view = _client(db, admin)
    group_service.create_group(db, admin, view.id, "Finance")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _open_tab(pilot, app, view.id, "collections")
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Shared logins", "enter")
        await settle(pilot)
        colls = coll_service.list_collections(db, admin, view.id)
        (coll,) = [c for c in colls if c.name == "Shared logins"]
        # enter opens who may use it.
        table = app.screen.query_one("#collections-table", PagedTable)
        table.cursor = [c.name for c in table.rows].index("Shared logins")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CollectionAccessScreen)
        for who, level in [("group  Finance", CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS),
                           ("member ana@contoso.example", CollectionAccess.CAN_MANAGE)]:
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, AccessDialog)
            _choose(app.screen, who, level)
            await pilot.click("#f-save")
            await settle(pilot)
        assert _access(db, coll.id) == {"group Finance": CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS,
                                        "member ana@contoso.example": CollectionAccess.CAN_MANAGE}
        # enter on Finance (groups come first): change its level.
        table = app.screen.query_one("#access-table", PagedTable)
        assert [r.who for r in table.rows] == ["Finance", "ana@contoso.example"]
        await pilot.press("enter")
        await settle(pilot)
        _choose(app.screen, None, CollectionAccess.CAN_EDIT)
        await pilot.click("#f-save")
        await settle(pilot)
        assert _access(db, coll.id)["group Finance"] == CollectionAccess.CAN_EDIT
        # x takes ana's access away (asks first).
        await pilot.press("j", "x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert _access(db, coll.id) == {"group Finance": CollectionAccess.CAN_EDIT}
        await pilot.press("r", "ctrl+u", *"Front desk logins", "enter")
        await settle(pilot)
        assert "Front desk logins" in [c.name for c in coll_service.list_collections(db, admin, view.id)]
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert [c.name for c in coll_service.list_collections(db, admin, view.id)] == [
            c.name for c in colls if c.id != coll.id]
    events = [e for e in _events(db, view.id, EventType.COLLECTION_CREATED, EventType.COLLECTION_UPDATED,
                     EventType.COLLECTION_DELETED) if e.collection_id == coll.id]
    assert [e.type for e in events] == [EventType.COLLECTION_CREATED] + [EventType.COLLECTION_UPDATED] * 5 + [
        EventType.COLLECTION_DELETED]
    assert all(e.collection_id == coll.id and e.acting_account_id == admin.account_id for e in events)
    ana = _member_id(db, view.id, "ana@contoso.example")
    assert [e.organization_user_id for e in events if e.organization_user_id] == [ana, ana]
    assert len([e for e in events if e.group_id]) == 2


@sync
async def test_a_client_user_is_refused_group_and_collection_changes_by_core(db, admin):
    view = _client(db, admin)
    group_service.create_group(db, admin, view.id, "Finance")
    user = make_actor(db, admin, Kind.USER, view.id)
    before = _events(db, view.id, EventType.GROUP_CREATED, EventType.GROUP_UPDATED, EventType.COLLECTION_CREATED)
    app = MspApp(db, actor=user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _open_tab(pilot, app, view.id, "groups")
        screen = app.screen
        assert screen.check_action("new", ()) is None  # greyed: core says no
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ChecklistDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ChecklistDialog)
        assert any("Owners and Admins" in n or "manage" in n.lower() for n in notes(app)), notes(app)
    after = _events(db, view.id, EventType.GROUP_CREATED, EventType.GROUP_UPDATED, EventType.COLLECTION_CREATED)
    assert len(after) == len(before)
    assert _groups(db, view.id) == {"Finance": set()}


@sync
async def test_the_groups_and_collections_tabs_do_not_offer_the_clients_rename_seats_and_unlink(db, admin):
    """Issue 14: on a tab whose rows are groups or collections, "r Rename" read as renaming the row while
    it renamed the client. Those keys are the client's, so they belong to its other tabs."""
    from msp_tui.widgets.keybar import KeyBar

    view = _client(db, admin)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for tab in ("groups", "collections"):
            await _open_tab(pilot, app, view.id, tab)
            bar = str(app.screen.query_one(KeyBar).render())
            assert "Rename" not in bar and "Seats" not in bar and "Unlink" not in bar, (tab, bar)
            assert " n New " in bar, (tab, bar)
            await pilot.press("r")
            await settle(pilot)
            assert isinstance(app.screen, ClientDetailScreen), f"r on the {tab} tab opened {app.screen}"
            app.pop_screen()
            await settle(pilot)
        await _open_tab(pilot, app, view.id, "members")
        assert "Rename" in str(app.screen.query_one(KeyBar).render()), "the members tab keeps the client's keys"
