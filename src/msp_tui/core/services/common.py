"""Helpers the use cases share: finding rows by what people type, stale-edit checks, seat counts."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from msp_tui.core import clock
from msp_tui.core.context import Actor
from msp_tui.core.enums import SEAT_OCCUPYING_STATUSES
from msp_tui.core.errors import NotFound, StaleEdit
from msp_tui.core.models import Account, Client, Member, Organization

INVITATION_LIFETIME = timedelta(days=5)


@contextmanager
def collector_paused() -> Iterator[None]:
    """For a bulk read that builds hundreds of thousands of plain tuples (no reference cycles): the
    cyclic collector would walk the whole heap several times meanwhile and free nothing (0.3 s of a
    100,000-client invoice). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def as_uuid(text: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(text, uuid.UUID):
        return text
    try:
        return uuid.UUID(str(text).strip())
    except ValueError:
        return None


def invitation_expired(invited_at) -> bool:
    return invited_at < clock.now() - INVITATION_LIFETIME


def find_client(session: Session, provider_id: uuid.UUID | None, ref: str | uuid.UUID) -> Organization:
    """A client of the provider by id or by name (case-insensitive)."""
    stmt = select(Organization).join(Client, Client.organization_id == Organization.id)
    if provider_id is not None:
        stmt = stmt.where(Client.provider_id == provider_id)
    ident = as_uuid(ref)
    if ident is not None:
        org = session.execute(stmt.where(Organization.id == ident)).scalar_one_or_none()
    else:
        matches = session.execute(
            stmt.where(Organization.name_lower == str(ref).strip().lower()).limit(2)).scalars().all()
        if len(matches) > 1:
            raise NotFound(f"More than one client is named {ref!r}; use its id.", "client")
        org = matches[0] if matches else None
    if org is None:
        raise NotFound(f"No client {str(ref)!r}.", "client")
    return org


def require(db, actor: Actor, action, client: str | uuid.UUID | None = None) -> None:
    """Refuse now unless `actor` may do `action` (on `client`), for a command that reads something
    on its way to the action: the refusal then names the action tried, not the read."""
    from msp_tui.core.access import check

    with db.read() as s:
        org = None
        if client is not None:
            ident = as_uuid(client)
            org = s.get(Organization, ident) if ident is not None else None
            org = org or find_client(s, actor.provider_id, client)
        check(s, actor, action, organization_id=org.id if org is not None else None)


def get_org(session: Session, organization_id: uuid.UUID) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"No organization {organization_id}.", "client")
    return org


def check_version(session: Session, row, expected: int | None, what: str) -> None:
    """Refuse an edit made on top of a version older than the row's (a stale edit)."""
    if expected is None or row.version == expected:
        return
    who = "someone else"
    if row.updated_by_id is not None:
        acc = session.get(Account, row.updated_by_id)
        if acc is not None:
            who = acc.name or acc.email
    when = row.revision_date.strftime("%Y-%m-%d %H:%M:%S UTC")
    raise StaleEdit(f"{what} was changed by {who} at {when} after you opened it; "
                    "reload to see their change, then edit again.")


def touch(row, actor: Actor | None) -> None:
    row.updated_by_id = actor.account_id if actor else None


def refresh_seats(session: Session, org: Organization) -> int:
    """Recount the members occupying seats (Invited, Accepted, Confirmed) and store it on the org."""
    session.flush()
    occupied = session.execute(
        select(func.count()).select_from(Member).where(
            Member.organization_id == org.id,
            Member.status.in_([int(s) for s in SEAT_OCCUPYING_STATUSES]))).scalar_one()
    if occupied != org.occupied_seats or org.seats_remaining != org.seats - occupied:
        # A counter, not an edit: written without bumping the org's version, so an invite does not
        # make someone's open rename look stale.
        session.execute(update(Organization).where(Organization.id == org.id).values(
            occupied_seats=occupied, seats_remaining=org.seats - occupied))
        set_committed_value(org, "occupied_seats", occupied)
        set_committed_value(org, "seats_remaining", org.seats - occupied)
    return occupied
