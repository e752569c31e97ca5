"""A long write (removing a staff member rotates the provider key over every client: about 25 s for
100,000 clients on 2 cores) must not make other staff's changes fail with "database is locked":
they wait their turn past SQLite's busy timeout, and their change lands with its event."""

from __future__ import annotations

import multiprocessing
import time

from sqlalchemy import func, select

from msp_tui.core import db as dbmod
from msp_tui.core import events
from msp_tui.core.models import Event, Member
from msp_tui.core.services import clients, members
from tests.conftest import make_provider

FORK = multiprocessing.get_context("fork")
HOLD = 3.0  # seconds the long transaction keeps the write lock
BUSY = 500  # ms: a short busy timeout, so the test needs seconds, not minutes


def _hold_the_write_lock(path: str, ready) -> None:
    dbmod.BUSY_TIMEOUT_MS = BUSY
    database = dbmod.Database(path)
    with database.write() as s:
        s.execute(select(func.count()).select_from(Member))  # BEGIN IMMEDIATE has run: the lock is ours
        ready.set()
        time.sleep(HOLD)


def _invite(path: str, actor, client_id, out) -> None:
    dbmod.BUSY_TIMEOUT_MS = BUSY
    database = dbmod.Database(path)
    started = time.monotonic()
    try:
        members.invite(database, actor, client_id, ["waited@contoso.example"])
        out.put(("ok", time.monotonic() - started))
    except Exception as exc:  # noqa: BLE001 - what would reach the person
        out.put((f"{type(exc).__name__}: {exc}"[:200], time.monotonic() - started))


def test_a_change_waits_out_a_long_write_instead_of_failing(sqlite_db):
    admin = make_provider(sqlite_db)
    org = clients.create_client(sqlite_db, admin, name="Contoso", plan="teams-monthly", seats=10,
                                owner_email="o@contoso.example")
    path = sqlite_db.url.database
    sqlite_db.dispose()
    ready, out = FORK.Event(), FORK.Queue()
    holder = FORK.Process(target=_hold_the_write_lock, args=(path, ready))
    holder.start()
    assert ready.wait(30)
    waiter = FORK.Process(target=_invite, args=(path, admin, org.id, out))
    waiter.start()
    outcome, waited = out.get(timeout=60)
    holder.join(30)
    waiter.join(30)
    assert outcome == "ok", outcome
    assert waited >= HOLD * 0.5  # it did wait for the long transaction (several busy timeouts)
    with sqlite_db.read() as s:
        assert s.execute(select(func.count()).select_from(Member).where(
            Member.email == "waited@contoso.example")).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(Event).where(Event.type == 1500)).scalar_one() == 2
        assert events.verify_chain(s).ok
