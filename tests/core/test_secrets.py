"""S11: the master password is never stored nor recoverable."""

from __future__ import annotations

import pytest

from msp_tui.core import crypto
from msp_tui.core.errors import AuthFailed
from msp_tui.core.services import accounts
from tests.conftest import PASSWORD, make_provider


def test_S11_master_password_is_nowhere_in_the_database_file(sqlite_db):
    make_provider(sqlite_db)
    accounts.sign_in(sqlite_db, "ada@msp.example", PASSWORD)
    sqlite_db.dispose()
    path = sqlite_db.url.database
    blob = b""
    for suffix in ("", "-wal"):
        try:
            blob += open(path + suffix, "rb").read()
        except FileNotFoundError:
            pass
    assert PASSWORD.encode() not in blob
    assert PASSWORD.encode("utf-16-le") not in blob


def test_S11_wrong_password_unlocks_nothing_and_says_only_that(db):
    make_provider(db)
    with pytest.raises(AuthFailed) as wrong:
        accounts.sign_in(db, "ada@msp.example", PASSWORD + "x")
    with pytest.raises(AuthFailed) as unknown:
        accounts.sign_in(db, "nobody@msp.example", PASSWORD)
    assert wrong.value.message == unknown.value.message == "Sign-in failed."


def test_S11_kdf_settings_below_the_minimum_are_refused():
    weak = crypto.KdfParams(memory_kib=1024, iterations=1, parallelism=1)
    with pytest.raises(crypto.DecryptionError, match="below the minimum"):
        crypto.derive_master_key("pw", bytes(16), weak)
