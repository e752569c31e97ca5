"""`msp-tui db copy`: a provider moves from SQLite to PostgreSQL; the copied log verifies there."""

from __future__ import annotations

import shutil

import pytest

from tests.cli.conftest import Cli

from tests.conftest import empty_pg

pytestmark = pytest.mark.postgres


def _empty_pg(server) -> str:
    return empty_pg(server, "cli_copy")


@pytest.fixture
def source(tmp_path, demo_template) -> Cli:
    """The demo on SQLite, with its checkpoint file."""
    path = tmp_path / "msp.db"
    shutil.copy(demo_template, path)
    shutil.copy(f"{demo_template}.checkpoint", f"{path}.checkpoint")
    return Cli(str(path))


def test_db_copy_moves_a_provider_to_postgresql_and_its_log_verifies_there(source, pg_server, tmp_path):
    url = _empty_pg(pg_server)
    kept = tmp_path / "pg.checkpoint"
    r = source.run("db", "copy", url, "--checkpoint", str(kept))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("copied ") and " events) from " in r.stdout
    assert f"MSP_TUI_CHECKPOINT={kept}" in r.stdout and r.stderr == ""  # piped: no progress bar
    on_pg = Cli(url)
    verified = on_pg.run("events", "verify", env=on_pg.env(MSP_TUI_CHECKPOINT=str(kept)))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("OK ") and f"checked against {kept}" in verified.stderr
    assert on_pg.json("clients", "list") == source.json("clients", "list")


def test_db_copy_without_checkpoint_says_which_file_vouches_for_the_copy(source, pg_server):
    r = source.run("db", "copy", _empty_pg(pg_server))
    assert r.returncode == 0, r.stderr
    assert f"{source.url}.checkpoint vouches for the copy" in r.stderr


def test_db_copy_refuses_a_postgresql_database_that_holds_data(source, pg_server):
    url = _empty_pg(pg_server)
    assert source.run("db", "copy", url).returncode == 0
    again = source.run("db", "copy", url)
    assert again.returncode == 2 and "already holds data" in again.stderr and "Traceback" not in again.stderr


def test_db_copy_refuses_a_target_that_is_not_postgresql(source, tmp_path):
    r = source.run("db", "copy", str(tmp_path / "other.db"))
    assert r.returncode == 2 and "must be a PostgreSQL database" in r.stderr
    assert not (tmp_path / "other.db").exists()


def test_db_copy_refuses_a_postgresql_source(pg_server):
    url = _empty_pg(pg_server)
    r = Cli(url).run("db", "copy", _empty_pg(pg_server))
    assert r.returncode == 2 and "copies a SQLite database" in r.stderr
