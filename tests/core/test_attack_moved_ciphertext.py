"""Issue 15, attack 5: ciphertext swapped between rows decrypts silently.

The attacker copies one collection's encrypted name onto another collection of the same client
(with write access to the file). Before, the associated data named only the organization, so the
second collection silently took the first one's name and an admin could grant the wrong one. Now
the associated data names the row and the field: the moved blob does not decrypt and is reported
as damaged. The same for a vault item's data moved onto another item."""

from __future__ import annotations

from sqlalchemy import select, update

from msp_tui.core import keys
from msp_tui.core.models import Collection, VaultItem
from msp_tui.core.services import collections, vault
from tests.core.test_vault_support import add_login, make_client


def _copy(db, model, column: str, source_id, target_id) -> None:
    with db.write() as s:
        blob = s.execute(select(getattr(model, column)).where(model.id == source_id)).scalar_one()
        s.execute(update(model).where(model.id == target_id).values({column: blob}))


def test_attack5_collection_name_moved_to_another_collection_is_reported_damaged(db, admin):
    c = make_client(db, admin)
    _copy(db, Collection, "name", c.shared, c.readonly)  # "Break-glass" would now read "Shared logins"
    listed = {v.id: v for v in collections.list_collections(db, admin, c.organization_id)}
    assert listed[c.shared].name == "Shared logins" and not listed[c.shared].damaged
    assert listed[c.readonly].name == keys.DAMAGED and listed[c.readonly].damaged
    opened = {e.id: e for e in vault.open_vault(db, admin, c.organization_id).collections}
    assert opened[c.readonly].name == keys.DAMAGED and opened[c.shared].name == "Shared logins"


def test_attack5_cli_lists_the_moved_collection_name_as_damaged_and_exits_4(sqlite_db):
    import os
    import subprocess
    import sys

    from tests.conftest import PASSWORD, make_provider

    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    _copy(db, Collection, "name", c.shared, c.readonly)
    env = {**os.environ, "PW": PASSWORD, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run([sys.executable, "-m", "msp_tui", "--db", db.url.render_as_string(hide_password=False),
                        "--email", admin.email, "--passwordenv", "PW", "--format", "csv",
                        "members", "collections", "list", c.name], capture_output=True, text=True, env=env)
    assert r.returncode == 4, r.stderr
    assert "1 collection name cannot be decrypted" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout.count("Shared logins") == 1 and keys.DAMAGED in r.stdout
