"""An upgrade keeps every row. On SQLite, Alembic's batch mode re-creates a table to change it; with
foreign keys on, dropping the old table deletes every row that references it (ON DELETE CASCADE), so a
migration that only adds a column to `provider` or `account` emptied the staff and member tables (seen:
after k002 no one was provider staff any more)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from msp_tui.core import clock, demo
from msp_tui.core.db import Database


def _counts(db: Database) -> dict[str, int]:
    with db._writer.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def test_upgrading_from_an_older_schema_keeps_every_row(tmp_path):
    db = Database(tmp_path / "demo.db", create=True)
    demo.build(db, clients=4, events=50)
    clock.freeze(None)
    with db._writer.begin() as conn:
        command.downgrade(db._alembic_config(conn), "c001")
    before = _counts(db)
    assert before["provider_user"] and before["organization_user"] and before["account"]
    assert db.upgrade()
    after = _counts(db)
    lost = {t: (n, after.get(t)) for t, n in before.items() if after.get(t) != n}
    assert not lost, f"rows lost by the upgrade (before, after): {lost}"
    db.dispose()
