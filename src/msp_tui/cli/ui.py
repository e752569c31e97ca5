"""Opening the terminal UI from the command line (the only place the CLI imports Textual)."""

from __future__ import annotations

from msp_tui.cli.state import CliState


def open_ui(state: CliState, *, actor=None, start: str | None = None, start_args: dict | None = None) -> None:
    from msp_tui.app import MspApp

    MspApp(state.db(), actor=actor, start=start, start_args=start_args or {}).run()
