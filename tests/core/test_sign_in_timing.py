"""Attack 8 of issue 15: sign-in timing told who has an account. Wrong passwords for an existing
account waited longer each time (3.7, 5.9, 7.9 s); an unknown email a steady 4 s. Now both do the
same work (one key derivation with the same settings) and back off the same way."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from msp_tui.core import clock, crypto
from msp_tui.core.errors import AuthFailed
from msp_tui.core.models import Account, SignInFailure
from msp_tui.core.services import accounts

UNKNOWN = "nobody@msp.example"


class Waits:
    """Records the waits a throttle asks for and moves the (frozen) clock on instead of sleeping."""

    def __init__(self):
        self.seconds: list[float] = []
        clock.freeze(clock.now())

    def __call__(self, seconds: float) -> None:
        self.seconds.append(round(seconds, 3))
        clock.freeze(clock.now() + timedelta(seconds=seconds))


def _fail(db, email: str, throttle) -> None:
    with pytest.raises(AuthFailed) as exc:
        accounts.sign_in(db, email, "wrong password", throttle=throttle)
    assert exc.value.message == "Sign-in failed."


def test_attack8_unknown_email_backs_off_exactly_like_a_known_one(db, admin):
    known, unknown = Waits(), Waits()
    for _ in range(4):
        _fail(db, admin.email, accounts.LoginThrottle(step_seconds=2, max_seconds=5, sleep=known))
        _fail(db, UNKNOWN, accounts.LoginThrottle(step_seconds=2, max_seconds=5, sleep=unknown))
    assert known.seconds == unknown.seconds == [2, 4, 5, 5]
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Account)).scalar_one() == 1  # no account written
        [row] = s.execute(select(SignInFailure)).scalars().all()
        assert row.failures == 4 and UNKNOWN not in row.email_hash  # kept by a hash of the email


def test_attack8_a_quick_retry_on_an_unknown_email_waits_out_the_rest(db, admin):
    """A second terminal guessing in parallel cannot skip the wait, known email or not."""
    waits = Waits()
    throttle = accounts.LoginThrottle(step_seconds=2, sleep=waits)
    _fail(db, UNKNOWN, throttle)
    _fail(db, UNKNOWN, throttle)
    clock.freeze(clock.now() - timedelta(seconds=3))  # 1 s after the 4 s wait began
    waits.seconds.clear()
    _fail(db, UNKNOWN, throttle)
    assert waits.seconds == [3.0, 6.0]  # the rest of the 4 s, then the third failure's own 6 s


def test_attack8_the_same_key_derivation_for_known_and_unknown_emails(sqlite_db, monkeypatch):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    done: list[tuple] = []
    real = crypto.derive_master_key

    def counted(password, salt, params):
        done.append((len(salt), params))
        return real(password, salt, params)

    monkeypatch.setattr(crypto, "derive_master_key", counted)
    no_wait = accounts.LoginThrottle(sleep=lambda _s: None)
    _fail(sqlite_db, admin.email, no_wait)
    known = list(done)
    done.clear()
    _fail(sqlite_db, UNKNOWN, no_wait)
    assert known == done == [(16, crypto.DEFAULT_KDF)]


def test_attack8_wall_time_of_failed_sign_ins_does_not_tell_known_from_unknown(sqlite_db):
    """Measured, interleaved (so machine load hits both alike), with the real key derivation and real
    waits of 0.75 s a step: the n-th failure takes as long for an unknown email as for a known one.
    Before the fix the 4th failure differed by 2.25 s; the tolerance is a third of that."""
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    throttle = accounts.LoginThrottle(step_seconds=0.75, max_seconds=30)
    known, unknown = [], []
    for _ in range(4):
        for email, into in ((admin.email, known), (UNKNOWN, unknown)):
            start = time.perf_counter()
            _fail(sqlite_db, email, throttle)
            into.append(time.perf_counter() - start)
    for k, u in zip(known, unknown):
        assert abs(k - u) < 0.75, (known, unknown)
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.5, (known, unknown)
    assert unknown[3] > unknown[0] + 1.5  # the unknown email backs off too
