"""`members`: a client's members."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "email", "name", "role", "status", "permissions", "two_factor", "groups", "invited_at"]


def _row(v) -> dict:
    return {"id": v.id, "email": v.email, "name": v.name, "role": v.role, "status": v.status,
            "permissions": sorted(v.permissions), "two_factor": v.two_factor_enabled,
            "groups": list(v.groups), "invited_at": v.invited_at}


@click.group("members")
def members() -> None:
    """A client's members (CLIENT is a name or id; EMAIL names a member)."""


@members.command("list")
@click.argument("client")
@pass_state
def list_(state: CliState, client) -> None:
    """List a client's members.

    \b
    Example:
      msp-tui members list Contoso --format csv
    """
    from msp_tui.core.services import members as svc

    emit(state.fmt, (_row(v) for v in svc.list_members(state.db(), state.actor(), client)), COLUMNS)


@members.command("invite")
@click.argument("client")
@click.argument("emails", nargs=-1, required=True)
@click.option("--role", default="user", type=click.Choice(["owner", "admin", "user", "custom"]))
@click.option("--permission", "perms", multiple=True, help="A Custom role flag (repeatable).")
@pass_state
def invite(state: CliState, client, emails, role, perms) -> None:
    """Invite people to a client (refused past its seat count).

    \b
    Example:
      msp-tui members invite Contoso a@contoso.example b@contoso.example --role user
    """
    from msp_tui.core.services import members as svc

    res = svc.invite(state.db(), state.actor(), client, list(emails), role, frozenset(perms))
    for e in res.invited:
        click.echo(f"invited {e}", err=True)
    for e in res.skipped:
        click.echo(f"skipped {e} (already a member)", err=True)


def _bulk(name: str, fn_name: str, doc: str):
    @members.command(name)
    @click.argument("client")
    @click.argument("emails", nargs=-1, required=True)
    @pass_state
    def command(state: CliState, client, emails) -> None:
        from msp_tui.core.services import members as svc

        out = getattr(svc, fn_name)(state.db(), state.actor(), client, list(emails))
        emit(state.fmt, (_row(v) for v in out), COLUMNS) if isinstance(out, list) else None
        if not isinstance(out, list):
            click.echo(f"removed {out}", err=True)

    command.__doc__ = doc
    return command


_bulk("reinvite", "reinvite", "Send pending invitations again.\n\n\b\nExample:\n  msp-tui members reinvite Contoso a@contoso.example")
_bulk("confirm", "confirm", "Confirm members who accepted.\n\n\b\nExample:\n  msp-tui members confirm Contoso a@contoso.example")
_bulk("revoke", "revoke", "Revoke members' access (they keep their seat free).\n\n\b\nExample:\n  msp-tui members revoke Contoso a@contoso.example")
_bulk("restore", "restore", "Restore revoked members.\n\n\b\nExample:\n  msp-tui members restore Contoso a@contoso.example")
_bulk("remove", "remove", "Remove members.\n\n\b\nExample:\n  msp-tui members remove Contoso a@contoso.example")


@members.command("role")
@click.argument("client")
@click.argument("email")
@click.argument("role", type=click.Choice(["owner", "admin", "user", "custom"]))
@click.option("--permission", "perms", multiple=True, help="A Custom role flag (repeatable).")
@pass_state
def role(state: CliState, client, email, role, perms) -> None:
    """Change a member's role (and Custom flags).

    \b
    Example:
      msp-tui members role Contoso a@contoso.example custom --permission manage_users
    """
    from msp_tui.core.services import members as svc

    emit(state.fmt, (_row(v) for v in svc.change_role(state.db(), state.actor(), client, [email], role,
                                                         frozenset(perms))), COLUMNS)


COMMANDS = [members]
