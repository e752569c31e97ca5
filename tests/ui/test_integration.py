"""The other issues' screens reached from the app frame by keys and the palette; onboarding with payment and
template; health and drift route to the place to fix; drift flags on the home; fingerprint in staff confirm."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from msp_tui.app import MspApp
from msp_tui.core.enums import EventType
from msp_tui.core.models import ClientTemplate, Organization, PaymentMethod
from msp_tui.core.services import accounts, billing, policy_templates
from msp_tui.core.services import clients as client_service
from msp_tui.core.services import staff as staff_service
from msp_tui.screens.billing import BillingScreen, ClientBillingPane
from msp_tui.screens.client_detail import ClientDetailScreen
from msp_tui.screens.clients import ClientsScreen
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.screens.drift import DriftScreen, TemplateApplyScreen
from msp_tui.screens.health import HealthScreen
from msp_tui.screens.policies import PolicyEditorScreen
from msp_tui.screens.vault import VaultScreen
from msp_tui.widgets.invite_secrets import InviteSecretsModal
from msp_tui.widgets.paged_table import PagedTable
from tests.conftest import PASSWORD, make_provider
from tests.ui.frame_support import event_types, settle, sync

SIZE = (120, 36)
CARD = "4242424242424242"


async def _palette(pilot, title: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot, rounds=1)
    await pilot.press(*title)
    await settle(pilot, rounds=2)
    await pilot.press("enter")
    await settle(pilot)


@sync
async def test_home_keys_and_palette_reach_every_area(sqlite_db):
    admin = make_provider(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from msp_tui.screens.timeline import TimelineScreen

        for key, screen in [("h", HealthScreen), ("b", BillingScreen), ("d", DriftScreen), ("v", VaultScreen),
                            ("t", TimelineScreen)]:
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen), key
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ClientsScreen)
        for title, screen in [("health: open", HealthScreen), ("billing: open", BillingScreen),
                              ("policies: drift report", DriftScreen),
                              ("policies: apply template", TemplateApplyScreen),
                              ("vault: my personal items", VaultScreen), ("timeline: open", TimelineScreen)]:
            await _palette(pilot, title)
            assert isinstance(app.screen, screen), title
            if isinstance(app.screen, VaultScreen):
                assert app.screen.organization_id is None
            if isinstance(app.screen, TemplateApplyScreen):
                assert app.screen.client_ids is None  # nothing marked: every client
            app.pop_screen()
            await settle(pilot)


@sync
async def test_client_detail_keys_open_vault_policies_members_and_billing(sqlite_db):
    admin = make_provider(sqlite_db)
    view = client_service.create_client(sqlite_db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                                        owner_email="o@contoso.example")
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen) and app.screen.client_id == view.id
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen) and app.screen.organization_id == view.id
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PolicyEditorScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        from msp_tui.screens.members import MembersScreen

        assert isinstance(app.screen, MembersScreen) and app.screen.organization_id == view.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        await pilot.press("6")
        await settle(pilot)
        assert app.screen.query_one("#tabs").active == "billing"
        pane = app.screen.query_one(ClientBillingPane)
        assert pane.view is not None and pane.view.name == "Contoso"
        await _palette(pilot, "vault: open this client's vault")
        assert isinstance(app.screen, VaultScreen) and app.screen.organization_id == view.id


@sync
async def test_onboarding_with_a_card_lands_client_payment_and_events_and_no_card_number(tmp_path):
    from msp_tui.core.db import Database

    path = tmp_path / "card.db"
    db = Database(path)
    admin = make_provider(db)
    policy_templates.create_template(db, admin, "Baseline", {"TWO_FACTOR_AUTHENTICATION": True})
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        for keys in (["enter"], [*"Contoso Dental", "enter"], ["down", "down", "enter"], ["ctrl+u", *"12", "enter"],
                     [*"billing@contoso.example", "enter"], ["enter"], ["enter"]):  # owner; no client group
            await pilot.press(*keys)
            await settle(pilot)
        assert app.screen.current.key == "payment"
        await pilot.press(*CARD, "enter", *"08/2031", "enter", *"Ann Smith", "enter")
        await settle(pilot)
        assert app.screen.current.key == "template"
        await pilot.press("down", "enter")  # Baseline
        await settle(pilot)
        assert app.screen.current.key == "confirm"
        summary = dict(app.screen.summary())
        assert summary["Payment"].endswith("ending 4242, expires 08/2031") and CARD not in str(summary)
        assert summary["Policy template"].startswith("Baseline")
        assert event_types(db, EventType.CLIENT_CREATED) == []  # nothing written before confirm
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InviteSecretsModal)  # the owner's one-time secret, shown once
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
    with db.read() as s:
        org = s.execute(select(Organization).where(Organization.name == "Contoso Dental")).scalar_one()
        pm = s.execute(select(PaymentMethod).where(PaymentMethod.organization_id == org.id)).scalar_one()
        assert (pm.kind, pm.last4, pm.exp_month, pm.exp_year, pm.holder) == ("card", "4242", 8, 2031, "Ann Smith")
        assert s.get(ClientTemplate, org.id) is not None
    created = event_types(db, EventType.CLIENT_CREATED, EventType.CLIENT_PAYMENT_METHOD_CHANGED)
    assert created == [EventType.CLIENT_CREATED, EventType.CLIENT_PAYMENT_METHOD_CHANGED]
    db.dispose()
    for f in [path, *path.parent.glob(path.name + "-*")]:
        assert CARD.encode() not in Path(f).read_bytes(), f


@sync
async def test_onboarding_skips_payment_when_billing_is_consolidated(sqlite_db):
    admin = make_provider(sqlite_db)
    billing.set_billing_mode(sqlite_db, admin, "consolidated")
    app = MspApp(sqlite_db, actor=admin, start="onboarding")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for keys in (["enter"], [*"Fabrikam", "enter"], ["enter"], ["ctrl+u", *"3", "enter"],
                     [*"b@fabrikam.example", "enter"], ["enter"], ["enter"]):
            await pilot.press(*keys)
            await settle(pilot)
        assert app.screen.current.key == "template"
        assert "Payment method" not in str(app.screen.query_one("#step-list").render())


@sync
async def test_onboarding_with_a_template_that_cannot_apply_creates_nothing(sqlite_db):
    """The template is applied in the client's own transaction: a Teams client cannot take policies,
    so confirming says why and leaves no client behind (before, the client stayed without them)."""
    from msp_tui.screens.onboarding import OnboardingScreen

    admin = make_provider(sqlite_db)
    billing.set_billing_mode(sqlite_db, admin, "consolidated")
    policy_templates.create_template(sqlite_db, admin, "Baseline", {"TWO_FACTOR_AUTHENTICATION": True})
    app = MspApp(sqlite_db, actor=admin, start="onboarding")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for keys in (["enter"], [*"Fabrikam", "enter"], ["enter"], ["ctrl+u", *"3", "enter"],
                     [*"b@fabrikam.example", "enter"], ["enter"], ["enter"], ["down", "enter"]):
            await pilot.press(*keys)
            await settle(pilot)
        assert app.screen.current.key == "confirm"
        assert dict(app.screen.summary())["Plan"].startswith("Teams")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen) and app.screen.current.key == "confirm"
        shown = [n.message for n in app._notifications]
        assert any("Baseline cannot be applied to Fabrikam" in m and "Nothing was saved" in m for m in shown)
    assert event_types(sqlite_db, EventType.CLIENT_CREATED) == []
    with sqlite_db.read() as s:
        assert s.execute(select(Organization).where(Organization.name == "Fabrikam")).first() is None


@sync
async def test_health_enter_routes_to_the_client(sqlite_db):
    admin = make_provider(sqlite_db)
    view = client_service.create_client(sqlite_db, admin, name="Full", plan="teams-monthly", seats=1,
                                        owner_email="o@full.example")
    app = MspApp(sqlite_db, actor=admin, start="health")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        targets = [f.target for f in app.screen.findings]
        row = targets.index(("client", view.id, "overview"))  # out of seats
        for _ in range(row):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen) and app.screen.client_id == view.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        from msp_tui.screens.health import OpenTarget

        app.screen.post_message(OpenTarget(("client", view.id, "policies")))
        await settle(pilot)
        assert isinstance(app.screen, PolicyEditorScreen)
        app.screen.post_message(OpenTarget(("staff",)))
        await settle(pilot)
        assert type(app.screen).__name__ == "StaffScreen"


@sync
async def test_home_flags_drifted_clients_after_signing_in_on_the_sign_in_screen(tmp_path):
    """Found by use: signed in on the sign-in screen (not --passwordenv), the home showed no drift flags
    until ctrl+r."""
    from textual.widgets import Input

    from msp_tui.core import clock, demo
    from msp_tui.core.db import Database
    from msp_tui.core.services.policies import drifted_client_ids

    db = Database(tmp_path / "demo.db")
    result = demo.build(db, clients=12, events=0)
    clock.freeze(None)
    app = MspApp(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#email", Input).value = result.actor.email
        await pilot.press("enter")
        app.screen.query_one("#password", Input).value = demo.DEMO_PASSWORD
        await pilot.press("enter")
        for _ in range(6):
            await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        rows = app.screen.query_one(PagedTable).rows
        drifted = drifted_client_ids(db, result.actor, [r.id for r in rows])
        assert drifted and app.screen.drifted == drifted
    db.dispose()


@sync
async def test_home_flags_drifted_clients_with_one_query_per_page(tmp_path):
    from msp_tui.core import clock, demo
    from msp_tui.core.db import Database
    from msp_tui.core.services.policies import drifted_client_ids

    db = Database(tmp_path / "demo.db")
    result = demo.build(db, clients=12, events=0)
    clock.freeze(None)
    app = MspApp(db, actor=result.actor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        rows = table.rows
        drifted = drifted_client_ids(db, result.actor, [r.id for r in rows])
        assert drifted, "the demo has drifted clients"
        assert app.screen.drifted == drifted
        for y, r in enumerate(rows[:10], start=1):
            line = table.render_line(y).text
            assert ("drift" in line.split("Managed")[-1]) == (r.id in drifted), line
    db.dispose()


@sync
async def test_staff_confirm_shows_the_fingerprint_phrase(sqlite_db):
    admin = make_provider(sqlite_db)
    secret = staff_service.invite(sqlite_db, admin, ["cy@msp.example"], "service").secrets["cy@msp.example"]
    accounts.accept_invitations(sqlite_db, email="cy@msp.example", secret=secret, password=PASSWORD)
    cy = next(s for s in staff_service.list_staff(sqlite_db, admin) if s.email == "cy@msp.example")
    phrase = accounts.fingerprint_of(sqlite_db, cy.account_id)
    app = MspApp(sqlite_db, actor=admin, start="staff")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        table.cursor = next(i for i, r in enumerate(table.rows) if r.email == "cy@msp.example")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert phrase in app.screen.message.plain
        await pilot.press("y")
        await settle(pilot)
    assert next(s for s in staff_service.list_staff(sqlite_db, admin) if s.email == "cy@msp.example").status.name \
        == "CONFIRMED"


@sync
async def test_onboarding_offers_to_bring_their_passwords_and_opens_the_import_after_the_secret(sqlite_db):
    """Issue 17: the wizard's optional last step, "bring their passwords": i on the confirmation asks for
    the import; once the client exists and the owner's secret was shown, the import dialog opens for it."""
    from msp_tui.screens.vault_import import ImportDialog

    admin = make_provider(sqlite_db)
    billing.set_billing_mode(sqlite_db, admin, "consolidated")
    app = MspApp(sqlite_db, actor=admin, start="onboarding")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for keys in (["enter"], [*"Fabrikam", "enter"], ["enter"], ["ctrl+u", *"3", "enter"],
                     [*"b@fabrikam.example", "enter"], ["enter"], ["enter"], ["enter"]):
            await pilot.press(*keys)
            await settle(pilot)
        assert app.screen.current.key == "confirm"
        assert dict(app.screen.summary()).get("Bring their passwords", "").startswith("no")
        await pilot.press("i")
        await settle(pilot)
        assert dict(app.screen.summary())["Bring their passwords"].startswith("yes")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InviteSecretsModal)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ImportDialog) and app.screen.client_name == "Fabrikam"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
