"""`msp-tui db …`: upgrade, check, and a backup taken while another process writes."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.cli.conftest import Cli

WRITER = """
import sys, time
from pathlib import Path
from msp_tui.core.db import Database
from msp_tui.core.services import accounts, clients
db = Database(sys.argv[1])
actor = accounts.sign_in(db, sys.argv[2], sys.argv[3])
name = clients.list_clients(db, actor).rows[0].name
stop = Path(sys.argv[4])
n = 0
while not stop.exists():
    n += 1
    name = clients.rename(db, actor, name, f"Busy client {n}").name
    if n == 20:
        print("ready", flush=True)
print(n, flush=True)
"""


def test_upgrade_and_check(any_cli):
    r = any_cli.run("db", "upgrade")
    assert r.returncode == 0 and "already at" in r.stdout
    r = any_cli.run("db", "check")
    assert r.returncode == 0 and r.stdout.startswith("ok")


def test_check_finds_a_broken_foreign_key(cli):
    from msp_tui.core.db import _sqlite_module

    conn = _sqlite_module().connect(cli.url, isolation_level=None)  # foreign keys off, as a stray tool would
    conn.execute("UPDATE organization_user SET organization_id = 'ffffffffffffffffffffffffffffffff' "
                 "WHERE rowid = (SELECT min(rowid) FROM organization_user)")
    conn.close()
    r = cli.run("db", "check")
    assert r.returncode == 1 and "foreign key" in r.stdout


def test_backup_while_another_process_writes(cli, tmp_path):
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, cli.url, cli.email, cli.password, str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        copy = tmp_path / "backup" / "copy.db"
        r = cli.run("db", "backup", str(copy))
        assert r.returncode == 0, r.stderr
        assert "integrity ok" in r.stdout and r.stderr == ""  # piped: no progress
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert int(out.split()[-1]) > 20  # the writer went on during and after the backup
    assert (copy.stat().st_mode & 0o777) == 0o600
    backup = Cli(str(copy))
    r = backup.run("db", "check")
    assert r.returncode == 0, r.stdout
    r = backup.run("events", "verify")  # the copy is one consistent moment: its hash chain holds
    assert r.returncode == 0 and r.stdout.startswith("OK"), r.stdout
    renamed = [c["name"] for c in backup.json("clients", "list") if c["name"].startswith("Busy client")]
    assert len(renamed) == 1


def test_backup_refuses_to_overwrite_and_postgresql_points_to_pg_dump(any_cli, tmp_path):
    target = tmp_path / "b.db"
    target.write_text("keep me")
    r = any_cli.run("db", "backup", str(target))
    assert r.returncode == 2
    assert target.read_text() == "keep me"
    if any_cli.url.startswith("postgresql"):
        assert "pg_dump" in r.stderr
    else:
        assert "--force" in r.stderr
        assert any_cli.run("db", "backup", "--force", str(target)).returncode == 0
