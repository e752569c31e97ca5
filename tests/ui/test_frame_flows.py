"""Pilot tests of the frame's flows, asserting what lands in the database and the events written."""

from __future__ import annotations

from sqlalchemy import select

from msp_tui.app import MspApp
from msp_tui.core.enums import EventType, MemberRole, MemberStatus, PlanType, StaffRole, StaffStatus
from msp_tui.core.models import Client, Member, Organization
from msp_tui.core.services import accounts
from msp_tui.core.services import clients as client_service
from msp_tui.core.services import staff as staff_service
from msp_tui.screens.client_detail import ClientDetailScreen
from msp_tui.screens.clients import ClientsScreen
from msp_tui.screens.confirm import ConfirmModal, TypeNameModal
from msp_tui.screens.login import LoginScreen
from msp_tui.screens.onboarding import OnboardingScreen
from msp_tui.screens.staff import InviteModal, StaffScreen
from msp_tui.widgets.invite_secrets import InviteSecretsModal
from msp_tui.widgets.paged_table import PagedTable
from tests.conftest import PASSWORD
from tests.ui.frame_support import (client_names, count, event_types, make_service_user, notes, settle, staff_row,
                                    sync)

SIZE = (120, 36)


@sync
async def test_onboard_new_client_end_to_end(db, admin):
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen)
        await pilot.press("enter")  # a new client
        await settle(pilot)
        await pilot.press(*"Contoso Dental", "enter")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # Enterprise (Monthly)
        await settle(pilot)
        await pilot.press("ctrl+u", *"12", "enter")
        await settle(pilot)
        await pilot.press(*"billing@contoso.example", "enter")
        await settle(pilot)
        await pilot.press("ctrl+u", *"owner@contoso.example", "enter")
        await settle(pilot)
        await pilot.press("enter")  # in no client group
        await settle(pilot)
        await pilot.press("shift+tab", "right", "right", "enter", "tab", "enter")  # payment: invoice (net 30)
        await settle(pilot)
        await pilot.press("enter")  # no policy template
        await settle(pilot)
        # On the confirmation step: nothing written yet.
        assert app.screen.current.key == "confirm"
        assert client_names(db) == []
        assert event_types(db, EventType.CLIENT_CREATED) == []
        await pilot.press("enter")
        await settle(pilot)
        # The owner's one-time invitation secret, shown once over the new client's screen.
        assert isinstance(app.screen, InviteSecretsModal)
        assert list(app.screen.secrets) == ["owner@contoso.example"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
    with db.read() as s:
        org = s.execute(select(Organization).where(Organization.name == "Contoso Dental")).scalar_one()
        assert org.plan_type == PlanType.ENTERPRISE_MONTHLY
        assert org.seats == 12
        assert org.billing_email == "billing@contoso.example"
        owner = s.execute(select(Member).where(Member.organization_id == org.id)).scalar_one()
        assert (owner.email, owner.role, owner.status) == ("owner@contoso.example", MemberRole.OWNER,
                                                           MemberStatus.INVITED)
        assert s.execute(select(Client).where(Client.organization_id == org.id)).scalar_one()
    assert event_types(db, EventType.CLIENT_CREATED, EventType.MEMBER_INVITED, EventType.COLLECTION_CREATED) == [
        EventType.CLIENT_CREATED, EventType.MEMBER_INVITED, EventType.COLLECTION_CREATED]


@sync
async def test_onboarding_checks_each_field_as_you_type_and_esc_writes_nothing(sqlite_db):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("enter", *"Acme", "enter", "enter")  # name, plan
        await settle(pilot)
        assert app.screen.current.key == "seats"
        await pilot.press("ctrl+u", "0")
        error = str(app.screen.current.query_one("#error").render())
        assert "Seats must be at least 1." in error
        await pilot.press("enter")  # refused: stays on the step
        assert app.screen.current.key == "seats"
        await pilot.press("ctrl+u", "5", "enter", *"not-an-email")
        assert "not a valid email" in str(app.screen.current.query_one("#error").render())
        await pilot.press("ctrl+b")  # a step back (esc leaves, asking first: see test_palette_and_wizard)
        await settle(pilot)
        assert app.screen.current.key == "seats"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    assert client_names(sqlite_db) == []
    assert event_types(sqlite_db, EventType.CLIENT_CREATED) == []


@sync
async def test_onboarding_adds_an_existing_org_the_admin_owns(tmp_path):
    from msp_tui.core import demo
    from msp_tui.core.db import Database

    db = Database(tmp_path / "demo.db")
    result = demo.build(db, clients=3, events=0)
    addable = client_service.addable_orgs(db, result.actor)
    assert addable
    app = MspApp(db, actor=result.actor, start="onboarding", start_args={"mode": "existing"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen)
        assert app.screen.current.key == "existing"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.current.key == "confirm"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
    assert addable[0].name in client_names(db)
    assert event_types(db, EventType.CLIENT_ADDED) == [EventType.CLIENT_ADDED]
    db.dispose()


@sync
async def test_invite_and_confirm_staff(db, admin):
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StaffScreen)
        assert app.screen.query_one("#failover").display  # only one confirmed admin
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, InviteModal)
        await pilot.press(*"bo@msp.example, cy@msp.example")
        await pilot.click("#admin")
        app.screen.query_one("#emails").focus()
        await pilot.press("enter")  # submit from the emails field
        await settle(pilot)
        # The one-time secrets are shown once, to pass on; the database keeps only their hashes.
        assert isinstance(app.screen, InviteSecretsModal)
        shown = str(app.screen.query_one("#invite-secrets-body").render())
        secrets = app.screen.secrets
        assert set(secrets) == {"bo@msp.example", "cy@msp.example"} and all(v in shown for v in secrets.values())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffScreen)
        assert staff_row(db, "bo@msp.example").status == StaffStatus.INVITED
        assert staff_row(db, "cy@msp.example").role == StaffRole.PROVIDER_ADMIN
        assert event_types(db, EventType.STAFF_INVITED).count(EventType.STAFF_INVITED) == 3  # incl. the first admin

        # Both accept (outside the app), then the admin confirms the two marked rows at once.
        for email in ("bo@msp.example", "cy@msp.example"):
            accounts.accept_invitations(db, email=email, secret=secrets[email], password=PASSWORD)
        await pilot.press("r")
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        for i, row in enumerate(table.rows):
            if row.email in ("bo@msp.example", "cy@msp.example"):
                table.cursor = i
                await pilot.press("space")
        assert len(table.marked) == 2
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.focused.id == "cancel"  # Cancel has the focus
        await pilot.press("y")
        await settle(pilot)
        assert not app.screen.query_one("#failover").display  # now three confirmed admins... warning gone
    assert staff_row(db, "bo@msp.example").status == StaffStatus.CONFIRMED
    assert staff_row(db, "cy@msp.example").status == StaffStatus.CONFIRMED
    assert event_types(db, EventType.STAFF_CONFIRMED).count(EventType.STAFF_CONFIRMED) == 3


@sync
async def test_filter_and_open_client(db, admin):
    for name in ("Contoso Dental", "Fabrikam Legal", "Contoso Legal"):
        client_service.create_client(db, admin, name=name, plan="teams-monthly", seats=5,
                                     owner_email=f"owner@{name.split()[0].lower()}.example")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        assert [r.name for r in table.rows] == ["Contoso Dental", "Contoso Legal", "Fabrikam Legal"]
        await pilot.press("slash", *"legal")
        await settle(pilot)
        assert [r.name for r in table.rows] == ["Contoso Legal", "Fabrikam Legal"]
        await pilot.press("enter")  # back to the table
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert app.screen.client.name == "Fabrikam Legal"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("3")  # sort by seats...
        await settle(pilot)
        await pilot.press("1", "1")  # ...then by name descending
        await settle(pilot)
        assert [r.name for r in app.screen.query_one(PagedTable).rows] == ["Fabrikam Legal", "Contoso Legal"]
        await pilot.press("slash", *"zzz")
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        assert table.rows == []
        assert "No client's name contains “zzz”" in table.render_line(2).text  # / selects the old filter


@sync
async def test_service_user_is_refused_admin_only_actions(db, admin):
    client_service.create_client(db, admin, name="Contoso Dental", plan="teams-monthly", seats=5,
                                 owner_email="owner@contoso.example")
    sam = make_service_user(db, admin)
    before = event_types(db)
    app = MspApp(db, actor=sam)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        assert "Service User" in str(screen.query_one("AppHeader").render())
        # Greyed out (None), and pressing them shows core's reason.
        assert screen.check_action("new", ()) is None
        assert screen.check_action("staff", ()) is False  # hidden: a Service User sees no staff management
        await pilot.press("n")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        said = notes(app)
        assert any("Only Provider Admins can create a client" in n for n in said)
        assert any("Only Provider Admins can view provider staff" in n for n in said)
        # The palette offers no staff management and no "add existing" to a Service User.
        from msp_tui.commands import MspCommands

        titles = [c.title for c in MspCommands(app.screen)._available()]
        assert "staff: open" not in titles and "onboarding: add existing organization" not in titles
        # Client detail: unlink refused, rename allowed.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert app.screen.check_action("unlink", ()) is False
        assert app.screen.check_action("rename", ()) is True
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, TypeNameModal)
        assert any("Only Provider Admins can unlink a client" in n for n in notes(app))
    assert client_names(db) == ["Contoso Dental"]
    # Only Sam's sign-in happened; nothing was created, unlinked or invited by the refused keys.
    assert event_types(db) == before


@sync
async def test_rename_and_seats_from_client_detail_and_stale_edit_refused(db, admin):
    view = client_service.create_client(db, admin, name="Contoso Dental", plan="teams-monthly", seats=5,
                                        owner_email="owner@contoso.example")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(view.id)
        await settle(pilot)
        await pilot.press("e", "ctrl+u", *"9", "enter")
        await settle(pilot)
        assert client_service.get_client(db, admin, view.id).seats == 9
        # Someone else renames it while the screen shows the old version.
        client_service.rename(db, admin, view.id, "Contoso Dental Care")
        await pilot.press("r", "ctrl+u", *"Contoso Smiles", "enter")
        await settle(pilot)
        # Refused in the dialog itself, under the field (the dialog stays open).
        assert "after you opened it" in str(app.screen.query_one("#error").content)
        await pilot.press("escape")
        await settle(pilot)
        assert client_service.get_client(db, admin, view.id).name == "Contoso Dental Care"
        # After the reload the edit goes through.
        await pilot.press("r", "ctrl+u", *"Contoso Smiles", "enter")
        await settle(pilot)
    assert client_service.get_client(db, admin, view.id).name == "Contoso Smiles"
    assert event_types(db, EventType.ORGANIZATION_UPDATED).count(EventType.ORGANIZATION_UPDATED) == 3


@sync
async def test_unlink_asks_for_the_name_and_core_keeps_a_non_staff_owner(db, admin):
    client_service.create_client(db, admin, name="Contoso Dental", plan="teams-monthly", seats=5,
                                 owner_email="owner@contoso.example")
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, TypeNameModal)
        assert app.screen.focused.id == "cancel"
        await pilot.press("tab")  # past the disabled Unlink button, to the name field
        assert app.screen.focused.id == "typed"
        await pilot.press(*"Contoso Denta")
        assert app.screen.query_one("#confirm").disabled
        await pilot.press("l")
        assert not app.screen.query_one("#confirm").disabled
        await pilot.press("enter")
        await settle(pilot)
        # Core refuses: the only Owner is still invited, so nobody would be left to run the org.
        assert any("must keep a confirmed Owner" in n for n in notes(app))
    assert client_names(db) == ["Contoso Dental"]
    assert event_types(db, EventType.CLIENT_REMOVED) == []


@sync
async def test_unlink_a_client_with_a_confirmed_owner(tmp_path):
    from msp_tui.core import demo
    from msp_tui.core.db import Database

    db = Database(tmp_path / "demo.db")
    result = demo.build(db, clients=3, events=0)
    # The demo puts unlinking behind two-person approval (issue 18); this test is about unlinking itself.
    from sqlalchemy import update

    from msp_tui.core.models import Provider
    with db.write() as s:
        s.execute(update(Provider).values(approval_actions=None))
    first = client_service.list_clients(db, result.actor, limit=1).rows[0]
    app = MspApp(db, actor=result.actor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("u", "tab", *first.name, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert first.name not in [r.name for r in app.screen.query_one(PagedTable).rows]
    assert first.name not in client_names(db)
    assert event_types(db, EventType.CLIENT_REMOVED) == [EventType.CLIENT_REMOVED]
    db.dispose()


@sync
async def test_login_failure_says_only_that_it_failed(sqlite_db):
    from tests.conftest import make_provider

    make_provider(sqlite_db)
    app = MspApp(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*"ada@msp.example", "enter", *"wrong password", "enter")
        await settle(pilot)
        assert str(app.screen.query_one("#login-message").render()) == "Sign-in failed."
        await pilot.press("ctrl+u", *"nobody@msp.example")
        app.screen.query_one("#email").value = "nobody@msp.example"
        app.screen.query_one("#password").value = "whatever password"
        app.screen.query_one("#password").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert str(app.screen.query_one("#login-message").render()) == "Sign-in failed."
        app.screen.query_one("#email").value = "ada@msp.example"
        app.screen.query_one("#password").value = PASSWORD
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.actor.email == "ada@msp.example"
    assert event_types(sqlite_db, EventType.USER_FAILED_LOGIN) == [EventType.USER_FAILED_LOGIN]
    assert event_types(sqlite_db, EventType.USER_LOGGED_IN) == [EventType.USER_LOGGED_IN]


@sync
async def test_invited_person_accepts_on_the_login_screen(sqlite_db):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    secret = staff_service.invite(sqlite_db, admin, ["new@msp.example"], "service").secrets["new@msp.example"]
    app = MspApp(sqlite_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        screen = app.screen
        screen.query_one("#email").value = "new@msp.example"
        screen.query_one("#secret").value = secret
        screen.query_one("#name").value = "Nina New"
        screen.query_one("#password").value = "a long new master password"
        screen.query_one("#password2").value = "a long new master passwrd"
        screen.query_one("#password2").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "differ" in str(screen.query_one("#login-message").render())
        assert count(sqlite_db, __import__("msp_tui.core.models", fromlist=["Account"]).Account) == 1
        screen.query_one("#password2").value = "a long new master password"
        await pilot.press("enter")
        await settle(pilot)
        assert "Invitation accepted" in str(screen.query_one("#login-message").render())
    assert staff_row(sqlite_db, "new@msp.example").status == StaffStatus.ACCEPTED
    assert event_types(sqlite_db, EventType.STAFF_UPDATED) == [EventType.STAFF_UPDATED]
    assert accounts.sign_in(sqlite_db, "new@msp.example", "a long new master password").name == "Nina New"


@sync
async def test_text_from_the_database_is_inert(sqlite_db):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    view = client_service.create_client(sqlite_db, admin, name="[bold]x[/]", plan="teams-monthly", seats=5,
                                        owner_email="owner@x.example")
    second = client_service.create_client(sqlite_db, admin, name="Zed", plan="teams-monthly", seats=5,
                                          owner_email="owner@z.example")
    # A hostile row written by something else (core refuses control characters in names).
    with sqlite_db.write() as s:
        s.get(Organization, second.id).name = "Zed \x1b[31mred\x1b[0m \x07"
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        lines = [table.render_line(y).text for y in range(1, 3)]
        assert "[bold]x[/]" in lines[0]
        assert "\x1b" not in lines[1] and "\x07" not in lines[1]
        assert "Zed \\x1b[31mred\\x1b[0m \\x07" in lines[1]
        # No markup was applied: off the cursor row, the name carries no bold.
        table.cursor = 1
        segments = list(table.render_line(1))
        assert not any(seg.style and seg.style.bold and "x" in seg.text for seg in segments if "[" in seg.text)
        app.open_client(view.id)
        await settle(pilot)
        title = app.screen.query_one("#client-title").render()
        assert "[bold]x[/]" in str(title)
        app.pop_screen()
        await settle(pilot)
        table.cursor = 1
        await pilot.press("enter")
        await settle(pilot)
        assert "\x1b" not in str(app.screen.query_one("#client-title").render())


@sync
async def test_staff_reinvite_change_role_and_remove(db, admin):
    secrets = staff_service.invite(db, admin, ["bo@msp.example", "cy@msp.example"], "service").secrets
    accounts.accept_invitations(db, email="cy@msp.example", secret=secrets["cy@msp.example"], password=PASSWORD)
    staff_service.confirm(db, admin, "cy@msp.example")
    app = MspApp(db, actor=admin, start="staff")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        emails = [r.email for r in table.rows]

        async def go(email: str) -> None:
            table.cursor = [r.email for r in table.rows].index(email)
            await pilot.pause()

        await go("bo@msp.example")
        await pilot.press("v")  # re-invite the pending invitation: a new one-time secret, shown once
        await settle(pilot)
        assert isinstance(app.screen, InviteSecretsModal) and list(app.screen.secrets) == ["bo@msp.example"]
        assert app.screen.secrets["bo@msp.example"] != secrets["bo@msp.example"]
        await pilot.press("enter")
        await settle(pilot)
        await go("cy@msp.example")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")  # Service User -> Provider Admin
        await settle(pilot)
        assert staff_row(db, "cy@msp.example").role == StaffRole.PROVIDER_ADMIN
        await go("cy@msp.example")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and app.screen.focused.id == "cancel"
        await pilot.press("enter")  # Cancel: nothing happens
        await settle(pilot)
        assert "cy@msp.example" in [r.email for r in table.rows]
        await go("cy@msp.example")
        await pilot.press("d", "y")
        await settle(pilot)
        assert "cy@msp.example" not in [r.email for r in table.rows]
        # The last confirmed admin cannot remove themselves: core's reason is shown.
        await go(admin.email)
        await pilot.press("d", "y")
        await settle(pilot)
        assert any("cannot remove yourself" in n for n in notes(app))
        assert sorted(emails) == sorted(["ada@msp.example", "bo@msp.example", "cy@msp.example"])
    assert event_types(db, EventType.STAFF_INVITED).count(EventType.STAFF_INVITED) == 4  # 1st admin, 2, re-invite
    assert EventType.STAFF_UPDATED in event_types(db, EventType.STAFF_UPDATED)
    assert event_types(db, EventType.STAFF_REMOVED) == [EventType.STAFF_REMOVED]
