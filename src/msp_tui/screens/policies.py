"""The policy editor: every policy of one client, its state and options, edited in a form.

Rules live in core: the form checks bounds and the Single organization dependency as you type with
the same functions core saves through (`core.policies.check_value`, `dependency_error`), and core
refuses again on save (plan, dependency, stale edit), which the form shows inline.
"""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import Integer
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from msp_tui.core import policies as catalogue
from msp_tui.core.errors import MspError, StaleEdit
from msp_tui.core.services import policies as svc
from msp_tui.screens.base import ListScreen
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.paged_table import Column, PagedTable
from msp_tui.widgets.threads import deliver

CHOICE_LABELS = {"lock": "Lock", "logOut": "Log out", "password": "Password", "passphrase": "Passphrase"}


def _cell(value: str, style: str = "") -> Text:
    return Text(value, style=style)


def _state(p: svc.PolicyView) -> Text:
    return _cell("on", "bold green") if p.enabled else _cell("off", "dim")


def _template_state(p: svc.PolicyView) -> Text:
    return {"matches": _cell("matches", "green"), "differs": _cell("differs", "bold yellow"),
            "accepted": _cell("accepted", "cyan")}.get(p.template_state or "", _cell(""))


def _here(p: svc.PolicyView) -> Text:
    """Where msp-tui applies the policy, from core's one table (docs/policies.md)."""
    kind, _ = catalogue.WHERE_IT_ACTS[p.type]
    style = {catalogue.ACTS: "green", catalogue.PARTLY: "yellow"}.get(kind, "dim")
    return _cell(kind, style)


POLICY_COLUMNS = [
    Column("type", "#", 3, lambda p: str(int(p.type)), align="right", priority=4),
    Column("name", "Policy", 0, lambda p: p.name, ratio=3, min_width=38, priority=0),
    Column("state", "State", 5, _state, priority=1),
    Column("here", "Here", 10, _here, priority=4),  # narrow: the line under the list says it
    Column("options", "Options", 0, lambda p: p.summary if p.enabled else "", ratio=2, min_width=12, priority=2),
    Column("needs", "Needs", 10, lambda p: "Single org" if p.requires_single_org else "", priority=3),
    Column("template", "Template", 9, _template_state, min_width=8, priority=3),
]


class PolicyEditorScreen(ListScreen):
    """Every policy of one client with its state; enter edits, o turns on or off."""

    DEFAULT_CSS = """
    PolicyEditorScreen { layout: vertical; }
    PolicyEditorScreen #title { height: 1; padding: 0 1; text-style: bold; }
    PolicyEditorScreen #status { height: auto; padding: 0 1; color: $text-muted; }
    PolicyEditorScreen PagedTable { height: 1fr; }
    """
    ROWS_NAME = "policies"
    BINDINGS = [
        # space marks on every list; nothing here acts on several policies, so on/off is o.
        Binding("o", "toggle", "On/off", id="policies.toggle"),
        Binding("r", "reload", "Reload", show=False, id="policies.reload"),  # ctrl+r as on every list
    ]

    def __init__(self, db, actor, client_id: uuid.UUID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.client_id = db, actor, client_id
        self.view: svc.ClientPolicies | None = None

    def compose(self) -> ComposeResult:
        yield Static("Policies", id="title")
        yield from self.compose_filter("part of a policy's name or options (esc clears)")
        yield PagedTable(columns=POLICY_COLUMNS, row_key=lambda p: int(p.type), empty_text="Loading…",
                         open_label="Edit", markable=False, id="policies")
        yield Static("", id="status")
        yield KeyBar()

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.action_reload()

    # --- loading ----------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="policies-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            view = svc.list_policies(self.db, self.actor, self.client_id)
        except MspError as exc:
            deliver(self, self._failed, exc.message)
            return
        deliver(self, self._show, view)

    def _failed(self, message: str) -> None:
        self.table.show_rows([], error=message)
        self.query_one("#status", Static).update(Text(message, style="bold red"))

    def _show(self, view: svc.ClientPolicies) -> None:
        self.view = view
        table = self.table
        table.empty_text = "No policies."
        table.show_rows(view.policies)
        # Most telling first, so a narrow terminal cuts the plan (shown on the client screen), not the count.
        on_count = sum(1 for p in view.policies if p.enabled)
        title = Text.assemble(("Policies · ", "bold"), (view.client_name, "bold"),
                              (f" · {on_count} of {len(view.policies)} on", ""),
                              (f" · template {view.template}" if view.template else "", "dim"),
                              (f" · {view.plan.label}", ""))
        title.no_wrap, title.overflow = True, "ellipsis"
        self.query_one("#title", Static).update(title)
        self._show_status(self.table.current_row)
        self.refresh_bindings()

    def _show_status(self, row: svc.PolicyView | None) -> None:
        """Under the list: where msp-tui applies the highlighted policy (core's table), then the keys."""
        if self.view is None:
            return
        status = Text()
        if row is not None:
            status.append(f"{row.name}: ", style="bold")
            status.append(catalogue.where_it_acts(row.type) + "\n")
        if self.view.can_edit:
            status.append("enter edits a policy's options · o turns it on or off", style="dim")
        else:
            status.append(f"Read only: {self.view.reason}", style="yellow")
        self.query_one("#status", Static).update(status)

    @on(PagedTable.Highlighted)
    def _highlighted(self, event: PagedTable.Highlighted) -> None:
        self._show_status(event.row)

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("edit", "toggle") and (self.view is None or not self.view.can_edit):
            return None  # shown greyed out; the status line says why
        return super().check_action(action, parameters)

    def _current(self) -> svc.PolicyView | None:
        return self.table.current_row if self.view is not None else None

    def open_row(self, row: svc.PolicyView) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        p = self._current()
        if p is None or self.view is None or not self.view.can_edit:
            return
        enabled = {int(x.type) for x in self.view.policies if x.enabled}
        self.app.push_screen(PolicyFormScreen(self.db, self.actor, self.client_id, p, enabled),
                             lambda saved: self.action_reload() if saved else None)

    def action_toggle(self) -> None:
        p = self._current()
        if p is None or self.view is None or not self.view.can_edit:
            return
        enabled = {int(x.type) for x in self.view.policies if x.enabled}
        err = catalogue.dependency_error(enabled, p.type, not p.enabled)
        if err:
            self.query_one("#status", Static).update(Text(err, style="bold red"))
            return
        form = PolicyFormScreen(self.db, self.actor, self.client_id, p, enabled, turn_on=not p.enabled)
        self.app.push_screen(form, lambda saved: self.action_reload() if saved else None)


class PolicyFormScreen(ModalScreen[bool]):
    """One policy's state and options; bounds and the dependency are checked as you type."""

    DEFAULT_CSS = """
    PolicyFormScreen { align: center middle; }
    PolicyFormScreen > #form { width: 76; height: auto; max-height: 100%; border: round $primary;
                               background: $surface; padding: 0 1; }
    PolicyFormScreen #fields { height: auto; max-height: 12; overflow-y: auto; }
    PolicyFormScreen .row Input { background: $boost; }
    PolicyFormScreen .row Input:focus, PolicyFormScreen .row Select:focus > SelectCurrent,
    PolicyFormScreen .row Checkbox:focus { background: $primary 40%; }
    PolicyFormScreen .row { height: 1; margin-bottom: 0; }
    PolicyFormScreen .row Label { width: 26; padding: 0 1 0 0; }
    PolicyFormScreen .row Input, PolicyFormScreen .row Select { width: 1fr; }
    PolicyFormScreen .row Checkbox { width: auto; }
    PolicyFormScreen .row Checkbox.yes-no { width: 5; }  /* Textual pads even no label by 2, then measures 3: ▐X… */
    PolicyFormScreen .hint { color: $text-muted; padding: 0 0 0 1; width: 12; }
    PolicyFormScreen #description { color: $text-muted; padding: 0 0 0 0; }
    PolicyFormScreen #where { color: $text-muted; padding: 0 0 1 0; }
    PolicyFormScreen #errors { color: $error; height: auto; padding: 1 0 0 0; }
    PolicyFormScreen #buttons { height: auto; align: right middle; padding-top: 1; }
    PolicyFormScreen #buttons Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="policy-form.cancel"),
        Binding("ctrl+s", "save", "Save", id="policy-form.save"),
    ]

    def __init__(self, db, actor, client_id, policy: svc.PolicyView, enabled_types: set[int],
                 turn_on: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db, self.actor, self.client_id = db, actor, client_id
        self.policy = policy
        self.enabled_types = set(enabled_types)
        self.fields = catalogue.option_fields(policy.type)
        self.start_on = policy.enabled if turn_on is None else turn_on
        self.server_error: str | None = None

    def compose(self) -> ComposeResult:
        p = self.policy
        with Vertical(id="form") as form:
            form.border_title = Text(f"{int(p.type)} · {p.name}")
            yield Static(Text(catalogue.SPECS[p.type].description), id="description")
            yield Static(Text.assemble(("In msp-tui: ", "bold"), catalogue.where_it_acts(p.type)), id="where")
            with Horizontal(classes="row"):
                yield Label("Policy")
                yield Checkbox("on", value=self.start_on, id="enabled", compact=True)
            with Vertical(id="fields"):
                for f in self.fields:
                    yield from self._field(f)
            yield Static("", id="errors")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def _field(self, f: catalogue.OptionField):
        value = self.policy.options.get(f.key, f.default)
        with Horizontal(classes="row"):
            yield Label(f.label)
            if f.kind == "bool":
                yield Checkbox("", value=bool(value), id=f"opt-{f.key}", compact=True, classes="yes-no")
            elif f.kind == "choice":
                options = [(CHOICE_LABELS.get(c, c), c) for c in f.choices]
                yield Select(options, value=value if value in f.choices else Select.NULL,
                             allow_blank=f.optional, prompt="(not set)", id=f"opt-{f.key}", compact=True)
            elif f.kind == "int":
                validators = [Integer(minimum=f.minimum, maximum=f.maximum)]
                yield Input("" if value is None else str(value), restrict=r"-?[0-9]*", max_length=7,
                            validators=validators, valid_empty=f.optional, id=f"opt-{f.key}",
                            placeholder="(not set)" if f.optional else "", compact=True)
                yield Label(f.bounds_text(), classes="hint")
            else:
                yield Input("" if value is None else str(value), max_length=f.max_length or 0,
                            id=f"opt-{f.key}", compact=True)

    def on_mount(self) -> None:
        self._check()

    # --- checking as you type -------------------------------------------------------------------

    def _values(self) -> tuple[dict, list[str]]:
        values, errors = {}, []
        for f in self.fields:
            w = self.query_one(f"#opt-{f.key}")
            if f.kind == "bool":
                values[f.key] = w.value
            elif f.kind == "choice":
                values[f.key] = None if w.value is Select.NULL else w.value
            else:
                err = catalogue.check_value(f, w.value)
                if err:
                    errors.append(err)
                values[f.key] = (w.value.strip() or None) if f.kind == "int" else w.value
        return values, errors

    def _turn_on(self) -> bool:
        return self.query_one("#enabled", Checkbox).value

    def _check(self) -> list[str]:
        _, errors = self._values()
        if self._turn_on() != self.policy.enabled:
            dep = catalogue.dependency_error(self.enabled_types, self.policy.type, self._turn_on())
            if dep:
                errors.append(dep)
        shown = errors + ([self.server_error] if self.server_error else [])
        self.query_one("#errors", Static).update(Text("\n".join(shown)))
        self.query_one("#save", Button).disabled = bool(errors)
        return errors

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.server_error = None
        self._check()

    # --- saving -------------------------------------------------------------------------------

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self._check():
            return
        turn_on = self._turn_on()
        if turn_on and not self.policy.enabled and self.policy.type in catalogue.REVOKING:
            self._preview(turn_on)
        else:
            self._save()

    @work(thread=True, exclusive=True, group="policy-save", exit_on_error=False)
    def _preview(self, turn_on: bool) -> None:
        try:
            pv = svc.preview(self.db, self.actor, self.client_id, self.policy.type, turn_on)
        except MspError as exc:
            deliver(self, self._refused, exc.message)
            return
        deliver(self, self._confirm, pv)

    def _confirm(self, pv: svc.ChangePreview) -> None:
        if pv.error:
            self._refused(pv.error)
        elif not pv.revoke:
            self._save()
        else:
            self.app.push_screen(RevokeConfirmScreen(self.policy.name, pv),
                                 lambda ok: self._save() if ok else None)

    def _save(self) -> None:
        values, _ = self._values()
        self._write(self._turn_on(), values if self.fields else None)

    @work(thread=True, exclusive=True, group="policy-save", exit_on_error=False)
    def _write(self, turn_on: bool, options: dict | None) -> None:
        try:
            res = svc.set_policy(self.db, self.actor, self.client_id, self.policy.type, enabled=turn_on,
                                 options=options, expected_version=self.policy.version)
        except StaleEdit as exc:
            deliver(self, self._refused, exc.message)
            return
        except MspError as exc:
            deliver(self, self._refused_or_ask, exc)
            return
        deliver(self, self._saved, res)

    def _refused_or_ask(self, exc: MspError) -> None:
        from msp_tui.screens import second_admin

        # Turning this policy off is guarded: ask why; once sent the editor closes (nothing saved).
        if not second_admin.offer(self.app, exc, on_sent=lambda _view: self.dismiss(False)):
            self._refused(exc.message)

    def _refused(self, message: str) -> None:
        self.server_error = message
        self._check()
        self.app.notify(message, severity="error", title="Not saved", markup=False)

    def _saved(self, res: svc.PolicyChange) -> None:
        msg = f"{res.policy.name}: {res.changes}" if res.changed else f"{res.policy.name}: unchanged"
        if res.revoked:
            msg += f" · revoked {len(res.revoked)} member{'s' if len(res.revoked) != 1 else ''}"
        self.app.notify(msg, title="Saved", markup=False)
        self.dismiss(True)


class RevokeConfirmScreen(ModalScreen[bool]):
    """Turning this policy on revokes members: say whom, and ask (Cancel focused)."""

    DEFAULT_CSS = """
    RevokeConfirmScreen { align: center middle; }
    RevokeConfirmScreen > Vertical { width: 70; height: auto; max-height: 80%; border: thick $warning;
                                     background: $surface; padding: 0 1; }
    RevokeConfirmScreen #who { height: auto; max-height: 12; }
    RevokeConfirmScreen #buttons { height: auto; align: right middle; padding-top: 1; }
    RevokeConfirmScreen #buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, policy_name: str, preview: svc.ChangePreview, **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_name, self.preview = policy_name, preview

    def compose(self) -> ComposeResult:
        n = len(self.preview.revoke)
        with Vertical() as box:
            box.border_title = "Members will be revoked"
            yield Static(Text(f"Turning on {self.policy_name} revokes {n} member{'s' if n != 1 else ''} "
                              "of this client:", style="bold"))
            with VerticalScroll(id="who"):
                for e in self.preview.revoke:
                    yield Static(Text(f"  {e.email}  ({e.role.label}, {e.status.label.lower()})"))
            if self.preview.exempt:
                yield Static(Text(f"{len(self.preview.exempt)} exempt (Owners, Admins, invited)", style="dim"))
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(f"Revoke {n} and save", id="ok", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(True)
