"""The member roles screen's dialogs: invite, change role and Custom flags, reasons (confirming uses
the app's ConfirmModal)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from msp_tui.core.enums import MemberRole
from msp_tui.core.permissions import CUSTOM_FLAGS
from msp_tui.core.services.member_actions import MemberPanel
from msp_tui.widgets.core_dialog import CoreFormDialog
from msp_tui.widgets.dialog_css import form_dialog_css

DIALOG_CSS = form_dialog_css("MemberDialog", 84) + """
MemberDialog #flags { height: auto; }
MemberDialog .no-flags #flags, MemberDialog .no-flags #flags-label { display: none; }
MemberDialog Checkbox { width: 100%; padding: 0; height: 1; }
MemberDialog Checkbox:focus > .toggle--label { background: $block-cursor-background; color: $block-cursor-foreground; }
"""


class MemberDialog(CoreFormDialog):
    DEFAULT_CSS = DIALOG_CSS
    ERROR_ID = "m-error"

    @on(RadioSet.Changed, "#m-role")
    def _role_changed(self, event: RadioSet.Changed) -> None:
        """The Custom flags show only while the Custom role is chosen."""
        custom = event.pressed is not None and event.pressed.id == "role-custom"
        self.query_one(VerticalScroll).set_class(not custom, "no-flags")

    def on_mount(self) -> None:
        # Textual highlights the first role; start on the one chosen (the member's own), so enter
        # or a move starts from where the person is.
        found = self.query("#m-role")
        if not found:
            return  # the reasons dialog picks no role
        picker = found.first(RadioSet)
        if picker.pressed_index >= 0:
            picker._selected = picker.pressed_index

    @on(Input.Changed)
    @on(RadioSet.Changed)
    @on(Checkbox.Changed)
    def _input_changed(self) -> None:
        """An error is about what was submitted: it goes once the input changes."""
        self.show_error("")


def role_picker(panel: MemberPanel, current: MemberRole, flags: frozenset[str]) -> ComposeResult:
    """Roles the person may not grant are greyed out with core's reason; each flag explained."""
    with RadioSet(id="m-role"):
        for role in (MemberRole.OWNER, MemberRole.ADMIN, MemberRole.USER, MemberRole.CUSTOM):
            yield RadioButton(role.label, value=role == current, id=f"role-{role.name.lower()}",
                              disabled=panel.role_refusals.get(role) is not None)
    reasons = [f"{r.label}: {why}" for r, why in panel.role_refusals.items()
               if why and r in (MemberRole.OWNER, MemberRole.CUSTOM)]
    yield Static(Text("\n".join(dict.fromkeys(reasons))), classes="hint", id="m-role-why")
    yield Label("Custom permissions", classes="field", id="flags-label")
    with Vertical(id="flags"):
        for key, line in CUSTOM_FLAGS.items():
            # compact: a focused full-size checkbox draws a tall border, which in one line hides it all
            yield Checkbox(line, value=key in flags, id=f"flag-{key}", disabled=key not in panel.grantable_flags,
                           compact=True)


def picked_role(screen: ModalScreen) -> tuple[MemberRole | None, frozenset[str]]:
    pressed = screen.query_one("#m-role", RadioSet).pressed_button
    role = MemberRole[pressed.id.removeprefix("role-").upper()] if pressed is not None and pressed.id else None
    flags = frozenset(k for k in CUSTOM_FLAGS if screen.query_one(f"#flag-{k}", Checkbox).value)
    return role, flags


class MemberInviteDialog(MemberDialog):
    """Invite several emails at once; the seat count is shown and core refuses past it."""

    def __init__(self, panel: MemberPanel, submit: Callable[..., str]) -> None:
        super().__init__()
        self.panel = panel
        self.submit = submit

    def compose(self) -> ComposeResult:
        p = self.panel
        with VerticalScroll(classes="no-flags"):
            yield Static(Text(f"Invite members to {p.client_name}", style="bold"))
            yield Static(Text(f"Seats: {p.used} of {p.seats} used, {max(0, p.free)} free"), id="m-seats",
                         classes="hint")
            yield Label("Emails (up to 20, separated by commas or spaces)", classes="field")
            yield Input(id="m-emails", placeholder="ana@client.example, ben@client.example")
            yield Label("Role", classes="field")
            yield from role_picker(p, MemberRole.USER, frozenset())
            yield Static("", id="m-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Invite", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#m-emails", Input).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        emails = [e for e in self.query_one("#m-emails", Input).value.replace(",", " ").split() if e]
        if not emails:
            self.show_error("Type at least one email.")
            return
        role, flags = picked_role(self)
        if role is None:
            self.show_error("Choose a role.")
            return
        self.show_error("")
        self.run_submit(self.submit, emails, role, flags if role == MemberRole.CUSTOM else frozenset())


class MemberRoleDialog(MemberDialog):
    """Change the role (and the Custom role's flags) of one or several members."""

    def __init__(self, panel: MemberPanel, who: str, role: MemberRole, flags: frozenset[str],
                 submit: Callable[..., str]) -> None:
        super().__init__()
        self.panel, self.who, self.role, self.flags = panel, who, role, flags
        self.submit = submit

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="" if self.role == MemberRole.CUSTOM else "no-flags"):
            yield Static(Text(f"Role of {self.who}", style="bold"))
            yield from role_picker(self.panel, self.role, self.flags)
            yield Static("", id="m-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#m-role", RadioSet).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        role, flags = picked_role(self)
        if role is None:
            self.show_error("Choose a role.")
            return
        self.show_error("")
        self.run_submit(self.submit, role, flags if role == MemberRole.CUSTOM else frozenset())


class RecoverAccountDialog(MemberDialog):
    """Account recovery (policy 8): a temporary master password for one enrolled member, typed twice;
    core checks it against their Master password requirements and resets it (event 1508)."""

    def __init__(self, email: str, client: str, submit: Callable[[str], str]) -> None:
        super().__init__()
        self.email, self.client, self.submit = email, client, submit

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="no-flags"):
            yield Static(Text(f"Recover {self.email}'s account", style="bold"))
            yield Static(Text("Their master password becomes the temporary one below; their keys and items stay. "
                              "They must choose a new one when they next sign in. Give it to them by another "
                              "channel than email."), classes="hint")
            yield Label("Temporary master password", classes="field")
            yield Input(password=True, id="r-temp")
            yield Label("Again", classes="field")
            yield Input(password=True, id="r-again")
            yield Static("", id="m-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Reset password", id="ok", variant="error")

    def on_mount(self) -> None:
        self.query_one("#r-temp", Input).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#r-temp")
    def _next(self) -> None:
        self.query_one("#r-again", Input).focus()

    @on(Input.Submitted, "#r-again")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        temporary, again = self.query_one("#r-temp", Input).value, self.query_one("#r-again", Input).value
        if not temporary:
            self.show_error("Type a temporary master password.")
            return
        if temporary != again:
            self.show_error("The two passwords differ.")
            return
        self.show_error("")
        self.run_submit(self.submit, temporary)


class MemberReasonsDialog(MemberDialog):
    """Every key of the screen, and for the chosen members why each greyed-out action is refused."""

    BINDINGS = [Binding("escape,question_mark,enter", "cancel", "Close")]

    def __init__(self, title: str, lines: list[tuple[str, str, str | None]]) -> None:
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(self.title_text, style="bold"))
            for key, what, why in self.lines:
                t = Text(f"{key:<7} ", style="bold")
                t.append(what)
                if why:
                    t.append(f" — not available: {why}", style="dim")
                yield Static(t)
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
