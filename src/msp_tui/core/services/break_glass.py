"""Break-glass access (issue 18): a scoped Service User asks for one client outside their scope,
with a reason (and a ticket), for a time up to the provider's maximum; a Provider Admin grants or
denies. Access starts on the grant and ends at its time by itself: core.scope counts a live grant's
client as in scope (`live_clients`) only while `clock.now()` is inside it, so the first action after
it is refused by the same S12 check as any client outside the scope. The holder or an admin ends it
early. An emergency self-grant (a provider setting, off by default) grants at once and stays loud (a
health finding) until an admin acknowledges it. Every step is an event (2020-2029).

Use: core.access.check marks an action on a client seen only through a grant (`note_use`); every
write under the grant records a use (event 2029) in its own transaction, and so does the first read of
each grant (in a write once the read ends: core.db.after_read). Expiry: a grant past its time is
recorded as expired (2024) by the next read or write that notices it (the holder's scope, an admin's
inbox count or list), not only by the next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msp_tui.core import clock, events
from msp_tui.core.access import Action, Kind, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database, after_read
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import AccessGrant, Account, Organization, Provider
from msp_tui.core.services.common import find_client, touch

RULE = "break-glass"


class Status(IntEnum):
    PENDING = 0
    GRANTED = 1
    DENIED = 2
    ENDED = 3
    EXPIRED = 5

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    number: int
    client: str
    organization_id: uuid.UUID
    requested_by: str
    reason: str
    ticket: str | None
    minutes: int
    status: Status
    live: bool
    starts_at: datetime | None
    ends_at: datetime | None
    emergency: bool
    acknowledged: bool


def live_clients(session: Session, account_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """The clients this person holds a live grant for, now (core.scope.granted_clients)."""
    if account_id is None:
        return frozenset()
    now = clock.now()
    return frozenset(session.execute(select(AccessGrant.organization_id).where(
        AccessGrant.account_id == account_id, AccessGrant.status == Status.GRANTED,
        AccessGrant.starts_at <= now, AccessGrant.ends_at > now)).scalars())


def live_fingerprint(db: Database, actor: Actor) -> frozenset[uuid.UUID]:
    """The clients this person's live grants open now: one small query a screen can repeat on a timer,
    re-reading its list only when the answer changes (a grant approved, ended or run out)."""
    with db.read() as s:
        return live_clients(s, actor.account_id)


def grants_now(session: Session, account_id: uuid.UUID | None) -> tuple[frozenset[uuid.UUID], bool]:
    """(clients this person holds a live grant for, whether a grant of theirs lapsed unrecorded): one
    query, on every scope a scoped Service User's request computes."""
    if account_id is None:
        return frozenset(), False
    now = clock.now()
    return grants_from(session.execute(granted_since(account_id, now)).all(), now)


def granted_since(account_id: uuid.UUID, now: datetime):
    """The statement of grants_now: (organization_id, ends_at) of each grant started by `now` and still
    marked granted (core.scope sends it in one statement with the scope's groups)."""
    return select(AccessGrant.organization_id, AccessGrant.ends_at).where(
        AccessGrant.account_id == account_id, AccessGrant.status == Status.GRANTED, AccessGrant.starts_at <= now)


def grants_from(rows, now: datetime) -> tuple[frozenset[uuid.UUID], bool]:
    """grants_now's answer from the rows of granted_since."""
    return frozenset(o for o, ends in rows if ends > now), any(ends <= now for _o, ends in rows)


def note_lapsed(session: Session, actor: Actor) -> None:
    """A grant past its time is still marked granted: record its expiry (event 2024), now in a write,
    else once this read ends."""
    def expire(db: Database) -> None:
        with db.write() as s:
            _expire(s, actor, actor.provider_id)

    after_read(session, ("break-glass-lapsed", actor.provider_id), expire)


def _live_grant(s: Session, account_id, organization_id) -> AccessGrant | None:
    now = clock.now()
    return s.execute(select(AccessGrant).where(
        AccessGrant.account_id == account_id, AccessGrant.organization_id == organization_id,
        AccessGrant.status == Status.GRANTED, AccessGrant.starts_at <= now, AccessGrant.ends_at > now)
        .order_by(AccessGrant.number.desc()).limit(1)).scalar_one_or_none()


def _used(s: Session, g: AccessGrant) -> bool:
    from msp_tui.core.models import Event

    return s.execute(select(Event.id).where(
        Event.organization_id == g.organization_id, Event.type == int(EventType.BREAK_GLASS_USED),
        Event.acting_account_id == g.account_id, Event.date >= g.starts_at).limit(1)).first() is not None


def _record_use(s: Session, actor: Actor, g: AccessGrant, action: Action) -> None:
    events.record(s, actor, EventType.BREAK_GLASS_USED, provider_id=g.provider_id, organization_id=g.organization_id,
                  detail={"grant": g.number, "action": action.value})
    actor.key_cache[("break-glass-used", g.id)] = True


def note_use(session: Session, actor: Actor, organization_id: uuid.UUID, action: Action) -> None:
    """`actor` may act on this client only through a live grant (core.access.check): a write records a
    use of the grant (event 2029) in its own transaction, once per transaction; a read records the
    grant's first use (its later reads are covered by it), in a write once the read ends."""
    g = _live_grant(session, actor.account_id, organization_id)
    if g is None:
        return
    if session.info.get("writing"):
        key = ("break-glass-use", g.id)
        if key not in session.info:
            session.info[key] = True
            _record_use(session, actor, g, action)
        return
    if ("break-glass-used", g.id) in actor.key_cache or _used(session, g):
        actor.key_cache[("break-glass-used", g.id)] = True
        return
    grant_id = g.id

    def first_use(db: Database) -> None:
        with db.write() as s:
            live = s.get(AccessGrant, grant_id)
            if live is not None and _status(live) == Status.GRANTED and not _used(s, live):
                _record_use(s, actor, live, action)

    after_read(session, ("break-glass-use", grant_id), first_use)


def _lapsed_in(s: Session, provider_id) -> bool:
    return s.execute(select(AccessGrant.id).where(
        AccessGrant.provider_id == provider_id, AccessGrant.status == Status.GRANTED,
        AccessGrant.ends_at <= clock.now()).limit(1)).first() is not None


def _status(g: AccessGrant) -> Status:
    if g.status == Status.GRANTED and g.ends_at is not None and g.ends_at <= clock.now():
        return Status.EXPIRED
    return Status(g.status)


def _view(s: Session, g: AccessGrant) -> GrantView:
    org = s.get(Organization, g.organization_id)
    acc = s.get(Account, g.account_id)
    status = _status(g)
    return GrantView(g.id, g.number, org.name if org else "", g.organization_id, acc.email if acc else "",
                     g.reason, g.ticket, g.minutes, status, status == Status.GRANTED, g.starts_at, g.ends_at,
                     g.emergency, g.acknowledged_by_id is not None)


def _expire(s: Session, actor: Actor, provider_id) -> None:
    """Grants past their time: recorded as expired (event 2024) by the next write that notices."""
    for g in s.execute(select(AccessGrant).where(
            AccessGrant.provider_id == provider_id, AccessGrant.status == Status.GRANTED,
            AccessGrant.ends_at <= clock.now())).scalars():
        g.status = Status.EXPIRED
        events.record(s, actor, EventType.BREAK_GLASS_EXPIRED, provider_id=provider_id,
                      organization_id=g.organization_id, detail={"grant": g.number, "ended": g.ends_at.isoformat()})


def parse_minutes(text: str | int | None, maximum: int) -> int:
    """'2h', '90m', 120 (minutes); at most the provider's maximum."""
    if text is None or text == "":
        return maximum
    if isinstance(text, int):
        minutes = text
    else:
        t = str(text).strip().lower()
        try:
            minutes = int(t[:-1]) * 60 if t.endswith("h") else int(t[:-1]) if t.endswith("m") else int(t)
        except ValueError:
            raise BadInput(f"How long {text!r}: use a time like 2h or 90m.", "for") from None
    if minutes < 1:
        raise BadInput("How long: at least one minute.", "for")
    if minutes > maximum:
        raise BadInput(f"How long: at most {maximum // 60}h{maximum % 60:02d} (the provider's maximum).", "for")
    return minutes


def duration_text(minutes: int) -> str:
    """As `parse_minutes` reads it back: '4h', '90m'."""
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def max_minutes(db: Database, actor: Actor) -> int:
    """The longest break-glass access this provider grants (what a request may ask for at most)."""
    with db.read() as s:
        check(s, actor, Action.REQUEST_BREAK_GLASS)
        return s.get(Provider, actor.provider_id).break_glass_max_minutes


def request(db: Database, actor: Actor, client, reason: str, *, ticket: str | None = None,
            minutes: str | int | None = None) -> GrantView:
    """Ask for a client outside one's scope (event 2020); with the emergency self-grant on, granted at
    once (event 2026) and loud until an admin acknowledges it."""
    from msp_tui.core import scope

    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("Say why: break-glass access needs a reason (--reason TEXT).", "reason")
    if len(reason) > 500:
        raise BadInput("The reason is longer than 500 characters.", "reason")
    ticket = " ".join((ticket or "").split())[:100] or None
    with db.write() as s:
        standing = check(s, actor, Action.REQUEST_BREAK_GLASS)
        provider = s.get(Provider, actor.provider_id)
        org = find_client(s, actor.provider_id, client)
        if standing.kind == Kind.PROVIDER_ADMIN or scope.may_see(s, actor, org.id):
            raise Refused(RULE, f"{org.name} is already in your scope: no break-glass access is needed.")
        n = parse_minutes(minutes, provider.break_glass_max_minutes)
        _expire(s, actor, provider.id)
        number = (s.execute(select(func.max(AccessGrant.number)).where(
            AccessGrant.provider_id == provider.id)).scalar() or 0) + 1
        g = AccessGrant(number=number, provider_id=provider.id, organization_id=org.id, account_id=actor.account_id,
                        reason=reason, ticket=ticket, minutes=n, requested_at=clock.now(), status=Status.PENDING,
                        emergency=False)
        s.add(g)
        s.flush()
        detail = {"grant": number, "reason": reason, "minutes": n, **({"ticket": ticket} if ticket else {})}
        events.record(s, actor, EventType.BREAK_GLASS_REQUESTED, provider_id=provider.id, organization_id=org.id,
                      detail=detail)
        if provider.break_glass_self_grant:
            g.status, g.emergency, g.decided_by_id = Status.GRANTED, True, actor.account_id
            g.starts_at, g.ends_at = clock.now(), clock.now() + timedelta(minutes=n)
            events.record(s, actor, EventType.BREAK_GLASS_SELF_GRANTED, provider_id=provider.id,
                          organization_id=org.id, detail={**detail, "until": g.ends_at.isoformat()})
        return _view(s, g)


def _find(s: Session, actor: Actor, ref) -> AccessGrant:
    text = str(ref).strip().lstrip("#")
    if not text.isdigit():
        raise NotFound(f"No break-glass request {str(ref)!r}: use its number.", "grant")
    g = s.execute(select(AccessGrant).where(AccessGrant.provider_id == actor.provider_id,
                                            AccessGrant.number == int(text))).scalar_one_or_none()
    if g is None:
        raise NotFound(f"No break-glass request {str(ref)!r}.", "grant")
    return g


def approve(db: Database, actor: Actor, ref) -> GrantView:
    """Grant it: access starts now and ends by itself after the minutes asked (event 2021)."""
    with db.write() as s:
        check(s, actor, Action.GRANT_BREAK_GLASS)
        _expire(s, actor, actor.provider_id)
        g = _find(s, actor, ref)
        if _status(g) != Status.PENDING:
            raise Refused(RULE, f"Break-glass request {g.number} is {_status(g).label}; only a pending one can be "
                          "decided.")
        g.status, g.decided_by_id = Status.GRANTED, actor.account_id
        g.starts_at, g.ends_at = clock.now(), clock.now() + timedelta(minutes=g.minutes)
        events.record(s, actor, EventType.BREAK_GLASS_GRANTED, provider_id=actor.provider_id,
                      organization_id=g.organization_id,
                      detail={"grant": g.number, "minutes": g.minutes, "until": g.ends_at.isoformat(),
                              "requested_by": s.get(Account, g.account_id).email})
        return _view(s, g)


def deny(db: Database, actor: Actor, ref, reason: str | None = None) -> GrantView:
    reason = " ".join((reason or "").split())[:500] or None
    with db.write() as s:
        check(s, actor, Action.GRANT_BREAK_GLASS)
        g = _find(s, actor, ref)
        if _status(g) != Status.PENDING:
            raise Refused(RULE, f"Break-glass request {g.number} is {_status(g).label}; only a pending one can be "
                          "decided.")
        g.status, g.decided_by_id = Status.DENIED, actor.account_id
        events.record(s, actor, EventType.BREAK_GLASS_DENIED, provider_id=actor.provider_id,
                      organization_id=g.organization_id,
                      detail={"grant": g.number, **({"reason": reason} if reason else {})})
        return _view(s, g)


def end(db: Database, actor: Actor, ref) -> GrantView:
    """End a grant early (or withdraw a pending request): the holder, or a Provider Admin (event 2023)."""
    with db.write() as s:
        standing = check(s, actor, Action.REQUEST_BREAK_GLASS)
        g = _find(s, actor, ref)
        if g.account_id != actor.account_id and standing.kind != Kind.PROVIDER_ADMIN:
            raise Refused(RULE, f"Only its holder or a Provider Admin can end break-glass access {g.number}.")
        if _status(g) not in (Status.PENDING, Status.GRANTED):
            raise Refused(RULE, f"Break-glass access {g.number} is already {_status(g).label}.")
        g.status = Status.ENDED
        if g.ends_at is not None:
            g.ends_at = clock.now()
        events.record(s, actor, EventType.BREAK_GLASS_ENDED, provider_id=actor.provider_id,
                      organization_id=g.organization_id, detail={"grant": g.number})
        return _view(s, g)


def acknowledge(db: Database, actor: Actor, ref) -> GrantView:
    """An admin has seen an emergency self-grant: it stops being a health finding (event 2027)."""
    with db.write() as s:
        check(s, actor, Action.GRANT_BREAK_GLASS)
        g = _find(s, actor, ref)
        if not g.emergency:
            raise Refused(RULE, f"Break-glass access {g.number} was granted by an admin, not self-granted.")
        if g.acknowledged_by_id is None:
            g.acknowledged_by_id = actor.account_id
            events.record(s, actor, EventType.BREAK_GLASS_ACKNOWLEDGED, provider_id=actor.provider_id,
                          organization_id=g.organization_id, detail={"grant": g.number})
        return _view(s, g)


def list_grants(db: Database, actor: Actor, *, everything: bool = False) -> list[GrantView]:
    """Pending requests and live grants (everything: every request ever), newest first. A Service User
    sees only their own: others' requests name clients that may be outside their scope (S12)."""
    with db.read() as s:
        standing = check(s, actor, Action.REQUEST_BREAK_GLASS)
        q = select(AccessGrant).where(AccessGrant.provider_id == actor.provider_id)
        if standing.kind != Kind.PROVIDER_ADMIN:
            q = q.where(AccessGrant.account_id == actor.account_id)
        rows = s.execute(q.order_by(AccessGrant.number.desc())).scalars().all()
        if any(_status(g) == Status.EXPIRED and g.status == Status.GRANTED for g in rows):
            note_lapsed(s, actor)
        views = [_view(s, g) for g in rows]
    return views if everything else [v for v in views if v.status in (Status.PENDING, Status.GRANTED)]


def pending_to_decide(s: Session, actor: Actor) -> int:
    """Break-glass requests waiting for a Provider Admin (the header's "N to approve"); callers have
    checked the actor is one. A lapsed grant it notices gets its expiry recorded (the timeline shows it)."""
    if _lapsed_in(s, actor.provider_id):
        note_lapsed(s, actor)
    return s.execute(select(func.count()).select_from(AccessGrant).where(
        AccessGrant.provider_id == actor.provider_id, AccessGrant.status == Status.PENDING)).scalar_one()


def unacknowledged_emergencies(s: Session, provider_id) -> list[AccessGrant]:
    return list(s.execute(select(AccessGrant).where(AccessGrant.provider_id == provider_id,
                                                    AccessGrant.emergency.is_(True),
                                                    AccessGrant.acknowledged_by_id.is_(None))).scalars())


def set_settings(db: Database, actor: Actor, *, max_minutes: int | None = None,
                 self_grant: bool | None = None) -> tuple[int, bool]:
    """The provider's break-glass settings (event 2028)."""
    with db.write() as s:
        check(s, actor, Action.EDIT_PROVIDER)
        p = s.get(Provider, actor.provider_id)
        before = (p.break_glass_max_minutes, p.break_glass_self_grant)
        if max_minutes is not None:
            if not 1 <= max_minutes <= 24 * 60:
                raise BadInput("The longest break-glass access is between 1 minute and 24 hours.", "max")
            p.break_glass_max_minutes = max_minutes
        if self_grant is not None:
            p.break_glass_self_grant = bool(self_grant)
        after = (p.break_glass_max_minutes, p.break_glass_self_grant)
        if after != before:
            touch(p, actor)
            events.record(s, actor, EventType.BREAK_GLASS_SETTING_CHANGED, provider_id=p.id,
                          detail={"max_minutes": [before[0], after[0]], "self_grant": [before[1], after[1]]})
        return after
