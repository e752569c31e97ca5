"""`demo`: build a realistic demo provider and open the UI on it."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import click

from msp_tui.cli.state import CliState, pass_state


@click.command("demo")
@click.option("--clients", "n_clients", default=40, show_default=True, help="How many client organizations.")
@click.option("--events", "n_events", default=None, type=int, help="How many events (default: 90 days' worth).")
@click.option("--no-ui", is_flag=True, help="Only build the database.")
@click.option("--seed", default=7, show_default=True, help="Random seed, for the same demo twice.")
@click.option("--force", is_flag=True, help="Replace an existing SQLite file that is not a demo database.")
@pass_state
def demo(state: CliState, n_clients: int, n_events: int | None, no_ui: bool, seed: int, force: bool) -> None:
    """Build a demo database, print its sign-in, and open the UI signed in.

    Without --db it uses demo.db next to the default database. An existing demo file is replaced;
    any other existing file only with --force. A SQLite demo is built as FILE.building and renamed
    when complete: stopped half-way (ctrl+c, a dropped SSH session) it leaves FILE as it was.

    \b
    Example:
      msp-tui --db /tmp/demo.db demo --clients 40
      msp-tui --db /tmp/big.db demo --no-ui --clients 100000 --events 1000000
    """
    from msp_tui.cli.output import progress
    from msp_tui.core import demo as builder
    from msp_tui.core.db import default_path, resolve_url
    from msp_tui.core.errors import BadInput

    if n_clients < 1 or (n_events is not None and n_events < 0):
        raise BadInput("--clients must be at least 1 and --events at least 0.", "clients")
    if state.db_url is None:
        state.db_url = str(default_path().with_name("demo.db"))
    url = resolve_url(state.db_url)
    path = building = None
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        if path.exists() and path.stat().st_size and not force and not _is_demo(path):
            raise BadInput(f"{path} exists and is not a demo database; pass --force to replace it.", "db")
        # Built under a temporary name and renamed when complete: a demo killed half-way leaves only
        # that temporary file (the next demo removes it), never a half-built database under the name.
        building = path.with_name(path.name + BUILDING)
        _remove(building)
        state.db_url = str(building)
    state.create = True  # one of the three commands that make a new database
    try:
        with progress("demo") as bar:
            result = builder.build(state.db(), clients=n_clients, events=n_events, seed=seed,
                                   progress=bar if bar.enabled else None)
            bar.done(f"demo: {result.clients:,} clients, {result.events:,} events")
    except BaseException:
        # A hang-up (exit 129), ctrl+c or an error mid-build: the half-built file is no use to anyone,
        # so it goes; FILE stays as it was. Only a killed demo leaves it (the next demo removes it).
        if building is not None:
            with _hang_up_held():
                _close(state)
                _remove(building)
        raise
    if building is not None:
        with _hang_up_held():  # a hang-up now waits until the rename, then exits with the demo complete
            _close(state)  # the last connection folds the write-ahead log into the file
            _remove(path)
            for suffix in (".checkpoint", ""):  # the database itself last: its rename completes the demo
                if Path(str(building) + suffix).exists():
                    os.replace(str(building) + suffix, str(path) + suffix)
            state.db_url = str(path)
    click.echo(f"email: {result.email}")
    click.echo(f"password: {result.password}")
    from msp_tui.core.demo import SCOPED_TECHS

    for email, _name, password, groups in SCOPED_TECHS:  # S12: technicians who see only some clients
        click.echo(f"scoped technician: {email} / {password} (client groups: {', '.join(groups)})")
    click.echo(f"database: {state.db().display}", err=True)
    if not no_ui:
        from msp_tui.cli.ui import open_ui

        open_ui(state, actor=result.actor)


#: The suffix of a demo database while it is being built.
BUILDING = ".building"


def _close(state: CliState) -> None:
    if state._db is not None:
        state._db.dispose()
        state._db = None


@contextlib.contextmanager
def _hang_up_held():
    """SIGHUP waits until the block is done (then exits as usual): a dropped session never stops a
    rename or a clean-up half-way."""
    held = hasattr(signal, "pthread_sigmask") and hasattr(signal, "SIGHUP")
    if held:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})


def _remove(path) -> None:
    """A SQLite database and the files that go with it."""
    for suffix in ("-wal", "-shm", ".checkpoint", ""):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _is_demo(path) -> bool:
    """True for a database the demo built (its first admin is the demo's)."""
    from msp_tui.core import demo as builder
    from msp_tui.core.db import _sqlite_module

    try:
        conn = _sqlite_module().connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM account WHERE email = ?", (builder.DEMO_EMAIL,)).fetchone() is not None
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - not a database, or not ours: not a demo
        return False


COMMANDS = [demo]
