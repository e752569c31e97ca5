"""Exit code 4, "done, damage found": a listing went on past rows whose encrypted data does not open.

Such rows are listed as "cannot be decrypted (damaged or altered)" (core.keys.DAMAGED); stderr says
how many, and the command exits 4 after printing everything else (docs/cli.md)."""

from __future__ import annotations

import click

#: The exit code of a command that finished but found damaged or altered encrypted data.
DAMAGE_FOUND = 4


def report(count: int, what: str) -> None:
    """After the listing: say how many `what` (singular, e.g. "item") did not decrypt and exit 4 (nothing when none)."""
    if count:
        click.echo(f"warning: {count} {what}{'s' if count != 1 else ''} cannot be decrypted (damaged or altered); "
                   "everything else is listed", err=True)
        raise SystemExit(DAMAGE_FOUND)
