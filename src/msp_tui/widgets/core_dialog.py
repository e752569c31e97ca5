"""The one behaviour every form dialog shares: it hands its form to core off the UI thread, closes with
core's sentence when core agrees, and stays open with core's message under the form when it refuses
(nothing changed). Esc cancels. The member, group and collection dialogs are built on it."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from msp_tui.core.errors import MspError
from msp_tui.widgets.text import plain
from msp_tui.widgets.threads import deliver


class CoreFormDialog(ModalScreen):
    """Subclasses compose a `Static` with id ERROR_ID for the refusal and call `run_submit(submit, ...)`,
    where `submit` calls core and returns the sentence the toast shows."""

    ERROR_ID = "f-error"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        self.query_one(f"#{self.ERROR_ID}", Static).update(plain(message))

    @work(thread=True, exclusive=True, group="core-dialog", exit_on_error=False)
    def run_submit(self, submit: Callable[..., str], *args) -> str | None:
        try:
            return submit(*args)
        except MspError as exc:
            message = exc.message
            deliver(self, self.show_error, message)
            return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "core-dialog" and event.state == WorkerState.SUCCESS and event.worker.result:
            self.dismiss(event.worker.result)
