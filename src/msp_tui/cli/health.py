"""`health`: what needs attention across all clients, worst first (B5)."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, format_option
from msp_tui.cli.state import CliState, pass_state


@click.command("health")
@click.option("--limit", default=100, show_default=True, help="At most this many findings of each kind.")
@click.option("--all", "show_all", is_flag=True, help="Every finding (may be long with many clients).")
@click.option("--group", default=None, help="Only the clients of this client group.")
@format_option()
@pass_state
def health(state: CliState, limit: int, show_all: bool, group) -> None:
    """List what needs a person's attention across all clients, worst first, and where to fix it.

    \b
    Example:
      msp-tui health
      msp-tui health --format json --all
      msp-tui health --group Gold
    """
    from msp_tui.core.services import health as svc

    from msp_tui.cli.clients import group_id

    rep = svc.report(state.db(), state.actor(), limit=None if show_all else limit, group=group_id(state, group))
    emit(state.fmt, ({"severity": f.severity, "kind": f.kind, "finding": f.title, "where": f.where,
                      "client_id": f.organization_id, "count": f.count} for f in rep.findings),
         ["severity", "kind", "finding", "where", "client_id", "count"])
    if rep.truncated:
        click.echo(f"showing {len(rep.findings)} of {rep.total} findings; use --all for every one", err=True)
    elif not rep.findings:
        click.echo("nothing needs attention", err=True)


COMMANDS = [health]
