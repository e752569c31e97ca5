"""The `msp-tui` command line: one group per area, all over the same core use cases.

Commands that open no UI never import Textual, so `msp-tui --help` stays fast.
"""

from __future__ import annotations

import sys

import click

from msp_tui.cli.state import CliState
from msp_tui.core.errors import MspError


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="MSP_TUI_DB", metavar="PATH_OR_URL",
              help="SQLite file or SQLAlchemy URL (env MSP_TUI_DB; default: a file in the user data dir).")
@click.option("--email", envvar="MSP_TUI_EMAIL", help="Sign in as this person (env MSP_TUI_EMAIL).")
@click.option("--passwordenv", metavar="VAR", help="Read the master password from this environment variable.")
@click.option("--passwordfile", type=click.Path(dir_okay=False), help="Read the master password from this file.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "jsonl"]), default="table",
              show_default=True, help="Output format of listings (jsonl for events).")
@click.version_option(package_name="msp-tui")
@click.pass_context
def cli(ctx: click.Context, db_url, email, passwordenv, passwordfile, fmt) -> None:
    """msp-tui: the Provider Portal for managed service providers, in the terminal.

    With no command it opens the terminal UI.

    \b
    Example:
      msp-tui --db ~/msp.db --email ada@msp.example clients list --format json
    """
    ctx.obj = CliState(db_url=db_url, email=email, passwordenv=passwordenv, passwordfile=passwordfile,
                       fmt=fmt)
    if ctx.invoked_subcommand is None:
        from msp_tui.cli.ui import open_ui

        open_ui(ctx.obj)


#: Command modules, each with COMMANDS; one line per area.
GROUPS = [
    "people",
    "demo",
    "clients",
    "staff",
    "members",
    "events",
    "db",
    "vault",
    "billing",
]


def _register() -> None:
    import importlib

    for name in GROUPS:
        module = importlib.import_module(f"msp_tui.cli.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps refusals, bad input and failed sign-in to exit codes 1, 2 and 3."""
    try:
        cli.main(args=argv, prog_name="msp-tui", standalone_mode=False)
    except MspError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
