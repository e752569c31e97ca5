"""`billing`: run-rate, tiers, invoices, payment methods and the billing mode (S9, S10, B1)."""

from __future__ import annotations

import os

import click

from msp_tui.cli.output import emit, emit_one, plain
from msp_tui.cli.state import CliState, pass_state


def _format_option(fn):
    """`--format` here too (`msp-tui billing invoice --format csv`), overriding the global one."""

    def set_fmt(ctx, _param, value):
        if value:
            ctx.find_object(CliState).fmt = value
        return value

    return click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default=None,
                        expose_value=False, callback=set_fmt, is_eager=True,
                        help="Output format (overrides the global --format).")(fn)


def _tier_rows(tiers) -> list[dict]:
    return [{"min_seats": t.min_seats, "percent": t.percent} for t in tiers]


@click.group("billing")
def billing() -> None:
    """Billing: run-rate, reseller discount tiers, invoices, payment methods (Provider Admins).

    \b
    Example:
      msp-tui billing summary --format json
      msp-tui billing invoice Contoso --period 2026-11
    """


@billing.command("summary")
@click.option("--clients", "per_client", is_flag=True, help="List every client's monthly run-rate instead.")
@click.option("--group", default=None,
              help="Only the clients of this client group (the discount tier stays the provider's).")
@_format_option
@pass_state
def summary(state: CliState, per_client: bool, group: str | None) -> None:
    """Provider-wide billing: mode, cumulative seats, discount tier progress, monthly run-rate.

    With --group the clients, run-rate, plan totals and clients without a payment method are one client
    group's; the discount tier and cumulative seats stay the provider's, and consolidated seat minimums
    (the provider's) are left out.

    \b
    Example:
      msp-tui billing summary --format json
      msp-tui billing summary --clients --format csv
      msp-tui billing summary --group Gold
    """
    from msp_tui.cli.clients import group_id
    from msp_tui.core.billing import money
    from msp_tui.core.services import billing as svc

    db, actor = state.db(), state.actor()
    gid = group_id(state, group)
    if per_client:
        def rows():
            cursor = None
            while True:
                page, cursor = svc.run_rate_page(db, actor, after=cursor, limit=1000, group=gid)
                for r in page:
                    yield {"id": r.client_id, "client": r.name, "plan": r.plan,
                           "seats": r.seats, "used": r.used, "internal": r.is_internal,
                           "unit_price": r.unit_price, "monthly": r.monthly, "payment": r.payment}
                if cursor is None:
                    return

        emit(state.fmt, rows(), ["id", "client", "plan", "seats", "used", "internal", "unit_price", "monthly",
                                 "payment"])
        return
    s = svc.summary(db, actor, group=gid)
    p = s.schedule.progress
    row = {"mode": s.mode_label, "currency": s.currency, "clients": s.clients,
           "cumulative_seats": s.cumulative_seats, "discount_percent": p.current.percent,
           "next_tier_seats": p.next.min_seats if p.next else None,
           "next_tier_percent": p.next.percent if p.next else None, "seats_away": p.seats_away,
           "tiers": "default schedule" if s.schedule.is_default else "custom schedule",
           "monthly_total": s.monthly_total, "clients_without_payment_method": s.without_payment}
    if state.fmt in ("json", "csv"):
        row["plans"] = [{k: plain(v) for k, v in dict(
            plan=pl.plan, clients=pl.clients, assigned=pl.assigned, minimum=pl.minimum,
            billed_seats=pl.billed_seats, unit_price=pl.unit_price, total=pl.total).items()} for pl in s.plans]
        if state.fmt == "csv":
            row.pop("plans")
            emit("csv", [row], list(row))
            return
        emit_one("json", row)
        return
    row["monthly_total"] = money(s.monthly_total)
    row["tier_progress"] = p.text
    emit_one(state.fmt, row)


@billing.command("invoice")
@click.argument("client", required=False)
@click.option("--period", default=None, metavar="YYYY-MM", help="A day in the billing period (default: today).")
@_format_option
@pass_state
def invoice(state: CliState, client: str | None, period: str | None) -> None:
    """The invoice: consolidated (one row per client + "Unassigned seats" per plan), or per client.

    \b
    Example:
      msp-tui billing invoice --format csv > invoice.csv
      msp-tui billing invoice Contoso --period 2026-03
    """
    from datetime import date, timedelta

    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import billing as svc

    when = None
    if period:
        try:
            y, m = (int(x) for x in period.split("-")[:2])
            when = date(y, m, 1)
        except ValueError:
            raise BadInput("--period is a month, like 2026-03.", "period") from None
    db, actor = state.db(), state.actor()
    s = svc.summary(db, actor)
    if s.mode == "consolidated":
        inv = svc.consolidated_invoice(db, actor, when=when)
        rows = [r.csv() for r in inv.rows if client is None or r.client.lower() == client.lower()
                or str(r.id) == client]
        if client is not None and not rows:
            raise BadInput(f"No client {client!r} on the invoice.", "client")
        emit(state.fmt, rows, svc.CSV_COLUMNS)
        if client is None and state.fmt == "table":
            click.echo(f"Total {inv.total} {inv.currency} for {inv.period_start:%B %Y}", err=True)
        return
    if client is not None:
        ci = svc.client_invoice(db, actor, client, when=when)
        last = ci.invoice.period_end - timedelta(days=1)
        rows = [{"client": ci.name, "period": f"{ci.invoice.period_start} to {last}",
                 "plan": ln.plan, "seats": ln.seats, "from": str(ln.start),
                 "to": str(ln.end - timedelta(days=1)), "days": ln.days,
                 "period_days": ln.period_days, "unit_price": ln.unit_price, "amount": ln.amount}
                for ln in ci.invoice.lines]
        emit(state.fmt, rows, ["client", "period", "plan", "seats", "from", "to", "days", "period_days",
                               "unit_price", "amount"])
        if state.fmt == "table":
            click.echo(f"Total {ci.invoice.total} {ci.invoice.currency}, charged to {ci.payment}", err=True)
        return
    emit(state.fmt, ({"client": ci.name, "id": ci.client_id, "plan": ci.invoice.plan,
                      "period_start": str(ci.invoice.period_start),
                      "period_end": str(ci.invoice.period_end - timedelta(days=1)),
                      "total": ci.invoice.total, "payment": ci.payment}
                     for ci in svc.client_invoices(db, actor, when=when)),
         ["client", "id", "plan", "period_start", "period_end", "total", "payment"])


@billing.command("tiers")
@click.option("--set", "set_", default=None, metavar="SEATS:PERCENT,...",
              help="Replace the schedule, e.g. '0:0,100:5,250:10'.")
@click.option("--default", "reset", is_flag=True, help="Go back to the shipped default schedule.")
@_format_option
@pass_state
def tiers(state: CliState, set_: str | None, reset: bool) -> None:
    """The reseller discount schedule (minimum cumulative seats → percent off).

    \b
    Example:
      msp-tui billing tiers
      msp-tui billing tiers --set 0:0,100:5,250:10
    """
    from msp_tui.core.services import billing as svc

    db, actor = state.db(), state.actor()
    if set_ and reset:
        raise click.UsageError("Use --set or --default, not both.")
    if set_ or reset:
        sched = svc.set_tiers(db, actor, None if reset else set_)
    else:
        sched = svc.tier_schedule(db, actor)
    p = sched.progress
    rows = [dict(r, current=(t == p.current)) for r, t in zip(_tier_rows(sched.tiers), sched.tiers)]
    emit(state.fmt, rows, ["min_seats", "percent", "current"])
    if state.fmt == "table":
        click.echo(("This is the default schedule. " if sched.is_default else "Custom schedule. ") + p.text,
                   err=True)


def payment_options(fn):
    """The options that describe a payment method (`billing payment`, `clients create --payment`)."""
    fn = click.option("--bank-name", help="Bank: the bank's name.")(fn)
    fn = click.option("--number-env", metavar="VAR",
                      help="Read the card or account number from this environment variable (else a hidden "
                           "prompt).")(fn)
    fn = click.option("--expiry", help="Card: MM/YYYY.")(fn)
    fn = click.option("--holder", help="Card: the name on the card.")(fn)
    return fn


def typed_payment(kind: str, holder, expiry, number_env, bank_name) -> dict:
    """The payment method as typed (core.services.billing.payment_input validates it). The card or
    account number is never an option (shell history): an environment variable or a hidden prompt."""
    from msp_tui.core.errors import BadInput

    def secret(prompt: str) -> str:
        if number_env:
            value = os.environ.get(number_env)
            if value is None:
                raise BadInput(f"The environment variable {number_env} is not set.", "number_env")
            return value
        return click.prompt(prompt, hide_input=True, err=True)

    if kind == "card":
        return {"kind": "card", "holder": holder or click.prompt("Name on the card", err=True),
                "expiry": expiry or click.prompt("Expiry (MM/YYYY)", err=True), "number": secret("Card number")}
    if kind == "bank":
        return {"kind": "bank", "bank_name": bank_name or click.prompt("Bank name", err=True),
                "account": secret("Account number")}
    return {"kind": "invoice"}


@billing.command("payment")
@click.argument("client")
@click.argument("kind", required=False, type=click.Choice(["card", "bank", "invoice"]))
@payment_options
@_format_option
@pass_state
def payment(state: CliState, client: str, kind: str | None, holder, expiry, number_env, bank_name) -> None:
    """Show or set a client's payment method (per-client billing). The card number is never an option
    (shell history); it is read from a hidden prompt or --number-env, and only its brand and last four
    digits are kept.

    \b
    Example:
      msp-tui billing payment Contoso
      msp-tui billing payment Contoso card --holder "Contoso AP" --expiry 08/2029
      msp-tui billing payment Contoso invoice
    """
    from msp_tui.core.services import billing as svc

    db, actor = state.db(), state.actor()
    if kind is None:
        view = svc.client_payment(db, actor, client)
        p = view.payment
        emit_one(state.fmt, {"client": view.name, "mode": svc.MODES[view.mode],
                             "payment": p.label if p else "none", "kind": p.kind if p else None})
        return

    method = typed_payment(kind, holder, expiry, number_env, bank_name)
    stored = svc.payment_input(method)
    method.clear()  # the typed number goes no further than here
    view = svc.set_payment_method(db, actor, client, stored)
    emit_one(state.fmt, {"client": client, "payment": view.label, "kind": view.kind})


@billing.command("mode")
@click.argument("mode", required=False, type=click.Choice(["per-client", "consolidated"]))
@_format_option
@pass_state
def mode(state: CliState, mode: str | None) -> None:
    """Show or switch the billing mode: each client on its own payment method, or one provider invoice.

    \b
    Example:
      msp-tui billing mode consolidated
    """
    from msp_tui.core.services import billing as svc

    db, actor = state.db(), state.actor()
    if mode is None:
        emit_one(state.fmt, {"mode": svc.summary(db, actor).mode_label})
        return
    emit_one(state.fmt, {"mode": svc.MODES[svc.set_billing_mode(db, actor, mode)]})


@billing.command("minimum")
@click.argument("plan", type=click.Choice(["teams", "enterprise"]))
@click.argument("seats", type=int)
@pass_state
def minimum(state: CliState, plan: str, seats: int) -> None:
    """Consolidated billing: set a plan's seat minimum (paid for even when unassigned).

    \b
    Example:
      msp-tui billing minimum enterprise 50
    """
    from msp_tui.core.services import billing as svc

    done = svc.set_seat_minimum(state.db(), state.actor(), plan, seats)
    click.echo(f"{done.label}: seat minimum {seats}.", err=True)


COMMANDS = [billing]
