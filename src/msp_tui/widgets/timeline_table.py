"""The timeline's grid: a Line-API scroll view that draws only the rows on screen.

Rows arrive a page at a time (keyset pages newest first); the view asks for more when the cursor
nears the end (`NearEnd`). New events from follow mode go on top with `prepend()`, which keeps the
highlighted event and its place on screen unless the person is at the very top, following.
"""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from msp_tui.core.event_text import describe
from msp_tui.core.events import EventRow
from msp_tui.widgets.paged_table import LIST_KEYS, NOT_MARKABLE, Column, fit_columns

#: Ask for the next page when the cursor is this close to the last loaded row.
NEAR_END = 25


def inert(value: object) -> str:
    """Database text as plain characters: control characters (terminal escapes) become '?'."""
    if value is None:
        return ""
    return "".join(ch if ch >= " " and ch != "\x7f" else "?" for ch in str(value))


#: What happened identifies the row and stays readable; address and device drop first, then Who.
TIMELINE_COLUMNS = [
    Column("time", "Time", 19, min_width=11, priority=1),
    Column("client", "Client", 22, min_width=12, priority=2),
    Column("who", "Who", 24, min_width=14, priority=3),
    Column("what", "What", 0, min_width=40, priority=0),
    Column("device", "Device", 8, priority=5),
    Column("address", "Address", 15, priority=4),
]


def layout(width: int) -> list[Column]:
    """The columns that fit at this width, each with its width (the one column spec, `fit_columns`)."""
    return [dataclass_replace(c, width=w) for c, w in fit_columns(TIMELINE_COLUMNS, width)]


def time_text(row: EventRow, utc: bool, width: int) -> str:
    when = row.date.replace(tzinfo=UTC)
    if not utc:
        when = when.astimezone()
    fmt = "%Y-%m-%d %H:%M:%S" if width >= 19 else "%m-%d %H:%M:%S" if width >= 14 else "%m-%d %H:%M"
    return when.strftime(fmt)


def who_text(row: EventRow) -> str:
    if row.actor_email:
        return f"{row.actor_name} <{row.actor_email}>" if row.actor_name else row.actor_email
    return "system"


def cell_values(row: EventRow, *, utc: bool, show_type: bool, columns: list[Column]) -> dict[str, str]:
    what = describe(row.type, row.detail)
    if show_type:
        what = f"{row.type} {what}"
    # The person's name (their email when they have none); the event's detail shows both.
    who = row.actor_name or row.actor_email or "system"
    time_width = next((c.width for c in columns if c.key == "time"), 11)
    return {"time": time_text(row, utc, time_width), "client": inert(row.client_name or "(provider)"),
            "who": inert(who), "what": inert(what), "device": inert(row.device or ""),
            "address": inert(row.ip_address or ""),
            "from": inert(" ".join(x for x in (row.device, row.ip_address) if x))}


class TimelineTable(ScrollView, can_focus=True):
    """Events newest first; j/k, page up/down, g/G move; enter opens the highlighted event."""

    DEFAULT_CSS = """
    TimelineTable { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 0; }
    """

    # The keys of every list; space says plainly that nothing here is marked.
    BINDINGS = [*LIST_KEYS, Binding("space", "toggle_mark", "Mark", show=False)]

    class Highlighted(Message):
        def __init__(self, row: EventRow | None) -> None:
            super().__init__()
            self.row = row

    class Selected(Message):
        def __init__(self, row: EventRow) -> None:
            super().__init__()
            self.row = row

    class NearEnd(Message):
        """The cursor is close to the last loaded row: load the next page (if there is one)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[EventRow] = []
        self.ids: set[int] = set()
        self.cursor = 0
        self.utc = False
        self.show_type = False
        self.empty_text = "No events."
        #: New events that arrived above the person's place since they were last at the top.
        self.unseen = 0
        #: Drawn event lines by (event id, width, how it is shown): moving the cursor or a page
        #: arriving redraws what changed only. Events never change, so nothing invalidates them.
        self._line_cache: dict[tuple, Strip] = {}
        self._drawn_cursor: int | None = None
        self._keep_id: int | None = None

    # --- data -----------------------------------------------------------------------------

    def remember_place(self) -> None:
        """The next `set_rows` puts the cursor back on the highlighted event if it is still there
        (ctrl+r keeps the place, as on every list)."""
        self._keep_id = self.current.id if self.current is not None else None

    def set_rows(self, rows: list[EventRow]) -> None:
        if len(self._line_cache) > 2000:
            self._line_cache.clear()
        self.rows = list(rows)
        self.ids = {r.id for r in rows}
        self.cursor = self._drawn_cursor = 0
        self.unseen = 0
        self.scroll_to(y=0, animate=False)
        self._resize()
        keep, self._keep_id = self._keep_id, None
        if keep is not None and keep in self.ids:
            self._move_to(next(i for i, r in enumerate(self.rows) if r.id == keep))
            return
        self._highlight()

    def append(self, rows: list[EventRow]) -> None:
        fresh = [r for r in rows if r.id not in self.ids]
        end_in_view = len(self.rows) < int(self.scroll_offset.y) + self._body_height
        self.rows.extend(fresh)
        self.ids.update(r.id for r in fresh)
        # Longer, not wider: no layout of the screen is needed (it would cost a frame of its own).
        self.set_reactive(TimelineTable.virtual_size, Size(self.size.width, len(self.rows) + 1))
        if end_in_view:  # rows below the view change nothing on screen
            self.refresh()

    def prepend(self, rows: list[EventRow]) -> None:
        """New events into their place (newest first). At the top (cursor 0, not scrolled) the view
        shows the newest; elsewhere the highlighted event stays highlighted at its place on screen."""
        oldest = self.rows[-1].cursor if self.rows else None
        fresh = [r for r in rows if r.id not in self.ids and (oldest is None or r.cursor > oldest)]
        if not fresh:
            return
        at_top = self.cursor == 0 and self.scroll_offset.y == 0
        current = self.current
        self.rows = sorted(self.rows + fresh, key=lambda r: r.cursor, reverse=True)
        self.ids.update(r.id for r in fresh)
        self._resize()
        if current is not None and not at_top:
            above = sum(1 for r in fresh if r.cursor > current.cursor)
            self.cursor += above
            self.unseen += above
            self.scroll_to(y=self.scroll_offset.y + above, animate=False, immediate=True)
        self._drawn_cursor = self.cursor
        self.refresh()
        self._highlight()

    def top_ids(self, n: int) -> list[int]:
        return [r.id for r in self.rows[:n]]

    @property
    def current(self) -> EventRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    @property
    def newest_cursor(self):
        return self.rows[0].cursor if self.rows else None

    @property
    def oldest_cursor(self):
        return self.rows[-1].cursor if self.rows else None

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.refresh()

    def on_resize(self) -> None:
        self._resize()

    def on_focus(self) -> None:
        self.refresh()  # the cursor line is drawn bolder while the table has focus

    def on_blur(self) -> None:
        self.refresh()

    # --- moving ---------------------------------------------------------------------------

    @property
    def _body_height(self) -> int:
        return max(1, self.size.height - 1)

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, index))
        if self.cursor == 0:
            self.unseen = 0
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self._body_height:
            self.scroll_to(y=self.cursor - self._body_height + 1, animate=False, immediate=True)
        if int(self.scroll_offset.y) == top and self._drawn_cursor is not None:
            # The view stayed: repaint the line the cursor left and the one it reached.
            for index in {self._drawn_cursor, self.cursor}:
                if top <= index < top + self._body_height:
                    self.refresh(Region(0, index - top + 1, self.size.width, 1))
        else:
            self.refresh()
        self._drawn_cursor = self.cursor
        self._highlight()
        if len(self.rows) - self.cursor <= NEAR_END:
            self.post_message(self.NearEnd())

    def _highlight(self) -> None:
        self.post_message(self.Highlighted(self.current))

    def action_cursor_down(self) -> None:
        self._move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        self._move_to(self.cursor + self._body_height)

    def action_page_up(self) -> None:
        self._move_to(self.cursor - self._body_height)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "toggle_mark"

    def refusal_for(self, action: str):
        return NOT_MARKABLE if action == "toggle_mark" else None

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.rows) - 1)

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self._move_to(index)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.rows and int(new_value) + self._body_height >= len(self.rows) - NEAR_END:
            self.post_message(self.NearEnd())

    # --- drawing --------------------------------------------------------------------------

    def _line(self, values: dict[str, str], columns: list[Column], width: int, style: Style,
              dim: Style | None = None) -> Strip:
        fixed = sum(c.width for c in columns if c.width) + len(columns) - 1
        flex = max(8, width - fixed)
        segments = []
        for i, col in enumerate(columns):
            w = col.width or flex
            value = values.get(col.key, "")
            text = set_cell_size(value, w) if cell_len(value) <= w else set_cell_size(value, w - 1) + "…"
            seg_style = dim if (dim is not None and col.key in ("time", "device", "address", "from")) else style
            segments.append(Segment(text, seg_style))
            if i < len(columns) - 1:
                segments.append(Segment(" ", style))
        return Strip(segments).crop(0, width).extend_cell_length(width, style)

    def render_lines(self, crop):
        # The widget's base style is the same for every line of one paint: look it up once.
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = layout(width)
        base = getattr(self, "_paint_style", None) or self.rich_style
        if y == 0:
            zone = "UTC" if self.utc else (datetime.now().astimezone().tzname() or "local")
            labels = {c.key: c.label + (f" ({zone})" if c.key == "time" else "") for c in columns}
            return self._line(labels, columns, width, base + Style(bold=True, underline=True))
        index = int(self.scroll_offset.y) + y - 1
        if not self.rows:
            if y == 1:
                return Strip([Segment(set_cell_size(self.empty_text, width), base + Style(italic=True))])
            return Strip.blank(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        shown = 0 if index != self.cursor else (1 if self.has_focus else 2)
        key = (row.id, width, self.utc, self.show_type, shown, base)
        strip = self._line_cache.get(key)
        if strip is None:
            if len(self._line_cache) > 4000:  # a long scroll: keep memory flat
                self._line_cache.clear()
            values = cell_values(row, utc=self.utc, show_type=self.show_type, columns=columns)
            if shown:
                style = base + (Style(reverse=True, bold=True) if shown == 1 else Style(reverse=True))
                strip = self._line(values, columns, width, style)
            else:
                strip = self._line(values, columns, width, base, base + Style(dim=True))
            self._line_cache[key] = strip
        return strip
