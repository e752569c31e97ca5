"""Helpers for the frame's UI tests (clients home, detail, onboarding, staff, login)."""

from __future__ import annotations

from sqlalchemy import func, select

from msp_tui.core.enums import EventType
from msp_tui.core.models import Client, Event, Organization, Staff
from msp_tui.core.services import accounts
from msp_tui.core.services import staff as staff_service
from tests.conftest import PASSWORD


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their results land on the UI thread."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def event_types(db, *types: EventType) -> list[int]:
    with db.read() as s:
        stmt = select(Event.type).order_by(Event.id)
        if types:
            stmt = stmt.where(Event.type.in_([int(t) for t in types]))
        return list(s.execute(stmt).scalars())


def client_names(db) -> list[str]:
    with db.read() as s:
        return list(s.execute(select(Organization.name).join(Client, Client.organization_id == Organization.id)
                              .order_by(Organization.name)).scalars())


def count(db, model) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def staff_row(db, email: str) -> Staff:
    with db.read() as s:
        return s.execute(select(Staff).where(Staff.email == email)).scalar_one()


def make_service_user(db, admin, email: str = "sam@msp.example"):
    """A confirmed Service User, signed in."""
    secret = staff_service.invite(db, admin, [email], "service").secrets[email]
    accounts.accept_invitations(db, email=email, secret=secret, password=PASSWORD, name="Sam Service")
    staff_service.confirm(db, admin, email)
    return accounts.sign_in(db, email, PASSWORD)


def sync(fn):
    """Run an async Pilot test with asyncio (the project has no pytest async plugin)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper
