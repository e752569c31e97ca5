"""Pilot tests of the vault screen's import dialog (issue 17, "In the UI"): a LastPass CSV imported through
the dialog with its events, a wrong file password staying on the dialog, esc writing nothing."""

from __future__ import annotations

import asyncio
import io
import json

from sqlalchemy import func, select
from textual.widgets import Input, Static

from msp_tui.core.enums import EventType
from msp_tui.core.formats import bitwarden_crypto, bitwarden_json
from msp_tui.core.formats.records import ImportedItem
from msp_tui.core.models import Event, VaultItem
from msp_tui.screens.vault import VaultScreen
from msp_tui.screens.vault_import import ImportDialog, PathSuggester
from tests.ui.frame_support import settle, vault_names, vault_world  # noqa: F401 (the fixture)
from tests.ui.test_vault_support import Harness

SIZE = (80, 24)
LASTPASS = (
    "url,username,password,totp,extra,name,grouping,fav\n"
    "https://mail.example,ana,pw1,JBSWY3DPEHPK3PXP,,Mail,Office,1\n"
    "https://vpn.example,ana,pw2,,,VPN,Office,0\n"
    "https://router.example,admin,pw3,,,Router,,0\n"
)


def _count(db, model, *where) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _text(app, selector: str) -> str:
    from rich.console import Console

    console = Console(width=76, record=True, color_system=None, file=io.StringIO())
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


async def _open_dialog(pilot, path, *, complete: bool = False) -> None:
    await settle(pilot)
    await pilot.press("i")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ImportDialog)
    field = pilot.app.screen.query_one("#import-path", Input)
    if complete:  # typed up to "last", tab completes the rest from the folder
        await pilot.press(*str(path)[:-len("pass.csv")])
        await pilot.pause(0.3)
        await pilot.press("tab")
        await pilot.pause()
        assert field.value == str(path)
    else:
        field.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


def test_import_dialog_brings_a_lastpass_csv_into_the_client_with_events(vault_world, tmp_path):
    db, admin, c = vault_world
    path = tmp_path / "lastpass.csv"
    path.write_text(LASTPASS)
    items = _count(db, VaultItem)

    async def run():
        app = Harness(db, admin, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await _open_dialog(pilot, path, complete=True)
            assert "LastPass CSV" in _text(app, "#import-format")
            plan = _text(app, "#import-plan-body")
            assert "3 items into Contoso Dental" in plan and "Office (new)" in plan and "(no collection)" in plan
            assert _count(db, VaultItem) == items  # the dry run wrote nothing
            # the dialog fits 80x24 with its buttons on screen
            run_button = app.screen.query_one("#import-run")
            assert not run_button.disabled and run_button.region.bottom <= 24
            await pilot.press("enter")  # Import has the focus once the plan is shown
            await settle(pilot)
            assert isinstance(app.screen, VaultScreen)
            assert vault_names(app) == ["Mail", "Router", "VPN"]
            assert any("Imported 3 items from LastPass CSV" in n.message for n in app._notifications)

    asyncio.run(run())
    assert _count(db, VaultItem) == items + 3
    assert _count(db, Event, Event.type == int(EventType.ITEM_CREATED)) >= 3
    (line,) = [e for e in _events(db, EventType.ITEMS_IMPORTED)]
    assert line.organization_id == c.organization_id and json.loads(line.detail)["items"] == 3


def _events(db, type_):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(type_))).scalars().all()


def test_import_dialog_wrong_bitwarden_file_password_stays_in_the_dialog(vault_world, tmp_path):
    db, admin, c = vault_world
    path = tmp_path / "bitwarden.json"
    path.write_bytes(bitwarden_json.write(
        [ImportedItem(name="Switch", fields={"username": "u", "password": "p"})], password="right-pw",
        kdf=bitwarden_crypto.Kdf(bitwarden_crypto.PBKDF2_SHA256, 5_000)))
    items = _count(db, VaultItem)

    async def run():
        app = Harness(db, admin, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await _open_dialog(pilot, path)
            dialog = app.screen
            assert "password protected" in _text(app, "#import-format")
            password = dialog.query_one("#import-password", Input)
            assert password.display and "password" in _text(app, "#import-status").lower()
            password.value = "wrong-pw"
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog and dialog.query_one("#import-run").disabled
            assert "password" in _text(app, "#import-status").lower()
            password.value = "right-pw"
            await pilot.press("enter")
            await settle(pilot)
            assert "1 item into Contoso Dental" in _text(app, "#import-plan-body")

    asyncio.run(run())
    assert _count(db, VaultItem) == items


def test_import_dialog_esc_cancels_and_writes_nothing(vault_world, tmp_path):
    db, admin, c = vault_world
    path = tmp_path / "lastpass.csv"
    path.write_text(LASTPASS)
    items, events = _count(db, VaultItem), _count(db, Event)

    async def run():
        app = Harness(db, admin, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await _open_dialog(pilot, path)
            assert not app.screen.query_one("#import-run").disabled
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, VaultScreen)
            assert vault_names(app) == []

    asyncio.run(run())
    assert _count(db, VaultItem) == items
    # only the dry run's vault-access record, never an item or an import line
    assert _count(db, Event, Event.type.in_([int(EventType.ITEM_CREATED), int(EventType.ITEMS_IMPORTED)])) == 0
    assert _count(db, Event) >= events


def test_import_dialog_refusal_from_core_shows_inline(vault_world, tmp_path):
    """A client User may not import: core says so on the dialog, nothing is written."""
    db, admin, c = vault_world
    path = tmp_path / "lastpass.csv"
    path.write_text(LASTPASS)
    items = _count(db, VaultItem)

    async def run():
        app = Harness(db, c.user, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await _open_dialog(pilot, path)
            assert isinstance(app.screen, ImportDialog)
            assert _text(app, "#import-status").strip()
            assert app.screen.query_one("#import-run").disabled

    asyncio.run(run())
    assert _count(db, VaultItem) == items


def test_path_suggester_completes_from_the_directory(tmp_path):
    (tmp_path / "lastpass_export.csv").write_text("x")
    (tmp_path / "exports").mkdir()
    s = PathSuggester()
    assert asyncio.run(s.get_suggestion(str(tmp_path / "las"))) == str(tmp_path / "lastpass_export.csv")
    assert asyncio.run(s.get_suggestion(str(tmp_path / "exp"))) == str(tmp_path / "exports") + "/"
    assert asyncio.run(s.get_suggestion(str(tmp_path / "zzz"))) is None


def test_import_dialog_in_my_vault_imports_personal_items(vault_world, tmp_path):
    """The personal vault has the same key; no collection field there (one's own vault has none)."""
    db, admin, c = vault_world
    path = tmp_path / "lastpass.csv"
    path.write_text(LASTPASS)

    async def run():
        app = Harness(db, admin, None)
        async with app.run_test(size=SIZE) as pilot:
            await _open_dialog(pilot, path)
            assert not app.screen.query("#import-collection")
            assert "3 items into your vault" in _text(app, "#import-plan-body")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, VaultScreen)
            assert vault_names(app) == ["Mail", "Router", "VPN"]

    asyncio.run(run())
    assert _count(db, VaultItem, VaultItem.owner_account_id == admin.account_id) == 3


def test_import_dialog_esc_while_importing_rolls_all_of_it_back(vault_world, tmp_path):
    """Esc during the import: the run stops at its next progress step, inside its one transaction."""
    db, admin, c = vault_world
    path = tmp_path / "lastpass.csv"
    path.write_text(LASTPASS)
    items = _count(db, VaultItem)

    async def run():
        app = Harness(db, admin, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await _open_dialog(pilot, path)
            dialog = app.screen
            dialog._stop.set()  # as esc does, before the run's last progress step
            await pilot.press("enter")
            await settle(pilot)
            assert dialog.running

    asyncio.run(run())
    assert _count(db, VaultItem) == items
    assert _count(db, Event, Event.type.in_([int(EventType.ITEM_CREATED), int(EventType.ITEMS_IMPORTED)])) == 0
