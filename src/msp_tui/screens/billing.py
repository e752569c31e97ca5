"""Billing in the UI: the provider billing screen and a client's billing tab.

    BillingScreen(db, actor)                       # run-rate per client and in total, tier progress,
                                                   # consolidated invoice preview (Provider Admins)
    ClientBillingPane(db, actor, organization_id)  # a client detail tab (any provider staff, S9)
    PaymentModal(client_name)                      # -> PaymentOnFile | None (the card number stops here)
    PaymentForm()                                  # the same fields for the onboarding wizard's step:
                                                   # form.collect() -> PaymentOnFile | None, then
                                                   # clients.create_client(..., payment=it)

Core decides everything: these only show what `core.services.billing` returns or refuses. Database
work runs in thread workers; database text is shown as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, RadioButton, RadioSet, Static

from msp_tui.core.billing import money
from msp_tui.core.errors import BadInput, MspError
from msp_tui.screens.base import ListScreen
from msp_tui.screens.client_group_filter import ClientGroupFilter
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, Page, PagedTable
from msp_tui.widgets.text import plain
from msp_tui.widgets.threads import deliver

PAGE = 200


def _run(node: Widget | Screen, fn: Callable, *args, on_done: Callable[[Any], None],
         on_error: Callable[[MspError], None], group: str = "billing", **kwargs) -> None:
    """Run core work in a thread and hand back its result (or core's refusal) on the UI thread."""

    def job() -> None:
        try:
            result = fn(*args, **kwargs)
        except MspError as exc:
            deliver(node, on_error, exc)
            return
        deliver(node, on_done, result)

    node.run_worker(job, thread=True, group=group, exclusive=True)


def _pct(value) -> str:
    return f"{value.normalize():f}%"


def _refusal(exc: MspError) -> Text:
    return Text(str(exc), style="bold red")


# --- a client's billing tab ------------------------------------------------------------------------


class ClientBillingPane(VerticalScroll):
    """A client's billing: plan, seats, seat prices, run-rate; for Provider Admins also the payment
    method and this period's invoice. `$` changes the payment method (Provider Admins, per-client);
`p` stays the client's policies on every tab of the client screen."""

    DEFAULT_CSS = """
    ClientBillingPane { height: 1fr; padding: 0 1; }
    ClientBillingPane > #billing-body { height: auto; }
    """
    BINDINGS = [Binding("dollar_sign", "payment", "Payment method", id="billing-payment"),
                Binding("ctrl+r", "reload", "Reload", show=False)]
    can_focus = True

    def __init__(self, db, actor, organization_id: uuid.UUID, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.db, self.actor, self.organization_id = db, actor, organization_id
        self.view = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading billing…", style="dim"), id="billing-body")

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        from msp_tui.core.services import billing as svc

        _run(self, svc.client_billing, self.db, self.actor, self.organization_id,
             on_done=self._show, on_error=self._refused)

    def _refused(self, exc: MspError) -> None:
        self.view = None
        self.query_one("#billing-body", Static).update(_refusal(exc))
        self.refresh_bindings()

    def _show(self, view) -> None:
        self.view = view
        self.query_one("#billing-body", Static).update(render_client_billing(view))
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "payment":
            v = self.view
            return True if v is not None and v.admin_view and v.mode == "per_client" else None
        return True

    def action_payment(self) -> None:
        if self.view is None:
            return

        def chosen(method) -> None:
            if method is None:
                return
            from msp_tui.core.services import billing as svc

            expected = self.view.payment.version if self.view and self.view.payment else None
            _run(self, svc.set_payment_method, self.db, self.actor, self.organization_id, method,
                 expected_version=expected, on_done=lambda _v: self._saved(), on_error=self._save_failed)

        self.app.push_screen(PaymentModal(self.view.name, self.view.payment), chosen)

    def _saved(self) -> None:
        self.app.notify("Payment method saved.")
        self.action_reload()

    def _save_failed(self, exc: MspError) -> None:
        self.app.notify(str(exc), severity="error", markup=False)


def render_client_billing(v) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("Client", Text(v.name) + (Text("  (internal organization)", style="dim") if v.is_internal else ""))
    t.add_row("Plan", Text(f"{v.plan.label} · billed {v.cadence}"))
    t.add_row("Seats", Text(f"{v.seats} assigned · {v.used} used · {v.seats - v.used} remaining"))
    price = f"list {money(v.list_monthly)} · provider rate {money(v.portal_monthly)}"
    if v.percent is not None:
        price += f" · after the {_pct(v.percent)} reseller discount {money(v.unit_price, exact=True)}"
    else:
        price += f" · your price {money(v.unit_price, exact=True)}"
    t.add_row("Seat price", Text(price + " per seat per month"))
    t.add_row("Run-rate", Text(f"{money(v.monthly)} per month"))
    if v.mode == "consolidated":
        t.add_row("Billing", Text("Consolidated: the provider pays for this client on its one invoice."))
    if not v.admin_view:
        t.add_row("", Text("Payment method and invoices are shown to Provider Admins only.", style="dim"))
        return t
    if v.mode == "per_client":
        t.add_row("Payment", Text(v.payment.label) if v.payment else Text("none — press $ to add one",
                                                                                  style="bold yellow"))
    if v.invoice is not None:
        inv = v.invoice
        last = inv.period_end - timedelta(days=1)
        t.add_row("This period", Text(f"{inv.period_start:%Y-%m-%d} to {last:%Y-%m-%d}"))
        for line in inv.lines:
            t.add_row("", Text(f"{line.text}  =  {money(line.amount)}"))
        t.add_row("Invoice total", Text(money(inv.total), style="bold"))
    return t


# --- payment method modal ------------------------------------------------------------------------


class PaymentForm(Vertical):
    """Card, bank account or invoice terms, for the payment modal and the onboarding wizard's step.

    `collect()` returns what may be kept (core validates; BadInput otherwise) and clears the typed
    card or account number at once: only brand, last four digits, expiry and holder leave it."""

    DEFAULT_CSS = """
    PaymentForm { height: auto; }
    PaymentForm RadioSet { layout: horizontal; width: 100%; margin-bottom: 1; }
    PaymentForm Input { margin-bottom: 1; }
    PaymentForm #payment-error { color: $error; height: auto; }
    PaymentForm .hidden { display: none; }
    """

    def __init__(self, current=None, **kwargs) -> None:
        super().__init__(**kwargs)
        #: The method on file (PaymentView): the form opens on its kind, with what was kept filled in
        #: (expiry, holder, bank name; a number is never kept, so it is typed again).
        self.current = current

    def compose(self) -> ComposeResult:
        cur = self.current
        kind = cur.kind if cur is not None else "card"
        expiry = f"{cur.exp_month:02d}/{cur.exp_year}" if cur is not None and cur.exp_month and cur.exp_year else ""
        with RadioSet(id="payment-kind"):
            yield RadioButton("Card", value=kind == "card", id="kind-card")
            yield RadioButton("Bank account", value=kind == "bank", id="kind-bank")
            yield RadioButton("Invoice (net 30)", value=kind == "invoice", id="kind-invoice")
        card, bank = ("" if kind == "card" else "hidden"), ("" if kind == "bank" else "hidden")
        yield Input(placeholder="Card number", password=True, compact=True, id="card-number", max_length=23,
                    classes=card)
        yield Input(value=expiry if kind == "card" else "", placeholder="Expiry MM/YYYY", compact=True,
                    id="card-expiry", max_length=7, classes=card)
        yield Input(value=(cur.holder or "") if kind == "card" and cur else "", placeholder="Name on the card",
                    compact=True, id="card-holder", max_length=100, classes=card)
        yield Input(placeholder="Account number (only the last four digits are kept)", password=True,
                    compact=True, id="bank-account", max_length=40, classes=bank)
        yield Input(value=(cur.bank_name or "") if kind == "bank" and cur else "", placeholder="Bank name",
                    compact=True, id="bank-name", max_length=100, classes=bank)
        yield Static("", id="payment-error")

    def focus_first(self) -> None:
        kind = self.kind()
        if kind == "invoice":
            self.query_one("#payment-kind", RadioSet).focus()
        else:
            self.query_one("#card-number" if kind == "card" else "#bank-account", Input).focus()

    def kind(self) -> str:
        pressed = self.query_one("#payment-kind", RadioSet).pressed_button
        return (pressed.id or "kind-card").removeprefix("kind-") if pressed else "card"

    @on(RadioSet.Changed)
    def _kind_changed(self) -> None:
        kind = self.kind()
        for wid in ("card-number", "card-expiry", "card-holder"):
            self.query_one(f"#{wid}").set_class(kind != "card", "hidden")
        for wid in ("bank-account", "bank-name"):
            self.query_one(f"#{wid}").set_class(kind != "bank", "hidden")

    def forget_numbers(self) -> None:
        self.query_one("#card-number", Input).value = ""
        self.query_one("#bank-account", Input).value = ""

    def collect(self):
        """The validated payment method (PaymentOnFile), or None with core's message shown."""
        from msp_tui.core.services import billing as svc

        value = lambda wid: self.query_one(f"#{wid}", Input).value  # noqa: E731
        kind = self.kind()
        if kind == "card":
            typed = {"kind": "card", "number": value("card-number"), "expiry": value("card-expiry"),
                     "holder": value("card-holder")}
        elif kind == "bank":
            typed = {"kind": "bank", "account": value("bank-account"), "bank_name": value("bank-name")}
        else:
            typed = {"kind": "invoice"}
        try:
            stored = svc.payment_input(typed)
        except BadInput as exc:
            self.query_one("#payment-error", Static).update(Text(exc.message))
            return None
        finally:
            typed.clear()
        self.forget_numbers()
        self.query_one("#payment-error", Static).update("")
        return stored


class PaymentModal(ModalScreen):
    """Ask for a payment method; dismiss with what may be kept (PaymentOnFile) or None."""

    DEFAULT_CSS = """
    PaymentModal { align: center middle; }
    PaymentModal > Vertical { width: 64; height: auto; max-height: 100%; border: round $primary;
                              padding: 1 2; background: $surface; }
    PaymentModal Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, client_name: str, current=None) -> None:
        super().__init__()
        self.client_name = client_name
        #: The method on file (a PaymentView) the form opens on, or None.
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Payment method for ") + Text(self.client_name, style="bold"))
            if self.current is not None:
                yield Static(Text(f"On file now: {self.current.label}", style="dim"), id="payment-current")
            yield PaymentForm(current=self.current, id="payment-form")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one(PaymentForm).focus_first()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        stored = self.query_one(PaymentForm).collect()
        if stored is not None:
            self.dismiss(stored)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.query_one(PaymentForm).forget_numbers()
        self.dismiss(None)


class TiersModal(ModalScreen):
    """Edit the discount schedule as 'seats:percent, …'; an empty line restores the default."""

    DEFAULT_CSS = """
    TiersModal { align: center middle; }
    TiersModal > Vertical { width: 72; height: auto; border: round $primary; padding: 1 2;
                            background: $surface; }
    TiersModal #tiers-error { color: $error; height: auto; }
    TiersModal Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str, is_default: bool) -> None:
        super().__init__()
        self.current, self.is_default = current, is_default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Reseller discount tiers" + (" (the shipped default)" if self.is_default else ""))
            yield Static(Text("Minimum cumulative seats : percent off, e.g. 0:0, 100:5, 250:10. "
                              "Leave empty for the shipped default schedule.", style="dim"))
            yield Input(value=self.current, id="tiers-input")
            yield Static("", id="tiers-error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        from msp_tui.core.billing import parse_tiers

        text = self.query_one("#tiers-input", Input).value.strip()
        if text:
            try:
                parse_tiers(text)
            except BadInput as exc:
                self.query_one("#tiers-error", Static).update(Text(exc.message))
                return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModeModal(ModalScreen):
    DEFAULT_CSS = """
    ConfirmModeModal { align: center middle; }
    ConfirmModeModal > Vertical { width: 64; height: auto; border: round $warning; padding: 1 2;
                                  background: $surface; }
    ConfirmModeModal Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape,n", "cancel", "Cancel"), Binding("y", "confirm", "Switch")]

    def __init__(self, new_mode: str) -> None:
        super().__init__()
        self.new_mode = new_mode

    def compose(self) -> ComposeResult:
        what = ("one consolidated provider invoice, with seat minimums per plan; clients carry no payment "
                "method" if self.new_mode == "consolidated" else
                "each client billed on its own payment method")
        with Vertical():
            yield Label(f"Switch to {self.new_mode.replace('_', '-')} billing?")
            yield Static(Text(f"From now on: {what}."))
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Switch", id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


# --- the provider billing screen ------------------------------------------------------------------


def load_overview(db, actor, group=None) -> dict:
    """The summary (of client group `group`'s clients, when given) and whether this person may edit."""
    from msp_tui.core.services import billing as svc

    return {"summary": svc.summary(db, actor, group=group), "can_edit": svc.can_edit(db, actor)}


def _right(value: str) -> Text:
    return Text(value, justify="right")


def _short_payment(label: str) -> str:
    """The column's form of a payment label: the one brand name too long for it at 80 columns."""
    return label.replace("American Express", "Amex")


BILLING_COLUMNS = [
    Column("name", "Client", 0, lambda r: plain(r.name) + (Text(" (internal)", style="dim") if r.is_internal
                                                          else Text("")), ratio=3, min_width=27, priority=0),
    Column("monthly", "Monthly", 11, lambda r: money(r.monthly), align="right", min_width=9, priority=1),
    Column("seats", "Seats", 6, lambda r: f"{r.seats:,}", align="right", priority=3),
    Column("used", "Used", 6, lambda r: f"{r.used:,}", align="right", priority=5),
    # Price follows from the plan, so it is the first to go when columns do not fit (80 columns).
    Column("price", "Price", 6, lambda r: money(r.unit_price, exact=True), align="right", priority=4),
    Column("plan", "Plan", 13, lambda r: r.plan.short_label, min_width=13, priority=2),
    Column("payment", "Payment", 0, lambda r: Text(_short_payment(r.payment),
                                                   style="bold yellow" if r.payment == "none" else ""),
           ratio=2, min_width=17, priority=2),  # "Mastercard ••4444" whole
]


class BillingScreen(ClientGroupFilter, ListScreen):
    """Provider-wide billing (Provider Admins): mode, tier progress, run-rate per plan, per client and
    in total; in consolidated mode the invoice preview with its "Unassigned seats" rows. Enter on a
    client opens it. `f` narrows it to one client group's clients (their totals; the discount tier
    stays the provider's)."""

    TITLE_TEXT = "Billing"
    AREA = "billing"

    DEFAULT_CSS = """
    BillingScreen { layout: vertical; }
    BillingScreen #billing-head { height: auto; padding: 0 1; }
    BillingScreen #tier-bar { height: 1; padding: 0 1; }
    BillingScreen #plans { height: auto; max-height: 9; border: round $primary-darken-2; }
    BillingScreen #clients { height: 1fr; min-height: 8; border: round $primary-darken-2; }
    BillingScreen #clients:focus { border: round $primary; }
    /* 24 lines: the per-plan table loses its frame so the clients keep ten rows */
    BillingScreen.-short #plans { border: none; max-height: 7; }
    """
    ROWS_NAME = "clients"
    # The run-rate comes in pages by name from SQL, which has no filter: say where one is.
    NO_FILTER_REASON = ("Billing lists every client by name; to find one, filter the clients home (/) and "
                        "open the client's billing tab.")
    BINDINGS = [
        Binding("t", "tiers", "Tiers", id="billing-tiers"),
        Binding("m", "mode", "Mode", id="billing-mode"),
        Binding("f", "cycle_group", "Client group", id="billing-group"),
    ]

    def __init__(self, db, actor) -> None:
        super().__init__()
        self.db, self.actor = db, actor
        self.summary = None
        self.can_edit = False

    def compose(self) -> ComposeResult:
        yield AppHeader(self.TITLE_TEXT)  # the same title line as every screen
        yield Static(Text("Loading…", style="dim"), id="billing-head")
        yield ProgressBar(total=100, show_eta=False, show_percentage=False, id="tier-bar")
        yield DataTable(id="plans", cursor_type="none", zebra_stripes=False)
        yield PagedTable(columns=BILLING_COLUMNS, fetch=self._fetch, row_key=lambda r: r.client_id,
                         empty_text="No clients.", can_fetch_backward=False, markable=False,
                         on_loaded=self._count, id="clients")
        yield KeyBar()

    def _fetch(self, cursor, limit, backward) -> Page:
        """Keyset pages of the run-rate, by name: the table asks for the next page as the cursor nears it."""
        from msp_tui.core.services import billing as svc

        rows, after = svc.run_rate_page(self.db, self.actor, after=cursor, limit=limit, group=self.client_group_id)
        return Page(rows, after)

    @property
    def table(self) -> PagedTable:
        return self.query_one("#clients", PagedTable)

    def on_mount(self) -> None:
        self.table.page_size = PAGE
        self.table.focus()
        self.action_reload()

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")

    def action_reload(self) -> None:
        _run(self, load_overview, self.db, self.actor, self.client_group_id, on_done=self._loaded,
             on_error=self._refused)

    def client_group_changed(self) -> None:
        """f (ClientGroupFilter): the summary and the clients of the chosen group, or of every client."""
        self.action_reload()

    def _refused(self, exc: MspError) -> None:
        self.query_one("#billing-head", Static).update(_refusal(exc))
        self.query_one("#tier-bar").display = False

    def _loaded(self, data: dict) -> None:
        s = self.summary = data["summary"]
        self.can_edit = data["can_edit"]
        p = s.schedule.progress
        head = Text()
        head.append(f"{money(s.monthly_total)} per month", style="bold")
        if self.client_group is not None:
            # The filter first, so it is never the part cut off at 80 columns.
            head.append(f" · {s.clients:,} clients of “{self.client_group[1]}”", style="bold")
            head.append(" (f: next)")
        else:
            head.append(f" · {s.clients:,} clients · billing {s.mode_label}")
        if s.mode == "per_client" and s.without_payment:
            head.append(f" · {s.without_payment:,} without payment", style="bold yellow")
        # Three lines of at most 78 characters: nothing wraps at 80 columns, the clients keep their rows.
        head.append("\n")
        head.append("Discount ", style="bold").append(
            f"{_pct(p.current.percent)} at {p.seats:,} seats under management (internal org included)")
        head.append("\n")
        if p.next is None:
            head.append("Top tier reached")
        else:
            head.append("Next tier ", style="bold").append(
                f"{_pct(p.next.percent)} at {p.next.min_seats:,} seats — {p.seats_away:,} seats away")
        head.append(" · the default schedule" if s.schedule.is_default else " · custom schedule", style="dim")
        self.query_one("#billing-head", Static).update(head)
        bar = self.query_one("#tier-bar", ProgressBar)
        bar.display = True
        if p.next is None:
            bar.update(total=1, progress=1)
        else:
            span = p.next.min_seats - p.current.min_seats
            bar.update(total=span, progress=p.seats - p.current.min_seats)
        plans = self.query_one("#plans", DataTable)
        plans.clear(columns=True)
        consolidated = s.mode == "consolidated"
        plans.add_columns("Plan", "Monthly", "Clients", "Assigned",
                          *(("Minimum", "Unassigned") if consolidated else ()), "Billed", "Price")
        right = lambda v: Text(f"{v:,}", justify="right")  # noqa: E731
        for pl in s.plans:
            extra = (right(pl.minimum), right(pl.unassigned)) if consolidated else ()
            plans.add_row(Text(pl.plan.label), Text(money(pl.total), justify="right"), right(pl.clients),
                          right(pl.assigned), *extra, right(pl.billed_seats),
                          Text(money(pl.unit_price, exact=True), justify="right"))
        if s.plans:
            blank = Text("")
            plans.add_row(Text("Total", style="bold"), Text(money(s.monthly_total), style="bold", justify="right"),
                          right(s.clients), right(sum(pl.assigned for pl in s.plans)),
                          *((blank, right(sum(pl.unassigned for pl in s.plans))) if consolidated else ()),
                          right(sum(pl.billed_seats for pl in s.plans)), blank)
        plans.border_title = ("Consolidated invoice preview" if s.mode == "consolidated"
                              else "Run-rate per plan")
        if self.client_group is not None:
            plans.border_title += f" · {self.client_group[1]} (no seat minimums)" if consolidated \
                else f" · {self.client_group[1]}"
        self.table.reload(keep_position=True)
        self.refresh_bindings()

    def _count(self) -> None:
        table = self.table
        shown = len(table.rows)
        total = self.summary.clients if self.summary else shown
        more = " · more below" if table._state.tail is not None else ""
        of = f" of “{self.client_group[1]}”" if self.client_group is not None else ""
        table.border_title = f"Clients{of} ({shown:,} of {total:,} loaded{more})"


    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("tiers", "mode"):
            return True if self.can_edit else None
        return super().check_action(action, parameters)

    def open_row(self, row) -> None:
        open_client = getattr(self.app, "open_client", None)
        if open_client is not None:
            open_client(row.client_id)

    def _error(self, exc: MspError) -> None:
        self.app.notify(str(exc), severity="error", markup=False)

    def action_tiers(self) -> None:
        if self.summary is None:
            return
        sched = self.summary.schedule
        current = ", ".join(f"{t.min_seats}:{t.percent.normalize():f}" for t in sched.tiers)
        from msp_tui.core.services import billing as svc

        def chosen(text) -> None:
            if text is None:
                return
            _run(self, svc.set_tiers, self.db, self.actor, text or None,
                 on_done=lambda _s: self._changed("Discount tiers saved."), on_error=self._error)

        self.app.push_screen(TiersModal(current, sched.is_default), chosen)

    def action_mode(self) -> None:
        if self.summary is None:
            return
        new = "per_client" if self.summary.mode == "consolidated" else "consolidated"
        from msp_tui.core.services import billing as svc

        def chosen(ok) -> None:
            if ok:
                _run(self, svc.set_billing_mode, self.db, self.actor, new,
                     on_done=lambda _m: self._changed(f"Billing is now {svc.MODES[new]}."), on_error=self._error)

        self.app.push_screen(ConfirmModeModal(new), chosen)

    def _changed(self, message: str) -> None:
        self.app.notify(message, markup=False)
        self.action_reload()
