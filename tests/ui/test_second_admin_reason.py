"""Two-person approval from the UI (issue 18): a guarded action asks for the reason in one shared dialog
(esc cancels and writes nothing), files the request through core and says it was sent for approval.
Before, the UI showed core's command-line sentence ("Give a reason (--reason TEXT)") and nothing else."""

from __future__ import annotations

from textual.widgets import Input

from msp_tui.core.enums import EventType, PolicyType
from msp_tui.core.services import approvals, clients, policies, staff
from msp_tui.screens.second_admin import NEEDS_REASON, SENT, ReasonModal
from msp_tui.widgets.paged_table import PagedTable
from tests.ui.frame_support import event_types, make_second_admin, make_service_user, notes, settle, signed_in, sync

SIZE = (120, 36)


def _guarded_world(db, admin):
    """A second admin (so two-person approval can be on), a Service User, and Contoso with policies 0/1 on."""
    make_second_admin(db, admin)
    make_service_user(db, admin)
    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                                owner_email="owner@contoso.example")
    for type_ in approvals.POLICY_OFF:
        policies.set_policy(db, admin, org.id, type_, enabled=True)
    approvals.set_actions(db, admin, "all")
    return org


def _requests(db, admin) -> list[tuple[str, str, str]]:
    return [(r.action, r.summary, r.reason) for r in approvals.list_requests(db, admin, everything=True)]


async def _reason(pilot, text: str) -> None:
    assert isinstance(pilot.app.screen, ReasonModal)
    await pilot.press(*text, "enter")
    await settle(pilot)


@sync
async def test_two_person_lowering_seats_asks_the_reason_esc_writes_nothing_then_sends(db, admin):
    org = _guarded_world(db, admin)
    async with signed_in(db, admin, SIZE, notifications=True) as (app, pilot):
        app.open_client(org.id)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#value", Input).value = "6"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        assert not any("--reason" in n for n in notes(app))
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonModal)
        assert _requests(db, admin) == [] and event_types(db, EventType.APPROVAL_REQUESTED) == []
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#value", Input).value = "6"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # no reason: said under the field, nothing sent
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        assert NEEDS_REASON in str(app.screen.query_one("#error").render())
        await _reason(pilot, "the client shrank to six")
        assert not isinstance(app.screen, ReasonModal)
        assert any(n.startswith(SENT) and "lower Contoso's seats from 10 to 6" in n for n in notes(app))
    assert _requests(db, admin) == [("lower-seats", "lower Contoso's seats from 10 to 6", "the client shrank to six")]
    assert clients.get_client(db, admin, org.id).seats == 10  # nothing changes until a second admin approves


@sync
async def test_two_person_unlink_and_rotate_key_from_the_client_screen_send_requests(db, admin):
    org = _guarded_world(db, admin)
    async with signed_in(db, admin, SIZE, notifications=True) as (app, pilot):
        app.open_client(org.id)
        await settle(pilot)
        await pilot.press("u", "tab", *"Contoso", "enter")
        await settle(pilot)
        await _reason(pilot, "contract ended")
        assert any(n.startswith(SENT) and "unlink the client Contoso" in n for n in notes(app))
        await pilot.press("K", "y")
        await settle(pilot)
        await _reason(pilot, "a technician left")
        assert any(n.startswith(SENT) and "rotate the key of Contoso" in n for n in notes(app))
    assert _requests(db, admin) == [("rotate-client-key", "rotate the key of Contoso", "a technician left"),
                                    ("unlink-client", "unlink the client Contoso", "contract ended")]
    assert clients.get_client(db, admin, org.id).name == "Contoso"


@sync
async def test_two_person_staff_role_and_removal_send_requests_esc_sends_none(db, admin):
    _guarded_world(db, admin)
    async with signed_in(db, admin, SIZE, notifications=True) as (app, pilot):
        app.open_area("staff")
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        table.cursor = next(i for i, r in enumerate(table.rows) if r.email == "sam@msp.example")
        await pilot.press("t", "y")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        await pilot.press("escape")
        await settle(pilot)
        assert _requests(db, admin) == []
        await pilot.press("d", "y")
        await settle(pilot)
        await _reason(pilot, "left the company")
    assert _requests(db, admin) == [("remove-staff", "remove sam@msp.example (Service User) from the staff",
                                     "left the company")]
    assert "sam@msp.example" in [v.email for v in staff.list_staff(db, admin)]


@sync
async def test_two_person_turning_a_policy_off_in_the_editor_sends_a_request(db, admin):
    org = _guarded_world(db, admin)
    async with signed_in(db, admin, SIZE, notifications=True) as (app, pilot):
        app.open_client(org.id, tab="policies")
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        table.cursor = next(i for i, r in enumerate(table.rows) if r.type == PolicyType.TWO_FACTOR_AUTHENTICATION)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await _reason(pilot, "owner's phone lost")
        assert app.screen.__class__.__name__ == "PolicyEditorScreen"  # the form closed, nothing saved
    assert _requests(db, admin) == [("turn-off-two-step-login", "turn off Require two-step login for Contoso",
                                     "owner's phone lost")]
    assert {p.type for p in policies.list_policies(db, admin, org.id).policies if p.enabled} >= set(approvals.POLICY_OFF)


@sync
async def test_enter_pressed_twice_quickly_saves_once_and_files_one_request(db, admin, monkeypatch):
    """Typed fast under load (the walkthrough in CI): a second enter while core is still answering ran a
    second thread. The value dialog gave way twice and looked for its own gone error line (NoMatches);
    the reason dialog filed the request twice and popped from an empty list (IndexError). Each enter now
    waits for the answer of the one before."""
    import time

    org = _guarded_world(db, admin)
    slow_request, slow_seats = approvals.request, clients.change_seats
    saves = []

    def request(*a, **kw):
        time.sleep(0.3)
        return slow_request(*a, **kw)

    def change_seats(*a, **kw):
        saves.append(1)
        time.sleep(0.3)
        return slow_seats(*a, **kw)

    monkeypatch.setattr(approvals, "request", request)
    monkeypatch.setattr(clients, "change_seats", change_seats)
    async with signed_in(db, admin, SIZE, notifications=True) as (app, pilot):
        app.open_client(org.id)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#value", Input).value = "6"
        await pilot.press("enter", "enter", "enter")
        await settle(pilot)
        assert len(saves) == 1 and isinstance(app.screen, ReasonModal)
        await pilot.press(*"the client shrank", "enter", "enter", "enter")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, ReasonModal)
    assert _requests(db, admin) == [("lower-seats", "lower Contoso's seats from 10 to 6", "the client shrank")]
