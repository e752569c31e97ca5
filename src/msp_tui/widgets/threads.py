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
    is dropped. Returns the callback's result, or None when dropped."""

    def if_alive() -> Any:
        return callback(*args, **kwargs) if alive(node) else None

    return node.app.call_from_thread(if_alive)
