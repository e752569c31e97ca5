"""`vault`: a client's vault items, or one's own with --personal. Passwords print only with --reveal."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, emit_one, format_option, inert
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
@format_option()
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
              help="login, note, card, identity, ssh-key, bank-account, drivers-licence or passport.")
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
@click.option("--permanent", is_flag=True, help="Delete for good (from the vault or the trash) instead.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete(state: CliState, item, client, personal, permanent, yes) -> None:
    """Move an item to the trash (event 1115; restore it within 30 days), or delete it for good
    with --permanent (event 1102).

    \b
    Example:
      msp-tui vault delete 3f2a...-id --yes
      msp-tui vault delete "Old router" --client "Contoso Dental" --permanent --yes
    """
    from msp_tui.core.services import vault as svc

    db, actor = state.db(), state.actor()
    item_id, label = _find(svc, db, actor, item, client, personal, trashed=None if permanent else False)
    if not yes:
        question = f"Delete {inert(label)!r} for good?" if permanent else f"Move {inert(label)!r} to the trash?"
        click.confirm(question, abort=True, err=True)
    svc.delete_item(db, actor, item_id, permanent=permanent)
    click.echo(f"deleted {item_id}" if permanent else f"moved {item_id} to the trash "
               f"(msp-tui vault restore {item_id} brings it back)", err=True)


def _find(svc, db, actor, ref, client, personal, *, trashed):
    """(id, label) of an item in the vault or in the trash; a damaged item by id is found too."""
    from msp_tui.core.errors import Damaged
    from msp_tui.core.services.common import as_uuid

    try:
        view = svc.find_item(db, actor, ref, client=client, personal=personal, trashed=trashed)
        return view.id, view.name
    except Damaged:
        if as_uuid(ref) is None:
            raise
        return as_uuid(ref), f"item {ref} (it {svc.keys.DAMAGED})"  # a damaged item can go


TRASH_COLUMNS = ["id", "name", "type", "subtitle", "collections", "deleted"]


@vault.command("trash")
@click.argument("client", required=False)
@click.option("--personal", is_flag=True, help="Your own trash instead of a client's.")
@format_option()
@pass_state
def trash(state: CliState, client, personal) -> None:
    """List the items in a client's trash (those you may see), or your own with --personal.
    Items stay 30 days, then are deleted for good.

    \b
    Example:
      msp-tui vault trash "Contoso Dental"
      msp-tui vault trash --personal --format json
    """
    from msp_tui.core import clock
    from msp_tui.core.services import vault as svc

    if personal == bool(client):
        raise BadInput("Give a CLIENT, or --personal for your own trash.", "client")
    db, actor = state.db(), state.actor()
    items = svc.list_trash(db, actor, None if personal else client, personal=personal)
    names = {} if personal else _collection_names(svc.open_vault(db, actor, client, record_access=False))
    rows = []
    for i in items:
        row = _row(i, names, state.fmt)
        rows.append({k: row[k] for k in TRASH_COLUMNS if k in row} | {"deleted": clock.iso(i.deleted_at)})
    emit(state.fmt, rows, TRASH_COLUMNS)


@vault.command("restore")
@click.argument("item")
@click.option("--client", help="The client, when ITEM is a name.")
@click.option("--personal", is_flag=True, help="ITEM is one of your own (by name).")
@pass_state
def restore(state: CliState, item, client, personal) -> None:
    """Bring an item back from the trash into the collections it was in (event 1116).

    \b
    Example:
      msp-tui vault restore 3f2a...-id
      msp-tui vault restore "Old router" --client "Contoso Dental"
    """
    from msp_tui.core.services import vault as svc

    db, actor = state.db(), state.actor()
    item_id, _label = _find(svc, db, actor, item, client, personal, trashed=True)
    view = svc.restore_item(db, actor, item_id)
    click.echo(f"restored {view.id}", err=True)


@vault.command("purge-trash")
@click.argument("client", required=False)
@click.option("--personal", is_flag=True, help="Your own trash instead of a client's.")
@pass_state
def purge_trash(state: CliState, client, personal) -> None:
    """Delete for good the items in a client's trash (or your own) for more than 30 days (event 1102
    each). Opening a vault does the same.

    \b
    Example:
      msp-tui vault purge-trash "Contoso Dental"
      msp-tui vault purge-trash --personal
    """
    from msp_tui.core.services import vault as svc

    if personal == bool(client):
        raise BadInput("Give a CLIENT, or --personal for your own trash.", "client")
    n = svc.purge_trash(state.db(), state.actor(), None if personal else client, personal=personal)
    click.echo(f"purged {n} item{'s' if n != 1 else ''} older than {svc.TRASH_DAYS} days", err=True)


@vault.command("export")
@click.argument("client", required=False)
@click.option("--personal", is_flag=True, help="Your own items instead of a client's.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (created readable by you only).")
@click.option("--format", "file_format", type=click.Choice(["bitwarden-json", "bitwarden-json-encrypted", "csv"]),
              default="bitwarden-json", show_default=True,
              help="The reference's JSON, its password-protected JSON, or its CSV (logins and notes only).")
@click.option("--file-passwordenv", "filepasswordenv", metavar="VAR",
              help="For bitwarden-json-encrypted: read the file's password from this environment variable "
                   "(otherwise it is asked for twice).")
@click.option("--kdf", type=click.Choice(["pbkdf2", "argon2id"]), default="pbkdf2", show_default=True,
              help="Key derivation of the encrypted file (the reference's defaults: PBKDF2-SHA256 600,000 "
                   "iterations, or Argon2id 64 MiB, 3 passes, 4 lanes).")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_state
def export(state: CliState, client, personal, output, file_format, filepasswordenv, kdf, force) -> None:
    """Export a client's vault (provider staff, Owners and Admins; event 1602; members' personal items
    are never in it), or your own with --personal (event 1007; refused when a client of yours has
    Remove individual vault export on). Items in the trash are not exported.

    \b
    Example:
      msp-tui vault export "Contoso Dental" -o contoso.json --format bitwarden-json-encrypted \\
        --file-passwordenv EXPORT_PW
      msp-tui vault export --personal -o mine.csv --format csv
    """
    import os

    from msp_tui.core.services import vault_export

    if personal == bool(client):
        raise BadInput("Give a CLIENT, or --personal for your own vault.", "client")
    password = None
    if file_format == "bitwarden-json-encrypted":
        if filepasswordenv:
            password = os.environ.get(filepasswordenv)
            if not password:
                raise BadInput(f"--file-passwordenv: the environment variable {filepasswordenv} is empty or "
                               "not set.", "filepasswordenv")
        else:
            password = click.prompt("Password for the file", hide_input=True, confirmation_prompt=True, err=True)
    elif filepasswordenv:
        raise BadInput("--file-passwordenv is for --format bitwarden-json-encrypted.", "filepasswordenv")
    result = vault_export.export_vault(state.db(), state.actor(), None if personal else client, personal=personal,
                                       file_format=file_format, password=password, kdf=kdf)
    vault_export.write_private(output, result.data, overwrite=force)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if file_format != "bitwarden-json-encrypted":
        click.echo(f"warning: {inert(output)} is not encrypted: anyone who can read it sees every password in it. "
                   "Keep it safe and delete it when done, or use --format bitwarden-json-encrypted.", err=True)
    click.echo(f"exported {result.items} item{'s' if result.items != 1 else ''} to {inert(output)} "
               f"({file_format}, readable by you only)", err=True)


COMMANDS = [vault]


@vault.command("generate")
@click.option("--client", help="Bound by this client's Password generator policy (the client the item goes to); "
                               "without it, by every client you belong to.")
@click.option("--passphrase", is_flag=True, help="Words from the EFF long word list instead of characters.")
@click.option("--length", type=int, default=14, show_default=True, help="Characters (5–128).")
@click.option("--upper/--no-upper", default=True, show_default=True, help="A–Z.")
@click.option("--lower/--no-lower", default=True, show_default=True, help="a–z.")
@click.option("--numbers/--no-numbers", default=True, show_default=True, help="0–9.")
@click.option("--special/--no-special", default=False, show_default=True, help="!@#$%^&*")
@click.option("--min-numbers", type=int, default=1, show_default=True, help="At least this many numbers (0–9).")
@click.option("--min-special", type=int, default=0, show_default=True,
              help="At least this many special characters (0–9).")
@click.option("--words", type=int, default=6, show_default=True, help="Passphrase words (3–20).")
@click.option("--separator", default="-", show_default=True, help="Between the words (one character or none).")
@click.option("--capitalize", is_flag=True, help="Capitalize each word.")
@click.option("--include-number", is_flag=True, help="Add a number to one word.")
@pass_state
def generate(state: CliState, client, passphrase, length, upper, lower, numbers, special, min_numbers, min_special,
             words, separator, capitalize, include_number) -> None:
    """Generate a password or passphrase, raised to what the Password generator policy demands
    (a longer length, more words, characters it requires; what the policy leaves unset changes nothing).

    \b
    Example:
      msp-tui vault generate --length 20 --special
      msp-tui vault generate --client "Contoso Dental" --passphrase --words 5
    """
    from msp_tui.core import generator
    from msp_tui.core.services import policies

    asked = generator.GeneratorOptions(
        kind="passphrase" if passphrase else "password", length=length, upper=upper, lower=lower,
        numbers=numbers, special=special, min_numbers=min_numbers, min_special=min_special, words=words,
        separator=separator, capitalize=capitalize, include_number=include_number)
    asked.check()
    policy, names = policies.generator_policy(state.db(), state.actor(), client)
    options = generator.bounded(asked, policy)
    if options != asked:
        click.echo(f"raised by the Password generator policy of {', '.join(names)}", err=True)
    click.echo(generator.generate(options))


def _plan_rows(plan) -> dict:
    """The dry run (or the import's own report) as one document."""
    return {"format": plan.format, "format_label": plan.format_label,
            "into": plan.client_name, "items": plan.items, "imported": plan.imported,
            "by_type": plan.by_type, "by_collection": plan.by_collection, "new_collections": plan.new_collections,
            "duplicates": [{"where": d.where, "name": d.name, "username": d.username, "uri": d.uri}
                           for d in plan.duplicates],
            "problems": [{"where": p.where, "message": p.message} for p in plan.problems],
            "notices": [{"where": p.where, "message": p.message} for p in plan.notices]}


def _print_plan(plan, dry_run: bool) -> None:
    out = lambda text="": click.echo(inert(text))  # noqa: E731 - file content is shown, never obeyed
    verb = "would import" if dry_run else "imported"
    count = plan.items if dry_run else plan.imported
    out(f"{plan.format_label}: {verb} {count} item{'s' if count != 1 else ''} into {plan.client_name}")
    out("By type:")
    for name, n in plan.by_type.items():
        out(f"  {name:<20} {n:>7}")
    out("By collection:")
    for name, n in plan.by_collection.items():
        new = "  (new)" if name in plan.new_collections else ""
        out(f"  {name:<40} {n:>7}{new}")
    if plan.duplicates:
        out(f"Likely duplicates of items already there ({len(plan.duplicates)}; same name, username and URI):")
        for d in plan.duplicates:
            out(f"  {d.where}: {d.name} {d.username} {d.uri}".rstrip())
    if plan.problems:
        out(f"Not imported ({len(plan.problems)}):")
        for p in plan.problems:
            out(f"  {p.where}: {p.message}")
    if plan.notices:
        out(f"Moved or left behind ({len(plan.notices)}):")
        for p in plan.notices:
            out(f"  {p.where}: {p.message}")


@vault.command("import")
@click.argument("client")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--personal", is_flag=True, help="Into your own vault (CLIENT is then left out).")
@click.option("--collection", default=None, help="Put every item into this collection (created when missing).")
@click.option("--format", "file_format", default=None, metavar="FORMAT",
              help="bitwarden-json, bitwarden-json-encrypted, bitwarden-csv, lastpass-csv, 1password-1pux, "
                   "1password-csv, keeper-csv, keeper-json or keepass; detected from the content when left out.")
@click.option("--dry-run", is_flag=True, help="Only say what would be imported; write nothing.")
@click.option("--file-passwordenv", "filepasswordenv", metavar="VAR",
              help="Read the file's own password (KeePass, protected Bitwarden JSON) from this environment variable.")
@click.option("--keyfile", type=click.Path(dir_okay=False, exists=True), help="The KeePass key file.")
@pass_state
def import_(state: CliState, client, file, personal, collection, file_format, dry_run, filepasswordenv,
            keyfile) -> None:
    """Import items from another password manager's export: all of them in one go, or none.

    The file may be at most 50 MB. Folders, groups and vaults in the file become collections
    (created when missing); a value with no place of its own becomes a custom field or a note line,
    and the report says so. Run with --dry-run first to see counts, likely duplicates and problems.

    \b
    Example:
      msp-tui vault import "Contoso Dental" lastpass.csv --dry-run
      msp-tui vault import "Contoso Dental" export.1pux --collection "From 1Password"
      KDBX_PW=secret msp-tui vault import "Contoso Dental" office.kdbx --file-passwordenv KDBX_PW
      msp-tui vault import --personal keeper.json
    """
    import os
    import sys

    from msp_tui.cli.output import progress
    from msp_tui.core.errors import Refused
    from msp_tui.core.formats.common import MAX_FILE_BYTES
    from msp_tui.core.services import vault_import as svc

    if personal and file is None:  # `vault import --personal FILE`
        client, file = None, client
    if personal == bool(client) or file is None:
        raise BadInput("Give a CLIENT and a FILE, or --personal and a FILE for your own vault.", "client")
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            raise BadInput(f"{file} is {size / 1048576:.1f} MB; at most {MAX_FILE_BYTES // 1048576} MB can be "
                           "imported at once (split the export).", "file")
        with open(file, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        key_data = None
        if keyfile:
            with open(keyfile, "rb") as fh:
                key_data = fh.read(1024 * 1024)
    except OSError as exc:
        raise BadInput(f"{exc.filename or file}: {exc.strerror or exc}.", "file") from None
    password = None
    if filepasswordenv:
        password = os.environ.get(filepasswordenv)
        if password is None:
            raise BadInput(f"The environment variable {filepasswordenv} is not set.", "filepasswordenv")
    db, actor = state.db(), state.actor()
    kw = dict(client=None if personal else client, personal=personal, format=file_format, keyfile=key_data,
              collection=collection)

    def attempt(fn, **more):
        nonlocal password
        try:
            return fn(db, actor, data, password=password, **kw, **more)
        except Refused as exc:
            if exc.rule != "file-password" or password is not None or not sys.stdin.isatty():
                raise
            password = click.prompt("The file's password", hide_input=True, err=True)
            return fn(db, actor, data, password=password, **kw, **more)

    if dry_run:
        plan = attempt(svc.plan_import)
    else:
        with progress("importing") as bar:
            plan = attempt(svc.run_import, progress=bar)
            bar.done(f"imported {plan.imported:,} items")
    if state.fmt in ("json", "jsonl"):
        emit_one("json", _plan_rows(plan))
    else:
        _print_plan(plan, dry_run)
