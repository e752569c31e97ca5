"""`members`: a client's members, and its groups and collections (`members groups …`, `members collections …`)."""

from __future__ import annotations

import click

from msp_tui.cli import fingerprints
from msp_tui.cli.output import emit, format_option
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "email", "name", "role", "status", "permissions", "two_factor", "recovery", "groups",
           "invited_at", "invitation_expired", "version"]
ROLES = ["owner", "admin", "user", "custom"]


def _row(v) -> dict:
    return {"id": v.id, "email": v.email, "name": v.name, "role": v.role, "status": v.status,
            "permissions": sorted(v.permissions), "two_factor": v.two_factor_enabled,
            "recovery": "enrolled" if v.recovery_enrolled else "",
            "groups": list(v.groups), "invited_at": v.invited_at, "invitation_expired": v.invitation_expired,
            "version": v.version}


@click.group("members")
def members() -> None:
    """A client's members, groups and collections (CLIENT is a name or id; EMAIL names a member).

    \b
    Example:
      msp-tui members list Contoso
    """


@members.command("list")
@click.argument("client")
@format_option()
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
@click.option("--role", default="user", show_default=True, type=click.Choice(ROLES))
@click.option("--permission", "perms", multiple=True, help="A Custom role flag (repeatable).")
@format_option()
@pass_state
def invite(state: CliState, client, emails, role, perms) -> None:
    """Invite up to 20 people to a client (refused past its seat count; existing members skipped).

    Prints one row per email: `email`, `result` (invited or skipped) and `secret`: the invitation's
    one-time secret, shown only now (the database keeps a hash). Give it to that person over a
    channel other than the email; `msp-tui accept` asks for it.

    \b
    Example:
      msp-tui members invite Contoso a@contoso.example b@contoso.example --role user
    """
    from msp_tui.core.services import members as svc

    res = svc.invite(state.db(), state.actor(), client, list(emails), role, frozenset(perms))
    emit(state.fmt, [{"email": e, "result": "invited", "secret": res.secrets[e]} for e in res.invited]
         + [{"email": e, "result": "skipped", "secret": None} for e in res.skipped],
         ["email", "result", "secret"])


def _bulk(name: str, fn_name: str, doc: str):
    @members.command(name, help=doc)
    @click.argument("client")
    @click.argument("emails", nargs=-1, required=True)
    @format_option()
    @pass_state
    def command(state: CliState, client, emails) -> None:
        from msp_tui.core.services import members as svc

        out = getattr(svc, fn_name)(state.db(), state.actor(), client, list(emails))
        if name == "reinvite":  # the new one-time secrets, shown only now
            emit(state.fmt, ({**_row(v), "secret": v.invite_secret} for v in out), [*COLUMNS, "secret"])
            return
        emit(state.fmt, (_row(v) for v in out), COLUMNS)

    return command


def _doc(what: str, name: str) -> str:
    return (f"{what} All or nothing: one refusal and none of them change.\n\n\b\nExample:\n"
            f"  msp-tui members {name} Contoso a@contoso.example b@contoso.example")


_bulk("reinvite", "reinvite", _doc("Send pending invitations again (they last 5 more days), each with a new "
                                   "one-time secret (column `secret`; the old one stops working).", "reinvite"))
_bulk("revoke", "revoke", _doc("Revoke members' access; they keep their place but free their seat.", "revoke"))
_bulk("restore", "restore", _doc("Restore revoked members (refused past the seat count).", "restore"))


@members.command("recover")
@click.argument("client")
@click.argument("email")
@click.option("--temppasswordenv", metavar="VAR",
              help="Read the temporary master password from this environment variable (else it is asked twice).")
@pass_state
def recover(state: CliState, client, email, temppasswordenv) -> None:
    """Account recovery (policy 8): reset an enrolled member's master password to a temporary one.

    The member's keys do not change (their items still open); they sign in with the temporary password
    and must choose a new one at once. Needs the Account recovery administration policy on, a member who
    enrolled, and an Owner, an Admin, a Custom member with the account-recovery permission or provider
    staff (only an Owner or staff recovers an Owner). Provider staff are never recoverable (S11). The
    temporary password must meet the member's Master password requirements. Event 1508.

    \b
    Example:
      msp-tui members recover Contoso uma@contoso.example --temppasswordenv TEMP_PW
    """
    import os

    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import recovery

    db, actor = state.db(), state.actor()
    if temppasswordenv:
        temporary = os.environ.get(temppasswordenv)
        if temporary is None:
            raise BadInput(f"The environment variable {temppasswordenv} is not set.", "temppasswordenv")
    else:
        temporary = click.prompt("Temporary master password", hide_input=True, confirmation_prompt=True, err=True)
    done = recovery.recover(db, actor, client, email, temporary)
    click.echo(f"{done}'s master password is reset. Give them the temporary password over another channel; "
               "they must change it when they sign in.", err=True)


@members.command("confirm")
@click.argument("client")
@click.argument("emails", nargs=-1, required=True)
@fingerprints.options
@format_option()
@pass_state
def confirm(state: CliState, client, emails, phrase, skip_check) -> None:
    """Confirm members who accepted (seals the client's key to each). All or nothing.

    Before anything is sealed, compare each person's fingerprint phrase (they see it when they sign
    in) with the one of the key on file: pass it with --fingerprint (one EMAIL), or answer yes on a
    terminal. --skip-fingerprint-check confirms without comparing (unsafe: a key planted in the
    database would get the client's key).

    \b
    Example:
      msp-tui members confirm Contoso a@contoso.example --fingerprint "otter-maple-..."
      msp-tui members confirm Contoso a@contoso.example b@contoso.example --skip-fingerprint-check
    """
    from msp_tui.core.services import members as svc
    from msp_tui.core.services.accounts import fingerprint_of

    from msp_tui.core.access import Action
    from msp_tui.core.services.common import require

    db, actor = state.db(), state.actor()
    require(db, actor, Action.MANAGE_MEMBERS, client)  # refused as confirming, before members are read
    fingerprints.check_usage(phrase, skip_check, list(emails))
    phrases = {}
    if not skip_check:
        accounts = {v.email: v.account_id for v in svc.list_members(db, actor, client)}
        for email in emails:
            account_id = accounts.get(email.strip().lower())
            on_file = fingerprint_of(db, account_id) if account_id is not None else None
            phrases[email] = fingerprints.compared(email, on_file, phrase, False)
    else:
        for email in emails:
            fingerprints.compared(email, None, None, True)
    out = svc.confirm(db, actor, client, list(emails), fingerprints=phrases)
    emit(state.fmt, (_row(v) for v in out), COLUMNS)


@members.command("remove")
@click.argument("client")
@click.argument("emails", nargs=-1, required=True)
@pass_state
def remove(state: CliState, client, emails) -> None:
    """Remove members from a client. All or nothing.

    \b
    Example:
      msp-tui members remove Contoso a@contoso.example
    """
    from msp_tui.core.services import members as svc

    n = svc.remove(state.db(), state.actor(), client, list(emails))
    click.echo(f"removed {n} member{'s' if n != 1 else ''} from {client}", err=True)


@members.command("role")
@click.argument("client")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--permission", "perms", multiple=True, help="A Custom role flag (repeatable).")
@format_option()
@pass_state
def role(state: CliState, client, email, role, perms) -> None:
    """Change a member's role (and the Custom role's flags).

    \b
    Example:
      msp-tui members role Contoso a@contoso.example custom --permission manage_users
    """
    from msp_tui.core.services import members as svc

    emit(state.fmt, (_row(v) for v in svc.change_role(state.db(), state.actor(), client, [email], role,
                                                         frozenset(perms))), COLUMNS)


@members.command("set-groups")
@click.argument("client")
@click.argument("email")
@click.argument("groups", nargs=-1)
@format_option()
@pass_state
def set_groups(state: CliState, client, email, groups) -> None:
    """Put a member in exactly these groups (names or ids; none at all takes them out of every group).

    \b
    Example:
      msp-tui members set-groups Contoso a@contoso.example Finance "Front desk"
    """
    from msp_tui.cli.groups import group_ids
    from msp_tui.core.access import Action
    from msp_tui.core.services import members as svc

    db, actor = state.db(), state.actor()
    v = svc.set_groups(db, actor, client, email, group_ids(db, actor, client, groups, Action.MANAGE_MEMBERS))
    emit(state.fmt, [_row(v)], COLUMNS)


def _attach() -> None:
    from msp_tui.cli.collections import collections
    from msp_tui.cli.groups import groups

    members.add_command(groups)
    members.add_command(collections)


_attach()

COMMANDS = [members]
