"""Key derivation, wrapping and sealing: the key hierarchy of zero-knowledge storage (B7, S11).

    master password ──Argon2id(salt)──▶ master key ──wraps──▶ user key ──wraps──▶ private keys
    provider key ──sealed to──▶ each confirmed staff member's X25519 public key
    org key ──wrapped by──▶ provider key, and sealed to each confirmed member
    item data ──encrypted by──▶ org key (org items) or the owner's user key (personal items)

Symmetric encryption is AES-256-GCM with a random 96-bit nonce; every blob is bound to what it
belongs to through associated data, so a blob copied onto another row does not decrypt.
Sealing to a public key is X25519 + HKDF-SHA256 + AES-256-GCM with an ephemeral key (X25519 is
chosen over the reference's RSA-2048 because it is as strong and its keys are made in microseconds).
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from ed25519_zebra import ed_verify as _zebra_verify
from nacl.bindings import crypto_core_ed25519_is_valid_point as _sound_point

KEY_BYTES = 32
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A key did not open a blob: wrong key, wrong owner, or altered data."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id settings. The floor is the product's minimum (64 MiB, 3 passes, 4 lanes)."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    parallelism: int = 4

    def check(self) -> None:
        """Refuse settings below the floor (a downgrade planted in the database) or absurdly high
        ones (a planted setting that would exhaust memory or hang every sign-in)."""
        floor, ceiling = MINIMUM_KDF, MAXIMUM_KDF
        if (self.memory_kib < floor.memory_kib or self.iterations < floor.iterations
                or self.parallelism < floor.parallelism):
            raise DecryptionError(
                "The account's key-derivation settings are below the minimum this program accepts "
                f"({floor.memory_kib // 1024} MiB, {floor.iterations} passes, {floor.parallelism} lanes); "
                "refusing to use them.")
        if (self.memory_kib > ceiling.memory_kib or self.iterations > ceiling.iterations
                or self.parallelism > ceiling.parallelism):
            raise DecryptionError(
                "The account's key-derivation settings are above the maximum this program accepts "
                f"({ceiling.memory_kib // 1024} MiB, {ceiling.iterations} passes, {ceiling.parallelism} "
                "lanes); refusing to use them.")


#: The floor: OWASP's and the reference clients' Argon2id defaults (64 MiB, 3 passes, 4 lanes).
MINIMUM_KDF = KdfParams()
#: The ceiling: the reference's upper ranges (1 GiB, 10 passes, 16 lanes).
MAXIMUM_KDF = KdfParams(memory_kib=1024 * 1024, iterations=10, parallelism=16)
DEFAULT_KDF = KdfParams()


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def derive_master_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    params.check()
    return hash_secret_raw(password.encode("utf-8", "surrogatepass"), salt, time_cost=params.iterations,
                           memory_cost=params.memory_kib, parallelism=params.parallelism,
                           hash_len=KEY_BYTES, type=Type.ID)


def encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if blob is None or len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("decryption failed")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("decryption failed") from exc


def _seal_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes, aad: bytes) -> bytes:
    # Both public keys go into the derivation (as in HPKE), so a sealed blob is bound to its recipient.
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral_public + recipient_public,
                info=b"msp-tui seal v2|" + aad).derive(shared)


def _raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal(public_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt to the holder of the X25519 private key matching `public_key`."""
    ephemeral = X25519PrivateKey.generate()
    epub = _raw_public(ephemeral)
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    except ValueError as exc:  # a malformed or low-order public key
        raise DecryptionError("cannot seal to this public key") from exc
    return epub + encrypt(_seal_key(shared, epub, bytes(public_key), aad), plaintext, aad)


def unseal(private_key: bytes, blob: bytes, aad: bytes) -> bytes:
    epub, rest = blob[:32], blob[32:]
    try:
        own = X25519PrivateKey.from_private_bytes(private_key)
        shared = own.exchange(X25519PublicKey.from_public_bytes(epub))
    except ValueError as exc:
        raise DecryptionError("unsealing failed") from exc
    return decrypt(_seal_key(shared, epub, _raw_public(own), aad), rest, aad)


def new_x25519() -> tuple[bytes, bytes]:
    """(private, public) raw bytes."""
    key = X25519PrivateKey.generate()
    return (key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                              serialization.NoEncryption()), _raw_public(key))


def new_ed25519() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    return (key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                              serialization.NoEncryption()),
            key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def signing_public_key(private_key: bytes) -> bytes:
    """The Ed25519 public key of a private one."""
    return Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(private_key: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private_key).sign(message)


def signer(private_key: bytes):
    """A signing function holding the parsed key, for signing many messages."""
    return Ed25519PrivateKey.from_private_bytes(private_key).sign


#: The encodings of Ed25519's small-order points, the top (sign) bit cleared: libsodium's list.
_SMALL_ORDER = frozenset(bytes.fromhex(h) for h in (
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0100000000000000000000000000000000000000000000000000000000000000",  # the neutral point
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p - 1: order 2
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p (= 0): order 4
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p + 1 (= 1)
))
_ALL_ONES = b"\xff" * 30


def _sound_r(r: bytes) -> bool:
    """R canonical (y below p) and not of small order: libsodium's two byte checks on R."""
    top = r[31] & 0x7F
    if top == 0x7F and r[1:31] == _ALL_ONES and r[0] >= 0xED:
        return False  # y >= p: a second encoding of a point
    return r[:31] + bytes((top,)) not in _SMALL_ORDER


@functools.lru_cache(maxsize=4096)
def _sound_key(public_key: bytes) -> bool:
    """A key that is a canonical point of the prime-order group: never the neutral point or another
    small-order one, which cofactored verification lets "sign" every message. A provider has a key
    per person, so each is decided once (~50 µs)."""
    return len(public_key) == 32 and _sound_point(public_key)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Ed25519 verified by ed25519-zebra (Rust, curve25519-dalek): `events verify` checks one
    signature an event, and it takes 40-46 µs here where libsodium takes 58 and OpenSSL 119.

    It keeps libsodium's strictness: S below the group order (zebra), the key a sound point of the
    prime-order group (decided once a key, by libsodium), R canonical and not of small order (two byte
    checks). zebra's equation is the cofactored one of RFC 8032 §5.1.7, which accepts every signature
    the cofactorless one does, and more only where the signer chose an R with a small-order part, which
    takes the private key: of what anyone without that key can make, it accepts nothing OpenSSL rejects
    (tests/core/test_tamper_fast_verify.py). Signing stays on `cryptography`."""
    if len(signature) != 64:
        return False
    signature, public_key = bytes(signature), bytes(public_key)
    if not _sound_r(signature[:32]) or not _sound_key(public_key):
        return False
    return _zebra_verify(signature, bytes(message), public_key)


def aad(*parts: object) -> bytes:
    """Associated data naming what a blob belongs to, e.g. aad('user-key', account_id).

    Parts are labels and ids; a '|' inside a part is escaped so two different lists never give
    the same bytes."""
    return "|".join(str(p).replace("\\", "\\\\").replace("|", "\\|") for p in parts).encode("utf-8")


def public_key_message(account_id: object, public_key: bytes) -> bytes:
    """What an account's signing key signs to vouch for its X25519 public key."""
    return aad("account-public-key", account_id) + b"|" + bytes(public_key)


def public_key_vouched(account) -> bool:
    """Whether the account's public key carries a valid signature of the account's own signing key.

    This catches a public key replaced on its own. Someone who can write the row can also replace
    the signing key and sign their own key with it: only the fingerprint phrase, read out by the
    person from the private key they hold, catches that (docs/security.md)."""
    if not account.public_key or not account.signing_public_key or not account.public_key_signature:
        return False
    return verify_signature(account.signing_public_key, account.public_key_signature,
                            public_key_message(account.id, account.public_key))


def public_of(private_key: bytes) -> bytes:
    """The X25519 public key of a private key."""
    return _raw_public(X25519PrivateKey.from_private_bytes(private_key))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSecrets:
    """What an unlocked account holds in memory; dropped on lock."""

    user_key: bytes
    private_key: bytes
    signing_key: bytes | None


@dataclass(frozen=True)
class NewAccountKeys:
    columns: dict
    secrets: AccountSecrets


def new_account_keys(account_id: object, password: str, params: KdfParams = DEFAULT_KDF) -> NewAccountKeys:
    salt = os.urandom(16)
    master_key = derive_master_key(password, salt, params)
    return _account_keys(account_id, master_key, salt, params)


def sealed_account_keys(account_id: object) -> NewAccountKeys:
    """Keys for an account nobody can sign in to (demo people): the master key is random and forgotten."""
    return _account_keys(account_id, random_key(), os.urandom(16), DEFAULT_KDF)


def _account_keys(account_id: object, master_key: bytes, salt: bytes, params: KdfParams) -> NewAccountKeys:
    user_key = random_key()
    private, public = new_x25519()
    signing, signing_public = new_ed25519()
    columns = dict(
        kdf_memory_kib=params.memory_kib, kdf_iterations=params.iterations,
        kdf_parallelism=params.parallelism, kdf_salt=salt,
        protected_user_key=encrypt(master_key, user_key, aad("user-key", account_id)),
        public_key=public,
        protected_private_key=encrypt(user_key, private, aad("private-key", account_id)),
        signing_public_key=signing_public,
        protected_signing_key=encrypt(user_key, signing, aad("signing-key", account_id)),
        public_key_signature=sign(signing, public_key_message(account_id, public)),
    )
    return NewAccountKeys(columns, AccountSecrets(user_key, private, signing))


def unlock_account(account, password: str) -> AccountSecrets:
    """Open an account's keys with its master password; DecryptionError if the password is wrong."""
    params = KdfParams(account.kdf_memory_kib, account.kdf_iterations, account.kdf_parallelism)
    master_key = derive_master_key(password, account.kdf_salt, params)
    user_key = decrypt(master_key, account.protected_user_key, aad("user-key", account.id))
    private = decrypt(user_key, account.protected_private_key, aad("private-key", account.id))
    signing = (decrypt(user_key, account.protected_signing_key, aad("signing-key", account.id))
               if account.protected_signing_key else None)
    return AccountSecrets(user_key, private, signing)
