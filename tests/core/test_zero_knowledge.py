"""Zero-knowledge storage (B7), personal items out of every path (S3), no stored master password (S11)."""

from __future__ import annotations

import calendar

import pyotp

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from msp_tui.core import clock, crypto, demo, events, keys
from msp_tui.core.db import Database
from msp_tui.core.demo_vault import DEMO_MEMBER_PASSWORD
from msp_tui.core.errors import AuthFailed, NotFound, Refused
from msp_tui.core.events import EventFilter, EventScope
from msp_tui.core.models import Client, Event, Staff, VaultItem
from msp_tui.core.services import accounts, staff, two_step, vault
from tests.conftest import PASSWORD
from tests.core.test_vault_support import NO_WAIT, add_login, make_client


def _file_bytes(path) -> bytes:
    """The database file and its WAL (and shared memory) as they lie on disk, not checkpointed."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        try:
            with open(f"{path}{suffix}", "rb") as fh:
                data += fh.read()
        except FileNotFoundError:
            pass
    return data


def test_B7_S3_S11_demo_file_holds_no_secret_item_name_or_master_password(tmp_path):
    path = tmp_path / "demo.db"
    db = Database(path)
    built = demo.build(db, clients=30, events=500)
    admin = accounts.sign_in(db, built.email, built.password, throttle=NO_WAIT)
    secrets: set[str] = {built.password, demo.SECOND_ADMIN[2], DEMO_MEMBER_PASSWORD}
    names: set[str] = set()
    from msp_tui.core.services import clients as client_svc
    n_items = 0
    for c in client_svc.list_clients(db, admin, limit=1000).rows:
        for row in vault.export_items(db, admin, c.id):
            n_items += 1
            names.add(row["name"])
            secrets.update(v for k, v in row.items() if k not in ("id", "type", "name", "collections"))
    assert n_items > 50
    with db.read() as s:
        owners = set(s.execute(select(VaultItem.owner_account_id).where(
            VaultItem.owner_account_id.is_not(None))).scalars())
    from msp_tui.core.models import Account
    with db.read() as s:
        emails = [s.get(Account, o).email for o in owners]
    assert len(emails) >= 2
    for email in emails:
        password = built.password if email == built.email else DEMO_MEMBER_PASSWORD
        # The demo enrols some people in two-step login for real, with a secret made from their email.
        code = pyotp.TOTP(two_step.demo_secret(email)).at(calendar.timegm(clock.now().utctimetuple()))
        person = accounts.sign_in(db, email, password, code=code, throttle=NO_WAIT)
        for item in vault.list_personal(db, person):
            names.add(item.name)
            full = vault.view_item(db, person, item.id)
            for f in full.fields:
                value = vault.reveal(db, person, item.id, f.key) if f.protected else f.value
                if value:
                    secrets.add(value)
    raw = _file_bytes(path)
    # The scan works: text stored in the clear is found.
    assert built.email.encode() in raw
    leaked = [t for t in names | {s for s in secrets if len(s) >= 6} if t.encode("utf-8") in raw]
    assert leaked == []
    db.dispose()


def _personal_setup(db, admin):
    c = make_client(db, admin)
    add_login(db, admin, c, "Org shared login", "org-pw-1", c.shared)
    mine = vault.create_item(db, c.user, type="login", name="Uma private bank", personal=True,
                             fields={"username": "uma", "password": "uma-bank-pw-777"})
    return c, mine


def test_S3_provider_user_with_every_key_cannot_decrypt_a_personal_item(db, admin):
    c, mine = _personal_setup(db, admin)
    with db.read() as s:
        blob = s.get(VaultItem, mine.id).data
        org_ids = [r for r in s.execute(select(Client.organization_id)).scalars()]
        held = [admin.secrets.user_key, admin.secrets.private_key, admin.secrets.signing_key,
                keys.provider_key(s, admin, admin.provider_id)]
        held += [keys.org_key(s, admin, oid) for oid in org_ids]
    aads = [vault.item_aad(mine.id, None, c.user.account_id), vault.item_aad(mine.id, c.organization_id, None)]
    for key in held:
        for aad in aads:
            with pytest.raises(crypto.DecryptionError):
                crypto.decrypt(key, blob, aad)
        with pytest.raises(crypto.DecryptionError):
            crypto.unseal(admin.secrets.private_key, blob, aads[0])
    with pytest.raises(NotFound):
        vault.view_item(db, admin, mine.id)
    with pytest.raises(NotFound):
        vault.reveal(db, admin, mine.id)
    with pytest.raises(NotFound):
        vault.edit_item(db, admin, mine.id, name="x")
    with pytest.raises(NotFound):
        vault.delete_item(db, admin, mine.id)
    # The owner, and only the owner, opens it.
    assert vault.reveal(db, c.user, mine.id) == "uma-bank-pw-777"


def test_S3_every_listing_path_leaves_personal_items_out(db, admin):
    c, mine = _personal_setup(db, admin)
    # Staff's own personal items are as private from other staff.
    ada_item = vault.create_item(db, admin, type="note", name="Ada diary", personal=True, fields={"notes": "x"})
    for actor in (admin, c.owner):
        listed = vault.list_items(db, actor, c.organization_id)
        assert [i.name for i in listed] == ["Org shared login"]
        assert vault.list_items(db, actor, c.organization_id, text="bank") == []
        assert vault.open_vault(db, actor, c.organization_id, text="Uma").items == ()
        assert vault.count_items(db, actor, c.organization_id) == 1
        exported = vault.export_items(db, actor, c.organization_id)
        assert [e["name"] for e in exported] == ["Org shared login"]
        assert mine.id not in {i.id for i in vault.list_personal(db, actor)}
    assert [i.name for i in vault.list_personal(db, c.user)] == ["Uma private bank"]
    assert [i.name for i in vault.list_personal(db, admin)] == ["Ada diary"]
    # Events: a personal item's events name no provider, no organization, no item name ...
    with db.read() as s:
        rows = s.execute(select(Event).where(Event.item_id.in_([mine.id, ada_item.id]))).scalars().all()
        assert rows and all(r.provider_id is None and r.organization_id is None for r in rows)
        assert all(r.detail is None or "bank" not in r.detail.lower() for r in rows)
        # ... so neither the provider's timeline nor the client's log shows them.
        for scope in (EventScope(provider_id=admin.provider_id, include_provider_log=True),
                      EventScope(provider_id=admin.provider_id, organization_id=c.organization_id,
                                 include_provider_log=True),
                      EventScope(organization_id=c.organization_id)):
            seen = {r.item_id for r in events.iterate(s, scope, EventFilter())}
            assert mine.id not in seen and ada_item.id not in seen
    # The command line's listing and search.
    from msp_tui.cli import cli
    runner = CliRunner()
    base = ["--db", db.url.render_as_string(hide_password=False), "--email", admin.email,
            "--passwordenv", "MSP_PW", "--format", "json"]
    out = runner.invoke(cli, [*base, "vault", "list", str(c.organization_id)], env={"MSP_PW": PASSWORD})
    assert out.exit_code == 0, out.output
    names = [r["name"] for r in json.loads(out.stdout)]
    assert names == ["Org shared login"]
    out = runner.invoke(cli, [*base, "vault", "list", "--personal"], env={"MSP_PW": PASSWORD})
    assert [r["name"] for r in json.loads(out.stdout)] == ["Ada diary"]


def test_S11_wrong_master_password_unlocks_nothing(db, admin):
    c, mine = _personal_setup(db, admin)
    with pytest.raises(AuthFailed):
        accounts.sign_in(db, "user@contoso.example", "not the password", throttle=NO_WAIT)
    with db.read() as s:
        from msp_tui.core.models import Account
        acc = s.get(Account, c.user.account_id)
    with pytest.raises(crypto.DecryptionError):
        crypto.unlock_account(acc, "not the password")
    c.user.lock()
    assert c.user.secrets is None and c.user.key_cache == {}
    with pytest.raises(AuthFailed):
        accounts.unlock(db, c.user, "not the password", throttle=NO_WAIT)
    assert c.user.secrets is None
    with pytest.raises(AuthFailed):
        vault.list_personal(db, c.user)
    with pytest.raises(AuthFailed):
        vault.list_items(db, c.user, c.organization_id)
    accounts.unlock(db, c.user, "user master password 42", throttle=NO_WAIT)
    assert [i.name for i in vault.list_personal(db, c.user)] == ["Uma private bank"]


def test_S11_removed_staff_open_neither_new_provider_key_nor_rewrapped_client_keys(db, admin):
    c = make_client(db, admin)
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    bob, _ = accounts.accept_invitations(db, email="bob@msp.example", secret=secret,
                                         password="bob master password 1",
                                         throttle=NO_WAIT)
    staff.confirm(db, admin, "bob@msp.example")
    bob = accounts.sign_in(db, "bob@msp.example", "bob master password 1", throttle=NO_WAIT)
    with db.read() as s:
        old_provider_key = keys.provider_key(s, bob, admin.provider_id)
        bob_copy = s.execute(select(Staff.key).where(Staff.account_id == bob.account_id)).scalar()
        old_gen = s.execute(select(Client.key_generation).where(
            Client.organization_id == c.organization_id)).scalar()
    assert crypto.unseal(bob.secrets.private_key, bob_copy,
                         keys.provider_key_aad(admin.provider_id, old_gen)) == old_provider_key
    staff.remove(db, admin, "bob@msp.example")
    with db.read() as s:
        new_provider_key = keys.provider_key(s, admin, admin.provider_id)
        staff_copies = s.execute(select(Staff.key, Staff.key_generation).where(
            Staff.provider_id == admin.provider_id)).all()
        link = s.execute(select(Client).where(Client.organization_id == c.organization_id)).scalar_one()
        org_key = keys.org_key(s, admin, c.organization_id)
    assert new_provider_key != old_provider_key and link.key_generation == old_gen + 1
    # Bob's private key opens none of the new sealed copies of the provider key.
    for blob, gen in staff_copies:
        with pytest.raises(crypto.DecryptionError):
            crypto.unseal(bob.secrets.private_key, blob, keys.provider_key_aad(admin.provider_id, gen))
    # His old provider key opens no client key wrapped after his removal.
    for gen in (old_gen, old_gen + 1):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(old_provider_key, link.key, keys.org_key_aad(c.organization_id, gen))
    assert crypto.decrypt(new_provider_key, link.key, keys.org_key_aad(c.organization_id, old_gen + 1)) == org_key
    # And the program refuses him outright.
    bob = accounts.sign_in(db, "bob@msp.example", "bob master password 1", throttle=NO_WAIT)
    with db.read() as s, pytest.raises(Refused):
        keys.provider_key(s, bob, admin.provider_id)
    with pytest.raises(Refused):
        vault.list_items(db, bob, c.organization_id)
