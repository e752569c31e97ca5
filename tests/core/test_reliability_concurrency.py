"""Staff working at once (PRODUCT.md §9): several processes make mixed changes on one database.

No error reaches a person, every change has exactly one event, no update is lost, and a stale edit
is refused with a message naming who changed the row. The full run (8 processes x 200 changes) is
marked slow; a short run (2 x 20) always runs. Both run on SQLite and on PostgreSQL; 16 x 200 runs on
PostgreSQL (slow). Each figure gives the landed writes' p50/p95 latency (the write call alone, not the
read and the think time before it); scenario 15 of `make bench` reports them.

Figures: `pytest tests/core/test_reliability_concurrency.py -s -m slow` prints them.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from msp_tui.core import checkpoint, events
from msp_tui.core.enums import EventType
from msp_tui.core.errors import StaleEdit
from msp_tui.core.models import Event, Member, Organization, Policy, Staff
from msp_tui.core.services import accounts, clients, staff
from tests.conftest import PASSWORD, make_provider

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ["Alpha Dental", "Bravo Legal", "Charlie Labs", "Delta Motors"]
POOL = [f"pool-{k}@msp.example" for k in range(6)]
ADMINS = {"ada@msp.example": "Ada Admin", "grace@msp.example": "Grace Hopper"}
STALE = re.compile(r"was changed by (Ada Admin|Grace Hopper) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
                   r"after you opened it")


# --- the worker (runs in its own process) ------------------------------------------------------


def _worker(url: str, tag: str, email: str, n: int, seed: int, ids: list[str]) -> dict:
    from msp_tui.core.db import Database
    from msp_tui.core.errors import MspError
    from msp_tui.core.errors import StaleEdit as Stale
    from sqlalchemy import select as sel

    from msp_tui.core.models import Policy
    from msp_tui.core.services import accounts, clients as cl, members, policies as pol, staff as st

    rng = random.Random(seed)
    db = Database(url)
    actor = accounts.sign_in(db, email, PASSWORD)
    out = {"attempted": 0, "landed": Counter(), "stale": 0, "refused": Counter(), "errors": [], "noop": 0,
           "policies": [],
           "invites": [], "staff_invites": [], "edits": [], "roles": [], "stale_messages": [], "latency": []}
    for i in range(n):
        kind = rng.choices(["invite", "seats", "rename", "staff_invite", "role", "policy"],
                           [30, 15, 15, 10, 15, 15])[0]
        cid = rng.choice(ids)
        think = rng.random() < 0.5
        out["attempted"] += 1
        started = None  # when the write itself began (after reading and thinking)
        try:
            if kind == "invite":
                e = f"{tag}-{i}@client.example"
                started = time.perf_counter()
                members.invite(db, actor, cid, [e])
                out["invites"].append(e)
            elif kind in ("seats", "rename"):
                seen = cl.get_client(db, actor, cid)
                if think:
                    time.sleep(rng.random() * 0.02)  # a person looking at the screen before saving
                started = time.perf_counter()
                if kind == "seats":
                    new = seen.seats + rng.choice([1, -1])
                    view = cl.change_seats(db, actor, cid, new, expected_version=seen.version)
                    out["edits"].append([cid, view.version, "seats", new])
                else:
                    new = f"{CLIENTS[ids.index(cid)]} {tag}-{i}"
                    view = cl.rename(db, actor, cid, new, expected_version=seen.version)
                    out["edits"].append([cid, view.version, "name", new])
            elif kind == "policy":
                with db.read() as s:
                    version = s.execute(sel(Policy.version).where(
                        Policy.organization_id == uuid.UUID(cid), Policy.type == 1)).scalar() or 0
                if think:
                    time.sleep(rng.random() * 0.02)
                length = 12 + (i * 7 + seed) % 100  # differs from the last value this worker wrote
                started = time.perf_counter()
                change = pol.set_policy(db, actor, cid, "master-password", enabled=True,
                                        options={"min_length": length}, expected_version=version)
                if not change.changed:
                    out["noop"] += 1
                    continue
                out["policies"].append([cid, change.policy.version, length])
            elif kind == "staff_invite":
                e = f"staff-{tag}-{i}@msp.example"
                started = time.perf_counter()
                st.invite(db, actor, [e], "service")
                out["staff_invites"].append(e)
            else:
                who = rng.choice(POOL)
                with db.read() as s:
                    row = st.find_staff(s, actor.provider_id, who)
                    role, version = row.role, row.version
                if think:
                    time.sleep(rng.random() * 0.02)
                new_role = "admin" if role == 1 else "service"  # StaffRole: 0 admin, 1 service user
                started = time.perf_counter()
                view = st.change_role(db, actor, who, new_role, expected_version=version)
                out["roles"].append([who, view.version, int(view.role)])
            out["landed"][kind] += 1
            out["latency"].append(time.perf_counter() - started)
        except Stale as exc:
            out["stale"] += 1
            if len(out["stale_messages"]) < 5:
                out["stale_messages"].append(exc.message)
        except MspError as exc:  # a refusal a person reads: counted, not an error
            out["refused"][getattr(exc, "rule", type(exc).__name__)] += 1
        except Exception as exc:  # noqa: BLE001 - anything else would reach a person as a crash
            out["errors"].append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
    db.dispose()
    return out


def worker_main() -> None:
    url, tag, email, n, seed, ids = sys.argv[1:7]
    print(json.dumps(_worker(url, tag, email, int(n), int(seed), ids.split(","))))


# --- setting up and checking --------------------------------------------------------------------


def setup_provider(db):
    admin = make_provider(db)
    secret = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets["grace@msp.example"]
    accounts.accept_invitations(db, email="grace@msp.example", secret=secret, password=PASSWORD,
                                name="Grace Hopper")
    staff.confirm(db, admin, "grace@msp.example")
    for name in CLIENTS:
        clients.create_client(db, admin, name=name, plan="enterprise-monthly", seats=2000,
                              owner_email=f"owner@{name.split()[0].lower()}.example")
    staff.invite(db, admin, POOL, "service")
    return admin


def event_counts(db) -> Counter:
    with db.read() as s:
        return Counter(dict(s.execute(select(Event.type, func.count()).group_by(Event.type)).all()))


def details(db, type_: EventType) -> list[dict]:
    with db.read() as s:
        return [json.loads(d) for d in s.execute(select(Event.detail).where(Event.type == int(type_))).scalars()]


def run_workers(db, processes: int, changes: int) -> dict:
    admin = setup_provider(db)
    ids = ",".join(str(clients.get_client(db, admin, name).id) for name in CLIENTS)
    before = event_counts(db)
    url = db.url.render_as_string(hide_password=False)
    emails = list(ADMINS)
    started = time.monotonic()
    procs = [subprocess.Popen(
        [sys.executable, "-c", "from tests.core.test_reliability_concurrency import worker_main; worker_main()",
         url, f"w{k}", emails[k % 2], str(changes), str(1000 + k), ids],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(processes)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        assert "locked" not in err and "Traceback" not in err, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.monotonic() - started
    after = event_counts(db)
    return dict(admin=admin, before=before, after=after, results=results, elapsed=elapsed)


def check_run(db, run: dict, processes: int, changes: int) -> dict:
    results = run["results"]
    landed = Counter()
    for r in results:
        landed.update(r["landed"])
    errors = [e for r in results for e in r["errors"]]
    assert errors == [], errors[:5]  # no error reaches a person
    attempted = sum(r["attempted"] for r in results)
    stale = sum(r["stale"] for r in results)
    refused = sum(sum(r["refused"].values()) for r in results)
    assert attempted == processes * changes
    noop = sum(r["noop"] for r in results)  # a policy saved with the value it already had: no change
    assert attempted == sum(landed.values()) + stale + refused + noop

    # Exactly one event per landed change (sign-ins add one USER_LOGGED_IN per process).
    delta = run["after"] - run["before"]
    assert delta[int(EventType.MEMBER_INVITED)] == landed["invite"]
    assert delta[int(EventType.ORGANIZATION_UPDATED)] == landed["seats"] + landed["rename"]
    assert delta[int(EventType.STAFF_INVITED)] == landed["staff_invite"]
    assert delta[int(EventType.STAFF_UPDATED)] == landed["role"]
    assert delta[int(EventType.POLICY_UPDATED)] == landed["policy"]
    assert delta[int(EventType.USER_LOGGED_IN)] == processes
    assert sum(delta.values()) == sum(landed.values()) + processes

    # ... and the event is the one for that change.
    invited = [e for r in results for e in r["invites"]]
    by_email = Counter(d["email"] for d in details(db, EventType.MEMBER_INVITED))
    assert all(by_email[e] == 1 for e in invited)
    with db.read() as s:
        rows = s.execute(select(Member.email).where(Member.email.like("%@client.example"))).scalars().all()
        assert sorted(rows) == sorted(invited)  # every landed invite is a member, and nothing else is
    staff_invited = [e for r in results for e in r["staff_invites"]]
    by_staff = Counter(d["email"] for d in details(db, EventType.STAFF_INVITED))
    assert all(by_staff[e] == 1 for e in staff_invited)
    renamed = Counter(d["name"][1] for d in details(db, EventType.ORGANIZATION_UPDATED) if "name" in d)
    names = [e[3] for r in results for e in r["edits"] if e[2] == "name"]
    assert all(renamed[n] == 1 for n in names) and len(names) == len(set(names))

    # No lost update: each landed edit produced its own version; the row shows the last one.
    with db.read() as s:
        for org in s.execute(select(Organization)).scalars():
            edits = sorted((e for r in results for e in r["edits"] if e[0] == str(org.id)),
                           key=lambda e: e[1])
            if not edits:
                continue
            versions = [e[1] for e in edits]
            assert versions == list(range(versions[0], versions[0] + len(versions))), versions
            assert org.version == versions[-1]
            last_name = [e[3] for e in edits if e[2] == "name"]
            last_seats = [e[3] for e in edits if e[2] == "seats"]
            if last_name:
                assert org.name == last_name[-1]
            if last_seats:
                assert org.seats == last_seats[-1]
            members = s.execute(select(func.count()).select_from(Member).where(
                Member.organization_id == org.id)).scalar_one()
            assert org.occupied_seats == members  # the seat counter kept up with every invite
        for org_id in {e[0] for r in results for e in r["policies"]}:
            saved = sorted((e for r in results for e in r["policies"] if e[0] == org_id), key=lambda e: e[1])
            row = s.execute(select(Policy).where(Policy.organization_id == uuid.UUID(org_id),
                                                 Policy.type == 1)).scalar_one()
            assert [e[1] for e in saved] == list(range(1, 1 + len(saved)))  # no two saves on one version
            assert row.version == saved[-1][1] and json.loads(row.data)["minLength"] == saved[-1][2]
        for who in POOL:
            changes_ = sorted((e for r in results for e in r["roles"] if e[0] == who), key=lambda e: e[1])
            row = s.execute(select(Staff).where(Staff.email == who)).scalar_one()
            assert row.version == 1 + len(changes_)
            assert [e[1] for e in changes_] == list(range(2, 2 + len(changes_)))
            if changes_:
                assert row.role == changes_[-1][2]
        assert events.verify_chain(s).ok
        state = checkpoint.chain_state(s)

    # Stale edits are refused naming who changed the row.
    messages = [m for r in results for m in r["stale_messages"]]
    assert all(STALE.search(m) for m in messages), messages[:3]
    cp_path = checkpoint.default_path(db)
    if cp_path is not None:
        assert checkpoint.read_checkpoint(cp_path) == state  # processes appended checkpoints side by side

    latency = sorted(t for r in results for t in r["latency"])  # each landed write, in seconds
    figures = dict(backend=db.url.get_backend_name(), processes=processes, attempted=attempted,
                   landed=sum(landed.values()), by_kind=dict(landed), events=sum(delta.values()) - processes,
                   conflicts_refused=stale, other_refusals=refused, errors=len(errors),
                   seconds=round(run["elapsed"], 1),
                   p50_ms=round(1000 * latency[len(latency) // 2], 1),
                   p95_ms=round(1000 * latency[min(len(latency) - 1, int(len(latency) * 0.95))], 1))
    print("\nFIGURES", json.dumps(figures))
    return figures


def _run(db, processes, changes):
    run = run_workers(db, processes, changes)
    figures = check_run(db, run, processes, changes)
    assert figures["landed"] > 0
    return figures


def test_staff_working_at_once_lose_nothing(db):
    _run(db, 2, 20)


@pytest.mark.slow
def test_eight_processes_two_hundred_changes_each(db):
    figures = _run(db, 8, 200)
    assert figures["conflicts_refused"] > 0  # the run did exercise stale edits


@pytest.mark.slow
@pytest.mark.postgres
def test_sixteen_processes_two_hundred_changes_each_on_postgresql(pg_server):
    """Many staff on PostgreSQL (issue 19), as if from several jump hosts at once."""
    from tests.conftest import new_pg

    db = new_pg(pg_server)
    try:
        figures = _run(db, 16, 200)
    finally:
        db.dispose()
    assert figures["conflicts_refused"] > 0 and figures["errors"] == 0


def test_stale_edit_is_refused_naming_who_changed_it(db):
    admin = setup_provider(db)
    grace = accounts.sign_in(db, "grace@msp.example", PASSWORD)
    seen = clients.get_client(db, admin, "Alpha Dental")
    clients.rename(db, grace, "Alpha Dental", "Alpha Dental Care", expected_version=seen.version)
    before = event_counts(db)
    with pytest.raises(StaleEdit) as refused:
        clients.change_seats(db, admin, seen.id, seen.seats + 5, expected_version=seen.version)
    assert "changed by Grace Hopper" in refused.value.message
    assert event_counts(db) == before
    assert clients.get_client(db, admin, seen.id).seats == seen.seats
    with db.read() as s:
        row = s.execute(select(Staff).where(Staff.email == POOL[0])).scalar_one()
        version = row.version
    staff.change_role(db, grace, POOL[0], "admin", expected_version=version)
    with pytest.raises(StaleEdit) as refused:
        staff.change_role(db, admin, POOL[0], "admin", expected_version=version)
    assert "Staff member pool-0@msp.example was changed by Grace Hopper" in refused.value.message

