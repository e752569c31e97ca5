"""The header line: where you are, the provider, who is signed in and their role."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget
from msp_tui.widgets.text import plain


@dataclass(frozen=True)
class SessionInfo:
    provider: str
    person: str
    role: str


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
        if info is None:
            right = Text("not signed in ")
        else:
            right = Text.assemble(plain(info.provider), " · ", plain(info.person), " · ",
                                  (info.role, "bold"), " ")
        room = self.size.width - left.cell_len
        if right.cell_len > room - 2:
            right.truncate(max(0, room - 2), overflow="ellipsis")
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)
