"""Two-step login: an authenticator app's code (TOTP, RFC 6238) asked after the master password.

- Enrolment: a fresh secret is shown (QR code, otpauth:// URI, the secret itself); one code from the
  app finishes it and a single recovery code is shown once (event 1002).
- The secret is stored sealed by the account's user key (AES-256-GCM, aad "totp-secret" and
  the account id), so it is checked only after the master password opened the keys; the recovery code
  only as a hash. Someone holding the database file *and* the master password can open the secret:
  two-step login guards the sign-in screen (a shared jump host, a browser tab), not the file.
- A code works once: the time step it was accepted for is kept, and a code for that step or an
  earlier one is refused. A wrong or missing code at sign-in says exactly what a wrong password says,
  counts toward the same back-off (core.services.accounts.LoginThrottle) and is event 1006.
- The recovery code, in place of a code, signs in once and turns two-step login off (event 1003).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import secrets as random
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import or_, select, update

from msp_tui.core import clock, crypto, events
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType
from msp_tui.core.errors import AuthFailed, BadInput, NotFound, Refused
from msp_tui.core.models import Account, Provider
from msp_tui.core.services.common import touch

ISSUER = "msp-tui"
INTERVAL = 30
#: A code one step before or after now is still accepted (clock drift of the phone).
DRIFT_STEPS = 1
#: What a version 5 QR code holds (error correction L, bytes).
QR_V5_BYTES = 106
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

#: What turning it on or off says to a wrong code (not sign-in: the person is already signed in).
WRONG_CODE = "The code is wrong or already used; type the current code from your authenticator app."
WRONG_CODE_OR_RECOVERY = ("The code or recovery code is wrong (a code works once); type the current code from "
                          "your authenticator app or your recovery code.")
ALREADY_ON = "Two-step login is already on; turn it off first with `msp-tui account 2fa disable`."
NOT_ON = "Two-step login is off."
#: What a person on staff who must use two-step login is told until they turn it on.
ENROL_FIRST = ("Your provider requires two-step login for its staff: turn it on first with "
               "`msp-tui account 2fa enable`.")


def _aad(account_id: uuid.UUID) -> bytes:
    return crypto.aad("totp-secret", account_id)


def _recovery_digest(code: str) -> str:
    normal = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(b"msp-tui two-step recovery\x00" + normal.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(random.choice(RECOVERY_ALPHABET) for _ in range(20))  # 100 bits
    return "-".join(raw[i:i + 5] for i in range(0, 20, 5))


def _step(now=None) -> int:
    """The RFC 6238 time step of `now` (naive UTC, core.clock)."""
    return calendar.timegm((now or clock.now()).timetuple()) // INTERVAL


def grouped(secret: str) -> str:
    """The secret in groups of four, as it is typed into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def code_at(secret: str, step: int) -> str:
    """The code the app shows for time step `step` (tests and the demo use it)."""
    return pyotp.TOTP(secret, interval=INTERVAL).generate_otp(step)


def current_code(secret: str) -> str:
    """The code the app shows now (by core.clock)."""
    return code_at(secret, _step())


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step near now whose code is `code` and later than `after` (a code works once)."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    now = _step()
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code) and (after is None or step > after):
            found = step
    return found


def seal(account_id: uuid.UUID, user_key: bytes, secret: str) -> bytes:
    """The TOTP secret as stored: sealed by the account's user key, bound to its row and field."""
    return crypto.encrypt(user_key, secret.encode("ascii"), _aad(account_id))


def demo_secret(email: str) -> str:
    """The demo's people's authenticator secret: from their email, so the demo stays deterministic."""
    return base64.b32encode(hashlib.sha256(b"msp-tui demo totp\x00" + email.encode()).digest()[:20]).decode()


def _open_secret(account: Account, user_key: bytes) -> str:
    return crypto.decrypt(user_key, bytes(account.totp_secret), _aad(account.id)).decode("ascii")


def _use_step(s, account_id: uuid.UUID, step: int) -> bool:
    """Keep `step` as the last used one unless a code for it (or later) was already accepted; atomic,
    so two sign-ins racing with the same code cannot both pass."""
    done = s.execute(update(Account).where(
        Account.id == account_id,
        or_(Account.totp_last_step.is_(None), Account.totp_last_step < step)).values(totp_last_step=step))
    return done.rowcount == 1


@dataclass(frozen=True)
class Enrolment:
    """A secret offered to the person; nothing is stored until a code from the app confirms it."""

    email: str
    secret: str

    @property
    def uri(self) -> str:
        """otpauth://totp/msp-tui:EMAIL?secret=…&issuer=msp-tui; the issuer parameter is left out
        (the label still names it) when that keeps the QR code at version 5, which fits 80x24."""
        totp = pyotp.TOTP(self.secret, interval=INTERVAL)
        full = totp.provisioning_uri(name=self.email, issuer_name=ISSUER)
        if len(full.encode()) <= QR_V5_BYTES:
            return full
        return totp.provisioning_uri(name=f"{ISSUER}:{self.email}")


def is_enrolled(db: Database, account_id: uuid.UUID) -> bool:
    with db.read() as s:
        return s.execute(select(Account.totp_secret.is_not(None)).where(Account.id == account_id)).scalar() or False


def begin(db: Database, actor: Actor, secret: str | None = None) -> Enrolment:
    """A fresh secret for `actor` to add to an authenticator app (refused when two-step login is on);
    or `secret`, one the person brings (base32, at least 128 bits: RFC 4226's minimum)."""
    if is_enrolled(db, actor.account_id):
        raise Refused("two-step-login", ALREADY_ON)
    if secret is None:
        return Enrolment(actor.email, pyotp.random_base32())
    normal = "".join(secret.split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(normal + "=" * (-len(normal) % 8))
    except ValueError:
        raw = b""
    if len(raw) < 16:
        raise BadInput("The secret must be base32 (letters A-Z and digits 2-7) of at least 26 characters "
                       "(128 bits).", "secret")
    return Enrolment(actor.email, normal)


def finish(db: Database, actor: Actor, enrolment: Enrolment, code: str) -> str:
    """Turn two-step login on once `code` is the app's current code; the recovery code, shown once."""
    if actor.secrets is None:
        raise Refused("locked", "Unlock first: two-step login is sealed with your keys.")
    step = _matching_step(enrolment.secret, code, None)
    if step is None:
        raise BadInput(WRONG_CODE, "code")
    recovery = _new_recovery_code()
    with db.write() as s:
        acc = s.get(Account, actor.account_id)
        if acc.totp_secret is not None:
            raise Refused("two-step-login", ALREADY_ON)
        acc.totp_secret = seal(acc.id, actor.secrets.user_key, enrolment.secret)
        acc.totp_recovery_hash = _recovery_digest(recovery)
        acc.totp_last_step = step
        touch(acc, actor)
        events.record(s, actor, EventType.USER_UPDATED_2FA, provider_id=actor.provider_id, account_id=acc.id,
                      detail={"email": acc.email, "two_step_login": "authenticator app"})
    actor.must_enrol_two_step = False
    return recovery


def _turn_off(s, actor: Actor, acc: Account, how: str) -> None:
    acc.totp_secret = acc.totp_recovery_hash = acc.totp_last_step = None
    touch(acc, actor)
    events.record(s, actor, EventType.USER_DISABLED_2FA, provider_id=actor.provider_id, account_id=acc.id,
                  detail={"email": acc.email, "with": how})
    _revoke_where_required(s, actor, acc)


def _revoke_where_required(s, actor: Actor, acc: Account) -> None:
    """Turning two-step login off revokes the person from every client whose Require two-step login
    policy is on (Owners and Admins exempt), in the same transaction, as the reference does (1520)."""
    from msp_tui.core import policies as catalogue
    from msp_tui.core.enums import MemberStatus, PolicyType, RevocationReason
    from msp_tui.core.models import Member, Organization, Policy
    from msp_tui.core.services.common import refresh_seats
    from msp_tui.core.services.policies import EXEMPT_ROLES

    found = s.execute(select(Member).join(Policy, Policy.organization_id == Member.organization_id).where(
        Member.account_id == acc.id, Policy.type == int(PolicyType.TWO_FACTOR_AUTHENTICATION),
        Policy.enabled.is_(True), Member.role.not_in([int(r) for r in EXEMPT_ROLES]),
        Member.status.in_([int(MemberStatus.ACCEPTED), int(MemberStatus.CONFIRMED)]))).scalars().all()
    for m in found:
        m.previous_status, m.status = m.status, int(MemberStatus.REVOKED)
        m.revocation_reason = int(RevocationReason.TWO_FACTOR_POLICY)
        touch(m, actor)
        events.record(s, actor, EventType.MEMBER_REVOKED_TWO_FACTOR, organization_id=m.organization_id,
                      organization_user_id=m.id, account_id=acc.id,
                      detail={"email": m.email, "reason": RevocationReason.TWO_FACTOR_POLICY.name.lower(),
                              "policy": catalogue.SPECS[PolicyType.TWO_FACTOR_AUTHENTICATION].name})
        refresh_seats(s, s.get(Organization, m.organization_id))


def just_proven(actor: Actor) -> bool:
    """Whether this session's sign-in passed a code lately (so turning it off needs no second one)."""
    from msp_tui.core.services.accounts import REPROMPT_AFTER

    return actor.two_step_at is not None and clock.now() - actor.two_step_at <= REPROMPT_AFTER


def disable(db: Database, actor: Actor, code: str | None, *, throttle=None) -> None:
    """Turn two-step login off with a current code or the recovery code (event 1003), or none when this
    session's sign-in passed one in the last 5 minutes. A wrong one is a failed attempt (event 1006)
    and waits like one."""
    if actor.secrets is None:
        raise Refused("locked", "Unlock first: two-step login is sealed with your keys.")
    with db.read() as s:
        acc = s.get(Account, actor.account_id)
        if acc is None:
            raise NotFound("No such account.", "account")
        if acc.totp_secret is None:
            raise Refused("two-step-login", NOT_ON)
    if not (code is None and just_proven(actor)) and not _second_step(db, actor, acc, actor.secrets, code,
                                                                      throttle):
        raise AuthFailed(WRONG_CODE_OR_RECOVERY)
    with db.write() as s:
        acc = s.get(Account, actor.account_id)
        if acc.totp_secret is not None:  # not already turned off by the recovery code
            _turn_off(s, actor, acc, "code")


def _second_step(db: Database, actor: Actor, account: Account, account_secrets, code: str | None,
                 throttle) -> bool:
    """Check `code` (or the recovery code) for an enrolled account whose keys are open. True when it
    passes; else the failure is recorded (1006, the password back-off counter) and waited out, False.
    The recovery code always turns two-step login off (it is spent)."""
    from msp_tui.core.services import accounts

    throttle = throttle or accounts.THROTTLE
    typed = (code or "").strip()
    try:
        secret = _open_secret(account, account_secrets.user_key)
    except crypto.DecryptionError:
        secret = None  # a secret not sealed for this account: no code can pass
    step = _matching_step(secret, typed, account.totp_last_step) if secret and typed else None
    with db.write() as s:
        if step is not None and _use_step(s, account.id, step):
            return True
        if typed and account.totp_recovery_hash and hmac.compare_digest(account.totp_recovery_hash,
                                                                        _recovery_digest(typed)):
            acc = s.get(Account, account.id)
            _turn_off(s, actor, acc, "recovery code")
            return True
    failures = accounts.record_failure(db, account.id, actor.provider_id, actor=actor,
                                       event=EventType.USER_FAILED_LOGIN_2FA)
    throttle.sleep(throttle.delay(failures))
    return False


def check_sign_in(db: Database, actor: Actor, account: Account, code: str | None, throttle) -> None:
    """The second step of sign-in for an enrolled account: AuthFailed (the wrong-password answer)
    unless `code` is a fresh code or the recovery code."""
    if not _second_step(db, actor, account, actor.secrets, code, throttle):
        raise AuthFailed()


# --- the provider's rule for its own staff -----------------------------------------------------------


def staff_must_enrol(s, account_id: uuid.UUID, provider_id: uuid.UUID | None) -> bool:
    """Whether this person works in a provider that requires two-step login and has not turned it on."""
    if provider_id is None:
        return False
    required = s.execute(select(Provider.require_two_step_login).where(Provider.id == provider_id)).scalar()
    if not required:
        return False
    return s.execute(select(Account.totp_secret.is_(None)).where(Account.id == account_id)).scalar() or False


def require_enrolled(actor: Actor) -> None:
    """Refused while the person must turn on two-step login first (the provider's setting)."""
    if getattr(actor, "must_enrol_two_step", False):
        raise Refused("two-step-login", ENROL_FIRST)


def provider_requires(db: Database, provider_id: uuid.UUID | None) -> bool:
    if provider_id is None:
        return False
    with db.read() as s:
        return bool(s.execute(select(Provider.require_two_step_login).where(Provider.id == provider_id)).scalar())


def set_staff_requirement(db: Database, actor: Actor, required: bool) -> bool:
    """Require (or stop requiring) two-step login of the provider's own staff (Provider Admins:
    'edit provider settings'); staff without it are taken to enrolment at their next sign-in. Written
    as a staff update of the person acting (1802), naming the setting. Returns whether it changed."""
    from msp_tui.core.access import Action, check

    with db.write() as s:
        standing = check(s, actor, Action.EDIT_PROVIDER, provider_id=actor.provider_id)
        prov = s.get(Provider, standing.provider_id)
        if prov is None:
            raise NotFound("No provider.", "provider")
        if bool(prov.require_two_step_login) == required:
            return False
        prov.require_two_step_login = required
        touch(prov, actor)
        events.record(s, actor, EventType.STAFF_UPDATED, provider_id=prov.id, provider_user_id=standing.staff_id,
                      account_id=actor.account_id, detail={"require_two_step_login": [not required, required]})
        return True
