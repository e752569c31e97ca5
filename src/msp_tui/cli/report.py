"""`report access`: the client's access report (issue 18)."""

from __future__ import annotations

import click

from msp_tui.cli.output import inert
from msp_tui.cli.state import CliState, pass_state


@click.group("report")
def report() -> None:
    """Reports to hand to a client.

    \b
    Example:
      msp-tui report access Contoso --since 90d -o contoso-access.html
    """


@report.command("access")
@click.argument("client")
@click.option("--since", required=True, help="ISO 8601 time or 15m / 24h / 90d ago.")
@click.option("--until", default=None, help="ISO 8601 time or 15m / 24h / 7d ago (default now).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (created 0600): .html or .csv.")
@click.option("--format", "report_format", type=click.Choice(["html", "csv"]), default=None,
              help="html or csv (default: from the file's extension).")
@pass_state
def access(state: CliState, client, since, until, output, report_format) -> None:
    """Every provider staff action on CLIENT in the period, grouped by person with totals, the scope
    each acted under and the event log's verification status: a self-contained HTML file (printable,
    no network resources) or a CSV.

    \b
    Example:
      msp-tui report access Contoso --since 2026-07-01 --until 2026-10-01 -o contoso-q3.html
    """
    from msp_tui.cli.events import parse_time
    from msp_tui.core.services import access_report

    access_report.format_for(output, report_format)  # a wrong name is said before any work
    r = access_report.build(state.db(), state.actor(), client, parse_time(since, "since"),
                            parse_time(until, "until"))
    kind = access_report.write(r, output, report_format)
    actions = sum(p.total for p in r.people)
    click.echo(inert(f"wrote {output} ({kind}): {actions} actions by {len(r.people)} people on {r.client}; "
                     f"event log: {'verified' if r.verification.ok else 'BROKEN'}"), err=True)
    if not r.verification.ok:
        click.echo(inert(f"warning: {r.verification.text}"), err=True)


COMMANDS = [report]
