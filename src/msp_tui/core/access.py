"""Who may do what: the one place that decides (S1, S2, S4, S9).

An actor's standing towards a provider or a client organization is resolved from the database
(`standing_for`) each time; `decide(standing, action)` reads the ACCESS_TABLE below and returns a
Decision. The same table is written out in docs/access.md and drives tests/core/test_access.py.
"""

from __future__ import annotations

import dataclasses
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
    #: S12: a Service User towards a client outside their scope (core.scope).
    OUT_OF_SCOPE = "Service User (outside scope)"
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
    VIEW_TIMELINE = "see the timeline across all clients"
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
    VIEW_APPROVALS = "see two-person approval requests"
    ASK_APPROVAL = "ask for or withdraw a two-person approval request"
    DECIDE_APPROVALS = "approve or deny another admin's two-person request"
    REQUEST_BREAK_GLASS = "ask for, see or end break-glass access"
    GRANT_BREAK_GLASS = "grant, deny or acknowledge break-glass access"
    VIEW_CLIENT_GROUPS = "see the client groups"
    MANAGE_CLIENT_GROUPS = "create, rename or delete client groups and put clients in them"
    # Inside one client organization.
    VIEW_CLIENT = "open this client"
    VIEW_MEMBERS = "see this client's members"
    VIEW_GROUPS = "see this client's groups"
    VIEW_COLLECTIONS = "see every collection and who may use it"
    VIEW_POLICIES = "see this client's policies"
    MANAGE_MEMBERS = "manage this client's members"
    RECOVER_ACCOUNT = "recover a member's account (reset their master password)"
    MANAGE_GROUPS = "manage this client's groups"
    CREATE_COLLECTION = "create collections"
    EDIT_ANY_COLLECTION = "edit any collection"
    MANAGE_ACCESS_RULES = "give, change and take away access to collections"
    DELETE_ANY_COLLECTION = "delete any collection"
    MANAGE_POLICIES = "manage this client's policies"
    VIEW_CLIENT_EVENTS = "see this client's event log"
    ACCESS_ALL_ITEMS = "read and edit every item of this client's vault"
    ACCESS_ASSIGNED_ITEMS = "use the items of collections assigned to them"
    EXPORT_VAULT = "export this client's vault"
    IMPORT_VAULT = "import items into this client's vault"
    ROTATE_CLIENT_KEY = "rotate this client's key"
    VIEW_CLIENT_BILLING = "see this client's billing"


PROVIDER_ACTIONS = frozenset({
    Action.VIEW_CLIENTS, Action.VIEW_TIMELINE, Action.CREATE_CLIENT, Action.ADD_EXISTING_CLIENT, Action.UNLINK_CLIENT,
    Action.MARK_INTERNAL, Action.RENAME_CLIENT, Action.CHANGE_SEATS, Action.VIEW_STAFF,
    Action.MANAGE_STAFF, Action.EDIT_PROVIDER, Action.VIEW_PROVIDER_EVENTS,
    Action.VIEW_PROVIDER_BILLING, Action.EDIT_PROVIDER_BILLING, Action.MANAGE_TEMPLATES,
    Action.VIEW_APPROVALS, Action.ASK_APPROVAL, Action.DECIDE_APPROVALS,
    Action.REQUEST_BREAK_GLASS, Action.GRANT_BREAK_GLASS,
    Action.VIEW_CLIENT_GROUPS, Action.MANAGE_CLIENT_GROUPS,
})

Y = "allow"
#: Reasons, each naming the seed rule it comes from.
S1 = ("S1", "Only confirmed provider staff have access; this staff invitation is not confirmed yet.")
S4 = ("S4", "Only Provider Admins can {action}.")
S9 = ("S9", "A client's billing is visible to provider staff only.")
#: S12 Scoped staff: outside their scope a client does not exist for a Service User.
SCOPE = ("S12", "This client is outside your scope ({scope}), so you cannot {action}; "
         "a Provider Admin can widen it (msp-tui staff scope).")
NOT_STAFF = ("S2", "Only provider staff can {action}.")
STRANGER = ("access", "You are neither staff of this provider nor a confirmed member of this organization.")
ADMINS = ("roles", "Only Owners and Admins of this organization can {action}.")


def flag(*names: str) -> tuple[str, tuple[str, ...]]:
    """Custom members are allowed exactly when they hold one of these flags."""
    return ("custom", names)


_STAFF_ONLY_ADMIN = {Kind.PROVIDER_ADMIN: Y, Kind.SERVICE_USER: S4}
_ALL_STAFF = {Kind.PROVIDER_ADMIN: Y, Kind.SERVICE_USER: Y}


def _row(staff: dict, owner, admin, user, custom) -> dict:
    row = {Kind.STAFF_INVITED: S1, Kind.STAFF_ACCEPTED: S1, Kind.STRANGER: STRANGER,
           Kind.OWNER: owner, Kind.ADMIN: admin, Kind.USER: user, Kind.CUSTOM: custom}
    row.update(staff)
    # S12: what a Service User may do, they may not do to a client outside their scope.
    row[Kind.OUT_OF_SCOPE] = SCOPE if row[Kind.SERVICE_USER] == Y else row[Kind.SERVICE_USER]
    return row


def _provider_row(staff: dict) -> dict:
    """A provider-wide action: a client's members are strangers to the provider, and both are told
    that only its staff may (S2)."""
    row = _row(staff, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF)
    row[Kind.STRANGER] = NOT_STAFF
    return row


#: The role × action table. A cell is Y, a (rule, reason) refusal, or flag(name) for Custom members.
ACCESS_TABLE: dict[Action, dict[Kind, object]] = {
    Action.VIEW_CLIENTS: _provider_row(_ALL_STAFF),
    Action.VIEW_TIMELINE: _provider_row(_ALL_STAFF),
    Action.CREATE_CLIENT: _provider_row(_STAFF_ONLY_ADMIN),
    Action.ADD_EXISTING_CLIENT: _provider_row(_STAFF_ONLY_ADMIN),
    Action.UNLINK_CLIENT: _provider_row(_STAFF_ONLY_ADMIN),
    Action.MARK_INTERNAL: _provider_row(_STAFF_ONLY_ADMIN),
    Action.RENAME_CLIENT: _provider_row(_ALL_STAFF),
    Action.CHANGE_SEATS: _provider_row(_ALL_STAFF),
    Action.VIEW_STAFF: _provider_row(_STAFF_ONLY_ADMIN),
    Action.MANAGE_STAFF: _provider_row(_STAFF_ONLY_ADMIN),
    Action.EDIT_PROVIDER: _provider_row(_STAFF_ONLY_ADMIN),
    Action.VIEW_PROVIDER_EVENTS: _provider_row(_STAFF_ONLY_ADMIN),
    Action.VIEW_PROVIDER_BILLING: _provider_row(_STAFF_ONLY_ADMIN),
    Action.EDIT_PROVIDER_BILLING: _provider_row(_STAFF_ONLY_ADMIN),
    Action.MANAGE_TEMPLATES: _provider_row(_STAFF_ONLY_ADMIN),
    # A Service User may ask (lowering seats, rotating a key) and withdraw what they asked.
    Action.VIEW_APPROVALS: _provider_row(_ALL_STAFF),
    Action.ASK_APPROVAL: _provider_row(_ALL_STAFF),
    Action.DECIDE_APPROVALS: _provider_row(_STAFF_ONLY_ADMIN),
    Action.REQUEST_BREAK_GLASS: _provider_row(_ALL_STAFF),
    Action.GRANT_BREAK_GLASS: _provider_row(_STAFF_ONLY_ADMIN),
    Action.VIEW_CLIENT_GROUPS: _provider_row(_ALL_STAFF),
    # Admins only: a Service User putting a client in their own group would widen their scope (S12).
    Action.MANAGE_CLIENT_GROUPS: _provider_row(_STAFF_ONLY_ADMIN),
    Action.VIEW_CLIENT: _row(_ALL_STAFF, Y, Y, Y, Y),
    # The reference's AccessMembersTab: Admin, ManageUsers or ManageResetPassword (who recovers must find them).
    Action.VIEW_MEMBERS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_users", "manage_reset_password")),
    Action.MANAGE_MEMBERS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_users")),
    # Policy 8: and only a role equal to or above the member's (services.recovery); staff are never recovered.
    Action.RECOVER_ACCOUNT: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_reset_password")),
    # Groups are read by whoever manages them, puts members in them, or grants them collections.
    Action.VIEW_GROUPS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_groups", "manage_users", "edit_any_collection",
                                                                "manage_access_rules")),
    # Every collection, with each member's and group's access (a User sees only their own, in the vault).
    Action.VIEW_COLLECTIONS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("edit_any_collection", "delete_any_collection",
                                                                 "manage_access_rules")),
    Action.MANAGE_GROUPS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_groups")),
    Action.CREATE_COLLECTION: _row(_ALL_STAFF, Y, Y, ADMINS, flag("create_new_collections")),
    Action.EDIT_ANY_COLLECTION: _row(_ALL_STAFF, Y, Y, ADMINS, flag("edit_any_collection")),
    # Editing any collection includes its access, as before the flag; manage access rules is only that.
    Action.MANAGE_ACCESS_RULES: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_access_rules", "edit_any_collection")),
    Action.DELETE_ANY_COLLECTION: _row(_ALL_STAFF, Y, Y, ADMINS, flag("delete_any_collection")),
    Action.VIEW_POLICIES: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_policies")),
    Action.MANAGE_POLICIES: _row(_ALL_STAFF, Y, Y, ADMINS, flag("manage_policies")),
    Action.VIEW_CLIENT_EVENTS: _row(_ALL_STAFF, Y, Y, ADMINS, flag("access_event_logs")),
    Action.ACCESS_ALL_ITEMS: _row(_ALL_STAFF, Y, Y, ADMINS, ADMINS),
    Action.ACCESS_ASSIGNED_ITEMS: _row(_ALL_STAFF, Y, Y, Y, Y),
    Action.EXPORT_VAULT: _row(_ALL_STAFF, Y, Y, ADMINS, flag("access_import_export")),
    # The reference lets provider users import into client organizations (bitwarden-reference.md §3).
    Action.IMPORT_VAULT: _row(_ALL_STAFF, Y, Y, ADMINS, flag("access_import_export")),
    # The new key is wrapped with the provider key, which only confirmed staff hold.
    Action.ROTATE_CLIENT_KEY: _row(_ALL_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF, NOT_STAFF),
    Action.VIEW_CLIENT_BILLING: _row(_ALL_STAFF, S9, S9, S9, S9),
}


#: Commands that need no signed-in person: they work on the database file itself, or on the
#: invitations of the email given (`accept` checks the invitation's own secret).
NO_SIGN_IN = "no sign-in"
#: Commands open to every signed-in person, on what is their own (their personal vault).
SIGNED_IN = "any signed-in person"

#: Every command of `msp-tui` and what it needs: an Action (the table above decides who), or
#: NO_SIGN_IN / SIGNED_IN. A key is the command's words, then the arguments or options that change
#: what it needs ("billing tiers --set TIERS"). tests/cli/test_access_walk.py walks the whole click
#: command tree as every kind of person and fails for a command without a row here.
COMMANDS: dict[str, object] = {
    "init": NO_SIGN_IN,
    "accept": NO_SIGN_IN,
    "account password": SIGNED_IN,
    "account 2fa enable": SIGNED_IN,
    "account 2fa disable": SIGNED_IN,
    "account recovery status": SIGNED_IN,
    "account recovery enrol": SIGNED_IN,
    "account recovery withdraw": SIGNED_IN,
    "demo": NO_SIGN_IN,
    "serve": NO_SIGN_IN,
    "db upgrade": NO_SIGN_IN,
    "db check": NO_SIGN_IN,
    "db backup": NO_SIGN_IN,
    "db copy": NO_SIGN_IN,
    "clients list": Action.VIEW_CLIENTS,
    "clients show": Action.VIEW_CLIENT,
    "clients create": Action.CREATE_CLIENT,
    "clients addable": Action.ADD_EXISTING_CLIENT,
    "clients add-existing": Action.ADD_EXISTING_CLIENT,
    "clients internal": Action.MARK_INTERNAL,
    "clients rename": Action.RENAME_CLIENT,
    "clients seats": Action.CHANGE_SEATS,
    "clients unlink": Action.UNLINK_CLIENT,
    "clients rotate-key": Action.ROTATE_CLIENT_KEY,
    "clients groups list": Action.VIEW_CLIENT_GROUPS,
    "clients groups create": Action.MANAGE_CLIENT_GROUPS,
    "clients groups rename": Action.MANAGE_CLIENT_GROUPS,
    "clients groups delete": Action.MANAGE_CLIENT_GROUPS,
    "clients groups add": Action.MANAGE_CLIENT_GROUPS,
    "clients groups remove": Action.MANAGE_CLIENT_GROUPS,
    "health": Action.VIEW_CLIENTS,
    "staff list": Action.VIEW_STAFF,
    "staff invite": Action.MANAGE_STAFF,
    "staff reinvite": Action.MANAGE_STAFF,
    "staff confirm": Action.MANAGE_STAFF,
    "staff role": Action.MANAGE_STAFF,
    "staff remove": Action.MANAGE_STAFF,
    "staff require-2fa": Action.EDIT_PROVIDER,
    "staff scope": Action.MANAGE_STAFF,
    "members list": Action.VIEW_MEMBERS,
    "members invite": Action.MANAGE_MEMBERS,
    "members reinvite": Action.MANAGE_MEMBERS,
    "members confirm": Action.MANAGE_MEMBERS,
    "members revoke": Action.MANAGE_MEMBERS,
    "members restore": Action.MANAGE_MEMBERS,
    "members remove": Action.MANAGE_MEMBERS,
    "members role": Action.MANAGE_MEMBERS,
    "members set-groups": Action.MANAGE_MEMBERS,
    "members recover": Action.RECOVER_ACCOUNT,
    "members groups list": Action.VIEW_GROUPS,
    "members groups create": Action.MANAGE_GROUPS,
    "members groups rename": Action.MANAGE_GROUPS,
    "members groups delete": Action.MANAGE_GROUPS,
    "members collections list": Action.VIEW_COLLECTIONS,
    "members collections create": Action.CREATE_COLLECTION,
    "members collections rename": Action.EDIT_ANY_COLLECTION,
    "members collections delete": Action.DELETE_ANY_COLLECTION,
    "members collections grant": Action.MANAGE_ACCESS_RULES,
    "policies list": Action.VIEW_POLICIES,
    "policies set": Action.MANAGE_POLICIES,
    "policies drift": Action.VIEW_CLIENTS,
    "policies accept-deviation": Action.MANAGE_TEMPLATES,
    "policies withdraw-deviation": Action.MANAGE_TEMPLATES,
    "policies template list": Action.VIEW_CLIENTS,
    "policies template show": Action.VIEW_CLIENTS,
    "policies template create": Action.MANAGE_TEMPLATES,
    "policies template set": Action.MANAGE_TEMPLATES,
    "policies template delete": Action.MANAGE_TEMPLATES,
    "policies template apply": Action.MANAGE_TEMPLATES,
    "events list": Action.VIEW_TIMELINE,
    "events list --client CLIENT": Action.VIEW_CLIENT_EVENTS,
    "events export": Action.VIEW_TIMELINE,
    "events export --client CLIENT": Action.VIEW_CLIENT_EVENTS,
    "events verify": Action.VIEW_PROVIDER_EVENTS,
    "vault list CLIENT": Action.ACCESS_ASSIGNED_ITEMS,
    "vault list --personal": SIGNED_IN,
    "vault add CLIENT": Action.ACCESS_ASSIGNED_ITEMS,
    "vault add --personal": SIGNED_IN,
    "vault show ITEM": Action.ACCESS_ASSIGNED_ITEMS,
    "vault edit ITEM": Action.ACCESS_ASSIGNED_ITEMS,
    "vault delete ITEM": Action.ACCESS_ASSIGNED_ITEMS,
    "vault trash CLIENT": Action.ACCESS_ASSIGNED_ITEMS,
    "vault trash --personal": SIGNED_IN,
    "vault restore ITEM": Action.ACCESS_ASSIGNED_ITEMS,
    "vault purge-trash CLIENT": Action.ACCESS_ASSIGNED_ITEMS,
    "vault purge-trash --personal": SIGNED_IN,
    # The policy of --client is read only by its members and its provider's staff (core checks).
    "vault generate": SIGNED_IN,
    "vault import CLIENT": Action.IMPORT_VAULT,
    "vault import --personal": SIGNED_IN,
    "vault export CLIENT": Action.EXPORT_VAULT,
    "vault export --personal": SIGNED_IN,
    "billing summary": Action.VIEW_PROVIDER_BILLING,
    "billing invoice": Action.VIEW_PROVIDER_BILLING,
    "billing invoice CLIENT": Action.VIEW_PROVIDER_BILLING,
    "billing tiers": Action.VIEW_PROVIDER_BILLING,
    "billing tiers --set TIERS": Action.EDIT_PROVIDER_BILLING,
    "billing payment CLIENT": Action.VIEW_PROVIDER_BILLING,
    "billing payment CLIENT KIND": Action.EDIT_PROVIDER_BILLING,
    "billing mode": Action.VIEW_PROVIDER_BILLING,
    "billing mode MODE": Action.EDIT_PROVIDER_BILLING,
    "billing minimum": Action.EDIT_PROVIDER_BILLING,
    "approvals list": Action.VIEW_APPROVALS,
    "approvals approve ID": Action.DECIDE_APPROVALS,
    "approvals deny ID": Action.DECIDE_APPROVALS,
    "approvals withdraw ID": Action.ASK_APPROVAL,
    "provider approvals": Action.VIEW_APPROVALS,
    "provider approvals ACTIONS": Action.EDIT_PROVIDER,
    "provider break-glass": Action.EDIT_PROVIDER,
    "access request CLIENT": Action.REQUEST_BREAK_GLASS,
    "access pending": Action.REQUEST_BREAK_GLASS,
    "access approve ID": Action.GRANT_BREAK_GLASS,
    "access deny ID": Action.GRANT_BREAK_GLASS,
    "access end ID": Action.REQUEST_BREAK_GLASS,
    "access acknowledge ID": Action.GRANT_BREAK_GLASS,
    "report access CLIENT": Action.VIEW_CLIENT_EVENTS,
}


#: Every place of the terminal UI (and the browser, which runs the same app) and what opening it needs:
#: the areas of screens/areas.py, the client screens, and the tabs of a client's screen. What a place
#: then shows or changes is decided again by core for each action (the tables above).
#: tests/ui/test_screens_follow_access.py checks screens/areas.py and the client screen against this.
SCREENS: dict[str, object] = {
    "clients": Action.VIEW_CLIENTS,
    "onboarding": Action.CREATE_CLIENT,
    "staff": Action.VIEW_STAFF,
    "billing": Action.VIEW_PROVIDER_BILLING,
    "health": Action.VIEW_CLIENTS,
    "drift": Action.VIEW_CLIENTS,
    "templates": Action.MANAGE_TEMPLATES,
    "vault": SIGNED_IN,
    "timeline": Action.VIEW_TIMELINE,
    "approvals": Action.VIEW_APPROVALS,
    "client: overview": Action.VIEW_CLIENT,
    "client: members": Action.VIEW_MEMBERS,
    "client: groups": Action.VIEW_GROUPS,
    "client: collections": Action.VIEW_COLLECTIONS,
    "client: events": Action.VIEW_CLIENT_EVENTS,
    "client: billing": Action.VIEW_CLIENT_BILLING,
    "client: vault": Action.ACCESS_ASSIGNED_ITEMS,
    "client: policies": Action.VIEW_POLICIES,
}


def command_path(row: str) -> str:
    """The command a COMMANDS key names: its leading lower-case words ("vault list CLIENT" → "vault list")."""
    words = []
    for word in row.split():
        if word.startswith("-") or word.isupper():
            break
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Standing:
    """How one actor stands towards one provider or client organization."""

    kind: Kind
    flags: frozenset[str] = frozenset()
    provider_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    #: For OUT_OF_SCOPE: the scope as refusals name it (core.scope.Scope.label).
    scope_label: str = ""
    #: A Service User on a client outside their groups, seen through a live break-glass grant: what
    #: they do there is recorded as a use of the grant (check()).
    via_grant: bool = False

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
        if standing.flags & set(text):
            return Decision(True)
        labels = " or ".join(f"'{permissions.CUSTOM_FLAGS[f].split(':')[0]}'" for f in text)
        return Decision(False, "custom-permission",
                        f"Custom members need the {labels} permission to {action.value}.")
    return Decision(False, rule, text.format(action=action.value, scope=standing.scope_label))


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
    # Asked twice per request (the access check, then the scope filter): the row found is kept for the
    # session. Only a row found: it is the session's own object, so a change made meanwhile shows in it,
    # and a row created later in the session is not hidden behind a remembered "none".
    known = session.info.setdefault("staff_rows", {})
    key = (provider_id, actor.account_id, actor.email)
    row = known.get(key)
    if row is not None and row in session:
        return row
    # An invitation not yet accepted carries only the email.
    row = session.execute(
        select(Staff).where(Staff.provider_id == provider_id,
                            or_(Staff.account_id == actor.account_id,
                                and_(Staff.account_id.is_(None), Staff.email == actor.email)))
    ).scalars().first()
    if row is not None:
        known[key] = row
    return row


def _invited_by(session: Session, actor: Actor) -> uuid.UUID | None:
    """The provider whose staff invitation (not yet accepted) names this person's email: they are
    told their invitation is not confirmed (S1) rather than that they are a stranger."""
    return session.execute(select(Staff.provider_id).where(
        Staff.account_id.is_(None), Staff.email == actor.email).limit(1)).scalar()


def standing_for(session: Session, actor: Actor, *, organization_id: uuid.UUID | None = None,
                 provider_id: uuid.UUID | None = None) -> Standing:
    """The actor's standing towards a client organization, or (without one) towards a provider."""
    if organization_id is None:
        provider_id = provider_id or actor.provider_id or _invited_by(session, actor)
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
        return _scoped(session, Standing(kind, provider_id=managing, organization_id=organization_id,
                                         staff_id=staff.id), staff, actor)
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


def _scoped(session: Session, standing: Standing, staff: Staff | None, actor: Actor | None = None) -> Standing:
    """S12: a Service User's standing towards a client outside their scope is OUT_OF_SCOPE (the one
    place every action on a client passes; core.scope decides what the scope holds)."""
    if standing.kind != Kind.SERVICE_USER or standing.organization_id is None or staff is None:
        return standing
    from msp_tui.core.scope import in_groups, in_scope, scope_of_staff

    scope = scope_of_staff(session, staff, actor)
    if in_scope(session, scope, standing.organization_id):
        if standing.organization_id in scope.granted and not in_groups(session, scope, standing.organization_id):
            return dataclasses.replace(standing, via_grant=True)
        return standing
    return Standing(Kind.OUT_OF_SCOPE, provider_id=standing.provider_id, organization_id=standing.organization_id,
                    staff_id=standing.staff_id, scope_label=scope.label)


def check(session: Session, actor: Actor, action: Action, *, organization_id: uuid.UUID | None = None,
          provider_id: uuid.UUID | None = None) -> Standing:
    """Resolve the actor's standing and refuse (raise Refused) unless the action is allowed."""
    if action in PROVIDER_ACTIONS and organization_id is not None and provider_id is None:
        provider_id = session.execute(
            select(Client.provider_id).where(Client.organization_id == organization_id)).scalar()
        standing = standing_for(session, actor, provider_id=provider_id)
        if standing.kind == Kind.SERVICE_USER:  # a provider action on one client: S12 too
            standing = _scoped(session, dataclasses.replace(standing, organization_id=organization_id),
                               staff_row(session, actor, provider_id), actor)
            standing = dataclasses.replace(standing, organization_id=None)
    else:
        standing = standing_for(session, actor, organization_id=organization_id, provider_id=provider_id)
    decide(standing, action).require()
    if standing.via_grant:  # acting under break-glass access: the grant's use is recorded
        from msp_tui.core.services.break_glass import note_use

        note_use(session, actor, organization_id, action)
    return standing


def _cell_text(cell) -> str:
    if cell == Y:
        return "yes"
    if cell[0] == "custom":
        return "flag " + " or ".join(f"`{f}`" for f in cell[1])
    return f"no ({cell[0]})"


def table_markdown() -> str:
    """The access table as Markdown (docs/access.md is generated from it)."""
    kinds = list(Kind)
    lines = ["| action | " + " | ".join(k.value for k in kinds) + " |",
             "|---|" + "---|" * len(kinds)]
    for action, row in ACCESS_TABLE.items():
        lines.append(f"| {action.value} | " + " | ".join(_cell_text(row[k]) for k in kinds) + " |")
    return "\n".join(lines) + "\n"


def commands_markdown() -> str:
    """Every command and what it needs (the second table of docs/access.md)."""
    lines = ["| command | needs |", "|---|---|"]
    for row, need in COMMANDS.items():
        lines.append(f"| `msp-tui {row}` | {need.value if isinstance(need, Action) else need} |")
    return "\n".join(lines) + "\n"


def screens_markdown() -> str:
    """Every place of the UI and what opening it needs (the third table of docs/access.md)."""
    lines = ["| screen | needs |", "|---|---|"]
    for name, need in SCREENS.items():
        lines.append(f"| {name} | {need.value if isinstance(need, Action) else need} |")
    return "\n".join(lines) + "\n"


def document() -> str:
    """The generated tables, as they stand in docs/access.md."""
    return (table_markdown() + "\n## Every command\n\nWhat each command of `msp-tui` needs: an action of the "
            "table above, or no sign-in at all (it works on the database file, or on an invitation and its "
            "secret).\n\n" + commands_markdown()
            + "\n## Every screen\n\nWhat opening each place of the terminal UI (and the browser) needs; a "
            "client's places are the tabs and screens of one client. Every key on a screen then asks core "
            "for its own action.\n\n" + screens_markdown())


if __name__ == "__main__":  # print the tables for docs/access.md
    print(document(), end="")
