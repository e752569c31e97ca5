"""`account`: the signed-in person's own account (their master password)."""

from __future__ import annotations

import os

import click

from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput


@click.group("account")
def account() -> None:
    """Your own account.

    \b
    Example:
      msp-tui --email ada@msp.example account password
    """


@account.command("password")
@click.option("--newpasswordenv", metavar="VAR", help="Read the new master password from this environment variable "
                                                     "(else it is asked twice).")
@pass_state
def password(state: CliState, newpasswordenv: str | None) -> None:
    """Change your master password: your keys stay, only their wrapping changes (event 1001). The new
    one must meet the Master password requirements of every client you are a member of.

    \b
    Example:
      msp-tui --email uma@contoso.example --passwordenv PW account password --newpasswordenv NEW_PW
    """
    from msp_tui.core.services import accounts

    actor = state.actor(changing_password=True)
    if newpasswordenv:
        new = os.environ.get(newpasswordenv)
        if new is None:
            raise BadInput(f"The environment variable {newpasswordenv} is not set.", "newpasswordenv")
    else:
        new = click.prompt("New master password", hide_input=True, confirmation_prompt=True, err=True)
    current = state.signed_in_password or state.password("Current master password")
    accounts.change_master_password(state.db(), actor, current, new)
    click.echo("Your master password is changed.", err=True)


COMMANDS = [account]
