"""Two-person approval (issue 18): chosen actions wait for a second Provider Admin.

One mechanism for every guarded action. The provider's setting names the actions (GUARDED). A
guarded use case calls `gate()` inside its own transaction and is refused there unless it runs as an
approved request, so no caller can go around it. Whoever asks instead files a request (`request()`):
the action's name, its validated arguments (ids, not what was typed), what it does in words and why.
Another Provider Admin approves (`approve()`): the request is marked approved and the action runs
through the very same use case, inside the approver's transaction, with both names in its event
(core.context.APPROVAL). Or they deny; the requester (or an admin) withdraws; after 24 hours a
request expires.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from msp_tui.core import clock, events
from msp_tui.core.access import Action, check
from msp_tui.core.context import APPROVAL, Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, PolicyType, StaffRole
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import Account, ApprovalRequest, Organization, Policy, Provider
from msp_tui.core.services.common import as_uuid, find_client, touch

LIFETIME = timedelta(hours=24)
RULE = "two-person"
ONE_ADMIN = ("Two-person approval needs a second confirmed Provider Admin to approve requests; invite and "
             "confirm one first.")


class Status(IntEnum):
    PENDING = 0
    APPROVED = 1
    DENIED = 2
    WITHDRAWN = 3
    EXPIRED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class ApprovalNeeded(Refused):
    """A guarded action tried directly while two-person approval covers it.

    `arguments` are what `request(action, reason, **arguments)` needs to ask for this very change (ids,
    as the use case resolved them), so a caller can turn the refusal into a request by adding only a
    reason (the UI's reason dialog); None when the refusal does not name one change (a template)."""

    def __init__(self, name: str, arguments: dict | None = None) -> None:
        super().__init__(RULE, f"Two-person approval is on: to {GUARDED[name].label}, a second Provider Admin "
                         "must approve. Give a reason (--reason TEXT) to ask for it.")
        self.action = name
        self.arguments = arguments


@dataclass(frozen=True)
class Prepared:
    arguments: dict
    summary: str
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Guarded:
    name: str
    label: str
    #: Validate what was asked, as the requester: refuse what they may not do; the stored arguments.
    prepare: Callable[[Session, Actor, dict], Prepared]
    #: Run it through the direct path's use case (as the approver).
    run: Callable[[Database, Actor, dict], object]
    #: Whether the admins may choose it (change-approvals is always guarded once anything is).
    choosable: bool = True


# --- the guarded actions ------------------------------------------------------------------------

def _client(s: Session, actor: Actor, args: dict, action: Action) -> Organization:
    if not args.get("client"):
        raise BadInput("Name the client.", "client")
    org = find_client(s, actor.provider_id, args["client"])
    check(s, actor, action, organization_id=org.id)
    return org


def _prep_unlink(s, actor, args):
    org = _client(s, actor, args, Action.UNLINK_CLIENT)
    return Prepared({"client": str(org.id)}, f"unlink the client {org.name}", org.id)


def _run_unlink(db, actor, args):
    from msp_tui.core.services import clients
    return clients.unlink(db, actor, uuid.UUID(args["client"]))


def _prep_seats(s, actor, args):
    from msp_tui.core.schemas import Seats, parse
    org = _client(s, actor, args, Action.CHANGE_SEATS)
    seats = parse(Seats, seats=args.get("seats")).seats
    if seats >= org.seats:
        raise BadInput(f"{org.name} has {org.seats} seats: {seats} is not fewer, so it needs no approval.", "seats")
    return Prepared({"client": str(org.id), "seats": seats},
                    f"lower {org.name}'s seats from {org.seats} to {seats}", org.id)


def _run_seats(db, actor, args):
    from msp_tui.core.services import clients
    return clients.change_seats(db, actor, uuid.UUID(args["client"]), args["seats"])


def _staff(s, actor, args):
    from msp_tui.core.services.staff import find_staff
    check(s, actor, Action.MANAGE_STAFF)
    if not args.get("staff"):
        raise BadInput("Name the staff member.", "staff")
    return find_staff(s, actor.provider_id, args["staff"])


def _prep_remove_staff(s, actor, args):
    st = _staff(s, actor, args)
    if st.account_id == actor.account_id:
        raise Refused("S5", "You cannot remove yourself.")
    return Prepared({"staff": str(st.id)}, f"remove {st.email} ({StaffRole(st.role).label}) from the staff")


def _run_remove_staff(db, actor, args):
    from msp_tui.core.services import staff
    return staff.remove(db, actor, uuid.UUID(args["staff"]))


def _prep_role(s, actor, args):
    st = _staff(s, actor, args)
    role = {"admin": StaffRole.PROVIDER_ADMIN, "service": StaffRole.SERVICE_USER}.get(str(args.get("role")).lower())
    if role is None:
        raise BadInput("role: use admin or service", "role")
    if role == st.role:
        raise BadInput(f"{st.email} is already a {role.label}.", "role")
    return Prepared({"staff": str(st.id), "role": "admin" if role == StaffRole.PROVIDER_ADMIN else "service"},
                    f"make {st.email} a {role.label} (now {StaffRole(st.role).label})")


def _run_role(db, actor, args):
    from msp_tui.core.services import staff
    return staff.change_role(db, actor, uuid.UUID(args["staff"]), args["role"])


def _policy_off(type_: PolicyType):
    def prep(s, actor, args):
        from msp_tui.core import policies as catalogue
        org = _client(s, actor, args, Action.MANAGE_POLICIES)
        row = s.execute(select(Policy).where(Policy.organization_id == org.id,
                                             Policy.type == int(type_))).scalar_one_or_none()
        name = catalogue.SPECS[type_].name
        if row is None or not row.enabled:
            raise BadInput(f"{name} is already off for {org.name}.", "type")
        return Prepared({"client": str(org.id)}, f"turn off {name} for {org.name}", org.id)

    def run(db, actor, args):
        from msp_tui.core.services import policies
        return policies.set_policy(db, actor, uuid.UUID(args["client"]), type_, enabled=False)

    return prep, run


def _prep_rotate(s, actor, args):
    org = _client(s, actor, args, Action.ROTATE_CLIENT_KEY)
    return Prepared({"client": str(org.id)}, f"rotate the key of {org.name}", org.id)


def _run_rotate(db, actor, args):
    from msp_tui.core.services import org_keys
    return org_keys.rotate_org_key(db, actor, uuid.UUID(args["client"]))


def _prep_setting(s, actor, args):
    check(s, actor, Action.EDIT_PROVIDER)
    names = parse_actions(args.get("actions") or [])
    return Prepared({"actions": names}, "set two-person approval to "
                    + (", ".join(names) if names else "off"))


def _run_setting(db, actor, args):
    return set_actions(db, actor, args["actions"])


_tsl, _tsl_run = _policy_off(PolicyType.TWO_FACTOR_AUTHENTICATION)
_mpr, _mpr_run = _policy_off(PolicyType.MASTER_PASSWORD)

GUARDED: dict[str, Guarded] = {g.name: g for g in (
    Guarded("unlink-client", "unlink a client", _prep_unlink, _run_unlink),
    Guarded("remove-staff", "remove a staff member", _prep_remove_staff, _run_remove_staff),
    Guarded("change-staff-role", "change a staff member's role", _prep_role, _run_role),
    Guarded("lower-seats", "lower a client's seats", _prep_seats, _run_seats),
    Guarded("turn-off-two-step-login", "turn off Require two-step login on a client", _tsl, _tsl_run),
    Guarded("turn-off-master-password", "turn off Master password requirements on a client", _mpr, _mpr_run),
    Guarded("rotate-client-key", "rotate a client's key", _prep_rotate, _run_rotate),
    Guarded("change-approvals", "turn two-person approval off or narrow it", _prep_setting, _run_setting,
            choosable=False),
)}
CHOICES = tuple(n for n, g in GUARDED.items() if g.choosable)
#: The guarded action of turning a policy off, by policy type.
POLICY_OFF = {PolicyType.TWO_FACTOR_AUTHENTICATION: "turn-off-two-step-login",
              PolicyType.MASTER_PASSWORD: "turn-off-master-password"}


def parse_actions(names) -> list[str]:
    """Action names as typed ("all", "none", or names from CHOICES), in CHOICES order."""
    if isinstance(names, str):
        names = [names]
    wanted: set[str] = set()
    for raw in names:
        for word in str(raw).replace(",", " ").split():
            word = word.strip().lower()
            if word == "all":
                wanted.update(CHOICES)
            elif word in ("none", "off"):
                continue
            elif word in CHOICES:
                wanted.add(word)
            else:
                raise BadInput(f"Unknown action {word!r}: use all, none or " + ", ".join(CHOICES) + ".", "actions")
    return [n for n in CHOICES if n in wanted]


def _stored(provider: Provider | None) -> list[str]:
    if provider is None or not provider.approval_actions:
        return []
    return [n for n in provider.approval_actions.split(",") if n in GUARDED]


def _admins(s: Session, provider_id) -> int:
    from msp_tui.core.services.staff import confirmed_admin_count
    return confirmed_admin_count(s, provider_id)


def is_guarded(s: Session, provider_id: uuid.UUID | None, name: str) -> bool:
    if provider_id is None:
        return False
    actions = _stored(s.get(Provider, provider_id))
    return bool(actions) and (name in actions or name == "change-approvals")


def gate(s: Session, actor: Actor | None, name: str, arguments: dict | None = None) -> None:
    """Inside a guarded use case's transaction: refuse unless it runs as this action's approved request.
    `arguments`: the request's arguments for this change, carried by the refusal (ApprovalNeeded)."""
    running = APPROVAL.get()
    if running is not None and running.get("action") == name:
        return
    if actor is not None and is_guarded(s, actor.provider_id, name):
        raise ApprovalNeeded(name, arguments)


def needed(db: Database, actor: Actor, name: str) -> bool:
    """Whether `name` would become a request now (the command line asks before acting)."""
    with db.read() as s:
        return is_guarded(s, actor.provider_id, name)


# --- the setting --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    actions: list[str]
    admins: int
    #: Why it cannot be turned on, or why nobody can approve, when there are fewer than two admins.
    warning: str | None


def setting(db: Database, actor: Actor) -> Setting:
    with db.read() as s:
        check(s, actor, Action.VIEW_APPROVALS)
        actions = _stored(s.get(Provider, actor.provider_id))
        n = _admins(s, actor.provider_id)
    return Setting(actions, n, warning_for(n, bool(actions)))


def warning_for(admins: int, on: bool) -> str | None:
    if admins >= 2:
        return None
    if on:
        return ("Two-person approval is on, but with one Provider Admin nobody can approve a request: "
                "confirm a second Provider Admin, or turn it off.")
    return "Two-person approval cannot be turned on until a second Provider Admin is confirmed."


def set_actions(db: Database, actor: Actor, names) -> list[str]:
    """Set which actions need a second Provider Admin (event 2005). Turning any on needs two confirmed
    admins; turning any off (while two can approve) is itself guarded."""
    wanted = parse_actions(names)
    with db.write() as s:
        check(s, actor, Action.EDIT_PROVIDER)
        provider = s.get(Provider, actor.provider_id)
        before = _stored(provider)
        if before == wanted:
            return wanted
        admins = _admins(s, provider.id)
        if set(wanted) - set(before) and admins < 2:
            raise Refused(RULE, ONE_ADMIN)
        if set(before) - set(wanted) and admins >= 2:
            gate(s, actor, "change-approvals")
        provider.approval_actions = ",".join(wanted) or None
        touch(provider, actor)
        events.record(s, actor, EventType.APPROVAL_SETTING_CHANGED, provider_id=provider.id,
                      detail={"actions": [before, wanted]})
        return wanted


# --- requests -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestView:
    id: uuid.UUID
    number: int
    action: str
    label: str
    summary: str
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    status: Status
    decided_by: str | None
    decided_at: datetime | None
    organization_id: uuid.UUID | None
    arguments: dict

    @property
    def pending(self) -> bool:
        return self.status == Status.PENDING


def _status(row: ApprovalRequest) -> Status:
    if row.status == Status.PENDING and row.requested_at + LIFETIME <= clock.now():
        return Status.EXPIRED
    return Status(row.status)


def _email(s: Session, account_id) -> str | None:
    if account_id is None:
        return None
    acc = s.get(Account, account_id)
    return acc.email if acc else None


def _view(s: Session, row: ApprovalRequest) -> RequestView:
    return RequestView(row.id, row.number, row.action, GUARDED[row.action].label if row.action in GUARDED
                       else row.action, row.summary, row.reason, _email(s, row.requested_by_id) or "",
                       row.requested_at, row.requested_at + LIFETIME, _status(row),
                       _email(s, row.decided_by_id), row.decided_at, row.organization_id,
                       json.loads(row.arguments))


def _expire(s: Session, actor: Actor, provider_id) -> None:
    """Pending requests past 24 hours become expired (event 2004 each), noticed by the next write."""
    due = s.execute(select(ApprovalRequest).where(
        ApprovalRequest.provider_id == provider_id, ApprovalRequest.status == Status.PENDING,
        ApprovalRequest.requested_at <= clock.now() - LIFETIME)).scalars().all()
    for row in due:
        row.status, row.decided_at = Status.EXPIRED, row.requested_at + LIFETIME
        events.record(s, actor, EventType.APPROVAL_EXPIRED, provider_id=provider_id,
                      organization_id=row.organization_id,
                      detail={"request": row.number, "action": row.action, "summary": row.summary})


def request(db: Database, actor: Actor, name: str, reason: str | None, **arguments) -> RequestView:
    """File a pending request for a guarded action (event 2000): validated now, as the requester."""
    if name not in GUARDED:
        raise BadInput(f"Unknown action {name!r}.", "action")
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("Say why: a reason is required for a two-person approval request (--reason TEXT).",
                       "reason")
    if len(reason) > 500:
        raise BadInput("The reason is longer than 500 characters.", "reason")
    with db.write() as s:
        check(s, actor, Action.ASK_APPROVAL)
        if not is_guarded(s, actor.provider_id, name):
            raise Refused(RULE, f"Two-person approval does not cover this ({GUARDED[name].label}): do it directly.")
        prepared = GUARDED[name].prepare(s, actor, arguments)
        _expire(s, actor, actor.provider_id)
        number = (s.execute(select(func.max(ApprovalRequest.number)).where(
            ApprovalRequest.provider_id == actor.provider_id)).scalar() or 0) + 1
        row = ApprovalRequest(number=number, provider_id=actor.provider_id, action=name,
                              arguments=json.dumps(prepared.arguments, sort_keys=True), summary=prepared.summary,
                              reason=reason, organization_id=prepared.organization_id,
                              requested_by_id=actor.account_id, requested_at=clock.now(), status=Status.PENDING)
        s.add(row)
        s.flush()
        events.record(s, actor, EventType.APPROVAL_REQUESTED, provider_id=actor.provider_id,
                      organization_id=prepared.organization_id,
                      detail={"request": number, "action": name, "summary": prepared.summary, "reason": reason})
        return _view(s, row)


def _find(s: Session, actor: Actor, ref) -> ApprovalRequest:
    stmt = select(ApprovalRequest).where(ApprovalRequest.provider_id == actor.provider_id)
    text = str(ref).strip().lstrip("#")
    ident = as_uuid(text)
    if ident is not None:
        stmt = stmt.where(ApprovalRequest.id == ident)
    elif text.isdigit():
        stmt = stmt.where(ApprovalRequest.number == int(text))
    else:
        raise NotFound(f"No approval request {str(ref)!r}: use its number.", "request")
    row = s.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No approval request {str(ref)!r}.", "request")
    return row


def _pending(s: Session, row: ApprovalRequest) -> None:
    status = _status(row)
    if status != Status.PENDING:
        raise Refused(RULE, f"Request {row.number} is {status.label}; only a pending request can be decided.")


def list_requests(db: Database, actor: Actor, *, everything: bool = False) -> list[RequestView]:
    """Pending requests (newest first), or every request with `everything`."""
    with db.read() as s:
        check(s, actor, Action.VIEW_APPROVALS)
        stmt = select(ApprovalRequest).where(ApprovalRequest.provider_id == actor.provider_id)
        from msp_tui.core.scope import scope_of

        scope = scope_of(s, actor)
        if not scope.everything:  # S12: a request about a client outside the scope does not exist for them
            stmt = stmt.where(or_(ApprovalRequest.organization_id.is_(None),
                                  scope.clients(ApprovalRequest.organization_id)))
        if not everything:
            stmt = stmt.where(ApprovalRequest.status == Status.PENDING,
                              ApprovalRequest.requested_at > clock.now() - LIFETIME)
        rows = s.execute(stmt.order_by(ApprovalRequest.number.desc())).scalars().all()
        return [_view(s, r) for r in rows]


def pending_count(db: Database, actor: Actor) -> int:
    """What the header counts: pending requests this person could approve, break-glass ones too (0 for
    anyone else)."""
    with db.read() as s:
        from msp_tui.core.access import decide, standing_for
        if actor.provider_id is None or not decide(standing_for(s, actor), Action.DECIDE_APPROVALS):
            return 0
        from msp_tui.core.services.break_glass import pending_to_decide

        return s.execute(select(func.count()).select_from(ApprovalRequest).where(
            ApprovalRequest.provider_id == actor.provider_id, ApprovalRequest.status == Status.PENDING,
            ApprovalRequest.requested_at > clock.now() - LIFETIME,
            ApprovalRequest.requested_by_id != actor.account_id)).scalar_one() + pending_to_decide(s, actor)


def approve(db: Database, actor: Actor, ref) -> tuple[RequestView, object]:
    """Approve and run it now, in this transaction, as the approver; both names go in its event."""
    with db.write() as s:
        check(s, actor, Action.DECIDE_APPROVALS)
        _expire(s, actor, actor.provider_id)
        row = _find(s, actor, ref)
        _pending(s, row)
        if row.requested_by_id == actor.account_id:
            raise Refused(RULE, "A second Provider Admin must approve: you asked for this yourself.")
        requester = _email(s, row.requested_by_id)
        row.status, row.decided_by_id, row.decided_at = Status.APPROVED, actor.account_id, clock.now()
        both = {"request": row.number, "action": row.action, "requested_by": requester,
                "approved_by": actor.email, "reason": row.reason}
        events.record(s, actor, EventType.APPROVAL_APPROVED, provider_id=actor.provider_id,
                      organization_id=row.organization_id, detail={**both, "summary": row.summary})
        s.flush()
        token = APPROVAL.set({k: both[k] for k in ("request", "action", "requested_by", "approved_by")})
        try:
            with db.sharing(s):
                result = GUARDED[row.action].run(db, actor, json.loads(row.arguments))
        finally:
            APPROVAL.reset(token)
        return _view(s, row), result


def deny(db: Database, actor: Actor, ref, reason: str | None = None) -> RequestView:
    with db.write() as s:
        check(s, actor, Action.DECIDE_APPROVALS)
        _expire(s, actor, actor.provider_id)
        row = _find(s, actor, ref)
        _pending(s, row)
        row.status, row.decided_by_id, row.decided_at = Status.DENIED, actor.account_id, clock.now()
        detail = {"request": row.number, "action": row.action, "summary": row.summary,
                  "requested_by": _email(s, row.requested_by_id)}
        if reason and reason.strip():
            detail["why"] = " ".join(reason.split())[:500]
        events.record(s, actor, EventType.APPROVAL_DENIED, provider_id=actor.provider_id,
                      organization_id=row.organization_id, detail=detail)
        return _view(s, row)


def withdraw(db: Database, actor: Actor, ref) -> RequestView:
    """The requester takes it back (a Provider Admin may too: it is then withdrawn, not denied)."""
    with db.write() as s:
        standing = check(s, actor, Action.ASK_APPROVAL)
        _expire(s, actor, actor.provider_id)
        row = _find(s, actor, ref)
        _pending(s, row)
        from msp_tui.core.access import Kind
        if row.requested_by_id != actor.account_id and standing.kind != Kind.PROVIDER_ADMIN:
            raise Refused(RULE, f"Only the person who asked (or a Provider Admin) can withdraw request {row.number}.")
        row.status, row.decided_by_id, row.decided_at = Status.WITHDRAWN, actor.account_id, clock.now()
        events.record(s, actor, EventType.APPROVAL_WITHDRAWN, provider_id=actor.provider_id,
                      organization_id=row.organization_id,
                      detail={"request": row.number, "action": row.action, "summary": row.summary})
        return _view(s, row)
