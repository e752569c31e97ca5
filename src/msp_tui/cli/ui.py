"""Opening the terminal UI from the command line (the only place the CLI imports Textual)."""

from __future__ import annotations

from msp_tui.cli.state import CliState

#: The exit code after the app stopped on an unhandled exception (a bug; Textual printed the
#: traceback). Never 0: a script or an SSH wrapper must see that it failed (EX_SOFTWARE).
CRASHED = 70


def open_ui(state: CliState, *, actor=None, start: str | None = None, start_args: dict | None = None) -> None:
    db = state.db()  # a missing or unusable database is one line, before Textual starts
    from msp_tui.app import MspApp

    app = MspApp(db, actor=actor, start=start, start_args=start_args or {})
    app.run()
    if app.return_code:
        raise SystemExit(CRASHED)
