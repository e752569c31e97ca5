"""Two-step login in the UI (issue 16): My account turns it on with a QR code, sign-in asks for the
code as a second step, staff of a provider that requires it are taken to enrolment first."""

from __future__ import annotations

import asyncio
from datetime import datetime

from textual.widgets import Input, Static

from msp_tui.app import MspApp
from msp_tui.core import clock
from msp_tui.core.services import accounts, two_step
from msp_tui.screens.login import CODE_STEP, FAILED, LoginScreen
from msp_tui.screens.two_step import MyAccountScreen, TwoStepEnrolScreen, TwoStepOffScreen
from tests.conftest import PASSWORD, make_provider
from tests.ui.frame_support import Harness, until

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOON = datetime(2026, 12, 3, 12, 0, 0)


def _text(screen, selector) -> str:
    return str(screen.query_one(selector, Static).render())


def test_my_account_turns_two_step_login_on_with_the_qr_code_and_shows_the_recovery_code(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    clock.freeze(NOON)

    async def run():
        app = MspApp(db, actor=admin)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.session_info is not None)
            app.push_screen(MyAccountScreen())
            await until(pilot, lambda: isinstance(app.screen, MyAccountScreen))
            assert "Two-step login: off" in _text(app.screen, "#two-step")
            await pilot.press("t")
            await until(pilot, lambda: isinstance(app.screen, TwoStepEnrolScreen))
            enrol = app.screen
            assert "█" in _text(enrol, "#qr") and enrol.enrolment.uri in _text(enrol, "#uri")
            enrol.query_one("#code", Input).value = "000000"
            await pilot.press("enter")
            await until(pilot, lambda: "wrong" in enrol.error_text)
            enrol.query_one("#code", Input).value = two_step.current_code(enrol.enrolment.secret)
            await pilot.press("enter")
            await until(pilot, lambda: enrol.recovery is not None)
            assert _text(enrol, "#recovery") == enrol.recovery
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, MyAccountScreen))
            assert "Two-step login: on" in _text(app.screen, "#two-step")
            # and off again, with a fresh code
            clock.freeze(clock.now().replace(second=40))
            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, TwoStepOffScreen))
            off = app.screen
            off.query_one("#code", Input).value = two_step.current_code(enrol.enrolment.secret)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, MyAccountScreen))
            assert "Two-step login: off" in _text(app.screen, "#two-step")

    asyncio.run(run())
    assert not two_step.is_enrolled(db, admin.account_id)


def test_sign_in_asks_for_the_code_as_a_second_step_and_a_wrong_one_fails_like_a_password(sqlite_db,
                                                                                         monkeypatch):
    db = sqlite_db
    admin = make_provider(db)
    clock.freeze(NOON)
    enrolment = two_step.begin(db, admin, SECRET)
    two_step.finish(db, admin, enrolment, two_step.current_code(SECRET))
    clock.freeze(NOON.replace(second=30))
    monkeypatch.setattr(accounts, "THROTTLE", accounts.LoginThrottle(sleep=lambda _s: None))

    async def run():
        app = MspApp(db, email=admin.email)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, LoginScreen))
            login = app.screen
            await pilot.press(*PASSWORD, "enter")
            await until(pilot, lambda: login.pending is not None)
            assert CODE_STEP in str(login.query_one("#login-title").render())
            assert not login.query_one("#password", Input).display and login.query_one("#code", Input).display
            await pilot.press(*"123456", "enter")
            await until(pilot, lambda: login.pending is None and not login.answering)
            assert _text(login, "#login-message") == FAILED  # the wrong-password answer; back to step one
            await pilot.press(*PASSWORD, "enter")
            await until(pilot, lambda: login.pending is not None)
            await pilot.press(*two_step.current_code(SECRET), "enter")
            await until(pilot, lambda: app.session_info is not None)
            assert app.actor.account_id == admin.account_id

    asyncio.run(run())


def test_staff_of_a_provider_that_requires_two_step_login_are_taken_to_enrolment_first(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    two_step.set_staff_requirement(db, admin, True)
    actor = accounts.sign_in(db, admin.email, PASSWORD)
    assert actor.must_enrol_two_step
    clock.freeze(NOON)

    async def run():
        app = MspApp(db, actor=actor)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, TwoStepEnrolScreen))
            enrol = app.screen
            assert enrol.forced and app.session_info is None  # nothing else first
            enrol.query_one("#code", Input).value = two_step.current_code(enrol.enrolment.secret)
            await pilot.press("enter")
            await until(pilot, lambda: enrol.recovery is not None)
            await pilot.press("enter")
            await until(pilot, lambda: app.session_info is not None)
            assert not actor.must_enrol_two_step

    asyncio.run(run())


def test_two_step_qr_code_screen_snapshot_80x24(sqlite_db, snap_compare):
    """The QR code of the otpauth:// URI, whole and legible at 80x24 (a version 5 code, 41x21 cells)."""
    admin = make_provider(sqlite_db)
    assert snap_compare(Harness(lambda: TwoStepEnrolScreen(sqlite_db, admin, secret=SECRET)),
                        terminal_size=(80, 24))


def test_the_qr_code_on_screen_is_exactly_the_code_of_the_uri(sqlite_db):
    """Read the half blocks back into modules: the screen draws every module of the otpauth:// URI's
    code, quiet zone included, light on dark, within 80x24."""
    from msp_tui.core import qr

    admin = make_provider(sqlite_db)

    async def run():
        app = Harness(lambda: TwoStepEnrolScreen(sqlite_db, admin, secret=SECRET))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            widget = screen.query_one("#qr", Static)
            lines = str(widget.render()).splitlines()
            assert widget.region.right <= 80 and widget.region.bottom <= 23  # above the key bar
            return screen.enrolment.uri, lines

    uri, lines = asyncio.run(run())
    halves = {"█": (False, False), "▀": (False, True), "▄": (True, False), " ": (True, True)}  # dark?
    modules = []
    for line in lines:
        top, bottom = zip(*(halves[ch] for ch in line))
        modules += [list(top), list(bottom)]
    expected = qr.matrix(uri)
    assert modules[:len(expected)] == expected
    assert len(lines) == 21 and len(lines[0]) == 41  # version 5


def test_accepting_an_invitation_with_an_enrolled_account_asks_for_its_code_as_a_second_step(sqlite_db,
                                                                                            monkeypatch):
    """Review finding of issue 16: the accept form took the master password of an existing account and
    accepted, without its two-step login code. The code is now a second step, as at sign-in."""
    from sqlalchemy import select

    from msp_tui.core.enums import MemberStatus
    from msp_tui.core.models import Member
    from msp_tui.core.services import clients, members

    db = sqlite_db
    admin = make_provider(db)
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    invite = members.invite(db, admin, c.id, [admin.email], role="user").secrets[admin.email]
    clock.freeze(NOON)
    two_step.finish(db, admin, two_step.begin(db, admin, SECRET), two_step.current_code(SECRET))
    clock.freeze(NOON.replace(second=30))
    monkeypatch.setattr(accounts, "THROTTLE", accounts.LoginThrottle(sleep=lambda _s: None))

    def status():
        with db.read() as s:
            return s.execute(select(Member.status).where(Member.organization_id == c.id,
                                                         Member.email == admin.email)).scalar_one()

    async def run():
        app = MspApp(db)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, LoginScreen))
            login = app.screen
            await pilot.press("ctrl+n")
            await pilot.press(*admin.email, "enter", *invite, "enter", "enter", *PASSWORD, "enter", *PASSWORD,
                              "enter")
            await until(pilot, lambda: login.pending is not None or not login.answering and
                          _text(login, "#login-message") not in ("", "Creating your account…"))
            assert status() == MemberStatus.INVITED, "accepted with the master password alone"
            assert CODE_STEP in str(login.query_one("#login-title").render())
            assert login.query_one("#code", Input).display and not login.query_one("#password2", Input).display
            await pilot.press(*"123456", "enter")
            await until(pilot, lambda: login.pending is None and not login.answering)
            assert _text(login, "#login-message") == FAILED and login.accepting  # back to the accept form
            assert status() == MemberStatus.INVITED
            login.query_one("#password", Input).value = login.query_one("#password2", Input).value = PASSWORD
            await pilot.press("enter")
            await until(pilot, lambda: login.pending is not None)
            await pilot.press(*two_step.current_code(SECRET), "enter")
            await until(pilot, lambda: _text(login, "#login-message").startswith("Invitation accepted"))

    asyncio.run(run())
    assert status() == MemberStatus.ACCEPTED


def test_code_step_key_bar_and_hint_both_say_esc_goes_back_to_the_master_password(sqlite_db, monkeypatch):
    """Before, the key bar said "esc Back to sign-in" while the hint said "esc back to the master password";
    esc goes back to the master password (the email kept), as both now say."""
    from msp_tui.widgets.keybar import KeyBar

    db = sqlite_db
    admin = make_provider(db)
    clock.freeze(NOON)
    two_step.finish(db, admin, two_step.begin(db, admin, SECRET), two_step.current_code(SECRET))
    clock.freeze(NOON.replace(second=30))
    monkeypatch.setattr(accounts, "THROTTLE", accounts.LoginThrottle(sleep=lambda _s: None))

    async def run():
        app = MspApp(db, email=admin.email)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, LoginScreen))
            login = app.screen
            await pilot.press(*PASSWORD, "enter")
            await until(pilot, lambda: login.pending is not None)
            await pilot.pause()
            bar = str(login.query_one(KeyBar).render())
            assert "esc back to the master password" in _text(login, "#login-hint")
            assert "esc Back to the master password" in bar and "sign-in" not in bar
            await pilot.press("escape")
            await until(pilot, lambda: login.pending is None)
            assert login.focused is login.query_one("#password", Input)
            assert login.query_one("#email", Input).value == admin.email

    asyncio.run(run())
