"""B4: the event log is tamper-evident. Edits, deletions, insertions, reorderings and forgeries made
directly in the database are found and the event named; a cut tail is found against a checkpoint
kept outside the database. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import json
import shutil
import stat

import pytest
from sqlalchemy import create_engine, delete, func, select, text, update

from msp_tui.core import checkpoint, crypto, events
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType
from msp_tui.core.errors import AuthFailed
from msp_tui.core.models import Account, Event, EventChainHead
from msp_tui.core.services import accounts, clients, members, staff
from tests.conftest import make_provider, new_pg, new_sqlite
from tests.world import join

EV = Event.__table__
HEAD = EventChainHead.__table__


def build_log(db):
    """A short real log: two people signing their events, and one system event (a failed sign-in)."""
    admin = make_provider(db)
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=10,
                          owner_email="owner@contoso.example")
    secret = staff.invite(db, admin, ["svc@msp.example"], "service").secrets["svc@msp.example"]
    service = join(db, "svc@msp.example", secret)
    staff.confirm(db, admin, "svc@msp.example")
    service.provider_id = admin.provider_id
    members.invite(db, admin, "Contoso", ["a@contoso.example", "b@contoso.example"])
    clients.rename(db, service, "Contoso", "Contoso Ltd")
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, "svc@msp.example", "not the password at all")
    members.invite(db, service, "Contoso Ltd", ["c@contoso.example"])
    with db.read() as s:
        assert events.verify_chain(s).ok
        count = s.execute(select(func.count()).select_from(Event)).scalar_one()
    return admin, service, count


_copies = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory, sqlite_template):
    """The log is built once per backend (sign-ins cost Argon2 time); each test gets a copy."""
    if request.param == "sqlite":
        source = new_sqlite(tmp_path_factory.mktemp("tamper"), sqlite_template)
    else:
        server = request.getfixturevalue("pg_server")
        source = new_pg(server)
    admin, service, count = build_log(source)
    source.dispose()
    return request.param, source, admin, service, count


@pytest.fixture
def log(built, tmp_path):
    """(db, admin, service, count): a private copy of the built log."""
    kind, source, admin, service, count = built
    if kind == "sqlite":
        path = tmp_path / "copy.db"
        shutil.copy(source.url.database, path)
        db = Database(path)
    else:
        name = f"tamper_{next(_copies)}"
        engine = create_engine(source.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(text(f"CREATE DATABASE {name} TEMPLATE {source.url.database}"))
        engine.dispose()
        db = Database(source.url.set(database=name))
    admin.key_cache.clear()
    service.key_cache.clear()
    yield db, admin, service, count
    db.dispose()


def verify(db, **kw):
    with db.read() as s:
        return events.verify_chain(s, **kw)


def tamper(db, *statements):
    """Someone with write access to the database file or server, bypassing the program."""
    with db.engine.begin() as conn:
        for stmt in statements:
            conn.execute(stmt)


def row(db, event_id: int) -> dict:
    with db.engine.connect() as conn:
        return dict(conn.execute(select(EV).where(EV.c.id == event_id)).mappings().one())


def test_B4_untouched_log_verifies_against_its_own_checkpoint(log, tmp_path):
    db, _, _, count = log
    path = tmp_path / "log.checkpoint"
    cp = checkpoint.write_checkpoint(db, path, start=True)
    assert cp.count == count
    result = verify(db, checkpoint=checkpoint.read_checkpoint(path))
    assert result.ok and result.count == count and result.head_hash == cp.head


def test_B4_edited_event_is_detected_by_id(log):
    db, _, _, count = log
    detail = json.loads(row(db, 5)["detail"] or "{}")
    detail["email"] = "someone-else@msp.example"
    tamper(db, update(EV).where(EV.c.id == 5).values(detail=json.dumps(detail)))
    result = verify(db)
    assert not result.ok and result.event_id == 5
    assert "event 5 was altered" in result.problem


def test_B4_edited_date_of_a_signed_event_is_detected(log):
    db, _, _, _ = log
    old = row(db, 3)["date"]
    tamper(db, update(EV).where(EV.c.id == 3).values(date=old.replace(year=old.year - 1)))
    result = verify(db)
    assert not result.ok and result.event_id == 3


def test_B4_deleted_event_is_detected_by_id(log):
    db, _, _, count = log
    tamper(db, delete(EV).where(EV.c.id == 4))
    result = verify(db)
    assert not result.ok and result.event_id == 4
    assert "event 4 is missing" in result.problem


def test_B4_deleted_event_with_renumbering_is_detected(log):
    """The careful forger closes the gap: every later event moves down one place."""
    db, _, _, count = log
    stmts = [delete(EV).where(EV.c.id == 4)]
    stmts += [update(EV).where(EV.c.id == i).values(id=i - 1) for i in range(5, count + 1)]
    stmts.append(update(HEAD).values(last_event_id=count - 1, count=count - 1))
    tamper(db, *stmts)
    result = verify(db)
    assert not result.ok and result.event_id == 4
    assert "event 4 does not link" in result.problem


def test_B4_inserted_event_is_detected_by_id(log):
    """An event with no acting person slipped in between 6 and 7, hashed correctly but unsigned: it
    needed the provider's system key."""
    db, _, _, count = log
    stmts = [update(EV).where(EV.c.id == i).values(id=i + 1) for i in range(count, 6, -1)]
    prev = row(db, 6)
    forged = {c: prev[c] for c in events.CHAINED_FIELDS}
    forged.update(id=7, type=int(EventType.CLIENT_REMOVED), acting_account_id=None,
                  detail=json.dumps({"name": "Contoso"}))
    digest = events.chain_hash(prev["hash"], forged)
    stmts.append(EV.insert().values(**forged, prev_hash=prev["hash"], hash=digest, signature=None))
    tamper(db, *stmts)
    result = verify(db)
    assert not result.ok and result.event_id == 7
    assert "must be signed by the provider's system key" in result.problem
    result = verify(db, check_signatures=False)
    assert not result.ok and result.event_id == 8  # the displaced event no longer follows the forged one
    assert "event 8" in result.problem


def test_B4_reordered_events_are_detected_by_id(log):
    db, _, _, count = log
    tamper(db, update(EV).where(EV.c.id == 5).values(id=-5),
           update(EV).where(EV.c.id == 6).values(id=5),
           update(EV).where(EV.c.id == -5).values(id=6))
    result = verify(db)
    assert not result.ok and result.event_id == 5
    assert "event 5 does not link" in result.problem


def test_B4_event_forged_in_another_persons_name_is_detected(log):
    """The service user writes an event naming the admin as acting, signed with their own key."""
    db, admin, service, count = log
    impostor = Actor(account_id=admin.account_id, email=admin.email, name=admin.name,
                     provider_id=admin.provider_id, secrets=service.secrets)
    with db.write() as s:
        events.record(s, impostor, EventType.STAFF_REMOVED, provider_id=admin.provider_id,
                      detail={"email": "svc@msp.example"})
    result = verify(db)
    assert not result.ok and result.event_id == count + 1
    assert f"event {count + 1} has no valid signature" in result.problem


def test_B4_signature_removed_or_moved_is_detected(log):
    db, _, _, count = log
    tamper(db, update(EV).where(EV.c.id == 3).values(signature=None))
    result = verify(db)
    assert not result.ok and result.event_id == 3
    tamper(db, update(EV).where(EV.c.id == 3).values(signature=row(db, 4)["signature"]))
    assert verify(db).event_id == 3


def test_B4_changed_actor_is_detected(log):
    """Moving an event onto another person's account breaks its hash (the actor is chained)."""
    db, admin, service, count = log
    who = row(db, count)["acting_account_id"]
    other = admin.account_id if who == service.account_id else service.account_id
    tamper(db, update(EV).where(EV.c.id == count).values(acting_account_id=other))
    result = verify(db)
    assert not result.ok and result.event_id == count


def test_B4_cut_tail_is_detected_against_the_checkpoint(log, tmp_path):
    """Deleting the last events AND rewinding the chain head leaves a chain that is whole in
    itself; only the checkpoint written outside the database shows what is gone."""
    db, _, _, count = log
    path = tmp_path / "outside.checkpoint"
    checkpoint.write_checkpoint(db, path, start=True)
    last_kept = row(db, count - 3)
    tamper(db, delete(EV).where(EV.c.id > count - 3),
           update(HEAD).values(last_event_id=count - 3, count=count - 3, last_hash=last_kept["hash"]))
    assert verify(db).ok  # why the checkpoint is needed
    result = verify(db, checkpoint=checkpoint.read_checkpoint(path))
    assert not result.ok
    assert f"has {count - 3} events but the checkpoint recorded {count}" in result.problem


def test_B4_cut_tail_without_rewinding_the_head_is_detected(log):
    db, _, _, count = log
    tamper(db, delete(EV).where(EV.c.id == count))
    result = verify(db)
    assert not result.ok and "removed from the end" in result.problem


def test_B4_rewritten_tail_is_detected_against_the_checkpoint(log, tmp_path):
    """The forger rewrites the last event as an unsigned system event and re-hashes: the chain is
    consistent again, but the event lacks the system key's signature, and the checkpoint's head
    hash does not match either."""
    db, _, _, count = log
    path = tmp_path / "outside.checkpoint"
    checkpoint.write_checkpoint(db, path, start=True)
    last = row(db, count)
    forged = {c: last[c] for c in events.CHAINED_FIELDS}
    forged.update(acting_account_id=None, detail=json.dumps({"email": "nobody@else.example"}))
    digest = events.chain_hash(last["prev_hash"], forged)
    tamper(db, update(EV).where(EV.c.id == count).values(**forged, hash=digest, signature=None),
           update(HEAD).values(last_hash=digest))
    result = verify(db)
    assert not result.ok and result.event_id == count and "system key" in result.problem
    result = verify(db, checkpoint=checkpoint.read_checkpoint(path), check_signatures=False)
    assert not result.ok and result.event_id == count
    assert f"event {count} differs from the checkpoint" in result.problem


def test_B4_a_forged_key_does_not_hide_a_rewritten_signed_event(log):
    """Rewriting a signed event needs the actor's signing key: a fresh key pair substituted for the
    person's public key makes the forged event verify, but every other event signed by that person
    with the real key then fails (the first is named), and the next event no longer links."""
    db, admin, service, count = log
    fake_private, fake_public = crypto.new_ed25519()
    target = row(db, 3)
    assert target["acting_account_id"] == admin.account_id
    forged = {c: target[c] for c in events.CHAINED_FIELDS}
    forged["detail"] = json.dumps({"name": "Someone Else"})
    digest = events.chain_hash(target["prev_hash"], forged)
    tamper(db, update(EV).where(EV.c.id == 3).values(**forged, hash=digest,
                                                     signature=crypto.sign(fake_private, digest)),
           update(Account.__table__).where(Account.__table__.c.id == admin.account_id)
           .values(signing_public_key=fake_public))
    result = verify(db)
    assert not result.ok and result.event_id == 1  # the admin's first event, signed with the real key
    result = verify(db, check_signatures=False)
    assert not result.ok and result.event_id == 4  # event 4 no longer links to the rewritten event 3


def test_B4_program_writes_a_checkpoint_after_each_write(db, tmp_path):
    path = tmp_path / "auto.checkpoint"
    db.checkpointer.path = path
    _, _, count = build_log(db)
    found = checkpoint.read_checkpoints(path)
    assert [cp.count for cp in found] == sorted({cp.count for cp in found})  # one line per change
    assert found[-1].count == count
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with db.read() as s:
        assert checkpoint.chain_state(s) == checkpoint.read_checkpoint(path)
    assert verify(db, checkpoint=checkpoint.read_checkpoint(path)).ok


def test_B4_refused_change_writes_no_checkpoint(log, tmp_path):
    db, admin, _, count = log
    path = tmp_path / "auto.checkpoint"
    db.checkpointer.path = path
    db.checkpointer.last_count = None
    from msp_tui.core.errors import Refused

    with pytest.raises(Refused):
        staff.remove(db, admin, admin.email)  # nobody removes themselves (S5)
    assert not path.exists()
