"""Issue 15, attack 6: one damaged item hides the whole vault.

With one item's ciphertext damaged (a flipped byte, or a blob moved from another item), `vault list`
printed a traceback and exited 1, listing nothing. Now the intact items are listed, the damaged one
as "cannot be decrypted (damaged or altered)", stderr says how many, and the exit code is 4
("done, damage found", docs/cli.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from msp_tui.core import keys
from msp_tui.core.errors import Damaged
from msp_tui.core.models import VaultItem
from msp_tui.core.services import vault
from tests.conftest import PASSWORD, make_provider
from tests.core.test_vault_support import USER_PASSWORD, add_login, make_client


def _flip_a_byte(db, item_id) -> None:
    with db.write() as s:
        blob = bytearray(s.execute(select(VaultItem.data).where(VaultItem.id == item_id)).scalar_one())
        blob[-1] ^= 0x01
        s.execute(update(VaultItem).where(VaultItem.id == item_id).values(data=bytes(blob)))


def _move(db, source_id, target_id) -> None:
    with db.write() as s:
        blob = s.execute(select(VaultItem.data).where(VaultItem.id == source_id)).scalar_one()
        s.execute(update(VaultItem).where(VaultItem.id == target_id).values(data=blob))


def test_attack6_one_damaged_item_leaves_the_rest_of_the_vault_listed(db, admin):
    c = make_client(db, admin)
    a = add_login(db, admin, c, "Core switch", "pw-a", c.shared).id
    b = add_login(db, admin, c, "Firewall", "pw-b", c.shared).id
    d = add_login(db, admin, c, "Printer", "pw-d", c.shared).id
    _flip_a_byte(db, b)
    _move(db, a, d)  # attack 5 on an item: the moved blob does not open on the other row either
    view = vault.open_vault(db, admin, c.organization_id)
    by_id = {i.id: i for i in view.items}
    assert by_id[a].name == "Core switch" and not by_id[a].damaged
    assert by_id[b].name == keys.DAMAGED and by_id[b].damaged
    assert by_id[d].name == keys.DAMAGED and by_id[d].damaged
    assert view.damaged == 2
    # The user, who sees these items through "Shared logins", gets the same.
    assert sum(i.damaged for i in vault.open_vault(db, c.user, c.organization_id).items) == 2
    with pytest.raises(Damaged, match="cannot be decrypted"):
        vault.view_item(db, admin, b)
    assert vault.view_item(db, admin, a).name == "Core switch"
    vault.delete_item(db, admin, b)  # a damaged item can still be deleted
    assert vault.open_vault(db, admin, c.organization_id).damaged == 1


def test_attack6_a_damaged_personal_item_leaves_the_others_listed(db, admin):
    c = make_client(db, admin)
    keep = vault.create_item(db, c.user, type="note", name="Diary", fields={"notes": "x"}, personal=True).id
    bad = vault.create_item(db, c.user, type="note", name="Alarm", fields={"notes": "y"}, personal=True).id
    _flip_a_byte(db, bad)
    items = {i.id: i for i in vault.list_personal(db, c.user)}
    assert items[keep].name == "Diary" and items[bad].damaged


def test_attack6_cli_vault_list_lists_intact_items_and_exits_4(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    add_login(db, admin, c, "Core switch", "pw-a", c.shared)
    b = add_login(db, admin, c, "Firewall", "pw-b", c.shared).id
    _flip_a_byte(db, b)
    env = {**os.environ, "PW": PASSWORD, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run([sys.executable, "-m", "msp_tui", "--db", db.url.render_as_string(hide_password=False),
                        "--email", admin.email, "--passwordenv", "PW", "--format", "json", "vault", "list",
                        c.name], capture_output=True, text=True, env=env)
    assert r.returncode == 4, r.stderr
    assert "Traceback" not in r.stderr and "1 item cannot be decrypted (damaged or altered)" in r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows[str(b)]["name"] == keys.DAMAGED
    assert sorted(row["name"] for row in rows.values()) == ["Core switch", keys.DAMAGED]
    assert USER_PASSWORD  # the user's listing is covered above
