"""Issue 15, attack 12 in the UI: the client screen rotates a client's key (K), and removing a staffer
offers to rotate the keys of the clients whose vaults they opened (Cancel focused)."""

from __future__ import annotations

from sqlalchemy import select

from msp_tui.app import MspApp
from msp_tui.core.enums import EventType
from msp_tui.core.models import Event
from msp_tui.core.services import accounts, vault
from msp_tui.core.services import clients as client_service
from msp_tui.core.services import staff as staff_service
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.widgets.paged_table import PagedTable
from tests.conftest import PASSWORD
from tests.ui.frame_support import make_second_admin, make_service_user, notes, settle, signed_in, sync

SIZE = (120, 36)


def _rotations(db) -> int:
    with db.read() as s:
        return len(s.execute(select(Event.id).where(Event.type == int(EventType.ORGANIZATION_KEY_ROTATED))).all())


@sync
async def test_attack12_client_screen_rotates_the_key_after_asking(db, admin):
    view = client_service.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=10,
                                        owner_email="owner@contoso.example")
    vault.create_item(db, admin, type="login", name="Router", client=view.id, fields={"password": "pw"})
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(view.id)
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and app.screen.focused.id == "cancel"
        await pilot.press("enter")  # Cancel: nothing rotated
        await settle(pilot)
        assert _rotations(db) == 0
        await pilot.press("K", "y")
        await settle(pilot)
        assert _rotations(db) == 1
        assert any("Rotated the key of Contoso Dental: 1 items" in str(n.message) for n in app._notifications)
    assert [i.name for i in vault.list_items(db, admin, view.id)] == ["Router"]


@sync
async def test_attack12_staff_remove_offers_to_rotate_the_clients_they_opened(db, admin):
    view = client_service.create_client(db, admin, name="Contoso Dental", plan="enterprise-monthly", seats=10,
                                        owner_email="owner@contoso.example")
    secret = staff_service.invite(db, admin, ["eve@msp.example"], "service").secrets["eve@msp.example"]
    eve, _ = accounts.accept_invitations(db, email="eve@msp.example", secret=secret, password=PASSWORD)
    staff_service.confirm(db, admin, "eve@msp.example")
    eve.provider_id = admin.provider_id
    vault.open_vault(db, eve, view.id)  # Eve opened this client's vault: she may have kept its key
    app = MspApp(db, actor=admin, start="staff")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        table.cursor = [r.email for r in table.rows].index("eve@msp.example")
        await pilot.pause()
        await pilot.press("d", "y")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and app.screen.focused.id == "cancel"
        assert "Contoso Dental" in str(app.screen.message)
        await pilot.press("y")
        await settle(pilot)
    assert _rotations(db) == 1


@sync
async def test_staff_remove_rotation_under_two_person_approval_files_one_request_per_guarded_client(db, admin):
    """Before, the offer stopped at the first guarded client: one request, the other clients left as they were."""
    from msp_tui.core.services import approvals
    from msp_tui.screens.second_admin import ReasonModal

    names = ["Contoso Dental", "Fabrikam Law", "Tailspin Air"]
    views = [client_service.create_client(db, admin, name=n, plan="enterprise-monthly", seats=10,
                                          owner_email=f"owner{i}@clients.example") for i, n in enumerate(names)]
    make_second_admin(db, admin)  # two-person approval can be on
    eve = make_service_user(db, admin, "eve@msp.example")
    for v in views:
        vault.open_vault(db, eve, v.id)
    approvals.set_actions(db, admin, "rotate-client-key")  # removing staff itself is not guarded here
    async with signed_in(db, admin, SIZE, notifications=True, start="staff") as (app, pilot):
        table = app.screen.query_one(PagedTable)
        table.cursor = [r.email for r in table.rows].index("eve@msp.example")
        await pilot.pause()
        await pilot.press("d", "y")
        await settle(pilot)
        await pilot.press("y")  # rotate them
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)  # the reason is asked once, for every guarded client
        await pilot.press(*"eve left", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonModal)
        said = notes(app)
    assert sorted((r.action, r.summary, r.reason) for r in approvals.list_requests(db, admin)) == [
        ("rotate-client-key", f"rotate the key of {n}", "eve left") for n in names]
    assert _rotations(db) == 0
    assert any("0 rotated, 3 sent for approval by a second Provider Admin (requests 1 to 3)" in n for n in said), said


@sync
async def test_staff_remove_rotation_esc_on_the_reason_sends_nothing_and_says_so(db, admin):
    from msp_tui.core.services import approvals
    from msp_tui.screens.second_admin import ReasonModal

    views = [client_service.create_client(db, admin, name=n, plan="enterprise-monthly", seats=10,
                                          owner_email=f"owner{i}@clients.example")
             for i, n in enumerate(["Contoso Dental", "Fabrikam Law"])]
    make_second_admin(db, admin)
    eve = make_service_user(db, admin, "eve@msp.example")
    for v in views:
        vault.open_vault(db, eve, v.id)
    approvals.set_actions(db, admin, "rotate-client-key")
    async with signed_in(db, admin, SIZE, notifications=True, start="staff") as (app, pilot):
        table = app.screen.query_one(PagedTable)
        table.cursor = [r.email for r in table.rows].index("eve@msp.example")
        await pilot.pause()
        await pilot.press("d", "y")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        await pilot.press("escape")
        await settle(pilot)
        said = notes(app)
    assert approvals.list_requests(db, admin) == [] and _rotations(db) == 0
    assert any("0 rotated, 2 need a second Provider Admin's approval and no request was sent" in n for n in said), said
