"""`clients`: the provider's client organizations."""

from __future__ import annotations

import click

from msp_tui.cli.approvals import or_request, reason_option
from msp_tui.cli.billing import payment_options, typed_payment
from msp_tui.cli.output import emit, emit_one, format_option
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "name", "plan", "seats", "used", "remaining", "status", "internal", "billing_email", "flags",
           "groups", "created_at", "version"]


def _row(v) -> dict:
    return {"id": v.id, "name": v.name, "plan": v.plan, "seats": v.seats, "used": v.used,
            "remaining": v.remaining, "status": v.status, "internal": v.is_internal,
            "billing_email": v.billing_email, "flags": list(v.flags), "groups": list(v.groups),
            "created_at": v.created_at,
            "version": v.version}


@click.group("clients")
def clients() -> None:
    """The provider's clients (CLIENT is a client's name or id).

    \b
    Example:
      msp-tui clients list --format json
    """


@clients.command("list")
@click.option("--filter", "text", default="", help="Only names containing this text.")
@click.option("--sort", default="name", type=click.Choice(["name", "plan", "seats", "used", "remaining"]))
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--group", default=None, help="Only the clients of this client group.")
@format_option()
@pass_state
def list_(state: CliState, text: str, sort: str, desc: bool, group) -> None:
    """List every client you may see (a scoped Service User: those of their scope, S12).

    \b
    Example:
      msp-tui clients list --filter contoso --format json
      msp-tui clients list --group Gold
    """
    from msp_tui.core.services import clients as svc

    db, actor = state.db(), state.actor()
    group = group_id(state, group)

    def rows():
        cursor = None
        while True:
            page = svc.list_clients(db, actor, text=text, sort=sort, descending=desc, after=cursor, limit=500,
                                    group=group)
            yield from (_row(v) for v in page.rows)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    emit(state.fmt, rows(), COLUMNS)


@clients.command("show")
@click.argument("client")
@format_option()
@pass_state
def show(state: CliState, client: str) -> None:
    """Show one client.

    \b
    Example:
      msp-tui clients show Contoso
    """
    from msp_tui.core.services import clients as svc

    emit_one(state.fmt, _row(svc.get_client(state.db(), state.actor(), client)))


@clients.command("create")
@click.option("--name", required=True)
@click.option("--plan", required=True, help="teams-monthly, teams-annually, enterprise-monthly, enterprise-annually")
@click.option("--seats", required=True, type=int)
@click.option("--owner", "owner_email", required=True, help="The client owner's email (invited as Owner).")
@click.option("--billing-email", default=None)
@click.option("--payment", type=click.Choice(["card", "bank", "invoice"]), default=None,
              help="The client's payment method (per-client billing); a card or account number is read "
                   "from --number-env or a hidden prompt, never from an option.")
@payment_options
@click.option("--template", default=None,
              help="A policy template to apply as the client is created (Enterprise plans); if it cannot "
                   "be applied, nothing is created.")
@click.option("--group", "groups", multiple=True, help="A client group to put it in (repeat for several).")
@click.option("--new-group", "new_groups", multiple=True,
              help="A new client group to make and put it in (repeat for several; Provider Admins).")
@format_option()
@pass_state
def create(state: CliState, name, plan, seats, owner_email, billing_email, payment, holder, expiry, number_env,
           bank_name, template, groups, new_groups) -> None:
    """Create a client organization and invite its owner; with --payment and --template, its payment
    method and policies too, all in one transaction.

    The record ends with `owner_invite_secret`: the owner invitation's one-time secret, shown only now
    (give it to the owner; `msp-tui accept` asks for it).

    \b
    Example:
      msp-tui clients create --name Contoso --plan enterprise-monthly --seats 25 --owner it@contoso.example
      msp-tui clients create --name Fabrikam --plan enterprise-annually --seats 10 --owner it@fabrikam.example \\
          --payment card --holder "Fabrikam AP" --expiry 08/2029 --template Baseline --group Gold
      msp-tui clients create --name Litware --plan teams-monthly --seats 5 --owner it@litware.example \\
          --group Gold --new-group "West region"
    """
    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import clients as svc

    if not payment and any((holder, expiry, number_env, bank_name)):
        raise BadInput("--holder, --expiry, --number-env and --bank-name describe a payment method: "
                       "add --payment card or --payment bank.", "payment")
    method = typed_payment(payment, holder, expiry, number_env, bank_name) if payment else None
    try:
        v = svc.create_client(state.db(), state.actor(), name=name, plan=plan, seats=seats,
                              owner_email=owner_email, billing_email=billing_email, payment=method,
                              template=template, groups=list(groups),
                              new_groups=list(new_groups))
    finally:
        if method is not None:
            method.clear()  # the typed number goes no further than core's check
    emit_one(state.fmt, {**_row(v), "owner_invite_secret": v.owner_invite_secret})


@clients.command("addable")
@format_option()
@pass_state
def addable(state: CliState) -> None:
    """List organizations you own that no provider manages yet (what `add-existing` accepts).

    \b
    Example:
      msp-tui clients addable --format json
    """
    from msp_tui.core.services import clients as svc

    emit(state.fmt, ({"id": o.id, "name": o.name, "plan": o.plan, "seats": o.seats, "used": o.used}
                     for o in svc.addable_orgs(state.db(), state.actor())),
         ["id", "name", "plan", "seats", "used"])


@clients.command("add-existing")
@click.argument("org")
@format_option()
@pass_state
def add_existing(state: CliState, org: str) -> None:
    """Add an organization you own as a client.

    \b
    Example:
      msp-tui clients add-existing "Fabrikam"
    """
    from msp_tui.core.services import clients as svc

    emit_one(state.fmt, _row(svc.add_existing(state.db(), state.actor(), org)))


@clients.command("unlink")
@click.argument("client")
@click.option("--confirm", "confirm_name", default=None, help="The client's name, typed again.")
@reason_option()
@format_option()
@pass_state
def unlink(state: CliState, client: str, confirm_name, reason) -> None:
    """Stop managing a client (it keeps its own confirmed Owner).

    \b
    Example:
      msp-tui clients unlink Contoso --confirm Contoso
    """
    from msp_tui.core.services import clients as svc

    if or_request(state, reason, "unlink-client", {"client": client},
                  lambda: svc.unlink(state.db(), state.actor(), client, confirm_name=confirm_name) or True):
        click.echo(f"Unlinked {client}.", err=True)


@clients.command("rename")
@click.argument("client")
@click.argument("name")
@format_option()
@pass_state
def rename(state: CliState, client: str, name: str) -> None:
    """Rename a client.

    \b
    Example:
      msp-tui clients rename Contoso "Contoso Ltd"
    """
    from msp_tui.core.services import clients as svc

    emit_one(state.fmt, _row(svc.rename(state.db(), state.actor(), client, name)))


@clients.command("seats")
@click.argument("client")
@click.argument("seats", type=int)
@reason_option()
@format_option()
@pass_state
def seats(state: CliState, client: str, seats: int, reason) -> None:
    """Change a client's seat count.

    \b
    Example:
      msp-tui clients seats Contoso 30
    """
    from msp_tui.core.services import clients as svc

    done = or_request(state, reason, "lower-seats", {"client": client, "seats": seats},
                      lambda: svc.change_seats(state.db(), state.actor(), client, seats))
    if done is not None:
        emit_one(state.fmt, _row(done))


@clients.command("internal")
@click.argument("client")
@click.option("--off", is_flag=True, help="Unmark it.")
@format_option()
@pass_state
def internal(state: CliState, client: str, off: bool) -> None:
    """Mark the MSP's own internal organization.

    \b
    Example:
      msp-tui clients internal "Northwind Internal"
    """
    from msp_tui.core.services import clients as svc

    emit_one(state.fmt, _row(svc.mark_internal(state.db(), state.actor(), client, not off)))


@clients.command("rotate-key")
@click.argument("client")
@reason_option()
@format_option()
@pass_state
def rotate_key(state: CliState, client: str, reason) -> None:
    """A new key for the client: every item and collection name encrypted again under it, in one
    transaction; the new key goes to the provider and each confirmed member. Someone who kept the
    old key (a removed staffer, a member who left) can no longer read the client's data in the file.

    \b
    Example:
      msp-tui clients rotate-key Contoso
    """
    from msp_tui.cli.output import inert, progress
    from msp_tui.core.services import org_keys

    from msp_tui.core.services import approvals

    if approvals.needed(state.db(), state.actor(), "rotate-client-key"):  # a request, before any bar is drawn
        or_request(state, reason, "rotate-client-key", {"client": client},
                   lambda: org_keys.rotate_org_key(state.db(), state.actor(), client))
        return
    with progress("re-encrypting items") as bar:
        done = org_keys.rotate_org_key(state.db(), state.actor(), client, progress=bar if bar.enabled else None)
        bar.done(f"re-encrypted: {done.items:,} items")
    click.echo(inert(f"rotated the key of {done.client}: {done.items:,} items and {done.collections} collection "
                     f"names encrypted again, the new key sealed to {done.members} members"), err=True)
    if done.unsealed:
        click.echo(inert(f"warning: not sealed to {', '.join(done.unsealed)} (their public key's signature "
                         "fails); confirm them again after comparing fingerprint phrases"), err=True)
    if done.damaged:
        from msp_tui.cli import damage

        damage.report(done.damaged, "item or collection name")


def group_id(state: CliState, group):
    """A --group option (a client group's name or id) as its id, or None."""
    if not group:
        return None
    from msp_tui.core.services import client_groups

    return client_groups.group_ids(state.db(), state.actor(), [group])[0]


@clients.group("groups")
def groups() -> None:
    """Client groups: the provider's clients in service tiers, regions or teams (a client may be in
    several). Not a client's own member groups (`members groups`). Changing them is for Provider Admins.

    \b
    Example:
      msp-tui clients groups list
    """


@groups.command("list")
@format_option()
@pass_state
def groups_list(state: CliState) -> None:
    """List the client groups with how many clients each holds (a scoped Service User: their own).

    \b
    Example:
      msp-tui clients groups list --format json
    """
    from msp_tui.core.services import client_groups

    emit(state.fmt, ({"id": g.id, "name": g.name, "clients": g.clients, "version": g.version}
                     for g in client_groups.list_client_groups(state.db(), state.actor())),
         ["id", "name", "clients", "version"])


@groups.command("create")
@click.argument("name")
@click.argument("clients_", metavar="[CLIENT]...", nargs=-1)
@pass_state
def groups_create(state: CliState, name, clients_) -> None:
    """Create a client group, with these clients in it.

    \b
    Example:
      msp-tui clients groups create Gold Contoso Fabrikam
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.services import client_groups

    g = client_groups.create_client_group(state.db(), state.actor(), name, list(clients_))
    click.echo(inert(f"Created client group {g.name} with {g.clients} client{'s' if g.clients != 1 else ''}."),
               err=True)


@groups.command("rename")
@click.argument("group")
@click.argument("name")
@pass_state
def groups_rename(state: CliState, group, name) -> None:
    """Rename a client group.

    \b
    Example:
      msp-tui clients groups rename Gold "Gold tier"
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.services import client_groups

    g = client_groups.rename_client_group(state.db(), state.actor(), group, name)
    click.echo(inert(f"Renamed the client group to {g.name}."), err=True)


@groups.command("delete")
@click.argument("group")
@pass_state
def groups_delete(state: CliState, group) -> None:
    """Delete a client group (its clients stay; a Service User scoped to it loses it, and a scope
    left with no group shows no client).

    \b
    Example:
      msp-tui clients groups delete Gold
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.services import client_groups

    client_groups.delete_client_group(state.db(), state.actor(), group)
    click.echo(inert(f"Deleted the client group {group}."), err=True)


@groups.command("add")
@click.argument("group")
@click.argument("clients_", metavar="CLIENT...", nargs=-1, required=True)
@pass_state
def groups_add(state: CliState, group, clients_) -> None:
    """Put clients in a client group.

    \b
    Example:
      msp-tui clients groups add Gold Contoso Tailspin
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.services import client_groups

    n = client_groups.add_clients(state.db(), state.actor(), group, list(clients_))
    click.echo(inert(f"Put {n} client{'s' if n != 1 else ''} in {group}."), err=True)


@groups.command("remove")
@click.argument("group")
@click.argument("clients_", metavar="CLIENT...", nargs=-1, required=True)
@pass_state
def groups_remove(state: CliState, group, clients_) -> None:
    """Take clients out of a client group (they stay clients).

    \b
    Example:
      msp-tui clients groups remove Gold Tailspin
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.services import client_groups

    n = client_groups.remove_clients(state.db(), state.actor(), group, list(clients_))
    click.echo(inert(f"Took {n} client{'s' if n != 1 else ''} out of {group}."), err=True)


COMMANDS = [clients]
