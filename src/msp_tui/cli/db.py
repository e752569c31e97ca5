"""`db`: migrations and checks."""

from __future__ import annotations

import click

from msp_tui.cli.state import CliState, pass_state


@click.group("db")
def db() -> None:
    """The database: upgrade, check."""


@db.command("upgrade")
@pass_state
def upgrade(state: CliState) -> None:
    """Apply pending migrations (they also run whenever the program opens a database).

    \b
    Example:
      msp-tui --db postgresql://msp@db.internal/msp db upgrade
    """
    from msp_tui.core.db import open_database

    database = open_database(state.db_url, migrate=False)
    ran = database.upgrade()
    click.echo(f"{database.display}: {'upgraded to' if ran else 'already at'} {database.head_revision()}",
               err=True)


@db.command("check")
@pass_state
def check(state: CliState) -> None:
    """Check integrity and foreign keys; exit 1 if anything is wrong.

    \b
    Example:
      msp-tui db check
    """
    problems = state.db().check()
    for p in problems:
        click.echo(p, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("ok")


COMMANDS = [db]
