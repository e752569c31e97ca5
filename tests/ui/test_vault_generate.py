"""Policy 2 Password generator in the vault item editor: ctrl+g fills the password field with core's
generator, bounded by the Password generator policy of the client the item goes to (Pilot)."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, SelectionList

from msp_tui.core import generator
from msp_tui.core.enums import PolicyType
from msp_tui.core.services import policies, vault
from msp_tui.screens.vault import ItemForm, VaultScreen
from tests.ui.frame_support import settle, vault_names, vault_world  # noqa: F401 (the fixture)
from tests.ui.test_vault_screen import SIZE, setup  # noqa: F401 (the fixture)
from tests.ui.test_vault_support import Harness


def test_password_generator_policy_bounds_the_editor_key(setup):
    db, admin, c = setup
    policies.set_policy(db, admin, c.organization_id, PolicyType.PASSWORD_GENERATOR, enabled=True,
                        options={"min_length": 30, "use_special": True, "min_numbers": 2})

    async def run():
        app = Harness(db, c.user, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, ItemForm)
            app.screen.query_one("#form-name", Input).value = "Generated"
            app.screen.query_one("#form-collections", SelectionList).select(c.shared)
            await pilot.press("ctrl+g")
            await settle(pilot)
            first = app.screen.query_one("#field-password", Input).value
            assert len(first) == 30 and any(ch in generator.SPECIAL for ch in first)
            assert sum(ch.isdigit() for ch in first) >= 2
            assert app.screen.focused is app.screen.query_one("#field-password", Input)
            await pilot.press("ctrl+g")  # again: a new one
            await settle(pilot)
            second = app.screen.query_one("#field-password", Input).value
            assert len(second) == 30 and second != first
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, VaultScreen) and "Generated" in vault_names(app)
            made = next(i for i in vault.list_items(db, admin, c.organization_id) if i.name == "Generated")
            assert vault.reveal(db, admin, made.id) == second

    asyncio.run(run())
