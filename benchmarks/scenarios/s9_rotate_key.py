"""9. `clients rotate-key` on a client with 10,000 items (issue 15, attack 12), beside opening that vault.

Its own SQLite database (a provider, one client, 10,000 login items written as the vault writes
them), so it needs none of the big dataset. The baseline, measured in the same run, is opening the
same vault (decrypting every item once): a rotation decrypts and encrypts each item and writes it."""

from __future__ import annotations

import uuid

from benchmarks.common import Row, measured, require, timed_pair

TITLE = "9 rotate-key"
NEEDS_DATASET = False
ITEMS = 10_000


def _setup(path):
    from sqlalchemy import insert, select

    from msp_tui.core import keys
    from msp_tui.core.db import Database
    from msp_tui.core.demo_vault import _row
    from msp_tui.core.enums import ItemType
    from msp_tui.core.models import Collection, CollectionItem, VaultItem
    from msp_tui.core.services import accounts, clients

    db = Database(path)
    db.upgrade()
    admin = accounts.init_provider(db, provider="Bench MSP", email="ada@bench.example", name="Ada",
                                   password="a long bench master password")
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    with db.write() as s:
        key = keys.org_key(s, admin, c.id)
        coll = s.execute(select(Collection.id).where(Collection.organization_id == c.id)).scalar_one()
        rows = [_row(uuid.uuid4(), key, ItemType.LOGIN, f"Login {i:05d}",
                     {"username": f"user{i}", "password": f"pw-{i:08d}-secret", "url": "https://example.com"},
                     org_id=c.id, actor_id=admin.account_id) for i in range(ITEMS)]
        s.execute(insert(VaultItem), rows)
        s.execute(insert(CollectionItem), [{"collection_id": coll, "item_id": r["id"]} for r in rows])
    return db, admin, c.id


def run(ctx) -> list[Row]:
    org_keys = require("msp_tui.core.services.org_keys", "rotate_org_key", branch="trust-crypto")
    from msp_tui.core.services import vault

    db, admin, org_id = _setup(ctx.tmp / "rotate.db")
    try:
        n = max(3, min(ctx.repeat, 5))
        ours, base = timed_pair(lambda: org_keys.rotate_org_key(db, admin, org_id),
                                lambda: vault.open_vault(db, admin, org_id, record_access=False), n)
        assert len(vault.open_vault(db, admin, org_id, record_access=False).items) == ITEMS
    finally:
        db.dispose()
    row = measured(TITLE, f"rotate a client's key: {ITEMS:,} items re-encrypted in one transaction", ours,
                   unit="s", base=base, baseline="opening that vault (decrypting every item)")
    row.check(10.0)  # every rotation of the run, p95, under 10 s
    return [row]
