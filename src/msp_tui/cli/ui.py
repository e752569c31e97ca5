"""Opening the terminal UI from the command line (the only place the CLI imports Textual)."""

from __future__ import annotations

from msp_tui.cli.state import CliState

#: The exit code after the app stopped on an unhandled exception (a bug; Textual printed the
#: traceback). Never 0: a script or an SSH wrapper must see that it failed (EX_SOFTWARE).
CRASHED = 70


def sign_in_first(state: CliState, actor=None):
    """(actor, email) the UI starts with: as on the command line, `--email` with `--passwordenv` or
    `--passwordfile` signs in before the UI opens (exit 3 on failure); `--email` alone fills the
    sign-in screen's email and the master password is typed there."""
    if actor is not None or not state.email:
        return actor, None
    if state.passwordenv or state.passwordfile:
        return state.actor(enrolling=True), None  # the UI takes staff who must to enrolment
    return None, state.email


def _no_echo():
    """Stop the terminal echoing keys until Textual takes it: keys typed while the program starts
    (a master password typed ahead, over a slow SSH link) would otherwise be printed in clear and stay
    in the scrollback after the app quits. Returns the settings to put back after the app."""
    import sys

    try:
        import termios

        fd = sys.stdin.fileno()
        if not sys.stdin.isatty():
            return None
        saved = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, quiet)  # TCSANOW: keys already typed are kept
        return fd, saved
    except (ImportError, OSError, ValueError, AttributeError):  # not a terminal, or not POSIX
        return None


def _restore(echo) -> None:
    if echo is not None:
        import termios

        try:
            termios.tcsetattr(echo[0], termios.TCSANOW, echo[1])
        except OSError:
            pass


def open_ui(state: CliState, *, actor=None, start: str | None = None, start_args: dict | None = None) -> None:
    echo = _no_echo()
    try:
        db = state.db()  # a missing or unusable database is one line, before Textual starts
        actor, email = sign_in_first(state, actor)
        from msp_tui.app import MspApp

        app = MspApp(db, actor=actor, start=start, start_args=start_args or {}, email=email)
        app.run()
    finally:
        _restore(echo)
    if app.return_code:
        raise SystemExit(CRASHED)
