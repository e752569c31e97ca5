"""`vault`: a client's vault items, or one's own with --personal. Passwords print only with --reveal."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, emit_one, inert
from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput

COLUMNS = ["id", "name", "type", "subtitle", "collections", "access"]
HIDDEN = "••••••••"


def _collection_names(view) -> dict:
    return {c.id: c.name for c in view.collections}


def _row(item, names: dict, fmt: str = "json") -> dict:
    access = "Can manage" if item.can_delete else ("Can edit" if item.can_edit else "Can view")
    if item.hide_passwords:
        access += ", except passwords"
    collections = sorted(names.get(c, str(c)) for c in item.collection_ids)
    return {"id": item.id, "name": item.name, "type": item.type_label, "subtitle": item.subtitle,
            "collections": collections if fmt in ("json", "jsonl") else "; ".join(collections),
            "access": "Owner (personal)" if item.personal else access}


def _fields(pairs: tuple[str, ...], prompts: tuple[str, ...]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise BadInput(f"--field {pair!r}: use KEY=VALUE", "field")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    for key in prompts:
        out[key] = click.prompt(key, hide_input=True, err=True, default="", show_default=False)
    return out


def _collection_ids(state: CliState, client, refs: tuple[str, ...]) -> list:
    """Collections by id or (decrypted) name."""
    if not refs:
        return []
    from msp_tui.core.services import vault as svc
    from msp_tui.core.services.common import as_uuid

    view = svc.open_vault(state.db(), state.actor(), client)
    by_name = {c.name.lower(): c.id for c in view.collections}
    out = []
    for ref in refs:
        cid = as_uuid(ref) or by_name.get(ref.strip().lower())
        if cid is None:
            raise BadInput(f"No collection {ref!r} in {view.client_name}.", "collection")
        out.append(cid)
    return out


@click.group("vault")
def vault() -> None:
    """Vault items of a client (staff, Owners and Admins see all; others their collections' items),
    or your own personal items with --personal, which no one else can ever see.

    \b
    Example:
      msp-tui vault list Contoso
      msp-tui vault list --personal
    """


@vault.command("list")
@click.argument("client", required=False)
@click.option("--personal", is_flag=True, help="Your own items instead of a client's.")
@click.option("--search", "text", default="", help="Only items whose name or subtitle contains this.")
@pass_state
def list_(state: CliState, client, personal, text) -> None:
    """List items (opening a client's vault as staff is recorded: events 1903 and 1603).

    \b
    Example:
      msp-tui vault list "Contoso Dental" --format json
      msp-tui vault list --personal
    """
    from msp_tui.core.services import vault as svc

    if personal == bool(client):
        raise BadInput("Give a CLIENT, or --personal for your own items.", "client")
    if personal:
        items, names = svc.list_personal(state.db(), state.actor(), text=text), {}
    else:
        view = svc.open_vault(state.db(), state.actor(), client, text=text)
        items, names = view.items, _collection_names(view)
    emit(state.fmt, (_row(i, names, state.fmt) for i in items), COLUMNS)
    from msp_tui.cli import damage

    damage.report(sum(i.damaged for i in items), "item")


@vault.command("add")
@click.argument("client", required=False)
@click.option("--personal", is_flag=True, help="Into your own vault.")
@click.option("--type", "type_", default="login", show_default=True,
              help="login, note, card, identity or ssh-key.")
@click.option("--name", required=True)
@click.option("--collection", "collections", multiple=True, help="Collection name or id (repeatable).")
@click.option("--field", "pairs", multiple=True, metavar="KEY=VALUE", help="A field (repeatable).")
@click.option("--prompt", "prompts", multiple=True, metavar="KEY",
              help="Ask for this field without echo, e.g. --prompt password (repeatable).")
@pass_state
def add(state: CliState, client, personal, type_, name, collections, pairs, prompts) -> None:
    """Add an item.

    \b
    Example:
      msp-tui vault add "Contoso Dental" --name "Core switch" --collection "Shared logins" \\
        --field username=admin --field url=https://10.0.0.2 --prompt password
      msp-tui vault add --personal --type note --name "Alarm code" --prompt notes
    """
    from msp_tui.core.services import vault as svc

    if personal == bool(client):
        raise BadInput("Give a CLIENT, or --personal for your own vault.", "client")
    fields = _fields(pairs, prompts)
    coll_ids = [] if personal else _collection_ids(state, client, collections)
    item = svc.create_item(state.db(), state.actor(), type=type_, name=name, fields=fields,
                           client=None if personal else client, collection_ids=coll_ids, personal=personal)
    click.echo(f"added {item.id}", err=True)
    click.echo(str(item.id))


@vault.command("show")
@click.argument("item")
@click.option("--client", help="The client, when ITEM is a name.")
@click.option("--personal", is_flag=True, help="ITEM is one of your own (by name).")
@click.option("--reveal", is_flag=True, help="Print protected fields (passwords, card numbers, keys).")
@pass_state
def show(state: CliState, item, client, personal, reveal) -> None:
    """Show an item; passwords stay hidden unless --reveal (recorded: event 1108).

    \b
    Example:
      msp-tui vault show 3f2a...-id --reveal
      msp-tui vault show "Core switch" --client "Contoso Dental"
    """
    from msp_tui.core.services import vault as svc

    db, actor = state.db(), state.actor()
    view = svc.view_item(db, actor, item, client=client, personal=personal)
    row = {"id": view.id, "name": view.name, "type": view.type_label,
           "owner": "you (personal)" if view.personal else str(view.organization_id)}
    for f in view.fields:
        if not f.has_value:
            continue
        if f.protected:
            if reveal and not view.hide_passwords:
                row[f.key] = svc.reveal(db, actor, view.id, f.key)
            elif view.hide_passwords:
                row[f.key] = "(hidden: your access is except passwords)"
            else:
                row[f.key] = HIDDEN
        else:
            row[f.key] = f.value
    row["version"] = view.version
    emit_one(state.fmt, row)


@vault.command("edit")
@click.argument("item")
@click.option("--client", help="The client, when ITEM is a name.")
@click.option("--personal", is_flag=True, help="ITEM is one of your own (by name).")
@click.option("--name", "new_name", help="A new name.")
@click.option("--field", "pairs", multiple=True, metavar="KEY=VALUE", help="Change a field ('KEY=' clears it).")
@click.option("--prompt", "prompts", multiple=True, metavar="KEY", help="Ask for this field without echo.")
@click.option("--collection", "collections", multiple=True,
              help="Move: the item's collections become exactly these (repeatable).")
@click.option("--version", "expected_version", type=int, help="Refuse if the item changed since this version.")
@pass_state
def edit(state: CliState, item, client, personal, new_name, pairs, prompts, collections, expected_version) -> None:
    """Edit an item, or move it between collections with --collection.

    \b
    Example:
      msp-tui vault edit 3f2a...-id --prompt password
      msp-tui vault edit 3f2a...-id --collection Finance --collection "Shared logins"
    """
    from msp_tui.core.services import vault as svc

    db, actor = state.db(), state.actor()
    fields = _fields(pairs, prompts)
    view = svc.view_item(db, actor, item, client=client, personal=personal)
    if new_name is not None or fields:
        view = svc.edit_item(db, actor, view.id, name=new_name, fields=fields, expected_version=expected_version)
        expected_version = None
    if collections:
        ids = _collection_ids(state, view.organization_id, collections)
        view = svc.move_item(db, actor, view.id, ids, expected_version=expected_version)
    click.echo(f"saved {view.id} (version {view.version})", err=True)


@vault.command("delete")
@click.argument("item")
@click.option("--client", help="The client, when ITEM is a name.")
@click.option("--personal", is_flag=True, help="ITEM is one of your own (by name).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete(state: CliState, item, client, personal, yes) -> None:
    """Delete an item for good (event 1102).

    \b
    Example:
      msp-tui vault delete 3f2a...-id --yes
    """
    from msp_tui.core.services import vault as svc

    from msp_tui.core.errors import Damaged
    from msp_tui.core.services.common import as_uuid

    db, actor = state.db(), state.actor()
    try:
        view = svc.view_item(db, actor, item, client=client, personal=personal)
        item_id, label = view.id, view.name
    except Damaged:
        if as_uuid(item) is None:
            raise
        item_id, label = as_uuid(item), f"item {item} (it {svc.keys.DAMAGED})"  # a damaged item can go
    if not yes:
        click.confirm(f"Delete {inert(label)!r} for good?", abort=True, err=True)
    svc.delete_item(db, actor, item_id)
    click.echo(f"deleted {item_id}", err=True)


COMMANDS = [vault]
