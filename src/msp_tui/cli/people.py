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
@pass_state
def accept(state: CliState, name: str) -> None:
    """Accept your pending invitations; creates your account (you choose a master password) if needed.

    \b
    Example:
      msp-tui --email bob@msp.example accept --name "Bob Service"
    """
    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import accounts

    if not state.email:
        raise BadInput("accept needs --email.", "email")
    db = state.db()
    from sqlalchemy import select

    from msp_tui.core.models import Account

    with db.read() as s:
        exists = s.execute(select(Account.id).where(Account.email == state.email.strip().lower())).first()
    password = state.password("Master password" if exists else "Choose a master password",
                              confirm=not exists)
    actor, result = accounts.accept_invitations(db, email=state.email, password=password, name=name)
    if result.account_created:
        click.echo(f"Created the account {state.email}.", err=True)
    for p in result.staff:
        click.echo(f"Accepted the staff invitation of {p}; an admin must now confirm you.", err=True)
    for o in result.memberships:
        click.echo(f"Accepted the invitation to {o}; an admin must now confirm you.", err=True)
    for e in result.expired:
        click.echo(f"The invitation from {e} expired; ask for a new one.", err=True)
    click.echo(f"Your fingerprint phrase (check it with the admin who confirms you): "
               f"{accounts.fingerprint_of(db, actor.account_id)}", err=True)


COMMANDS = [init, accept]
