"""Crashes: a process killed with SIGKILL at a random moment of a bulk operation leaves a database
that passes `PRAGMA integrity_check`, holds each transaction whole or not at all, and whose event
chain verifies (also against the checkpoint file the processes wrote outside it).

Children are forked from the test process (the imports are done once), each opens the database
itself, and is killed mid-work. The full runs (20 kills each) are marked slow.

Figures: `pytest tests/core/test_crash.py -s` prints them.
"""

from __future__ import annotations

import contextlib

import json
import multiprocessing
import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from msp_tui.core import checkpoint, demo, events
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType
from msp_tui.core.models import (Account, Client, Collection, Event, Member, Organization, Provider, SeatChange,
                                 Staff)
from msp_tui.core.services import clients
from tests.conftest import make_provider, new_pg

FORK = multiprocessing.get_context("fork")
BULK = "@batch.example"


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or path.stat().st_size == 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"the child never started ({path})")
        time.sleep(0.005)


def _kill(proc, delay: float) -> None:
    time.sleep(delay)
    if proc.is_alive():
        os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)


def integrity_and_chain(path) -> tuple[int, bool]:
    """Integrity check, foreign keys, and the chain (with its checkpoint when one was written)."""
    db = Database(path)
    try:
        assert db.check() == []
        cp_path = checkpoint.default_path(db)
        cp = checkpoint.read_checkpoint(cp_path) if cp_path and cp_path.exists() else None
        with db.read() as s:
            result = events.verify_chain(s, checkpoint=cp)
            assert result.ok, result.problem
            return result.count, cp is not None
    finally:
        db.dispose()


# --- bulk member invites: 20 emails in one transaction, over and over -----------------------------


def _bulk_invite_child(path: str, actor, client_id, seed: int, progress: str) -> None:
    from msp_tui.core.services import members

    db = Database(path)
    with open(progress, "a", encoding="utf-8") as log:
        b = 0
        while True:
            tag = f"s{seed}b{b}"
            log.write(f"begin {tag}\n")
            log.flush()
            members.invite(db, actor, client_id, [f"{tag}-{j}{BULK}" for j in range(20)])
            log.write(f"done {tag}\n")
            log.flush()
            b += 1


def _check_bulk(path, client_id) -> Counter:
    db = Database(path)
    try:
        with db.read() as s:
            emails = s.execute(select(Member.email).where(Member.email.like(f"%{BULK}"))).scalars().all()
            invited = [json.loads(d)["email"] for d in s.execute(select(Event.detail).where(
                Event.type == int(EventType.MEMBER_INVITED))).scalars()]
            org = s.get(Organization, client_id)
            occupied = s.execute(select(func.count()).select_from(Member).where(
                Member.organization_id == client_id)).scalar_one()
    finally:
        db.dispose()
    by_batch = Counter(e.split("-")[0] for e in emails)
    assert set(by_batch.values()) <= {20}, by_batch  # a batch is all there or not there at all
    assert Counter(e.split("-")[0] for e in invited if e.endswith(BULK)) == by_batch  # with its events
    assert org.occupied_seats == occupied
    return by_batch


def run_bulk_invite_kills(tmp_path, template, kills: int, seed: int = 1, pg_server=None) -> dict:
    """Kill a process looping over bulk invites `kills` times; check the database after each kill.
    `path` is a SQLite file, or a PostgreSQL URL when a server is given."""
    if pg_server is None:
        path = tmp_path / "bulk.db"
        shutil.copy(template, path)
        db = Database(path)
    else:
        db = new_pg(pg_server)
        path = db.url.render_as_string(hide_password=False)
    admin = make_provider(db)
    org = clients.create_client(db, admin, name="Bulk Co", plan="enterprise-monthly", seats=100_000,
                                owner_email="owner@bulk.example")
    db.dispose()
    rng = random.Random(seed)
    rolled_back = committed_before_log = 0
    for k in range(kills):
        progress = tmp_path / f"progress-{k}.log"
        proc = FORK.Process(target=_bulk_invite_child, args=(str(path), admin, org.id, k, str(progress)))
        proc.start()
        _wait_for(progress)
        _kill(proc, rng.uniform(0.0, 0.4))
        assert proc.exitcode == -signal.SIGKILL
        integrity_and_chain(path)
        batches = _check_bulk(path, org.id)
        lines = progress.read_text().splitlines()
        last = lines[-1].split()
        if last[0] == "begin":  # killed inside invite(): rolled back, or committed just before the log line
            if batches[last[1]] == 0:
                rolled_back += 1
            else:
                committed_before_log += 1
    count, _ = integrity_and_chain(path)
    return dict(operation="bulk member invite (20 emails per transaction)", kills=kills,
                backend="sqlite" if pg_server is None else "postgresql",
                killed_inside_invite_rolled_back=rolled_back, killed_after_commit=committed_before_log,
                batches_landed=len(batches), events=count)


# --- a policy template applied to many clients (one transaction per client) --------------------------

TEMPLATES = {
    "Strict": {"single-org": True, "master-password": (True, {"min_length": 16}),
               "vault-timeout": (True, {"minutes": 60, "action": "lock"})},
    "Relaxed": {"single-org": True, "master-password": (True, {"min_length": 12}),
                "vault-timeout": (True, {"minutes": 480, "action": "logOut"})},
}


def _apply_templates_child(path: str, actor, progress: str) -> None:
    from msp_tui.core.services import policy_templates as pt

    db = Database(path)
    with open(progress, "a", encoding="utf-8") as log:
        while True:
            for name in TEMPLATES:
                log.write(f"begin {name}\n")
                log.flush()
                pt.apply_template(db, actor, name, all_clients=True, dry_run=False)


def _check_templates(path) -> Counter:
    """Each client holds exactly one template's policies (whole), matching its template link."""
    from msp_tui.core.models import ClientTemplate, Policy, PolicyTemplate, PolicyTemplateItem

    db = Database(path)
    states = Counter()
    try:
        with db.read() as s:
            items: dict = {}
            for it in s.execute(select(PolicyTemplateItem)).scalars():
                items.setdefault(it.template_id, {})[it.type] = (it.enabled, it.data)
            links = dict(s.execute(select(ClientTemplate.organization_id, ClientTemplate.template_id)).all())
            names = dict(s.execute(select(PolicyTemplate.id, PolicyTemplate.name)).all())
            rows: dict = {}
            for p in s.execute(select(Policy)).scalars():
                rows.setdefault(p.organization_id, {})[p.type] = (p.enabled, p.data)
            for org_id in s.execute(select(Client.organization_id)).scalars():
                template = links.get(org_id)
                if template is None:
                    assert rows.get(org_id, {}) == {}, "policies without the template that set them"
                    states["untouched"] += 1
                else:
                    assert rows.get(org_id) == items[template], "a client holds half of a template"
                    states[names[template]] += 1
    finally:
        db.dispose()
    return states


def run_template_kills(tmp_path, template, kills: int, clients_n: int = 30, seed: int = 3) -> dict:
    from msp_tui.core.services import policy_templates as pt

    path = tmp_path / "templates.db"
    shutil.copy(template, path)
    db = Database(path)
    admin = make_provider(db)
    for i in range(clients_n):
        clients.create_client(db, admin, name=f"Client {i:02d}", plan="enterprise-monthly", seats=5,
                              owner_email=f"owner{i}@client.example")
    for name, spec in TEMPLATES.items():
        pt.create_template(db, admin, name, spec)
    db.dispose()
    rng = random.Random(seed)
    mixed = 0
    for k in range(kills):
        progress = tmp_path / f"templates-{k}.log"
        proc = FORK.Process(target=_apply_templates_child, args=(str(path), admin, str(progress)))
        proc.start()
        _wait_for(progress)
        _kill(proc, rng.uniform(0.0, 1.2))
        integrity_and_chain(path)
        states = _check_templates(path)
        if len([v for k_, v in states.items() if k_ != "untouched"]) > 1:
            mixed += 1  # killed part-way through a run: some clients have the new template, some the old
    return dict(operation=f"policy template applied to {clients_n} clients", kills=kills,
                killed_part_way_through_a_run=mixed, final_state=dict(states))


# --- demo generation -----------------------------------------------------------------------------------


DEMO_CLIENTS = 12
STAGE_TABLES = (Provider, Staff, Account, Organization, Client, Member, Collection, SeatChange, Event)


def _counts(db) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one() for t in STAGE_TABLES)


class _StageRecorder:
    """Stands in for the checkpointer: notes the table counts after every committed write."""

    def __init__(self, db) -> None:
        self.db, self.stages = db, []

    def after_write(self, session) -> None:
        self.stages.append(_counts(self.db))

    def paused(self):  # the demo's bulk events: still one stage per committed batch
        return contextlib.nullcontext()

    def vouch_own(self, *_args) -> None:
        pass

    def vouched_through(self, _session) -> int:  # a sign-in in the demo (Tara's break-glass request)
        return 0


def _demo_child(path: str, started: str) -> None:
    Path(started).write_text("go")
    demo.build(Database(path), clients=DEMO_CLIENTS)


def demo_stages(tmp_path, template) -> tuple[list, float]:
    """Every state a whole number of the demo's transactions leaves (in order), and a build's time."""
    path = tmp_path / "reference.db"
    shutil.copy(template, path)
    db = Database(path)
    recorder = _StageRecorder(db)
    db.checkpointer = recorder
    started = time.monotonic()
    demo.build(db, clients=DEMO_CLIENTS)
    took = time.monotonic() - started
    stages = [(0,) * len(STAGE_TABLES), *recorder.stages]
    db.dispose()
    return stages, took


def run_demo_kills(tmp_path, template, kills: int, seed: int = 2) -> dict:
    stages, took = demo_stages(tmp_path, template)
    rng = random.Random(seed)
    seen = Counter()
    for k in range(kills):
        path = tmp_path / f"demo-{k}.db"
        shutil.copy(template, path)
        started = tmp_path / f"demo-{k}.started"
        proc = FORK.Process(target=_demo_child, args=(str(path), str(started)))
        proc.start()
        _wait_for(started)
        _kill(proc, rng.uniform(0.0, took * 1.1))
        integrity_and_chain(path)
        db = Database(path)
        state = _counts(db)
        db.dispose()
        assert state in stages, f"a half-written transaction: {state} is not one of {stages}"
        seen[stages.index(state)] += 1
    return dict(operation=f"demo generation ({DEMO_CLIENTS} clients)", kills=kills, transactions=len(stages) - 1,
                stopped_after_transaction=dict(sorted(seen.items())), build_seconds=round(took, 2))


def test_crash_during_bulk_invite_loses_no_half_transaction(tmp_path, sqlite_template):
    figures = run_bulk_invite_kills(tmp_path, sqlite_template, kills=3)
    print("\nFIGURES", json.dumps(figures))


def test_crash_during_demo_generation_leaves_whole_transactions(tmp_path, sqlite_template):
    figures = run_demo_kills(tmp_path, sqlite_template, kills=3)
    print("\nFIGURES", json.dumps(figures))


def test_crash_while_applying_a_template_to_many_clients(tmp_path, sqlite_template):
    figures = run_template_kills(tmp_path, sqlite_template, kills=3)
    print("\nFIGURES", json.dumps(figures))


@pytest.mark.slow
def test_crash_twenty_kills_while_applying_templates(tmp_path, sqlite_template):
    figures = run_template_kills(tmp_path, sqlite_template, kills=20, seed=13)
    print("\nFIGURES", json.dumps(figures))
    assert figures["killed_part_way_through_a_run"] > 0


@pytest.mark.postgres
def test_crash_during_bulk_invite_on_postgresql(tmp_path, sqlite_template, pg_server):
    figures = run_bulk_invite_kills(tmp_path, sqlite_template, kills=5, pg_server=pg_server)
    print("\nFIGURES", json.dumps(figures))


@pytest.mark.slow
def test_crash_twenty_kills_during_bulk_invites(tmp_path, sqlite_template):
    figures = run_bulk_invite_kills(tmp_path, sqlite_template, kills=20, seed=11)
    print("\nFIGURES", json.dumps(figures))
    assert figures["killed_inside_invite_rolled_back"] > 0  # some kills did land inside a transaction


@pytest.mark.slow
def test_crash_twenty_kills_during_demo_generation(tmp_path, sqlite_template):
    figures = run_demo_kills(tmp_path, sqlite_template, kills=20, seed=12)
    print("\nFIGURES", json.dumps(figures))
    assert len(figures["stopped_after_transaction"]) > 1  # the kills fell at different points
