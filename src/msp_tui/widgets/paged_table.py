"""A table over SQL pages: it renders only the rows on screen and fetches pages by keyset.

Give it column definitions and a fetch callback; it never holds more than the pages the person has
scrolled through, so 100,000 clients cost one page per keystroke, not 100,000 rows.

    def fetch(cursor, limit, backward) -> Page:
        # cursor None + backward False: the first page; None + backward True: the last page.
        # backward pages are returned nearest-first (the table reverses them).
        ...

    table = PagedTable(columns=[Column("name", "Name", width=30, value=lambda r: r.name)],
                       fetch=fetch, row_key=lambda r: r.id, empty_text="Nothing here yet.")
    table.reload()           # after changing the filter/sort the callback closes over

A list a screen already holds (members, findings) goes in with `table.show_rows(rows)`; `set_filter`
then narrows it as the person types.

Keys (LIST_KEYS, shared with the timeline's table): j/k or arrows move, g/G or home/end first/last,
pgup/pgdn, space marks (only where something acts on marks: `markable`), enter posts
`PagedTable.Opened`. All fetching happens in a thread worker; only the newest request's result is
applied.

Columns: every table's columns are `Column`s and `fit_columns` is the one place that decides their
widths: the row's identifying column (priority 0) stays, lower-priority columns drop first as the
terminal narrows, and cut text ends in "…".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from msp_tui.core.access import Decision
from msp_tui.core.errors import MspError
from msp_tui.widgets.text import inert_str, plain
from msp_tui.widgets.threads import deliver


@dataclass(frozen=True)
class Column:
    """One column: `value(row)` gives the cell (str or rich Text; strings are shown literally).

    width: the width it wants (0: it shares what is left, by `ratio`); min_width: the narrowest it
    may get before it is dropped (0: `width`, or 8 for a sharing column); priority: 0 for the column
    that identifies the row (never dropped), higher numbers drop first when the terminal narrows;
    short(row): what the cell says where value(row) would be cut."""

    key: str
    label: str
    width: int = 0
    value: Callable[[Any], str | Text] = str
    align: str = "left"  # "left" | "right"
    sortable: bool = False
    ratio: int = 1
    min_width: int = 0
    priority: int = 1
    #: The cell when `value` does not fit the column's width (instead of cutting it with "…"): a short
    #: label core gives, as "Expired" for "Invited (expired)".
    short: Callable[[Any], str | Text] | None = None

    @property
    def minimum(self) -> int:
        return self.min_width or self.width or 8


def fit_columns(columns: list[Column], total: int) -> list[tuple[Column, int]]:
    """The columns that fit in `total` cells (one space between them) and each one's width.

    Drops the lowest-priority column (the rightmost of equals) until the rest fit at their minimum;
    then fixed columns grow to the width they want, most important first, and sharing columns split
    what is left by ratio (the most important one gets the remainder)."""
    kept = list(columns)

    def need(cols: list[Column]) -> int:
        return sum(c.minimum for c in cols) + max(0, len(cols) - 1)

    while need(kept) > total:
        droppable = [i for i, c in enumerate(kept) if c.priority > 0]
        if not droppable:
            break
        del kept[max(droppable, key=lambda i: (kept[i].priority, i))]
    widths = [c.minimum for c in kept]
    spare = total - need(kept)
    order = sorted(range(len(kept)), key=lambda i: (kept[i].priority, i))
    for i in order:
        c = kept[i]
        if c.width and spare > 0:
            grow = min(spare, max(0, c.width - widths[i]))
            widths[i] += grow
            spare -= grow
    flex = [i for i in order if not kept[i].width]
    if flex and spare > 0:
        parts = sum(kept[i].ratio for i in flex) or 1
        given = 0
        for i in flex:
            share = spare * kept[i].ratio // parts
            widths[i] += share
            given += share
        widths[flex[0]] += spare - given
    elif spare < 0 and kept:  # too narrow even for what never drops: the identifying column gives way
        i = order[0]
        widths[i] = max(1, widths[i] + spare)
    return list(zip(kept, widths))


#: The keys every list shares (PagedTable and the timeline's table bind the same actions).
LIST_KEYS = [
    Binding("j,down", "cursor_down", "Down", show=False),
    Binding("k,up", "cursor_up", "Up", show=False),
    Binding("g,home", "first", "First row", show=False),
    Binding("G,end", "last", "Last row", show=False),
    Binding("pagedown,ctrl+f", "page_down", "Page down", show=False),
    Binding("pageup,ctrl+b", "page_up", "Page up", show=False),
    Binding("enter", "open", "Open"),
]

NOT_MARKABLE = Decision(False, "marks", "Nothing on this screen acts on several rows at once, so rows "
                                        "are not marked here.")


@dataclass
class Page:
    rows: list
    #: Where to continue in the same direction; None when there is nothing more that way.
    next_cursor: Any = None


FetchPage = Callable[[Any, int, bool], Page]


def list_fetcher(load: Callable[[], Iterable]) -> FetchPage:
    """A fetch callback over a short list a use case returns whole (staff, groups, ...)."""
    cache: dict[str, list] = {}

    def fetch(cursor, limit, backward):
        if cursor is None:
            cache["rows"] = list(load())
        rows = cache["rows"]
        if backward:
            end = len(rows) if cursor is None else cursor
            start = max(0, end - limit)
            return Page(list(reversed(rows[start:end])), start if start > 0 else None)
        start = cursor or 0
        end = start + limit
        return Page(rows[start:end], end if end < len(rows) else None)

    return fetch


@dataclass
class _State:
    rows: list = field(default_factory=list)
    head: Any = None  # cursor to fetch before rows[0]; None = rows[0] is the first row
    tail: Any = None  # cursor to fetch after rows[-1]; None = rows[-1] is the last row
    loaded: bool = False
    error: str | None = None


class PagedTable(Widget, can_focus=True):
    """Rows from SQL pages, drawn line by line (Line API)."""

    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
        background: $surface;
    }
    PagedTable > .paged-table--header { text-style: bold; color: $text-accent; background: $panel; }
    PagedTable > .paged-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    PagedTable:blur > .paged-table--cursor { background: $block-cursor-blurred-background; text-style: none; }
    PagedTable > .paged-table--marked { color: $text-warning; text-style: bold; }
    PagedTable > .paged-table--empty { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"paged-table--header", "paged-table--cursor", "paged-table--marked",
                         "paged-table--empty"}

    # space is in help, not the key bar: at 80 columns the bar keeps the screen's own verbs.
    BINDINGS = [*LIST_KEYS, Binding("space", "toggle_mark", "Mark", show=False)]

    cursor = reactive(0, init=False, repaint=False)  # watch_cursor repaints what the move changed

    class Opened(Message):
        """Enter on a row."""

        def __init__(self, table: PagedTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> PagedTable:
            return self.table

    class Highlighted(Message):
        def __init__(self, table: PagedTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> PagedTable:
            return self.table

    class Marked(Message):
        """Marks changed (space, mark all)."""

        def __init__(self, table: PagedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable:
            return self.table

    class Loaded(Message):
        """A page arrived (or failed: `error` holds the core's message)."""

        def __init__(self, table: PagedTable, count: int, error: str | None) -> None:
            super().__init__()
            self.table = table
            self.count = count
            self.error = error

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(self, *, columns: list[Column], fetch: FetchPage | None = None,
                 row_key: Callable[[Any], Hashable] = id,
                 empty_text: str | Text = "Nothing to show.", page_size: int = 50,
                 sort_key: str | None = None, descending: bool = False, can_fetch_backward: bool = True,
                 openable: bool = True, on_loaded: Callable[[], None] | None = None, markable: bool = True,
                 open_label: str = "Open", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = columns
        self.fetch = fetch
        self.row_key = row_key
        self.empty_text = empty_text
        self.page_size = page_size
        self.sort_key = sort_key
        self.descending = descending
        #: False when the callback cannot fetch from the end (G then walks forward page by page).
        self.can_fetch_backward = can_fetch_backward
        #: False when enter opens nothing here (the key then leaves the footer).
        self.openable = openable
        #: Called as soon as a page is applied, before `Loaded` is posted: what the screen shows about
        #: the rows (a count) then changes in the same frame as the rows, not one or two frames later.
        self.on_loaded = on_loaded
        #: False where nothing acts on marks: space then says so instead of marking.
        self.markable = markable
        #: What enter does here, as the key bar says it ("Open", "Go to fix", "Edit").
        self.key_labels = {"open": open_label}
        self.marked: set[Hashable] = set()
        #: Rows a screen handed over whole (`show_rows`), before the filter; None for SQL pages.
        self._all_rows: list | None = None
        self.filter_text = ""
        #: Whether a row matches the filter text (default: any shown cell contains it, any case).
        self.matches: Callable[[Any, str], bool] = self._cells_contain
        #: Rows handed to the table by the fetch callback since it was created (tests read it).
        self.rows_fetched = 0
        self._state = _State()
        self._top = 0
        self._generation = 0
        self._busy = False
        self._return_to: Hashable | None = None
        #: Drawn rows by (row key, width, style): a key press that moves the cursor or a page that
        #: arrives redraws only what changed. `refresh_rows` drops entries when a row's look changes.
        self._line_cache: dict[tuple, Strip] = {}
        self._drawn_cursor: int | None = None
        self._paint_style: Style | None = None
        self._fit_cache: tuple | None = None

    # --- data ---------------------------------------------------------------------------------

    @property
    def rows(self) -> list:
        return self._state.rows

    @property
    def current_row(self) -> Any | None:
        rows = self._state.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    @property
    def marked_rows(self) -> list:
        """Marked rows among those loaded, or the cursor row when nothing is marked."""
        picked = [r for r in self._state.rows if self.row_key(r) in self.marked]
        if picked:
            return picked
        return [self.current_row] if self.current_row is not None else []

    def reload(self, *, keep_marks: bool = False, from_end: bool = False, keep_position: bool = False) -> None:
        """Drop the loaded rows and fetch the first (or last) page again.

        keep_position: put the cursor back on the same row if it is in the new first page."""
        if self.fetch is None:  # rows handed over by the screen: nothing to fetch
            self._show_filtered(None)
            return
        if not keep_marks:
            self.marked.clear()
        current = self.current_row
        self._return_to = self.row_key(current) if keep_position and current is not None else None
        self._generation += 1
        gen = self._generation
        self._request(gen, None, from_end, replace=True)

    def show_rows(self, rows: Iterable, *, error: str | None = None) -> None:
        """Show a list the screen loaded itself (no paging); the cursor stays on the same row and
        marks stay on rows that are still there."""
        self._all_rows = list(rows)
        self._show_filtered(error)

    def set_filter(self, text: str) -> None:
        """Narrow rows handed over by `show_rows` to those containing `text` (any case)."""
        self.filter_text = text
        if self._all_rows is not None:
            self._show_filtered(None)

    def _cells_contain(self, row: Any, text: str) -> bool:
        needle = text.casefold()
        for col in self.columns:
            v = col.value(row)
            if needle in (v.plain if isinstance(v, Text) else str(v)).casefold():
                return True
        return False

    def _show_filtered(self, error: str | None) -> None:
        rows = self._all_rows or []
        text = self.filter_text.strip()
        if text:
            rows = [r for r in rows if self.matches(r, text)]
        present = {self.row_key(r) for r in self._all_rows or []}
        self.marked &= present
        current = self.current_row
        self._return_to = self.row_key(current) if current is not None else None
        self._generation += 1
        self._apply(self._generation, Page(rows, None), False, True, error)

    def refresh_rows(self, keys: Iterable[Hashable] | None = None) -> None:
        """Redraw rows whose look changed outside the table (a flag the screen learned later);
        None: every row. Only rows on screen are repainted."""
        if keys is None:
            self._line_cache.clear()
            self.refresh()
            return
        keys = set(keys)
        if not keys:
            return
        self._line_cache = {k: v for k, v in self._line_cache.items() if k[0] not in keys}
        rows = self._state.rows
        for y in range(1, self._body_height() + 1):
            index = self._top + y - 1
            if index < len(rows) and self.row_key(rows[index]) in keys:
                self._refresh_line(y)

    def _refresh_line(self, y: int) -> None:
        self.refresh(Region(0, y, max(1, self.size.width), 1))

    def _request(self, gen: int, cursor, backward: bool, *, replace: bool = False) -> None:
        self._busy = True
        limit = self.page_size

        def work() -> None:
            try:
                page = self.fetch(cursor, limit, backward)
                error = None
            except MspError as exc:
                page, error = Page([], None), exc.message
            deliver(self, self._apply, gen, page, backward, replace, error)

        self.run_worker(work, thread=True, group=f"paged-{id(self)}", exit_on_error=True)

    def _apply(self, gen: int, page: Page, backward: bool, replace: bool, error: str | None) -> None:
        if gen != self._generation:
            return
        self._busy = False
        self.rows_fetched += len(page.rows)
        st = self._state
        rows = list(reversed(page.rows)) if backward else list(page.rows)
        visible_before = self._shows_end()
        if replace:
            self._line_cache.clear()
            self._state = st = _State(rows=rows, loaded=True, error=error)
            if backward:
                st.head, st.tail = page.next_cursor, None
            else:
                st.head, st.tail = None, page.next_cursor
            self._top = 0
            keys = [self.row_key(r) for r in rows] if self._return_to is not None else []
            if backward and rows:
                target = len(rows) - 1
            elif self._return_to in keys:
                target = keys.index(self._return_to)
            else:
                target = 0
            self._return_to = None
            self.set_reactive(PagedTable.cursor, target)
            self._after_move()
            self.refresh()
        elif backward:
            # Rows arrive above the view, which moves down with the cursor: nothing on screen changes.
            st.rows[:0] = rows
            st.head = page.next_cursor
            self._top += len(rows)
            if self._drawn_cursor is not None:
                self._drawn_cursor += len(rows)
            self.set_reactive(PagedTable.cursor, self.cursor + len(rows))
            self._after_move()
        else:
            st.rows.extend(rows)
            st.tail = page.next_cursor
            if visible_before:  # the "more…" line (or blank space) below the last row was on screen
                self.refresh()
        if self.on_loaded is not None:
            self.on_loaded()
        self.post_message(self.Loaded(self, len(st.rows), error))

    def _shows_end(self) -> bool:
        """Whether the line after the last loaded row is inside the view."""
        return len(self._state.rows) < self._top + self._body_height()

    def _maybe_extend(self) -> None:
        if self._busy:
            return
        st = self._state
        margin = max(self._body_height(), 5)
        if st.tail is not None and self.cursor >= len(st.rows) - margin:
            self._request(self._generation, st.tail, False)
        elif st.head is not None and self.cursor < margin:
            self._request(self._generation, st.head, True)

    # --- cursor -------------------------------------------------------------------------------

    def _body_height(self) -> int:
        return max(1, self.size.height - 1)

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._state.rows) - 1)) if self._state.rows else 0

    def watch_cursor(self) -> None:
        self._after_move()

    def _after_move(self) -> None:
        h = self._body_height()
        top = self._top
        if self.cursor < self._top:
            self._top = self.cursor
        elif self.cursor >= self._top + h:
            self._top = self.cursor - h + 1
        if self._top == top and self._drawn_cursor is not None:
            # The view stayed: repaint the two lines the cursor left and reached.
            for index in {self._drawn_cursor, self.cursor}:
                if top <= index < top + h:
                    self._refresh_line(index - top + 1)
        else:
            self.refresh()
        self._drawn_cursor = self.cursor
        row = self.current_row
        if row is not None:
            self.post_message(self.Highlighted(self, row))
        self._maybe_extend()

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += self._body_height()

    def action_page_up(self) -> None:
        self.cursor -= self._body_height()

    def action_first(self) -> None:
        if self._state.head is None:
            self.cursor = 0
        else:
            self.reload(keep_marks=True)

    def action_last(self) -> None:
        if self._state.tail is None or not self.can_fetch_backward:
            self.cursor = len(self._state.rows) - 1
        else:
            self.reload(keep_marks=True, from_end=True)

    def action_toggle_mark(self) -> None:
        row = self.current_row
        if row is None:
            return
        key = self.row_key(row)
        self.marked.symmetric_difference_update({key})
        self.cursor += 1
        self.refresh()
        self.post_message(self.Marked(self))

    def mark_all(self) -> None:
        """Mark every loaded row, or none when all are marked already."""
        keys = {self.row_key(r) for r in self._state.rows}
        if keys and keys <= self.marked:
            self.marked.clear()
        else:
            self.marked.update(keys)
        self.refresh()
        self.post_message(self.Marked(self))

    def move_to_key(self, key: Hashable) -> bool:
        """Put the cursor on the loaded row with this key (False when it is not loaded)."""
        for i, r in enumerate(self._state.rows):
            if self.row_key(r) == key:
                self.cursor = i
                return True
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open" and not self.openable:
            return False
        if action == "toggle_mark" and not self.markable:
            return False
        return True

    def refusal_for(self, action: str) -> Decision | None:
        """space where nothing acts on marks: say so (the app shows it) rather than do nothing."""
        return NOT_MARKABLE if action == "toggle_mark" and not self.markable else None

    def action_open(self) -> None:
        if self.current_row is not None:
            self.post_message(self.Opened(self, self.current_row))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.cursor += 3

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.cursor -= 3

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.cursor = self._top + event.y - 1

    def on_resize(self) -> None:
        self._after_move()

    # --- drawing ------------------------------------------------------------------------------

    def fitted(self, width: int | None = None) -> list[tuple[Column, int]]:
        """The columns shown at this width (the table's own by default) and their widths."""
        total = (self.size.width if width is None else width) - 2  # the mark/cursor prefix
        key = (id(self.columns), total)
        cached = self._fit_cache
        if cached is None or cached[0] != key:
            cached = self._fit_cache = (key, fit_columns(self.columns, total))
        return cached[1]

    def _cells(self, prefix: str, values: list[Text], width: int, style: Style) -> Strip:
        """One line of cells as segments: plain cells (most) become one segment each, styled cells
        go through rich; long cells end in an ellipsis."""
        console = self.app.console
        segments = [Segment(prefix, style)]
        fitted = self.fitted(width)
        last = len(fitted) - 1
        for i, ((col, w), text) in enumerate(zip(fitted, values)):
            if inert_str(text.plain) != text.plain:
                text = plain(text.plain, str(text.style))
            if text.cell_len > w:
                text = text.copy()
                text.truncate(w, overflow="ellipsis")
            cell_style = style + console.get_style(text.style) if text.style else style
            if text.spans:
                cell = [Segment(seg.text, cell_style + seg.style if seg.style else cell_style)
                        for seg in text.render(console)]
            else:
                cell = [Segment(text.plain, cell_style)]
            pad = Segment(" " * (w - text.cell_len), style)
            if col.align == "right":
                segments.append(pad)
                segments += cell
            else:
                segments += cell
                segments.append(pad)
            if i < last:
                segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def render_lines(self, crop):
        # The widget's base style is the same for every line of one paint: look it up once.
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def _header_values(self) -> list[Text]:
        out = []
        for col, _w in self.fitted():
            label = col.label
            if col.sortable and col.key == self.sort_key:
                label += " ▼" if self.descending else " ▲"
            out.append(Text(label))
        return out

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._paint_style or self.rich_style
        if y == 0:
            return self._cells("  ", self._header_values(), width,
                               base + self.get_component_rich_style("paged-table--header"))
        st = self._state
        index = self._top + y - 1
        if not st.rows:
            if y == 2:
                msg = st.error or (self.empty_text if st.loaded else "Loading…")
                text = msg if isinstance(msg, Text) else plain(msg)
                style = base + self.get_component_rich_style("paged-table--empty")
                return Strip(list(Text("  ").append_text(text).render(self.app.console)),
                             ).apply_style(style).extend_cell_length(width, style).crop(0, width)
            return Strip.blank(width, base)
        if index >= len(st.rows):
            if index == len(st.rows) and st.tail is not None:
                style = base + self.get_component_rich_style("paged-table--empty")
                return Strip([Segment("  more…", style)]).extend_cell_length(width, style)
            return Strip.blank(width, base)
        row = st.rows[index]
        key = self.row_key(row)
        marked = key in self.marked
        style = base
        if marked:
            style = style + self.get_component_rich_style("paged-table--marked")
        if index == self.cursor:
            style = style + self.get_component_rich_style("paged-table--cursor")
        cache_key = (key, width, style, marked)
        strip = self._line_cache.get(cache_key)
        if strip is None:
            if len(self._line_cache) > 4000:  # a long scroll: keep memory flat
                self._line_cache.clear()
            values = []
            for col, w in self.fitted(width):
                v = col.value(row)
                v = v if isinstance(v, Text) else plain(v)
                if col.short is not None and v.cell_len > w:
                    v = col.short(row)
                    v = v if isinstance(v, Text) else plain(v)
                values.append(v)
            strip = self._line_cache[cache_key] = self._cells("● " if marked else "  ", values, width, style)
        return strip
