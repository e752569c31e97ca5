"""Access under random use: random sequences of actions by random actors (Provider Admin, Service
User, client Owner, client member, stranger), with the seed's invariants checked after every step.

- S5: the provider always keeps a confirmed Provider Admin.
- S8: every action that changed anything wrote at least one event, in the same transaction; an
  action that was refused changed nothing at all (no row, no event); the chain head counts every
  event, and the chain verifies at the end of every run.
- Only people with a standing act: the stranger and the plain member never change anything.
- S3: no provider staff member ever gets back someone else's personal item: not by id, not in a
  vault listing, not in an export, not in an event's detail; and a personal item's name and password
  never appear in the database file in the clear.
- S9: no one outside the provider staff (the client's Owner, a member, a stranger) ever reads billing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from msp_tui.core import events
from msp_tui.core.db import Database
from msp_tui.core.errors import MspError
from msp_tui.core.models import Base, Event, EventChainHead
from msp_tui.core.services import billing, clients, groups, members, staff, vault
from tests.conftest import PASSWORD, make_provider
from tests.world import join

ACTORS = ["admin", "service", "owner", "member", "stranger"]
#: The plain member (user@contoso.example) is left out, so they stay a plain User with no right to change
#: anything; the Owner is in, so the Owner can be demoted, revoked or removed.
MEMBER_EMAILS = ["p1@x.example", "p2@x.example", "owner@contoso.example", "ada@msp.example"]
STAFF_EMAILS = ["ada@msp.example", "sam@msp.example", "acc@msp.example", "new1@msp.example",
                "new2@msp.example"]
CLIENT_NAMES = ["Contoso", "Fabrikam", "[bold]Evil[/] Corp", "Contoso"]
SKIP_IN_FINGERPRINT = {Event.__tablename__, EventChainHead.__tablename__}
STAFF = {"admin", "service"}
OUTSIDERS = {"owner", "member", "stranger"}  # not provider staff: never see billing (S9)
#: Written into every personal item's name and password; must never reach staff or the disk in clear.
SECRET = "PERSONAL-" + uuid.uuid4().hex[:12]
BILLING_READS = ["client_billing", "client_invoice", "summary", "consolidated_invoice", "tier_schedule",
                 "client_invoices"]


def build_template(path: Path) -> tuple[dict, uuid.UUID]:
    """The starting world, built once: every actor is a real, signed-in account."""
    db = Database(path)
    admin = make_provider(db)
    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=8,
                                owner_email="owner@contoso.example")
    secrets = members.invite(db, admin, org.id, ["user@contoso.example", "stranger@else.example"]).secrets
    secrets |= staff.invite(db, admin, ["sam@msp.example"], "service").secrets
    secrets |= staff.invite(db, admin, ["acc@msp.example"], "admin").secrets
    service = join(db, "sam@msp.example", secrets["sam@msp.example"])
    staff.confirm(db, admin, "sam@msp.example")
    join(db, "acc@msp.example", secrets["acc@msp.example"])  # accepted, waiting to be confirmed
    owner = join(db, "owner@contoso.example", org.owner_invite_secret)
    member = join(db, "user@contoso.example", secrets["user@contoso.example"])
    stranger = join(db, "stranger@else.example", secrets["stranger@else.example"])
    members.confirm(db, admin, org.id, ["owner@contoso.example", "user@contoso.example"])
    members.remove(db, admin, org.id, ["stranger@else.example"])  # an account with no tie left
    service.provider_id = admin.provider_id
    db.dispose()
    return dict(admin=admin, service=service, owner=owner, member=member, stranger=stranger), org.id


def fingerprint(db: Database) -> str:
    """Every row of every table but the event log: any change at all shows here."""
    digest = hashlib.sha256()
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in SKIP_IN_FINGERPRINT:
                continue
            rows = sorted(repr(tuple(r)) for r in s.execute(select(table)))
            digest.update(f"{table.name}:{len(rows)}:{'|'.join(rows)}".encode())
    return digest.hexdigest()


def event_count(db: Database) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(Event)).scalar_one()


class AccessMachine(RuleBasedStateMachine):
    template: Path
    actors: dict
    first_client: uuid.UUID
    workdir: Path
    tally: Counter

    def __init__(self) -> None:
        super().__init__()
        path = self.workdir / f"run-{uuid.uuid4().hex}.db"
        shutil.copy(self.template, path)
        self.db = Database(path)
        self.path = path
        self.client_ids = [self.first_client]
        for actor in self.actors.values():
            actor.key_cache.clear()
        self.changed_by: Counter = Counter()
        self.personal: dict[uuid.UUID, str] = {}  # personal item id -> who owns it
        self.org_items: list[uuid.UUID] = []
        self.billing_seen_by: Counter = Counter()
        self.personal_seen_by_staff: list = []

    def teardown(self) -> None:
        with self.db.read() as s:  # S8: the chain verifies (checked once per run: it only grows)
            result = events.verify_chain(s)
            details = " ".join(d for d in s.execute(select(Event.detail)).scalars() if d)
        assert result.ok, result.problem
        assert SECRET not in details  # S3: no event's detail carries a personal item's name
        self.db.dispose()
        for suffix in ("", "-wal"):  # S3: nor does the database file, read directly
            p = Path(str(self.path) + suffix)
            if p.exists():
                assert SECRET.encode() not in p.read_bytes()
        for suffix in ("", "-wal", "-shm", ".checkpoint"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    # --- running one action -----------------------------------------------------------------

    def attempt(self, who: str, fn, *args, own: bool = False, **kwargs):
        """Run one action; `own` marks a change to the actor's own personal vault (anyone may)."""
        actor = self.actors[who]
        before, events_before = fingerprint(self.db), event_count(self.db)
        try:
            result = fn(self.db, actor, *args, **kwargs)
        except MspError as exc:
            assert exc.message
            assert fingerprint(self.db) == before, f"{fn.__name__} by {who} was refused but changed rows"
            assert event_count(self.db) == events_before, f"{fn.__name__} by {who} was refused but wrote events"
            self.tally[f"refused:{type(exc).__name__}"] += 1
            return None
        changed = fingerprint(self.db) != before
        written = event_count(self.db) - events_before
        if changed:  # S8: a change always comes with its event
            assert written >= 1, f"{fn.__name__} by {who} changed rows without an event"
            if not own:
                self.changed_by[who] += 1
            self.tally["changed"] += 1
        else:
            self.tally["no-op"] += 1
        return result

    def client(self, index: int) -> uuid.UUID:
        return self.client_ids[index % len(self.client_ids)]

    # --- the actions --------------------------------------------------------------------------

    @rule(who=st.sampled_from(ACTORS), name=st.sampled_from(CLIENT_NAMES), seats=st.integers(1, 12))
    def create_client(self, who, name, seats):
        view = self.attempt(who, clients.create_client, name=name, plan="enterprise-monthly", seats=seats,
                            owner_email="owner@contoso.example")
        if view is not None:
            self.client_ids.append(view.id)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), name=st.sampled_from(CLIENT_NAMES),
          stale=st.booleans())
    def rename_client(self, who, i, name, stale):
        version = None
        if stale:
            with self.db.read() as s:
                from msp_tui.core.models import Organization

                version = s.get(Organization, self.client(i)).version - 1
        self.attempt(who, clients.rename, self.client(i), name, expected_version=version)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), seats=st.integers(0, 15))
    def change_seats(self, who, i, seats):
        self.attempt(who, clients.change_seats, self.client(i), seats)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5),
          emails=st.lists(st.sampled_from(MEMBER_EMAILS), min_size=1, max_size=3),
          role=st.sampled_from(["user", "admin", "owner", "custom"]))
    def invite_members(self, who, i, emails, role):
        self.attempt(who, members.invite, self.client(i), emails, role)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), email=st.sampled_from(MEMBER_EMAILS),
          how=st.sampled_from(["revoke", "restore", "remove", "confirm", "reinvite"]))
    def member_status(self, who, i, email, how):
        self.attempt(who, getattr(members, how), self.client(i), [email])

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), email=st.sampled_from(MEMBER_EMAILS),
          role=st.sampled_from(["user", "admin", "owner"]))
    def member_role(self, who, i, email, role):
        from msp_tui.core.enums import MemberRole

        self.attempt(who, members.change_role, self.client(i), [email], MemberRole[role.upper()])

    @rule(who=st.sampled_from(ACTORS), emails=st.lists(st.sampled_from(STAFF_EMAILS), min_size=1, max_size=2),
          role=st.sampled_from(["admin", "service"]))
    def invite_staff(self, who, emails, role):
        self.attempt(who, staff.invite, emails, role)

    @rule(who=st.sampled_from(ACTORS), email=st.sampled_from(STAFF_EMAILS),
          how=st.sampled_from(["confirm", "remove", "admin", "service"]))
    def staff_change(self, who, email, how):
        if how in ("admin", "service"):
            self.attempt(who, staff.change_role, email, how)
        else:
            self.attempt(who, getattr(staff, how), email)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), name=st.sampled_from(["Helpdesk", "[i]Ops[/i]"]))
    def create_group(self, who, i, name):
        self.attempt(who, groups.create_group, self.client(i), name)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5))
    def unlink_client(self, who, i):
        self.attempt(who, clients.unlink, self.client(i))

    # --- the vault (S3) --------------------------------------------------------------------------

    def _staff_got(self, who: str, found) -> None:
        """Note any personal item (not the actor's own) that reached a provider staff member."""
        if who not in STAFF or found is None:
            return
        text = json.dumps(found, default=lambda o: getattr(o, "__dict__", str(o)))
        ids = {str(i) for i, owner in self.personal.items() if owner != who}
        if any(i in text for i in ids) or any(
                f"{SECRET} {owner}" in text for owner in set(self.personal.values()) if owner != who):
            self.personal_seen_by_staff.append((who, text[:200]))

    @rule(who=st.sampled_from(ACTORS))
    def create_personal_item(self, who):
        view = self.attempt(who, vault.create_item, type="login", name=f"{SECRET} {who}",
                            fields={"username": who, "password": f"{SECRET}-pw"}, personal=True, own=True)
        if view is not None:
            self.personal[view.id] = who

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5))
    def create_client_item(self, who, i):
        view = self.attempt(who, vault.create_item, type="login", name="Router admin",
                            fields={"username": "admin", "password": "client-pw"}, client=self.client(i))
        if view is not None:
            self.org_items.append(view.id)

    @rule(who=st.sampled_from(ACTORS), k=st.integers(0, 20), how=st.sampled_from(["view", "reveal", "edit"]))
    def use_an_item(self, who, k, how):
        ids = list(self.personal) + self.org_items
        if not ids:
            return
        ref = ids[k % len(ids)]
        if how == "view":
            found = self.attempt(who, vault.view_item, ref)
        elif how == "reveal":
            found = self.attempt(who, vault.reveal, ref, "password", master_password=PASSWORD)
            if found is not None and ref in self.personal:
                found = f"{SECRET} {self.personal[ref]}" if self.personal[ref] != who else None
        else:
            found = self.attempt(who, vault.edit_item, ref, name="Renamed item",
                                 own=self.personal.get(ref) == who)
        if found is not None and ref in self.personal and self.personal[ref] != who:
            self.personal_seen_by_staff.append((who, f"{how} of someone else's personal item {ref}"))
        self._staff_got(who, found)

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), how=st.sampled_from(["open", "export", "personal"]))
    def list_a_vault(self, who, i, how):
        if how == "open":
            found = self.attempt(who, vault.open_vault, self.client(i))
        elif how == "export":
            found = self.attempt(who, vault.export_items, self.client(i), master_password=PASSWORD)
        else:
            found = self.attempt(who, vault.list_personal)
            if found is not None:
                assert {v.id for v in found} <= {i for i, o in self.personal.items() if o == who}
        self._staff_got(who, found)

    # --- billing (S9) --------------------------------------------------------------------------

    @rule(who=st.sampled_from(ACTORS), i=st.integers(0, 5), what=st.sampled_from(BILLING_READS))
    def read_billing(self, who, i, what):
        fn = getattr(billing, what)
        args = (self.client(i),) if what in ("client_billing", "client_invoice") else ()
        if self.attempt(who, fn, *args) is not None:
            self.billing_seen_by[who] += 1

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def S3_no_staff_member_reads_a_personal_item(self):
        assert self.personal_seen_by_staff == []

    @invariant()
    def S9_no_one_outside_the_provider_sees_billing(self):
        assert not any(self.billing_seen_by[w] for w in OUTSIDERS), dict(self.billing_seen_by)

    @invariant()
    def S5_a_confirmed_provider_admin_remains(self):
        with self.db.read() as s:
            provider_id = self.actors["admin"].provider_id
            assert staff.confirmed_admin_count(s, provider_id) >= 1

    @invariant()
    def S8_the_chain_head_counts_every_event(self):
        with self.db.read() as s:
            assert s.get(EventChainHead, 1).count == event_count(self.db)

    @invariant()
    def no_standing_no_change(self):  # beyond their own personal vault
        assert self.changed_by["stranger"] == 0
        assert self.changed_by["member"] == 0



@pytest.fixture(scope="module")
def machine_world(tmp_path_factory, sqlite_template):
    workdir = tmp_path_factory.mktemp("stateful")
    template = workdir / "template.db"
    shutil.copy(sqlite_template, template)
    actors, first = build_template(template)
    return workdir, template, actors, first


def _run(machine_world, examples: int, steps: int) -> Counter:
    workdir, template, actors, first = machine_world
    tally: Counter = Counter()
    AccessMachine.template, AccessMachine.actors, AccessMachine.first_client = template, actors, first
    AccessMachine.workdir, AccessMachine.tally = workdir, tally
    run_state_machine_as_test(AccessMachine, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    return tally


def test_S3_S5_S8_S9_access_holds_under_random_use(machine_world):
    tally = _run(machine_world, examples=10, steps=15)
    print("\nFIGURES", dict(tally))
    assert tally["changed"] > 0 and sum(v for k, v in tally.items() if k.startswith("refused")) > 0


@pytest.mark.slow
def test_S3_S5_S8_S9_access_holds_under_long_random_use(machine_world):
    tally = _run(machine_world, examples=20, steps=20)
    print("\nFIGURES", dict(tally))
