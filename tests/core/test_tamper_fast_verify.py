"""Issue 19: `events verify` keeps up (a million events in seconds) without giving up a guarantee.

Signatures are verified with libsodium (twice OpenSSL's speed here) while signing stays on
`cryptography`: both are standard Ed25519, and libsodium's strict checks (S below the group order, no
small-order key or R) accept nothing OpenSSL rejects. The chain hash is recomputed from the values as
the database driver gives them (SQLAlchemy's typed rows cost five times the read): a value in a form
the program never writes is decided by the typed values, and one the program cannot read is named,
never passed and never a traceback. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from msp_tui.core import chain_check, crypto, events
from msp_tui.core.models import Account
from tests.core.test_tamper import EV, built, log, row, tamper, verify  # noqa: F401 - fixtures

L = 2**252 + 27742317777372353535851937790883648493  # the order of Ed25519's base point
IDENTITY = bytes([1]) + bytes(31)  # the neutral point: a small-order "public key"
#: Encodings of the eight small-order points and of some non-canonical ones (y ≥ p).
SMALL_ORDER = [
    IDENTITY,
    bytes(32),  # order 4
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # -1: order 2
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),  # order 8
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),  # order 8
    bytes.fromhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # non-canonical
    bytes.fromhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # y = p
]


def openssl_accepts(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


@pytest.fixture(scope="module")
def signed():
    private, public = crypto.new_ed25519()
    message = os.urandom(32)
    return private, public, message, crypto.sign(private, message)


def test_signature_made_by_cryptography_verifies_and_a_tampered_one_does_not(signed):
    from nacl.bindings import crypto_sign_open

    _private, public, message, signature = signed
    assert crypto_sign_open(signature + message, public) == message  # libsodium itself
    assert crypto.verify_signature(public, signature, message)
    flip = lambda b, i: b[:i] + bytes([b[i] ^ 1]) + b[i + 1:]  # noqa: E731
    for i in (0, 31, 32, 63):
        assert not crypto.verify_signature(public, flip(signature, i), message)
    assert not crypto.verify_signature(public, signature, flip(message, 5))
    assert not crypto.verify_signature(flip(public, 3), signature, message)
    assert not crypto.verify_signature(public, signature[:63], message)
    assert not crypto.verify_signature(public, signature + b"\0", message)
    assert not crypto.verify_signature(public[:31], signature, message)
    assert not crypto.verify_signature(public, signature, message + b"\0")


def test_non_canonical_s_is_refused_by_both(signed):
    """S + L is the same scalar: a second valid-looking signature for the same event (malleability)."""
    _private, public, message, signature = signed
    s = int.from_bytes(signature[32:], "little") + L
    malleated = signature[:32] + s.to_bytes(32, "little")
    assert not openssl_accepts(public, malleated, message)
    assert not crypto.verify_signature(public, malleated, message)


def test_small_order_key_that_openssl_accepts_for_any_message_is_refused():
    """With the neutral point as the key, R = neutral and S = 0 satisfy OpenSSL's equation for every
    message: a universal forgery. libsodium refuses small-order keys and R."""
    forged = IDENTITY + bytes(32)
    message = os.urandom(32)
    assert openssl_accepts(IDENTITY, forged, message)  # why the library changed matters
    assert not crypto.verify_signature(IDENTITY, forged, message)
    for point in SMALL_ORDER:
        for s in (bytes(32), (1).to_bytes(32, "little")):
            assert not crypto.verify_signature(point, point + s, message)


BASE = bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")  # B itself: r = 1


def test_small_order_key_with_an_ordinary_r_forges_every_message_under_the_cofactored_equation_and_is_refused():
    """The verifier (ed25519-zebra) checks [8][S]B = [8]R + [8][k]A: with A of small order the key
    term vanishes, so R = B and S = 1 pass for every message. The key's soundness, decided once a key,
    is what refuses it (R here is an ordinary point: the R checks do not)."""
    from ed25519_zebra import ed_verify

    forged = BASE + (1).to_bytes(32, "little")
    for point in SMALL_ORDER[:5]:
        message = os.urandom(32)
        assert ed_verify(forged, message, point)  # the library alone: why the key check matters
        assert not crypto.verify_signature(point, forged, message)


def _scalar_of(private: bytes) -> int:
    digest = bytearray(hashlib.sha512(private).digest()[:32])
    digest[0] &= 248
    digest[31] = (digest[31] & 127) | 64
    return int.from_bytes(digest, "little")


@pytest.mark.parametrize("r", [IDENTITY, bytes.fromhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")],
                         ids=["neutral R", "neutral R encoded as p + 1"])
def test_small_order_or_non_canonical_r_the_key_holder_can_make_is_refused_as_libsodium_refuses_it(signed, r):
    """With R the neutral point and S = k·a the signer's own key makes a second signature of any event
    that OpenSSL and the cofactored equation both accept; libsodium refuses R of small order and R
    not in its one encoding, and so do we."""
    from ed25519_zebra import ed_verify
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    private, public, message, _signature = signed
    k = int.from_bytes(hashlib.sha512(r + public + message).digest(), "little") % L
    odd = r + (k * _scalar_of(private) % L).to_bytes(32, "little")
    assert ed_verify(odd, message, public)  # the library alone
    with pytest.raises(BadSignatureError):
        crypto_sign_open(odd + message, public)
    assert not crypto.verify_signature(public, odd, message)


@settings(max_examples=300, deadline=None)
@given(key_at=st.integers(0, 31), sig_at=st.integers(0, 63), msg_at=st.integers(0, 31),
       flips=st.lists(st.sampled_from(["key", "sig", "msg"]), max_size=3), bit=st.integers(0, 7),
       small=st.sampled_from([None, *SMALL_ORDER]), r_small=st.sampled_from([None, *SMALL_ORDER]),
       s_plus=st.sampled_from([0, L, 2**255 - 1]))
def test_our_verify_accepts_nothing_openssl_rejects(signed, key_at, sig_at, msg_at, flips, bit, small,
                                                     r_small, s_plus):
    _private, public, message, signature = signed
    key, sig, msg = bytearray(public), bytearray(signature), bytearray(message)
    for what in flips:
        target, at = {"key": (key, key_at), "sig": (sig, sig_at), "msg": (msg, msg_at)}[what]
        target[at] ^= 1 << bit
    if small is not None:
        key[:] = small
    if r_small is not None:
        sig[:32] = r_small
    if s_plus:
        s = (int.from_bytes(sig[32:], "little") + s_plus) % 2**256
        sig[32:] = s.to_bytes(32, "little")
    key, sig, msg = bytes(key), bytes(sig), bytes(msg)
    if crypto.verify_signature(key, sig, msg):
        assert openssl_accepts(key, sig, msg)


def test_attack_small_order_key_in_the_database_signs_every_event_is_found(log):
    """No checkpoint pins the service account's key: an intruder puts the neutral point in its place
    and gives its events the universal forgery, then rewrites one of them. OpenSSL accepted that."""
    db, _admin, service, count = log
    theirs = [r["id"] for r in (row(db, i) for i in range(1, count + 1))
              if r["acting_account_id"] == service.account_id]
    assert theirs
    target = theirs[-1]
    tamper(db, update(Account.__table__).where(Account.__table__.c.id == service.account_id)
           .values(signing_public_key=IDENTITY),
           update(EV).where(EV.c.id.in_(theirs)).values(signature=IDENTITY + bytes(32)))
    result = verify(db)
    assert not result.ok and result.event_id == theirs[0] and "no valid signature" in result.problem
    assert target  # (the rewrite itself would then pass unseen under OpenSSL)


# --- the chain hash from the driver's values --------------------------------------------------

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(id_=st.integers(1, 2**62), type_=st.integers(0, 9999),
       date=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
       ids=st.lists(st.one_of(st.none(), st.uuids()), min_size=11, max_size=11), log_=st.booleans(),
       device=st.one_of(st.none(), texts), ip=st.one_of(st.none(), texts),
       system_user=st.one_of(st.none(), st.integers(-32768, 32767)), detail=st.one_of(st.none(), texts))
def test_stored_form_hashes_exactly_as_the_typed_values(id_, type_, date, ids, log_, device, ip, system_user,
                                                         detail):
    """What SQLite holds for an event (uuid hex, 'YYYY-MM-DD HH:MM:SS.ffffff', 0/1), and what PostgreSQL
    is asked to send, gives the same canonical bytes as the values the program wrote: commas, quotes,
    backslashes, control characters, any Unicode."""
    typed = [id_, type_, date, ids[0], log_, *ids[1:], device, ip, system_user, detail]
    stored = [id_, type_, date.strftime("%Y-%m-%d %H:%M:%S.%f"), ids[0] and ids[0].hex, int(log_),
              *[u and u.hex for u in ids[1:]], device, ip, system_user, detail]
    assert chain_check.sqlite_form(stored) == events._canonical_row(typed)


def test_sqlite_form_refuses_what_the_program_never_writes():
    good = [7, 1800, "2026-12-03 10:00:00.000000", uuid.uuid4().hex, 1, *[None] * 10, "terminal", None, None,
            '{"a": 1}']
    assert chain_check.sqlite_form(good) is not None
    odd = {
        3: [uuid.uuid4().hex.upper(), uuid.uuid4().hex[:31], str(uuid.uuid4()), 12345, b"x" * 32, ""],
        2: ["2026-12-03T10:00:00.000000", "2026-12-03 10:00:00", "2026-12-03 10:00:00.000000,1", None, 5],
        0: ["7", 7.0, None],
        4: [2, None, "1"],
        15: [b"terminal", 3],
        17: ["1", 1.5],
    }
    for at, values in odd.items():
        for value in values:
            changed = list(good)
            changed[at] = value
            assert chain_check.sqlite_form(changed) is None, (at, value)


def sqlite_only(db):
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's typed columns cannot hold this form")


def test_uuid_written_in_capitals_still_verifies_as_the_same_value(log):
    """SQLite holds any text; the program reads 'ABC…' as the same id, so the event is unchanged."""
    db, *_ = log
    sqlite_only(db)
    with db.engine.begin() as c:
        c.execute(text("UPDATE event SET provider_id = upper(provider_id) WHERE id = 3"))
        c.execute(text("UPDATE event SET date = replace(date, ' ', 'T') WHERE id = 4"))
    assert verify(db, workers=1).ok
    assert verify(db, workers=2, chunk=2).ok


def test_attack_fields_shifted_across_a_comma_are_found_and_named(log):
    """A forger moves text between two columns so that the concatenation reads as before: the date
    takes a comma and the start of the provider id, the provider id keeps the rest. The program cannot
    read that date; verify names the event (before: a traceback from the date parser)."""
    db, *_ = log
    sqlite_only(db)
    r = row(db, 3)
    p = r["provider_id"].hex
    stored = r["date"].strftime("%Y-%m-%d %H:%M:%S.%f")
    with db.engine.begin() as c:
        c.execute(text("UPDATE event SET date = :d, provider_id = :p WHERE id = 3"),
                  {"d": f"{stored},{p[:16]}", "p": p[16:]})
    for kw in ({"workers": 1}, {"workers": 2, "chunk": 2}):
        result = verify(db, **kw)
        assert not result.ok and result.event_id == 3 and "altered" in result.problem


def test_attack_id_made_text_is_found(log):
    db, *_ = log
    sqlite_only(db)
    with db.engine.begin() as c:
        c.execute(text("UPDATE event SET organization_user_id = 'not an id' WHERE id = 5"))
    result = verify(db)
    assert not result.ok and result.event_id == 5 and "altered" in result.problem


def test_verify_reads_events_without_sqlalchemy_types(log):
    """The chunk read is the driver's own rows (five times cheaper than typed rows): one statement,
    the chained columns, the links and the signature."""
    db, *_ = log
    with db.read() as s:
        rows = chain_check.read_chunk(s.connection(), 0, 3)
    assert [r[0] for r in rows] == [1, 2, 3] and len(rows[0]) == len(events.CHAINED_FIELDS) + 3
    date = rows[0][events.CHAINED_FIELDS.index("date")]
    assert isinstance(date, str) and date[10] == " "  # SQLite's stored text; PostgreSQL sends the same
    r = row(db, 1)
    assert rows[0][:4] == (1, r["type"], r["date"].strftime("%Y-%m-%d %H:%M:%S.%f"), r["provider_id"].hex)
    # ...and every row hashes in that form, with no decoding (the quick path is the one taken).
    prev = bytes(32)
    for stored in rows:
        assert crypto.sha256(prev + chain_check.sqlite_form(stored)) == stored[-2]
        prev = stored[-2]


@pytest.mark.parametrize("year", [1, 999, 9999])
def test_dates_far_from_today_hash_the_same_on_both_engines(log, year):
    """PostgreSQL's to_char and SQLite's stored text both give the date as the program writes it."""
    db, *_ = log
    r = row(db, 2)
    values = {f: r[f] for f in events.CHAINED_FIELDS}
    values["date"] = r["date"].replace(year=year)
    tamper(db, update(EV).where(EV.c.id == 2).values(date=values["date"],
                                                     hash=events.chain_hash(r["prev_hash"], values)))
    result = verify(db, check_signatures=False)
    assert result.event_id != 2 and (result.ok or "does not link" in result.problem), result.problem
