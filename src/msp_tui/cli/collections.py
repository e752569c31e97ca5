"""`members collections`: a client's collections and who may use them."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, emit_one, format_option
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "name", "members", "groups", "version"]
#: --access values, in the order of the reference's levels; `none` takes access away.
ACCESS = {"can-view": 0, "can-view-except-passwords": 1, "can-edit": 2, "can-edit-except-passwords": 3,
          "can-manage": 4, "none": None}


def _row(v) -> dict:
    return {"id": v.id, "name": v.name,
            "members": [{"email": e, "access": a} for e, a in v.members],
            "groups": [{"group": g, "access": a} for g, a in v.groups], "version": v.version}


def _flat(row: dict) -> dict:
    """Tables and CSV show access as `who: level` strings."""
    return {**row, "members": [f"{m['email']}: {m['access'].label}" for m in row["members"]],
            "groups": [f"{g['group']}: {g['access'].label}" for g in row["groups"]]}


def _out(fmt: str, rows) -> None:
    emit(fmt, rows if fmt in ("json", "jsonl") else (_flat(r) for r in rows), COLUMNS)


@click.group("collections")
def collections() -> None:
    """A client's collections (COLLECTION is a name or id).

    \b
    Example:
      msp-tui members collections list Contoso
    """


@collections.command("list")
@click.argument("client")
@format_option()
@pass_state
def list_(state: CliState, client) -> None:
    """List a client's collections with each member's and group's access.

    \b
    Example:
      msp-tui members collections list Contoso --format json
    """
    from msp_tui.core.services import collections as svc

    from msp_tui.cli import damage

    views = svc.list_collections(state.db(), state.actor(), client)
    _out(state.fmt, [_row(v) for v in views])
    damage.report(sum(v.damaged for v in views), "collection name")


@collections.command("create")
@click.argument("client")
@click.argument("name")
@format_option()
@pass_state
def create(state: CliState, client, name) -> None:
    """Create a collection (its name is encrypted with the client's key).

    \b
    Example:
      msp-tui members collections create Contoso "Shared logins"
    """
    from msp_tui.core.services import collections as svc

    row = _row(svc.create_collection(state.db(), state.actor(), client, name))
    emit_one(state.fmt, row if state.fmt in ("json", "jsonl") else _flat(row), COLUMNS)


@collections.command("rename")
@click.argument("client")
@click.argument("collection")
@click.argument("name")
@pass_state
def rename(state: CliState, client, collection, name) -> None:
    """Rename a collection.

    \b
    Example:
      msp-tui members collections rename Contoso "Shared logins" "Front desk logins"
    """
    from msp_tui.core.services import collections as svc

    svc.rename_collection(state.db(), state.actor(), client, collection, name)
    click.echo(f"renamed collection {collection} to {name}", err=True)


@collections.command("delete")
@click.argument("client")
@click.argument("collection")
@pass_state
def delete(state: CliState, client, collection) -> None:
    """Delete a collection.

    \b
    Example:
      msp-tui members collections delete Contoso "Shared logins"
    """
    from msp_tui.core.services import collections as svc

    svc.delete_collection(state.db(), state.actor(), client, collection)
    click.echo(f"deleted collection {collection}", err=True)


@collections.command("grant")
@click.argument("client")
@click.argument("collection")
@click.option("--member", "member_refs", multiple=True, help="A member's email (repeatable).")
@click.option("--group", "group_refs", multiple=True, help="A group's name or id (repeatable).")
@click.option("--access", required=True, type=click.Choice(list(ACCESS)),
              help="The access level; `none` takes access away.")
@pass_state
def grant(state: CliState, client, collection, member_refs, group_refs, access) -> None:
    """Give members or groups an access level on a collection (or take it away with --access none).

    \b
    Example:
      msp-tui members collections grant Contoso "Shared logins" --group Finance --access can-view
      msp-tui members collections grant Contoso "Shared logins" --member a@contoso.example --access none
    """
    from msp_tui.cli.groups import group_ids
    from msp_tui.core.access import Action
    from msp_tui.core.enums import CollectionAccess
    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import collections as svc

    if not member_refs and not group_refs:
        raise BadInput("Name at least one --member or --group.", "member")
    level = None if ACCESS[access] is None else CollectionAccess(ACCESS[access])
    db, actor = state.db(), state.actor()
    for m in member_refs:
        svc.set_member_access(db, actor, client, collection, m, level)
        click.echo(f"{m}: {access}", err=True)
    for gid, g in zip(group_ids(db, actor, client, group_refs, Action.MANAGE_ACCESS_RULES), group_refs):
        svc.set_group_access(db, actor, client, collection, gid, level)
        click.echo(f"group {g}: {access}", err=True)
