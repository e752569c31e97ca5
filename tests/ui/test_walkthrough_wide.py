"""The walkthrough of test_walkthrough.py at 120×36 (a file of its own so `make test` runs both sizes at once)."""

from __future__ import annotations

import asyncio

import pytest

from tests.ui.test_walkthrough import _params, _walk
from tests.ui.walk import demo_copy


@pytest.mark.parametrize("place,size", list(_params(("120x36",))))
def test_walkthrough_at_120x36(place, size, tmp_path, tmp_path_factory, monkeypatch):
    db = demo_copy(tmp_path, tmp_path_factory)
    try:
        monkeypatch.chdir(tmp_path)
        asyncio.run(_walk(db, place, size, monkeypatch))
    finally:
        db.dispose()
