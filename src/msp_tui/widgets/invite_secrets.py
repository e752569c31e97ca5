"""The one time an inviter sees the invitations' one-time secrets (the database keeps only hashes).

    self.app.push_screen(InviteSecretsModal({"bob@msp.example": "ABCD-EFGH-JKLM-NPQR-STUV"}))
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from msp_tui.widgets.text import plain

ADVICE = ("Give each person their secret, by another way than the invitation email (phone, chat). "
          "They need it to accept; it is shown only now.")


class InviteSecretsModal(ModalScreen[None]):
    """email -> secret, shown once; enter or esc closes."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, secrets: dict[str, str], title: str = "Invitation secrets") -> None:
        super().__init__()
        self.secrets = secrets
        self.title_text = title

    def compose(self) -> ComposeResult:
        body = Text(ADVICE + "\n\n")
        width = max((len(e) for e in self.secrets), default=0)
        for email, secret in self.secrets.items():
            body.append_text(plain(email.ljust(width)))
            body.append("  ")
            body.append(secret, style="bold")
            body.append("\n")
        with Vertical(classes="modal", id="invite-secrets"):
            yield Label(Text(self.title_text), classes="modal-title")
            yield Static(body, classes="modal-body", id="invite-secrets-body")
            with Horizontal(classes="modal-buttons"):
                yield Button("Done", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
