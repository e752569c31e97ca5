"""Two-step login for real (issue 16): an authenticator app's code (TOTP, RFC 6238) after the master
password, with a fixed clock. Before it, `two_factor_enabled` was a flag only the demo set."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from msp_tui.core import clock, crypto
from msp_tui.core.enums import EventType
from msp_tui.core.errors import AuthFailed, BadInput, Refused
from msp_tui.core.models import Account, Event
from msp_tui.core.services import accounts, two_step
from tests.conftest import PASSWORD

NOON = datetime(2026, 12, 3, 12, 0, 0)
NO_WAIT = accounts.LoginThrottle(sleep=lambda _s: None)


class Waits:
    def __init__(self):
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(round(seconds, 3))
        clock.freeze(clock.now() + timedelta(seconds=seconds))


def enrol(db, actor) -> tuple[str, str]:
    """Turn two-step login on for `actor`: (the secret, the recovery code)."""
    enrolment = two_step.begin(db, actor)
    recovery = two_step.finish(db, actor, enrolment, two_step.current_code(enrolment.secret))
    return enrolment.secret, recovery


def later(seconds: int) -> None:
    clock.freeze(clock.now() + timedelta(seconds=seconds))


def types(db, account_id) -> list[int]:
    with db.read() as s:
        return list(s.execute(select(Event.type).where(Event.account_id == account_id).order_by(Event.id)).scalars())


def test_enrol_stores_the_secret_sealed_and_the_recovery_code_as_a_hash(db, admin):
    clock.freeze(NOON)
    enrolment = two_step.begin(db, admin)
    assert enrolment.uri.startswith("otpauth://totp/msp-tui:ada%40msp.example?secret=" + enrolment.secret)
    with pytest.raises(BadInput):
        two_step.finish(db, admin, enrolment, "000000" if two_step.current_code(enrolment.secret) != "000000"
                        else "111111")
    recovery = two_step.finish(db, admin, enrolment, two_step.current_code(enrolment.secret))
    with db.read() as s:
        acc = s.get(Account, admin.account_id)
        assert acc.two_factor_enabled
        assert enrolment.secret.encode() not in bytes(acc.totp_secret)  # never in clear
        assert crypto.decrypt(admin.secrets.user_key, bytes(acc.totp_secret),
                              crypto.aad("totp-secret", acc.id)).decode() == enrolment.secret
        assert recovery.replace("-", "") not in acc.totp_recovery_hash and len(acc.totp_recovery_hash) == 64
    assert types(db, admin.account_id)[-1] == EventType.USER_UPDATED_2FA
    with pytest.raises(Refused):
        two_step.begin(db, admin)  # already on


def test_sign_in_needs_the_code_after_the_master_password(db, admin):
    clock.freeze(NOON)
    secret, _ = enrol(db, admin)
    later(30)
    checked = accounts.check_password(db, admin.email, PASSWORD, throttle=NO_WAIT)
    assert checked.needs_code
    actor = accounts.finish_sign_in(db, checked, two_step.current_code(secret), throttle=NO_WAIT)
    assert actor.account_id == admin.account_id
    assert types(db, admin.account_id)[-1] == EventType.USER_LOGGED_IN


def test_a_missing_or_wrong_code_fails_exactly_like_a_wrong_password(db, admin):
    clock.freeze(NOON)
    secret, _ = enrol(db, admin)
    later(30)
    wrong = "123456" if two_step.current_code(secret) != "123456" else "654321"
    answers = []
    for code in (None, "", wrong):
        with pytest.raises(AuthFailed) as exc:
            accounts.sign_in(db, admin.email, PASSWORD, code=code, throttle=NO_WAIT)
        answers.append(exc.value.message)
    with pytest.raises(AuthFailed) as exc:
        accounts.sign_in(db, admin.email, "wrong password", throttle=NO_WAIT)
    assert answers == [exc.value.message] * 3 == ["Sign-in failed."] * 3
    assert types(db, admin.account_id)[-4:] == [EventType.USER_FAILED_LOGIN_2FA] * 3 + [EventType.USER_FAILED_LOGIN]


def test_a_code_is_accepted_once_replay_refused(db, admin):
    clock.freeze(NOON)
    secret, _ = enrol(db, admin)
    later(30)
    code = two_step.current_code(secret)
    accounts.sign_in(db, admin.email, PASSWORD, code=code, throttle=NO_WAIT)
    with pytest.raises(AuthFailed):  # the same code again, within its 30 seconds
        accounts.sign_in(db, admin.email, PASSWORD, code=code, throttle=NO_WAIT)
    later(30)
    accounts.sign_in(db, admin.email, PASSWORD, code=two_step.current_code(secret), throttle=NO_WAIT)


def test_the_enrolment_code_cannot_sign_in_again(db, admin):
    clock.freeze(NOON)
    enrolment = two_step.begin(db, admin)
    code = two_step.current_code(enrolment.secret)
    two_step.finish(db, admin, enrolment, code)
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, admin.email, PASSWORD, code=code, throttle=NO_WAIT)


def test_wrong_codes_count_toward_the_password_back_off(db, admin):
    clock.freeze(NOON)
    secret, _ = enrol(db, admin)
    later(30)
    waits = Waits()
    throttle = accounts.LoginThrottle(step_seconds=2, max_seconds=5, sleep=waits)
    wrong = "123456" if two_step.current_code(secret) != "123456" else "654321"
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, admin.email, "wrong password", throttle=throttle)
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, admin.email, PASSWORD, code=wrong, throttle=throttle)
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, admin.email, "wrong password", throttle=throttle)
    assert waits.seconds == [2, 4, 5]  # one counter: password, code, password
    with db.read() as s:
        assert s.get(Account, admin.account_id).failed_login_count == 3
    accounts.sign_in(db, admin.email, PASSWORD, code=two_step.current_code(secret), throttle=throttle)
    with db.read() as s:
        assert s.get(Account, admin.account_id).failed_login_count == 0


def test_the_recovery_code_signs_in_once_and_turns_two_step_login_off(db, admin):
    clock.freeze(NOON)
    _, recovery = enrol(db, admin)
    later(30)
    actor = accounts.sign_in(db, admin.email, PASSWORD, code=recovery.lower(), throttle=NO_WAIT)
    assert not two_step.is_enrolled(db, actor.account_id)
    assert types(db, admin.account_id)[-2:] == [EventType.USER_DISABLED_2FA, EventType.USER_LOGGED_IN]
    enrol(db, actor)
    later(30)
    with pytest.raises(AuthFailed):  # the old recovery code is spent
        accounts.sign_in(db, admin.email, PASSWORD, code=recovery, throttle=NO_WAIT)


def test_disable_needs_a_fresh_code_or_the_recovery_code(db, admin):
    clock.freeze(NOON)
    secret, recovery = enrol(db, admin)
    later(30)
    wrong = "123456" if two_step.current_code(secret) != "123456" else "654321"
    with pytest.raises(AuthFailed) as exc:
        two_step.disable(db, admin, wrong, throttle=NO_WAIT)
    assert "wrong" in exc.value.message
    assert two_step.is_enrolled(db, admin.account_id)
    two_step.disable(db, admin, two_step.current_code(secret), throttle=NO_WAIT)
    assert not two_step.is_enrolled(db, admin.account_id)
    assert types(db, admin.account_id)[-1] == EventType.USER_DISABLED_2FA
    with db.read() as s:
        acc = s.get(Account, admin.account_id)
        assert acc.totp_secret is None and acc.totp_recovery_hash is None
    with pytest.raises(Refused):
        two_step.disable(db, admin, recovery, throttle=NO_WAIT)
    secret, recovery = enrol(db, admin)
    two_step.disable(db, admin, recovery, throttle=NO_WAIT)
    assert not two_step.is_enrolled(db, admin.account_id)


def test_a_secret_moved_to_another_account_opens_for_no_one(db, admin):
    """The sealed secret names its row: copied onto another account's row it does not decrypt."""
    clock.freeze(NOON)
    enrol(db, admin)
    with db.read() as s:
        sealed = bytes(s.get(Account, admin.account_id).totp_secret)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(admin.secrets.user_key, sealed, crypto.aad("totp-secret", "another-account"))


def test_staff_of_a_provider_that_requires_two_step_login_must_enrol_first(db, admin):
    clock.freeze(NOON)
    assert two_step.set_staff_requirement(db, admin, True)
    actor = accounts.sign_in(db, admin.email, PASSWORD, throttle=NO_WAIT)
    assert actor.must_enrol_two_step
    with pytest.raises(Refused) as exc:
        two_step.require_enrolled(actor)
    assert "msp-tui account 2fa enable" in exc.value.message
    secret, _ = enrol(db, actor)
    assert not actor.must_enrol_two_step
    later(30)
    again = accounts.sign_in(db, admin.email, PASSWORD, code=two_step.current_code(secret), throttle=NO_WAIT)
    assert not again.must_enrol_two_step
