"""Dialogs as a person reads them at 80x24 (issue 14): line breaks not escapes, the member's own
role highlighted, checkbox labels whole, errors gone once the input changed."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, RadioSet, Static

from msp_tui.core.enums import MemberRole
from msp_tui.core.services import clients, member_actions
from msp_tui.screens.confirm import ConfirmModal
from msp_tui.screens.staff import fingerprint_message
from msp_tui.widgets.member_dialogs import MemberInviteDialog, MemberRoleDialog
from tests.conftest import make_provider
from tests.ui.frame_support import Harness, settle, sync

SIZE = (80, 24)


def screen_lines(app) -> list[str]:
    """The terminal's lines as a person sees them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.fixture
def panel(sqlite_db):
    admin = make_provider(sqlite_db)
    c = clients.create_client(sqlite_db, admin, name="Contoso", plan="enterprise-monthly", seats=4,
                              owner_email="owner@contoso.example")
    return member_actions.load(sqlite_db, admin, c.id)


@sync
async def test_confirm_dialog_breaks_lines_instead_of_showing_escapes():
    message = fingerprint_message([("ana@contoso.example", "apple banana cherry")])
    app = Harness(lambda: ConfirmModal("Confirm staff", message))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "\\x0a" not in text
        assert any(line.strip(" │").startswith("apple banana cherry") for line in screen_lines(app))


@sync
async def test_role_dialog_starts_on_the_members_role(panel):
    for role in (MemberRole.USER, MemberRole.ADMIN, MemberRole.CUSTOM):
        app = Harness(lambda: MemberRoleDialog(panel, "ana@contoso.example", role, frozenset(), lambda *a: "ok"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            picker = app.screen.query_one(RadioSet)
            assert app.screen.focused is picker
            assert picker._selected == picker.pressed_index  # the highlight is on the member's role
            await pilot.press("enter")  # enter on the highlight keeps the role
            assert picker.pressed_button.id == f"role-{role.name.lower()}"


@sync
async def test_focused_custom_permission_checkbox_shows_its_label(panel):
    app = Harness(lambda: MemberRoleDialog(panel, "ana@contoso.example", MemberRole.CUSTOM, frozenset(),
                                           lambda *a: "ok"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box = app.screen.query(Checkbox).first()
        box.focus()
        await pilot.pause()
        assert app.screen.focused is box
        line = screen_lines(app)[box.region.y]
        assert str(box.label)[:20] in line


@sync
async def test_member_invite_error_goes_when_the_emails_change(panel):
    app = Harness(lambda: MemberInviteDialog(panel, lambda *a: "ok"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # nothing typed
        await pilot.pause()
        error = app.screen.query_one("#m-error", Static)
        assert "Type at least one email" in str(error.content)
        await pilot.press("a")
        await pilot.pause()
        assert str(error.content) == ""


def test_policy_editor_checkbox_labels_are_whole(sqlite_db):
    from tests.core._policy_support import client
    from tests.ui.test_policies_editor import editor_app, open_form, settle as settle_editor

    admin = make_provider(sqlite_db)
    c = client(sqlite_db, admin, "Contoso")

    @sync
    async def run():
        app = editor_app(sqlite_db, admin, c)
        async with app.run_test(size=SIZE) as pilot:
            await settle_editor(pilot)
            await open_form(pilot, 1)  # master password requirements: five yes/no options
            await settle_editor(pilot)
            lines = screen_lines(app)
            shown = [line for line in lines if "Require upper" in line or "Enforce on login" in line]
            assert len(shown) == 2
            assert all("▐X▌" in line or "▐ ▌" in line for line in shown), shown
            assert not any("▐X…" in line for line in lines)

    run()


def test_vault_form_error_goes_when_the_input_changes(sqlite_db):
    from msp_tui.screens.vault import ItemForm
    from tests.core.test_vault_support import make_client
    from tests.ui.test_vault_support import Harness as VaultHarness

    admin = make_provider(sqlite_db)
    c = make_client(sqlite_db, admin)

    @sync
    async def run():
        app = VaultHarness(sqlite_db, admin, c.organization_id)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, ItemForm)
            await pilot.press("ctrl+s")  # no name: core refuses
            await settle(pilot)
            status = app.screen.query_one(".form-status", Static)
            assert str(status.content) not in ("", "Saving…")
            app.screen.query_one("#form-name", Input).focus()
            await pilot.press("P")
            await pilot.pause()
            assert str(status.content) == ""

    run()


@sync
async def test_unlink_with_the_name_in_another_case_says_why_enter_does_nothing():
    from msp_tui.screens.confirm import TypeNameModal

    app = Harness(lambda: TypeNameModal("Unlink client", "Contoso Legal"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#typed", Input).focus()
        await pilot.press(*"contoso legal", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TypeNameModal)  # not confirmed
        assert "same case" in "\n".join(screen_lines(app))
        await pilot.press("backspace")
        await pilot.pause()
        assert "same case" not in "\n".join(screen_lines(app))


def test_a_seats_refusal_keeps_the_dialog_open_with_the_message(sqlite_db):
    from msp_tui.app import MspApp
    from msp_tui.core.services import members
    from msp_tui.screens.client_detail import ClientDetailScreen
    from msp_tui.screens.confirm import AskModal

    admin = make_provider(sqlite_db)
    c = clients.create_client(sqlite_db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                              owner_email="owner@contoso.example")
    members.invite(sqlite_db, admin, c.id, ["a@contoso.example", "b@contoso.example"])  # 3 seats taken
    clients.create_client(sqlite_db, admin, name="Fabrikam", plan="teams-monthly", seats=5,
                          owner_email="o@fabrikam.example")

    @sync
    async def run():
        app = MspApp(sqlite_db, actor=admin)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            app.open_client(c.id)
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, ClientDetailScreen)
            detail.action_seats()
            await settle(pilot)
            assert isinstance(app.screen, AskModal)
            await pilot.press("ctrl+u", "2", "enter")
            await settle(pilot)
            assert isinstance(app.screen, AskModal), "core's refusal closed the dialog"
            assert "cannot have fewer than 3 seats" in str(app.screen.query_one("#error", Static).content)
            await pilot.press("ctrl+u", "4", "enter")
            await settle(pilot)
            assert app.screen is detail
            assert {v.name: v.seats for v in clients.list_clients(sqlite_db, admin, limit=5).rows}["Contoso"] == 4
            # Rename to another client's name in another case: refused, in the dialog.
            detail.action_rename()
            await settle(pilot)
            await pilot.press("ctrl+u", *"FABRIKAM", "enter")
            await settle(pilot)
            assert isinstance(app.screen, AskModal)
            assert "Another client is already named 'Fabrikam'" in str(app.screen.query_one("#error", Static).content)

    run()
