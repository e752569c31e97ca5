"""Issue 15, attack 3: a public key swapped before confirm.

The attacker has write access to the database file: they replace an accepted person's
`account.public_key` with their own X25519 key, then an admin confirms. Nothing may be sealed to the
planted key: the public key carries a signature by the person's own signing key (a lone swap fails
it), and the fingerprint phrase is compared before anything is sealed (a full swap of both keys and
the signature changes the phrase the person reads out from their own private key)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from msp_tui.core import crypto
from msp_tui.core.enums import MemberStatus, StaffStatus
from msp_tui.core.errors import Refused
from msp_tui.core.models import Account, Member, Staff
from msp_tui.core.services import accounts, clients, members, staff
from tests.conftest import PASSWORD
from tests.world import join


def _plant(db, email: str, *, full: bool = False) -> bytes:
    """The attacker's X25519 private key, after writing its public half into the person's row
    (with `full`, also their own signing key and a valid signature over the planted key)."""
    private, public = crypto.new_x25519()
    values = {"public_key": public}
    with db.read() as s:
        account_id = s.execute(select(Account.id).where(Account.email == email)).scalar_one()
    if full:
        signing, signing_public = crypto.new_ed25519()
        values.update(signing_public_key=signing_public,
                      public_key_signature=crypto.sign(signing, crypto.public_key_message(account_id, public)))
    with db.write() as s:
        s.execute(update(Account).where(Account.email == email).values(**values))
    return private


def _sealed_to(db, email: str):
    with db.read() as s:
        return s.execute(select(Staff.key, Staff.status).where(Staff.email == email)).one()


def test_attack3_staff_public_key_swapped_before_confirm_is_refused(db, admin):
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    join(db, "bob@msp.example", secret)
    _plant(db, "bob@msp.example")
    with pytest.raises(Refused, match="signature"):
        staff.confirm(db, admin, "bob@msp.example")
    key, status = _sealed_to(db, "bob@msp.example")
    assert key is None and status == StaffStatus.ACCEPTED


def test_attack3_member_public_key_swapped_before_confirm_is_refused(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                              owner_email="owner@contoso.example")
    join(db, "owner@contoso.example", c.owner_invite_secret)
    _plant(db, "owner@contoso.example")
    with pytest.raises(Refused, match="signature"):
        members.confirm(db, admin, c.id, ["owner@contoso.example"])
    with db.read() as s:
        m = s.execute(select(Member).where(Member.email == "owner@contoso.example")).scalar_one()
        assert m.key is None and m.status == MemberStatus.ACCEPTED


def test_attack3_full_key_swap_changes_the_phrase_and_a_wrong_phrase_seals_nothing(db, admin):
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    bob = join(db, "bob@msp.example", secret)
    real_phrase = accounts.own_fingerprint(bob, db)
    _plant(db, "bob@msp.example", full=True)  # both keys and a valid signature: only the phrase tells
    # Bob's own phrase comes from the private key he holds, not from the (altered) row.
    assert accounts.own_fingerprint(bob, db) == real_phrase
    assert accounts.fingerprint_of(db, bob.account_id) != real_phrase
    # Refused by the phrase; on SQLite the checkpoint file's pin of Bob's signing key refuses it first.
    with pytest.raises(Refused, match="fingerprint|pinned"):
        staff.confirm(db, admin, "bob@msp.example", fingerprint=real_phrase)
    assert _sealed_to(db, "bob@msp.example")[0] is None


def test_attack3_the_right_phrase_confirms(db, admin):
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    bob = join(db, "bob@msp.example", secret)
    staff.confirm(db, admin, "bob@msp.example", fingerprint=accounts.own_fingerprint(bob, db).upper())
    assert _sealed_to(db, "bob@msp.example")[1] == StaffStatus.CONFIRMED


def test_attack3_provider_key_rotation_seals_nothing_to_a_swapped_key(db, admin):
    """Removing a staffer re-seals the provider key to everyone confirmed: a key planted on a
    confirmed person's row afterwards gets nothing (their copy is dropped until confirmed again)."""
    secrets = staff.invite(db, admin, ["bob@msp.example", "carol@msp.example"], "service").secrets
    join(db, "bob@msp.example", secrets["bob@msp.example"])
    join(db, "carol@msp.example", secrets["carol@msp.example"])
    staff.confirm(db, admin, "bob@msp.example")
    staff.confirm(db, admin, "carol@msp.example")
    _plant(db, "bob@msp.example")
    staff.remove(db, admin, "carol@msp.example")
    key, _ = _sealed_to(db, "bob@msp.example")
    assert key is None  # nothing sealed to the planted key; Bob is confirmed again after comparing


def _msp_tui(url: str, email: str, *argv: str) -> subprocess.CompletedProcess:
    """The program as a person runs it (stdin not a terminal), signed in as `email`."""
    env = {**os.environ, "PW": PASSWORD, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "msp_tui", "--db", url, "--email", email, "--passwordenv", "PW",
                           *argv], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)


def test_attack3_cli_confirm_all_without_the_phrase_seals_nothing(sqlite_db):
    from tests.conftest import make_provider

    db = sqlite_db
    admin = make_provider(db)
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    bob = join(db, "bob@msp.example", secret)
    phrase = accounts.own_fingerprint(bob, db)
    url = db.url.render_as_string(hide_password=False)

    def run(*argv):
        return _msp_tui(url, admin.email, *argv)

    r = run("staff", "confirm", "--all")
    assert r.returncode == 1 and phrase in r.stderr and "--skip-fingerprint-check" in r.stderr
    assert _sealed_to(db, "bob@msp.example")[0] is None
    r = run("staff", "confirm", "bob@msp.example", "--fingerprint", "otter-" * 7 + "otter")
    assert r.returncode == 1 and _sealed_to(db, "bob@msp.example")[0] is None
    r = run("staff", "confirm", "bob@msp.example", "--fingerprint", phrase)
    assert r.returncode == 0, r.stderr
    assert _sealed_to(db, "bob@msp.example")[1] == StaffStatus.CONFIRMED


def test_attack3_cli_members_confirm_needs_the_phrase(sqlite_db):
    from tests.conftest import make_provider

    db = sqlite_db
    admin = make_provider(db)
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                              owner_email="owner@contoso.example")
    owner = join(db, "owner@contoso.example", c.owner_invite_secret)
    url = db.url.render_as_string(hide_password=False)

    def run(*argv):
        return _msp_tui(url, admin.email, *argv)

    r = run("members", "confirm", "Contoso", "owner@contoso.example")
    assert r.returncode == 1 and accounts.own_fingerprint(owner, db) in r.stderr
    r = run("members", "confirm", "Contoso", "owner@contoso.example", "--fingerprint",
            accounts.own_fingerprint(owner, db))
    assert r.returncode == 0, r.stderr
    with db.read() as s:
        assert s.execute(select(Member.status).where(Member.email == "owner@contoso.example")).scalar() \
            == MemberStatus.CONFIRMED
    assert c is not None


def test_attack3_an_account_from_before_signed_keys_is_signed_at_its_next_sign_in(db, admin):
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    join(db, "bob@msp.example", secret)
    with db.write() as s:  # as made before this change: no signature
        s.execute(update(Account).where(Account.email == "bob@msp.example").values(public_key_signature=None))
    with pytest.raises(Refused, match="sign in once"):
        staff.confirm(db, admin, "bob@msp.example")
    accounts.sign_in(db, "bob@msp.example", PASSWORD, throttle=accounts.LoginThrottle(sleep=lambda _s: None))
    staff.confirm(db, admin, "bob@msp.example")
    assert _sealed_to(db, "bob@msp.example")[1] == StaffStatus.CONFIRMED


def test_attack3_full_key_swap_is_refused_against_the_key_the_checkpoint_file_pinned(sqlite_db):
    """The signing key is bound outside the database: the checkpoint file pins each signer's key
    once their events are checkpointed. A full swap (both keys and the signature) is then refused
    even without a phrase."""
    from msp_tui.core import checkpoint, keys
    from tests.conftest import make_provider

    db = sqlite_db
    admin = make_provider(db)
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    bob = join(db, "bob@msp.example", secret)
    path = checkpoint.default_path(db)
    if not path.exists() or checkpoint.signer_name(bob.account_id) not in keys.pinned_signing_keys(db):
        checkpoint.write_checkpoint(db, path, start=not path.exists())
    assert checkpoint.signer_name(bob.account_id) in keys.pinned_signing_keys(db)
    _plant(db, "bob@msp.example", full=True)
    with pytest.raises(Refused, match="pinned"):
        staff.confirm(db, admin, "bob@msp.example")
    assert _sealed_to(db, "bob@msp.example")[0] is None
