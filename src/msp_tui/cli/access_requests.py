"""`access …` and `provider break-glass`: break-glass access (issue 18). A scoped Service User asks for
a client outside their scope; a Provider Admin grants or denies; it ends at its time by itself."""

from __future__ import annotations

from collections.abc import Callable

import click

from msp_tui.cli.approvals import provider
from msp_tui.cli.output import emit, emit_one, format_option, inert
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["number", "status", "client", "requested_by", "reason", "ticket", "minutes", "starts_at", "ends_at",
           "emergency", "acknowledged"]


def _row(v) -> dict:
    return {"number": v.number, "status": v.status.label, "client": v.client, "requested_by": v.requested_by,
            "reason": v.reason, "ticket": v.ticket, "minutes": v.minutes, "starts_at": v.starts_at,
            "ends_at": v.ends_at, "emergency": v.emergency, "acknowledged": v.acknowledged}


def _say(text: str) -> None:
    click.echo(inert(text), err=True)


def _decide(state: CliState, use_case: str, request, said: Callable[[object], str], *args) -> None:
    """approve, deny, end, acknowledge: core's use case on one request, what it did on stderr, its row."""
    from msp_tui.core.services import break_glass as svc

    v = getattr(svc, use_case)(state.db(), state.actor(), request, *args)
    _say(said(v))
    emit_one(state.fmt, _row(v), COLUMNS)


@click.group("access")
def access() -> None:
    """Break-glass access: ask for a client outside your scope; Provider Admins grant or deny.

    \b
    Example:
      msp-tui access pending
    """


@access.command("request")
@click.argument("client")
@click.option("--reason", required=True, metavar="TEXT", help="Why you need this client (goes in the event).")
@click.option("--ticket", default=None, metavar="REF", help="A ticket reference.")
@click.option("--for", "minutes", default=None, metavar="TIME",
              help="How long, like 30m or 2h (default and at most: the provider's maximum).")
@format_option()
@pass_state
def request(state: CliState, client, reason, ticket, minutes) -> None:
    """Ask for break-glass access to a client outside your scope.

    \b
    Example:
      msp-tui access request Contoso --reason "user locked out" --ticket T-1234 --for 2h
    """
    from msp_tui.core.services import break_glass as svc

    v = svc.request(state.db(), state.actor(), client, reason, ticket=ticket, minutes=minutes)
    if v.live:
        _say(f"emergency self-grant {v.number}: {v.client} until {v.ends_at:%Y-%m-%d %H:%M} UTC; Provider "
             "Admins are told until one acknowledges it")
    else:
        _say(f"break-glass request {v.number}: {v.client} for {v.minutes} minutes; a Provider Admin approves "
             f"it (msp-tui access approve {v.number})")
    emit_one(state.fmt, _row(v), COLUMNS)


@access.command("pending")
@click.option("--all", "everything", is_flag=True, help="Also denied, ended and expired ones.")
@format_option()
@pass_state
def pending(state: CliState, everything) -> None:
    """Open requests and live grants, newest first (a Service User sees only their own).

    \b
    Example:
      msp-tui access pending --format json
    """
    from msp_tui.core.services import break_glass as svc

    emit(state.fmt, (_row(v) for v in svc.list_grants(state.db(), state.actor(), everything=everything)),
         COLUMNS)


@access.command("approve")
@click.argument("request")
@format_option()
@pass_state
def approve(state: CliState, request) -> None:
    """Grant a request (Provider Admins): access starts now and ends by itself.

    \b
    Example:
      msp-tui access approve 1
    """
    _decide(state, "approve", request, lambda v: f"granted {v.number}: {v.requested_by} may open {v.client} until "
                                                 f"{v.ends_at:%Y-%m-%d %H:%M} UTC")


@access.command("deny")
@click.argument("request")
@click.option("--reason", default=None, metavar="TEXT", help="Why not (goes in the event).")
@format_option()
@pass_state
def deny(state: CliState, request, reason) -> None:
    """Deny a request (Provider Admins).

    \b
    Example:
      msp-tui access deny 1 --reason "ask the Gold team"
    """
    _decide(state, "deny", request, lambda v: f"denied {v.number}: {v.requested_by} for {v.client}", reason)


@access.command("end")
@click.argument("request")
@format_option()
@pass_state
def end(state: CliState, request) -> None:
    """End break-glass access now, or withdraw a pending request (its holder or a Provider Admin).

    \b
    Example:
      msp-tui access end 1
    """
    _decide(state, "end", request, lambda v: f"ended {v.number}: {v.client}")


@access.command("acknowledge")
@click.argument("request")
@format_option()
@pass_state
def acknowledge(state: CliState, request) -> None:
    """Acknowledge an emergency self-grant (Provider Admins): it stops being a health finding.

    \b
    Example:
      msp-tui access acknowledge 1
    """
    _decide(state, "acknowledge", request,
            lambda v: f"acknowledged {v.number}: {v.requested_by}'s emergency access to {v.client}")


# The provider's settings live in one group (cli/approvals.py); this adds its break-glass page.
@provider.command("break-glass")
@click.option("--max", "maximum", default=None, metavar="TIME", help="The longest grant, like 4h (at most 24h).")
@click.option("--self-grant", type=click.Choice(["on", "off"]), default=None,
              help="Emergency self-grant: a request is granted at once, and stays loud until acknowledged.")
@format_option()
@pass_state
def provider_break_glass(state: CliState, maximum, self_grant) -> None:
    """Show or set the break-glass settings (Provider Admins).

    \b
    Example:
      msp-tui provider break-glass --max 4h --self-grant off
    """
    from msp_tui.core.services import break_glass as svc

    minutes = svc.parse_minutes(maximum, 24 * 60) if maximum is not None else None
    most, on = svc.set_settings(state.db(), state.actor(), max_minutes=minutes,
                                self_grant=None if self_grant is None else self_grant == "on")
    emit_one(state.fmt, {"max_minutes": most, "self_grant": "on" if on else "off"})


COMMANDS = [access]
