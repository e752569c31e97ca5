"""Seeded random keys across every place of the app, signed in as a Provider Admin and as a Service User.

Every 120 keys the walk jumps to the next place (tests/ui/walk.py's PLACES), so each run visits them
all; in between, half the keys are ones the screen on top declares and half come from everything a
person might hit. Any exception the app raises or logs fails the test with the seed, the step and the
last keys, so the run can be repeated:

    MSP_TUI_RANDOM_SEED=1234 pytest tests/ui/test_random_keys.py     # one more seed, besides CI's fixed ones
"""

from __future__ import annotations

import asyncio
import os
import random
import time

import pytest
from textual.command import CommandPalette

from msp_tui.app import MspApp
from tests.ui.walk import (PLACES, SIZES, CrashWatch, a_client, declared_keys, demo_copy, finish, open_place,
                           press, settle, sign_in)

#: Keys per run and a bound on its time (a slow machine presses fewer keys rather than run long).
KEYS = 1500
SECONDS = 40
JUMP_EVERY = 120

ANY_KEY = [*"abcdefghijklmnopqrstuvwxyz", *"AGNX", *"0123456789", "enter", "escape", "tab", "shift+tab",
           "up", "down", "left", "right", "home", "end", "pageup", "pagedown", "space", "slash",
           "question_mark", "backspace", "delete", "ctrl+r", "ctrl+n", "ctrl+s", "ctrl+u", "ctrl+p", "f1"]


#: Textual 8.2.8's command palette: page up/down while its list has options but has not laid them out
#: yet raises KeyError in OptionList._move_page (`_index_to_line[highlighted or 0]`) and the app exits.
#: A race of Textual's (seen once here, seed 11, not repeatable by hand); not pressed there until
#: Textual mends it, so this test stays a test of ours.
PALETTE_RACE = {"pagedown", "pageup"}


def _cases():
    """A Provider Admin at 80×24 and a Service User at 120×36, each with its fixed seed (or the one asked)."""
    asked = os.environ.get("MSP_TUI_RANDOM_SEED")
    for who, seed in (("admin", 11), ("service", 12)):
        seed = int(asked) if asked else seed
        yield pytest.param(who, seed, id=f"{who}-seed{seed}")


@pytest.mark.parametrize("who,seed", list(_cases()))
def test_random_keys_never_crash_the_app(who, seed, tmp_path, tmp_path_factory, monkeypatch):
    db = demo_copy(tmp_path, tmp_path_factory)
    monkeypatch.chdir(tmp_path)  # exports and screenshots land here
    try:
        asyncio.run(_run(db, who, seed, monkeypatch))
    finally:
        db.dispose()


async def _run(db, who: str, seed: int, monkeypatch) -> None:
    rng = random.Random(seed)
    size = SIZES["80x24"] if who == "admin" else SIZES["120x36"]
    crashes = CrashWatch(monkeypatch)
    places = [p for p in PLACES if p.name not in ("login", "lock")]
    org = a_client(db)
    pressed: list[str] = []
    started = time.monotonic()
    try:
        app = MspApp(db, actor=sign_in(db, who))
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            for step in range(KEYS):
                if time.monotonic() - started > SECONDS:
                    break
                if app.actor is None:  # a random sign-out: sign in again, as a person would
                    app.signed_in(sign_in(db, who))
                    await settle(pilot)
                if step % JUMP_EVERY == 0 or len(app.screen_stack) > 7:
                    await finish(pilot)  # back to the home, what the last key opened mounted first
                    place = places[(step // JUMP_EVERY + seed) % len(places)]
                    open_place(app, place, org)
                    await settle(pilot)
                    pressed.append(f"<open {place.name}>")
                declared = declared_keys(app.screen)
                key = rng.choice(declared) if declared and rng.random() < 0.5 else rng.choice(ANY_KEY)
                if key in PALETTE_RACE and isinstance(app.screen, CommandPalette):
                    key = "down"
                pressed.append(key)
                await press(pilot, key)
                crashes.check(app, f"{who}, seed {seed} at {size[0]}x{size[1]}, key {len(pressed)} {key!r} "
                                   f"(the last keys: {' '.join(pressed[-25:])}); repeat with "
                                   f"MSP_TUI_RANDOM_SEED={seed}")
            await finish(pilot)
            crashes.check(app, f"{who}, seed {seed}: closing after {len(pressed)} keys")
    finally:
        crashes.close()
    assert len(pressed) >= 200, f"only {len(pressed)} keys in {SECONDS} s"
