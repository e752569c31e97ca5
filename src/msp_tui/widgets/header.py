"""The header line: where you are, the provider, who is signed in and their role."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget
from msp_tui.widgets.text import plain


@dataclass(frozen=True)
class SessionInfo:
    provider: str
    person: str  # name <email>
    role: str
    short_person: str = ""  # the name alone, for a narrow terminal
    #: Two-person approval requests this person could approve now (the inbox, issue 18).
    approvals: int = 0

    def right_sides(self) -> list[tuple[str, ...]]:
        """From the fullest to the barest: the email goes first, then the provider; the role stays."""
        short = self.short_person or self.person
        return [(self.provider, self.person), (self.provider, short), (short,)]


class AppHeader(Widget):
    """One line: `msp-tui › Clients    Northwind MSP · Ada Lovelace <ada@…> · Provider Admin`."""

    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def render(self) -> Text:
        info: SessionInfo | None = getattr(self.app, "session_info", None)
        left = Text.assemble((" msp-tui", "bold"), " › ", (self.title_text, "bold"))
        if info is not None and info.approvals:
            left.append(f"  {info.approvals} to approve", style="bold yellow")
        if info is None:
            right = Text("not signed in ")
        else:
            room = self.size.width - left.cell_len - 2
            for parts in info.right_sides():
                right = Text.assemble(*[piece for p in parts for piece in (plain(p), " · ")], (info.role, "bold"), " ")
                if right.cell_len <= room:
                    break
        room = self.size.width - left.cell_len
        if right.cell_len > room - 2:
            right.truncate(max(0, room - 2), overflow="ellipsis")
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)
