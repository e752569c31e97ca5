"""`demo`: build a realistic demo provider and open the UI on it."""

from __future__ import annotations

import click

from msp_tui.cli.state import CliState, pass_state


@click.command("demo")
@click.option("--clients", "n_clients", default=40, show_default=True, help="How many client organizations.")
@click.option("--events", "n_events", default=None, type=int, help="How many events (default: 90 days' worth).")
@click.option("--no-ui", is_flag=True, help="Only build the database.")
@click.option("--seed", default=7, show_default=True, help="Random seed, for the same demo twice.")
@pass_state
def demo(state: CliState, n_clients: int, n_events: int | None, no_ui: bool, seed: int) -> None:
    """Build a demo database, print its sign-in, and open the UI signed in.

    \b
    Example:
      msp-tui --db /tmp/demo.db demo --clients 40
      msp-tui --db /tmp/big.db demo --no-ui --clients 100000 --events 1000000
    """
    import sys

    from msp_tui.core import demo as builder
    from msp_tui.core.db import default_path, resolve_url

    if state.db_url is None:
        state.db_url = str(default_path().with_name("demo.db"))
    url = resolve_url(state.db_url)
    if url.get_backend_name() == "sqlite":
        from pathlib import Path

        if not _replaceable(Path(str(url.database)), builder.DEMO_EMAIL):
            from msp_tui.core.errors import BadInput

            raise BadInput(f"{url.database} holds a database that is not a demo; the demo will not "
                           "replace it. Give the demo its own file with --db.", "db")
        for suffix in ("", "-wal", "-shm", ".checkpoint"):
            Path(str(url.database) + suffix).unlink(missing_ok=True)
    progress = sys.stderr.isatty()
    result = builder.build(state.db(), clients=n_clients, events=n_events, seed=seed,
                           progress=(lambda msg: click.echo(msg, err=True)) if progress else None)
    click.echo(f"email: {result.email}")
    click.echo(f"password: {result.password}")
    click.echo(f"database: {state.db().display}", err=True)
    if not no_ui:
        from msp_tui.cli.ui import open_ui

        open_ui(state, actor=result.actor)


def _replaceable(path, demo_email: str) -> bool:
    """Only an empty file or an earlier demo is deleted (MSP_TUI_DB may name the real database)."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    from msp_tui.core.db import _sqlite_module

    try:
        conn = _sqlite_module().connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM account WHERE email = ?", (demo_email,)).fetchone() is not None
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - not a database we know: leave it alone
        return False


COMMANDS = [demo]
