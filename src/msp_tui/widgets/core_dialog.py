"""The one behaviour every form dialog shares: it hands its form to core off the UI thread, closes with
core's sentence when core agrees, and stays open with core's message under the form when it refuses
(nothing changed). Esc cancels. Another enter while core answers is ignored (OneAnswerAtATime). The
member, group and collection dialogs are built on it."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from msp_tui.core.errors import MspError
from msp_tui.widgets.text import plain
from msp_tui.widgets.threads import OneAnswerAtATime, deliver


class CoreFormDialog(OneAnswerAtATime, ModalScreen):
    """Subclasses compose a `Static` with id ERROR_ID for the refusal and call `run_submit(submit, ...)`,
    where `submit` calls core and returns the sentence the toast shows."""

    ERROR_ID = "f-error"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        self.query_one(f"#{self.ERROR_ID}", Static).update(plain(message))

    def run_submit(self, submit: Callable[..., str], *args) -> None:
        """Core's `submit(*args)` in a thread (unless an earlier enter's is still being answered)."""
        self.answer_in_thread(self._ask_core, submit, *args, group="core-dialog", exit_on_error=False)

    def _ask_core(self, submit: Callable[..., str], *args) -> None:
        try:
            sentence = submit(*args)
        except MspError as exc:
            self.deliver_answer(self.show_error, exc.message)
            return
        if sentence:
            deliver(self, self.dismiss, sentence)
