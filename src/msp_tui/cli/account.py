"""`account`: the signed-in person's own account (their master password)."""

from __future__ import annotations

import os

import click

from msp_tui.cli.output import format_option
from msp_tui.cli.state import CliState, pass_state
from msp_tui.core.errors import BadInput


@click.group("account")
def account() -> None:
    """Your own account.

    \b
    Example:
      msp-tui --email ada@msp.example account password
    """


@account.command("password")
@click.option("--newpasswordenv", metavar="VAR", help="Read the new master password from this environment variable "
                                                     "(else it is asked twice).")
@click.option("--kdf-memory", type=int, metavar="MIB", help="Argon2id memory in MiB (64-1024); unset: kept.")
@click.option("--kdf-iterations", type=int, metavar="N", help="Argon2id passes (3-10); unset: kept.")
@click.option("--kdf-parallelism", type=int, metavar="N", help="Argon2id lanes (4-16); unset: kept.")
@pass_state
def password(state: CliState, newpasswordenv: str | None, kdf_memory: int | None, kdf_iterations: int | None,
             kdf_parallelism: int | None) -> None:
    """Change your master password, and with --kdf-* its key-derivation settings: your keys stay,
    only their wrapping changes (event 1001). The new one must meet the Master password requirements
    of every client you are a member of. To change only the settings, give your current password as
    the new one.

    \b
    Example:
      msp-tui --email uma@contoso.example --passwordenv PW account password --newpasswordenv NEW_PW
      msp-tui --email uma@contoso.example account password --kdf-iterations 4 --kdf-memory 128
    """
    from msp_tui.core.services import accounts

    actor = state.actor(changing_password=True)
    if newpasswordenv:
        new = os.environ.get(newpasswordenv)
        if new is None:
            raise BadInput(f"The environment variable {newpasswordenv} is not set.", "newpasswordenv")
    else:
        new = click.prompt("New master password", hide_input=True, confirmation_prompt=True, err=True)
    current = state.signed_in_password or state.password("Current master password")
    kdf = {k: v for k, v in (("memory_mib", kdf_memory), ("iterations", kdf_iterations),
                             ("parallelism", kdf_parallelism)) if v is not None}
    accounts.change_master_password(state.db(), actor, current, new, kdf=kdf or None)
    click.echo("Your master password is changed.", err=True)


# --- two-step login ---------------------------------------------------------------------------------


@account.group("2fa")
def two_factor() -> None:
    """Two-step login with an authenticator app (TOTP): after the master password, a 6-digit code.

    \b
    Example:
      msp-tui --email ada@msp.example account 2fa enable
    """


@two_factor.command("enable")
@click.option("--secretenv", metavar="VAR", help="Enrol this base32 secret (from the environment variable) "
                                                 "instead of a fresh one, e.g. one your app already holds.")
@pass_state
def two_factor_enable(state: CliState, secretenv: str | None) -> None:
    """Turn on two-step login: shows a QR code, the otpauth:// URI and the secret for your authenticator
    app, asks for one code from it to finish, then prints your one recovery code (event 1002). Keep the
    recovery code apart from this machine: it signs in once without the app and turns two-step login off.

    \b
    Example:
      msp-tui --email ada@msp.example --passwordenv MSP_PW account 2fa enable
    Scripted, with a secret you hold and a code from it:
      msp-tui --email ada@msp.example --otpenv OTP account 2fa enable --secretenv TOTP_SECRET
    """
    import sys

    from msp_tui.core.services import two_step

    db, actor = state.db(), state.actor(enrolling=True)
    secret = None
    if secretenv:
        secret = os.environ.get(secretenv)
        if secret is None:
            raise BadInput(f"The environment variable {secretenv} is not set.", "secretenv")
    enrolment = two_step.begin(db, actor, secret)
    click.echo(qr_text(enrolment.uri, ansi=sys.stdout.isatty()), nl=False)
    click.echo(f"URI:    {enrolment.uri}")
    click.echo(f"Secret: {two_step.grouped(enrolment.secret)}")
    sys.stdout.flush()
    for _ in range(3):
        if state.otpenv:  # scripted: the code from --otpenv, one try
            code = os.environ.get(state.otpenv)
        else:
            try:
                code = click.prompt("Code shown by your authenticator app", err=True)
            except click.exceptions.Abort:
                code = None
        if code is None:
            raise BadInput("No code was typed; two-step login stays off.", "code")
        try:
            recovery = two_step.finish(db, actor, enrolment, code)
            break
        except BadInput as exc:
            if state.otpenv:
                raise
            click.echo(f"error: {exc.message}", err=True)
    else:
        raise BadInput(two_step.WRONG_CODE + " Two-step login stays off.", "code")
    click.echo(f"Recovery code: {recovery}")
    click.echo("Two-step login is on. Write the recovery code down and keep it away from this machine; "
               "it is shown only now.", err=True)


@two_factor.command("disable")
@pass_state
def two_factor_disable(state: CliState) -> None:
    """Turn off two-step login (event 1003): signing in for this command with a code (or --otpenv) is
    enough; the recovery code at sign-in turns it off by itself. A wrong code counts as a failed
    sign-in (exit 3).

    \b
    Example:
      msp-tui --email ada@msp.example account 2fa disable
    """
    from msp_tui.core.services import two_step

    db, actor = state.db(), state.actor(enrolling=True)
    if not two_step.is_enrolled(db, actor.account_id):
        click.echo(two_step.NOT_ON, err=True)  # already as asked
        return
    if two_step.just_proven(actor):  # the code of this command's sign-in
        two_step.disable(db, actor, None)
    else:
        two_step.disable(db, actor, state.two_step_code("A code from your authenticator app, or your recovery code")
                         or "")
    click.echo("Two-step login is off.", err=True)


def qr_text(uri: str, *, ansi: bool = False) -> str:
    """The QR code of `uri` in half-block characters (two modules a line), the quiet zone included;
    on a terminal in fixed colours, so it reads the same on a light or dark theme."""
    from msp_tui.core.qr import half_block_lines

    return "".join(line + "\n" for line in half_block_lines(uri, ansi=ansi))


@account.group("recovery")
def recovery() -> None:
    """Account recovery (policy 8): let a client's admins reset your master password if you forget it.

    \b
    Example:
      msp-tui --email uma@contoso.example account recovery status
    """


@recovery.command("status")
@format_option()
@pass_state
def recovery_status(state: CliState) -> None:
    """Each client you belong to: whether its policy 8 is on, enrols automatically, and you are enrolled.

    \b
    Example:
      msp-tui --email uma@contoso.example account recovery status --format csv
    """
    from msp_tui.cli.output import emit
    from msp_tui.core.services import recovery as svc

    rows = svc.my_enrolments(state.db(), state.actor())
    emit(state.fmt, ({"client": e.client, "policy": "on" if e.policy_on else "off",
                      "automatic": e.automatic, "enrolled": e.enrolled} for e in rows),
         ["client", "policy", "automatic", "enrolled"])


@recovery.command("enrol")
@click.argument("client", required=False)
@pass_state
def recovery_enrol(state: CliState, client) -> None:
    """Enrol in a client's account recovery (without CLIENT: every client of yours whose policy 8 is on):
    your user key is sealed to the client's organization key, so its Owners, Admins with the permission
    and provider staff can reset your master password (never read it). Provider staff are never enrolled
    (S11). Event 1506.

    \b
    Example:
      msp-tui --email uma@contoso.example account recovery enrol Contoso
    """
    from msp_tui.core.services import recovery as svc

    names = svc.enrol(state.db(), state.actor(), client)
    click.echo(f"You are enrolled in the account recovery of {', '.join(names)}." if names
               else "No client of yours has account recovery on (or you are provider staff): nothing to enrol in.",
               err=True)


@recovery.command("withdraw")
@click.argument("client", required=False)
@pass_state
def recovery_withdraw(state: CliState, client) -> None:
    """Withdraw from a client's account recovery (without CLIENT: from every one that allows it); refused
    where the policy enrols members automatically. Event 1507.

    \b
    Example:
      msp-tui --email uma@contoso.example account recovery withdraw Contoso
    """
    from msp_tui.core.services import recovery as svc

    names = svc.withdraw(state.db(), state.actor(), client)
    click.echo(f"You withdrew from the account recovery of {', '.join(names)}." if names
               else "You were not enrolled anywhere you may withdraw from: nothing changed.", err=True)


COMMANDS = [account]
