"""The key footer of every screen, drawn by one widget.

Textual's Footer mounts a widget for each key and composes them all again whenever the bindings
change (each focus move); opening the timeline spent 55 of its 80 ms of CPU there. KeyBar draws the
same line itself: the screen's shown bindings, greyed where core refuses them (`check_action` → None),
and the command palette's key on the right. A click on a key presses it.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .keybar--separator { color: $foreground 20%; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        #: (first cell, last cell + 1, key, enabled) of each key drawn, for clicks.
        self._spans: list[tuple[int, int, str, bool]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if screen is self.screen:
            self.refresh()

    def entries(self) -> tuple[list[tuple[str, str, str, bool]], tuple[str, str, str, bool] | None]:
        """(key, key as shown, description, enabled) of each shown binding, one per action, and
        the command palette's."""
        app = self.app
        active = self.screen.active_bindings
        keys: list[tuple[str, str, str, bool]] = []
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = (binding.key, app.get_key_display(binding), binding.description, enabled)
        return keys, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        keys, palette = self.entries()

        def draw(into: Text, key: str, shown: str, description: str, enabled: bool, *, pad_key: bool = True
                 ) -> tuple[int, int, str, bool]:
            start = into.cell_len
            off = Style() if enabled else Style(dim=True)
            into.append(f" {shown} " if pad_key else shown, key_style + off)
            if description:
                into.append(f"{description} " if pad_key else f" {description} ", description_style + off)
            return start, into.cell_len, key, enabled

        line = Text(no_wrap=True, overflow="crop")
        spans = [draw(line, *entry) for entry in keys]
        if palette is not None:
            # The palette's key stays on the right, always visible: it leads to every command.
            right = Text("▏", style=self.get_component_rich_style("keybar--separator"))
            start, end, key, enabled = draw(right, *palette, pad_key=False)
            room = max(0, self.size.width - right.cell_len)
            if line.cell_len > room:
                line.truncate(room)
                spans = [(a, min(b, room), k, e) for a, b, k, e in spans if a < room]
            line.append(" " * (room - line.cell_len))
            spans.append((room + start, room + end, key, enabled))
            line.append_text(right)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
