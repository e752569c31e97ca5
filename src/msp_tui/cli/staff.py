"""`staff`: provider staff."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, emit_one
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "email", "name", "role", "status", "invited_at", "invitation_expired"]


def _row(v) -> dict:
    return {"id": v.id, "email": v.email, "name": v.name, "role": v.role, "status": v.status,
            "invited_at": v.invited_at, "invitation_expired": v.invitation_expired}


@click.group("staff")
def staff() -> None:
    """Provider staff (Provider Admins only)."""


@staff.command("list")
@pass_state
def list_(state: CliState) -> None:
    """List the staff.

    \b
    Example:
      msp-tui staff list --format json
    """
    from msp_tui.core.services import staff as svc

    emit(state.fmt, (_row(v) for v in svc.list_staff(state.db(), state.actor())), COLUMNS)


@staff.command("invite")
@click.argument("emails", nargs=-1, required=True)
@click.option("--role", type=click.Choice(["admin", "service"]), required=True)
@pass_state
def invite(state: CliState, emails, role) -> None:
    """Invite up to 20 people at once.

    \b
    Example:
      msp-tui staff invite bob@msp.example carol@msp.example --role service
    """
    from msp_tui.core.services import staff as svc

    res = svc.invite(state.db(), state.actor(), list(emails), role)
    for e in res.invited:
        click.echo(f"invited {e}", err=True)
    for e in res.skipped:
        click.echo(f"skipped {e} (already on the staff)", err=True)


@staff.command("reinvite")
@click.argument("emails", nargs=-1, required=True)
@pass_state
def reinvite(state: CliState, emails) -> None:
    """Send pending invitations again (they last 5 more days).

    \b
    Example:
      msp-tui staff reinvite bob@msp.example
    """
    from msp_tui.core.services import staff as svc

    for e in svc.reinvite(state.db(), state.actor(), list(emails)):
        click.echo(f"re-invited {e}", err=True)


@staff.command("confirm")
@click.argument("email")
@pass_state
def confirm(state: CliState, email) -> None:
    """Confirm a staff member who accepted.

    \b
    Example:
      msp-tui staff confirm bob@msp.example
    """
    from msp_tui.core.services import staff as svc

    view = svc.confirm(state.db(), state.actor(), email)
    emit_one(state.fmt, {**_row(view), "fingerprint": _fingerprint(state, view)})


def _fingerprint(state: CliState, view) -> str | None:
    """The confirmed person's fingerprint phrase, to compare with the one they see on their side."""
    from msp_tui.core.services.accounts import fingerprint_of

    if view.account_id is None:
        return None
    phrase = fingerprint_of(state.db(), view.account_id)
    click.echo(f"Check this fingerprint phrase with {view.email} (it must match theirs): {phrase}", err=True)
    return phrase


@staff.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "service"]))
@pass_state
def role(state: CliState, email, role) -> None:
    """Change a staff member's role.

    \b
    Example:
      msp-tui staff role bob@msp.example admin
    """
    from msp_tui.core.services import staff as svc

    emit_one(state.fmt, _row(svc.change_role(state.db(), state.actor(), email, role)))


@staff.command("remove")
@click.argument("email")
@pass_state
def remove(state: CliState, email) -> None:
    """Remove a staff member (the provider key is rotated).

    \b
    Example:
      msp-tui staff remove bob@msp.example
    """
    from msp_tui.core.services import staff as svc

    svc.remove(state.db(), state.actor(), email)
    click.echo(f"removed {email}", err=True)


COMMANDS = [staff]
