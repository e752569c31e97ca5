"""Issue 15, attack 12: a removed staffer keeps what they copied.

Org keys were never rotated, so someone who kept a client's org key (and later a copy of the file)
could still decrypt its items. `clients rotate-key` makes a new org key; every item and collection
name of the client is encrypted again in one transaction; the old key opens nothing in the file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from msp_tui.core import crypto, keys
from msp_tui.core.enums import EventType
from msp_tui.core.models import Collection, Event, Member, VaultItem
from msp_tui.core.services import org_keys, staff, vault
from tests.conftest import PASSWORD, make_provider
from tests.core.test_vault_support import add_login, make_client
from tests.world import join


def _old_key_opens(db, org_id, old_key) -> int:
    """How many of the client's blobs in the file the kept key still opens."""
    opened = 0
    with db.read() as s:
        for item_id, data in s.execute(select(VaultItem.id, VaultItem.data).where(
                VaultItem.organization_id == org_id)):
            try:
                crypto.decrypt(old_key, data, vault.item_aad(item_id, org_id, None))
                opened += 1
            except crypto.DecryptionError:
                pass
        for cid, name in s.execute(select(Collection.id, Collection.name).where(Collection.organization_id == org_id)):
            try:
                keys.decrypt_name(old_key, org_id, cid, name, "collection-name")
                opened += 1
            except crypto.DecryptionError:
                pass
    return opened


def test_attack12_a_kept_org_key_opens_nothing_after_rotate_key(db, admin):
    c = make_client(db, admin)
    for i in range(5):
        add_login(db, admin, c, f"Login {i}", f"pw-{i}", c.shared)
    mine = vault.create_item(db, c.user, type="note", name="Mine", fields={"notes": "x"}, personal=True)
    secret = staff.invite(db, admin, ["eve@msp.example"], "service").secrets["eve@msp.example"]
    eve = join(db, "eve@msp.example", secret)
    staff.confirm(db, admin, "eve@msp.example")
    eve.provider_id = admin.provider_id
    kept = vault.open_vault(db, eve, c.organization_id) and _kept_key(db, eve, c.organization_id)
    staff.remove(db, admin, "eve@msp.example")
    assert _old_key_opens(db, c.organization_id, kept) == 5 + 3  # before: 5 items, 3 collection names
    done = org_keys.rotate_org_key(db, admin, c.organization_id)
    assert (done.items, done.collections, done.members, done.damaged) == (5, 3, 2, 0)
    assert _old_key_opens(db, c.organization_id, kept) == 0
    # Everyone still entitled reads everything: staff, the confirmed Owner and User; the personal item is untouched.
    view = vault.open_vault(db, admin, c.organization_id)
    assert len(view.items) == 5 and view.damaged == 0
    assert {e.name for e in view.collections} == {"Default collection", "Shared logins", "Break-glass"}
    assert len(vault.open_vault(db, c.user, c.organization_id).items) == 5
    assert len(vault.open_vault(db, c.owner, c.organization_id).items) == 5
    assert [i.name for i in vault.list_personal(db, c.user)] == ["Mine"] and mine
    # Writes after the rotation, from a session that cached the old key, use the new one.
    vault.create_item(db, c.user, type="login", name="After", client=c.organization_id, collection_ids=[c.shared])
    assert len(vault.open_vault(db, admin, c.organization_id).items) == 6
    with db.read() as s:
        rotated = s.execute(select(Event).where(Event.type == int(EventType.ORGANIZATION_KEY_ROTATED))).scalars().all()
    assert len(rotated) == 1 and rotated[0].organization_id == c.organization_id


def _kept_key(db, actor, org_id) -> bytes:
    with db.read() as s:
        return keys.org_key(s, actor, org_id)


def test_attack12_rotation_leaves_damaged_items_counted_and_unsealed_members_out(db, admin):
    c = make_client(db, admin)
    bad = add_login(db, admin, c, "Broken", "pw", c.shared).id
    add_login(db, admin, c, "Fine", "pw", c.shared)
    with db.write() as s:
        blob = bytearray(s.get(VaultItem, bad).data)
        blob[-1] ^= 1
        s.execute(update(VaultItem).where(VaultItem.id == bad).values(data=bytes(blob)))
        s.execute(update(Member).where(Member.email == "user@contoso.example").values())
    private, public = crypto.new_x25519()
    from msp_tui.core.models import Account
    with db.write() as s:  # a key planted on the User's row: the rotation seals nothing to it
        s.execute(update(Account).where(Account.email == "user@contoso.example").values(public_key=public))
    done = org_keys.rotate_org_key(db, admin, c.name)
    assert (done.items, done.damaged, done.members) == (1, 1, 1)
    assert done.unsealed == ("user@contoso.example",)
    with db.read() as s:
        assert s.execute(select(Member.key).where(Member.email == "user@contoso.example")).scalar() is None
    assert private


def test_attack12_cli_rotate_key_is_quiet_when_stderr_is_not_a_terminal(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    add_login(db, admin, c, "One", "pw", c.shared)
    env = {**os.environ, "PW": PASSWORD, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run([sys.executable, "-m", "msp_tui", "--db", db.url.render_as_string(hide_password=False),
                        "--email", admin.email, "--passwordenv", "PW", "clients", "rotate-key", c.name],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stderr and "━" not in r.stderr  # no progress bar when piped
    assert "1 items" in r.stderr or "1 item" in r.stderr


@pytest.fixture(autouse=True)
def _fast_sign_in(monkeypatch):
    from msp_tui.core.services import accounts

    monkeypatch.setattr(accounts, "THROTTLE", accounts.LoginThrottle(sleep=lambda _s: None))


def test_attack12_cli_staff_remove_names_the_clients_they_opened_and_rotates_with_a_flag(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    add_login(db, admin, c, "One", "pw", c.shared)
    secrets = staff.invite(db, admin, ["eve@msp.example", "fay@msp.example"], "service").secrets
    for email in ("eve@msp.example", "fay@msp.example"):
        person = join(db, email, secrets[email])
        staff.confirm(db, admin, email)
        person.provider_id = admin.provider_id
        vault.open_vault(db, person, c.organization_id)
    env = {**os.environ, "PW": PASSWORD, "PYTHONPATH": os.pathsep.join(sys.path)}

    def run(*argv):
        return subprocess.run([sys.executable, "-m", "msp_tui", "--db", db.url.render_as_string(hide_password=False),
                               "--email", admin.email, "--passwordenv", "PW", *argv],
                              capture_output=True, text=True, env=env)

    r = run("staff", "remove", "eve@msp.example")
    assert r.returncode == 0 and c.name in r.stderr and "clients rotate-key" in r.stderr
    with db.read() as s:
        assert not s.execute(select(Event.id).where(Event.type == int(EventType.ORGANIZATION_KEY_ROTATED))).all()
    r = run("staff", "remove", "fay@msp.example", "--rotate-keys")
    assert r.returncode == 0 and f"rotated the key of {c.name}" in r.stderr
    with db.read() as s:
        assert len(s.execute(select(Event.id).where(Event.type == int(EventType.ORGANIZATION_KEY_ROTATED))).all()) == 1


def test_cli_staff_remove_rotate_keys_under_two_person_approval_files_a_request_per_guarded_client(sqlite_db):
    """Before, --rotate-keys stopped at the first guarded client with core's refusal and filed nothing."""
    from msp_tui.core.services import approvals
    from msp_tui.core.services import clients as client_service

    db = sqlite_db
    admin = make_provider(db)
    names = ["Contoso Dental", "Fabrikam Law"]
    orgs = [client_service.create_client(db, admin, name=n, plan="enterprise-monthly", seats=10,
                                         owner_email=f"owner{i}@clients.example") for i, n in enumerate(names)]
    secrets = staff.invite(db, admin, ["grace@msp.example"], "admin").secrets
    join(db, "grace@msp.example", secrets["grace@msp.example"])
    staff.confirm(db, admin, "grace@msp.example")
    secrets = staff.invite(db, admin, ["fay@msp.example"], "service").secrets
    fay = join(db, "fay@msp.example", secrets["fay@msp.example"])
    staff.confirm(db, admin, "fay@msp.example")
    fay.provider_id = admin.provider_id
    for org in orgs:
        vault.open_vault(db, fay, org.id)
    approvals.set_actions(db, admin, "rotate-client-key")
    env = {**os.environ, "PW": PASSWORD, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run([sys.executable, "-m", "msp_tui", "--db", db.url.render_as_string(hide_password=False),
                        "--email", admin.email, "--passwordenv", "PW", "staff", "remove", "fay@msp.example",
                        "--rotate-keys", "--reason", "fay left"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "0 rotated, 2 sent for approval" in r.stderr
    assert sorted((q.action, q.summary, q.reason) for q in approvals.list_requests(db, admin)) == [
        ("rotate-client-key", f"rotate the key of {n}", "fay left") for n in names]


def test_rotate_each_goes_on_past_a_client_refused_and_names_it(sqlite_db):
    """A client gone since the list was read (here: an id no client has) is named with core's
    sentence; the others are still rotated."""
    import uuid

    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    add_login(db, admin, c, "One", "pw", c.shared)
    done = org_keys.rotate_each(db, admin, [(uuid.uuid4(), "Gone Ltd"), (c.organization_id, c.name)])
    assert [r.client for r in done.rotated] == [c.name] and done.guarded == ()
    assert [name for name, _why in done.refused] == ["Gone Ltd"]
