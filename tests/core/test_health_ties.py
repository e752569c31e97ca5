"""Health findings of one kind and one count are listed by client name, not by the clients' random ids:
the same report twice reads the same, and a person finds a client where the alphabet says
(the 80x24 snapshot of the health screen changed order from run to run)."""

from __future__ import annotations

from datetime import datetime, timedelta

from msp_tui.core import clock
from msp_tui.core.services import clients, health, members


def test_stale_invitations_with_equal_counts_are_listed_by_client_name(db, admin):
    names = ["Kappa", "Alpha", "Theta", "Delta", "Omega", "Beta", "Gamma", "Zeta"]
    start = datetime(2026, 11, 1, 9, 0)
    clock.freeze(start)
    for name in names:
        org = clients.create_client(db, admin, name=name, plan="teams-monthly", seats=5,
                                    owner_email=f"owner@{name.lower()}.example")
        members.invite(db, admin, org.id, [f"late@{name.lower()}.example"], "user")
    clock.freeze(start + timedelta(days=10))
    found = [f.client_name for f in health.report(db, admin, kinds=("stale-invites",)).findings
             if f.kind == "stale-invites"]
    assert found == sorted(names)
