"""Handing a worker thread's result back to the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode


def alive(node: DOMNode) -> bool:
    """True while `node` is in the app and not being taken down (Textual 8.2.8's own flags, pinned)."""
    return node.is_attached and not (node._closing or node._closed or node._pruning)


def deliver(node: DOMNode, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """From a worker thread: run `callback(*args, **kwargs)` on the UI thread, if `node` is still there.

    A result can arrive while its screen is being removed (popped, or the app quitting); its widgets
    may already be gone (CI once saw NoMatches for the home's failover banner as the app quit), so it
    is dropped; so is one that arrives once the app has ended (call_from_thread would raise). Returns
    the callback's result, or None when dropped. `node` may be the app itself."""

    def if_alive() -> Any:
        return callback(*args, **kwargs) if alive(node) else None

    app = node.app
    if not app.is_running:  # quit while the thread worked: nobody to hand the answer to
        return None
    try:
        return app.call_from_thread(if_alive)
    except RuntimeError:
        # The app ended between the check and the call: Textual let go of its loop ("App is not
        # running"); the answer is dropped as above. Any other RuntimeError is a real one.
        if app.is_running:
            raise
        return None


class OneAnswerAtATime:
    """Mixin for a screen whose enter (or save key) hands a form to core in a worker thread: another
    enter while core is still answering is ignored. A thread cannot be called back, so a second one
    would save again (a request filed twice, an item made twice) or act on a screen the first answer
    already changed or closed (NoMatches, a second dismiss popping someone else's screen).

    `answer_in_thread(job, *args)` runs `job` in a thread unless one is under way. The job hands a
    refusal over with `deliver_answer` (shown, and from that moment the next enter asks again, with
    what was typed kept) and its success with `deliver` (the dialog closes; `deliver` waits for it)."""

    _answering = False

    @property
    def answering(self) -> bool:
        return self._answering

    def answer_in_thread(self, job: Callable[..., Any], *args: Any, group: str,
                         exit_on_error: bool = True) -> bool:
        """Start `job(*args)` in a thread (True), or do nothing while one is being answered (False)."""
        if self._answering:
            return False
        self._answering = True

        def answer() -> Any:
            try:
                return job(*args)
            finally:  # whatever the job delivered has run on the UI thread by now; an error too
                self._answering = False

        self.run_worker(answer, thread=True, group=group, exit_on_error=exit_on_error)  # type: ignore[attr-defined]
        return True

    def deliver_answer(self, callback: Callable[..., Any], *args: Any) -> Any:
        """From the job: `callback(*args)` on the UI thread, the next enter free from the same moment
        (no key can come between the refusal shown and the dialog ready for another try)."""

        def answered(*a: Any) -> Any:
            self._answering = False
            return callback(*a)

        return deliver(self, answered, *args)  # type: ignore[arg-type]
