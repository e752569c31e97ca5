"""What the signed-in person may do to each member of a client, and why not (for greying out).

The member use cases in core/services/members.py refuse on their own; this module asks the same
questions ahead of time (access table, the reference's role guards, status rules) so a screen can grey
out an action and show core's reason without trying it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from msp_tui.core import permissions
from msp_tui.core.access import Action, Kind, check, decide
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import MemberRole, MemberStatus, PlanType
from msp_tui.core.errors import Refused
from msp_tui.core.models import Member
from msp_tui.core.services.members import LAST_OWNER, MemberView, _group_names, _org_for, _view, guard_role

#: Member actions a screen offers, by name.
ACTIONS = ("reinvite", "confirm", "role", "revoke", "restore", "remove")


@dataclass(frozen=True)
class MemberPanel:
    """One client's members with, per member, the reason each action is refused (None = allowed)."""

    organization_id: uuid.UUID
    client_name: str
    plan: PlanType
    seats: int
    used: int
    members: list[MemberView]
    #: None when the person may manage members at all, else core's reason.
    manage_refusal: str | None
    refusals: dict[uuid.UUID, dict[str, str | None]]
    #: Roles the person may grant (the reference's guards), with the reason for each one refused.
    role_refusals: dict[MemberRole, str | None]
    #: Custom flags the person may grant (all of them unless they are a Custom member).
    grantable_flags: frozenset[str] = field(default_factory=frozenset)
    standing: str = ""
    #: Account recovery (policy 8, services.recovery): why resetting each member's master password is
    #: refused (None = allowed). Its own permission, not "manage members".
    recover_refusals: dict[uuid.UUID, str | None] = field(default_factory=dict)

    @property
    def free(self) -> int:
        return self.seats - self.used


def _why(fn) -> str | None:
    try:
        fn()
    except Refused as exc:
        return exc.message
    return None


def member_refusals(standing, actor: Actor, m: MemberView, manage_refusal: str | None,
                    last_owner: bool = False) -> dict[str, str | None]:
    """Why each action on one member would be refused: the checks of services/members.py, in the
    order those use cases make them, so the first reason is the one core would give."""
    if manage_refusal is not None:
        return {a: manage_refusal for a in ACTIONS}
    guard = _why(lambda: guard_role(standing, m.role, None))
    is_self = m.account_id is not None and m.account_id == actor.account_id
    status = m.status

    def first(*reasons: str | None) -> str | None:
        return next((r for r in reasons if r), None)

    owners = LAST_OWNER if last_owner else None

    return {
        "reinvite": first(None if status == MemberStatus.INVITED else
                          f"{m.email}: only invitations still pending can be sent again.", guard),
        "confirm": first(None if status == MemberStatus.ACCEPTED else
                         f"{m.email} is {status.label.lower()}: only members who accepted their "
                         "invitation can be confirmed.", guard),
        "role": guard,
        "revoke": first("You cannot revoke yourself." if is_self else None,
                        f"{m.email} is already revoked." if status == MemberStatus.REVOKED else None, guard,
                        owners),
        "restore": first(None if status == MemberStatus.REVOKED else f"{m.email} is not revoked.", guard),
        "remove": first("You cannot remove yourself." if is_self else None, guard, owners),
    }


def load(db: Database, actor: Actor, client: str | uuid.UUID) -> MemberPanel:
    """Everything the member roles screen shows for one client, in one read."""
    with db.read() as s:
        org = _org_for(s, actor, client)
        standing = check(s, actor, Action.VIEW_MEMBERS, organization_id=org.id)
        manage = decide(standing, Action.MANAGE_MEMBERS)
        manage_refusal = None if manage.allowed else manage.reason
        rows = s.execute(select(Member).where(Member.organization_id == org.id)
                         .order_by(Member.role, Member.email)).scalars().all()
        groups = _group_names(s, [m.id for m in rows])
        views = [_view(m, groups.get(m.id, ())) for m in rows]
        confirmed_owners = [v.id for v in views
                            if v.role == MemberRole.OWNER and v.status == MemberStatus.CONFIRMED]
        refusals = {v.id: member_refusals(standing, actor, v, manage_refusal, confirmed_owners == [v.id])
                    for v in views}
        role_refusals: dict[MemberRole, str | None] = {}
        for role in MemberRole:
            why = manage_refusal or _why(lambda r=role: guard_role(standing, None, r))
            if why is None and role == MemberRole.CUSTOM and not org.use_custom_permissions:
                why = "The Custom role needs an Enterprise plan."
            role_refusals[role] = why
        grantable = standing.flags if standing.kind == Kind.CUSTOM else frozenset(permissions.CUSTOM_FLAGS)
        from msp_tui.core.services import recovery

        recover_refusals = recovery.recover_refusals(s, actor, standing, org, views)
        return MemberPanel(
            organization_id=org.id, client_name=org.name, plan=PlanType(org.plan_type), seats=org.seats,
            used=org.occupied_seats, members=views, manage_refusal=manage_refusal, refusals=refusals,
            role_refusals=role_refusals, grantable_flags=frozenset(grantable), standing=standing.kind.value,
            recover_refusals=recover_refusals)
