"""The timeline's dialogs: filter, export, and one event in full."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from msp_tui.core import clock
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.errors import MspError
from msp_tui.core.event_text import describe, type_name
from msp_tui.core.events import EventFilter, EventRow, EventScope
from msp_tui.core.services import timeline
from msp_tui.widgets.timeline_table import inert, who_text
from msp_tui.widgets.dialog_css import form_dialog_css
from msp_tui.widgets.threads import OneAnswerAtATime, deliver

DIALOG_CSS = form_dialog_css("TimelineDialog", 76) + """
TimelineDialog Horizontal.range { height: auto; }
TimelineDialog Horizontal.range Input { width: 1fr; }
"""


class TimelineDialog(OneAnswerAtATime, ModalScreen):
    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def work_then_close(self, job, *args) -> None:
        """`job(*args)` (the database's work) in a thread, one at a time; the dialog closes with its
        result, or stays with the error the job showed (None)."""

        def run() -> None:
            result = job(*args)
            if result is not None:
                deliver(self, self.dismiss, result)

        self.answer_in_thread(run, group="tl-dialog", exit_on_error=False)


@dataclasses.dataclass(frozen=True)
class FilterChoice:
    """What the filter dialog returns: the filter and the label of its time range."""

    filter: EventFilter
    range_label: str
    texts: dict


#: The time choices as the dialog's buttons show them (short enough for one line at 80 columns).
RANGES = [("today", "Today"), ("1h", "1 h"), ("24h", "24 h"), ("7d", "7 days"), ("30d", "30 days"),
          ("custom", "From–to")]
#: How the filter line says each choice.
RANGE_WORDS = {"today": "today (since local midnight)", "1h": "last hour", "24h": "last 24 hours",
               "7d": "last 7 days", "30d": "last 30 days"}


class ClientNameSuggester(Suggester):
    """Completes a client's name as it is typed (core looks it up; tab or → accepts)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        super().__init__(use_cache=True, case_sensitive=False)
        self.db, self.actor = db, actor

    async def get_suggestion(self, value: str) -> str | None:
        import asyncio

        try:
            return await asyncio.to_thread(timeline.complete_client_name, self.db, self.actor, value)
        except MspError:
            return None


class TimelineFilterDialog(TimelineDialog):
    """Client, acting person, type or category, time range (a preset or from–to)."""

    def __init__(self, db: Database, actor: Actor, texts: dict, range_label: str) -> None:
        super().__init__()
        self.db, self.actor = db, actor
        self.texts = dict(texts)
        self.range_label = range_label

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Filter the timeline", style="bold"))
            yield Label("Client (a part of its name; → completes; empty = all)", classes="field")
            yield Input(self.texts.get("client", ""), id="f-client", placeholder="all clients",
                        suggester=ClientNameSuggester(self.db, self.actor))
            yield Label("Acting person (email; empty = anyone)", classes="field")
            yield Input(self.texts.get("actor", ""), id="f-actor", placeholder="anyone")
            yield Label("Type numbers or categories (comma separated)", classes="field")
            yield Input(self.texts.get("types", ""), id="f-types", placeholder="all types")
            yield Static(Text("categories: " + ", ".join(timeline.CATEGORIES)), classes="hint")
            yield Label("Time range", classes="field")
            with RadioSet(id="f-range"):
                for key, label in RANGES:
                    yield RadioButton(label, value=key == self.range_label, id=f"r-{key}")
            with Horizontal(classes="range"):
                yield Input(self.texts.get("since", ""), id="f-since", placeholder="from: 2026-11-24 08:00 or 2d")
                yield Input(self.texts.get("until", ""), id="f-until", placeholder="to: empty = now")
            yield Static("", id="f-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#f-client", Input).focus()

    def _range_key(self) -> str:
        pressed = self.query_one("#f-range", RadioSet).pressed_button
        return pressed.id.removeprefix("r-") if pressed is not None and pressed.id else "30d"

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        texts = {k: self.query_one(f"#f-{k}", Input).value for k in ("client", "actor", "types", "since", "until")}
        self.work_then_close(self.resolve, texts, self._range_key())

    def resolve(self, texts: dict, range_key: str) -> FilterChoice | None:
        try:
            numbers, cats = timeline.parse_types(texts["types"])
            flt = EventFilter(client_ids=timeline.find_client_ids(self.db, self.actor, texts["client"]),
                              actor_ids=timeline.find_account_ids(self.db, self.actor, texts["actor"]),
                              types=numbers, categories=cats)
            if range_key == "custom":
                flt = dataclasses.replace(flt, since=timeline.parse_time(texts["since"]),
                                          until=timeline.parse_time(texts["until"]))
            else:
                flt = timeline.with_preset(flt, range_key)
            flt.time_range()
        except MspError as exc:
            message = exc.message
            self.deliver_answer(lambda: self.query_one("#f-error", Static).update(Text(message)))
            return None
        return FilterChoice(flt, range_key, texts)


def export_folder() -> Path:
    """Where exports go unless the person types another folder: the user's documents folder
    (msp-tui inside it), or the app's data folder where there is no documents folder."""
    import platformdirs

    docs = Path(platformdirs.user_documents_dir())
    return (docs / "msp-tui") if docs.is_dir() else Path(platformdirs.user_data_dir("msp-tui")) / "exports"


def default_export_name(fmt: str) -> str:
    return f"msp-events-{clock.now().strftime('%Y%m%d-%H%M%S')}.{fmt}"


class TimelineExportDialog(TimelineDialog):
    """Export every event of the current filter (not just the loaded page) to CSV or JSON lines."""

    def __init__(self, db: Database, scope: EventScope, flt: EventFilter, summary: str) -> None:
        super().__init__()
        self.db, self.scope, self.flt, self.summary = db, scope, flt, summary

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Export events", style="bold"))
            yield Static(Text(self.summary), classes="hint")
            yield Label("Format", classes="field")
            with RadioSet(id="x-format"):
                yield RadioButton("CSV", value=True, id="x-csv")
                yield RadioButton("JSON lines", id="x-jsonl")
            yield Label("Folder (created if missing)", classes="field")
            yield Input(str(export_folder()), id="x-folder")
            yield Label("File name", classes="field")
            yield Input(default_export_name("csv"), id="x-path")
            yield Static("", id="x-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#x-path", Input).focus()

    @on(RadioSet.Changed, "#x-format")
    def _format(self, event: RadioSet.Changed) -> None:
        fmt = "jsonl" if event.pressed.id == "x-jsonl" else "csv"
        path = self.query_one("#x-path", Input)
        stem, _, ext = path.value.rpartition(".")
        if ext in ("csv", "jsonl") and stem:
            path.value = f"{stem}.{fmt}"

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        if self.answering:
            return
        pressed = self.query_one("#x-format", RadioSet).pressed_button
        fmt = "jsonl" if pressed is not None and pressed.id == "x-jsonl" else "csv"
        self.query_one("#x-error", Static).update(Text("Exporting… every matching event, newest first."))
        self.query_one("#export", Button).disabled = True
        self.work_then_close(self.write, self.query_one("#x-folder", Input).value.strip(),
                             self.query_one("#x-path", Input).value.strip(), fmt)

    def write(self, folder: str, path: str, fmt: str) -> tuple[int, str] | None:
        def error(text: str) -> None:
            def show() -> None:
                self.query_one("#x-error", Static).update(Text(text))
                self.query_one("#export", Button).disabled = False

            self.deliver_answer(show)

        if not path:
            error("Give a file name.")
            return None
        if not folder:
            error("Give a folder.")
            return None
        target = Path(folder).expanduser() / Path(path).expanduser()  # an absolute file name wins
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", newline="", encoding="utf-8") as out:
                n = timeline.export(self.db, self.scope, self.flt, out, fmt)
        except (OSError, MspError) as exc:
            error(f"Could not export: {exc}")
            return None
        return n, str(target)


class TimelineEventDialog(TimelineDialog):
    """One event in full: every field, the type number and name, and what it is about."""

    BINDINGS = [Binding("escape,enter", "cancel", "Close")]

    def __init__(self, row: EventRow, utc: bool = False) -> None:
        super().__init__()
        self.row = row
        self.utc = utc

    def compose(self) -> ComposeResult:
        r = self.row
        local = r.date.replace(tzinfo=UTC).astimezone()
        lines = [
            ("Event", f"#{r.id}"),
            ("Time", f"{local:%Y-%m-%d %H:%M:%S %Z} ({clock.iso(r.date)})"),
            ("Type", f"{r.type} {type_name(r.type)}"),
            ("What", describe(r.type, r.detail)),
            ("Client", r.client_name or "(provider)"),
            ("Who", who_text(r)),
            ("Device", r.device or ""),
            ("Address", r.ip_address or ""),
        ]
        subject = timeline.subject_of(r)
        if subject.kind != "none":
            lines.append(("About", f"{subject.kind} {subject.target_id}"))
        with VerticalScroll():
            yield Static(Text("Event", style="bold"))
            for key, value in lines:
                t = Text(f"{key:<8} ", style="bold")
                t.append(inert(value))
                yield Static(t)
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class TimelineHelpDialog(TimelineDialog):
    """Every key of the timeline."""

    BINDINGS = [Binding("escape,question_mark,enter", "cancel", "Close")]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Timeline keys", style="bold"))
            for key, what in self.keys:
                t = Text(f"{key:<9} ", style="bold")
                t.append(what)
                yield Static(t)


def range_summary(flt: EventFilter, range_label: str) -> str:
    if range_label in RANGE_WORDS:
        return RANGE_WORDS[range_label]
    since, until = flt.since, flt.until

    def fmt(d: datetime | None) -> str:
        return d.strftime("%Y-%m-%d %H:%M") + " UTC" if d else "now"

    return f"{fmt(since) if since else '30 days before'} – {fmt(until)}"
