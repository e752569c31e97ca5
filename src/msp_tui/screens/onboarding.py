"""The onboarding wizard: a new client step by step, or an existing organization the admin owns.

`enter` moves on (after the core's validation), `esc` goes back a step; nothing is written until the
last step confirms. Other issues add steps with one call each, e.g. before the confirmation:

    from msp_tui.screens.onboarding import insert_step
    insert_step(PaymentStep, before="confirm")      # a Step subclass; see Step below

A step may keep values in `data.extras` and write its own rows in `commit()`, which runs in the same
worker right after the client is created (inside core use cases, each with its own event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from msp_tui.core.access import Action
from msp_tui.core.enums import PlanType
from msp_tui.core.errors import BadInput
from msp_tui.core.schemas import ClientGroupInput, NewClient, parse
from msp_tui.core.services import clients as client_service
from msp_tui.core.services.client_groups import list_client_groups
from msp_tui.screens.base import MspScreen
from msp_tui.widgets.invite_secrets import InviteSecretsModal
from msp_tui.widgets.text import plain

#: Values that pass NewClient's validation, so one field can be checked on its own.
_VALID = dict(name="Client", plan=PlanType.TEAMS_MONTHLY, seats=1, owner_email="owner@client.example",
              billing_email="billing@client.example")


def field_error(name: str, value: Any) -> str | None:
    """Core's message for one NewClient field (`schemas.parse(NewClient, ...)`), or None when valid."""
    try:
        parse(NewClient, **{**_VALID, name: value})
    except BadInput as exc:
        return exc.message
    return None


@dataclass
class WizardData:
    mode: str = "new"  # "new" or "existing"
    name: str = ""
    plan: PlanType | None = None
    seats: int | None = None
    billing_email: str = ""
    owner_email: str = ""
    org_id: Any = None
    org_name: str = ""
    extras: dict = field(default_factory=dict)


class Step(Widget):
    """One page of the wizard."""

    DEFAULT_CSS = "Step { height: auto; }"
    key = "step"
    title = "Step"
    #: "new", "existing" or "both".
    mode = "new"

    def __init__(self, data: WizardData) -> None:
        super().__init__()
        self.data = data

    def applies(self) -> bool:
        return self.mode in ("both", self.data.mode)

    @classmethod
    def skipped(cls, data: WizardData) -> bool:
        """True when this step does not apply to what was chosen so far (e.g. payment when consolidated)."""
        return False

    def focus_first(self) -> None:
        for w in self.query("Input, OptionList"):
            w.focus()
            return

    def accept(self) -> str | None:
        """Store this step's value into `data`; return core's message if it is not valid."""
        return None

    def summary(self) -> list[tuple[str, str]]:
        return []

    def commit(self, db, actor, data: WizardData, client) -> None:
        """After the client exists (worker thread): write this step's own rows through core."""


class ChooseStep(Step):
    key, title, mode = "choose", "New or existing", "both"

    def compose(self) -> ComposeResult:
        options = [Option("A new client organization", id="new")]
        if self.app.allowed(Action.ADD_EXISTING_CLIENT):
            options.append(Option("An existing organization I own (not managed by any provider)", id="existing"))
        yield OptionList(*options, id="choice")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.highlighted = 1 if self.data.mode == "existing" and ol.option_count > 1 else 0

    def accept(self) -> str | None:
        ol = self.query_one(OptionList)
        option = ol.get_option_at_index(ol.highlighted or 0)
        self.data.mode = option.id
        return None


class FieldStep(Step):
    """A text field checked against NewClient as you type."""

    field_name = ""
    prompt = ""
    placeholder = ""

    def compose(self) -> ComposeResult:
        yield Static(Text(self.prompt))
        yield Input(value=self.initial(), placeholder=self.placeholder, id=f"f-{self.field_name}")
        yield Static("", classes="field-error", id="error")

    def initial(self) -> str:
        value = getattr(self.data, self.field_name)
        return "" if value is None else str(value)

    def convert(self, text: str) -> Any:
        return text

    def error_for(self, text: str) -> str | None:
        return field_error(self.field_name, self.convert(text))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#error", Static).update(Text(self.error_for(event.value) or "") if event.value else "")

    def accept(self) -> str | None:
        text = self.query_one(Input).value
        error = self.error_for(text)
        self.query_one("#error", Static).update(Text(error or ""))
        if error is None:
            parsed = parse(NewClient, **{**_VALID, self.field_name: self.convert(text)})
            setattr(self.data, self.field_name, getattr(parsed, self.field_name))
        return error


class NameStep(FieldStep):
    key, title = "name", "Client name"
    field_name, prompt, placeholder = "name", "The organization's name (up to 50 characters)", "e.g. Contoso Dental"


class PlanStep(Step):
    key, title = "plan", "Plan"

    def compose(self) -> ComposeResult:
        yield Static(Text("Choose the plan (Enterprise allows policies)"))
        yield OptionList(*[Option(p.label, id=str(p.value)) for p in PlanType], id="plans")

    def on_mount(self) -> None:
        plans = list(PlanType)
        self.query_one(OptionList).highlighted = plans.index(self.data.plan) if self.data.plan else 0

    def accept(self) -> str | None:
        ol = self.query_one(OptionList)
        self.data.plan = PlanType(int(ol.get_option_at_index(ol.highlighted or 0).id))
        return None


class SeatsStep(FieldStep):
    key, title = "seats", "Seats"
    field_name, prompt, placeholder = "seats", "How many seats (members who can be invited)", "e.g. 25"

    def convert(self, text: str) -> Any:
        text = text.strip()
        return int(text) if text.isdigit() else text

    def error_for(self, text: str) -> str | None:
        if not text.strip().isdigit():
            return "seats: a whole number, e.g. 25"
        return super().error_for(text)


class BillingEmailStep(FieldStep):
    key, title = "billing", "Billing email"
    field_name, prompt, placeholder = "billing_email", "Where the client's invoices go", "billing@client.example"


class OwnerEmailStep(FieldStep):
    key, title = "owner", "Owner"
    field_name, prompt, placeholder = ("owner_email", "The client's Owner: they get an invitation",
                                       "owner@client.example")

    def initial(self) -> str:
        return self.data.owner_email or self.data.billing_email


class _GroupChecklist(SelectionList):
    """The groups step's list: space ticks, enter goes on (as on every step) instead of ticking."""

    BINDINGS = [Binding("enter", "next_step", "Next", show=False)]

    def action_next_step(self) -> None:
        self.screen.run_worker(self.screen.action_next())


class GroupsStep(Step):
    """The client groups the new client goes in (service tiers, regions, teams): existing ones ticked,
    and a new one named; create_client puts it in them in its own transaction (or creates nothing)."""

    key, title, mode = "groups", "Client groups", "new"
    DEFAULT_CSS = """
    GroupsStep SelectionList { height: auto; max-height: 6; border: none; padding: 0; background: $boost; }
    GroupsStep SelectionList:focus { background: $primary-muted; border: none; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("Its client groups: space ticks, tab to name a new one (none is fine)"))
        yield _GroupChecklist(id="groups")
        yield Static("", id="groups-empty")
        yield Input(value=self.data.extras.get("new_group", ""), placeholder="a new client group (optional)",
                    id="f-new-group")
        yield Static("", classes="field-error", id="error")

    def on_mount(self) -> None:
        self.query_one("#groups-empty").display = False
        self.screen.run_db(list_client_groups, self.app.db, self.app.actor, on_done=self._loaded,
                           on_error=lambda exc: self.query_one("#error", Static).update(Text(exc.message)))

    def _loaded(self, groups) -> None:
        self.known = {g.id: g.name for g in groups}
        ticked = {gid for gid, _name in self.data.extras.get("groups", ())}
        lst = self.query_one(SelectionList)
        lst.add_options([Selection(plain(g.name), g.id, g.id in ticked) for g in groups])
        if groups:
            lst.highlighted = 0
            return
        # None yet: the list gives way to a line saying so, and the cursor goes to the name (the only
        # field left on the step).
        lst.display = False
        empty = self.query_one("#groups-empty", Static)
        empty.update(Text("No client groups yet: name one below, or leave it empty.", style="dim"))
        empty.display = True
        self.query_one(Input).focus()

    def focus_first(self) -> None:
        # The list, even while its groups load: what is typed then never lands in the name by surprise.
        self.query_one(SelectionList).focus()

    def accept(self) -> str | None:
        known = getattr(self, "known", {})
        chosen = [(gid, known[gid]) for gid in self.query_one(SelectionList).selected if gid in known]
        typed = self.query_one(Input).value.strip()
        error = None
        if typed:
            try:
                typed = parse(ClientGroupInput, name=typed).name
            except BadInput as exc:
                error = exc.message
            else:
                taken = next((n for n in known.values() if n.lower() == typed.lower()), None)
                if taken is not None:
                    error = f"There is already a client group named {taken!r}: tick it instead."
        self.query_one("#error", Static).update(Text(error or ""))
        if error is None:
            self.data.extras["groups"] = chosen
            self.data.extras["new_group"] = typed
        return error

    @on(Input.Changed)
    def _typed(self) -> None:
        self.query_one("#error", Static).update("")

    def summary(self) -> list[tuple[str, str]]:
        names = [name for _gid, name in self.data.extras.get("groups", ())]
        if self.data.extras.get("new_group"):
            names.append(f"{self.data.extras['new_group']} (new)")
        return [("Client groups", ", ".join(names) if names else "none")]

    # No commit of its own: onboard() hands the groups to create_client (one transaction).


class ExistingOrgStep(Step):
    key, title, mode = "existing", "Organization", "existing"

    def compose(self) -> ComposeResult:
        yield Static(Text("Organizations you own that no provider manages"))
        yield OptionList(id="orgs")
        yield Static(Text("Loading…"), classes="field-error", id="error")

    def on_mount(self) -> None:
        self.screen.run_db(client_service.addable_orgs, self.app.db, self.app.actor, on_done=self._loaded)

    def _loaded(self, orgs) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        for o in orgs:
            ol.add_option(Option(Text.assemble(plain(o.name), f"  {o.plan.label} · {o.seats} seats"), id=str(o.id)))
        self.names = {str(o.id): o.name for o in orgs}
        self.query_one("#error", Static).update(
            "" if orgs else Text("You own no organization that is free to add."))
        if orgs:
            ol.highlighted = 0
            ol.focus()

    def accept(self) -> str | None:
        ol = self.query_one(OptionList)
        if ol.option_count == 0 or ol.highlighted is None:
            return "Choose an organization, or esc to leave."
        option = ol.get_option_at_index(ol.highlighted)
        import uuid

        self.data.org_id, self.data.org_name = uuid.UUID(option.id), self.names[option.id]
        return None


class ConfirmStep(Step):
    key, title, mode = "confirm", "Confirm", "both"

    def compose(self) -> ComposeResult:
        yield Static(self._grid(), id="confirm-summary")
        yield Static(Text("Press enter to create it, ctrl+b to go back, esc to leave. Nothing is saved "
                          "before that." if self.data.mode == "new"
                          else "Press enter to add it, ctrl+b to go back, esc to leave.")
                     + Text(" i: bring their passwords too (an import once it exists)."),
                     classes="modal-hint")

    def _grid(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for label, value in self.screen.summary():
            grid.add_row(label, plain(value))
        return grid

    def show_summary(self) -> None:
        self.query_one("#confirm-summary", Static).update(self._grid())


class PaymentStep(Step):
    """Card, bank account or invoice (billing.PaymentForm); skipped when billing is consolidated. The typed
    number goes only into core's payment_input, which keeps brand, last four digits, expiry and holder."""

    key, title, mode = "payment", "Payment method", "new"

    @classmethod
    def skipped(cls, data: WizardData) -> bool:
        return data.extras.get("billing_mode") == "consolidated"

    def compose(self) -> ComposeResult:
        from textual.widgets import Button

        from msp_tui.screens.billing import PaymentForm

        yield Static(Text("How this client pays (tab between fields; enter on the last one goes on)"))
        yield PaymentForm(id="payment-form")
        yield Button("Next", id="payment-next", compact=True)

    def focus_first(self) -> None:
        self.query_one("#payment-form").focus_first()

    @on(Input.Submitted)
    def _field_done(self, event: Input.Submitted) -> None:
        fields = [w for w in self.query(Input) if w.display and w.parent.display and "hidden" not in w.classes]
        if fields and event.input is not fields[-1]:
            event.stop()
            fields[fields.index(event.input) + 1].focus()

    def on_button_pressed(self, event) -> None:
        event.stop()
        self.screen.run_worker(self.screen.action_next())

    def accept(self) -> str | None:
        stored = self.query_one("#payment-form").collect()
        if stored is None:
            return "payment"
        self.data.extras["payment"] = stored
        return None

    def summary(self) -> list[tuple[str, str]]:
        payment = self.data.extras.get("payment")
        return [("Payment", payment.label)] if payment is not None else []


class TemplateStep(Step):
    """A policy template for the new client, or none (services.policy_templates)."""

    key, title, mode = "template", "Policy template", "new"

    def compose(self) -> ComposeResult:
        yield Static(Text("Apply a policy template (Enterprise plans only), or none"))
        yield OptionList(Option("No template", id="none"), id="templates")
        yield Static("", classes="field-error", id="error")

    def on_mount(self) -> None:
        from msp_tui.core.services import policy_templates

        self.screen.run_db(policy_templates.list_templates, self.app.db, self.app.actor, on_done=self._loaded,
                           on_error=lambda exc: self.query_one("#error", Static).update(Text(exc.message)))

    def _loaded(self, templates) -> None:
        ol = self.query_one(OptionList)
        self.names = {str(t.id): t.name for t in templates}
        for t in templates:
            ol.add_option(Option(Text.assemble(plain(t.name), "  ", plain(t.description, "dim")), id=str(t.id)))
        chosen = self.data.extras.get("template")
        ids = ["none", *self.names]
        ol.highlighted = ids.index(str(chosen[0])) if chosen and str(chosen[0]) in ids else 0

    def accept(self) -> str | None:
        ol = self.query_one(OptionList)
        option = ol.get_option_at_index(ol.highlighted or 0)
        if option.id == "none":
            self.data.extras.pop("template", None)
        else:
            import uuid

            self.data.extras["template"] = (uuid.UUID(option.id), self.names[option.id])
        return None

    def summary(self) -> list[tuple[str, str]]:
        chosen = self.data.extras.get("template")
        return [("Policy template", f"{chosen[1]} (applied as the client is created)" if chosen else "none")]

    # No commit of its own: onboard() hands the template to create_client, which applies it in the
    # client's own transaction (a template that cannot be applied means nothing is saved).


#: The wizard's steps in order; other issues insert theirs with insert_step().
STEPS: list[type[Step]] = [ChooseStep, NameStep, PlanStep, SeatsStep, BillingEmailStep, OwnerEmailStep,
                           GroupsStep, ExistingOrgStep, PaymentStep, TemplateStep, ConfirmStep]


def insert_step(step: type[Step], *, before: str = "confirm") -> None:
    keys = [s.key for s in STEPS]
    if step.key not in keys:
        STEPS.insert(keys.index(before), step)


def onboard(db, actor, data: WizardData, steps: list[Step]):
    """The only write of the wizard: create (or add) the client, then each step's own commit."""
    if data.mode == "existing":
        client = client_service.add_existing(db, actor, data.org_id)
    else:
        # The client groups, the payment method and the policy template (if any) are written in
        # create_client's own transaction.
        template = data.extras.get("template")
        new_group = data.extras.get("new_group")
        client = client_service.create_client(db, actor, name=data.name, plan=data.plan, seats=data.seats,
                                              owner_email=data.owner_email, billing_email=data.billing_email,
                                              payment=data.extras.get("payment"),
                                              template=template[0] if template else None,
                                              groups=[gid for gid, _name in data.extras.get("groups", ())],
                                              new_groups=[new_group] if new_group else [])
    for step in steps:
        step.commit(db, actor, data, client)
    return client


def _billing_mode(db, actor) -> str:
    """"per_client" or "consolidated", from core (the payment step is skipped when consolidated)."""
    from msp_tui.core.services import billing

    return billing.summary(db, actor).mode


class OnboardingScreen(MspScreen):
    TITLE_TEXT = "Onboarding"
    GUARDED = {"next": Action.CREATE_CLIENT}
    BINDINGS = [
        Binding("enter", "next", "Next", id="next", priority=False),
        Binding("escape", "leave", "Leave", id="leave"),
        Binding("ctrl+b", "back", "Previous step", id="back", priority=True),  # also from a text field
        # Issue 17's "bring their passwords": on the confirmation only (text fields keep their i).
        Binding("i", "toggle_import", "Bring their passwords", id="import"),
    ]

    def __init__(self, mode: str = "new") -> None:
        super().__init__()
        self.data = WizardData(mode=mode if mode in ("new", "existing") else "new")
        self.index = 0
        self.visited: list[Step] = []
        self.busy = False
        if mode == "existing":
            self.GUARDED = {"next": Action.ADD_EXISTING_CLIENT}

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="wizard-wrap"):
            yield Static("", id="step-list")
            with Vertical(id="wizard", classes="card"):
                yield Label("", id="step-title", classes="card-title")
                yield Vertical(id="step")
                yield Static(Text("enter next · ctrl+b previous step · esc leave · nothing is saved before the last step"),
                             classes="modal-hint", id="wizard-hint")
        yield from self.compose_footer()

    async def on_mount(self) -> None:
        self.run_db(_billing_mode, self.db, self.actor, on_done=self._got_billing_mode, on_error=lambda _e: None,
                    group="billing-mode")
        self.index = 1 if self.data.mode == "existing" else 0
        self._advance_to_applicable(+1)
        await self._show()

    def _got_billing_mode(self, mode: str) -> None:
        self.data.extras["billing_mode"] = mode

    def _steps(self) -> list[type[Step]]:
        return list(STEPS)

    def _applies(self, cls: type[Step]) -> bool:
        return cls.mode in ("both", self.data.mode) and not cls.skipped(self.data)

    def _advance_to_applicable(self, direction: int) -> None:
        steps = self._steps()
        while 0 <= self.index < len(steps) and not self._applies(steps[self.index]):
            self.index += direction

    async def _show(self) -> None:
        steps = self._steps()
        cls = steps[self.index]
        holder = self.query_one("#step", Vertical)
        await holder.remove_children()
        step = cls(self.data)
        self.current = step
        await holder.mount(step)
        self.query_one("#wizard-hint").display = cls is not ConfirmStep
        applicable = [s for s in steps if self._applies(s)]
        n = applicable.index(cls) + 1
        self.query_one("#step-title", Label).update(Text(f"Step {n} of {len(applicable)}: {step.title}"))
        steps_text = Text()
        for i, s in enumerate(applicable):
            if s is cls:
                steps_text.append(f"› {s.title}\n", style="bold")
            elif i < n - 1:
                steps_text.append(f"✓ {s.title}\n")
            else:
                steps_text.append(f"  {s.title}\n", style="dim")
        self.query_one("#step-list", Static).update(steps_text)
        step.focus_first()

    def summary(self) -> list[tuple[str, str]]:
        d = self.data
        if d.mode == "existing":
            return [("Add existing", d.org_name)] + self._import_row()
        rows = [("Name", d.name), ("Plan", d.plan.label if d.plan else ""), ("Seats", str(d.seats)),
                ("Billing email", d.billing_email), ("Owner", f"{d.owner_email} (invited as Owner)")]
        for step in self.visited:
            rows.extend(step.summary())
        return rows + self._import_row()

    def _import_row(self) -> list[tuple[str, str]]:
        wanted = self.data.extras.get("import_after", False)
        return [("Bring their passwords", "yes: the import opens once the client exists" if wanted
                 else "no (i to import a file from their password manager)")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_import":
            return isinstance(getattr(self, "current", None), ConfirmStep)
        return super().check_action(action, parameters)

    def action_toggle_import(self) -> None:
        self.data.extras["import_after"] = not self.data.extras.get("import_after", False)
        self.current.show_summary()

    @on(Input.Submitted)
    @on(OptionList.OptionSelected)
    async def _enter(self, event) -> None:
        event.stop()
        refusal = self.refusal_for("next")
        if refusal is not None:
            self.app.show_refusal(refusal)
            return
        await self.action_next()

    async def action_next(self) -> None:
        if self.busy:
            return
        step = self.current
        error = step.accept()
        if error:
            self.app.bell()
            return
        self.visited = [s for s in self.visited if s.key != step.key] + [step]
        steps = self._steps()
        if steps[self.index] is ConfirmStep:
            self._commit()
            return
        if step.key == "choose":
            self.GUARDED = {"next": Action.ADD_EXISTING_CLIENT if self.data.mode == "existing"
                            else Action.CREATE_CLIENT}
            self.load_decisions()
        self.index += 1
        self._advance_to_applicable(+1)
        await self._show()

    def _typed(self) -> bool:
        """Something was typed (a field filled, or a step past the first choices)."""
        return any(i.value.strip() for i in self.query(Input)) or any(
            s.key not in ("choose", "plan") for s in self.visited)

    def action_leave(self) -> None:
        """Esc leaves in one press; once something was typed it asks first (nothing is saved)."""
        if self.busy:
            return
        if not self._typed():
            self.app.pop_screen()
            return
        from msp_tui.screens.confirm import ConfirmModal

        def done(yes: bool | None) -> None:
            if yes and self.is_attached and self.app.screen is self:
                self.app.pop_screen()

        self.app.push_screen(ConfirmModal("Leave onboarding", "Leave without creating the client? What you "
                                          "typed is not saved.", confirm_label="Leave"), done)

    async def action_back(self) -> None:
        if self.busy:
            return
        if self.index == 0:
            self.app.pop_screen()
            return
        self.index -= 1
        self._advance_to_applicable(-1)
        if self.index < 0:
            self.app.pop_screen()
            return
        await self._show()

    def _commit(self) -> None:
        self.busy = True
        self.query_one("#step-title", Label).update(Text("Saving…"))
        self.run_db(onboard, self.db, self.actor, self.data, list(self.visited), on_done=self._done,
                    on_error=self._failed)

    def _done(self, client) -> None:
        self.busy = False
        verb = "Added" if self.data.mode == "existing" else "Created"
        template = self.data.extras.get("template") if self.data.mode == "new" else None
        self.app.say(f"{verb} client {client.name}" + (f" with the policy template {template[1]}." if template
                                                       else "."))
        self.app.pop_screen()
        self.app.open_client(client.id)
        bring = self._import_into(client) if self.data.extras.get("import_after") else None
        if client.owner_invite_secret:  # shown once, first: the owner needs it to accept
            self.app.push_screen(InviteSecretsModal({self.data.owner_email.strip().lower():
                                                     client.owner_invite_secret}, "The owner's invitation secret"),
                                 callback=(lambda _r: bring()) if bring else None)
        elif bring:
            bring()

    def _import_into(self, client):
        """The import dialog for the new client, as `i` on its vault opens it."""
        from msp_tui.screens.vault_import import ImportDialog

        app, db, actor = self.app, self.db, self.actor

        def said(plan) -> None:
            if plan is not None:
                app.say(plan.done_sentence)

        return lambda: app.push_screen(ImportDialog(db, actor, client.id, client.name), callback=said)

    def _failed(self, exc) -> None:
        self.busy = False
        self.app.show_error(exc)
        self.run_worker(self._show())
