"""Billing as a person meets it: titled like every screen, enter opens the client, the payment
dialog opens on the method on file, and `p` is the client's policies on every tab."""

from __future__ import annotations

from textual.widgets import Input, RadioSet

from msp_tui.widgets.paged_table import PagedTable

from msp_tui.app import MspApp
from msp_tui.screens.billing import BillingScreen, PaymentModal
from msp_tui.screens.client_detail import ClientDetailScreen
from msp_tui.screens.help import HelpScreen
from msp_tui.screens.policies import PolicyEditorScreen
from tests.ui.frame_support import settle, sync
from tests.ui.test_billing_ui import world  # noqa: F401 - the fixture

SIZE = (120, 36)


@sync
async def test_billing_screen_has_a_help_title_and_enter_opens_the_client(world):  # noqa: F811
    db, admin, ids = world
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_area("billing")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BillingScreen)
        assert screen.TITLE_TEXT == "Billing"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert str(app.screen.query_one(".modal-title").content) == "Keys: Billing"
        await pilot.press("escape")
        await settle(pilot)
        table = screen.query_one("#clients", PagedTable)
        table.cursor = [r.name for r in table.rows].index("Fabrikam")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen) and app.screen.client_id == ids["Fabrikam"]


@sync
async def test_payment_dialog_opens_on_the_current_method_and_p_is_policies_on_the_billing_tab(world):  # noqa: F811
    db, admin, ids = world
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(ids["Contoso"], tab="billing")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        await pilot.press("dollar_sign")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, PaymentModal)
        assert modal.query_one("#payment-kind", RadioSet).pressed_button.id == "kind-card"
        assert modal.query_one("#card-expiry", Input).value == "12/2030"
        assert modal.query_one("#card-holder", Input).value == "Contoso AP"
        assert modal.query_one("#card-number", Input).value == ""  # never kept, typed again
        await pilot.press("escape")
        await settle(pilot)
        # Fabrikam pays by invoice: the dialog opens on Invoice.
        app.pop_screen()
        app.open_client(ids["Fabrikam"], tab="billing")
        await settle(pilot)
        await pilot.press("dollar_sign")
        await settle(pilot)
        assert app.screen.query_one("#payment-kind", RadioSet).pressed_button.id == "kind-invoice"
        await pilot.press("escape")
        await settle(pilot)
        # On the billing tab, as on every tab, p opens the client's policies.
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PolicyEditorScreen)
