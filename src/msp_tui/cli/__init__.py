"""The `msp-tui` command line: one group per area, all over the same core use cases.

Commands import core inside their bodies and never import Textual unless they open the UI, so
`msp-tui --help` loads neither Textual nor SQLAlchemy and starts in about 0.1 s.
Reference: docs/cli.md.
"""

from __future__ import annotations

import sys

import click

from msp_tui.cli.state import CliState
from msp_tui.core.errors import MspError


class _Cli(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (MspError, click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            # A read-only or full disk, a folder in place of the file, a server that is down: one
            # line naming the file and the cause (exit 2), never a traceback. Anything else is a bug.
            from msp_tui.core.db import outside_cause

            state = ctx.obj if isinstance(ctx.obj, CliState) else None
            error = outside_cause(exc, state.where() if state else None)
            if error is None:
                raise
            raise error from None


@click.group(cls=_Cli, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="MSP_TUI_DB", metavar="PATH_OR_URL",
              help="SQLite file or SQLAlchemy URL (env MSP_TUI_DB; default: a file in the user data dir).")
@click.option("--email", envvar="MSP_TUI_EMAIL", help="Sign in as this person (env MSP_TUI_EMAIL).")
@click.option("--passwordenv", metavar="VAR", help="Read the master password from this environment variable.")
@click.option("--passwordfile", type=click.Path(dir_okay=False), help="Read the master password from this file.")
@click.option("--otpenv", metavar="VAR", help="Read the two-step login code (or the recovery code) from this "
                                             "environment variable (else it is asked when two-step login is on).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "jsonl"]), default="table",
              show_default=True, help="Output format of listings (jsonl for events).")
@click.version_option(package_name="msp-tui")
@click.pass_context
def cli(ctx: click.Context, db_url, email, passwordenv, passwordfile, otpenv, fmt) -> None:
    """msp-tui: the Provider Portal for managed service providers, in the terminal.

    With no command it opens the terminal UI. Results go to stdout, messages to stderr. Exit codes:
    0 done, 1 refused by a rule (the message names it), 2 bad input, 3 sign-in failed,
    70 the UI stopped on an unhandled error.
    Every command's --help has an example; the full reference is docs/cli.md.

    \b
    Example:
      msp-tui --db ~/msp.db --email ada@msp.example --passwordenv MSP_PW clients list --format json
    """
    if isinstance(ctx.obj, CliState):  # handed in by main(state=…), already signed in
        ctx.obj.fmt = fmt
        ctx.obj.otpenv = otpenv or ctx.obj.otpenv
    else:
        ctx.obj = CliState(db_url=db_url, email=email, passwordenv=passwordenv, passwordfile=passwordfile,
                           fmt=fmt, otpenv=otpenv)
    if ctx.invoked_subcommand is None:
        from msp_tui.cli.ui import open_ui

        open_ui(ctx.obj)


#: Command modules, each with COMMANDS; one line per area.
GROUPS = [
    "people",
    "account",
    "demo",
    "clients",
    "staff",
    "members",
    "events",
    "db",
    "vault",
    "billing",
    "policies",
    "health",
    "serve",
    "approvals",
    "access_requests",
    "report",
]


def _register() -> None:
    import importlib

    for name in GROUPS:
        module = importlib.import_module(f"msp_tui.cli.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def error_text(exc: MspError) -> str:
    """The one line a refusal, bad input or failed sign-in prints on stderr."""
    from msp_tui.core.errors import Refused

    from msp_tui.cli.output import inert  # names from the database reach the terminal as text only

    if isinstance(exc, Refused):
        return inert(f"refused by rule {exc.rule}: {exc.message}")
    return inert(f"error: {exc.message}")


def _hang_up(signum, _frame) -> None:
    # A dropped SSH session: unwind like an error, so an open transaction rolls back whole.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None, *, state: CliState | None = None) -> None:
    """Entry point: exit 0 done, 1 refused by a rule, 2 bad input, 3 sign-in failed (docs/cli.md).

    `state`: a CliState already open and signed in, for a caller running many commands as one person
    (the walk of every command as every kind of person signs each in once)."""
    import signal

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _hang_up)
    try:
        cli.main(args=argv, prog_name="msp-tui", standalone_mode=False, obj=state)
    except MspError as exc:
        click.echo(error_text(exc), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, without a second error while flushing.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except UnicodeError:  # bytes that are not UTF-8 text in an argument, variable or file
        click.echo("error: the input is not valid UTF-8 text.", err=True)
        sys.exit(2)
    sys.exit(0)
