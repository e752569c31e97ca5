"""Comparing fingerprint phrases before a key is sealed to a person (`staff confirm`, `members confirm`).

Confirming seals a key to the public key the database holds. The phrase of that key is shown first;
the admin compares it with the phrase the person reads out (shown to them when they sign in), then
passes it with `--fingerprint`, or answers yes on a terminal. `--skip-fingerprint-check` confirms
without comparing: unsafe, since a key planted in the database would receive the key.
"""

from __future__ import annotations

import sys

import click

from msp_tui.cli.output import inert
from msp_tui.core.errors import BadInput, Refused

UNSAFE = ("Confirm without comparing fingerprint phrases. Unsafe: someone who can write the database "
          "could have planted their own key in the person's row, and would receive the key.")


def options(fn):
    fn = click.option("--skip-fingerprint-check", "skip_check", is_flag=True, help=UNSAFE)(fn)
    return click.option("--fingerprint", "phrase", metavar="PHRASE",
                        help="The fingerprint phrase the person read out to you (one EMAIL only); "
                             "refused when it is not the phrase of the key on file.")(fn)


def check_usage(phrase: str | None, skip_check: bool, targets: list) -> None:
    if phrase is not None and skip_check:
        raise BadInput("Give --fingerprint or --skip-fingerprint-check, not both.", "fingerprint")
    if phrase is not None and len(targets) != 1:
        raise BadInput("--fingerprint compares one person's phrase: name exactly one EMAIL.", "fingerprint")


def compared(email: str, on_file: str | None, phrase: str | None, skip_check: bool) -> str | None:
    """The phrase to pass to core for `email`, after the admin compared it; Refused if not compared.

    On a terminal (stdin and stderr) the phrase is shown and the question defaults to No."""
    if skip_check:
        click.echo(f"{email}: confirming WITHOUT comparing the fingerprint phrase (--skip-fingerprint-check)",
                   err=True)
        return None
    if phrase is not None:
        return phrase
    if on_file is None:
        raise Refused("fingerprint", f"{email} has no account yet.")
    if sys.stdin.isatty() and sys.stderr.isatty():
        click.echo(f"Ask {inert(email)} to read out their fingerprint phrase (shown when they sign in).\n"
                   f"The key on file has: {on_file}", err=True)
        if click.confirm("Do the two phrases match exactly?", default=False, err=True):
            return on_file
        raise Refused("fingerprint", f"{email}: the phrases were not confirmed to match; nothing was sealed.")
    raise Refused("fingerprint", f"{email}: compare their fingerprint phrase before confirming. The key on "
                  f"file has: {on_file}. If {email} reads out the same words, run again with "
                  f"--fingerprint \"{on_file}\" (or --skip-fingerprint-check, unsafe).")
