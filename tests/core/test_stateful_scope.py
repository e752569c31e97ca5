"""S12 Scoped staff under random use: a Provider Admin creates clients and client groups, puts clients
in and out of groups, deletes groups and rescopes a technician, in random order; after every step the
technician (a Service User) reads everything they can - the clients home (with search), the client
count, the groups, the timeline and its export, health, drift, and each client by name - and never
gets anything of a client outside their scope, which this test models on its own (not through
core/scope.py). Naming a client outside it is refused with S12; inside it is allowed."""

from __future__ import annotations

import io
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from msp_tui.core.db import Database
from msp_tui.core.errors import MspError, Refused
from msp_tui.core.events import EventFilter
from msp_tui.core.services import client_groups as cg
from msp_tui.core.services import clients, health, policy_templates, staff, timeline
from tests.conftest import make_provider
from tests.world import join

GROUPS = ["Gold", "Silver", "North"]
TECH = "tech@msp.example"


def build_template(path: Path):
    db = Database(path)
    admin = make_provider(db)
    secret = staff.invite(db, admin, [TECH], "service").secrets[TECH]
    tech = join(db, TECH, secret)
    staff.confirm(db, admin, TECH)
    tech.provider_id = admin.provider_id
    db.dispose()
    return admin, tech


class ScopeMachine(RuleBasedStateMachine):
    template: Path
    admin: object
    tech: object
    workdir: Path

    def __init__(self) -> None:
        super().__init__()
        self.path = self.workdir / f"run-{uuid.uuid4().hex}.db"
        shutil.copy(self.template, self.path)
        self.db = Database(self.path)
        for a in (self.admin, self.tech):
            a.key_cache.clear()
        self.clients: dict[uuid.UUID, str] = {}  # org id -> name
        self.groups: dict[str, set] = {}  # the model: group name -> org ids
        self.scope: set[str] | None = None  # None: every client
        self.n = 0

    def teardown(self) -> None:
        self.db.dispose()
        for suffix in ("", "-wal", "-shm", ".checkpoint"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def visible(self) -> set:
        if self.scope is None:
            return set(self.clients)
        return set().union(*(self.groups.get(g, set()) for g in self.scope)) & set(self.clients)

    # --- the admin changes things -------------------------------------------------------------

    @rule()
    def create_client(self):
        self.n += 1
        name = f"Client {self.n:02d}"
        c = clients.create_client(self.db, self.admin, name=name, plan="enterprise-monthly", seats=3,
                                  owner_email=f"o{self.n}@c.example")
        self.clients[c.id] = name

    @rule(group=st.sampled_from(GROUPS))
    def create_group(self, group):
        if group in self.groups:
            return
        cg.create_client_group(self.db, self.admin, group)
        self.groups[group] = set()

    @precondition(lambda self: self.groups and self.clients)
    @rule(data=st.data())
    def put_in_group(self, data):
        group = data.draw(st.sampled_from(sorted(self.groups)))
        org = data.draw(st.sampled_from(sorted(self.clients)))
        cg.add_clients(self.db, self.admin, group, [org])
        self.groups[group].add(org)

    @precondition(lambda self: self.groups and self.clients)
    @rule(data=st.data())
    def take_out_of_group(self, data):
        group = data.draw(st.sampled_from(sorted(self.groups)))
        org = data.draw(st.sampled_from(sorted(self.clients)))
        cg.remove_clients(self.db, self.admin, group, [org])
        self.groups[group].discard(org)

    @precondition(lambda self: self.groups)
    @rule(data=st.data())
    def delete_group(self, data):
        group = data.draw(st.sampled_from(sorted(self.groups)))
        cg.delete_client_group(self.db, self.admin, group)
        del self.groups[group]
        if self.scope is not None:
            self.scope.discard(group)  # never widens: a scope left empty sees nothing

    @precondition(lambda self: self.groups)
    @rule(data=st.data())
    def scope_tech(self, data):
        chosen = data.draw(st.sets(st.sampled_from(sorted(self.groups)), min_size=1))
        cg.set_staff_scope(self.db, self.admin, TECH, sorted(chosen))
        self.scope = set(chosen)

    @rule()
    def unscope_tech(self):
        cg.set_staff_scope(self.db, self.admin, TECH, None)
        self.scope = None

    # --- after every step, the technician reads everything -------------------------------------

    @invariant()
    def S12_the_technician_reads_nothing_outside_the_scope(self):
        db, tech, visible = self.db, self.tech, self.visible()
        hidden = set(self.clients) - visible
        hidden_names = {self.clients[o] for o in hidden}
        listed = {c.id for c in clients.list_clients(db, tech, limit=500).rows}
        assert listed == visible
        for text in ("client 0", "1"):
            assert {c.id for c in clients.list_clients(db, tech, text=text, limit=500).rows} <= visible
        assert clients.count_clients(db, tech) == len(visible)
        for g in cg.list_client_groups(db, tech):
            assert self.scope is None or g.name in self.scope
            assert g.clients == len(self.groups[g.name] & visible)
        rows = timeline.page(db, timeline.scope_for(db, tech), EventFilter(), limit=500)
        assert {r.organization_id for r in rows} <= visible
        out = io.StringIO()
        timeline.export(db, timeline.scope_for(db, tech), EventFilter(), out, "csv")
        assert not any(name in out.getvalue() for name in hidden_names)
        report = health.report(db, tech, limit=None)
        assert {f.organization_id for f in report.findings if f.organization_id} <= visible
        assert {d.organization_id for d in policy_templates.drift_report(db, tech, include_clean=True)} <= visible
        for org, name in self.clients.items():
            if org in visible:
                clients.get_client(db, tech, name)
            else:
                with pytest.raises(Refused) as err:
                    clients.get_client(db, tech, name)
                assert err.value.rule == "S12"


@pytest.fixture(scope="module")
def scope_world(tmp_path_factory, sqlite_template):
    workdir = tmp_path_factory.mktemp("stateful-scope")
    template = workdir / "template.db"
    shutil.copy(sqlite_template, template)
    admin, tech = build_template(template)
    return workdir, template, admin, tech


def test_S12_no_scoped_technician_ever_reads_a_client_outside_their_scope(scope_world):
    ScopeMachine.workdir, ScopeMachine.template, ScopeMachine.admin, ScopeMachine.tech = scope_world
    run_state_machine_as_test(ScopeMachine, settings=settings(
        max_examples=8, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


_ = MspError
