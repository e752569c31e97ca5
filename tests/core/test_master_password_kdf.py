"""Changing the KDF settings with the master password (issue 16, the master password's life): the
user key is wrapped again under the new Argon2id settings, the keys stay, event 1001; settings out of
bounds are a sentence and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from msp_tui.cli import main
from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput
from msp_tui.core.models import Account, Event
from msp_tui.core.services import accounts, vault
from tests.conftest import make_provider
from tests.core.test_vault_support import NO_WAIT, USER_PASSWORD, make_client

EMAIL = "user@contoso.example"


def _kdf(db):
    with db.read() as s:
        a = s.execute(select(Account).where(Account.email == EMAIL)).scalar_one()
        return a.kdf_memory_kib, a.kdf_iterations, a.kdf_parallelism


def _changes(db):
    with db.read() as s:
        return s.execute(select(func.count()).select_from(Event).where(
            Event.type == int(EventType.USER_CHANGED_PASSWORD))).scalar_one()


def test_master_password_change_with_new_kdf_settings_keeps_the_keys(db, admin):
    c = make_client(db, admin)
    item = vault.create_item(db, c.user, type="note", name="Mine", fields={"notes": "kept"}, personal=True)
    old_key = c.user.secrets.user_key
    accounts.change_master_password(db, c.user, USER_PASSWORD, USER_PASSWORD, throttle=NO_WAIT,
                                    kdf={"iterations": 4, "memory_mib": 96})
    assert _kdf(db) == (96 * 1024, 4, 4)  # parallelism unset: kept
    again = accounts.sign_in(db, EMAIL, USER_PASSWORD, throttle=NO_WAIT)
    assert again.secrets.user_key == old_key
    assert vault.view_item(db, again, item.id).field("notes").value == "kept"
    assert _changes(db) == 1


@pytest.mark.parametrize("kdf", [{"iterations": 2}, {"iterations": 11}, {"memory_mib": 32}, {"memory_mib": 2048},
                                 {"parallelism": 3}, {"parallelism": 17}])
def test_master_password_kdf_settings_out_of_bounds_change_nothing(sqlite_db, kdf):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    before = _kdf(db)
    with pytest.raises(BadInput) as bad:
        accounts.change_master_password(db, c.user, USER_PASSWORD, "another master password 99", kdf=kdf,
                                        throttle=NO_WAIT)
    assert "between" in bad.value.message
    assert _kdf(db) == before and _changes(db) == 0
    accounts.sign_in(db, EMAIL, USER_PASSWORD, throttle=NO_WAIT)


def test_master_password_kdf_settings_on_the_command_line(sqlite_db, capsys, monkeypatch):
    db = sqlite_db
    admin = make_provider(db)
    make_client(db, admin)
    monkeypatch.setenv("PW", USER_PASSWORD)
    base = ["--db", db.url.render_as_string(hide_password=False), "--email", EMAIL, "--passwordenv", "PW",
            "account", "password", "--newpasswordenv", "PW"]

    def run(*argv):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([*base, *argv])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return exc.value.code, out.err

    code, err = run("--kdf-iterations", "1")
    assert code == 2 and "between 3 and 10" in err
    code, err = run("--kdf-iterations", "5", "--kdf-parallelism", "8")
    assert code in (0, None), err
    assert _kdf(db) == (64 * 1024, 5, 8)
    accounts.sign_in(db, EMAIL, USER_PASSWORD, throttle=NO_WAIT)
