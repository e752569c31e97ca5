"""Reaching the keys an actor holds: the provider key and each client organization's key.

    password → user key → private key → provider key (sealed to the staff member)
                                       → org key (wrapped by the provider key, or sealed to a member)
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from msp_tui.core import crypto
from msp_tui.core.context import Actor
from msp_tui.core.enums import MemberStatus, StaffStatus
from msp_tui.core.errors import AuthFailed, Refused
from msp_tui.core.models import Client, Member, Provider, Staff


def provider_key_aad(provider_id: uuid.UUID, generation: int) -> bytes:
    return crypto.aad("provider-key", provider_id, generation)


def org_key_aad(organization_id: uuid.UUID, generation: int | None = None) -> bytes:
    if generation is None:
        return crypto.aad("org-key", organization_id)
    return crypto.aad("org-key", organization_id, generation)


def _secrets(actor: Actor):
    if actor.secrets is None:
        raise AuthFailed("The session is locked; unlock it with your master password.")
    return actor.secrets


def provider_key(session: Session, actor: Actor, provider_id: uuid.UUID) -> bytes:
    """The current provider key, opened with the actor's private key (confirmed staff only)."""
    generation = session.execute(select(Provider.key_generation).where(Provider.id == provider_id)).scalar_one()
    cache_key = ("provider", provider_id, generation)
    if cache_key in actor.key_cache:
        return actor.key_cache[cache_key]
    staff = session.execute(select(Staff).where(
        Staff.provider_id == provider_id, Staff.account_id == actor.account_id)).scalar_one_or_none()
    if staff is None or staff.status != StaffStatus.CONFIRMED or staff.key is None:
        raise Refused("S1", "Only confirmed provider staff hold the provider key.")
    if staff.key_generation != generation:
        raise Refused("keys", "Your copy of the provider key is out of date; ask an admin to confirm you again.")
    key = crypto.unseal(_secrets(actor).private_key, staff.key, provider_key_aad(provider_id, generation))
    actor.key_cache[cache_key] = key
    return key


def normal_phrase(phrase: str) -> str:
    """A fingerprint phrase as typed (any case, spaces or dashes) in its printed form."""
    return "-".join(re.split(r"[\s,\-]+", (phrase or "").strip().lower())).strip("-")


def pinned_signing_keys(db) -> dict[str, bytes]:
    """The signing keys the checkpoint file (outside the database) pinned, by signer; {} without one."""
    from msp_tui.core import checkpoint
    from msp_tui.core.errors import MspError

    path = checkpoint.default_path(db)
    if path is None or not path.exists():
        return {}
    try:
        return checkpoint.read_file(path).keys
    except MspError:
        return {}


def sealing_key(account, *, fingerprint: str | None = None, pinned: dict[str, bytes] | None = None) -> bytes:
    """The public key a key may be sealed to: refused when its signature fails (a key swapped in the
    database), when the signing key is not the one the checkpoint file pinned for the person (the
    signing key swapped too), or when the fingerprint phrase the admin compared differs."""
    from msp_tui.core.checkpoint import signer_name

    expected = (pinned or {}).get(signer_name(account.id))
    if expected is not None and bytes(expected) != bytes(account.signing_public_key or b""):
        raise Refused("keys", f"{account.email}: their signing key is not the one the checkpoint file pinned "
                      "for them (replaced in the database). Nothing was sealed.")
    if not crypto.public_key_vouched(account):
        raise Refused("keys", f"{account.email}: the public key on file does not carry a valid signature "
                      "of their own signing key (altered in the database, or made before keys were signed: "
                      "they sign in once to sign it). Nothing was sealed to it.")
    if fingerprint is not None:
        from msp_tui.core.fingerprint import fingerprint_phrase

        if normal_phrase(fingerprint) != fingerprint_phrase(account.public_key, account.id):
            raise Refused("fingerprint", f"{account.email}: the fingerprint phrase given is not the one of "
                          "the key on file; nothing was sealed. Ask them to read out the phrase they see "
                          "when they sign in, and compare again.")
    return account.public_key


def system_key_aad(provider_id: uuid.UUID, generation: int) -> bytes:
    return crypto.aad("system-signing-key", provider_id, generation)


def new_system_key(provider: Provider, provider_key_: bytes) -> None:
    """Give the provider a new system key (Ed25519, signs events with no acting person): the public
    half in the clear, the private half wrapped by the provider key, so a copy of the database alone
    cannot sign with it."""
    private, public = crypto.new_ed25519()
    provider.system_signing_public_key = public
    provider.protected_system_signing_key = crypto.encrypt(
        provider_key_, private, system_key_aad(provider.id, provider.key_generation))


def rewrap_system_key(provider: Provider, old_key: bytes, old_generation: int, new_key: bytes,
                      new_generation: int) -> None:
    """The system key wrapped by a rotated provider key (the same key: verify keeps trusting its pin)."""
    if provider.protected_system_signing_key is None:
        return
    private = crypto.decrypt(old_key, provider.protected_system_signing_key,
                             system_key_aad(provider.id, old_generation))
    provider.protected_system_signing_key = crypto.encrypt(new_key, private,
                                                           system_key_aad(provider.id, new_generation))


def system_signing_key(session: Session, actor: Actor, provider_id: uuid.UUID) -> bytes | None:
    """The provider's system signing key, opened through the provider key (confirmed staff only);
    None when the provider has none yet (a database made before it existed) or the actor cannot reach it."""
    provider = session.get(Provider, provider_id)
    if provider is None or provider.protected_system_signing_key is None:
        return None
    try:
        pkey = provider_key(session, actor, provider_id)
        return crypto.decrypt(pkey, provider.protected_system_signing_key,
                              system_key_aad(provider_id, provider.key_generation))
    except (Refused, AuthFailed, crypto.DecryptionError):
        return None


def seal_provider_key(key: bytes, provider_id: uuid.UUID, generation: int, public_key: bytes) -> bytes:
    return crypto.seal(public_key, key, provider_key_aad(provider_id, generation))


def wrap_org_key_for_provider(org_key: bytes, organization_id: uuid.UUID, provider_key_: bytes,
                              generation: int) -> bytes:
    return crypto.encrypt(provider_key_, org_key, org_key_aad(organization_id, generation))


def org_key(session: Session, actor: Actor, organization_id: uuid.UUID) -> bytes:
    """The organization key: through the provider key for staff, else the member's sealed copy.

    Cached per wrapped copy, so after `clients rotate-key` (a new wrapped key in the database) every
    session, in any process, opens the new key instead of encrypting with the one it cached."""
    client = session.execute(select(Client).where(Client.organization_id == organization_id)).scalar_one_or_none()
    if client is not None and client.key is not None:
        staff = session.execute(select(Staff).where(
            Staff.provider_id == client.provider_id, Staff.account_id == actor.account_id,
            Staff.status == StaffStatus.CONFIRMED)).scalar_one_or_none()
        if staff is not None:
            cache_key = ("org", organization_id, bytes(client.key))
            if cache_key not in actor.key_cache:
                pkey = provider_key(session, actor, client.provider_id)
                actor.key_cache[cache_key] = crypto.decrypt(
                    pkey, client.key, org_key_aad(organization_id, client.key_generation))
            return actor.key_cache[cache_key]
    member = session.execute(select(Member).where(
        Member.organization_id == organization_id, Member.account_id == actor.account_id,
        Member.status == MemberStatus.CONFIRMED)).scalar_one_or_none()
    if member is None or member.key is None:
        raise Refused("keys", "You hold no key to this organization.")
    cache_key = ("org", organization_id, bytes(member.key))
    if cache_key not in actor.key_cache:
        actor.key_cache[cache_key] = crypto.unseal(_secrets(actor).private_key, member.key,
                                                   org_key_aad(organization_id))
    return actor.key_cache[cache_key]


def seal_org_key_for_member(org_key_: bytes, organization_id: uuid.UUID, public_key: bytes) -> bytes:
    return crypto.seal(public_key, org_key_, org_key_aad(organization_id))


#: What a listing shows in place of a value whose blob does not open (issue 15, attacks 5 and 6).
DAMAGED = "cannot be decrypted (damaged or altered)"


def name_aad(what: str, organization_id: uuid.UUID, row_id: uuid.UUID) -> bytes:
    """Associated data of an encrypted name: the field, the organization and the row, so a blob
    copied onto another row (or field) does not decrypt."""
    return crypto.aad(what, organization_id, row_id)


def encrypt_name(org_key_: bytes, organization_id: uuid.UUID, row_id: uuid.UUID, name: str, what: str) -> bytes:
    return crypto.encrypt(org_key_, name.encode("utf-8"), name_aad(what, organization_id, row_id))


def decrypt_name(org_key_: bytes, organization_id: uuid.UUID, row_id: uuid.UUID, blob: bytes, what: str) -> str:
    """The name, or DecryptionError when the blob is damaged or belongs to another row.

    Names written before rows were named in the associated data (organization only) still open;
    such a name can still be moved within its organization unnoticed until `clients rotate-key`
    writes it again bound to its row (docs/security.md). A name written since cannot be."""
    try:
        return crypto.decrypt(org_key_, blob, name_aad(what, organization_id, row_id)).decode("utf-8")
    except crypto.DecryptionError:
        return crypto.decrypt(org_key_, blob, crypto.aad(what, organization_id)).decode("utf-8")


def shown_name(org_key_: bytes, organization_id: uuid.UUID, row_id: uuid.UUID, blob: bytes,
               what: str) -> tuple[str, bool]:
    """(name, False), or (DAMAGED, True) when it does not decrypt: a listing goes on without it."""
    try:
        return decrypt_name(org_key_, organization_id, row_id, blob, what), False
    except (crypto.DecryptionError, UnicodeDecodeError):
        return DAMAGED, True
