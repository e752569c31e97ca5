"""Keys typed ahead reach what they were typed for (a paste, a password manager, a fast typist over SSH).

Textual hands each key to the widget focused when the app reads it, and a widget handles it later,
in its own turn. So a key that moves the focus or opens a screen does so after the keys typed behind
it were already handed to the old place: the master password typed after Enter landed, in clear
text, in the email field; a password typed after `r` (reveal) was lost before the lock screen.

`TypedAhead` is an App mixin that mends both:

- `hold_keys_until(widget, then)`: keys the app reads from now on wait; once `widget` has handled
  the keys already handed to it, `then()` runs (the field's value is complete: decide, move the
  focus) and the waiting keys go, in order, to what is focused then. The sign-in screen's Enter.
- Tab and shift+tab move the focus in the app's own turn, once the field has the keys typed before
  them, so the text typed behind a Tab reaches the next field (a password typed after a username
  landed, in clear text, in the vault form's Name field).
- A key that comes back unhandled from a screen that is no longer on top (it was typed on that
  screen, then a key before it opened another) is given to the focused field of the screen now on
  top, when that is a text field.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

#: Keys that only move the focus (Screen's own bindings), handled in the app's turn.
_FOCUS_KEYS = {"tab": "focus_next", "shift+tab": "focus_previous"}

#: After this many refreshes without a focused widget, held keys go to the screen anyway.
_FOCUS_TRIES = 10


class TypedAhead:
    _held: list | None = None  # keys read while holding, in order: those typed on an older screen first
    _stale_held = 0

    def hold_keys_until(self, widget, then) -> None:
        self._start_holding()

        def decided() -> None:
            then()
            self.call_later(self._release_held)  # in the app's turn, behind the keys it held

        widget.call_later(decided)  # behind the keys already in the widget's queue

    def _start_holding(self) -> None:
        if self._held is None:
            self._held, self._stale_held = [], 0

    async def _release_held(self, tries: int = 0) -> None:
        if self._held is None:
            return
        if self.screen.focused is None and tries < _FOCUS_TRIES:
            self.call_after_refresh(self._release_held, tries + 1)  # a new screen focuses its field
            return
        held, stale, self._held = self._held, self._stale_held, None
        target = self.screen.focused
        for n, event in enumerate(held):
            if n < stale:
                # Typed on a screen since covered: only a text field of the new one gets them, never
                # a list or a button, where a letter is a command nobody meant.
                if isinstance(target, Input):
                    key = events.Key(event.key, event.character)
                    key.set_sender(self)
                    await self.on_event(key)
            else:
                await self.on_event(event)  # as if read now: bindings, a new hold, the focused field

    def _moves_focus(self, event: events.Key) -> bool:
        """A Tab the focused widget does not take for itself (an indenting text area, a widget or
        screen of ours that binds it) only moves the focus."""
        focused = self.screen.focused
        if event.key not in _FOCUS_KEYS or focused is None:
            return False
        if isinstance(focused, TextArea) and focused.tab_behavior == "indent":
            return False
        for node in (focused, *focused.ancestors_with_self):
            if node is self.screen:
                break
            if event.key in node._bindings.key_to_bindings:
                return False
        return True

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                if self._held is not None:
                    self._held.append(event)
                    return
                if self._moves_focus(event):
                    field, move = self.screen.focused, getattr(self.screen, _FOCUS_KEYS[event.key])
                    self.hold_keys_until(field, lambda: move())
                    return
                event._typed_on = self.screen
            else:
                typed_on = getattr(event, "_typed_on", None)
                if typed_on is not None and typed_on is not self.screen and isinstance(
                        self.screen.focused, (Input, type(None))):
                    # Unhandled on the screen it was typed on, which a key before it covered.
                    event.stop()
                    if self._held is None:
                        self._start_holding()
                        self.call_after_refresh(self._release_held)
                    self._held.insert(self._stale_held, event)
                    self._stale_held += 1
                    return
        await super().on_event(event)
