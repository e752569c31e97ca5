"""Every place of the UI opens on the action docs/access.md names for it (core/access.py SCREENS):
the areas, the client screens and the client screen's tabs. A new place without a row fails here."""

from __future__ import annotations

from msp_tui.core.access import SCREENS, SIGNED_IN
from msp_tui.screens.areas import AREAS, CLIENT_SCREENS
from msp_tui.screens.client_detail import TABS

FIX = ("add a row to SCREENS in src/msp_tui/core/access.py, then paste `python -m msp_tui.core.access` "
       "into docs/access.md")


def test_every_area_needs_what_the_access_doc_says():
    for name, area in AREAS.items():
        assert name in SCREENS, f"the area {name!r} has no row: {FIX}"
        want = SCREENS[name]
        assert area.action == (None if want == SIGNED_IN else want), (name, area.action, want)


def test_every_client_screen_and_tab_has_a_row():
    places = {f"client: {n}" for n in [*CLIENT_SCREENS, *TABS]}
    missing = sorted(places - set(SCREENS))
    assert not missing, f"{missing} have no row: {FIX}"
    known = set(AREAS) | places
    stale = sorted(set(SCREENS) - known)
    assert not stale, f"rows of SCREENS for places that no longer exist: {stale}"
