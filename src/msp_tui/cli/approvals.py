"""`approvals` and `provider approvals`: two-person approval (issue 18)."""

from __future__ import annotations

from collections.abc import Callable

import click

from msp_tui.cli.output import emit, emit_one, format_option, inert
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["number", "status", "summary", "reason", "requested_by", "requested_at", "expires_at", "decided_by",
           "decided_at", "action", "id"]


def reason_option():
    return click.option("--reason", default=None, metavar="TEXT",
                        help="Why: when two-person approval covers this, it becomes a request with this reason.")


def _row(v) -> dict:
    return {"number": v.number, "status": v.status.label, "summary": v.summary, "reason": v.reason,
            "requested_by": v.requested_by, "requested_at": v.requested_at, "expires_at": v.expires_at,
            "decided_by": v.decided_by, "decided_at": v.decided_at, "action": v.action, "id": v.id}


def or_request(state: CliState, reason: str | None, name: str, arguments: dict, run: Callable[[], object]):
    """Run a guarded command; when two-person approval covers it, file a pending request instead (exit 0,
    its number on stdout) and return None. Without --reason the refusal asks for one."""
    from msp_tui.core.services import approvals

    try:
        return run()
    except approvals.ApprovalNeeded:
        if not reason:
            raise
    req = approvals.request(state.db(), state.actor(), name, reason, **arguments)
    click.echo(inert(f"pending request {req.number}: {req.summary}. Nothing is changed until a second Provider "
                     f"Admin approves it (msp-tui approvals approve {req.number}); it expires in 24 hours."),
               err=True)
    emit_one(state.fmt, _row(req), COLUMNS)
    return None


@click.group("approvals")
def approvals() -> None:
    """Two-person approval requests: list, approve, deny, withdraw.

    \b
    Example:
      msp-tui approvals list
    """


@approvals.command("list")
@click.option("--all", "everything", is_flag=True, help="Also decided, withdrawn and expired requests.")
@format_option()
@pass_state
def list_(state: CliState, everything: bool) -> None:
    """Pending requests, newest first.

    \b
    Example:
      msp-tui approvals list --all --format json
    """
    from msp_tui.core.services import approvals as svc

    emit(state.fmt, (_row(v) for v in svc.list_requests(state.db(), state.actor(), everything=everything)), COLUMNS)


@approvals.command("approve")
@click.argument("request")
@format_option()
@pass_state
def approve(state: CliState, request: str) -> None:
    """Approve another person's request: the change is made now, in your name and theirs.

    \b
    Example:
      msp-tui approvals approve 3
    """
    from msp_tui.core.services import approvals as svc

    view, _ = svc.approve(state.db(), state.actor(), request)
    click.echo(inert(f"approved request {view.number} of {view.requested_by}: {view.summary} (done)"), err=True)
    emit_one(state.fmt, _row(view), COLUMNS)


@approvals.command("deny")
@click.argument("request")
@click.option("--reason", default=None, metavar="TEXT", help="Why not (goes in the event).")
@format_option()
@pass_state
def deny(state: CliState, request: str, reason) -> None:
    """Deny a request: nothing is changed.

    \b
    Example:
      msp-tui approvals deny 3 --reason "the client renewed"
    """
    from msp_tui.core.services import approvals as svc

    view = svc.deny(state.db(), state.actor(), request, reason)
    click.echo(inert(f"denied request {view.number}: {view.summary}"), err=True)
    emit_one(state.fmt, _row(view), COLUMNS)


@approvals.command("withdraw")
@click.argument("request")
@format_option()
@pass_state
def withdraw(state: CliState, request: str) -> None:
    """Withdraw your own request (a Provider Admin may withdraw anyone's).

    \b
    Example:
      msp-tui approvals withdraw 3
    """
    from msp_tui.core.services import approvals as svc

    view = svc.withdraw(state.db(), state.actor(), request)
    click.echo(inert(f"withdrew request {view.number}: {view.summary}"), err=True)
    emit_one(state.fmt, _row(view), COLUMNS)


@click.group("provider")
def provider() -> None:
    """Provider settings.

    \b
    Example:
      msp-tui provider approvals
    """


@provider.command("approvals")
@click.argument("actions", nargs=-1)
@reason_option()
@format_option()
@pass_state
def provider_approvals(state: CliState, actions: tuple[str, ...], reason) -> None:
    """Show or set which actions need a second Provider Admin (two-person approval).

    ACTIONS: all, none, or any of unlink-client, remove-staff, change-staff-role, lower-seats,
    turn-off-two-step-login, turn-off-master-password, rotate-client-key. Turning it on needs two
    confirmed Provider Admins; turning actions off then needs the second one's approval (--reason).

    \b
    Example:
      msp-tui provider approvals unlink-client remove-staff lower-seats
    """
    from msp_tui.core.services import approvals as svc

    db, actor = state.db(), state.actor()
    if actions:
        done = or_request(state, reason, "change-approvals", {"actions": list(actions)},
                          lambda: svc.set_actions(db, actor, list(actions)))
        if done is None:
            return
    current = svc.setting(db, actor)
    if current.warning:
        click.echo(inert(f"warning: {current.warning}"), err=True)
    emit_one(state.fmt, {"two_person_approval": "on" if current.actions else "off",
                         "actions": ", ".join(current.actions) or "-", "provider_admins": current.admins})


COMMANDS = [approvals, provider]
