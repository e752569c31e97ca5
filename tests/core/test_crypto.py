"""Key derivation, sealing, fingerprints, sign-in throttling, re-prompt and idle lock (S11)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from msp_tui.core import clock, crypto, fingerprint
from msp_tui.core.enums import EventType
from msp_tui.core.errors import AuthFailed, Refused
from msp_tui.core.models import Account, Event, Provider
from msp_tui.core.services import accounts
from tests.conftest import PASSWORD


class Waits:
    """Records the waits a throttle asks for and moves the (frozen) clock on instead of sleeping."""

    def __init__(self):
        self.seconds: list[float] = []
        clock.freeze(clock.now())

    def __call__(self, seconds: float) -> None:
        self.seconds.append(round(seconds, 3))
        clock.freeze(clock.now() + timedelta(seconds=seconds))


def test_S11_kdf_settings_below_the_floor_are_refused():
    for weak in (crypto.KdfParams(memory_kib=32 * 1024), crypto.KdfParams(iterations=2),
                 crypto.KdfParams(parallelism=1)):
        with pytest.raises(crypto.DecryptionError, match="below the minimum"):
            crypto.derive_master_key("pw", b"s" * 16, weak)
    with pytest.raises(crypto.DecryptionError, match="above the maximum"):
        crypto.derive_master_key("pw", b"s" * 16, crypto.KdfParams(memory_kib=4 * 1024 * 1024))
    assert crypto.DEFAULT_KDF == crypto.KdfParams(64 * 1024, 3, 4)


def test_S11_downgraded_kdf_settings_in_the_database_are_refused(db, admin):
    with db.write() as s:
        s.execute(update(Account).where(Account.id == admin.account_id).values(kdf_iterations=1))
    with pytest.raises(Refused, match="below the minimum"):
        accounts.sign_in(db, admin.email, PASSWORD, throttle=accounts.LoginThrottle(sleep=Waits()))


def test_S11_account_keys_are_random_and_wrapped_not_derived():
    account_id = uuid.uuid4()
    a = crypto.new_account_keys(account_id, "same password")
    b = crypto.new_account_keys(account_id, "same password")
    assert a.columns["kdf_salt"] != b.columns["kdf_salt"]
    assert a.secrets.user_key != b.secrets.user_key
    blob = b"".join(v for v in a.columns.values() if isinstance(v, bytes))
    assert b"same password" not in blob and a.secrets.user_key not in blob and a.secrets.private_key not in blob


def test_user_key_is_bound_to_its_account():
    """The wrapped user key copied to another account's row does not open there."""
    account_id = uuid.uuid4()
    made = crypto.new_account_keys(account_id, "pw pw pw pw")

    class Row:  # an account row, as unlock_account reads it
        pass

    row = Row()
    row.id = uuid.uuid4()
    for k, v in made.columns.items():
        setattr(row, k, v)
    with pytest.raises(crypto.DecryptionError):
        crypto.unlock_account(row, "pw pw pw pw")
    row.id = account_id
    assert crypto.unlock_account(row, "pw pw pw pw").user_key == made.secrets.user_key


def test_seal_opens_only_for_its_recipient_and_purpose():
    alice_priv, alice_pub = crypto.new_x25519()
    bob_priv, _ = crypto.new_x25519()
    blob = crypto.seal(alice_pub, b"k" * 32, crypto.aad("org-key", "x"))
    assert crypto.unseal(alice_priv, blob, crypto.aad("org-key", "x")) == b"k" * 32
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(bob_priv, blob, crypto.aad("org-key", "x"))
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(alice_priv, blob, crypto.aad("org-key", "y"))
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(b"k" * 32, b"short", b"")


def test_associated_data_is_unambiguous():
    assert crypto.aad("a|b", "c") != crypto.aad("a", "b|c")
    assert crypto.aad("a\\", "|b") != crypto.aad("a\\|", "b")


def test_fingerprint_phrase_has_64_bits_and_depends_on_key_and_account():
    assert len(fingerprint.WORDS) == 256 == len(set(fingerprint.WORDS))
    assert fingerprint.PHRASE_WORDS * fingerprint.BITS_PER_WORD >= 64
    _, pub = crypto.new_x25519()
    _, other = crypto.new_x25519()
    aid = uuid.uuid4()
    phrase = fingerprint.fingerprint_phrase(pub, aid)
    words = phrase.split("-")
    assert len(words) == 8 and all(w in fingerprint.WORDS for w in words)
    assert fingerprint.fingerprint_phrase(pub, aid) == phrase
    assert fingerprint.fingerprint_phrase(other, aid) != phrase
    assert fingerprint.fingerprint_phrase(pub, uuid.uuid4()) != phrase


def test_fingerprint_of_an_account(db, admin):
    with db.read() as s:
        pub = s.get(Account, admin.account_id).public_key
    assert accounts.fingerprint_of(db, admin.account_id) == fingerprint.fingerprint_phrase(pub, admin.account_id)


def _failures(db):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(EventType.USER_FAILED_LOGIN))).scalars().all()


def test_failed_sign_ins_wait_longer_each_time_bounded_and_are_recorded(db, admin):
    waits = Waits()
    throttle = accounts.LoginThrottle(step_seconds=2, max_seconds=5, sleep=waits)
    for _ in range(4):
        with pytest.raises(AuthFailed) as exc:
            accounts.sign_in(db, admin.email, "wrong password", throttle=throttle)
        assert str(exc.value) == "Sign-in failed."
    assert waits.seconds == [2, 4, 5, 5]
    rows = _failures(db)
    assert len(rows) == 4 and all(r.account_id == admin.account_id and r.acting_account_id is None for r in rows)
    with db.read() as s:
        assert s.get(Account, admin.account_id).failed_login_count == 4
    actor = accounts.sign_in(db, admin.email, PASSWORD, throttle=throttle)
    assert actor.secrets is not None and actor.unlocked_at is not None
    with db.read() as s:
        assert s.get(Account, admin.account_id).failed_login_count == 0
        assert s.execute(select(Event).where(Event.type == int(EventType.USER_LOGGED_IN))).first()


def test_attempt_inside_the_waiting_time_waits_out_the_rest(db, admin):
    """A second terminal guessing in parallel cannot skip the wait."""
    waits = Waits()
    now = clock.now()
    with db.write() as s:
        s.execute(update(Account).where(Account.id == admin.account_id).values(
            failed_login_count=3, last_failed_login_at=now - timedelta(seconds=1)))
    accounts.sign_in(db, admin.email, PASSWORD, throttle=accounts.LoginThrottle(step_seconds=2, sleep=waits))
    assert waits.seconds == [5.0]  # 3 failures → 6 s, one of which has passed


def test_unknown_email_fails_the_same_way(db, admin):
    waits = Waits()
    with pytest.raises(AuthFailed) as exc:
        accounts.sign_in(db, "nobody@msp.example", PASSWORD, throttle=accounts.LoginThrottle(sleep=waits))
    assert str(exc.value) == "Sign-in failed." and waits.seconds == [2.0]


def test_lock_drops_keys_and_wrong_unlock_is_throttled(db, admin):
    admin.key_cache["x"] = b"y"
    admin.lock()
    assert admin.secrets is None and admin.key_cache == {} and admin.unlocked_at is None
    waits = Waits()
    with pytest.raises(AuthFailed):
        accounts.unlock(db, admin, "wrong", throttle=accounts.LoginThrottle(sleep=waits))
    assert admin.secrets is None and waits.seconds == [2.0] and len(_failures(db)) == 1
    accounts.unlock(db, admin, PASSWORD, throttle=accounts.LoginThrottle(sleep=waits))
    assert admin.secrets is not None and not accounts.needs_master_password(admin)


def test_reprompt_after_five_minutes(db, admin):
    assert not accounts.needs_master_password(admin)
    clock.freeze(clock.now() + timedelta(minutes=5, seconds=1))
    assert accounts.needs_master_password(admin)


def test_idle_lock_minutes_is_a_provider_setting(db, admin):
    assert accounts.idle_lock_minutes(db, admin.provider_id) == 15
    with db.write() as s:
        s.execute(update(Provider).where(Provider.id == admin.provider_id).values(idle_lock_minutes=5))
    assert accounts.idle_lock_minutes(db, admin.provider_id) == 5
    assert accounts.idle_lock_minutes(db, None) == 15
    start = clock.now()
    clock.freeze(start + timedelta(minutes=4, seconds=59))
    assert not accounts.idle_expired(start, 5)
    clock.freeze(start + timedelta(minutes=5))
    assert accounts.idle_expired(start, 5)
