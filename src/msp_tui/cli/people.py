"""`init` and `accept`: creating the provider, and an invited person joining."""

from __future__ import annotations

import click

from msp_tui.cli.state import CliState, pass_state


@click.command("init")
@click.option("--provider", required=True, help="The provider's name.")
@click.option("--email", "admin_email", required=True, help="The first Provider Admin's email.")
@click.option("--name", required=True, help="The first Provider Admin's name.")
@pass_state
def init(state: CliState, provider: str, admin_email: str, name: str) -> None:
    """Create the provider and its first Provider Admin.

    \b
    Example:
      msp-tui --db msp.db init --provider "Northwind MSP" --email ada@msp.example --name "Ada Admin"
    """
    from msp_tui.core.services import accounts

    password = state.password("Choose a master password (it can never be reset)", confirm=True)
    state.create = True  # one of the three commands that make a new database
    actor = accounts.init_provider(state.db(), provider=provider, email=admin_email, name=name,
                                   password=password)
    click.echo(f"Created provider {provider!r} with Provider Admin {actor.email}.", err=True)
    click.echo("No one can reset or recover a master password: invite a second Provider Admin.", err=True)


@click.command("accept")
@click.option("--name", default="", help="Your name (for a new account).")
@click.option("--tokenenv", metavar="VAR",
              help="Read the invitation's one-time secret from this environment variable (else it is asked).")
@pass_state
def accept(state: CliState, name: str, tokenenv: str | None) -> None:
    """Accept an invitation with its one-time secret (the inviter gives it to you); creates your
    account (you choose a master password) if needed.

    A wrong, used or expired secret, or an email with no invitation, all get the same answer. With an
    existing account that has two-step login on, its code is asked too (or read with --otpenv).

    \b
    Example:
      msp-tui --email bob@msp.example accept --name "Bob Service"
      MSP_INVITE=ABCD-EFGH-JKLM-NPQR-STUV msp-tui --email bob@msp.example accept --tokenenv MSP_INVITE
      msp-tui --email bob@msp.example --otpenv OTP accept --tokenenv MSP_INVITE
    """
    import os

    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import accounts

    if not state.email:
        raise BadInput("accept needs --email.", "email")
    db = state.db()
    if tokenenv:
        secret = os.environ.get(tokenenv)
        if secret is None:
            raise BadInput(f"The environment variable {tokenenv} is not set.", "tokenenv")
    else:
        secret = click.prompt("Invitation secret", hide_input=True, err=True)
    # Only a matching secret learns whether the email already has an account (and so which prompt).
    invitation = accounts.find_invitation(db, email=state.email, secret=secret)
    password = state.password("Master password" if invitation.account_exists else "Choose a master password",
                              confirm=not invitation.account_exists)
    checked = accounts.check_acceptance(db, email=state.email, secret=secret, password=password, name=name)
    # An existing account with two-step login on proves it as at sign-in: --otpenv or a prompt.
    code = state.two_step_code() if checked.needs_code else None
    actor, result = accounts.finish_acceptance(db, checked, code)
    if result.account_created:
        click.echo(f"Created the account {invitation.email}.", err=True)
    for p in result.staff:
        click.echo(f"Accepted the staff invitation of {p}; an admin must now confirm you.", err=True)
    for o in result.memberships:
        click.echo(f"Accepted the invitation to {o}; an admin must now confirm you.", err=True)
    click.echo(f"Your fingerprint phrase (check it with the admin who confirms you): "
               f"{accounts.fingerprint_of(db, actor.account_id)}", err=True)


COMMANDS = [init, accept]
