"""Deployment safety on disk: modes of new files, a warning for a database others can write, the
SQLite version needed for several writers, and a demo that never replaces a real database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from msp_tui.core import db as dbmod
from msp_tui.core.errors import BadInput
from msp_tui.core.services import clients
from tests.conftest import PASSWORD, make_provider

ROOT = Path(__file__).resolve().parents[2]


def test_new_database_is_0600_in_a_0700_folder_with_its_wal_and_checkpoint(tmp_path):
    path = tmp_path / "new-folder" / "msp.db"
    database = dbmod.Database(path)
    admin = make_provider(database)
    clients.create_client(database, admin, name="Contoso", plan="teams-monthly", seats=3,
                          owner_email="o@c.example")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for p in (path, Path(f"{path}-wal"), Path(f"{path}.checkpoint")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    database.dispose()


def test_database_writable_by_others_is_warned_about(tmp_path, sqlite_template):
    path = tmp_path / "shared.db"
    path.write_bytes(Path(sqlite_template).read_bytes())
    os.chmod(path, 0o666)
    database = dbmod.Database(path)
    assert any("writable by other users" in w for w in database.warnings)
    database.dispose()
    os.chmod(path, 0o600)
    database = dbmod.Database(path)
    assert database.warnings == []
    database.dispose()


def test_sqlite_older_than_3_51_3_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "sqlite_version", lambda: (3, 40, 1))
    with pytest.raises(BadInput, match="3.40.1 is too old .* 3.51.3"):
        dbmod.Database(tmp_path / "old.db")
    assert not (tmp_path / "old.db").exists()


def test_the_sqlite_in_use_has_the_wal_reset_fix():
    assert dbmod.sqlite_version() >= (3, 51, 3)


def test_demo_never_replaces_a_real_database(sqlite_db):
    """MSP_TUI_DB may name the real database: `msp-tui demo` must refuse to delete it."""
    make_provider(sqlite_db)
    path = sqlite_db.url.database
    size = os.path.getsize(path)
    env = {**os.environ, "MSP_TUI_DB": path, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "msp_tui", "demo", "--no-ui"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not a demo" in proc.stderr
    assert os.path.getsize(path) >= size
    from msp_tui.core.services import accounts

    assert accounts.sign_in(sqlite_db, "ada@msp.example", PASSWORD).email == "ada@msp.example"
