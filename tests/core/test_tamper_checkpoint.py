"""The checkpoint file itself: its format, torn lines, several writers, where it lives, and that a
checkpoint from another database (or a rolled-back one) is not taken for this one's."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from msp_tui.core import checkpoint, events
from msp_tui.core.db import Database
from msp_tui.core.errors import BadInput
from msp_tui.core.services import clients
from tests.conftest import make_provider


def test_line_round_trip_and_torn_lines_are_skipped(tmp_path):
    path = tmp_path / "cp"
    checkpoint.append(path, 7, bytes(range(32)))
    with open(path, "a") as f:
        f.write("msp-tui-checkpoint v1 count=9 head=00")  # a crash in the middle of a line
    checkpoint.append(path, 8, bytes(32))
    assert [cp.count for cp in checkpoint.read_checkpoints(path)] == [7, 8]
    assert checkpoint.read_checkpoint(path) == (8, bytes(32))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_largest_checkpoint_wins_whatever_the_order(tmp_path):
    path = tmp_path / "cp"
    for n in (5, 9, 6):  # two processes may append out of order
        checkpoint.append(path, n, bytes([n]) * 32)
    assert checkpoint.read_checkpoint(path) == (9, bytes([9]) * 32)


def test_missing_or_empty_checkpoint_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="No checkpoint file"):
        checkpoint.read_checkpoint(tmp_path / "nope")
    (tmp_path / "empty").write_text("hello\n")
    with pytest.raises(BadInput, match="holds no checkpoint"):
        checkpoint.read_checkpoint(tmp_path / "empty")


def _append_many(path: str, k: int) -> None:
    for i in range(300):
        checkpoint.append(path, k * 1000 + i, bytes([k]) * 32)


def test_several_processes_append_whole_lines(tmp_path):
    path = tmp_path / "cp"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(path), k)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = path.read_text().splitlines()
    assert len(lines) == 1200 and len(checkpoint.read_checkpoints(path)) == 1200


def test_default_place_is_next_to_a_sqlite_file_and_env_can_move_or_stop_it(sqlite_db, tmp_path, monkeypatch):
    assert checkpoint.default_path(sqlite_db) == checkpoint.Path(sqlite_db.url.database + ".checkpoint")
    monkeypatch.setenv("MSP_TUI_CHECKPOINT", str(tmp_path / "elsewhere"))
    assert checkpoint.default_path(sqlite_db) == tmp_path / "elsewhere"
    monkeypatch.setenv("MSP_TUI_CHECKPOINT", "off")
    assert checkpoint.default_path(sqlite_db) is None


def test_unwritable_checkpoint_does_not_undo_the_change(sqlite_db, tmp_path, caplog):
    folder = tmp_path / "ro"
    folder.mkdir()
    sqlite_db.checkpointer.path = folder / "missing-dir" / "cp"  # cannot be created
    admin = make_provider(sqlite_db)
    view = clients.create_client(sqlite_db, admin, name="Contoso", plan="teams-monthly", seats=3,
                                 owner_email="o@c.example")
    assert clients.get_client(sqlite_db, admin, view.id).name == "Contoso"
    assert "could not write the event checkpoint" in caplog.text


def test_B4_checkpoint_of_a_replaced_database_is_detected(tmp_path, sqlite_template):
    """Someone swaps in an older copy of the database (a rollback): the checkpoint shows it."""
    import shutil

    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    db = Database(path)
    admin = make_provider(db)
    db.dispose()
    shutil.copy(path, tmp_path / "old-copy.db")
    db = Database(path)
    clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=3, owner_email="o@c.example")
    db.dispose()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"live.db{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "old-copy.db", path)  # the rollback
    db = Database(path)
    cp = checkpoint.read_checkpoint(checkpoint.default_path(db))
    with db.read() as s:
        assert events.verify_chain(s).ok
        result = events.verify_chain(s, checkpoint=cp)
    assert not result.ok and "removed from the end" in result.problem
    db.dispose()
    assert os.path.exists(str(path) + ".checkpoint")


def test_B4_events_verify_uses_the_programs_own_checkpoint(sqlite_db, monkeypatch):
    """`msp-tui events verify` with no flag checks against the checkpoint written after each change,
    so a cut tail with the head rewound is reported without anyone having saved a checkpoint."""
    from click.testing import CliRunner
    from sqlalchemy import delete, select, update

    from msp_tui.cli import cli
    from msp_tui.core.models import Event, EventChainHead
    from tests.conftest import PASSWORD

    admin = make_provider(sqlite_db)
    for name in ("Contoso", "Fabrikam"):
        clients.create_client(sqlite_db, admin, name=name, plan="teams-monthly", seats=3,
                              owner_email=f"o@{name.lower()}.example")
    monkeypatch.setenv("MSP_TUI_TEST_PW", PASSWORD)
    args = ["--db", sqlite_db.url.database, "--email", admin.email, "--passwordenv", "MSP_TUI_TEST_PW",
            "events", "verify"]
    ok = CliRunner().invoke(cli, args)
    assert ok.exit_code == 0 and "checked against" in ok.output and "\nOK " in ok.output
    with sqlite_db.engine.begin() as conn:  # the intruder cuts the last 4 events and rewinds the head
        count = conn.execute(select(EventChainHead.count)).scalar_one()
        keep = conn.execute(select(Event.hash).where(Event.id == count - 4)).scalar_one()
        conn.execute(delete(Event).where(Event.id > count - 4))
        conn.execute(update(EventChainHead).values(count=count - 4, last_event_id=count - 4, last_hash=keep))
    broken = CliRunner().invoke(cli, args)
    assert broken.exit_code == 1 and "BROKEN" in broken.output and "checkpoint recorded" in broken.output
