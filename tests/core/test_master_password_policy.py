"""Policy 1 Master password requirements (issue 16): checked at accept and at a master password change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msp_tui.core import crypto
from msp_tui.core import policies as catalogue
from msp_tui.core.enums import EventType, PolicyType
from msp_tui.core.errors import AuthFailed, Refused
from msp_tui.core.models import Account, Event
from msp_tui.core.services import accounts, clients, members, policies, vault
from tests.core.test_vault_support import NO_WAIT, USER_PASSWORD, make_client

P1 = PolicyType.MASTER_PASSWORD


def test_master_password_requirements_combine_to_the_strictest():
    a = catalogue.MasterPasswordOptions(min_length=30, min_complexity=2)
    b = catalogue.MasterPasswordOptions(min_length=14, min_complexity=4, require_upper=True)
    both = catalogue.combine_master_password([a, b])
    assert (both.min_length, both.min_complexity, both.require_upper) == (30, 4, True)
    assert catalogue.combine_master_password([]) is None


def test_master_password_requirements_complexity_is_the_zxcvbn_score():
    opts = catalogue.MasterPasswordOptions(min_length=12, min_complexity=4)
    assert catalogue.master_password_shortfalls(opts, "password1234") != []
    assert catalogue.master_password_shortfalls(opts, "violet-canyon-morsel-quarry-88") == []


def test_master_password_requirements_refuse_a_short_password_at_accept(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    policies.set_policy(db, admin, c.id, P1, enabled=True, options={"min_length": 30})
    secret = members.invite(db, admin, c.id, ["bob@contoso.example"], role="user").secrets["bob@contoso.example"]
    with pytest.raises(Refused) as refused:
        accounts.accept_invitations(db, email="bob@contoso.example", secret=secret, password="thirteen char")
    assert refused.value.rule == "master-password-requirements"
    assert catalogue.MASTER_PASSWORD_NOT_MET in refused.value.message and "30 characters" in refused.value.message
    with db.read() as s:
        assert s.execute(select(Account).where(Account.email == "bob@contoso.example")).first() is None
    # The secret still works with a password that meets the policy.
    accounts.accept_invitations(db, email="bob@contoso.example", secret=secret,
                                password="a master password long enough for thirty")


def test_master_password_change_rewraps_the_user_key_and_keeps_the_keys(db, admin):
    c = make_client(db, admin)
    user = c.user
    item = vault.create_item(db, user, type="note", name="Mine", fields={"notes": "kept"}, personal=True)
    old_key = user.secrets.user_key
    new = "a brand new master password 77"
    accounts.change_master_password(db, user, USER_PASSWORD, new, throttle=NO_WAIT)
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    again = accounts.sign_in(db, "user@contoso.example", new, throttle=NO_WAIT)
    assert again.secrets.user_key == old_key
    assert vault.view_item(db, again, item.id).field("notes").value == "kept"
    with db.read() as s:
        assert s.execute(select(Event).where(Event.type == int(EventType.USER_CHANGED_PASSWORD))).first()


def test_master_password_requirements_refuse_a_weak_new_password(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P1, enabled=True,
                        options={"min_length": 20, "min_complexity": 4})
    with db.read() as s:
        before = s.get(Account, c.user.account_id).protected_user_key
    with pytest.raises(Refused) as refused:
        accounts.change_master_password(db, c.user, USER_PASSWORD, "password1234password", throttle=NO_WAIT)
    assert "Master password requirements" in refused.value.message
    with db.read() as s:
        assert s.get(Account, c.user.account_id).protected_user_key == before
    with pytest.raises(AuthFailed):
        accounts.change_master_password(db, c.user, "not my password", "violet-canyon-morsel-quarry-88",
                                        throttle=NO_WAIT)
    accounts.change_master_password(db, c.user, USER_PASSWORD, "violet-canyon-morsel-quarry-88", throttle=NO_WAIT)


def test_master_password_requirements_enforced_on_login_allow_only_a_change(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P1, enabled=True,
                        options={"min_length": 30, "enforce_on_login": True})
    actor = accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    assert actor.must_change_password
    with pytest.raises(Refused) as refused:
        accounts.require_current_password(actor)
    assert "msp-tui account password" in refused.value.message
    # The Owner is not exempt (the reference exempts no role) but without enforce on login nobody is held.
    accounts.change_master_password(db, actor, USER_PASSWORD, "a master password long enough for thirty",
                                    throttle=NO_WAIT)
    assert not actor.must_change_password
    assert not accounts.sign_in(db, "user@contoso.example", "a master password long enough for thirty",
                                throttle=NO_WAIT).must_change_password


def test_master_password_requirements_on_the_command_line(sqlite_db, capsys, monkeypatch):
    from msp_tui.cli import main
    from tests.conftest import make_provider

    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P1, enabled=True,
                        options={"min_length": 30, "enforce_on_login": True})
    base = ["--db", db.url.render_as_string(hide_password=False), "--email", "user@contoso.example",
            "--passwordenv", "PW"]

    def run(pw, *argv):
        monkeypatch.setenv("PW", pw)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([*base, *argv])
        return exc.value.code, capsys.readouterr().err

    code, err = run(USER_PASSWORD, "vault", "list", "--personal")
    assert code == 1 and "msp-tui account password" in err, err
    monkeypatch.setenv("NEW", "too short pw")
    code, err = run(USER_PASSWORD, "account", "password", "--newpasswordenv", "NEW")
    assert code == 1 and "Master password requirements" in err and "Traceback" not in err, err
    monkeypatch.setenv("NEW", "a master password long enough for thirty")
    code, err = run(USER_PASSWORD, "account", "password", "--newpasswordenv", "NEW")
    assert code == 0, err
    code, err = run("a master password long enough for thirty", "vault", "list", "--personal")
    assert code == 0, err
