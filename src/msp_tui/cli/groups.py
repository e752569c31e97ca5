"""`members groups`: a client's groups."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, emit_one, format_option
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "name", "members", "version"]


def _row(v) -> dict:
    return {"id": v.id, "name": v.name, "members": v.members, "version": v.version}


def group_ids(db, actor, client, refs, action) -> list:
    """Group names or ids as ids, for someone about to do `action` (core checks it first; a name
    that matches no group is bad input)."""
    from msp_tui.core.services import groups as svc

    return svc.group_ids(db, actor, client, list(refs), action) if refs else []


@click.group("groups")
def groups() -> None:
    """A client's groups (GROUP is a name or id).

    \b
    Example:
      msp-tui members groups list Contoso
    """


@groups.command("list")
@click.argument("client")
@format_option()
@pass_state
def list_(state: CliState, client) -> None:
    """List a client's groups with their member counts.

    \b
    Example:
      msp-tui members groups list Contoso --format json
    """
    from msp_tui.core.services import groups as svc

    emit(state.fmt, (_row(v) for v in svc.list_groups(state.db(), state.actor(), client)), COLUMNS)


@groups.command("create")
@click.argument("client")
@click.argument("name")
@format_option()
@pass_state
def create(state: CliState, client, name) -> None:
    """Create a group.

    \b
    Example:
      msp-tui members groups create Contoso Finance
    """
    from msp_tui.core.services import groups as svc

    emit_one(state.fmt, _row(svc.create_group(state.db(), state.actor(), client, name)), COLUMNS)


@groups.command("rename")
@click.argument("client")
@click.argument("group")
@click.argument("name")
@format_option()
@pass_state
def rename(state: CliState, client, group, name) -> None:
    """Rename a group.

    \b
    Example:
      msp-tui members groups rename Contoso Finance Accounting
    """
    from msp_tui.core.services import groups as svc

    emit_one(state.fmt, _row(svc.rename_group(state.db(), state.actor(), client, group, name)), COLUMNS)


@groups.command("delete")
@click.argument("client")
@click.argument("group")
@pass_state
def delete(state: CliState, client, group) -> None:
    """Delete a group (its members stay members of the client).

    \b
    Example:
      msp-tui members groups delete Contoso Finance
    """
    from msp_tui.core.services import groups as svc

    svc.delete_group(state.db(), state.actor(), client, group)
    click.echo(f"deleted group {group}", err=True)
