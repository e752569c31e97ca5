"""The billing screen and a client's billing tab, in a tiny harness app over a real SQLite database."""

from datetime import datetime
from pathlib import Path
from decimal import Decimal

import pytest
from sqlalchemy import select
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from msp_tui.widgets.paged_table import PagedTable

from msp_tui.core import clock
from msp_tui.core.access import Kind
from msp_tui.core.enums import EventType
from msp_tui.core.models import Event
from msp_tui.core.services import billing, clients
from msp_tui.screens.billing import BillingScreen, ClientBillingPane, PaymentModal
from tests.conftest import make_provider
from tests.core.test_billing_visibility import make_actor
from tests.ui.frame_support import Harness

CARD = "4000 0566 5566 5556"


def sync(fn):
    """Run an async Pilot test with asyncio (the project has no pytest async plugin)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


class PaneScreen(Screen):
    def __init__(self, db, actor, org_id) -> None:
        super().__init__()
        self.args = (db, actor, org_id)

    def compose(self) -> ComposeResult:
        yield ClientBillingPane(*self.args, id="pane")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pane").focus()


@pytest.fixture
def world(sqlite_db):
    clock.freeze(datetime(2026, 3, 10, 9, 0))
    admin = make_provider(sqlite_db)
    made = []
    for name, plan, seats in [("Northwind Internal", "teams-monthly", 12), ("Contoso", "enterprise-monthly", 60),
                              ("Fabrikam", "teams-annually", 30), ("<b>[red]Tailspin</red>", "teams-monthly", 5)]:
        made.append(clients.create_client(sqlite_db, admin, name=name, plan=plan, seats=seats,
                                          owner_email=f"owner{len(made)}@client.example"))
    clients.mark_internal(sqlite_db, admin, "Northwind Internal")
    billing.set_payment_method(sqlite_db, admin, "Contoso", {"kind": "card", "number": "5555 5555 5555 4444",
                                                             "expiry": "12/2030", "holder": "Contoso AP"})
    billing.set_payment_method(sqlite_db, admin, "Fabrikam", {"kind": "invoice"})
    return sqlite_db, admin, {v.name: v.id for v in made}


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def text_of(app, selector) -> str:
    return rendered(app.screen.query_one(selector, Static))


def rendered(widget: Static, width: int = 110) -> str:
    """What a Static shows, as plain text (its content is a rich Text or Table)."""
    from rich.console import Console

    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    console.print(widget.content)
    return console.export_text()


@sync
async def test_billing_screen_shows_run_rate_tiers_and_switches_mode(world):
    db, admin, ids = world
    app = Harness(lambda: BillingScreen(db, admin))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        head = text_of(app, "#billing-head")
        assert "the default schedule" in head
        # 107 cumulative seats (internal org included): past the default 100-seat 5 % tier.
        assert "5% at 107 seats under management" in head
        assert "Next tier 10% at 250 seats — 143 seats away" in head
        assert "$520.60 per month · 4 clients" in head
        table = app.screen.query_one("#clients", PagedTable)
        assert len(table.rows) == 4
        # Markup in a client's name is shown as typed.
        names = [table.columns[0].value(r).plain for r in table.rows]
        assert "<b>[red]Tailspin</red>" in names
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert billing.summary(db, admin).mode == "consolidated"
        plans = app.screen.query_one("#plans", DataTable)
        assert plans.border_title == "Consolidated invoice preview"
        cells = [[c.plain for c in plans.get_row_at(i)] for i in range(plans.row_count)]
        # Teams: 12 + 5 + 30 (annual, managed as monthly) = 47 seats × $3.80; Enterprise 60 × $5.70.
        assert cells == [
            ["Teams (Monthly)", "$178.60", "3", "47", "0", "0", "47", "$3.80"],
            ["Enterprise (Monthly)", "$342.00", "1", "60", "0", "0", "60", "$5.70"],
            ["Total", "$520.60", "4", "107", "", "0", "107", ""]]
        await pilot.press("t")
        await pilot.pause()
        box = app.screen.query_one("#tiers-input", Input)
        box.value = "0:0, 100:12.5"
        await pilot.press("enter")
        await settle(pilot)
        assert billing.tier_schedule(db, admin).percent == Decimal("12.5")
        assert "custom schedule" in text_of(app, "#billing-head")
    with db.read() as s:
        types = set(s.execute(select(Event.type)).scalars())
    assert {int(EventType.BILLING_MODE_CHANGED), int(EventType.DISCOUNT_TIERS_CHANGED)} <= types


@sync
async def test_S9_service_user_is_refused_the_provider_billing_screen(world):
    db, admin, ids = world
    sam = make_actor(db, admin, Kind.SERVICE_USER, ids["Contoso"])
    app = Harness(lambda: BillingScreen(db, sam))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "Only Provider Admins can see provider-wide billing" in text_of(app, "#billing-head")
        assert app.screen.check_action("tiers", ()) is None and app.screen.check_action("mode", ()) is None


@sync
async def test_S9_client_billing_tab_for_admin_service_user_and_owner(world):
    db, admin, ids = world
    org = ids["Contoso"]
    for actor, expect, hidden in [
        # 107 cumulative seats: 5 % off Enterprise's $6 = $5.70; created 10 March, so 22 of 31 days.
        (admin, ["Mastercard ending 4444", "60 seats × $5.70 × 22/31 days  =  $242.71", "Invoice total  $242.71",
                 "$342.00 per month"], []),
        (make_actor(db, admin, Kind.SERVICE_USER, org), ["$342.00 per month", "Provider Admins only"],
         ["Mastercard", "Invoice total", "reseller discount"]),
        (make_actor(db, admin, Kind.OWNER, org), ["visible to provider staff only"], ["$342.00", "Mastercard"]),
    ]:
        app = Harness(lambda: PaneScreen(db, actor, org))
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            pane = app.screen.query_one("#pane", ClientBillingPane)
            out = rendered(pane.query_one("#billing-body", Static))
            for want in expect:
                assert want in out, (actor.name, want, out)
            for no in hidden:
                assert no not in out
            assert (pane.check_action("payment", ()) is True) == (actor is admin)


@sync
async def test_payment_modal_sets_a_card_and_forgets_the_number(world):
    db, admin, ids = world
    org = ids["Northwind Internal"]
    app = Harness(lambda: PaneScreen(db, admin, org))
    async with app.run_test(size=(110, 34)) as pilot:
        await settle(pilot)
        await pilot.press("dollar_sign")
        await pilot.pause()
        assert isinstance(app.screen, PaymentModal)
        await pilot.press(*"4000 0566 5566 5557")  # one digit off: Luhn refuses
        app.screen.query_one("#card-expiry", Input).value = "08/2031"
        app.screen.query_one("#card-holder", Input).value = "Northwind IT"
        await pilot.press("enter")
        await pilot.pause()
        assert "Luhn" in text_of(app, "#payment-error")
        number = app.screen.query_one("#card-number", Input)
        number.value = ""
        number.focus()
        await pilot.press(*CARD)  # typed key by key, as a person would
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, PaymentModal)
        view = billing.client_billing(db, admin, org)
        assert view.payment.label == "Visa ending 5556, expires 08/2031"
        assert CARD not in repr(app.screen.query_one("#pane", ClientBillingPane).view)
        assert CARD not in rendered(app.screen.query_one("#billing-body", Static))
    db.dispose()
    path = Path(db.url.database)
    for f in (path, Path(f"{path}-wal")):
        if f.exists():
            data = f.read_bytes()
            for typed in (CARD, "4000 0566 5566 5557"):
                assert typed.encode() not in data and typed.replace(" ", "").encode() not in data


def test_billing_screen_snapshot(world, snap_compare):
    db, admin, ids = world

    async def ready(pilot):
        await settle(pilot)

    assert snap_compare(Harness(lambda: BillingScreen(db, admin)), terminal_size=(110, 30), run_before=ready)


def test_client_billing_tab_snapshot(world, snap_compare):
    db, admin, ids = world

    async def ready(pilot):
        await settle(pilot)

    assert snap_compare(Harness(lambda: PaneScreen(db, admin, ids["Contoso"])), terminal_size=(100, 24),
                        run_before=ready)


@sync
async def test_billing_rows_show_plan_and_payment_whole_at_80_columns(world):
    """Issue 14: at 80x24 the billing list cut the plan to "Enterprise…" and the payment to "Mastercar…"."""
    from msp_tui.widgets.paged_table import PagedTable

    db, admin, _ids = world
    app = Harness(lambda: BillingScreen(db, admin))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#billing-clients", PagedTable) if app.screen.query("#billing-clients") \
            else app.screen.list_table
        drawn = [table.render_line(y).text for y in range(1, len(table.rows) + 1)]
        contoso = next(line for line in drawn if "Contoso" in line)
        assert "Enterprise mo " in contoso + " " and "Mastercard ••4444" in contoso, contoso
        fabrikam = next(line for line in drawn if "Fabrikam" in line)
        assert "Teams yr" in fabrikam and "invoice net 30" in fabrikam, fabrikam
        assert not any("…" in line[40:] for line in drawn), drawn
