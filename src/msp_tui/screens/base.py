"""What every signed-in screen shares: header, footer, database workers, and who-may-do-what.

A screen lists the bindings core decides on in `GUARDED` (action name → core `Action`). The
decisions come from `core.access.standing_for` + `decide` in a worker; until they arrive, and
whenever core says no, the binding is greyed out (`check_action` → None) and pressing it shows
core's reason (see `MspApp.run_action`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from msp_tui.core.access import Action, Decision, decide, standing_for
from msp_tui.core.errors import MspError
from msp_tui.widgets.header import AppHeader
from msp_tui.widgets.keybar import KeyBar
from msp_tui.widgets.threads import deliver


def decisions_for(db, actor, actions: dict[str, Action], organization_id: uuid.UUID | None = None
                  ) -> dict[str, Decision]:
    """Core's decision for each guarded action (provider-level ones against the provider)."""
    from msp_tui.core.access import PROVIDER_ACTIONS

    with db.read() as s:
        org_standing = standing_for(s, actor, organization_id=organization_id) if organization_id else None
        prov_standing = standing_for(s, actor)
    out = {}
    for name, action in actions.items():
        standing = org_standing if (org_standing is not None and action not in PROVIDER_ACTIONS) else prov_standing
        out[name] = decide(standing, action)
    return out


class MspScreen(Screen):
    """Base of signed-in screens."""

    TITLE_TEXT = "msp-tui"
    #: action name → core Action; greyed out unless core allows it.
    GUARDED: dict[str, Action] = {}
    #: Guarded actions hidden (not just greyed) when refused: a Service User sees no staff management,
    #: no "add existing", no unlink. Help still lists them with core's reason; pressing them says why.
    HIDDEN_WHEN_REFUSED: frozenset[str] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.decisions: dict[str, Decision] = {}

    @property
    def db(self):
        return self.app.db

    @property
    def actor(self):
        return self.app.actor

    #: The client whose standing decides org-level actions (None: the provider).
    guard_organization_id: uuid.UUID | None = None

    def compose_header(self):
        yield AppHeader(self.TITLE_TEXT)

    def compose_footer(self):
        yield KeyBar()

    def on_mount(self) -> None:
        self.load_decisions()

    def load_decisions(self) -> None:
        if not self.GUARDED:
            return
        org = self.guard_organization_id
        self.run_db(decisions_for, self.db, self.actor, dict(self.GUARDED), org, on_done=self._got_decisions,
                    group="decisions")

    def _got_decisions(self, decisions: dict[str, Decision]) -> None:
        self.decisions = decisions
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.GUARDED:
            d = self.decisions.get(action)
            if d is not None and d.allowed:
                return True
            return False if d is not None and action in self.HIDDEN_WHEN_REFUSED else None
        return True

    def refusal_for(self, action: str) -> Decision | None:
        """Core's refusal for a guarded action, or None when it is allowed (or not guarded)."""
        if action not in self.GUARDED:
            return None
        d = self.decisions.get(action)
        if d is None:
            return Decision(False, "loading", "Still checking what you may do here; try again in a moment.")
        return None if d.allowed else d

    # --- database work off the UI thread ----------------------------------------------------------

    def run_db(self, fn: Callable, *args, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[MspError], None] | None = None, group: str = "db",
               exclusive: bool = False, **kwargs) -> None:
        """Run `fn(*args, **kwargs)` in a thread; hand its result (or core's refusal) back on the UI thread."""

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except MspError as exc:
                deliver(self, on_error or self.show_error, exc)
                return
            if on_done is not None:
                deliver(self, on_done, result)

        self.run_worker(job, thread=True, group=group, exclusive=exclusive)

    def show_error(self, exc: MspError) -> None:
        self.app.show_error(exc)
