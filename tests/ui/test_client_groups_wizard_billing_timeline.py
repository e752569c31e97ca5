"""Client groups in the UI where issue 18 left gaps: the onboarding wizard's "Client groups" step (tick
existing groups, name a new one; the client is created in them in one transaction), and the billing
screen (f) and the timeline (F: its f follows) narrowed to one client group with the clients home's
filter, each also from the palette on that screen only."""

from __future__ import annotations

from sqlalchemy import select

from msp_tui.core.billing import money
from msp_tui.core.enums import EventType
from msp_tui.core.models import Organization
from msp_tui.core.services import billing
from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients
from msp_tui.screens.billing import BillingScreen
from msp_tui.screens.clients import ClientsScreen
from msp_tui.screens.onboarding import OnboardingScreen
from msp_tui.screens.timeline import TimelineScreen
from tests.ui.frame_support import event_types, settle, signed_in, sync
from tests.ui.test_client_groups_home import world

SIZE = (80, 24)


async def groups_loaded(pilot, rounds: int = 50) -> None:
    """Until the groups step has its client groups from core (a loaded machine can take a while)."""
    for _ in range(rounds):
        step = pilot.app.screen.current
        if getattr(step, "known", None) is not None:
            return
        await settle(pilot)
    raise AssertionError("the client groups step never got its groups")


async def _to_groups_step(pilot, name: str = "Woodgrove") -> None:
    for keys in (["enter"], [*name, "enter"], ["enter"], ["ctrl+u", *"3", "enter"],
                 [*f"b@{name.lower()}.example", "enter"], ["enter"]):
        await pilot.press(*keys)
        await settle(pilot)
    await groups_loaded(pilot)


def _groups_of(db, name: str) -> list[str]:
    with db.read() as s:
        org = s.execute(select(Organization).where(Organization.name == name)).scalar_one()
        return cg.groups_of(s, [org.id]).get(org.id, [])


@sync
async def test_wizard_puts_the_new_client_in_ticked_and_new_client_groups_in_one_write(sqlite_db):
    admin = world(sqlite_db)
    billing.set_billing_mode(sqlite_db, admin, "consolidated")  # no payment step
    async with signed_in(sqlite_db, admin, SIZE, start="onboarding") as (app, pilot):
        await _to_groups_step(pilot)
        screen = app.screen
        assert isinstance(screen, OnboardingScreen) and screen.current.key == "groups"
        assert "Client groups" in str(screen.query_one("#step-list").render())
        await pilot.press("down", "space")  # Silver (Gold is first)
        await pilot.press("tab", *"West region", "enter")
        await settle(pilot)
        assert screen.current.key == "template"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.current.key == "confirm"
        assert dict(screen.summary())["Client groups"] == "Silver, West region (new)"
        assert event_types(sqlite_db, EventType.CLIENT_GROUP_CREATED) == [EventType.CLIENT_GROUP_CREATED] * 2
        await pilot.press("ctrl+b", "ctrl+b")  # back to the step: the choice is kept
        await settle(pilot)
        assert screen.current.key == "groups"
        assert screen.current.query_one("#groups").selected == [cg.group_ids(sqlite_db, admin, ["Silver"])[0]]
        await pilot.press("enter", "enter")  # on, and on past the template
        await settle(pilot)
        await pilot.press("enter")  # create
        await settle(pilot)
    assert _groups_of(sqlite_db, "Woodgrove") == ["Silver", "West region"]
    assert event_types(sqlite_db, EventType.CLIENT_GROUP_CREATED) == [EventType.CLIENT_GROUP_CREATED] * 3
    assert event_types(sqlite_db, EventType.CLIENT_GROUP_CLIENT_ADDED)[-2:] == [
        EventType.CLIENT_GROUP_CLIENT_ADDED] * 2


@sync
async def test_wizard_groups_step_refuses_a_taken_name_and_enter_with_none_goes_on(sqlite_db):
    admin = world(sqlite_db)
    billing.set_billing_mode(sqlite_db, admin, "consolidated")
    async with signed_in(sqlite_db, admin, SIZE, start="onboarding") as (app, pilot):
        await _to_groups_step(pilot)
        screen = app.screen
        await pilot.press("tab", *"gold", "enter")
        await settle(pilot)
        assert screen.current.key == "groups"
        assert "already a client group named 'Gold': tick it instead" in str(
            screen.current.query_one("#error").render())
        await pilot.press("ctrl+u", "enter")  # nothing ticked, nothing named: on
        await settle(pilot)
        assert screen.current.key == "template"
        await pilot.press("enter")
        await settle(pilot)
        assert dict(screen.summary())["Client groups"] == "none"
        await pilot.press("escape")  # something was typed: it asks first
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    assert clients.count_clients(sqlite_db, admin, "woodgrove") == 0


@sync
async def test_wizard_groups_step_without_client_groups_names_a_new_one(sqlite_db):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    billing.set_billing_mode(sqlite_db, admin, "consolidated")
    async with signed_in(sqlite_db, admin, (120, 36), start="onboarding") as (app, pilot):
        await _to_groups_step(pilot, "Litware")
        step = app.screen.current
        assert step.key == "groups" and not step.query_one("#groups").display
        assert "No client groups yet" in str(step.query_one("#groups-empty").render())
        await pilot.press(*"Gold", "enter", "enter", "enter")
        await settle(pilot)
    assert _groups_of(sqlite_db, "Litware") == ["Gold"]


def _head(app) -> str:
    return str(app.screen.query_one("#billing-head").render())


@sync
async def test_billing_f_narrows_to_a_client_group_and_the_totals_follow(sqlite_db):
    admin = world(sqlite_db)
    gold = cg.group_ids(sqlite_db, admin, ["Gold"])[0]
    want = billing.summary(sqlite_db, admin, group=gold)
    every = billing.summary(sqlite_db, admin)
    async with signed_in(sqlite_db, admin, SIZE) as (app, pilot):
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BillingScreen)
        assert [r.name for r in screen.table.rows] == ["Contoso Legal", "Fabrikam Dental", "Tailspin Toys"]
        await pilot.press("f")
        await settle(pilot, 6)
        assert [r.name for r in screen.table.rows] == ["Contoso Legal", "Fabrikam Dental"]
        assert screen.summary == want and want.monthly_total < every.monthly_total
        assert "2 clients of “Gold”" in _head(app) and money(want.monthly_total) in _head(app)
        assert screen.table.border_title.startswith("Clients of “Gold” (2 of 2")
        await pilot.press("f", "f")  # Silver, then every client
        await settle(pilot, 6)
        assert len(screen.table.rows) == 3 and screen.summary == every and "“" not in _head(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


def _events_filter_line(app) -> str:
    return str(app.screen.query_one("#tl-filter").render())


@sync
async def test_timeline_F_narrows_to_a_client_group_and_slash_keeps_it(sqlite_db):
    admin = world(sqlite_db)
    ids = {c.name: c.id for c in clients.list_clients(sqlite_db, admin).rows}
    async with signed_in(sqlite_db, admin, SIZE) as (app, pilot):
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        every = {r.organization_id for r in screen.table.rows}
        assert ids["Tailspin Toys"] in every
        await pilot.press("F")
        await settle(pilot, 6)
        shown = {r.organization_id for r in screen.table.rows}
        assert shown == {ids["Contoso Legal"], ids["Fabrikam Dental"]}
        assert "client group “Gold”" in _events_filter_line(app)
        assert not screen.following  # F is not f
        screen.action_preset("7d")  # another filter keeps the group
        await settle(pilot, 6)
        assert {r.organization_id for r in screen.table.rows} == shown
        await pilot.press("slash", *"Contoso", "enter")  # and so does the filter dialog
        await settle(pilot, 6)
        assert {r.organization_id for r in screen.table.rows} == {ids["Contoso Legal"]}
        assert "client group “Gold”, Contoso" in _events_filter_line(app)
        await pilot.press("slash", "ctrl+u", "enter")  # the client field emptied: the group stays
        await settle(pilot, 6)
        assert {r.organization_id for r in screen.table.rows} == shown
        await pilot.press("F")
        await settle(pilot, 6)
        assert {r.organization_id for r in screen.table.rows} == {ids["Tailspin Toys"]}
        await pilot.press("F")
        await settle(pilot, 6)
        assert {r.organization_id for r in screen.table.rows} == every
        assert "client group" not in _events_filter_line(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


@sync
async def test_palette_offers_each_client_group_filter_on_its_own_screen_only(sqlite_db):
    from msp_tui.commands import MspCommands
    from msp_tui.screens.areas import COMMANDS

    admin = world(sqlite_db)

    def offered() -> set[str]:
        provider = MspCommands(app.screen)
        return {c.title for c in provider._available() if c.title.endswith("filter by client group")}

    async with signed_in(sqlite_db, admin, SIZE) as (app, pilot):
        assert offered() == {"clients: filter by client group"}
        for area, key, title in (("billing", "b", "billing: filter by client group"),
                                 ("timeline", "t", "timeline: filter by client group")):
            await pilot.press(key)
            await settle(pilot)
            assert offered() == {title}, area
            next(c for c in COMMANDS if c.title == title).run(app)
            await settle(pilot, 6)
            assert app.screen.client_group is not None and app.screen.client_group[1] == "Gold"
            await pilot.press("escape")
            await settle(pilot)


@sync
async def test_health_and_drift_f_narrow_to_a_client_group_with_the_same_filter(sqlite_db):
    from msp_tui.core.services import health
    from msp_tui.screens.drift import DriftScreen
    from msp_tui.screens.health import HealthScreen

    admin = world(sqlite_db)
    clients.create_client(sqlite_db, admin, name="Woodgrove", plan="teams-monthly", seats=1,
                          owner_email="it@woodgrove.example", groups=["Silver"])  # out of seats: a finding
    gold = cg.group_ids(sqlite_db, admin, ["Gold"])[0]
    want = {(f.title, f.where) for f in health.report(sqlite_db, admin, limit=200, group=gold).findings}
    async with signed_in(sqlite_db, admin, SIZE) as (app, pilot):
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        every = {(f.title, f.where) for f in screen.findings}
        await pilot.press("f")
        await settle(pilot, 6)
        assert {(f.title, f.where) for f in screen.findings} == want and want < every
        assert str(screen.query_one("#summary").render()).startswith("Client group “Gold” (f: next): ")
        await pilot.press("escape", "d")
        await settle(pilot)
        assert isinstance(app.screen, DriftScreen)
        await pilot.press("f")
        await settle(pilot, 6)
        assert "Client group “Gold” (f: next)" in str(app.screen.query_one("#summary").render())
        await pilot.press("f", "f")
        await settle(pilot, 6)
        assert "Client group" not in str(app.screen.query_one("#summary").render())
