"""The demo and benchmark data generator: a realistic provider, fast enough for 100,000 clients.

Small demos go through the real use cases' key handling (every confirmed member holds the org key);
large ones bulk-insert rows with the same shapes, sealing member keys only for the first clients, so
`--clients 100000 --events 1000000` builds in well under two minutes.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from msp_tui.core import checkpoint, clock, crypto, events, keys
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import (PROVIDER_LOG_TYPES, CollectionAccess, EventType, MemberRole, MemberStatus,
                                OrgStatus, PlanType, StaffRole, StaffStatus)
from msp_tui.core.models import (Account, Client, Collection, CollectionMember, Event, EventChainHead, Group,
                                 GroupMember, Member, Organization, Provider, SeatChange, Staff)
from msp_tui.core.demo_vault import add_vault_items
from msp_tui.core.services import accounts, billing, policies, two_step

DEMO_EMAIL = "ada@northwind.example"
DEMO_PASSWORD = "northwind-demo-2026"
SECOND_ADMIN = ("grace@northwind.example", "Grace Hopper", "northwind-failover-2026")
#: Client groups of the demo, each with its share of the first clients, and two technicians (Service
#: Users) scoped to some of them (S12): (email, name, password, client groups).
CLIENT_GROUPS = ("Gold", "Silver", "North region", "Healthcare")
SCOPED_TECHS = (("tara@northwind.example", "Tara Tier-One", "northwind-tech-2026", ("Gold",)),
                ("reza@northwind.example", "Reza Regional", "northwind-tech-2026", ("North region", "Healthcare")))
#: Clients whose confirmed members get the org key sealed to them (X25519 per member costs time).
SEALED_CLIENTS = 500
#: A large build (the benchmark's) also puts every client in one of 200 client groups (round robin in
#: the order they were made) and scopes a technician to the first 5 of them (issue 18: 100,000 clients,
#: 2,500 of them hers): what benchmark scenario 13 measures the home and the timeline for.
BENCH_GROUPS = 200
BENCH_SCOPED_TO = 5
BENCH_SCOPE_FROM = 1000  # clients; smaller builds only with build(bench_scope=True)
BENCH_TECH = ("tess@northwind.example", "Tess Five-Groups", "northwind-tech-2026")


def bench_group_name(i: int) -> str:
    return f"Bench group {i:03d}"

WORDS_A = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Wingtip", "Adatum", "Litware", "Proseware",
           "Fourth Coffee", "Alpine Ski", "Blue Yonder", "Coho Winery", "Humongous", "Lucerne", "Margie's",
           "Relecloud", "Trey Research", "VanArsdel", "Woodgrove", "Wide World", "Graphic Design",
           "Southridge", "School of Fine Art", "City Power", "Consolidated Messenger", "Bellows College"]
WORDS_B = ["Dental", "Legal", "Logistics", "Holdings", "Clinic", "Partners", "Accounting", "Builders",
           "Bakery", "Motors", "Studio", "Pharmacy", "Realty", "Foundation", "Labs", "Hotels", "Media"]
FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Drew",
         "Reese", "Robin", "Kim", "Lee", "Pat", "Chris", "Dana", "Noor", "Ines", "Mateo", "Yuki", "Omar"]
LAST = ["Garcia", "Smith", "Okafor", "Nguyen", "Kowalski", "Larsen", "Haddad", "Rossi", "Silva", "Novak",
        "Tanaka", "Byrne", "Moreau", "Weber", "Costa", "Ivanova", "Patel", "Andersen", "Fischer", "Khan"]


@dataclass(frozen=True)
class DemoResult:
    email: str
    password: str
    actor: Actor
    clients: int
    events: int


def _sqlite_value(v):
    # The forms SQLAlchemy itself stores on SQLite (Uuid as 32 hex digits, DateTime as text).
    if isinstance(v, uuid.UUID):
        return v.hex
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="microseconds")
    if isinstance(v, bool):
        return int(v)
    return v


def _bulk(s, model, rows: list[dict]) -> None:
    """Insert many rows of one shape. On SQLite straight through the driver: at a million rows
    SQLAlchemy's per-parameter processing would be a third of the demo's time."""
    if not rows:
        return
    if s.get_bind().dialect.name != "sqlite":
        s.execute(insert(model.__table__), rows)
        return
    missing = [c for c in model.__table__.columns
               if c.key not in rows[0] and c.default is not None and not c.primary_key]
    if missing:  # the Python-side defaults SQLAlchemy would have filled in
        for r in rows:
            for c in missing:
                r[c.key] = c.default.arg(None) if c.default.is_callable else c.default.arg
    cols = list(rows[0])
    sql = (f'INSERT INTO "{model.__tablename__}" ({", ".join(cols)}) '
           f'VALUES ({", ".join("?" for _ in cols)})')
    s.connection().exec_driver_sql(sql, [tuple(_sqlite_value(r[c]) for c in cols) for r in rows])


def _say(progress, msg):
    if progress:
        progress(msg)


def build(db: Database, *, clients: int = 40, events: int | None = None, seed: int = 7,
          progress: Callable[[str], None] | None = None, bench_scope: bool | None = None) -> DemoResult:
    rng = random.Random(seed)
    real_now = clock.now()
    start = real_now - timedelta(days=90)
    clock.freeze(start)
    try:
        admin = accounts.init_provider(db, provider="Northwind MSP", email=DEMO_EMAIL, name="Ada Lovelace",
                                       password=DEMO_PASSWORD)
    finally:
        clock.freeze(None)
    _say(progress, "provider and first admin created")
    with db.write() as s:
        provider = s.get(Provider, admin.provider_id)
        pkey = keys.provider_key(s, admin, provider.id)
        staff_accounts = _staff(s, rng, admin, provider, pkey, start)
        system_key = keys.system_signing_key(s, admin, provider.id)
        people, people_keys = _people(s, rng, min(max(clients * 3, 20), 5000))
        s.flush()
    _say(progress, f"{len(staff_accounts)} staff, {len(people)} people")
    org_ids, targets = _clients(db, rng, admin, pkey, provider.key_generation, clients, people, start, progress)
    billing.add_demo_payment_methods(db, org_ids, seed)
    _owned_unmanaged(db, rng, admin, people)
    people_keys.update(add_vault_items(db, admin, org_ids, seed).signing_keys)
    policies.seed_demo(db, admin, org_ids)
    _pending_approval(db, admin)
    n_events = events if events is not None else max(clients * 60, 2000)
    # This process hashes and signs every event of the history itself, so it vouches for them with one
    # checkpoint line instead of the checkpointer verifying them: the client groups' first write after
    # the history would otherwise verify all of it, signature by signature (60 s for 200,000 events, an
    # hour for ten million). The writes after it are checked as any write is, from that line on.
    with db.checkpointer.paused():
        _events(db, rng, admin, staff_accounts, system_key, people_keys, _with_targets(db, targets), n_events,
                start, real_now, progress)
    with db.read() as s:
        head = s.get(EventChainHead, 1)
        count, last = head.count, bytes(head.last_hash)
    signers = {**people_keys, **staff_accounts, None: system_key}
    db.checkpointer.vouch_own(count, last, {checkpoint.signer_name(k): crypto.signing_public_key(v)
                                            for k, v in signers.items() if v})
    _client_groups(db, admin, org_ids)
    _pending_break_glass(db, org_ids)
    if bench_scope if bench_scope is not None else clients >= BENCH_SCOPE_FROM:
        add_bench_scope(db, admin, org_ids)
        _say(progress, f"{BENCH_GROUPS} client groups, a technician scoped to {BENCH_SCOPED_TO} of them")
    return DemoResult(DEMO_EMAIL, DEMO_PASSWORD, admin, clients, n_events)


def _pending_approval(db: Database, admin: Actor) -> None:
    """Two-person approval on for unlinking a client, and Ada's request to unlink one, waiting for the
    second admin (Grace, SECOND_ADMIN above, signs in to approve it): the inbox (ctrl+a), `approvals list`."""
    from msp_tui.core.services import approvals

    approvals.set_actions(db, admin, ["unlink-client"])
    with db.read() as s:
        first = s.execute(select(Organization.name).join(Client, Client.organization_id == Organization.id)
                          .where(Client.provider_id == admin.provider_id)
                          .order_by(Organization.name_lower.desc()).limit(1)).scalar()
    if first is not None:
        approvals.request(db, admin, "unlink-client", "The contract ends this month; they keep their own Owner.",
                          client=first)


def _client_groups(db: Database, admin, org_ids: list[uuid.UUID]) -> None:
    """The client groups (the first 24 clients, some in two) and the scoped technicians, through the
    use cases (their events are real). After the generated history, so no old event shows a scoped
    technician acting outside their scope."""
    from msp_tui.core.services import client_groups

    first = org_ids[:24]
    members = {"Gold": first[0::3], "Silver": first[1::3] + first[2::3], "North region": first[:12],
               "Healthcare": first[4::5]}
    for name in CLIENT_GROUPS:
        client_groups.create_client_group(db, admin, name, members[name])
    for email, name, password, _groups in SCOPED_TECHS:
        _confirmed_service_user(db, admin, email, name, password)
    for email, _name, _password, groups in SCOPED_TECHS:
        client_groups.set_staff_scope(db, admin, email, list(groups))


def _confirmed_service_user(db: Database, admin, email: str, name: str, password: str) -> None:
    """A confirmed Service User who can sign in with `password` (holds the provider key)."""
    with db.write() as s:
        provider = s.get(Provider, admin.provider_id)
        pkey = keys.provider_key(s, admin, provider.id)
        account_id = uuid.uuid4()
        made = crypto.new_account_keys(account_id, password)
        _bulk(s, Account, [dict(id=account_id, email=email, name=name, totp_secret=None, **made.columns)])
        s.add(Staff(provider_id=provider.id, account_id=account_id, email=email, role=StaffRole.SERVICE_USER,
                    status=StaffStatus.CONFIRMED, invited_by_id=admin.account_id,
                    key=keys.seal_provider_key(pkey, provider.id, provider.key_generation,
                                               made.columns["public_key"]),
                    key_generation=provider.key_generation))


def add_bench_scope(db: Database, admin, org_ids: list[uuid.UUID] | None = None) -> None:
    """BENCH_GROUPS client groups holding every client (round robin in `org_ids` order, by default
    their names' order) and BENCH_TECH scoped to the first BENCH_SCOPED_TO of them. The
    groups and the scope go through the use cases (their events are real); the 100,000 memberships
    are bulk rows, as the clients themselves are."""
    from msp_tui.core.models import ClientGroup, ClientGroupClient
    from msp_tui.core.services import client_groups

    if org_ids is None:
        with db.read() as s:
            org_ids = list(s.execute(select(Client.organization_id).where(Client.provider_id == admin.provider_id)
                                     .order_by(Client.name_lower)).scalars())
    names = [bench_group_name(i) for i in range(BENCH_GROUPS)]
    for name in names:
        client_groups.create_client_group(db, admin, name)
    with db.write() as s:
        ids = dict(s.execute(select(ClientGroup.name, ClientGroup.id)
                             .where(ClientGroup.provider_id == admin.provider_id, ClientGroup.name.in_(names))).all())
        rows = [dict(client_group_id=ids[names[i % BENCH_GROUPS]], organization_id=o) for i, o in enumerate(org_ids)]
        for lo in range(0, len(rows), 20_000):
            _bulk(s, ClientGroupClient, rows[lo:lo + 20_000])
    email, name, password = BENCH_TECH
    _confirmed_service_user(db, admin, email, name, password)
    client_groups.set_staff_scope(db, admin, email, names[:BENCH_SCOPED_TO])


def _pending_break_glass(db: Database, org_ids: list[uuid.UUID]) -> None:
    """Tara (scoped to Gold) asks for a client outside her scope, with a reason and a ticket, waiting
    for a Provider Admin: the inbox (ctrl+a) and the header's count, `access pending`."""
    from msp_tui.core import scope
    from msp_tui.core.services import break_glass

    if len(org_ids) < 2:
        return
    email, _name, password, _groups = SCOPED_TECHS[0]
    tara = accounts.sign_in(db, email, password)
    with db.read() as s:
        outside = next((o for o in org_ids if not scope.may_see(s, tara, o)), None)
        name = s.get(Organization, outside).name if outside else None
    if name is not None:
        break_glass.request(db, tara, name, "Owner locked out before payroll; the Silver team is off today.",
                            ticket="T-4711", minutes=60)


def _sealed_account(email: str, name: str) -> tuple[dict, crypto.AccountSecrets]:
    account_id = uuid.uuid4()
    made = crypto.sealed_account_keys(account_id)
    return dict(id=account_id, email=email, name=name, **made.columns), made.secrets


def _staff(s, rng, admin, provider, pkey, start) -> dict[uuid.UUID, bytes]:
    """Second admin (with a real password), two service users, one invited, one accepted.

    Returns the confirmed staff's signing keys, so their demo events are signed like real ones."""
    out = {admin.account_id: admin.secrets.signing_key}
    second_id = uuid.uuid4()
    made = crypto.new_account_keys(second_id, SECOND_ADMIN[2])
    rows = [dict(id=second_id, email=SECOND_ADMIN[0], name=SECOND_ADMIN[1], **made.columns)]
    signing = {second_id: made.secrets.signing_key}
    plan = [(StaffRole.PROVIDER_ADMIN, StaffStatus.CONFIRMED, rows[0])]
    for email, name, role, status in [
        ("sam@northwind.example", "Sam Service", StaffRole.SERVICE_USER, StaffStatus.CONFIRMED),
        ("kim@northwind.example", "Kim Night-Shift", StaffRole.SERVICE_USER, StaffStatus.CONFIRMED),
        ("lee@northwind.example", "Lee Newhire", StaffRole.SERVICE_USER, StaffStatus.ACCEPTED),
    ]:
        row, secrets = _sealed_account(email, name)
        if email.startswith("sam@"):  # one of the staff really uses two-step login
            row["totp_secret"] = two_step.seal(row["id"], secrets.user_key, two_step.demo_secret(email))
        rows.append(row)
        signing[row["id"]] = secrets.signing_key
        plan.append((role, status, row))
    for row in rows:
        row.setdefault("totp_secret", None)
    _bulk(s, Account, rows)
    for role, status, row in plan:
        st = Staff(provider_id=provider.id, account_id=row["id"], email=row["email"], role=role, status=status,
                   invited_at=start + timedelta(days=rng.randint(0, 3)), invited_by_id=admin.account_id)
        if status == StaffStatus.CONFIRMED:
            st.key = keys.seal_provider_key(pkey, provider.id, provider.key_generation, row["public_key"])
            st.key_generation = provider.key_generation
            out[row["id"]] = signing[row["id"]]
        s.add(st)
    s.add(Staff(provider_id=provider.id, email="max@northwind.example", role=StaffRole.SERVICE_USER,
                status=StaffStatus.INVITED, invited_at=clock.now() - timedelta(days=8),
                invited_by_id=admin.account_id))
    return out


def _people(s, rng, n: int) -> tuple[list[dict], dict[uuid.UUID, bytes]]:
    """Client-side people: accounts nobody can sign in to (their master key was never kept), and
    their signing keys, so the events they act in are signed like real ones."""
    rows, signing = [], []
    seen = set()
    while len(rows) < n:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{len(rows)}@mail.example".lower()
        if email in seen:
            continue
        seen.add(email)
        row, secrets = _sealed_account(email, f"{first} {last}")
        # 60 % really enrolled in two-step login (a sealed authenticator secret)
        row["totp_secret"] = (two_step.seal(row["id"], secrets.user_key, two_step.demo_secret(email))
                              if rng.random() < 0.6 else None)
        rows.append(row)
        signing.append(secrets.signing_key)
    _bulk(s, Account, rows)
    return rows, {r["id"]: key for r, key in zip(rows, signing)}


def _client_name(rng, i: int) -> str:
    return f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)}" + (f" {i}" if i >= 40 else "")


@dataclass(slots=True)  # one per client: 100,000 of them in the benchmark database
class OrgTargets:
    """What one client's demo events can be about, and who in it can act (members with an account).
    Ids are kept as 32 hex digits, the form the chain's encoding and SQLite take (no per-event .hex)."""

    link_id: str
    members: list = field(default_factory=list)  # (member id, account id or None, email)
    actors: list = field(default_factory=list)  # account ids of confirmed members (_with_targets)
    collections: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    items: list = field(default_factory=list)
    policies: list = field(default_factory=list)  # (policy id, detail json)


def _clients(db, rng, admin, pkey, generation, n, people, start, progress
             ) -> tuple[list[uuid.UUID], dict[uuid.UUID, OrgTargets]]:
    now = clock.now()
    org_ids: list[uuid.UUID] = []
    targets: dict[uuid.UUID, OrgTargets] = {}
    batch = 5000
    names_used: set[str] = set()
    for lo in range(0, n, batch):
        orgs, links, members, colls, cmembers, seat_rows, groups, gmembers = [], [], [], [], [], [], [], []
        for i in range(lo, min(n, lo + batch)):
            org_id = uuid.uuid4()
            name = _client_name(rng, i)
            while name in names_used and i < 40:
                name = _client_name(rng, i)
            names_used.add(name)
            plan = rng.choice([PlanType.TEAMS_MONTHLY, PlanType.ENTERPRISE_MONTHLY, PlanType.ENTERPRISE_MONTHLY,
                               PlanType.TEAMS_ANNUALLY, PlanType.ENTERPRISE_ANNUALLY])
            small = n > 1000
            seats = rng.choice([5, 10, 10, 25, 50]) if small else rng.choice([5, 10, 15, 25, 50, 100])
            created = start + timedelta(days=rng.uniform(0, 30))
            org_key = crypto.random_key()
            k = min(seats, rng.randint(2, 4) if small else rng.randint(3, 14))
            if i % 9 == 4:
                k = seats  # some clients are out of seats
            chosen = rng.sample(people, min(k, len(people)))
            occupied = 0
            owner_done = False
            for j, person in enumerate(chosen):
                status = rng.choices([MemberStatus.CONFIRMED, MemberStatus.ACCEPTED, MemberStatus.INVITED,
                                      MemberStatus.REVOKED], [70, 8, 14, 8])[0]
                role = MemberRole.OWNER if not owner_done else rng.choices(
                    [MemberRole.ADMIN, MemberRole.USER, MemberRole.CUSTOM], [15, 80, 5])[0]
                if not owner_done:
                    status = MemberStatus.CONFIRMED
                owner_done = True
                if role == MemberRole.CUSTOM and not plan.is_enterprise:
                    role = MemberRole.USER
                invited_at = created + timedelta(days=rng.uniform(0, 20))
                if status == MemberStatus.INVITED and rng.random() < 0.5:
                    invited_at = now - timedelta(days=rng.uniform(6, 20))  # stale invitations
                elif status == MemberStatus.INVITED:
                    invited_at = now - timedelta(days=rng.uniform(0, 4))
                has_account = status in (MemberStatus.CONFIRMED, MemberStatus.ACCEPTED) or (
                    status == MemberStatus.REVOKED)
                key = None
                if status == MemberStatus.CONFIRMED and i < SEALED_CLIENTS:
                    key = keys.seal_org_key_for_member(org_key, org_id, person["public_key"])
                members.append(dict(
                    id=uuid.uuid4(), organization_id=org_id, account_id=person["id"] if has_account else None,
                    email=person["email"], role=int(role), status=int(status),
                    previous_status=int(MemberStatus.CONFIRMED) if status == MemberStatus.REVOKED else None,
                    revocation_reason=1 if status == MemberStatus.REVOKED else None,
                    permissions=json.dumps({"manage_users": True, "access_event_logs": True})
                    if role == MemberRole.CUSTOM else None,
                    key=key, invited_at=invited_at, created_at=invited_at, revision_date=invited_at, version=1))
                if status != MemberStatus.REVOKED:
                    occupied += 1
            orgs.append(dict(
                id=org_id, name=name, name_lower=name.lower(), plan_type=int(plan), seats=seats,
                occupied_seats=occupied, seats_remaining=seats - occupied,
                billing_email=f"billing@{name.split()[0].lower()}{i}.example", status=int(OrgStatus.MANAGED),
                enabled=True, is_internal=(i == 0), use_policies=plan.is_enterprise,
                use_custom_permissions=plan.is_enterprise, created_at=created, revision_date=created,
                version=1, updated_by_id=admin.account_id))
            link_id = uuid.uuid4()
            t = targets[org_id] = OrgTargets(link_id.hex)
            for m in (members[-len(chosen):] if chosen else []):
                t.members.append((m["id"].hex, m["account_id"].hex if m["account_id"] else None,
                                  json.dumps({"email": m["email"]}, separators=(",", ":"))))
            links.append(dict(id=link_id, provider_id=admin.provider_id, organization_id=org_id, name_lower=name.lower(),
                              key=keys.wrap_org_key_for_provider(org_key, org_id, pkey, generation),
                              key_generation=generation, created_at=created))
            seat_rows.append(dict(organization_id=org_id, seats=seats, plan_type=int(plan), changed_at=created))
            org_members = members[-len(chosen):] if chosen else []
            for cname in ["Default collection"] + (rng.sample(["Infrastructure", "Finance", "Shared logins",
                                                                "Social media", "Break-glass"], 2)
                                                   if not small else []):
                cid = uuid.uuid4()
                t.collections.append(cid.hex)
                colls.append(dict(id=cid, organization_id=org_id,
                                  name=keys.encrypt_name(org_key, org_id, cid, cname, "collection-name"),
                                  created_at=created, revision_date=created, version=1))
                for m in org_members[:3]:
                    cmembers.append(dict(collection_id=cid, member_id=m["id"],
                                         access=int(rng.choice(list(CollectionAccess)))))
            if not small:
                for gname in rng.sample(["Helpdesk", "Finance", "Engineering", "Management"], 2):
                    gid = uuid.uuid4()
                    t.groups.append(gid.hex)
                    groups.append(dict(id=gid, organization_id=org_id, name=gname, created_at=created,
                                       revision_date=created, version=1))
                    for m in org_members[1:4]:
                        gmembers.append(dict(group_id=gid, member_id=m["id"]))
            org_ids.append(org_id)
        with db.write() as s:
            _bulk(s, Organization, orgs)
            _bulk(s, Client, links)
            if members:
                _bulk(s, Member, members)
            _bulk(s, Collection, colls)
            if cmembers:
                _bulk(s, CollectionMember, cmembers)
            if groups:
                _bulk(s, Group, groups)
            if gmembers:
                _bulk(s, GroupMember, gmembers)
            _bulk(s, SeatChange, seat_rows)
        _say(progress, f"clients: {len(org_ids):,} of {n:,}")
    return org_ids, targets


def _with_targets(db, targets: dict[uuid.UUID, OrgTargets]) -> dict[uuid.UUID, OrgTargets]:
    """Add the vault items and policies the demo made after the clients, and who can act in each
    client now (policies may have revoked members since): three queries."""
    from msp_tui.core import policies as catalogue
    from msp_tui.core.models import Policy, VaultItem

    with db.read() as s:
        for t in targets.values():
            t.actors.clear()
        for aid, oid in s.execute(select(Member.account_id, Member.organization_id).where(
                Member.status == int(MemberStatus.CONFIRMED), Member.account_id.is_not(None))):
            if oid in targets:
                targets[oid].actors.append(aid.hex)
        for iid, oid in s.execute(select(VaultItem.id, VaultItem.organization_id)
                                  .where(VaultItem.organization_id.is_not(None))):
            if oid in targets:
                targets[oid].items.append(iid.hex)
        details: dict[int, str] = {}
        for pid, oid, type_ in s.execute(select(Policy.id, Policy.organization_id, Policy.type)):
            if oid in targets:
                if type_ not in details:
                    spec = catalogue.SPECS.get(type_)
                    details[type_] = json.dumps({"policy": spec.name if spec else str(type_), "type": int(type_)},
                                                sort_keys=True, separators=(",", ":"))
                targets[oid].policies.append((pid.hex, details[type_]))
    return targets


def _owned_unmanaged(db, rng, admin, people) -> None:
    """Two organizations the demo admin owns that no provider manages yet (for 'add existing')."""
    with db.write() as s:
        acc = s.get(Account, admin.account_id)
        for name, plan, seats in [("Ada's Consulting", PlanType.TEAMS_MONTHLY, 10),
                                  ("Lovelace Family Office", PlanType.ENTERPRISE_ANNUALLY, 20)]:
            org_key = crypto.random_key()
            org = Organization(name=name, name_lower=name.lower(), plan_type=int(plan), seats=seats,
                               occupied_seats=1, seats_remaining=seats - 1, billing_email=admin.email,
                               status=int(OrgStatus.CREATED), use_policies=plan.is_enterprise,
                               use_custom_permissions=plan.is_enterprise)
            s.add(org)
            s.flush()
            s.add(Member(organization_id=org.id, account_id=acc.id, email=acc.email, role=int(MemberRole.OWNER),
                         status=int(MemberStatus.CONFIRMED),
                         key=keys.seal_org_key_for_member(org_key, org.id, acc.public_key)))


#: (type, weight, who acts, what it is about). Who: a staff member, the first admin, a member of the
#: client (in their own app, signed by them), or nobody. About: the client itself, one of its
#: members, items, collections, groups or policies, a staff member, or nothing beyond the actor.
EVENT_MIX = [
    (EventType.USER_LOGGED_IN, 14, "staff", "self"),
    (EventType.MEMBER_INVITED, 10, "staff", "member"),
    (EventType.MEMBER_CONFIRMED, 8, "staff", "member"),
    (EventType.MEMBER_UPDATED, 6, "staff", "member"),
    (EventType.MEMBER_REVOKED, 2, "staff", "member"),
    (EventType.MEMBER_RESTORED, 1, "staff", "member"),
    (EventType.ITEM_CLIENT_VIEWED, 14, "member", "item"),
    (EventType.ITEM_UPDATED, 6, "member", "item"),
    (EventType.ITEM_CREATED, 5, "member", "item"),
    (EventType.ITEM_CLIENT_COPIED_PASSWORD, 6, "member", "item"),
    (EventType.COLLECTION_UPDATED, 3, "staff", "collection"),
    (EventType.GROUP_UPDATED, 2, "staff", "group"),
    (EventType.POLICY_UPDATED, 2, "staff", "policy"),
    (EventType.ORGANIZATION_VAULT_ACCESSED, 4, "staff", "client"),
    (EventType.CLIENT_VAULT_ACCESSED, 4, "staff", "client-link"),
    (EventType.ORGANIZATION_UPDATED, 2, "staff", "client"),
    (EventType.STAFF_UPDATED, 1, "admin", "staff"),
    (EventType.USER_FAILED_LOGIN, 1, "none", "staff-account"),
]
#: The ids an event names besides its client and actor, in events.CHAINED_FIELDS order.
TARGET_FIELDS = ("account_id", "provider_user_id", "provider_organization_id", "organization_user_id",
                 "group_id", "collection_id", "item_id", "policy_id")
_NO_TARGETS = (None,) * len(TARGET_FIELDS)


def _sign_batch(signers: dict, work: list) -> list:
    """Runs in a helper process: Ed25519 signatures for (signer id, digest) pairs."""
    out = []
    for signer_id, digest in work:
        sign = signers.get(signer_id)
        out.append(sign(digest) if sign else None)
    return out


_WORKER_SIGNERS: dict = {}


def _init_signer(keys_by_id: dict) -> None:
    # The event loop names actors by their 32 hex digits (the form it writes); signers are looked up so.
    _WORKER_SIGNERS.update({k.hex if isinstance(k, uuid.UUID) else k: crypto.signer(v)
                            for k, v in keys_by_id.items()})


def _sign_in_worker(work: list) -> list:
    return _sign_batch(_WORKER_SIGNERS, work)


def _staff_rows(db, provider_id) -> list[tuple]:
    """(staff row id, account id, email detail) of staff with an account (STAFF_* events name them)."""
    with db.read() as s:
        return [(sid.hex, aid.hex, json.dumps({"email": email}, separators=(",", ":")))
                for sid, aid, email in s.execute(
            select(Staff.id, Staff.account_id, Staff.email).where(Staff.provider_id == provider_id,
                                                                 Staff.account_id.is_not(None)))]


def _pick(rng, about: str, t: OrgTargets | None, acting, staff_rows) -> tuple[tuple, str | None]:
    """The target ids (TARGET_FIELDS order) and detail of one event, as the real use case writes them."""
    if about == "member":
        mid, account, detail = rng.choice(t.members)
        return (account, None, None, mid, None, None, None, None), detail
    if about == "item":
        return (None, None, None, None, None, None, rng.choice(t.items), None), None
    if about == "collection":
        return (None, None, None, None, None, rng.choice(t.collections), None, None), None
    if about == "group":
        return (None, None, None, None, rng.choice(t.groups), None, None, None), None
    if about == "policy":
        pid, detail = rng.choice(t.policies)
        return (None, None, None, None, None, None, None, pid), detail
    if about == "client-link":
        return (None, None, t.link_id, None, None, None, None, None), None
    if about == "self":
        return (acting, None, None, None, None, None, None, None), None
    if about in ("staff", "staff-account"):
        sid, account, detail = rng.choice(staff_rows)
        return (account, sid if about == "staff" else None, None, None, None, None, None, None), detail
    return _NO_TARGETS, None


#: Which clients an event about `about` can be in (it must have one of those).
_POOL = {"member": "members", "item": "items", "collection": "collections", "group": "groups",
         "policy": "policies"}


#: Events generated (and then signed) per task of the helper processes.
CHUNK = 20_000
#: Generation tasks handed out ahead of the chain, so the helpers never wait for the writer.
AHEAD = 3
_GEN: dict = {}  # what the helpers generate from, set before they fork (100,000 clients: not pickled)


def _workers() -> int:
    """Helper processes for generating and signing: one per core, at least two (so the writer, the
    generators and the signers overlap). MSP_DEMO_WORKERS sets another number."""
    import os

    return max(1, int(os.environ.get("MSP_DEMO_WORKERS") or max(2, os.cpu_count() or 1)))


def _generate(k: int, first_id: int, n: int, t0: float, t1: float) -> tuple[list, list, list]:
    """Runs in a helper process: chunk k of the history, n events with ids from first_id, dated
    within [t0, t1) seconds after the start, oldest first. Returns each event's canonical encoding
    (what the chain hashes), its row as written to SQLite (without prev_hash, hash and signature),
    and its signer. Each chunk has its own random stream (seeded by the build's seed and k), so the
    build is the same whatever the number of helpers."""
    g = _GEN
    rng = random.Random(f"{g['seed']}:{k}")
    meta, ips, staff_ids, admin_hex = g["meta"], g["ips"], g["staff_ids"], g["admin_hex"]
    staff_rows, provider_hex, start = g["staff_rows"], g["provider_hex"], g["start"]
    dumps = json.dumps
    picks = rng.choices(g["kinds"], g["weights"], k=n)
    offsets = sorted(rng.uniform(t0, t1) for _ in range(n))
    canon, rows, signers = [], [], []
    for i in range(n):
        kind = picks[i]
        who, about, orgs, provider_log = meta[kind]
        org_hex, t = rng.choice(orgs) if orgs else (None, None)
        acting = (admin_hex if who == "admin" else rng.choice(staff_ids) if who == "staff"
                  else rng.choice(t.actors) if who == "member" else None)
        ids, detail = _pick(rng, about, t, acting, staff_rows)
        device = "terminal" if who != "member" else "browser"
        ip = rng.choice(ips)
        stamp = (start + timedelta(seconds=offsets[i])).isoformat(timespec="microseconds")
        id_ = first_id + i
        # The canonical encoding of events.CHAINED_FIELDS, spelled out for speed; _check_fast_canonical
        # proves it matches events._canonical for each kind.
        canon.append(",".join((
            str(id_), str(kind), stamp, provider_hex, "1" if provider_log else "0", org_hex or "~",
            acting or "~", *[x or "~" for x in ids], dumps(device), dumps(ip) if ip else "~", "~",
            dumps(detail) if detail else "~")).encode("utf-8"))
        rows.append((id_, kind, stamp[:10] + " " + stamp[11:], provider_hex, int(provider_log), org_hex, acting,
                     *ids, device, ip, detail))
        signers.append(acting)
    return canon, rows, signers


def _events(db, rng, admin, staff_accounts, system_key, people_keys, targets, n, start, end, progress) -> None:
    """n events spread over [start, end], oldest first, chained and signed like real ones: each names
    its actor (a staff member, or a client's member acting in their own app, who signs it) and what it
    is about; an event without an acting person is signed by the provider's system key.

    The bulk path (ten million events in minutes): helper processes generate chunks of events and sign
    them; this process only links each chunk into the chain (hashing is sequential: each link needs the
    one before) and writes it, on SQLite into the table with its indexes dropped, made again at the end."""
    if n <= 0 or not targets:
        return
    import hashlib
    import multiprocessing

    all_orgs = [(o.hex, t) for o, t in targets.items() if t.actors]
    pools = {about: [o for o in all_orgs if getattr(o[1], attr)] for about, attr in _POOL.items()}
    meta = {}
    for k, _w, who, about in EVENT_MIX:
        meta[int(k)] = (who, about, pools.get(about, all_orgs) if about not in ("self", "staff", "staff-account")
                        else None, k in PROVIDER_LOG_TYPES)
    # A kind whose target no client has (groups in a 100,000-client demo) is left out of the mix.
    usable = [(int(k), w) for k, w, *_ in EVENT_MIX if meta[int(k)][2] is None or meta[int(k)][2]]
    span = (end - start).total_seconds()
    _GEN.clear()
    _GEN.update(seed=rng.random(), kinds=[k for k, _ in usable], weights=[w for _, w in usable], meta=meta,
                ips=[f"203.0.113.{i}" for i in range(1, 30)] + [None], staff_ids=[a.hex for a in staff_accounts],
                admin_hex=admin.account_id.hex, staff_rows=_staff_rows(db, admin.provider_id),
                provider_hex=admin.provider_id.hex, start=start)
    sqlite = db.is_sqlite
    with db.read() as s:
        head = s.get(EventChainHead, 1)
        prev, next_id = bytes(head.last_hash), head.last_event_id + 1
    chunks = [(k, next_id + lo, min(CHUNK, n - lo), span * lo / n, span * min(n, lo + CHUNK) / n)
              for k, lo in enumerate(range(0, n, CHUNK))]
    pool = multiprocessing.get_context("fork").Pool(_workers(), _init_signer, ({**people_keys, **staff_accounts,
                                                                                 None: system_key},))
    made = [pool.apply_async(_generate, c) for c in chunks[:AHEAD]]
    pending = None  # (rows, the hash before them, their hashes, async signatures) waiting to be written
    checked: set = set()
    written = 0
    if sqlite:
        _drop_event_indexes(db)
    try:
        for i in range(len(chunks) + 1):
            ready = None
            if i < len(chunks):
                canon, rows, signers = made[i].get()
                made[i] = None
                if i + AHEAD < len(chunks):
                    made.append(pool.apply_async(_generate, chunks[i + AHEAD]))
                before, digests, sha = prev, [], hashlib.sha256
                add = digests.append
                for c in canon:
                    prev = sha(prev + c).digest()
                    add(prev)
                for j, row in enumerate(rows):
                    if row[1] not in checked:
                        checked.add(row[1])
                        _check_fast_canonical(row, digests[j - 1] if j else before, digests[j], admin.provider_id)
                ready = (rows, before, digests, pool.apply_async(_sign_in_worker, (list(zip(signers, digests)),)))
            if pending is not None:
                _write_events(db, admin.provider_id, pending, sqlite)
                written += len(pending[0])
                _say(progress, f"events: {written:,} of {n:,}")
            pending = ready
    finally:
        pool.close()
        pool.join()
        if sqlite:
            _create_event_indexes(db)


def _check_fast_canonical(row, prev, digest, provider_id) -> None:
    if events.chain_hash(prev, _event_values(row, provider_id)) != digest:
        raise AssertionError("the demo's event encoding differs from events._canonical")


def _event_values(row, provider_id) -> dict:
    """One generated row (its SQLite form) as Event column values."""
    id_, type_, date, _p, provider_log, org, acting = row[:7]
    ids = row[7:7 + len(TARGET_FIELDS)]
    device, ip, detail = row[7 + len(TARGET_FIELDS):]
    as_id = lambda h: uuid.UUID(h) if h else None  # noqa: E731
    return dict(id=id_, type=type_, date=datetime.fromisoformat(date), provider_id=provider_id,
                provider_log=bool(provider_log), organization_id=as_id(org), acting_account_id=as_id(acting),
                **{f: as_id(i) for f, i in zip(TARGET_FIELDS, ids)},
                device=device, ip_address=ip, system_user=None, detail=detail)


def _write_events(db, provider_id, pending, sqlite) -> None:
    rows, before, digests, signatures = pending
    sigs = signatures.get()
    prevs = [before, *digests[:-1]]
    with db.write() as s:
        if sqlite:
            s.connection().exec_driver_sql(
                "INSERT INTO event (id, type, date, provider_id, provider_log, organization_id, "
                f"acting_account_id, {', '.join(TARGET_FIELDS)}, device, ip_address, detail, prev_hash, hash, "
                f"signature) VALUES ({', '.join('?' * (13 + len(TARGET_FIELDS)))})",
                [(*r, p, h, sig) for r, p, h, sig in zip(rows, prevs, digests, sigs)])
        else:
            _bulk(s, Event, [dict(_event_values(r, provider_id), prev_hash=p, hash=h, signature=sig)
                             for r, p, h, sig in zip(rows, prevs, digests, sigs)])
        head = s.get(EventChainHead, 1)
        head.last_event_id = rows[-1][0]
        head.last_hash = digests[-1]
        head.count += len(rows)


def _drop_event_indexes(db) -> None:
    """Bulk loading into an unindexed table and indexing once is several times faster on SQLite."""
    with db.write() as s:
        for idx in Event.__table__.indexes:
            s.connection().exec_driver_sql(f"DROP INDEX IF EXISTS {idx.name}")


def _create_event_indexes(db) -> None:
    with db.write() as s:
        c = s.connection()
        # Each index sorts the whole table: at ten million events SQLite's 2 MB page cache made every
        # sort spill to temporary files. A big cache for this transaction only.
        c.exec_driver_sql("PRAGMA cache_size = -524288")  # 512 MiB
        try:
            for idx in Event.__table__.indexes:
                idx.create(c, checkfirst=True)
        except BaseException:
            # Out of the pool with it, big cache and all: after a hang-up (SystemExit) mid-statement
            # SQLAlchemy has invalidated it, and one more statement would replace the exit with an error.
            c.invalidate()
            raise
        c.exec_driver_sql("PRAGMA cache_size = -2000")  # SQLite's default
