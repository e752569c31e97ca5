"""The reference's password-protected export: its key derivation and its EncString, written from the
published structure (no code of the reference's is used).

    key     = PBKDF2-SHA256(password, salt, iterations)                         kdfType 0
            | Argon2id(password, SHA-256(salt), iterations, memory MiB, lanes)   kdfType 1
    enc,mac = HKDF-Expand-SHA256(key, "enc", 32), HKDF-Expand-SHA256(key, "mac", 32)
    EncString "2.<iv>|<ciphertext>|<mac>" (base64): AES-256-CBC (PKCS#7) under enc, then
              HMAC-SHA256(iv + ciphertext) under mac, checked before anything is decrypted.

The salt is the file's `salt` string itself, as UTF-8 (the reference feeds the base64 text to the KDF,
not its decoding). Settings read from a file are bounded both ways: below the floor a file would be a
planted downgrade, above the ceiling a way to hang or exhaust the machine.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PBKDF2_SHA256 = 0
ARGON2ID = 1
KDF_NAMES = {PBKDF2_SHA256: "PBKDF2-SHA256", ARGON2ID: "Argon2id"}


class WrongPassword(Exception):
    """The password does not open the file (or the file was altered)."""


class BadEncString(ValueError):
    """Not an EncString of type 2."""


@dataclass(frozen=True)
class Kdf:
    """The reference's KDF settings: memory in MiB and parallelism only for Argon2id."""

    type: int = PBKDF2_SHA256
    iterations: int = 600_000
    memory_mib: int | None = None
    parallelism: int | None = None

    def check(self) -> None:
        """A clear sentence for settings outside the reference's own bounds (ValueError)."""
        if self.type == PBKDF2_SHA256:
            if not 5_000 <= self.iterations <= 2_000_000:
                raise ValueError(f"its PBKDF2-SHA256 iterations ({self.iterations}) are outside 5,000 to 2,000,000")
            return
        if self.type != ARGON2ID:
            raise ValueError(f"its key derivation type {self.type!r} is unknown (0 PBKDF2-SHA256, 1 Argon2id)")
        if not 2 <= self.iterations <= 10:
            raise ValueError(f"its Argon2id iterations ({self.iterations}) are outside 2 to 10")
        if self.memory_mib is None or not 16 <= self.memory_mib <= 1024:
            raise ValueError(f"its Argon2id memory ({self.memory_mib} MiB) is outside 16 to 1024 MiB")
        if self.parallelism is None or not 1 <= self.parallelism <= 16:
            raise ValueError(f"its Argon2id parallelism ({self.parallelism}) is outside 1 to 16")


#: What msp-tui writes: the reference's defaults.
DEFAULT_PBKDF2 = Kdf(PBKDF2_SHA256, 600_000)
DEFAULT_ARGON2ID = Kdf(ARGON2ID, 3, 64, 4)


@dataclass(frozen=True)
class Keys:
    enc: bytes
    mac: bytes


def derive(password: str, salt: str, kdf: Kdf) -> Keys:
    kdf.check()
    secret = password.encode("utf-8")
    if kdf.type == PBKDF2_SHA256:
        key = PBKDF2HMAC(hashes.SHA256(), 32, salt.encode("utf-8"), kdf.iterations).derive(secret)
    else:
        key = hash_secret_raw(secret, hashlib.sha256(salt.encode("utf-8")).digest(), time_cost=kdf.iterations,
                              memory_cost=kdf.memory_mib * 1024, parallelism=kdf.parallelism, hash_len=32,
                              type=Type.ID)
    return Keys(HKDFExpand(hashes.SHA256(), 32, b"enc").derive(key),
                HKDFExpand(hashes.SHA256(), 32, b"mac").derive(key))


def new_salt() -> str:
    return base64.b64encode(os.urandom(16)).decode("ascii")


def encrypt(keys: Keys, text: str) -> str:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(text.encode("utf-8")) + padder.finalize()
    enc = Cipher(algorithms.AES(keys.enc), modes.CBC(iv)).encryptor()
    ct = enc.update(data) + enc.finalize()
    mac = hmac.new(keys.mac, iv + ct, hashlib.sha256).digest()
    return "2." + "|".join(base64.b64encode(p).decode("ascii") for p in (iv, ct, mac))


def _parts(value: str) -> tuple[bytes, bytes, bytes]:
    if not isinstance(value, str) or not value.startswith("2."):
        raise BadEncString("not an encrypted value of type 2 (AES-256-CBC with HMAC-SHA256)")
    pieces = value[2:].split("|")
    if len(pieces) != 3:
        raise BadEncString("an encrypted value needs three parts: iv|data|mac")
    try:
        iv, ct, mac = (base64.b64decode(p, validate=True) for p in pieces)
    except (binascii.Error, ValueError) as exc:
        raise BadEncString("an encrypted value is not valid base64") from exc
    if len(iv) != 16 or len(mac) != 32 or not ct or len(ct) % 16:
        raise BadEncString("an encrypted value has parts of the wrong length")
    return iv, ct, mac


def decrypt(keys: Keys, value: str) -> str:
    iv, ct, mac = _parts(value)
    if not hmac.compare_digest(mac, hmac.new(keys.mac, iv + ct, hashlib.sha256).digest()):
        raise WrongPassword("the MAC does not match")
    dec = Cipher(algorithms.AES(keys.enc), modes.CBC(iv)).decryptor()
    data = dec.update(ct) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(data) + unpadder.finalize()
        return plain.decode("utf-8")
    except ValueError as exc:  # a MAC that matched over bad padding or text: made with the right key
        raise BadEncString("an encrypted value decrypted to something that is not text") from exc
