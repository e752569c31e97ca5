"""The client's access report from the client screen (issue 18): the palette's "client: access
report" asks where to write it and writes the file core makes (0600), or keeps a bad name in the dialog."""

from __future__ import annotations

import asyncio
import os
import stat

from textual.widgets import Input, Static

from msp_tui.app import MspApp
from msp_tui.core.services import clients
from msp_tui.screens.client_detail import ClientDetailScreen


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_access_report_from_the_client_screen(db, admin, tmp_path):
    org = clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=10,
                                owner_email="owner@contoso.example")
    clients.rename(db, admin, org.id, "Contoso <Ltd>")
    out = tmp_path / "contoso.html"

    async def go():
        app = MspApp(db, actor=admin)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await settle(pilot)
            app.open_client(org.id)
            await settle(pilot)
            assert isinstance(app.screen, ClientDetailScreen)
            app.screen.action_access_report()
            await settle(pilot)
            field = app.screen.query_one("#value", Input)
            assert field.value.endswith(".html")
            field.value = str(tmp_path / "contoso.txt")
            await pilot.press("enter")
            await settle(pilot)
            assert "name it .html or .csv" in str(app.screen.query_one("#error", Static).render())
            app.screen.query_one("#value", Input).value = str(out)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ClientDetailScreen)
            assert any("event log verified" in n.message for n in app._notifications)

    asyncio.run(go())
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text()
    assert "Provider access to Contoso &lt;Ltd&gt;" in text and "ada@msp.example" in text
