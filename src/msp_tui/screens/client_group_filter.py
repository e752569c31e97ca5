"""The client group filter of a list (issue 18), in one place: the clients home (`f`), billing (`f`)
and the timeline (`F`, its `f` follows) narrow to one client group's clients with it, and the palette
offers it on each ("clients: filter by client group", "billing: …", "timeline: …").

Each press asks core for the client groups the person may see (a scoped Service User: those of their
scope, S12) and moves to the next: none → the first group → … → the last → every client again.

    class BillingScreen(ClientGroupFilter, ListScreen):
        def client_group_changed(self) -> None:   # narrow the list to self.client_group_id
            ...
"""

from __future__ import annotations

import uuid

NO_GROUPS = "There are no client groups yet (msp-tui clients groups create, or a on the clients home)."


class ClientGroupFilter:
    """Mix into a list screen (its `db`, `actor` and `run_db`); it implements `client_group_changed()`."""

    #: The client group the list is narrowed to: (id, name), or None for every client.
    client_group: tuple[uuid.UUID, str] | None = None

    @property
    def client_group_id(self) -> uuid.UUID | None:
        return self.client_group[0] if self.client_group else None

    def client_group_text(self, key: str = "f") -> str:
        """For a status line: 'client group “Gold” (f: next)', or '' for every client."""
        return f"client group “{self.client_group[1]}” ({key}: next)" if self.client_group else ""

    def action_cycle_group(self) -> None:
        """Only the clients of the first client group; again: the next one; after the last: all."""
        from msp_tui.core.services.client_groups import list_client_groups

        self.run_db(list_client_groups, self.db, self.actor, on_done=self._next_client_group,
                    on_error=lambda e: self.notify(e.message, severity="error", markup=False),
                    group="client-groups", exclusive=True)

    def _next_client_group(self, groups) -> None:
        ids = [g.id for g in groups]
        if not ids:
            self.notify(NO_GROUPS, timeout=4, markup=False)
            if self.client_group is None:
                return
            self.client_group = None
        elif self.client_group is None or self.client_group[0] not in ids:
            self.client_group = (groups[0].id, groups[0].name)
        else:
            i = ids.index(self.client_group[0]) + 1
            self.client_group = (groups[i].id, groups[i].name) if i < len(groups) else None
        self.client_group_changed()

    def client_group_changed(self) -> None:
        """The filter moved: show the list of `client_group_id` (None: every client)."""
        raise NotImplementedError
