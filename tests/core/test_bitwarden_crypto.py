"""The reference's password-protected export crypto (core/formats/bitwarden_crypto.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given, settings, strategies as st

from msp_tui.core.formats import bitwarden_crypto as bw

FAST = bw.Kdf(bw.PBKDF2_SHA256, 5_000)


@settings(max_examples=40, deadline=None)
@given(st.text())
def test_encstring_round_trips_any_text(text):
    keys = bw.derive("pw", "c2FsdA==", FAST)
    value = bw.encrypt(keys, text)
    assert value.startswith("2.") and value.count("|") == 2
    assert bw.decrypt(keys, value) == text


def test_the_structure_is_aes_cbc_then_hmac_over_iv_and_ciphertext():
    keys = bw.derive("pw", "c2FsdA==", FAST)
    iv, ct, mac = (base64.b64decode(p) for p in bw.encrypt(keys, "hello")[2:].split("|"))
    assert len(iv) == 16 and len(ct) == 16 and mac == hmac.new(keys.mac, iv + ct, hashlib.sha256).digest()


def test_pbkdf2_then_hkdf_expand_matches_a_hand_derivation():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    key = hashlib.pbkdf2_hmac("sha256", b"password", b"salt text", 5_000, 32)
    keys = bw.derive("password", "salt text", FAST)
    assert keys.enc == HKDFExpand(hashes.SHA256(), 32, b"enc").derive(key)
    assert keys.mac == HKDFExpand(hashes.SHA256(), 32, b"mac").derive(key)


def test_argon2id_salts_with_the_sha256_of_the_salt_text():
    from argon2.low_level import Type, hash_secret_raw

    key = hash_secret_raw(b"pw", hashlib.sha256(b"s").digest(), time_cost=2, memory_cost=16 * 1024,
                          parallelism=1, hash_len=32, type=Type.ID)
    keys = bw.derive("pw", "s", bw.Kdf(bw.ARGON2ID, 2, 16, 1))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
    assert keys.enc == HKDFExpand(hashes.SHA256(), 32, b"enc").derive(key)


def test_a_wrong_password_or_an_altered_value_is_refused_before_decrypting():
    value = bw.encrypt(bw.derive("right", "s", FAST), "secret")
    with pytest.raises(bw.WrongPassword):
        bw.decrypt(bw.derive("wrong", "s", FAST), value)
    iv, ct, mac = value[2:].split("|")
    flipped = base64.b64encode(bytes([base64.b64decode(ct)[0] ^ 1]) + base64.b64decode(ct)[1:]).decode()
    with pytest.raises(bw.WrongPassword):
        bw.decrypt(bw.derive("right", "s", FAST), f"2.{iv}|{flipped}|{mac}")
    for bad in ("0.abc", "2.a|b", "2.!!|!!|!!", "plain"):
        with pytest.raises(bw.BadEncString):
            bw.decrypt(bw.derive("right", "s", FAST), bad)


@pytest.mark.parametrize("kdf", [bw.Kdf(bw.PBKDF2_SHA256, 1), bw.Kdf(bw.PBKDF2_SHA256, 10**9),
                                 bw.Kdf(bw.ARGON2ID, 3, 8, 4), bw.Kdf(bw.ARGON2ID, 3, 4096, 4),
                                 bw.Kdf(bw.ARGON2ID, 100, 64, 4), bw.Kdf(7, 3)])
def test_kdf_settings_outside_the_reference_bounds_are_refused(kdf):
    with pytest.raises(ValueError, match="outside|unknown"):
        bw.derive("pw", "s", kdf)
