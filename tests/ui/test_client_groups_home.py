"""Client groups on the clients home (issue 18): f narrows the list to one client group (again: the next
one, after the last: every client), the status line names it, and the palette offers it; a scoped
Service User (S12) sees only the clients of their scope there."""

from __future__ import annotations

from msp_tui.app import MspApp
from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients, staff
from tests.conftest import make_provider
from tests.ui.frame_support import settle, sync
from tests.world import join


def world(db):
    admin = make_provider(db)
    for name in ("Contoso Legal", "Fabrikam Dental", "Tailspin Toys"):
        clients.create_client(db, admin, name=name, plan="teams-monthly", seats=3,
                              owner_email=f"it@{name.split()[0].lower()}.example")
    cg.create_client_group(db, admin, "Gold", ["Contoso Legal", "Fabrikam Dental"])
    cg.create_client_group(db, admin, "Silver", ["Tailspin Toys"])
    return admin


def names(app) -> list[str]:
    return [r.name for r in app.screen.table.rows]


@sync
async def test_f_filters_the_clients_home_by_client_group(sqlite_db):
    admin = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert names(app) == ["Contoso Legal", "Fabrikam Dental", "Tailspin Toys"]
        for want, label in ((["Contoso Legal", "Fabrikam Dental"], "Gold"), (["Tailspin Toys"], "Silver")):
            await pilot.press("f")
            await settle(pilot, 6)
            assert names(app) == want
            assert f"client group “{label}”" in str(app.screen.query_one("#status-line").render())
        await pilot.press("f")
        await settle(pilot, 6)
        assert len(names(app)) == 3
        assert "client group" not in str(app.screen.query_one("#status-line").render())


@sync
async def test_palette_offers_the_client_group_filter(sqlite_db):
    from msp_tui.screens.areas import COMMANDS

    admin = world(sqlite_db)
    command = next(c for c in COMMANDS if c.title == "clients: filter by client group")
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        command.run(app)
        await settle(pilot, 6)
        assert names(app) == ["Contoso Legal", "Fabrikam Dental"]


@sync
async def test_S12_scoped_service_user_sees_only_their_clients_on_the_home(sqlite_db):
    admin = world(sqlite_db)
    secret = staff.invite(sqlite_db, admin, ["tech@msp.example"], "service").secrets["tech@msp.example"]
    tech = join(sqlite_db, "tech@msp.example", secret)
    staff.confirm(sqlite_db, admin, "tech@msp.example")
    tech.provider_id = admin.provider_id
    cg.set_staff_scope(sqlite_db, admin, "tech@msp.example", ["Silver"])
    app = MspApp(sqlite_db, actor=tech)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert names(app) == ["Tailspin Toys"]
        await pilot.press("f")
        await settle(pilot, 6)
        assert names(app) == ["Tailspin Toys"]  # the only group of the scope
