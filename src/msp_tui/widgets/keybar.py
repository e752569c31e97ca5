"""The key footer of every screen, drawn by one widget.

Textual's Footer mounts a widget for each key and composes them all again whenever the bindings
change (each focus move); opening the timeline spent 55 of its 80 ms of CPU there. KeyBar draws the
same line itself: the screen's shown bindings, greyed where core refuses them (`check_action` → None),
and the command palette's key on the right. A click on a key presses it.

When the line is too narrow, keys drop from the end (the first declared matter most), but `esc` and
`?` (help; f1 where ? would be typed into a field) always stay, last: they lead back and to every key.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget


#: Keys that never drop off the bar, in the order they are drawn at its end.
PINNED = ("escape", "question_mark")


def key_description(node, binding) -> str:
    """What a key does, as the bar and help show it: a node may name an action differently from its
    binding (`key_labels`: enter is "Go to fix" on health, n is "Invite" on members)."""
    labels = getattr(node, "key_labels", None) or {}
    return labels.get(binding.action, binding.description)


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
        #: How many of the entries (the last ones) never drop off.
        self._pinned = 0

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
        pinned: dict[str, tuple[str, str, str, bool]] = {}
        for node, binding, enabled, _tooltip in active.values():
            slot = "question_mark" if binding.action == "help" else binding.key
            if slot in PINNED and slot not in pinned:
                pinned[slot] = (binding.key, app.get_key_display(binding), key_description(node, binding), enabled)
                seen.add(binding.action)
        for node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, app.get_key_display(binding), key_description(node, binding), enabled))
        keys += [pinned[k] for k in PINNED if k in pinned]
        self._pinned = len(pinned)
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
        right_width = 0
        if palette is not None:
            right_width = 1 + len(palette[1]) + (len(palette[2]) + 1 if palette[2] else 0)
        room = max(0, self.size.width - right_width)

        def width_of(entry) -> int:
            return len(entry[1]) + 2 + (len(entry[2]) + 1 if entry[2] else 0)

        # Whole keys drop, the last declared first, until the rest (esc and ? included) fit.
        droppable = len(keys) - self._pinned
        while sum(width_of(e) for e in keys) > room and droppable > 0:
            droppable -= 1
            del keys[droppable]
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
