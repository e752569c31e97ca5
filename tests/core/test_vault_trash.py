"""The trash (issue 17): a deletion moves an item to the client's trash (1115); restore (1116) brings
it back into its collections; delete permanently (1102); 30 days in the trash, then purged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from msp_tui.core import clock
from msp_tui.core.enums import EventType, ItemType
from msp_tui.core.errors import NotFound, Refused
from msp_tui.core.models import Event, VaultItem
from msp_tui.core.services import vault
from tests.core.test_vault_cli import _run
from tests.conftest import PASSWORD, make_provider
from tests.core.test_vault_support import USER_PASSWORD, add_login, make_client


def _types(db):
    with db.read() as s:
        return [e.type for e in s.execute(select(Event).where(Event.type.in_(
            [1102, 1115, 1116])).order_by(Event.id)).scalars()]


def test_a_deleted_item_goes_to_the_trash_out_of_every_listing_and_search(db, admin):
    c = make_client(db, admin)
    item = add_login(db, admin, c, "Router admin", "pw-router-1", c.shared)
    add_login(db, admin, c, "Router backup", "pw-router-2", c.shared)
    vault.delete_item(db, admin, item.id)
    assert [i.name for i in vault.list_items(db, admin, c.name)] == ["Router backup"]
    assert [i.name for i in vault.list_items(db, admin, c.name, text="router")] == ["Router backup"]
    assert [i.name for i in vault.list_items(db, c.user, c.organization_id)] == ["Router backup"]
    assert vault.count_items(db, admin, c.name) == 1
    view = vault.open_vault(db, admin, c.name)
    assert {e.name: e.items for e in view.collections}["Shared logins"] == 1
    assert [i["name"] for i in vault.export_items(db, admin, c.name)] == ["Router backup"]
    with pytest.raises(NotFound, match="in the trash"):
        vault.view_item(db, admin, item.id)
    with pytest.raises(NotFound):
        vault.view_item(db, admin, "Router admin", client=c.name)
    trash = vault.list_trash(db, admin, c.name)
    assert [(i.name, i.deleted_at is not None) for i in trash] == [("Router admin", True)]
    assert _types(db) == [EventType.ITEM_SOFT_DELETED]


def test_a_restore_brings_back_the_item_and_its_collections(db, admin):
    c = make_client(db, admin)
    item = vault.create_item(db, admin, type="login", name="Two homes", client=c.organization_id,
                             collection_ids=[c.shared, c.readonly], fields={"password": "pw-two"})
    vault.delete_item(db, admin, item.id)
    restored = vault.restore_item(db, admin, item.id)
    assert set(restored.collection_ids) == {c.shared, c.readonly}
    assert [i.name for i in vault.list_items(db, c.user, c.organization_id)] == ["Two homes"]
    assert vault.reveal(db, admin, item.id) == "pw-two"
    assert vault.list_trash(db, admin, c.name) == []
    with pytest.raises(NotFound, match="not in the trash"):
        vault.restore_item(db, admin, item.id)
    assert _types(db) == [EventType.ITEM_SOFT_DELETED, EventType.ITEM_RESTORED]


def test_only_those_who_may_delete_may_trash_restore_or_delete_permanently(db, admin):
    c = make_client(db, admin)
    item = add_login(db, admin, c, "Wifi", "pw-wifi", c.shared)  # the user can edit, not manage
    with pytest.raises(Refused):
        vault.delete_item(db, c.user, item.id)
    vault.delete_item(db, admin, item.id)
    # The user sees it in the trash (as in the vault) but may neither restore nor purge it.
    assert [i.name for i in vault.list_trash(db, c.user, c.organization_id)] == ["Wifi"]
    with pytest.raises(Refused):
        vault.restore_item(db, c.user, item.id)
    with pytest.raises(Refused):
        vault.delete_item(db, c.user, item.id, permanent=True)
    vault.delete_item(db, c.owner, item.id, permanent=True)
    assert vault.list_trash(db, admin, c.name) == []
    assert _types(db) == [EventType.ITEM_SOFT_DELETED, EventType.ITEM_DELETED]


def test_items_in_the_trash_over_30_days_are_purged_on_open_and_on_demand(db, admin):
    c = make_client(db, admin)
    old = add_login(db, admin, c, "Old", "pw-old", c.shared)
    new = add_login(db, admin, c, "New", "pw-new", c.shared)
    start = clock.now()
    try:
        clock.freeze(start - timedelta(days=31))
        vault.delete_item(db, admin, old.id)
        clock.freeze(start - timedelta(days=29))
        vault.delete_item(db, admin, new.id)
        clock.freeze(start)
        assert vault.purge_trash(db, admin, c.name) == 1
        assert [i.name for i in vault.list_trash(db, admin, c.name)] == ["New"]
        clock.freeze(start + timedelta(days=2))
        vault.open_vault(db, admin, c.name)  # opening the vault purges too
    finally:
        clock.freeze(None)
    with db.read() as s:
        assert s.execute(select(VaultItem).where(VaultItem.organization_id == c.organization_id)).all() == []
    assert _types(db) == [1115, 1115, 1102, 1102]


def test_personal_items_have_their_own_trash_no_one_else_sees(db, admin):
    c = make_client(db, admin)
    mine = vault.create_item(db, c.user, type="note", name="Diary", fields={"notes": "x"}, personal=True)
    vault.delete_item(db, c.user, mine.id)
    assert vault.list_personal(db, c.user) == []
    assert [i.name for i in vault.list_trash(db, c.user, personal=True)] == ["Diary"]
    assert vault.list_trash(db, admin, c.name) == []
    with pytest.raises(NotFound):
        vault.restore_item(db, admin, mine.id)
    vault.restore_item(db, c.user, mine.id)
    assert [i.name for i in vault.list_personal(db, c.user)] == ["Diary"]


def test_new_item_types_bank_account_drivers_licence_passport(db, admin):
    c = make_client(db, admin)
    samples = {
        "bank-account": ({"bank_name": "First Bank", "account_number": "12345678", "iban": "DE89 3704"},
                         ItemType.BANK_ACCOUNT, "First Bank *5678", "account_number"),
        "drivers-licence": ({"first_name": "Olga", "last_name": "Owner", "license_number": "D123"},
                            ItemType.DRIVERS_LICENSE, "Olga Owner", "license_number"),
        "passport": ({"given_name": "Olga", "surname": "Owner", "passport_number": "P999"},
                     ItemType.PASSPORT, "Olga Owner", "passport_number"),
    }
    for type_, (fields, item_type, subtitle, secret) in samples.items():
        item = vault.create_item(db, admin, type=type_, name=f"A {type_}", fields=fields,
                                 client=c.organization_id, collection_ids=[c.readonly])
        assert item.type == item_type and item.subtitle == subtitle
        assert item.field(secret).protected and item.field(secret).value is None
        assert vault.reveal(db, admin, item.id, secret) == fields[secret]
        # "Can view, except passwords" keeps the protected numbers hidden.
        with pytest.raises(Refused):
            vault.reveal(db, c.user, item.id, secret)
    assert int(ItemType.BANK_ACCOUNT) == 6 and int(ItemType.DRIVERS_LICENSE) == 7 and int(ItemType.PASSPORT) == 8


def test_cli_delete_trash_restore_purge(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    out = _run(db, admin.email, PASSWORD, "vault", "add", c.name, "--type", "passport", "--name", "Travel",
               "--collection", "Shared logins", "--field", "passport_number=P1")
    assert out.exit_code == 0, out.output
    item_id = out.stdout.strip().splitlines()[-1]
    out = _run(db, admin.email, PASSWORD, "vault", "delete", "Travel", "--client", c.name, "--yes")
    assert out.exit_code == 0 and "trash" in out.stderr
    trash = json.loads(_run(db, admin.email, PASSWORD, "--format", "json", "vault", "trash", c.name).stdout)
    assert [(r["name"], r["type"], r["collections"]) for r in trash] == [("Travel", "Passport", ["Shared logins"])]
    assert trash[0]["deleted"].endswith("Z")
    with pytest.raises(Refused, match="Can manage"):
        _run(db, "user@contoso.example", USER_PASSWORD, "vault", "restore", item_id)
    out = _run(db, admin.email, PASSWORD, "vault", "restore", "Travel", "--client", c.name)
    assert out.exit_code == 0, out.output
    listed = json.loads(_run(db, admin.email, PASSWORD, "--format", "json", "vault", "list", c.name).stdout)
    assert [r["name"] for r in listed] == ["Travel"]
    assert _run(db, admin.email, PASSWORD, "vault", "delete", item_id, "--permanent", "--yes").exit_code == 0
    out = _run(db, admin.email, PASSWORD, "vault", "purge-trash", c.name)
    assert out.exit_code == 0 and "purged 0 items" in out.stderr
