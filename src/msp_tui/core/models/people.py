"""Providers, accounts (people) and provider staff."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, SmallInteger, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from msp_tui.core import clock
from msp_tui.core.models.base import Base, Editable, new_id


class Provider(Editable, Base):
    __tablename__ = "provider"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    business_name: Mapped[str | None] = mapped_column(String(50))
    billing_email: Mapped[str] = mapped_column(String(256))
    type: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[int] = mapped_column(SmallInteger, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: 'per_client' (each client pays on its own payment method) or 'consolidated'.
    billing_mode: Mapped[str] = mapped_column(String(20), default="per_client")
    #: Minutes of inactivity after which the app locks.
    idle_lock_minutes: Mapped[int] = mapped_column(Integer, default=15)
    #: Bumped when the provider key is rotated (staff removal).
    key_generation: Mapped[int] = mapped_column(Integer, default=1)
    #: The provider's system key (Ed25519): it signs events with no acting person. The public half is
    #: also pinned in the checkpoint file; the private half is AES-256-GCM wrapped by the provider key,
    #: so only confirmed staff, signed in, can sign with it (core.keys.system_signing_key).
    system_signing_public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    protected_system_signing_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Provider staff must turn on two-step login; those without it are taken to enrolment at sign-in.
    require_two_step_login: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    #: Two-person approval: the actions (names of core.services.approvals.GUARDED, comma-separated)
    #: a second Provider Admin must approve; empty or None when off.
    approval_actions: Mapped[str | None] = mapped_column(String(300), default=None)
    #: Break-glass: the longest grant a Service User may ask for, and whether they may grant it to
    #: themselves in an emergency (off by default; loud when used).
    break_glass_max_minutes: Mapped[int] = mapped_column(Integer, default=240, server_default="240")
    break_glass_self_grant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Account(Editable, Base):
    """A person. The master password is never stored (S11): only what it unlocks, wrapped."""

    __tablename__ = "account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kdf_memory_kib: Mapped[int] = mapped_column(Integer)
    kdf_iterations: Mapped[int] = mapped_column(Integer)
    kdf_parallelism: Mapped[int] = mapped_column(Integer)
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: The random user key, AES-256-GCM wrapped by the master key (the account id as associated data).
    protected_user_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: X25519 public key, in the clear; its private half wrapped by the user key.
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    protected_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: Ed25519 key that signs this person's events; the private half wrapped by the user key.
    signing_public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    protected_signing_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The signing key's signature over the public key (crypto.public_key_message), made with the
    #: account; confirming refuses a public key whose signature fails (issue 15, attack 3).
    public_key_signature: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    #: Two-step login (core.services.two_step): the authenticator's TOTP secret, AES-256-GCM sealed by
    #: the user key (aad 'totp-secret', account id); None when it is off. Only a hash of the
    #: recovery code; the last time step a code was accepted for, so each code works once.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    totp_recovery_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: Set by an account recovery (policy 8): the master password is a temporary one that the person
    #: must change at their next sign-in before anything else (the reference's ForcePasswordReset).
    force_password_reset: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @hybrid_property
    def two_factor_enabled(self) -> bool:
        """Really enrolled: a sealed authenticator secret is on file (no separate flag to plant)."""
        return self.totp_secret is not None

    @two_factor_enabled.inplace.expression
    @classmethod
    def _two_factor_enabled_expression(cls):
        return cls.totp_secret.is_not(None)


class SignInFailure(Base):
    """Failed sign-ins for an email that has no account, so it backs off exactly like one that has
    (attack 8: timing must not tell who has an account). Keyed by a hash of the email; writes no account."""

    __tablename__ = "sign_in_failure"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(default=clock.now)


class Staff(Editable, Base):
    """ProviderUser: a person on the provider's staff, from invitation to confirmation."""

    __tablename__ = "provider_user"
    __table_args__ = (
        UniqueConstraint("provider_id", "email", name="uq_provider_user_provider_email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    #: Kept (lower-cased) after acceptance too, so listings and uniqueness need no join.
    email: Mapped[str] = mapped_column(String(256))
    role: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[int] = mapped_column(SmallInteger)
    #: The provider key sealed to this person's public key; set on confirmation only.
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_generation: Mapped[int | None] = mapped_column(Integer)
    invited_at: Mapped[datetime] = mapped_column(default=clock.now)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: SHA-256 of the invitation's one-time secret (core.invitation_secret); cleared once accepted.
    invite_secret_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: S12: False = every client (the default); True = only the clients of the client groups in
    #: staff_scope_group (none left = no client at all: a scope never widens by itself).
    scoped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    account: Mapped[Account | None] = relationship(lazy="joined")
