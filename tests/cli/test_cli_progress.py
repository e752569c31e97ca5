"""Progress on the command line is rich's progress bar on a terminal, and nothing when stderr is piped."""

from __future__ import annotations

import subprocess

from tests.cli.conftest import MSP_TUI, on_a_terminal


def test_demo_shows_a_rich_progress_bar_on_a_terminal(tmp_path):
    code, shown, _stdout = on_a_terminal([MSP_TUI, "--db", str(tmp_path / "demo.db"), "demo", "--no-ui", "--clients", "3",
                                  "--events", "200"])
    assert code == 0, shown
    assert "━" in shown  # rich's bar, not a counter of our own
    assert "demo: 3 clients, 200 events" in shown


def test_backup_shows_a_rich_progress_bar_on_a_terminal_and_nothing_when_piped(tmp_path):
    db = tmp_path / "demo.db"
    subprocess.run([MSP_TUI, "--db", str(db), "demo", "--no-ui", "--clients", "2", "--events", "50"],
                   capture_output=True, check=True, timeout=300)
    code, shown, _stdout = on_a_terminal([MSP_TUI, "--db", str(db), "db", "backup", str(tmp_path / "copy.db")])
    assert code == 0, shown
    assert "━" in shown and "backup:" in shown
    r = subprocess.run([MSP_TUI, "--db", str(db), "db", "backup", str(tmp_path / "copy2.db")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and r.stderr == ""
