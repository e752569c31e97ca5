"""Which events a person may see (S4), and the pages of the timeline across all clients (B3)."""

from __future__ import annotations

import uuid

from msp_tui.core import events
from msp_tui.core.access import Action, Kind, check, standing_for
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.errors import Refused
from msp_tui.core.events import EventFilter, EventRow, EventScope
from msp_tui.core.services.members import _org_for


def scope_for(db: Database, actor: Actor, client: str | uuid.UUID | None = None) -> EventScope:
    """Provider Admins see everything; Service Users every client but not the provider log;
    a client's own Owner or Admin (or Custom with the flag) only that client's events."""
    with db.read() as s:
        if client is not None:
            org = _org_for(s, actor, client)
            standing = check(s, actor, Action.VIEW_CLIENT_EVENTS, organization_id=org.id)
            if standing.is_staff:
                return EventScope(provider_id=standing.provider_id,
                                  include_provider_log=standing.kind == Kind.PROVIDER_ADMIN,
                                  organization_id=org.id)
            return EventScope(organization_id=org.id)
        standing = standing_for(s, actor)
        if standing.kind == Kind.PROVIDER_ADMIN:
            return EventScope(provider_id=actor.provider_id, include_provider_log=True)
        if standing.kind == Kind.SERVICE_USER:
            return EventScope(provider_id=actor.provider_id, include_provider_log=False)
        check(s, actor, Action.VIEW_CLIENTS)
        raise Refused("S4", "You cannot see this provider's events.")


def page(db: Database, scope: EventScope, flt: EventFilter = EventFilter(), *, before=None, after=None,
         limit: int = events.PAGE_SIZE) -> list[EventRow]:
    with db.read() as s:
        return events.query_page(s, scope, flt, before=before, after=after, limit=limit)
