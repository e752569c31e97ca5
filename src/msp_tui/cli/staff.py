"""`staff`: provider staff."""

from __future__ import annotations

import click

from msp_tui.cli import fingerprints
from msp_tui.cli.approvals import or_request, reason_option
from msp_tui.cli.output import emit, emit_one, format_option
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["id", "email", "name", "role", "status", "invited_at", "invitation_expired", "account_id", "version"]


def _row(v) -> dict:
    return {"id": v.id, "email": v.email, "name": v.name, "role": v.role, "status": v.status,
            "invited_at": v.invited_at, "invitation_expired": v.invitation_expired,
            "account_id": v.account_id, "version": v.version}


@click.group("staff")
def staff() -> None:
    """Provider staff (Provider Admins only).

    \b
    Example:
      msp-tui staff list
    """


@staff.command("list")
@format_option()
@pass_state
def list_(state: CliState) -> None:
    """List the staff.

    \b
    Example:
      msp-tui staff list --format json
    """
    from msp_tui.core.services import client_groups
    from msp_tui.core.services import staff as svc

    db, actor = state.db(), state.actor()
    scopes = client_groups.staff_scopes(db, actor)
    emit(state.fmt, ({**_row(v), "scope": scopes.get(v.id, "every client")} for v in svc.list_staff(db, actor)),
         [*COLUMNS, "scope"])


@staff.command("scope")
@click.argument("email")
@click.argument("groups", nargs=-1)
@click.option("--all", "all_clients", is_flag=True, help="Every client again (the default scope).")
@pass_state
def scope(state: CliState, email, groups, all_clients) -> None:
    """Set a Service User's scope (S12): the clients of these client groups only, or --all for every
    client. Outside their scope a client does not exist for them. Provider Admins only.

    \b
    Example:
      msp-tui staff scope bob@msp.example Gold "North region"
      msp-tui staff scope bob@msp.example --all
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import client_groups

    if all_clients == bool(groups):
        raise BadInput("Name the client groups of the scope, or --all for every client (not both).", "groups")
    label = client_groups.set_staff_scope(state.db(), state.actor(), email, None if all_clients else list(groups))
    click.echo(inert(f"{email} now sees {label}."), err=True)


@staff.command("invite")
@click.argument("emails", nargs=-1, required=True)
@click.option("--role", type=click.Choice(["admin", "service"]), required=True)
@format_option()
@pass_state
def invite(state: CliState, emails, role) -> None:
    """Invite up to 20 people at once (invitations expire after 5 days; staff already there are skipped).

    Prints one row per email: `email`, `result` (invited or skipped) and `secret`: the invitation's
    one-time secret, shown only now (the database keeps a hash). Give it to that person over a
    channel other than the email; `msp-tui accept` asks for it.

    \b
    Example:
      msp-tui staff invite bob@msp.example carol@msp.example --role service
    """
    from msp_tui.core.services import staff as svc

    res = svc.invite(state.db(), state.actor(), list(emails), role)
    emit(state.fmt, [{"email": e, "result": "invited", "secret": res.secrets[e]} for e in res.invited]
         + [{"email": e, "result": "skipped", "secret": None} for e in res.skipped],
         ["email", "result", "secret"])


@staff.command("reinvite")
@click.argument("emails", nargs=-1, required=True)
@format_option()
@pass_state
def reinvite(state: CliState, emails) -> None:
    """Send pending invitations again (they last 5 more days), each with a new one-time secret.

    Prints `email` and `secret` per invitation; the previous secret stops working.

    \b
    Example:
      msp-tui staff reinvite bob@msp.example
    """
    from msp_tui.core.services import staff as svc

    done = svc.reinvite(state.db(), state.actor(), list(emails))
    emit(state.fmt, [{"email": e, "secret": secret} for e, secret in done.items()], ["email", "secret"])


@staff.command("confirm")
@click.argument("emails", nargs=-1)
@click.option("--all", "all_accepted", is_flag=True, help="Confirm everyone who accepted.")
@fingerprints.options
@format_option()
@pass_state
def confirm(state: CliState, emails, all_accepted, phrase, skip_check) -> None:
    """Confirm staff who accepted (seals the provider key to each); one or many at once.

    Before anything is sealed, compare the person's fingerprint phrase (they see it when they sign
    in) with the one of the key on file: pass it with --fingerprint, or answer yes on a terminal.
    Without either, nothing is sealed and the phrase on file is printed. --skip-fingerprint-check
    confirms without comparing (unsafe: a key planted in the database would get the provider key).

    Each is confirmed on its own: one refusal does not stop the others. The exit code is that of
    the first refusal (1) or bad email (2); the rows confirmed are printed either way.

    \b
    Example:
      msp-tui staff confirm bob@msp.example --fingerprint "otter-maple-..."
      msp-tui staff confirm --all --skip-fingerprint-check
    """
    from msp_tui.core.enums import StaffStatus
    from msp_tui.core.errors import BadInput, MspError
    from msp_tui.core.services import staff as svc
    from msp_tui.core.services.accounts import fingerprint_of

    from msp_tui.core.access import Action
    from msp_tui.core.services.common import require

    db, actor = state.db(), state.actor()
    require(db, actor, Action.MANAGE_STAFF)  # refused as confirming, before the list is read
    targets = list(emails)
    listed = svc.list_staff(db, actor)
    if all_accepted:
        targets += [v.email for v in listed if v.status == StaffStatus.ACCEPTED and v.email not in targets]
    if not targets:
        if all_accepted:
            click.echo("no one is waiting to be confirmed", err=True)
            return
        raise BadInput("Name the staff to confirm (EMAIL…) or pass --all.", "email")
    fingerprints.check_usage(phrase, skip_check, targets)
    accounts = {v.email: v.account_id for v in listed}
    done, failures = [], []
    for email in targets:
        try:
            account_id = accounts.get(email.strip().lower())
            on_file = fingerprint_of(db, account_id) if account_id is not None and not skip_check else None
            checked = fingerprints.compared(email, on_file, phrase, skip_check)
            done.append(_confirmed_row(state, svc.confirm(db, actor, email, fingerprint=checked)))
        except MspError as exc:
            failures.append(exc)
            from msp_tui.cli import error_text

            click.echo(f"{email}: {error_text(exc)}", err=True)
    emit(state.fmt, done, [*COLUMNS, "fingerprint"])
    if failures:
        raise SystemExit(failures[0].exit_code)


def _confirmed_row(state: CliState, view) -> dict:
    """The row printed for each staff member confirmed, with the fingerprint phrase of their key."""
    from msp_tui.core.services.accounts import fingerprint_of

    phrase = fingerprint_of(state.db(), view.account_id) if view.account_id is not None else None
    return {**_row(view), "fingerprint": phrase}


@staff.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "service"]))
@reason_option()
@format_option()
@pass_state
def role(state: CliState, email, role, reason) -> None:
    """Change a staff member's role (the last confirmed Provider Admin stays one).

    \b
    Example:
      msp-tui staff role bob@msp.example admin
    """
    from msp_tui.core.services import staff as svc

    done = or_request(state, reason, "change-staff-role", {"staff": email, "role": role},
                      lambda: svc.change_role(state.db(), state.actor(), email, role))
    if done is not None:
        emit_one(state.fmt, _row(done))


@staff.command("remove")
@click.argument("email")
@click.option("--rotate-keys", is_flag=True,
              help="Also rotate the org keys of the clients whose vaults they opened (clients rotate-key).")
@reason_option()
@format_option()
@pass_state
def remove(state: CliState, email, rotate_keys, reason) -> None:
    """Remove a staff member (the provider key is rotated; you cannot remove yourself or the last admin).

    They may have kept the org keys of clients they worked on: the clients whose vaults they opened
    are listed, and --rotate-keys rotates those clients' keys too (or run clients rotate-key later).
    Under two-person approval, --reason also files one request per client whose rotation it guards.

    \b
    Example:
      msp-tui staff remove bob@msp.example --rotate-keys
    """
    from msp_tui.cli.output import inert
    from msp_tui.core.services import org_keys
    from msp_tui.core.services import staff as svc

    from msp_tui.core.access import Action
    from msp_tui.core.services.common import require

    db, actor = state.db(), state.actor()
    require(db, actor, Action.MANAGE_STAFF)  # refused as removing, before the list is read
    target = next((v for v in svc.list_staff(db, actor) if v.email == email.strip().lower()), None)
    opened = org_keys.vaults_opened_by(db, actor, target.account_id) if target is not None else []
    if not or_request(state, reason, "remove-staff", {"staff": email},
                      lambda: svc.remove(db, actor, email) or True):
        return
    click.echo(f"removed {email}", err=True)
    if not opened:
        return
    names = ", ".join(name for _, name in opened)
    if not rotate_keys:
        click.echo(inert(f"They opened the vaults of {len(opened)} client(s): {names}. They may have kept those "
                         "clients' keys: rotate them with  msp-tui clients rotate-key CLIENT  (or remove with "
                         "--rotate-keys)."), err=True)
        return
    from msp_tui.core.services import approvals

    done = org_keys.rotate_each(db, actor, opened)
    for r in done.rotated:
        click.echo(inert(f"rotated the key of {r.client}: {r.items:,} items encrypted again"), err=True)
    for name, why in done.refused:
        click.echo(inert(f"not rotated: {name}: {why}"), err=True)
    said = f"{len(done.rotated)} rotated"
    if done.guarded and reason:  # the reason given once: one request per guarded client
        requests = [approvals.request(db, actor, g.action, reason, **g.arguments) for g in done.guarded]
        said += (f", {len(requests)} sent for approval by a second Provider Admin (pending requests "
                 + ", ".join(str(q.number) for q in requests) + ")")
    elif done.guarded:
        said += (f", {len(done.guarded)} need a second Provider Admin's approval: ask with  msp-tui clients "
                 "rotate-key CLIENT --reason TEXT")
    if done.guarded or done.refused:
        click.echo(inert(f"client keys: {said}."), err=True)


@staff.command("require-2fa")
@click.argument("setting", type=click.Choice(["on", "off"]))
@pass_state
def require_two_factor(state: CliState, setting: str) -> None:
    """Require two-step login of the provider's own staff (Provider Admins). Staff who have not turned
    it on are taken to it at their next sign-in: the UI opens enrolment, the command line refuses every
    other command and names `msp-tui account 2fa enable`.

    \b
    Example:
      msp-tui staff require-2fa on
    """
    from msp_tui.core.services import two_step

    changed = two_step.set_staff_requirement(state.db(), state.actor(), setting == "on")
    state_text = "required" if setting == "on" else "not required"
    click.echo(f"Two-step login is {'now ' if changed else 'already '}{state_text} of staff.", err=True)


COMMANDS = [staff]
