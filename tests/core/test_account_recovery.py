"""Policy 8 Account recovery administration (issue 16): enrol, recover, and who may not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msp_tui.core import permissions
from msp_tui.core.enums import EventType, MemberRole, PolicyType
from msp_tui.core.errors import AuthFailed, Refused
from msp_tui.core.models import Account, Event, Member
from msp_tui.core.services import accounts, members, policies, recovery, staff, vault
from tests.core.test_vault_support import NO_WAIT, OWNER_PASSWORD, USER_PASSWORD, make_client

P8 = PolicyType.RESET_PASSWORD
TEMP = "temporary master password 7391"
NEW = "my own new master password 2468"


def policy_8(db, admin, org_id, *, auto: bool = False) -> None:
    policies.set_policy(db, admin, org_id, PolicyType.SINGLE_ORG, enabled=True)
    policies.set_policy(db, admin, org_id, P8, enabled=True, options={"auto_enroll_enabled": auto})


def events_of(db, type_: EventType) -> list[Event]:
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(type_))).scalars().all()


def join(db, admin, org_id, email, role="user", password="a member master password 55", perms=frozenset()):
    secret = members.invite(db, admin, org_id, [email], role=role, custom_permissions=perms).secrets[email]
    actor, _ = accounts.accept_invitations(db, email=email, secret=secret, password=password)
    members.confirm(db, admin, org_id, [email], fingerprints={email: accounts.fingerprint_of(db, actor.account_id)})
    return actor


def test_policy_8_member_enrols_and_the_list_shows_it(db, admin):
    c = make_client(db, admin)
    with pytest.raises(Refused) as off:
        recovery.enrol(db, c.user, c.name)
    assert "Account recovery administration" in off.value.message
    policy_8(db, admin, c.organization_id)
    assert recovery.enrol(db, c.user, c.name) == [c.name]
    row = next(v for v in members.list_members(db, admin, c.organization_id) if v.email == "user@contoso.example")
    assert row.recovery_enrolled
    (e,) = events_of(db, EventType.MEMBER_RESET_PASSWORD_ENROLL)
    assert e.acting_account_id == c.user.account_id and e.account_id == c.user.account_id
    assert [x.enrolled for x in recovery.my_enrolments(db, c.user)] == [True]
    recovery.withdraw(db, c.user, c.name)
    assert len(events_of(db, EventType.MEMBER_RESET_PASSWORD_WITHDRAW)) == 1
    assert not any(v.recovery_enrolled for v in members.list_members(db, admin, c.organization_id))


def test_policy_8_auto_enrols_at_accept_and_refuses_withdrawal(db, admin):
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id, auto=True)
    bob = join(db, admin, c.organization_id, "bob@contoso.example")
    (e,) = events_of(db, EventType.MEMBER_RESET_PASSWORD_ENROLL)
    assert e.detail and "automatic" in e.detail and e.account_id == bob.account_id
    with pytest.raises(Refused) as refused:
        recovery.withdraw(db, bob, c.name)
    assert "automatically" in refused.value.message


def test_policy_8_owner_recovers_a_member_keys_and_items_stay(db, admin):
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id)
    item = vault.create_item(db, c.user, type="note", name="Mine", fields={"notes": "kept"}, personal=True)
    old_user_key = c.user.secrets.user_key
    recovery.enrol(db, c.user, c.name)
    assert recovery.recover(db, c.owner, c.name, "user@contoso.example", TEMP) == "user@contoso.example"
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)
    actor = accounts.sign_in(db, "user@contoso.example", TEMP, throttle=NO_WAIT)
    assert actor.must_change_password and actor.secrets.user_key == old_user_key
    with pytest.raises(Refused) as first:
        accounts.require_current_password(actor)
    assert "msp-tui account password" in first.value.message and "account recovery" in first.value.message
    accounts.change_master_password(db, actor, TEMP, NEW, throttle=NO_WAIT)
    again = accounts.sign_in(db, "user@contoso.example", NEW, throttle=NO_WAIT)
    assert not again.must_change_password
    assert vault.view_item(db, again, item.id).field("notes").value == "kept"
    (e,) = events_of(db, EventType.MEMBER_ADMIN_RESET_PASSWORD)
    assert e.acting_account_id == c.owner.account_id and e.account_id == c.user.account_id
    assert e.organization_user_id is not None
    assert len(events_of(db, EventType.USER_UPDATED_TEMP_PASSWORD)) == 1


def test_policy_8_provider_staff_recover_and_the_org_items_still_open(db, admin):
    from tests.core.test_vault_support import add_login

    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id)
    login = add_login(db, admin, c, "Router", "s3cret-router", c.shared)
    recovery.enrol(db, c.user, c.name)
    recovery.recover(db, admin, c.name, "user@contoso.example", TEMP)
    actor = accounts.sign_in(db, "user@contoso.example", TEMP, throttle=NO_WAIT)
    accounts.change_master_password(db, actor, TEMP, NEW, throttle=NO_WAIT)
    assert vault.reveal(db, actor, login.id) == "s3cret-router"


def test_policy_8_admin_with_the_permission_recovers_plain_admin_and_user_do_not(db, admin):
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id)
    recovery.enrol(db, c.user, c.name)
    custom = join(db, admin, c.organization_id, "carl@contoso.example", role="custom",
                  perms=frozenset({"manage_reset_password"}))
    plain_custom = join(db, admin, c.organization_id, "cleo@contoso.example", role="custom",
                        perms=frozenset({"manage_users"}))
    other_user = join(db, admin, c.organization_id, "ursula@contoso.example")
    for who in (plain_custom, other_user):
        with pytest.raises(Refused):
            recovery.recover(db, who, c.name, "user@contoso.example", TEMP)
    assert events_of(db, EventType.MEMBER_ADMIN_RESET_PASSWORD) == []
    recovery.recover(db, custom, c.name, "user@contoso.example", TEMP)
    assert len(events_of(db, EventType.MEMBER_ADMIN_RESET_PASSWORD)) == 1
    # An Admin recovers a User but not the Owner (equal or greater role).
    adm = join(db, admin, c.organization_id, "adam@contoso.example", role="admin")
    recovery.recover(db, adm, c.name, "user@contoso.example", "another temporary password 9182")
    recovery.enrol(db, c.owner, c.name)
    with pytest.raises(Refused) as rank:
        recovery.recover(db, adm, c.name, "owner@contoso.example", TEMP)
    assert "Owner" in rank.value.message
    assert "manage_reset_password" in permissions.CUSTOM_FLAGS


def test_policy_8_refuses_an_unenrolled_member_and_a_client_without_the_policy(db, admin):
    c = make_client(db, admin)
    with pytest.raises(Refused) as off:
        recovery.recover(db, c.owner, c.name, "user@contoso.example", TEMP)
    assert "Account recovery administration" in off.value.message
    policy_8(db, admin, c.organization_id)
    with db.read() as s:
        before = s.get(Account, c.user.account_id).protected_user_key
    with pytest.raises(Refused) as unenrolled:
        recovery.recover(db, c.owner, c.name, "user@contoso.example", TEMP)
    assert "not enrolled" in unenrolled.value.message
    with db.read() as s:
        assert s.get(Account, c.user.account_id).protected_user_key == before
    accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)


def test_policy_8_temporary_password_meets_policy_1(db, admin):
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id)
    policies.set_policy(db, admin, c.organization_id, PolicyType.MASTER_PASSWORD, enabled=True,
                        options={"min_length": 40})
    recovery.enrol(db, c.user, c.name)
    with pytest.raises(Refused) as short:
        recovery.recover(db, c.owner, c.name, "user@contoso.example", TEMP)
    assert "Master password requirements" in short.value.message
    accounts.sign_in(db, "user@contoso.example", USER_PASSWORD, throttle=NO_WAIT)


def test_policy_8_provider_staff_are_never_enrolled_nor_recovered(db, admin):
    """S11: a member who is also provider staff cannot enrol, and joining the staff withdraws them."""
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id)
    recovery.enrol(db, c.user, c.name)
    secret = staff.invite(db, admin, ["user@contoso.example"], role="service").secrets["user@contoso.example"]
    accounts.accept_invitations(db, email="user@contoso.example", secret=secret, password=USER_PASSWORD,
                                throttle=NO_WAIT)
    with db.read() as s:
        m = s.execute(select(Member).where(Member.email == "user@contoso.example")).scalar_one()
        assert m.reset_password_key is None
    assert len(events_of(db, EventType.MEMBER_RESET_PASSWORD_WITHDRAW)) == 1
    with pytest.raises(Refused) as never:
        recovery.enrol(db, c.user, c.name)
    assert never.value.rule == "S11"
    with pytest.raises(Refused) as refused:
        recovery.recover(db, c.owner, c.name, "user@contoso.example", TEMP)
    assert refused.value.rule == "S11"
    # Even a recovery key planted in the database is not used for staff.
    with db.write() as s:
        s.execute(Member.__table__.update().where(Member.email == "user@contoso.example")
                  .values(reset_password_key=b"x" * 80))
    with pytest.raises(Refused) as planted:
        recovery.recover(db, admin, c.name, "user@contoso.example", TEMP)
    assert planted.value.rule == "S11"
    accounts.sign_in(db, "owner@contoso.example", OWNER_PASSWORD, throttle=NO_WAIT)


def test_policy_8_auto_enrol_skips_provider_staff(db, admin):
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id, auto=True)
    secret = members.invite(db, admin, c.organization_id, [admin.email], role="user").secrets[admin.email]
    from tests.conftest import PASSWORD

    accounts.accept_invitations(db, email=admin.email, secret=secret, password=PASSWORD, throttle=NO_WAIT)
    assert events_of(db, EventType.MEMBER_RESET_PASSWORD_ENROLL) == []
    assert MemberRole.USER


def test_policy_8_on_the_command_line(sqlite_db, capsys, monkeypatch):
    """enrol, members recover (refused for a plain User: exit 1), the forced change naming
    `msp-tui account password`, then the new password works."""
    from msp_tui.cli import main
    from tests.conftest import make_provider

    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    policy_8(db, admin, c.organization_id)
    url = db.url.render_as_string(hide_password=False)

    def run(email, pw, *argv):
        monkeypatch.setenv("PW", pw)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main(["--db", url, "--email", email, "--passwordenv", "PW", *argv])
        return exc.value.code, capsys.readouterr()

    monkeypatch.setenv("TEMP", TEMP)
    code, out = run("owner@contoso.example", OWNER_PASSWORD, "members", "recover", c.name,
                    "user@contoso.example", "--temppasswordenv", "TEMP")
    assert code == 1 and "not enrolled" in out.err and "Traceback" not in out.err, out.err
    code, out = run("user@contoso.example", USER_PASSWORD, "account", "recovery", "enrol", c.name)
    assert code == 0 and "enrolled" in out.err, out.err
    code, out = run("user@contoso.example", USER_PASSWORD, "members", "list", c.name, "--format", "csv")
    assert code == 1  # a plain User may not see the members
    code, out = run("owner@contoso.example", OWNER_PASSWORD, "members", "list", c.name, "--format", "csv")
    assert "recovery" in out.out.splitlines()[0] and "enrolled" in out.out, out.out
    code, out = run("user@contoso.example", USER_PASSWORD, "members", "recover", c.name, "owner@contoso.example",
                    "--temppasswordenv", "TEMP")
    assert code == 1 and "refused" in out.err, out.err
    code, out = run("owner@contoso.example", OWNER_PASSWORD, "members", "recover", c.name,
                    "user@contoso.example", "--temppasswordenv", "TEMP")
    assert code == 0, out.err
    code, out = run("user@contoso.example", USER_PASSWORD, "vault", "list", "--personal")
    assert code == 3, out.err  # the old master password no longer opens the account
    code, out = run("user@contoso.example", TEMP, "vault", "list", "--personal")
    assert code == 1 and "msp-tui account password" in out.err and "account recovery" in out.err, out.err
    monkeypatch.setenv("NEW", NEW)
    code, out = run("user@contoso.example", TEMP, "account", "password", "--newpasswordenv", "NEW")
    assert code == 0, out.err
    code, out = run("user@contoso.example", NEW, "vault", "list", "--personal")
    assert code == 0, out.err
    code, out = run("user@contoso.example", NEW, "account", "recovery", "status", "--format", "csv")
    assert "Contoso Dental,on,false,true" in out.out, out.out
