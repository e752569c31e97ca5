"""An item keeps what imported formats carry: several URIs, custom fields, favourite, password history."""

from __future__ import annotations

import json

from msp_tui.core import crypto, keys
from msp_tui.core.models import VaultItem
from msp_tui.core.services import vault
from msp_tui.core.services.vault import CustomField, Extras
from tests.core.test_vault_support import make_client

EXTRAS = Extras(uris=("https://b.example", "androidapp://x"),
                custom_fields=(CustomField("PIN", "4321", hidden=True), CustomField("Site", "HQ, floor 2")),
                favorite=True, password_history=(("old-pw-1", "2024-01-02T03:04:05Z"),))


def test_extras_are_kept_and_hidden_values_follow_except_passwords(db, admin):
    c = make_client(db, admin)
    item = vault.create_item(db, admin, type="login", name="Router", client=c.organization_id,
                             collection_ids=[c.readonly], fields={"url": "https://a.example"}, extras=EXTRAS)
    assert vault.view_item(db, admin, item.id).extras == EXTRAS
    vault.edit_item(db, admin, item.id, name="Router 2")  # an edit keeps them
    assert vault.view_item(db, admin, item.id).extras == EXTRAS
    seen = vault.view_item(db, c.user, item.id).extras  # "can view, except passwords"
    assert seen.custom_fields[0].value == "" and seen.custom_fields[1].value == "HQ, floor 2"
    assert seen.password_history == () and seen.uris == EXTRAS.uris
    exported = next(d for d in vault.export_items(db, admin, c.organization_id) if d["name"] == "Router 2")
    assert exported["uris"] == list(EXTRAS.uris) and exported["favorite"] is True
    assert exported["custom_fields"][0] == ["PIN", "4321", True]


def test_items_written_before_extras_still_open(db, admin):
    c = make_client(db, admin)
    item = vault.create_item(db, admin, type="login", name="Old", client=c.organization_id,
                             collection_ids=[c.shared], fields={"username": "u"})
    with db.write() as s:  # the document exactly as items were written before extras existed
        row = s.get(VaultItem, item.id)
        key = keys.org_key(s, admin, c.organization_id)
        doc = json.dumps({"v": 1, "type": 1, "name": "Old", "fields": {"username": "u"}}).encode()
        row.data = crypto.encrypt(key, doc, vault.item_aad(row.id, row.organization_id, None))
    shown = vault.view_item(db, admin, item.id)
    assert shown.name == "Old" and shown.extras == Extras()
