"""Who may do what: the one place that decides (S1, S2, S4, S9).

An actor's standing towards a provider or a client organization is resolved from the database
(`standing_for`) each time; `decide(standing, action)` reads the ACCESS_TABLE below and returns a
Decision. The same table is written out in docs/access.md and drives tests/core/test_access.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from msp_tui.core import permissions
from msp_tui.core.context import Actor
from msp_tui.core.enums import MemberRole, MemberStatus, StaffRole, StaffStatus
from msp_tui.core.errors import Refused
from msp_tui.core.models import Client, Member, Staff


class Kind(str, Enum):
    """Standings an actor can have towards a provider or one client organization."""

    PROVIDER_ADMIN = "Provider Admin"
    SERVICE_USER = "Service User"
    STAFF_INVITED = "Staff (invited)"
    STAFF_ACCEPTED = "Staff (accepted)"
    OWNER = "Owner"
    ADMIN = "Admin"
    USER = "User"
    CUSTOM = "Custom"
    STRANGER = "Stranger"


class Action(str, Enum):
    # The provider itself.
    VIEW_CLIENTS = "view the clients"
    CREATE_CLIENT = "create a client"
    ADD_EXISTING_CLIENT = "add an existing organization"
    UNLINK_CLIENT = "unlink a client"
    MARK_INTERNAL = "mark the internal organization"
    RENAME_CLIENT = "rename a client"
    CHANGE_SEATS = "change a client's seats"
    VIEW_STAFF = "view provider staff"
    MANAGE_STAFF = "invite, confirm, change or remove staff"
    EDIT_PROVIDER = "edit provider settings"
    VIEW_PROVIDER_EVENTS = "see the provider event log"
    VIEW_PROVIDER_BILLING = "see provider-wide billing"
    EDIT_PROVIDER_BILLING = "change billing settings, tiers and payment methods"
    MANAGE_TEMPLATES = "manage policy templates"
    # Inside one client organization.
    VIEW_CLIENT = "open this client"
    VIEW_MEMBERS = "see this client's members"
    MANAGE_MEMBERS = "manage this client's members"
    MANAGE_GROUPS = "manage this client's groups"
    CREATE_COLLECTION = "create collections"
    EDIT_ANY_COLLECTION = "edit any collection"
    DELETE_ANY_COLLECTION = "delete any collection"
    MANAGE_POLICIES = "manage this client's policies"
    VIEW_CLIENT_EVENTS = "see this client's event log"
    ACCESS_ALL_ITEMS = "read and edit every item of this client's vault"
    ACCESS_ASSIGNED_ITEMS = "use the items of collections assigned to them"
    EXPORT_VAULT = "export this client's vault"
    VIEW_CLIENT_BILLING = "see this client's billing"


PROVIDER_ACTIONS = frozenset({
    Action.VIEW_CLIENTS, Action.CREATE_CLIENT, Action.ADD_EXISTING_CLIENT, Action.UNLINK_CLIENT,
    Action.MARK_INTERNAL, Action.RENAME_CLIENT, Action.CHANGE_SEATS, Action.VIEW_STAFF,
    Action.MANAGE_STAFF, Action.EDIT_PROVIDER, Action.VIEW_PROVIDER_EVENTS,
    Action.VIEW_PROVIDER_BILLING, Action.EDIT_PROVIDER_BILLING, Action.MANAGE_TEMPLATES,
})

Y = "allow"
#: Reasons, each naming the seed rule it comes from.
S1 = ("S1", "Only confirmed provider staff have access; this staff invitation is not confirmed yet.")
S4 = ("S4", "Only Provider Admins can {action}.")
S9 = ("S9", "A client's billing is visible to provider staff only.")
NOT_STAFF = ("S2", "Only provider staff can {action}.")
STRANGER = ("access", "You are neither staff of this provider nor a confirmed member of this organization.")
ADMINS = ("roles", "Only Owners and Admins of this organization can {action}.")


def flag(name: str) -> tuple[str, str]:
    """Custom members are allowed exactly when they hold this flag."""
    return ("custom", name)


_STAFF_ONLY_ADMIN = {Kind.PROVIDER_ADMIN: Y, Kind.SERVICE_USER: S4}
_ALL_STAFF = {Kind.PROVIDER_ADMIN: Y, Kind.SERVICE_USER: Y}


def _row(staff: dict, owner, admin, user, custom) -> dict:
    row = {Kind.STAFF_INVITED: S1, Kind.STAFF_ACCEPTED: S1, Kind.STRANGER: STRANGER,
           Kind.OWNER: owner, Kind.ADMIN: admin, Kind.USER: user, Kind.CUSTOM: custom}
    row.update(staff)
    return row


#: The role × action table. A cell is Y, a (rule, reason) refusal, or flag(name) for Custom members.
ACCESS_TABLE: dict[Action, dict[Kind, object]] = {
    Action.VIEW_CLIENTS: _row(_ALL_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.CREATE_CLIENT: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.ADD_EXISTING_CLIENT: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.UNLINK_CLIENT: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.MARK_INTERNAL: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.RENAME_CLIENT: _row(_ALL_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.CHANGE_SEATS: _row(_ALL_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.VIEW_STAFF: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.MANAGE_STAFF: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.EDIT_PROVIDER: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.VIEW_PROVIDER_EVENTS: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.VIEW_PROVIDER_BILLING: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.EDIT_PROVIDER_BILLING: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.MANAGE_TEMPLATES: _row(_STAFF_ONLY_ADMIN, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.VIEW_CLIENT: _row(_ALL_STAFF, Y, Y, Y, Y),
    Action.VIEW_MEMBERS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_users")),
    Action.MANAGE_MEMBERS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_users")),
    Action.MANAGE_GROUPS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_groups")),
    Action.CREATE_COLLECTION: _row(_ALL_STAFF, Y, Y, ADMINS, flag("create_new_collections")),
    Action.EDIT_ANY_COLLECTION: _row(_ALL_STAFF, Y, Y, ADMINS, flag("edit_any_collection")),
    Action.DELETE_ANY_COLLECTION: _row(_ALL_STAFF, Y, Y, ADMINS, flag("delete_any_collection")),
    Action.MANAGE_POLICIES: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_policies")),
    Action.VIEW_CLIENT_EVENTS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("access_event_logs")),
    Action.ACCESS_ALL_ITEMS: _row(_ALL_STAFF, Y, Y, ADMINS, ADMINS),
    Action.ACCESS_ASSIGNED_ITEMS: _row(_ALL_STAFF, Y, Y, Y, Y),
    Action.EXPORT_VAULT: _row(_ALL_STAFF, Y, Y, ADMINS, flag("access_import_export")),
    Action.VIEW_CLIENT_BILLING: _row(_ALL_STAFF, S9, S9, S9, S9),
}


@dataclass(frozen=True)
class Standing:
    """How one actor stands towards one provider or client organization."""

    kind: Kind
    flags: frozenset[str] = frozenset()
    provider_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind in (Kind.PROVIDER_ADMIN, Kind.SERVICE_USER)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str = ""
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        if not self.allowed:
            raise Refused(self.rule, self.reason)


def decide(standing: Standing, action: Action) -> Decision:
    cell = ACCESS_TABLE[action][standing.kind]
    if cell == Y:
        return Decision(True)
    rule, text = cell  # type: ignore[misc]
    if rule == "custom":
        if text in standing.flags:
            return Decision(True)
        label = permissions.CUSTOM_FLAGS[text].split(":")[0]
        return Decision(False, "custom-permission",
                        f"Custom members need the '{label}' permission to {action.value}.")
    return Decision(False, rule, text.format(action=action.value))


# --- resolving a standing from the database -----------------------------------------------------


def _staff_kind(staff: Staff | None) -> Kind | None:
    if staff is None:
        return None
    if staff.status == StaffStatus.CONFIRMED:
        return Kind.PROVIDER_ADMIN if staff.role == StaffRole.PROVIDER_ADMIN else Kind.SERVICE_USER
    return Kind.STAFF_ACCEPTED if staff.status == StaffStatus.ACCEPTED else Kind.STAFF_INVITED


_MEMBER_KINDS = {MemberRole.OWNER: Kind.OWNER, MemberRole.ADMIN: Kind.ADMIN,
                 MemberRole.USER: Kind.USER, MemberRole.CUSTOM: Kind.CUSTOM}


def staff_row(session: Session, actor: Actor, provider_id: uuid.UUID | None) -> Staff | None:
    if provider_id is None:
        return None
    # An invitation not yet accepted carries only the email.
    return session.execute(
        select(Staff).where(Staff.provider_id == provider_id,
                            or_(Staff.account_id == actor.account_id,
                                and_(Staff.account_id.is_(None), Staff.email == actor.email)))
    ).scalars().first()


def standing_for(session: Session, actor: Actor, *, organization_id: uuid.UUID | None = None,
                 provider_id: uuid.UUID | None = None) -> Standing:
    """The actor's standing towards a client organization, or (without one) towards a provider."""
    if organization_id is None:
        provider_id = provider_id or actor.provider_id
        staff = staff_row(session, actor, provider_id)
        kind = _staff_kind(staff)
        if kind is None:
            return Standing(Kind.STRANGER, provider_id=provider_id)
        return Standing(kind, provider_id=provider_id, staff_id=staff.id)

    managing = session.execute(
        select(Client.provider_id).where(Client.organization_id == organization_id)).scalar()
    staff = staff_row(session, actor, managing)
    kind = _staff_kind(staff)
    if kind in (Kind.PROVIDER_ADMIN, Kind.SERVICE_USER):
        return Standing(kind, provider_id=managing, organization_id=organization_id, staff_id=staff.id)
    member = session.execute(
        select(Member).where(Member.organization_id == organization_id,
                             Member.account_id == actor.account_id)).scalar_one_or_none()
    if member is not None and member.status == MemberStatus.CONFIRMED:
        return Standing(_MEMBER_KINDS[MemberRole(member.role)],
                        flags=permissions.parse(member.permissions) if member.role == MemberRole.CUSTOM
                        else frozenset(),
                        provider_id=managing, organization_id=organization_id, member_id=member.id)
    if kind is not None:  # invited or accepted staff of the managing provider
        return Standing(kind, provider_id=managing, organization_id=organization_id, staff_id=staff.id)
    return Standing(Kind.STRANGER, provider_id=managing, organization_id=organization_id)


def check(session: Session, actor: Actor, action: Action, *, organization_id: uuid.UUID | None = None,
          provider_id: uuid.UUID | None = None) -> Standing:
    """Resolve the actor's standing and refuse (raise Refused) unless the action is allowed."""
    if action in PROVIDER_ACTIONS and organization_id is not None and provider_id is None:
        provider_id = session.execute(
            select(Client.provider_id).where(Client.organization_id == organization_id)).scalar()
        standing = standing_for(session, actor, provider_id=provider_id)
    else:
        standing = standing_for(session, actor, organization_id=organization_id, provider_id=provider_id)
    decide(standing, action).require()
    return standing


def table_markdown() -> str:
    """The access table as Markdown (docs/access.md is generated from it)."""
    kinds = list(Kind)
    lines = ["| action | " + " | ".join(k.value for k in kinds) + " |",
             "|---|" + "---|" * len(kinds)]
    for action, row in ACCESS_TABLE.items():
        cells = []
        for k in kinds:
            cell = row[k]
            if cell == Y:
                cells.append("yes")
            elif cell[0] == "custom":  # type: ignore[index]
                cells.append(f"flag `{cell[1]}`")  # type: ignore[index]
            else:
                cells.append(f"no ({cell[0]})")  # type: ignore[index]
        lines.append(f"| {action.value} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # print the table for docs/access.md
    print(table_markdown(), end="")
