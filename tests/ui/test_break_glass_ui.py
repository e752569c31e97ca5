"""Break-glass access from the UI (issue 18): a scoped technician asks for a client outside their scope
in a dialog (A on the clients home, or the palette), esc writes nothing, core's answers show under the
form as on the command line; an admin approves in the inbox; the client is then in the technician's
list, and gone once its time is up (core decides, the list reloads)."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input

from msp_tui.app import MspApp
from msp_tui.core import clock
from msp_tui.core.services import break_glass as bg
from msp_tui.screens.approvals import ApprovalsScreen
from msp_tui.screens.break_glass import RequestAccessDialog
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.paged_table import PagedTable
from tests.core.test_client_groups_scope import shop  # noqa: F401  (fixture)
from tests.ui.frame_support import notes, settle, sync, until

SIZE = (120, 36)


def _listed(app) -> list[str]:
    return sorted(r.name for r in app.screen.query_one(PagedTable).rows)


async def _fill(pilot, **fields: str) -> None:
    for name, value in fields.items():
        pilot.app.screen.query_one(f"#f-{name}", Input).value = value


@sync
async def test_break_glass_request_from_the_clients_home_admin_approves_client_appears_then_goes(db, shop):  # noqa: F811
    tech, admin = shop["tech"], shop["admin"]
    clock.freeze(clock.now())
    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert _listed(app) == ["Contoso", "Fabrikam"]
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, RequestAccessDialog)
        assert app.screen.query_one("#f-for", Input).value == "4h"  # the provider's maximum
        await _fill(pilot, client="Tailspin", reason="owner locked out")
        await pilot.press("escape")  # cancels: nothing asked
        await settle(pilot)
        assert not isinstance(app.screen, RequestAccessDialog) and bg.list_grants(db, admin, everything=True) == []
        await pilot.press("A")
        await settle(pilot)
        await _fill(pilot, client="Nowhere Ltd", reason="owner locked out", ticket="T-1234")
        await pilot.press("enter")
        await settle(pilot)
        # Core's answer, word for word as `msp-tui access request` gives it.
        assert "No client 'Nowhere Ltd'." in str(app.screen.query_one("#f-error").render())
        await _fill(pilot, client="Tailspin", **{"for": "9h"})
        await pilot.press("enter")
        await settle(pilot)
        assert "at most 4h00 (the provider's maximum)" in str(app.screen.query_one("#f-error").render())
        await _fill(pilot, **{"for": "2h"})
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, RequestAccessDialog)
        assert any("Asked for break-glass access to Tailspin for 2h (request 1)" in n for n in notes(app))
        assert _listed(app) == ["Contoso", "Fabrikam"]  # asked is not granted
    [asked] = bg.list_grants(db, admin)
    assert (asked.client, asked.reason, asked.ticket, asked.minutes, asked.status) == (
        "Tailspin", "owner locked out", "T-1234", 120, bg.Status.PENDING)

    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert "1 to approve" in str(app.screen.query_one(AppHeader).render())
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        await pilot.press("a", "y")
        await settle(pilot)
        await pilot.press("escape")  # back home: its header was drawn with the old count and kept it
        await settle(pilot)
        assert "to&#160;approve" not in app.export_screenshot()
    assert bg.list_grants(db, admin)[0].status == bg.Status.GRANTED

    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert _listed(app) == ["Contoso", "Fabrikam", "Tailspin"]
        clock.freeze(clock.now() + timedelta(hours=2))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert _listed(app) == ["Contoso", "Fabrikam"]


@sync
async def test_break_glass_request_from_the_palette_for_a_client_in_scope_says_so(db, shop):  # noqa: F811
    from msp_tui.screens.areas import COMMANDS

    tech = shop["tech"]
    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        [command] = [c for c in COMMANDS if c.title == "access: request break-glass access"]
        command.run(app)
        await settle(pilot)
        assert isinstance(app.screen, RequestAccessDialog)
        await _fill(pilot, client="Contoso", reason="just to look")
        await pilot.press("enter")
        await settle(pilot)
        assert "Contoso is already in your scope" in str(app.screen.query_one("#f-error").render())
        await pilot.press("escape")
        await settle(pilot)
    assert bg.list_grants(db, shop["admin"], everything=True) == []


@sync
async def test_break_glass_grant_approved_or_ended_reloads_the_technicians_home_without_ctrl_r(db, shop, monkeypatch):  # noqa: F811
    """Before, the technician's home kept its rows until ctrl+r: the approved client did not appear, the
    ended one stayed listed. A tick without a change reads only the small fingerprint, not the list."""
    tech, admin = shop["tech"], shop["admin"]
    clock.freeze(clock.now())
    monkeypatch.setattr(MspApp, "WATCH_SECONDS", 0.1)
    reloads = []
    real_reload = PagedTable.reload
    monkeypatch.setattr(PagedTable, "reload", lambda self, **kw: (reloads.append(1), real_reload(self, **kw)))
    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert _listed(app) == ["Contoso", "Fabrikam"]
        asked = bg.request(db, tech, "Tailspin", "owner locked out", minutes=60)
        await pilot.pause(0.5)  # several ticks: nothing changed for her, nothing reloaded
        before = len(reloads)
        await pilot.pause(0.5)
        assert len(reloads) == before and _listed(app) == ["Contoso", "Fabrikam"]
        bg.approve(db, admin, asked.number)
        await until(pilot, lambda: _listed(app) == ["Contoso", "Fabrikam", "Tailspin"])
        clock.freeze(clock.now() + timedelta(hours=1))  # her grant runs out
        await until(pilot, lambda: _listed(app) == ["Contoso", "Fabrikam"])


@sync
async def test_admins_header_counts_a_new_break_glass_request_on_the_session_timer(db, shop, monkeypatch):  # noqa: F811
    """The header's "N to approve" was read at sign-in and after the admin's own decisions only: a
    request filed meanwhile did not show until the admin opened the inbox."""
    tech, admin = shop["tech"], shop["admin"]
    monkeypatch.setattr(MspApp, "WATCH_SECONDS", 0.1)
    app = MspApp(db, actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "to approve" not in str(app.screen.query_one(AppHeader).render())
        bg.request(db, tech, "Tailspin", "owner locked out", minutes=60)
        await until(pilot, lambda: "1 to approve" in str(app.screen.query_one(AppHeader).render()))


@sync
async def test_session_timer_lets_a_database_outage_pass_without_ending_the_session(db, shop, monkeypatch):  # noqa: F811
    """The timer's reads run every few seconds whether the person does anything or not: a database that
    cannot be reached for a while (a PostgreSQL restart) must not end the session from a worker's error.
    The next tick after the outage reads again."""
    from msp_tui.core.errors import Unavailable
    from msp_tui.core.services import break_glass as core_bg

    tech = shop["tech"]
    monkeypatch.setattr(MspApp, "WATCH_SECONDS", 0.1)
    real = core_bg.live_fingerprint
    down = {"on": True, "ticks": 0}

    def outage(db_, actor):
        if down["on"]:
            down["ticks"] += 1
            raise Unavailable("cannot use the database: the server closed the connection.")
        down["ticks"] += 1
        return real(db_, actor)

    monkeypatch.setattr(core_bg, "live_fingerprint", outage)
    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: down["ticks"] >= 3)
        assert app.is_running and _listed(app) == ["Contoso", "Fabrikam"]
        down["on"], seen = False, down["ticks"]
        await until(pilot, lambda: down["ticks"] > seen + 1)
        assert app.is_running


@sync
async def test_client_screen_opened_under_break_glass_closes_when_the_grant_ends(db, shop, monkeypatch):  # noqa: F811
    """Before, the client's screen (and its vault over it) stayed open after her grant ended: it showed
    what she may no longer see, and each key there met core's S12 refusal. On the next tick of the
    session timer it now closes back to her home and says why, whether an admin ended the grant or its
    time ran out."""
    from msp_tui.screens.client_detail import ClientDetailScreen
    from msp_tui.screens.clients import ClientsScreen
    from msp_tui.screens.vault import VaultScreen

    tech, admin, tailspin = shop["tech"], shop["admin"], shop["ids"]["Tailspin"]
    clock.freeze(clock.now())
    monkeypatch.setattr(MspApp, "WATCH_SECONDS", 0.1)
    ended = "Your break-glass access to Tailspin has ended."
    said: list[str] = []  # every toast, also one gone by the time it is looked for
    real_say = MspApp.say
    monkeypatch.setattr(MspApp, "say", lambda self, message: (said.append(str(message)), real_say(self, message)))
    app = MspApp(db, actor=tech)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for how in ("ended by an admin", "ran out"):
            grant = bg.approve(db, admin, bg.request(db, tech, "Tailspin", "printer", minutes=60).number)
            await until(pilot, lambda: "Tailspin" in _listed(app))
            app.open_client(tailspin)
            await until(pilot, lambda: isinstance(app.screen, ClientDetailScreen) and app.screen.client is not None)
            if how == "ran out":
                await pilot.press("v")  # her vault of the client, over its screen
                await until(pilot, lambda: isinstance(app.screen, VaultScreen))
                clock.freeze(clock.now() + timedelta(hours=1))
            else:
                bg.end(db, admin, grant.number)
            times = 1 if how == "ended by an admin" else 2
            await until(pilot, lambda: isinstance(app.screen, ClientsScreen) and said.count(ended) == times)
            assert not any(isinstance(s, (ClientDetailScreen, VaultScreen)) for s in app.screen_stack), how
            await until(pilot, lambda: _listed(app) == ["Contoso", "Fabrikam"])
        assert app.is_running


def test_quitting_while_a_session_timer_tick_is_in_flight_ends_cleanly(db, shop, monkeypatch, capfd):  # noqa: F811
    """The session timer's read runs in a thread and hands its answer to the UI with call_from_thread.
    Quit while a read is in flight (her grants changing meanwhile): the answer arrives at an app that has
    ended, whose loop Textual has let go (call_from_thread raises "App is not running"). The app must end
    as it was asked to, with no exception from that late answer, in the app or in its thread. Run as
    `msp-tui` runs it (run_async, headless), not under run_test, which keeps its loop to the end."""
    import asyncio
    import threading
    import time

    from msp_tui.core.services import break_glass as core_bg

    tech, admin = shop["tech"], shop["admin"]
    monkeypatch.setattr(MspApp, "WATCH_SECONDS", 0.1)
    real = core_bg.live_fingerprint
    asked = bg.request(db, tech, "Tailspin", "printer", minutes=60)
    in_flight, answered = threading.Event(), threading.Event()
    thread_errors: list = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))

    def slow(db_, actor):
        in_flight.set()
        time.sleep(0.5)  # the person quits meanwhile
        bg.approve(db, admin, asked.number)  # and her grants change: the late answer has work to do
        try:
            return real(db_, actor)
        finally:
            answered.set()

    app = MspApp(db, actor=tech)
    raised: list[BaseException] = []  # what the app's own thread jobs ended with (Textual drops a
    real_run_worker = MspApp.run_worker  # cancelled worker's late error without a word)

    def run_worker(self, work, *args, **kwargs):
        def job():
            try:
                return work()
            except BaseException as exc:
                raised.append(exc)
                raise

        return real_run_worker(self, job if kwargs.get("thread") else work, *args, **kwargs)

    monkeypatch.setattr(MspApp, "run_worker", run_worker)

    async def quit_while_in_flight() -> None:
        while app._granted is None:  # a first tick has read her grants
            await asyncio.sleep(0.05)
        monkeypatch.setattr(core_bg, "live_fingerprint", slow)
        while not in_flight.is_set():
            await asyncio.sleep(0.02)
        app.exit()

    async def run() -> None:
        quitting = asyncio.create_task(quit_while_in_flight())
        await app.run_async(headless=True, size=SIZE)
        await quitting

    asyncio.run(run())
    assert answered.wait(5)
    time.sleep(0.3)  # the thread's hand-over, had it raised
    err = capfd.readouterr().err
    assert app._exception is None and app.return_code in (0, None), app._exception
    assert raised == [] and thread_errors == [] and "Traceback" not in err, (raised, thread_errors, err)
