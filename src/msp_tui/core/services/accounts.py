"""People and sign-in: creating the provider, accounts, accepting invitations, signing in (S1, S11).

Every attempt to open an account's keys with a master password (sign-in, unlock, accepting
invitations with an existing account) goes through `_open_keys`: a failure is recorded (event 1005,
a per-account failure counter) and then waits `LoginThrottle.delay(failures)` — a fixed step per
consecutive failure, bounded — before answering. An attempt made while the account is still inside
its waiting time (another terminal guessing in parallel) first waits out the rest.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from msp_tui.core import clock, crypto, events, fingerprint, invitation_secret, keys
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EventType, MemberStatus, StaffRole, StaffStatus
from msp_tui.core.errors import AuthFailed, BadInput, NotFound, Refused
from msp_tui.core.models import Account, Member, Organization, Provider, SignInFailure, Staff
from msp_tui.core.schemas import NewAccount, NewProvider, parse
from msp_tui.core.services.common import invitation_expired, refresh_seats, touch


def _new_account(session, email: str, name: str, password: str) -> tuple[Account, crypto.AccountSecrets]:
    account_id = uuid.uuid4()
    made = crypto.new_account_keys(account_id, password)
    account = Account(id=account_id, email=email, name=name, **made.columns)
    session.add(account)
    return account, made.secrets


def _actor(account: Account, secrets: crypto.AccountSecrets, provider_id: uuid.UUID | None) -> Actor:
    return Actor(account_id=account.id, email=account.email, name=account.name,
                 provider_id=provider_id, secrets=secrets, unlocked_at=clock.now())


# --- throttling, re-prompt, idle lock -----------------------------------------------------------


@dataclass(frozen=True)
class LoginThrottle:
    """How long a failed attempt waits: `step_seconds` per consecutive failure, at most `max_seconds`.

    `sleep` is injectable so tests record the waits instead of sleeping."""

    step_seconds: float = 2.0
    max_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, failures: int) -> float:
        return min(self.step_seconds * max(failures, 1), self.max_seconds)


#: The throttle sign-in uses unless a caller passes its own.
THROTTLE = LoginThrottle()

#: Revealing or copying a password asks for the master password again after this long.
REPROMPT_AFTER = timedelta(minutes=5)
DEFAULT_IDLE_LOCK_MINUTES = 15


def record_failure(db: Database, account_id: uuid.UUID, provider_id: uuid.UUID | None, *,
                   actor: Actor | None = None, event: EventType = EventType.USER_FAILED_LOGIN) -> int:
    """Count a failed attempt on the account's one back-off counter. A wrong master password is 1005
    (nobody signed: countersigned later); a wrong two-step code, after the password opened the keys,
    is 1006 signed by the person's own key (`actor`)."""
    with db.write() as s:
        acc = s.get(Account, account_id)
        acc.failed_login_count += 1
        acc.last_failed_login_at = clock.now()
        events.record(s, actor, event, provider_id=provider_id,
                      account_id=account_id, detail={"email": acc.email, "failures": acc.failed_login_count})
        return acc.failed_login_count



def _email_hash(email: str) -> str:
    return hashlib.sha256(b"msp-tui sign-in\x00" + email.encode("utf-8", "surrogatepass")).hexdigest()


def _record_unknown_failure(db: Database, email: str) -> int:
    """Count a failed sign-in for an email with no account (a row keyed by its hash; no account)."""
    key, now = _email_hash(email), clock.now()
    with db.write() as s:
        insert = postgresql_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(SignInFailure).values(email_hash=key, failures=1, last_failed_at=now)
        s.execute(stmt.on_conflict_do_update(
            index_elements=[SignInFailure.email_hash],
            set_={"failures": SignInFailure.failures + 1, "last_failed_at": now}))
        return s.execute(select(SignInFailure.failures).where(SignInFailure.email_hash == key)).scalar_one()


def _wait_out(throttle: LoginThrottle, failures: int, last_failed_at) -> None:
    """An attempt made while still inside the previous failure's waiting time first waits out the rest."""
    if failures and last_failed_at is not None:
        remaining = (last_failed_at + timedelta(seconds=throttle.delay(failures)) - clock.now()).total_seconds()
        if remaining > 0:
            throttle.sleep(min(remaining, throttle.max_seconds))


def _open_keys(db: Database, account: Account, password: str, provider_id: uuid.UUID | None,
               throttle: LoginThrottle) -> crypto.AccountSecrets:
    """The account's keys, or AuthFailed after recording the failure and waiting.

    KDF settings outside the accepted range (a downgrade planted in the database) are refused
    before the password is used at all, saying so."""
    try:
        crypto.KdfParams(account.kdf_memory_kib, account.kdf_iterations, account.kdf_parallelism).check()
    except crypto.DecryptionError as exc:
        raise Refused("kdf", str(exc)) from None
    _wait_out(throttle, account.failed_login_count, account.last_failed_login_at)
    try:
        return crypto.unlock_account(account, password or "")
    except crypto.DecryptionError:
        failures = record_failure(db, account.id, provider_id)
        throttle.sleep(throttle.delay(failures))
        raise AuthFailed() from None


def _fail_unknown(db: Database, email: str, password: str, throttle: LoginThrottle) -> None:
    """Sign-in for an email without an account: the same work (one key derivation with the default
    settings, a failure counted, a wait growing with that count) as a wrong password, then AuthFailed."""
    with db.read() as s:
        row = s.get(SignInFailure, _email_hash(email))
        failures, last = (row.failures, row.last_failed_at) if row else (0, None)
    _wait_out(throttle, failures, last)
    crypto.derive_master_key(password or "", hashlib.sha256(email.encode("utf-8", "surrogatepass")).digest()[:16],
                             crypto.DEFAULT_KDF)
    failures = _record_unknown_failure(db, email)
    throttle.sleep(throttle.delay(failures))
    raise AuthFailed()


def _reset_failures(s, account_id: uuid.UUID) -> None:
    acc = s.get(Account, account_id)
    if acc.failed_login_count:
        acc.failed_login_count = 0


def needs_master_password(actor: Actor) -> bool:
    """True when a password may be revealed or copied only after the master password is typed again:
    the session is locked, or its last unlock is older than REPROMPT_AFTER (5 minutes)."""
    return (actor.secrets is None or actor.unlocked_at is None
            or clock.now() - actor.unlocked_at > REPROMPT_AFTER)


def idle_lock_minutes(db: Database, provider_id: uuid.UUID | None) -> int:
    """Minutes of inactivity after which the app locks (the provider's setting; 15 by default)."""
    if provider_id is None:
        return DEFAULT_IDLE_LOCK_MINUTES
    with db.read() as s:
        value = s.execute(select(Provider.idle_lock_minutes).where(Provider.id == provider_id)).scalar()
    return value if value and value > 0 else DEFAULT_IDLE_LOCK_MINUTES


def idle_expired(last_activity, minutes: int) -> bool:
    """Whether a session idle since `last_activity` must lock now."""
    return clock.now() - last_activity >= timedelta(minutes=minutes)


def fingerprint_of(db: Database, account_id: uuid.UUID) -> str:
    """The fingerprint phrase of an account's public key, to check with the person before confirming."""
    with db.read() as s:
        public_key = s.execute(select(Account.public_key).where(Account.id == account_id)).scalar()
    if public_key is None:
        raise NotFound("No such account.", "account")
    return fingerprint.fingerprint_phrase(public_key, account_id)


def own_fingerprint(actor: Actor, db: Database) -> str:
    """The signed-in person's own phrase, to read out to the admin who confirms them: made from the
    private key they hold, not the public key on file, so a key swapped in the database shows."""
    if actor.secrets is None:
        return fingerprint_of(db, actor.account_id)
    return fingerprint.fingerprint_phrase(crypto.public_of(actor.secrets.private_key), actor.account_id)


def init_provider(db: Database, *, provider: str, email: str, name: str, password: str) -> Actor:
    """Create the provider and its first Provider Admin, confirmed and holding the provider key."""
    data = parse(NewProvider, provider=provider, email=email, name=name, password=password)
    with db.write() as s:
        if s.execute(select(Provider.id).limit(1)).first() is not None:
            raise Refused("init", "This database already has a provider.")
        if s.execute(select(Account.id).where(Account.email == data.email)).first() is not None:
            raise BadInput(f"An account for {data.email} already exists.", "email")
        account, secrets = _new_account(s, data.email, data.name, data.password)
        prov = Provider(name=data.provider, billing_email=data.email)
        s.add(prov)
        s.flush()
        provider_key = crypto.random_key()
        staff = Staff(provider_id=prov.id, account_id=account.id, email=data.email,
                      role=StaffRole.PROVIDER_ADMIN, status=StaffStatus.CONFIRMED,
                      key=keys.seal_provider_key(provider_key, prov.id, prov.key_generation, account.public_key),
                      key_generation=prov.key_generation)
        s.add(staff)
        keys.new_system_key(prov, provider_key)
        s.flush()
        actor = _actor(account, secrets, prov.id)
        events.record(s, actor, EventType.STAFF_INVITED, provider_id=prov.id, provider_user_id=staff.id,
                      account_id=account.id, detail={"email": data.email, "role": "Provider Admin"})
        events.record(s, actor, EventType.STAFF_CONFIRMED, provider_id=prov.id, provider_user_id=staff.id,
                      account_id=account.id, detail={"email": data.email, "initial": True})
        return actor


def provider_of(session, account_id: uuid.UUID) -> uuid.UUID | None:
    """The provider a person works in: confirmed staff first, then any staff row."""
    rows = session.execute(select(Staff.provider_id, Staff.status).where(
        Staff.account_id == account_id).order_by(Staff.status.desc())).all()
    return rows[0][0] if rows else None


# --- master password requirements (policy 1) -------------------------------------------------------


def master_password_policy(s, account_id: uuid.UUID | None, joining: uuid.UUID | None = None):
    """The combined Master password requirements binding a person (no role is exempt), plus those
    of the organization they are joining; None when no client asks for any."""
    from msp_tui.core import policies as catalogue
    from msp_tui.core.enums import PolicyType
    from msp_tui.core.models import Policy
    from msp_tui.core.services import policies as client_policies

    found = [b.options for b in client_policies.binding(s, account_id, PolicyType.MASTER_PASSWORD)]
    if joining is not None:
        row = s.execute(select(Policy).where(Policy.organization_id == joining,
                                             Policy.type == int(PolicyType.MASTER_PASSWORD))).scalar_one_or_none()
        if row is not None and row.enabled:
            found.append(catalogue.load_options(PolicyType.MASTER_PASSWORD, row.data))
    return catalogue.combine_master_password(found)


def check_master_password(options, password: str, email: str) -> None:
    """Refused, naming policy 1 and what is missing, when `password` falls short of `options`."""
    from msp_tui.core import policies as catalogue

    if options is None:
        return
    missing = catalogue.master_password_shortfalls(options, password, user_inputs=[email])
    if missing:
        raise Refused("master-password-requirements", f"{catalogue.MASTER_PASSWORD_NOT_MET} The Master password "
                      f"requirements policy asks for " + ", ".join(missing) + ".")


def kdf_settings(current: crypto.KdfParams, *, memory_mib: int | None = None, iterations: int | None = None,
                 parallelism: int | None = None) -> crypto.KdfParams:
    """New Argon2id settings from what a person typed (unset ones stay as they are), within this
    program's floor (64 MiB, 3 passes, 4 lanes) and the reference's ceiling (1 GiB, 10, 16)."""
    lo, hi = crypto.MINIMUM_KDF, crypto.MAXIMUM_KDF
    for key, value, low, high, unit in (
            ("kdf-memory", memory_mib, lo.memory_kib // 1024, hi.memory_kib // 1024, " MiB"),
            ("kdf-iterations", iterations, lo.iterations, hi.iterations, ""),
            ("kdf-parallelism", parallelism, lo.parallelism, hi.parallelism, "")):
        if value is not None and not low <= value <= high:
            raise BadInput(f"The KDF {key[4:]} must be between {low}{unit} and {high}{unit}.", key)
    return crypto.KdfParams(memory_kib=current.memory_kib if memory_mib is None else memory_mib * 1024,
                            iterations=current.iterations if iterations is None else iterations,
                            parallelism=current.parallelism if parallelism is None else parallelism)


def change_master_password(db: Database, actor: Actor, current: str, new: str, *,
                           throttle: LoginThrottle | None = None, kdf: dict | None = None) -> None:
    """A new master password: the user key is wrapped again under it (new salt; the KDF settings
    changed by `kdf`, {memory_mib, iterations, parallelism}, else kept); the keys themselves do not
    change. Checked against policy 1; event 1001."""
    if kdf:
        kdf_settings(crypto.DEFAULT_KDF, **kdf)  # bad settings say so before the slow key derivation
    with db.read() as s:
        account = s.get(Account, actor.account_id)
        if account is None:
            raise AuthFailed()
        provider_id = provider_of(s, account.id)
    secrets = _open_keys(db, account, current, provider_id, throttle or THROTTLE)
    data = parse(NewAccount, email=account.email, name="", password=new)
    with db.write() as s:
        check_master_password(master_password_policy(s, account.id), data.password, account.email)
        acc = s.get(Account, account.id)
        salt = os.urandom(16)
        params = crypto.KdfParams(acc.kdf_memory_kib, acc.kdf_iterations, acc.kdf_parallelism)
        if kdf:
            params = kdf_settings(params, **kdf)
            acc.kdf_memory_kib, acc.kdf_iterations, acc.kdf_parallelism = (
                params.memory_kib, params.iterations, params.parallelism)
        master_key = crypto.derive_master_key(data.password, salt, params)
        acc.kdf_salt = salt
        acc.protected_user_key = crypto.encrypt(master_key, secrets.user_key, crypto.aad("user-key", acc.id))
        # A temporary password an account recovery set is replaced (policy 8): event 1008, not 1001.
        replaced_temporary, acc.force_password_reset = acc.force_password_reset, False
        touch(acc, actor)
        events.record(s, actor, EventType.USER_UPDATED_TEMP_PASSWORD if replaced_temporary
                      else EventType.USER_CHANGED_PASSWORD, provider_id=provider_id, account_id=acc.id)
    actor.secrets, actor.unlocked_at = secrets, clock.now()
    actor.must_change_password = False
    actor.change_first = None


#: What sign-in says to a person who must change their master password first.
CHANGE_FIRST = ("Your master password no longer meets the Master password requirements policy (enforced at "
                "sign-in): change it first with `msp-tui account password`.")


def require_current_password(actor: Actor) -> None:
    """Refused while the person must change their master password (policy 1, enforce on login)."""
    if actor.must_change_password:
        raise Refused("account-recovery" if actor.change_first else "master-password-requirements",
                      actor.change_first or CHANGE_FIRST)


def change_first_text(actor: Actor) -> str:
    """What the forced change says first: why the current master password must be changed."""
    return (actor.change_first or CHANGE_FIRST).split(":")[0]


@dataclass
class PasswordChecked:
    """The first step of sign-in passed: the master password opened the account's keys. `needs_code`:
    two-step login is on, and `finish_sign_in` wants a code from the authenticator app."""

    account: Account
    secrets: crypto.AccountSecrets = field(repr=False)
    provider_id: uuid.UUID | None
    password: str = field(repr=False)
    needs_code: bool = False


def check_password(db: Database, email: str, password: str, *,
                   throttle: LoginThrottle | None = None) -> PasswordChecked:
    """Sign-in's first step: open the account's keys with the master password. A failure says only
    that it failed, is recorded (event 1005) and waits longer each time for that account."""
    throttle = throttle or THROTTLE
    email = (email or "").strip().lower()
    with db.read() as s:
        account = s.execute(select(Account).where(Account.email == email)).scalar_one_or_none()
        provider_id = provider_of(s, account.id) if account else None
    if account is None:
        # Spend the same effort and wait as a real attempt, so neither tells which emails exist.
        _fail_unknown(db, email, password, throttle)
    secrets = _open_keys(db, account, password, provider_id, throttle)
    return PasswordChecked(account, secrets, provider_id, password, needs_code=account.totp_secret is not None)


def finish_sign_in(db: Database, checked: PasswordChecked, code: str | None = None, *,
                   throttle: LoginThrottle | None = None) -> Actor:
    """Sign-in's second step (event 1000): with two-step login on, `code` must be a fresh code from the
    app or the recovery code (core.services.two_step); missing or wrong, it fails exactly like a wrong
    password (AuthFailed, event 1006, the same back-off)."""
    from msp_tui.core.services import two_step

    account, secrets, provider_id, password = checked.account, checked.secrets, checked.provider_id, checked.password
    actor = _actor(account, secrets, provider_id)
    if checked.needs_code:
        two_step.check_sign_in(db, actor, account, code, throttle or THROTTLE)
        actor.two_step_at = clock.now()
    with db.write() as s:
        _reset_failures(s, account.id)
        policy = master_password_policy(s, account.id)
        if policy is not None and policy.enforce_on_login:
            from msp_tui.core import policies as catalogue

            actor.must_change_password = bool(catalogue.master_password_shortfalls(policy, password, [account.email]))
        actor.must_enrol_two_step = two_step.staff_must_enrol(s, account.id, provider_id)
        if s.get(Account, account.id).force_password_reset:  # an account recovery's temporary password
            from msp_tui.core.services.recovery import RESET_FIRST

            actor.must_change_password, actor.change_first = True, RESET_FIRST
        _sign_own_public_key(s, account.id, secrets)
        events.record(s, actor, EventType.USER_LOGGED_IN, provider_id=provider_id, account_id=account.id)
        if provider_id is not None:
            # Failed sign-ins were written while nobody was signed in: staff who reach the provider
            # key sign them now with the system key, as far as the checkpoint file vouches for them.
            events.countersign(s, actor, db.checkpointer.vouched_through(s))
    return actor


def sign_in(db: Database, email: str, password: str, *, code: str | None = None,
            throttle: LoginThrottle | None = None) -> Actor:
    """Both steps at once: the master password, then (two-step login on) `code`."""
    return finish_sign_in(db, check_password(db, email, password, throttle=throttle), code, throttle=throttle)


def _sign_own_public_key(s, account_id: uuid.UUID, secrets: crypto.AccountSecrets) -> None:
    """Accounts made before public keys were signed get their signature at sign-in: over the public
    key of the private key the person holds, and only when the row still shows that key."""
    acc = s.get(Account, account_id)
    if acc.public_key_signature is not None or secrets.signing_key is None:
        return
    public = crypto.public_of(secrets.private_key)
    if bytes(acc.public_key) == public:
        acc.public_key_signature = crypto.sign(secrets.signing_key, crypto.public_key_message(account_id, public))


def unlock(db: Database, actor: Actor, password: str, *, throttle: LoginThrottle | None = None) -> None:
    """Re-open a locked session's keys (or confirm the master password before revealing a secret);
    AuthFailed, recorded and delayed like a failed sign-in, if the password is wrong."""
    with db.read() as s:
        account = s.get(Account, actor.account_id)
        if account is None:
            raise AuthFailed()
        provider_id = provider_of(s, account.id)
    secrets = _open_keys(db, account, password, provider_id, throttle or THROTTLE)
    if account.failed_login_count:
        with db.write() as s:
            _reset_failures(s, account.id)
    actor.secrets = secrets
    actor.unlocked_at = clock.now()


@dataclass(frozen=True)
class Acceptance:
    account_created: bool
    staff: list[str]
    memberships: list[str]


@dataclass(frozen=True)
class Invitation:
    """A pending invitation the email and secret match, before anything is written."""

    email: str
    place: str          # the provider's or client's name
    account_exists: bool


def _matching(s, email: str, secret: str) -> tuple[Staff | None, Member | None]:
    """The one live invitation of `email` whose secret is `secret`. Every candidate is compared
    (in constant time), so the answer takes the same path for a wrong secret and a missing one."""
    found: tuple[Staff | None, Member | None] = (None, None)
    for st in s.execute(select(Staff).where(Staff.email == email, Staff.status == StaffStatus.INVITED)).scalars():
        if invitation_secret.matches(st.invite_secret_hash, secret) and not invitation_expired(st.invited_at):
            found = (st, None)
    for m in s.execute(select(Member).where(Member.email == email,
                                            Member.status == MemberStatus.INVITED)).scalars():
        if invitation_secret.matches(m.invite_secret_hash, secret) and not invitation_expired(m.invited_at):
            found = (None, m)
    return found


def find_invitation(db: Database, *, email: str, secret: str) -> Invitation:
    """The invitation `email` and `secret` open, or BadInput with the one answer every failed accept
    gets (unknown email, no invitation, wrong, used or expired secret: invitation_secret.NO_MATCH).
    Only once the secret matched does the answer say whether an account exists for the email."""
    email = (email or "").strip().lower()
    with db.read() as s:
        staff, member = _matching(s, email, secret or "")
        if staff is None and member is None:
            raise BadInput(invitation_secret.NO_MATCH, "secret")
        place = (s.get(Provider, staff.provider_id).name if staff is not None
                 else s.get(Organization, member.organization_id).name)
        exists = s.execute(select(Account.id).where(Account.email == email)).first() is not None
    return Invitation(email, place, exists)


@dataclass
class AcceptChecked:
    """Accept's first step passed: the secret matched an invitation and the master password either
    opened the existing account's keys or is the new account's. `needs_code`: the existing account has
    two-step login on, and `finish_acceptance` wants a code from the authenticator app, as sign-in does."""

    invitation: Invitation
    secret: str = field(repr=False)
    existing: Account | None
    secrets: crypto.AccountSecrets | None = field(repr=False)
    provider_id: uuid.UUID | None
    new: NewAccount | None = field(repr=False)
    needs_code: bool = False


def check_acceptance(db: Database, *, email: str, secret: str, password: str, name: str = "",
                     throttle: LoginThrottle | None = None) -> AcceptChecked:
    """Accept's first step: the invitation `email` and `secret` open, and the master password (an
    existing account proves theirs, recorded and delayed like a failed sign-in; a new one is parsed)."""
    invitation = find_invitation(db, email=email, secret=secret)
    with db.read() as s:
        existing = s.execute(select(Account).where(Account.email == invitation.email)).scalar_one_or_none()
        existing_provider = provider_of(s, existing.id) if existing else None
    if existing is not None:
        secrets = _open_keys(db, existing, password, existing_provider, throttle or THROTTLE)
        return AcceptChecked(invitation, secret, existing, secrets, existing_provider, None,
                             needs_code=existing.totp_secret is not None)
    return AcceptChecked(invitation, secret, None, None, None,
                         parse(NewAccount, email=invitation.email, name=name, password=password))


def accept_invitations(db: Database, *, email: str, secret: str, password: str, name: str = "",
                       code: str | None = None, throttle: LoginThrottle | None = None) -> tuple[Actor, Acceptance]:
    """Accept the invitation `email` and its one-time `secret` open: a new person creates their account
    (choosing a master password), an existing one proves theirs, and their two-step login `code` when it
    is on. The secret works once. Both steps at once (check_acceptance, then finish_acceptance)."""
    checked = check_acceptance(db, email=email, secret=secret, password=password, name=name, throttle=throttle)
    return finish_acceptance(db, checked, code, throttle=throttle)


def finish_acceptance(db: Database, checked: AcceptChecked, code: str | None = None, *,
                      throttle: LoginThrottle | None = None) -> tuple[Actor, Acceptance]:
    """Accept's second step: with two-step login on, `code` must be a fresh code or the recovery code,
    exactly as at sign-in (a missing or wrong one is AuthFailed, event 1006, the same back-off), since
    accepting with an existing account is signing in to it. Then the invitation is accepted."""
    from msp_tui.core.services import two_step

    invitation, secret, existing, secrets = checked.invitation, checked.secret, checked.existing, checked.secrets
    data = checked.new
    proven_at = None
    if checked.needs_code:
        two_step.check_sign_in(db, _actor(existing, secrets, checked.provider_id), existing, code,
                               throttle or THROTTLE)
        proven_at = clock.now()
    with db.write() as s:
        # Checked again inside the transaction: a second accept racing this one finds it used.
        staff, member = _matching(s, invitation.email, secret)
        if staff is None and member is None:
            raise BadInput(invitation_secret.NO_MATCH, "secret")
        created = existing is None
        if created:
            if s.execute(select(Account.id).where(Account.email == data.email)).first():
                raise BadInput(invitation_secret.NO_MATCH, "secret")
            check_master_password(master_password_policy(s, None, member.organization_id if member else None),
                                  data.password, data.email)
            account, secrets = _new_account(s, data.email, data.name, data.password)
            s.flush()
        else:
            account = s.get(Account, existing.id)
            if member is not None:  # policy 3: a new account belongs to no other organization
                from msp_tui.core.services.policies import refuse_joining

                refuse_joining(s, account.id, member)
            _reset_failures(s, account.id)
        actor = _actor(account, secrets, None)
        actor.two_step_at = proven_at
        staff_done, member_done = [], []
        if staff is not None:
            staff.status, staff.account_id, staff.invite_secret_hash = StaffStatus.ACCEPTED, account.id, None
            touch(staff, actor)
            staff_done.append(s.get(Provider, staff.provider_id).name)
            events.record(s, actor, EventType.STAFF_UPDATED, provider_id=staff.provider_id,
                          provider_user_id=staff.id, account_id=account.id,
                          detail={"status": ["Invited", "Accepted"]})
            from msp_tui.core.services import recovery

            recovery.withdraw_staff(s, actor, account.id)  # staff stay unrecoverable (S11)
        if member is not None:
            org = s.get(Organization, member.organization_id)
            member.status, member.account_id, member.invite_secret_hash = MemberStatus.ACCEPTED, account.id, None
            touch(member, actor)
            member_done.append(org.name)
            events.record(s, actor, EventType.MEMBER_UPDATED, organization_id=org.id,
                          organization_user_id=member.id, account_id=account.id,
                          detail={"status": ["Invited", "Accepted"]})
            from msp_tui.core.services import recovery

            recovery.auto_enrol_at_accept(s, actor, member, secrets)  # policy 8, automatic enrolment
            refresh_seats(s, org)
        s.flush()
        actor.provider_id = provider_of(s, account.id)
        return actor, Acceptance(created, staff_done, member_done)
