"""Every place of the app, at 80×24 and 120×36: every key it declares pressed from a fresh screen, every
dialog those keys open answered, every form submitted with an invalid and then a valid value. The test
fails on any exception the app raises or logs (see tests/ui/walk.py), naming the place, size and key.

This file walks at 80×24, test_walkthrough_wide.py at 120×36 (two files: `make test` runs them side by side).

Issue 14: saving a vault item crashed the app, and 1,041 green tests did not notice; this walk would have.
"""

from __future__ import annotations

import asyncio

import pytest

from msp_tui.app import MspApp
from tests.ui.walk import PLACES, SIZES, CrashWatch, Walker, a_client, demo_copy, settle, sign_in

#: Places where the walk finds a defect someone is mending now: strict, so the mend turns them green
#: loudly (remove the entry then). place -> reason naming the defect.
KNOWN: dict[str, str] = {}


def _params(sizes=("80x24",)):
    for place in PLACES:
        for size in sizes:
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[place.name])] if place.name in KNOWN else []
            yield pytest.param(place, size, id=f"{place.name}-{size}", marks=marks)


@pytest.mark.parametrize("place,size", list(_params()))
def test_walkthrough_presses_every_key_and_submits_every_form(place, size, tmp_path, tmp_path_factory,
                                                               monkeypatch):
    db = demo_copy(tmp_path, tmp_path_factory)
    try:
        monkeypatch.chdir(tmp_path)  # exports and screenshots land here
        asyncio.run(_walk(db, place, size, monkeypatch))
    finally:
        db.dispose()


async def _walk(db, place, size, monkeypatch) -> None:
    import faulthandler
    import sys

    # A walk that hangs prints where every thread stood, instead of stalling `make test` silently.
    faulthandler.dump_traceback_later(240, exit=False, file=sys.__stderr__)
    crashes = CrashWatch(monkeypatch)
    try:
        org = a_client(db)
        app = MspApp(db, actor=None if place.name == "login" else sign_in(db, "admin"))
        async with app.run_test(size=SIZES[size], notifications=True) as pilot:
            await settle(pilot)
            walker = Walker(pilot, crashes, db, "admin", place, org, f"{place.name} at {size}")
            await walker.every_key()
            await walker.forms()
            await walker.finish()
            assert walker.steps > 1
    finally:
        faulthandler.cancel_dump_traceback_later()
        crashes.close()
