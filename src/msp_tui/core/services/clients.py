"""The provider's clients: list (keyset pages), create, add existing, unlink, rename, seats (S4, S6)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, literal_column, or_, select, tuple_, update
from sqlalchemy.orm import Session

from msp_tui.core import clock, crypto, events, invitation_secret, keys
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import CollectionAccess, EventType, MemberRole, MemberStatus, OrgStatus, PlanType
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import (Client, ClientGroupClient, Collection, CollectionMember, Member, Organization, Provider,
                                 SeatChange, Staff)
from msp_tui.core.services.client_groups import groups_of, put_in_groups
from msp_tui.core.scope import EVERYTHING, Scope, scope_of
from msp_tui.core.schemas import NewClient, Rename, Seats, parse
from msp_tui.core.services import approvals
from msp_tui.core.services.policies import drifted_of
from msp_tui.core.services.common import (INVITATION_LIFETIME, as_uuid, check_version, find_client,
                                          refresh_seats, touch)

DEFAULT_COLLECTION = "Default collection"


@dataclass(frozen=True)
class ClientView:
    id: uuid.UUID
    name: str
    plan: PlanType
    seats: int
    used: int
    remaining: int
    status: OrgStatus
    billing_email: str
    is_internal: bool
    created_at: datetime
    version: int
    stale_invites: bool = False
    flags: tuple[str, ...] = field(default=())
    #: The client groups it is in (in listings).
    groups: tuple[str, ...] = field(default=())
    #: Whether a policy differs from its template (in listings; None: not asked).
    drifted: bool | None = None
    #: Only on what create_client returns: the owner invitation's one-time secret (never stored).
    owner_invite_secret: str | None = None

    @property
    def seats_full(self) -> bool:
        return self.remaining <= 0


def _view(org, stale_invites: bool = False, groups=(), drifted: bool | None = None) -> ClientView:
    """A client as listings show it, from an Organization or a row of its `_LISTED` columns."""
    flags = []
    if org.seats_remaining <= 0:
        flags.append("seats full")
    if stale_invites:
        flags.append("stale invites")
    return ClientView(
        id=org.id, name=org.name, plan=PlanType(org.plan_type), seats=org.seats, used=org.occupied_seats,
        remaining=org.seats_remaining, status=OrgStatus(org.status), billing_email=org.billing_email,
        is_internal=org.is_internal, created_at=org.created_at, version=org.version,
        stale_invites=stale_invites, flags=tuple(flags), groups=tuple(groups), drifted=drifted)


# --- listing ---------------------------------------------------------------------------------

SORT_COLUMNS = {
    "name": Organization.name_lower,
    "plan": Organization.plan_type,
    "seats": Organization.seats,
    "used": Organization.occupied_seats,
    "remaining": Organization.seats_remaining,
}


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientView]
    #: Pass back as `after` for the next page; None on the last page.
    next_cursor: tuple | None


#: The columns a listing reads (not the whole entity: its keys and blobs would be loaded for nothing).
_LISTED = (Organization.id, Organization.name, Organization.name_lower, Organization.plan_type, Organization.seats,
           Organization.occupied_seats, Organization.seats_remaining, Organization.status,
           Organization.billing_email, Organization.is_internal, Organization.created_at, Organization.version)


#: A scope of at least this many clients is listed by walking the sort index and checking the scope on
#: each row, as a Provider Admin's list is; a smaller one is read whole from its client groups and
#: sorted. Measured at 100,000 clients (SQLite, one page of 50): 2,500 clients read and sorted 21 ms,
#: walked 7 ms; 500 clients read and sorted 4 ms, walked 5 ms (a page then walks ~10,000 index entries).
SCOPE_WALKED_FROM = 1_000


def _filtered(provider_id: uuid.UUID, text: str, scope: Scope = EVERYTHING, group: uuid.UUID | None = None,
              *, walk: bool = False, hashed: bool = False):
    """The listing's statement. `walk` (a scope with many clients): its rows are checked one by one
    while the sort index is walked (Scope.clients per_row), instead of read first and sorted. `hashed`
    (PostgreSQL): the scope's clients are one hashed filter of that walk (`OR false` keeps PostgreSQL from
    turning it into a join that probes an index for each client walked past)."""
    # Walk the organization's sort index and check the provider link row by row: a join driven from
    # provider_organization made SQLite read and sort every link (0.4 s for one page of 100,000).
    linked = exists().where(Client.organization_id == Organization.id, Client.provider_id == provider_id)
    stmt = select(*_LISTED)
    if not scope.everything:  # S12: only the clients of the person's scope (checked before the link)
        cond = scope.clients(Organization.id, per_row=walk)
        stmt = stmt.where(or_(cond, literal_column("false")) if hashed else cond)
    stmt = stmt.where(linked)
    if group is not None:
        stmt = stmt.where(exists().where(ClientGroupClient.organization_id == Organization.id,
                                         ClientGroupClient.client_group_id == group))
    text = text.strip().lower()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Organization.name_lower.like(f"%{escaped}%", escape="\\"))
    return stmt


def list_clients(db: Database, actor: Actor, *, text: str = "", sort: str = "name", descending: bool = False,
                 after: tuple | None = None, limit: int = 50, group: uuid.UUID | None = None) -> ClientPage:
    """One page of the clients the person may see (S12), filtered by a name fragment and a client
    group, sorted by a column, keyset-paged."""
    if sort not in SORT_COLUMNS:
        raise BadInput(f"Unknown sort column {sort!r}; use one of {', '.join(SORT_COLUMNS)}.", "sort")
    col = SORT_COLUMNS[sort]
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        scope = scope_of(s, actor)
        # (PostgreSQL's planner knows the sizes from its statistics and walks a large scope by itself.)
        # Without a name filter PostgreSQL walks a scoped list with the scope hashed (her 2,500 of 100,000 clients:
        # 3 ms a page, 14-20 ms probing an index per client walked past); with one it is left to choose (the
        # trigram index and her clients joined: 2-10 ms, the hashed walk 25 ms).
        stmt = _filtered(actor.provider_id, text, scope, group, walk=db.is_sqlite and _many_clients(s, scope),
                         hashed=not db.is_sqlite and not text.strip())
        if after is not None:
            cmp = tuple_(col, Organization.id)
            stmt = stmt.where(cmp < tuple_(*after) if descending else cmp > tuple_(*after))
        order = (col.desc(), Organization.id.desc()) if descending else (col, Organization.id)
        stmt = stmt.order_by(*order).limit(limit + 1)
        if not db.is_sqlite and text.strip() and scope.everything:
            # PostgreSQL walked the sort index fetching every client's row to test its name (24-45 ms a
            # keystroke at 100,000 clients): the page's ids come from the index alone first (each sort index
            # holds the name; an index-only scan tests it there, 4-8 ms), then their rows. (SQLite tests the
            # name in the index already; a scoped list keeps its one statement, which PostgreSQL plans
            # better with the scope's join.)
            stmt = select(*_LISTED).where(Organization.id.in_(stmt.with_only_columns(Organization.id))
                                          ).order_by(*order)
        if db.is_sqlite:
            orgs = s.execute(stmt).all()
            ids = [o.id for o in orgs[:limit]]
            stale, in_groups, drifted = (_orgs_with_stale_invites(s, ids), groups_of(s, ids, scope),
                                         drifted_of(s, ids))
            flags = {o.id: (o.id in stale, in_groups.get(o.id, ()), o.id in drifted) for o in orgs}
        else:
            # One round trip a page: its flags and client groups come with its rows (at load 4 and more
            # each round trip waits for the server process to get a CPU: 6-8 of them were most of a key).
            stmt = _with_page_flags(stmt, col, descending, scope)
            orgs = s.execute(stmt).all()
            flags = {o.id: (o.stale_invites, tuple(o.group_names or ()), o.drifted) for o in orgs}
        more = len(orgs) > limit
        orgs = orgs[:limit]
        rows = [_view(o, *flags[o.id]) for o in orgs]
        cursor = (getattr(orgs[-1], col.key), orgs[-1].id) if more and orgs else None
        return ClientPage(rows, cursor)


def _with_page_flags(stmt, col, descending: bool, scope: Scope):
    """PostgreSQL: the page's statement with each row's stale-invite flag, its client groups of the scope
    (S12, as groups_of) and its drift flag. Asked of the page's rows only (the page is a subquery with
    its LIMIT), then put in the page's order again."""
    from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg

    from msp_tui.core.models import ClientGroup, ClientTemplate

    page = stmt.subquery("page")
    stale = exists().where(Member.organization_id == page.c.id, Member.status == int(MemberStatus.INVITED),
                           Member.invited_at < clock.now() - INVITATION_LIFETIME)
    groups = (select(array_agg(aggregate_order_by(ClientGroup.name, ClientGroup.name_lower)))
              .select_from(ClientGroupClient).join(ClientGroup, ClientGroup.id == ClientGroupClient.client_group_id)
              .where(ClientGroupClient.organization_id == page.c.id))
    if scope.group_ids is not None:
        groups = groups.where(ClientGroupClient.client_group_id.in_(sorted(scope.group_ids)))
    drifted = exists().where(ClientTemplate.organization_id == page.c.id, ClientTemplate.drifted.is_(True))
    key, ident = page.c[col.key], page.c.id
    return (select(page, stale.label("stale_invites"), groups.scalar_subquery().label("group_names"),
                   drifted.label("drifted"))
            .order_by(*((key.desc(), ident.desc()) if descending else (key, ident))))


def _many_clients(s: Session, scope: Scope) -> bool:
    """Whether a scope holds at least SCOPE_WALKED_FROM clients (counted no further than that)."""
    if scope.everything or not scope.group_ids:
        return False
    held = (select(ClientGroupClient.organization_id)
            .where(ClientGroupClient.client_group_id.in_(sorted(scope.group_ids))).limit(SCOPE_WALKED_FROM))
    return s.execute(select(func.count()).select_from(held.subquery())).scalar_one() >= SCOPE_WALKED_FROM


def count_clients(db: Database, actor: Actor, text: str = "", group: uuid.UUID | None = None) -> int:
    with db.read() as s:
        check(s, actor, Action.VIEW_CLIENTS)
        stmt = _filtered(actor.provider_id, text, scope_of(s, actor), group)
        return s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def _orgs_with_stale_invites(s: Session, org_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not org_ids:
        return set()
    cutoff = clock.now() - INVITATION_LIFETIME
    # `status + 0`: no index on status may drive this query. SQLite would otherwise walk the
    # (status, invited_at) index over every stale invitation of every client to find the page's
    # fifty (5 ms at 100,000 clients); this way it seeks each client's members (0.3 ms).
    stmt = select(Member.organization_id).where(
        Member.organization_id.in_(org_ids), (Member.status + 0) == int(MemberStatus.INVITED),
        Member.invited_at < cutoff).distinct()
    return set(s.execute(stmt).scalars())


def get_client(db: Database, actor: Actor, ref: str | uuid.UUID) -> ClientView:
    with db.read() as s:
        org = find_client(s, actor.provider_id, ref)
        check(s, actor, Action.VIEW_CLIENT, organization_id=org.id)
        groups = groups_of(s, [org.id], scope_of(s, actor)).get(org.id, ())
        return _view(org, org.id in _orgs_with_stale_invites(s, [org.id]), groups)


# --- creating and linking ----------------------------------------------------------------------


def _new_org(s: Session, actor: Actor, data: NewClient, provider_id: uuid.UUID) -> tuple[Organization, bytes]:
    org_key = crypto.random_key()
    private, public = crypto.new_x25519()
    org_id = uuid.uuid4()
    org = Organization(
        id=org_id, name=data.name, name_lower=data.name.lower(), plan_type=int(data.plan), seats=data.seats,
        occupied_seats=0, seats_remaining=data.seats, billing_email=data.billing_email,
        status=OrgStatus.MANAGED, use_policies=data.plan.is_enterprise,
        use_custom_permissions=data.plan.is_enterprise, public_key=public,
        protected_private_key=crypto.encrypt(org_key, private, crypto.aad("org-private-key", org_id)))
    touch(org, actor)
    s.add(org)
    s.flush()
    s.add(SeatChange(organization_id=org.id, seats=data.seats, plan_type=int(data.plan)))
    return org, org_key


def _name_free(s, provider_id, name: str, but: uuid.UUID | None = None) -> None:
    """Refuse a name another client of the provider has in any case (also a unique index)."""
    stmt = (select(Organization.name).join(Client, Client.organization_id == Organization.id)
            .where(Client.provider_id == provider_id, Organization.name_lower == name.lower()))
    if but is not None:
        stmt = stmt.where(Organization.id != but)
    taken = s.execute(stmt).scalar()
    if taken is not None:
        raise Refused("client-name", f"Another client is already named {taken!r}; client names are unique "
                      "whatever their case. Choose another name.")


def create_client(db: Database, actor: Actor, *, name: str, plan: str | PlanType, seats: int,
                  owner_email: str, billing_email: str | None = None, payment=None, template=None,
                  groups=(), new_groups=()) -> ClientView:
    """Create a client organization with its owner invited and a default collection (event 1900),
    and, in the same transaction, given `payment` (see services.billing.payment_input) its payment
    method and given `template` (a policy template's name or id) that template's policies: the client
    is created with all of them or not at all; so too with `groups`, client groups to put it in, and
    `new_groups`, names of client groups to make for it (the onboarding wizard's picks)."""
    data = parse(NewClient, name=name, plan=plan, seats=seats, owner_email=owner_email,
                 billing_email=billing_email or owner_email)
    if payment is not None:
        from msp_tui.core.services import billing

        payment = billing.payment_input(payment)
    with db.write() as s:
        check(s, actor, Action.CREATE_CLIENT)
        provider = s.get(Provider, actor.provider_id)
        _name_free(s, provider.id, data.name)
        org, org_key = _new_org(s, actor, data, provider.id)
        pkey = keys.provider_key(s, actor, provider.id)
        link = Client(provider_id=provider.id, organization_id=org.id, name_lower=org.name_lower,
                      key=keys.wrap_org_key_for_provider(org_key, org.id, pkey, provider.key_generation),
                      key_generation=provider.key_generation)
        s.add(link)
        owner_secret, owner_digest = invitation_secret.new()
        owner = Member(organization_id=org.id, email=data.owner_email, role=MemberRole.OWNER,
                       status=MemberStatus.INVITED, invite_secret_hash=owner_digest)
        touch(owner, actor)
        s.add(owner)
        coll_id = uuid.uuid4()
        coll = Collection(id=coll_id, organization_id=org.id,
                          name=keys.encrypt_name(org_key, org.id, coll_id, DEFAULT_COLLECTION, "collection-name"))
        touch(coll, actor)
        s.add(coll)
        s.flush()
        s.add(CollectionMember(collection_id=coll.id, member_id=owner.id, access=CollectionAccess.CAN_MANAGE))
        refresh_seats(s, org)
        events.record(s, actor, EventType.CLIENT_CREATED, provider_id=provider.id, organization_id=org.id,
                      provider_organization_id=link.id,
                      detail={"name": org.name, "plan": data.plan.label, "seats": data.seats})
        if payment is not None:
            billing.attach_payment(s, actor, org, payment)
        events.record(s, actor, EventType.MEMBER_INVITED, provider_id=provider.id, organization_id=org.id,
                      organization_user_id=owner.id, detail={"email": owner.email, "role": "Owner"})
        events.record(s, actor, EventType.COLLECTION_CREATED, provider_id=provider.id, organization_id=org.id,
                      collection_id=coll.id)
        if template is not None:
            from msp_tui.core.services import policy_templates

            policy_templates.apply_to_new_client(s, actor, template, org)
        if groups or new_groups:
            check(s, actor, Action.MANAGE_CLIENT_GROUPS)
            put_in_groups(s, actor, org, groups, new_groups)
        return dataclasses.replace(_view(org, groups=groups_of(s, [org.id]).get(org.id, ())),
                                   owner_invite_secret=owner_secret)


@dataclass(frozen=True)
class AddableOrg:
    id: uuid.UUID
    name: str
    plan: PlanType
    seats: int
    used: int


def addable_orgs(db: Database, actor: Actor) -> list[AddableOrg]:
    """Organizations the actor is a confirmed Owner of that no provider manages yet."""
    with db.read() as s:
        check(s, actor, Action.ADD_EXISTING_CLIENT)
        orgs = s.execute(
            select(Organization).join(Member, Member.organization_id == Organization.id)
            .where(Member.account_id == actor.account_id, Member.role == MemberRole.OWNER,
                   Member.status == MemberStatus.CONFIRMED, Organization.enabled.is_(True),
                   ~exists().where(Client.organization_id == Organization.id))
            .order_by(Organization.name_lower)).scalars().all()
        return [AddableOrg(o.id, o.name, PlanType(o.plan_type), o.seats, o.occupied_seats) for o in orgs]


def add_existing(db: Database, actor: Actor, ref: str | uuid.UUID) -> ClientView:
    """Bring an organization the admin owns under management (event 1901)."""
    with db.write() as s:
        check(s, actor, Action.ADD_EXISTING_CLIENT)
        ident = as_uuid(ref)
        stmt = select(Organization)
        stmt = stmt.where(Organization.id == ident) if ident else stmt.where(
            Organization.name_lower == str(ref).strip().lower())
        candidates = s.execute(stmt).scalars().all()
        owned = [o for o in candidates if s.execute(select(Member.id).where(
            Member.organization_id == o.id, Member.account_id == actor.account_id,
            Member.role == MemberRole.OWNER, Member.status == MemberStatus.CONFIRMED)).first()]
        if not candidates:
            raise NotFound(f"No organization {str(ref)!r}.", "organization")
        if not owned:
            raise Refused("S4", "You can only add organizations where you are a confirmed Owner.")
        if len(owned) > 1:
            raise BadInput(f"You own more than one organization named {ref!r}; use its id.", "organization")
        org = owned[0]
        if s.execute(select(Client.id).where(Client.organization_id == org.id)).first():
            raise Refused("one-provider", "Organization already belongs to a provider.")
        provider = s.get(Provider, actor.provider_id)
        _name_free(s, provider.id, org.name)
        org_key = keys.org_key(s, actor, org.id)
        pkey = keys.provider_key(s, actor, provider.id)
        link = Client(provider_id=provider.id, organization_id=org.id, name_lower=org.name.lower(),
                      key=keys.wrap_org_key_for_provider(org_key, org.id, pkey, provider.key_generation),
                      key_generation=provider.key_generation)
        s.add(link)
        org.status = OrgStatus.MANAGED
        touch(org, actor)
        s.add(SeatChange(organization_id=org.id, seats=org.seats, plan_type=org.plan_type))  # billing starts
        s.flush()
        events.record(s, actor, EventType.CLIENT_ADDED, provider_id=provider.id, organization_id=org.id,
                      provider_organization_id=link.id, detail={"name": org.name})
        return _view(org)


def unlink(db: Database, actor: Actor, ref: str | uuid.UUID, *, confirm_name: str | None = None) -> None:
    """Stop managing a client; it must keep a confirmed Owner who is not provider staff (event 1902)."""
    with db.write() as s:
        org = find_client(s, actor.provider_id, ref)
        check(s, actor, Action.UNLINK_CLIENT, organization_id=org.id)
        approvals.gate(s, actor, "unlink-client", {"client": str(org.id)})
        if confirm_name is not None and confirm_name.strip() != org.name:
            raise BadInput("Type the client's name exactly to unlink it.", "confirm_name")
        staff_accounts = select(Staff.account_id).where(Staff.provider_id == actor.provider_id,
                                                         Staff.account_id.is_not(None))
        owners = s.execute(select(Member.email).where(
            Member.organization_id == org.id, Member.role == MemberRole.OWNER,
            Member.status == MemberStatus.CONFIRMED, Member.account_id.not_in(staff_accounts))
            .order_by(Member.email)).scalars().all()
        if not owners:
            raise Refused("unlink", "The organization must keep a confirmed Owner who is not provider "
                          "staff before it can be unlinked.")
        link = s.execute(select(Client).where(Client.organization_id == org.id)).scalar_one()
        events.record(s, actor, EventType.CLIENT_REMOVED, provider_id=link.provider_id,
                      organization_id=org.id, provider_organization_id=link.id, detail={"name": org.name})
        org.billing_email = owners[0]
        org.status = OrgStatus.CREATED
        org.is_internal = False
        touch(org, actor)
        s.delete(link)


def rename(db: Database, actor: Actor, ref: str | uuid.UUID, name: str,
           expected_version: int | None = None) -> ClientView:
    data = parse(Rename, name=name)
    with db.write() as s:
        org = find_client(s, actor.provider_id, ref)
        check(s, actor, Action.RENAME_CLIENT, organization_id=org.id)
        check_version(s, org, expected_version, f"Client {org.name!r}")
        old = org.name
        if old == data.name:
            return _view(org)
        _name_free(s, actor.provider_id, data.name, but=org.id)
        org.name, org.name_lower = data.name, data.name.lower()
        # Before the statement below autoflushes the name: a later touch() would be a second UPDATE,
        # and the version would skip one whenever the renamer is not the last editor.
        touch(org, actor)
        s.execute(update(Client).where(Client.organization_id == org.id).values(name_lower=org.name_lower))
        events.record(s, actor, EventType.ORGANIZATION_UPDATED, organization_id=org.id,
                      detail={"name": [old, data.name]})
        s.flush()
        return _view(org)


def change_seats(db: Database, actor: Actor, ref: str | uuid.UUID, seats: int,
                 expected_version: int | None = None) -> ClientView:
    data = parse(Seats, seats=seats)
    with db.write() as s:
        org = find_client(s, actor.provider_id, ref)
        standing = check(s, actor, Action.CHANGE_SEATS, organization_id=org.id)
        check_version(s, org, expected_version, f"Client {org.name!r}")
        occupied = refresh_seats(s, org)
        if data.seats < occupied:
            raise Refused("seats", f"{org.name} has {occupied} members occupying seats; it cannot have "
                          f"fewer than {occupied} seats.")
        if data.seats == org.seats:
            return _view(org)
        from msp_tui.core import seat_rules

        seat_rules.check_seat_change(s, actor, standing, org, data.seats)
        if data.seats < org.seats:
            approvals.gate(s, actor, "lower-seats", {"client": str(org.id), "seats": data.seats})
        old = org.seats
        org.set_seat_counts(seats=data.seats)
        touch(org, actor)
        s.add(SeatChange(organization_id=org.id, seats=data.seats, plan_type=org.plan_type))
        events.record(s, actor, EventType.ORGANIZATION_UPDATED, organization_id=org.id,
                      detail={"seats": [old, data.seats]})
        s.flush()
        return _view(org)


def mark_internal(db: Database, actor: Actor, ref: str | uuid.UUID, internal: bool = True) -> ClientView:
    """Mark the MSP's own internal organization (one per provider; billed at the discounted rate)."""
    with db.write() as s:
        org = find_client(s, actor.provider_id, ref)
        check(s, actor, Action.MARK_INTERNAL, organization_id=org.id)
        if internal:
            for other in s.execute(select(Organization).join(Client, Client.organization_id == Organization.id)
                                   .where(Client.provider_id == actor.provider_id,
                                          Organization.is_internal.is_(True),
                                          Organization.id != org.id)).scalars():
                other.is_internal = False
                touch(other, actor)
                events.record(s, actor, EventType.ORGANIZATION_UPDATED, organization_id=other.id,
                              detail={"internal": [True, False]})
        if org.is_internal != internal:
            org.is_internal = internal
            touch(org, actor)
            events.record(s, actor, EventType.ORGANIZATION_UPDATED, organization_id=org.id,
                          detail={"internal": [not internal, internal]})
        s.flush()
        return _view(org)
