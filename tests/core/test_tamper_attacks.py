"""Issue 15, attacks 1 and 9, performed as an intruder would: rows changed directly in the database
(SQLite file or PostgreSQL server), then the program used as usual through its command line.

Attack 1: the audit log verified after tampering, (a) a cut tail once three ordinary commands had
run, (b) a chain re-hashed with its actors removed. Attack 9: a Service User saw the Provider Admins'
sign-ins. Each test runs on SQLite and on PostgreSQL (with a checkpoint file: MSP_TUI_CHECKPOINT)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from msp_tui.cli import cli
from msp_tui.core import checkpoint, crypto, events
from msp_tui.core.errors import AuthFailed
from msp_tui.core.models import Account, Event, EventChainHead
from msp_tui.core.services import accounts, clients, staff, timeline
from tests.conftest import PASSWORD, make_provider
from tests.world import join

EV = Event.__table__
HEAD = EventChainHead.__table__
NO_WAIT = accounts.LoginThrottle(sleep=lambda _s: None)


@pytest.fixture
def cp_path(db, tmp_path, monkeypatch):
    """The program's own checkpoint file, for both backends (PostgreSQL has none by default)."""
    path = tmp_path / "events.checkpoint"
    monkeypatch.setenv("MSP_TUI_CHECKPOINT", str(path))
    monkeypatch.setenv("MSP_TUI_TEST_PW", PASSWORD)
    db.checkpointer = checkpoint.attach(db)
    return path


def url(db) -> str:
    return db.url.render_as_string(hide_password=False) if not db.is_sqlite else db.url.database


def run(db, *args, email="ada@msp.example"):
    return CliRunner().invoke(cli, ["--db", url(db), "--email", email, "--passwordenv", "MSP_TUI_TEST_PW",
                                    *args])


def build(db):
    admin = make_provider(db)
    for name in ("Contoso", "Fabrikam"):
        clients.create_client(db, admin, name=name, plan="teams-monthly", seats=3,
                              owner_email=f"o@{name.lower()}.example")
    with pytest.raises(AuthFailed):  # a system event: nobody is signed in when it is written
        accounts.sign_in(db, admin.email, "not the password", throttle=NO_WAIT)
    clients.rename(db, admin, "Contoso", "Contoso Ltd")
    return admin


def count_of(db) -> int:
    with db.engine.connect() as c:
        return c.execute(select(HEAD.c.count)).scalar_one()


def rows(db, first: int) -> list[dict]:
    with db.engine.connect() as c:
        return [dict(r) for r in c.execute(select(EV).where(EV.c.id >= first).order_by(EV.c.id)).mappings()]


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_attack1a_cut_tail_stays_broken_after_three_ordinary_commands(db, cp_path):
    build(db)
    ok = run(db, "events", "verify")
    assert ok.exit_code == 0, ok.output
    assert "OK " in ok.output
    count = count_of(db)
    with db.engine.begin() as c:  # delete the last three events and rewind the head to the new last row
        keep = c.execute(select(EV.c.hash).where(EV.c.id == count - 3)).scalar_one()
        c.execute(delete(EV).where(EV.c.id > count - 3))
        c.execute(update(HEAD).values(count=count - 3, last_event_id=count - 3, last_hash=keep))
    before = lines(cp_path)
    first = run(db, "events", "verify")
    assert first.exit_code == 1 and "BROKEN" in first.output, first.output
    for _ in range(3):  # each signs in: an event is written, but no checkpoint line vouches for it
        assert run(db, "clients", "list").exit_code == 0
    after = run(db, "events", "verify")
    assert after.exit_code == 1 and "BROKEN" in after.output, after.output
    assert lines(cp_path) == before  # nothing was appended over a chain that does not match the file


def _rehash_without_actors(db, first: int, new_detail: dict) -> None:
    """Rewrite event `first`'s detail, drop the actor of it and every later event, re-hash the chain."""
    chain = rows(db, first)
    prev = chain[0]["prev_hash"]
    with db.engine.begin() as c:
        for i, r in enumerate(chain):
            values = {f: r[f] for f in events.CHAINED_FIELDS}
            values["acting_account_id"] = None
            if i == 0:
                values["detail"] = json.dumps(new_detail)
            digest = events.chain_hash(prev, values)
            c.execute(update(EV).where(EV.c.id == r["id"]).values(
                acting_account_id=None, detail=values["detail"], prev_hash=prev, hash=digest, signature=None))
            prev = digest
        c.execute(update(HEAD).values(last_hash=prev))


@pytest.mark.parametrize("with_checkpoint", [True, False], ids=["checkpoint", "no-checkpoint"])
def test_attack1b_rehashed_chain_without_actors_is_broken(db, cp_path, monkeypatch, with_checkpoint):
    build(db)
    if not with_checkpoint:
        cp_path.unlink()
        monkeypatch.setenv("MSP_TUI_CHECKPOINT", "off")
    _rehash_without_actors(db, 3, {"name": "Someone Else"})
    result = run(db, "events", "verify")
    assert result.exit_code == 1 and "BROKEN at event 3" in result.output, result.output
    if not with_checkpoint:
        assert "no checkpoint: a cut tail cannot be detected" in result.output


def test_attack1_missing_checkpoint_is_reported_never_recreated(db, cp_path):
    build(db)
    assert cp_path.exists()
    cp_path.unlink()
    assert run(db, "clients", "list").exit_code == 0
    assert not cp_path.exists()
    result = run(db, "events", "verify")
    assert "no checkpoint: a cut tail cannot be detected" in result.output, result.output
    assert not cp_path.exists()


def test_attack1_signer_rekeyed_inside_the_database_is_detected(db, cp_path):
    """Every event of the admin re-signed with a key the intruder made, and the admin's public key
    replaced by it: the chain and every signature check out against the database alone."""
    admin = build(db)
    fake_private, fake_public = crypto.new_ed25519()
    with db.engine.begin() as c:
        for r in c.execute(select(EV.c.id, EV.c.hash).where(EV.c.acting_account_id == admin.account_id)).all():
            c.execute(update(EV).where(EV.c.id == r.id).values(signature=crypto.sign(fake_private, r.hash)))
        c.execute(update(Account.__table__).where(Account.__table__.c.id == admin.account_id)
                  .values(signing_public_key=fake_public))
    result = run(db, "events", "verify")
    assert result.exit_code == 1 and "BROKEN" in result.output, result.output
    assert "pinned" in result.output


def test_attack1_verify_checks_every_line_of_the_checkpoint_file(db, cp_path):
    """The intruder can only append to the checkpoint file (chattr +a): they rewrite the last event,
    add one of their own, and append a line naming the new head. The older line no longer matches."""
    build(db)
    with pytest.raises(AuthFailed):  # the last event: a failed sign-in, written with nobody signed in
        accounts.sign_in(db, "ada@msp.example", "wrong again", throttle=NO_WAIT)
    count = count_of(db)
    last = rows(db, count)[0]
    forged = {f: last[f] for f in events.CHAINED_FIELDS}
    forged["detail"] = json.dumps({"email": "someone@else.example", "failures": 1})
    digest = events.chain_hash(last["prev_hash"], forged)
    extra = dict(forged, id=count + 1, detail=json.dumps({"email": "x@else.example", "failures": 2}))
    extra_digest = events.chain_hash(digest, extra)
    with db.engine.begin() as c:
        c.execute(update(EV).where(EV.c.id == count).values(detail=forged["detail"], hash=digest))
        c.execute(EV.insert().values(**extra, prev_hash=digest, hash=extra_digest, signature=None))
        c.execute(update(HEAD).values(count=count + 1, last_event_id=count + 1, last_hash=extra_digest))
    checkpoint.append(cp_path, count + 1, extra_digest)
    result = run(db, "events", "verify")
    assert result.exit_code == 1 and "BROKEN" in result.output, result.output


def test_attack1_verify_prints_the_pinned_keys_fingerprints(db, cp_path):
    build(db)
    result = run(db, "events", "verify", "--keys")
    assert result.exit_code == 0, result.output
    pins = checkpoint.read_file(cp_path).keys
    assert "system" in pins
    for signer, public in pins.items():
        assert checkpoint.key_fingerprint(public) in result.output


def test_verify_prints_the_system_key_and_one_fingerprint_of_the_pinned_set(db, cp_path):
    """Without --keys a person compares two lines, not one per signer (a demo pins a hundred)."""
    build(db)
    result = run(db, "events", "verify")
    assert result.exit_code == 0, result.output
    pins = checkpoint.read_file(cp_path).keys
    assert checkpoint.key_fingerprint(pins["system"]) in result.output
    assert checkpoint.key_set_fingerprint(pins) in result.output
    others = [s for s in pins if s != "system"]
    assert others and not any(checkpoint.key_fingerprint(pins[s]) in result.output for s in others)


# --- attack 9 ------------------------------------------------------------------------------------


def test_attack9_service_user_does_not_see_provider_admins_sign_ins(db, cp_path):
    admin = make_provider(db)
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=3, owner_email="o@contoso.example")
    secret = staff.invite(db, admin, ["svc@msp.example"], "service").secrets["svc@msp.example"]
    service = join(db, "svc@msp.example", secret)
    staff.confirm(db, admin, "svc@msp.example")
    service.provider_id = admin.provider_id
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, admin.email, "not the password", throttle=NO_WAIT)
    accounts.sign_in(db, admin.email, PASSWORD)
    as_service = run(db, "--format", "json", "events", "list", "--type", "users", email="svc@msp.example")
    assert as_service.exit_code == 0, as_service.output
    assert json.loads(as_service.output) == []
    as_admin = run(db, "--format", "json", "events", "list", "--type", "users")
    seen = {(r["type"], r["actor_email"]) for r in json.loads(as_admin.output)}
    assert (1000, admin.email) in seen and any(t == 1005 for t, _ in seen)
    # the same rule in core, whichever path reads: a page without a filter, and the export
    scope = timeline.scope_for(db, service)
    assert not [r for r in timeline.page(db, scope, limit=500) if 1000 <= r.type <= 1099]
    with db.read(transaction=True) as s:
        exported = [r for b in timeline.stream_shown(s, scope, events.EventFilter()) for r in b.rows]
    assert exported and not [r for r in exported if 1000 <= r[1] <= 1099]


# --- what the fix promises besides -----------------------------------------------------------------


def _signature(db, event_id: int):
    with db.engine.connect() as c:
        return c.execute(select(EV.c.signature, EV.c.hash).where(EV.c.id == event_id)).one()


def test_attack1b_failed_sign_ins_are_countersigned_by_the_system_key(db, cp_path):
    """A failed sign-in is written while nobody is signed in; the next staff sign-in signs it with the
    provider's system key (here after a staff removal rotated the provider key it is wrapped by)."""
    admin = make_provider(db)
    secret = staff.invite(db, admin, ["svc@msp.example"], "service").secrets["svc@msp.example"]
    join(db, "svc@msp.example", secret)
    staff.confirm(db, admin, "svc@msp.example")
    staff.remove(db, admin, "svc@msp.example")  # rotates the provider key
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, admin.email, "not the password", throttle=NO_WAIT)
    failed = count_of(db)
    assert _signature(db, failed).signature is None
    with db.read() as s:
        assert events.verify_chain(s, checkpoints=[cp.as_tuple() for cp in checkpoint.read_checkpoints(cp_path)],
                                   pins=checkpoint.read_file(cp_path).keys).unsigned == (failed,)
    accounts.sign_in(db, admin.email, PASSWORD)
    signature, digest = _signature(db, failed)
    assert crypto.verify_signature(checkpoint.read_file(cp_path).keys["system"], signature, digest)
    result = run(db, "events", "verify")
    assert result.exit_code == 0 and "system key (pinned)" in result.output, result.output


def test_attack1_new_checkpoint_is_started_only_after_a_clean_check(db, cp_path):
    build(db)
    cp_path.unlink()
    started = run(db, "events", "verify", "--new-checkpoint")
    assert started.exit_code == 0 and cp_path.exists(), started.output
    assert "warning: no checkpoint" in started.output
    assert run(db, "events", "verify").exit_code == 0
    cp_path.unlink()
    _rehash_without_actors(db, 4, {"name": "Someone Else"})
    refused = run(db, "events", "verify", "--new-checkpoint")
    assert refused.exit_code == 1 and "BROKEN at event 4" in refused.output
    assert not cp_path.exists()
