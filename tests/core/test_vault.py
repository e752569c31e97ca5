"""The client vault service: items, access levels, events, re-prompt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from msp_tui.core import clock
from msp_tui.core.enums import EventType, ItemType
from msp_tui.core.errors import AuthFailed, BadInput, NotFound, Refused, StaleEdit
from msp_tui.core.models import Event
from msp_tui.core.services import accounts, vault
from tests.conftest import PASSWORD
from tests.core.test_vault_support import NO_WAIT, add_login, make_client


def _events(db, *types):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type.in_([int(t) for t in types])).order_by(Event.id)
                         ).scalars().all()


def test_staff_create_list_view_edit_delete(db, admin):
    c = make_client(db, admin)
    item = add_login(db, admin, c, "Router admin", "s3cret-router-pw", c.shared)
    assert item.type == ItemType.LOGIN and item.field("password").value is None  # hidden until revealed
    items = vault.list_items(db, admin, c.name)
    assert [i.name for i in items] == ["Router admin"]
    assert items[0].subtitle == "router.admin@contoso.example"
    shown = vault.view_item(db, admin, item.id)
    assert shown.field("username").value == "router.admin@contoso.example"
    assert shown.field("password").value is None and shown.field("password").has_value
    assert vault.reveal(db, admin, item.id) == "s3cret-router-pw"
    edited = vault.edit_item(db, admin, item.id, name="Core router", fields={"password": "n3w-pw"},
                             expected_version=shown.version)
    assert edited.name == "Core router" and edited.version > shown.version
    assert vault.reveal(db, admin, item.id) == "n3w-pw"
    with pytest.raises(StaleEdit):
        vault.edit_item(db, admin, item.id, name="Again", expected_version=shown.version)
    vault.delete_item(db, admin, item.id)
    assert vault.list_items(db, admin, c.name) == []
    vault.delete_item(db, admin, item.id, permanent=True)
    types = [e.type for e in _events(db, *range(1100, 1120))]
    assert types == [1100, 1107, 1108, 1101, 1108, 1115, 1102]


def test_all_item_types_round_trip(db, admin):
    c = make_client(db, admin)
    samples = {
        "note": {"notes": "line one\nline two"},
        "card": {"cardholder": "O Owner", "brand": "Visa", "number": "4111111111111111", "code": "123",
                 "exp_month": "07", "exp_year": "2031"},
        "identity": {"first_name": "Olga", "last_name": "Owner", "email": "o@contoso.example"},
        "ssh-key": {"private_key": "-----BEGIN KEY-----\nabc\n-----END KEY-----", "public_key": "ssh-ed25519 AAA"},
    }
    for type_, fields in samples.items():
        vault.create_item(db, admin, type=type_, name=f"A {type_}", fields=fields, client=c.organization_id,
                          collection_ids=[c.shared])
    by_name = {i.name: i for i in vault.list_items(db, admin, c.name)}
    assert by_name["A card"].subtitle == "Visa *1111"
    assert by_name["A identity"].subtitle == "Olga Owner"
    assert vault.reveal(db, admin, by_name["A card"].id, "number") == "4111111111111111"
    assert vault.reveal(db, admin, by_name["A ssh-key"].id, "private_key").startswith("-----BEGIN")
    note = vault.view_item(db, admin, by_name["A note"].id)
    assert note.field("notes").value == "line one\nline two"


def test_bad_input_writes_nothing(db, admin):
    c = make_client(db, admin)
    before = len(_events(db, EventType.ITEM_CREATED))
    with pytest.raises(BadInput):
        vault.create_item(db, admin, type="login", name="  ", client=c.organization_id)
    with pytest.raises(BadInput):
        vault.create_item(db, admin, type="login", name="x", fields={"colour": "red"}, client=c.organization_id)
    with pytest.raises(BadInput):
        vault.create_item(db, admin, type="spaceship", name="x", client=c.organization_id)
    with pytest.raises(BadInput):
        vault.create_item(db, admin, type="login", name="x", fields={"username": "a\nb"}, client=c.organization_id)
    assert len(_events(db, EventType.ITEM_CREATED)) == before
    assert vault.list_items(db, admin, c.name) == []


def test_member_sees_only_assigned_collections(db, admin):
    c = make_client(db, admin)
    add_login(db, admin, c, "Shared wifi", "wifi-pw-123", c.shared)
    add_login(db, admin, c, "Bank", "bank-pw-123", c.default)
    add_login(db, admin, c, "Firewall", "fw-pw-123", c.readonly)
    names = [i.name for i in vault.list_items(db, c.user, c.organization_id)]
    assert names == ["Firewall", "Shared wifi"]
    owner_names = [i.name for i in vault.list_items(db, c.owner, c.organization_id)]
    assert owner_names == ["Bank", "Firewall", "Shared wifi"]  # Owners see every item
    bank = next(i for i in vault.list_items(db, admin, c.name) if i.name == "Bank")
    with pytest.raises(NotFound):
        vault.view_item(db, c.user, bank.id)
    assert vault.count_items(db, c.user, c.organization_id) == 2


def test_view_except_passwords_hides_passwords(db, admin):
    c = make_client(db, admin)
    fw = add_login(db, admin, c, "Firewall", "fw-pw-123", c.readonly)
    seen = vault.view_item(db, c.user, fw.id)
    assert seen.hide_passwords and not seen.can_edit
    assert seen.field("password").value is None
    with pytest.raises(Refused) as exc:
        vault.reveal(db, c.user, fw.id)
    assert exc.value.rule == "collection-access"
    with pytest.raises(Refused):
        vault.edit_item(db, c.user, fw.id, name="Mine now")
    # The owner's export still holds it; the user's does not exist (Users may not export).
    with pytest.raises(Refused):
        vault.export_items(db, c.user, c.organization_id)


def test_edit_access_allows_edit_but_not_delete(db, admin):
    c = make_client(db, admin)
    wifi = add_login(db, admin, c, "Shared wifi", "wifi-pw-123", c.shared)
    vault.edit_item(db, c.user, wifi.id, fields={"password": "wifi-pw-456"})
    assert vault.reveal(db, c.user, wifi.id) == "wifi-pw-456"
    with pytest.raises(Refused):
        vault.delete_item(db, c.user, wifi.id)
    with pytest.raises(Refused):  # read-only collection
        vault.create_item(db, c.user, type="note", name="n", client=c.organization_id,
                          collection_ids=[c.readonly])
    with pytest.raises(Refused):  # no collection at all
        vault.create_item(db, c.user, type="note", name="n", client=c.organization_id)
    made = vault.create_item(db, c.user, type="note", name="Mine", client=c.organization_id,
                             collection_ids=[c.shared])
    assert made.collection_ids == (c.shared,)


def test_move_between_collections(db, admin):
    c = make_client(db, admin)
    wifi = add_login(db, admin, c, "Shared wifi", "wifi-pw-123", c.shared)
    moved = vault.move_item(db, admin, wifi.id, [c.default, c.readonly])
    assert set(moved.collection_ids) == {c.default, c.readonly}
    assert moved.version > wifi.version
    assert [i.name for i in vault.list_items(db, c.user, c.organization_id)] == ["Shared wifi"]
    assert vault.view_item(db, c.user, wifi.id).hide_passwords
    with pytest.raises(Refused):  # the user may not take it out of a read-only collection
        vault.move_item(db, c.user, wifi.id, [c.shared])
    assert _events(db, EventType.ITEM_UPDATED_COLLECTIONS)


def test_staff_opening_vault_writes_1903_and_1603_members_do_not(db, admin):
    c = make_client(db, admin)
    before = len(_events(db, EventType.CLIENT_VAULT_ACCESSED, EventType.ORGANIZATION_VAULT_ACCESSED))
    vault.open_vault(db, admin, c.name)
    rows = _events(db, EventType.CLIENT_VAULT_ACCESSED, EventType.ORGANIZATION_VAULT_ACCESSED)[before:]
    assert [(r.type, r.provider_log, r.organization_id) for r in rows] == [
        (1903, True, c.organization_id), (1603, False, c.organization_id)]
    assert rows[0].provider_id == admin.provider_id
    vault.open_vault(db, c.owner, c.organization_id)
    assert len(_events(db, EventType.CLIENT_VAULT_ACCESSED, EventType.ORGANIZATION_VAULT_ACCESSED)) == before + 2


def test_open_vault_lists_collections_with_access(db, admin):
    c = make_client(db, admin)
    add_login(db, admin, c, "Shared wifi", "wifi-pw-123", c.shared)
    view = vault.open_vault(db, c.user, c.organization_id)
    assert {(e.name, e.access, e.items) for e in view.collections} == {
        ("Shared logins", "Can edit", 1), ("Break-glass", "Can view, except passwords", 0)}
    assert not view.all_items and view.can_create
    staff_view = vault.open_vault(db, admin, c.name, text="wifi")
    assert staff_view.all_items and [i.name for i in staff_view.items] == ["Shared wifi"]
    assert vault.open_vault(db, admin, c.name, text="nothing-like-this").items == ()


def test_reveal_asks_master_password_after_five_minutes(db, admin, monkeypatch):
    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    c = make_client(db, admin)
    item = add_login(db, admin, c, "Router", "router-pw-1", c.shared)
    clock.freeze(clock.now() + timedelta(minutes=6))
    with pytest.raises(Refused) as exc:
        vault.reveal(db, admin, item.id)
    assert exc.value.rule == "reprompt"
    with pytest.raises(AuthFailed):
        vault.reveal(db, admin, item.id, master_password="wrong password!!")
    assert vault.reveal(db, admin, item.id, master_password=PASSWORD, copy=True) == "router-pw-1"
    # Unlocked again just now: no prompt for the next 5 minutes.
    assert vault.reveal(db, admin, item.id) == "router-pw-1"
    assert _events(db, EventType.ITEM_CLIENT_COPIED_PASSWORD)


def test_item_names_are_bound_to_their_row(db, admin):
    """A blob copied onto another item's row does not open (associated data = the item id)."""
    from msp_tui.core.models import VaultItem

    c = make_client(db, admin)
    a = add_login(db, admin, c, "Alpha", "alpha-pw", c.shared)
    b = add_login(db, admin, c, "Beta", "beta-pw", c.shared)
    with db.write() as s:
        s.get(VaultItem, b.id).data = s.get(VaultItem, a.id).data
    from msp_tui.core.errors import Damaged
    with pytest.raises(Damaged, match="damaged or altered"):
        vault.view_item(db, admin, b.id)


def test_by_name_lookup(db, admin):
    c = make_client(db, admin)
    add_login(db, admin, c, "Router", "router-pw-1", c.shared)
    assert vault.view_item(db, admin, "router", client=c.name).name == "Router"
    with pytest.raises(BadInput):
        vault.view_item(db, admin, "router")
    assert vault.view_item(db, c.user, "Router", client=c.organization_id).name == "Router"
    with pytest.raises(NotFound):
        vault.view_item(db, c.user, "nope", client=c.organization_id)


def test_except_passwords_access_is_no_password_oracle(db, admin):
    """Editing with "… except passwords" refuses any password value, even the right one."""
    from msp_tui.core.enums import CollectionAccess
    from msp_tui.core.services import collections

    c = make_client(db, admin)
    collections.set_member_access(db, admin, c.organization_id, c.shared, "user@contoso.example",
                                  CollectionAccess.CAN_EDIT_EXCEPT_PASSWORDS)
    wifi = add_login(db, admin, c, "Shared wifi", "wifi-pw-123", c.shared)
    for guess in ("wifi-pw-123", "wrong-guess"):
        with pytest.raises(Refused):
            vault.edit_item(db, c.user, wifi.id, fields={"password": guess})
    assert vault.edit_item(db, c.user, wifi.id, name="Guest wifi").name == "Guest wifi"
    assert vault.reveal(db, admin, wifi.id) == "wifi-pw-123"


def test_staff_using_items_without_opening_the_vault_is_recorded_once_per_unlock(db, admin):
    c = make_client(db, admin)
    item = add_login(db, admin, c, "Router", "router-pw-1", c.shared)  # first use: recorded
    access = (EventType.CLIENT_VAULT_ACCESSED, EventType.ORGANIZATION_VAULT_ACCESSED)
    assert len(_events(db, *access)) == 2
    vault.view_item(db, admin, item.id)
    vault.reveal(db, admin, item.id)
    assert len(_events(db, *access)) == 2
    admin.lock()
    accounts.unlock(db, admin, PASSWORD, throttle=NO_WAIT)
    vault.view_item(db, admin, item.id)
    assert len(_events(db, *access)) == 4
    vault.view_item(db, c.owner, item.id)  # a member's use is no provider access
    assert len(_events(db, *access)) == 4
