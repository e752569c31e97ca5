"""13. Scenarios 2 and 3 for a scoped Service User (S12): the clients home (filter keystroke, page down)
and the timeline (first page, ten pages down, a filter change) for a technician who serves 5 of 200
client groups (at full size 100,000 clients: 500 in each group, 2,500 theirs). Each core figure sits
beside the same page for a Provider Admin (unscoped), so the cost of the scope filter shows.
The groups and the technician are added to the benchmark database once (they survive its reuse)."""

from __future__ import annotations

from datetime import timedelta

from benchmarks.common import Row, Samples, Skip, measured, require, run_async, timed_pair

TITLE = "13 scoped technician"
GROUPS = 200
SCOPED_TO = 5
EMAIL = "scoped-tech@bench.example"


def scoped_technician(data, admin):
    """The technician of the scenario, signed in: on first use, 200 client groups with every client in
    one of them (round robin by id, bulk insert: setup, not a measured path) and the technician
    invited, confirmed and scoped to 5 of them through the real use cases."""
    from sqlalchemy import insert, select

    from msp_tui.core.models import Client, ClientGroup, ClientGroupClient, Staff
    from msp_tui.core.services import accounts, client_groups, staff

    db = data.db
    with db.read() as s:
        have = s.execute(select(Staff.id).where(Staff.email == EMAIL, Staff.provider_id == admin.provider_id)).first()
    if have is None:
        names = [f"Bench group {i:03d}" for i in range(GROUPS)]
        for name in names:
            client_groups.create_client_group(db, admin, name)
        with db.write() as s:
            ids = dict(s.execute(select(ClientGroup.name, ClientGroup.id)
                                 .where(ClientGroup.provider_id == admin.provider_id)).all())
            orgs = s.execute(select(Client.organization_id).where(Client.provider_id == admin.provider_id)
                             .order_by(Client.organization_id)).scalars().all()
            rows = [{"client_group_id": ids[names[i % GROUPS]], "organization_id": o} for i, o in enumerate(orgs)]
            for lo in range(0, len(rows), 10_000):
                s.execute(insert(ClientGroupClient), rows[lo:lo + 10_000])
        secret = staff.invite(db, admin, [EMAIL], "service").secrets[EMAIL]
        accounts.accept_invitations(db, email=EMAIL, secret=secret, password=data.password, name="Scoped Tech")
        staff.confirm(db, admin, EMAIL)
        client_groups.set_staff_scope(db, admin, EMAIL, names[:SCOPED_TO])
    return accounts.sign_in(db, EMAIL, data.password)


def _core(ctx, backend, db, admin, tech) -> list[Row]:
    from msp_tui.core import clock
    from msp_tui.core.events import EventFilter
    from msp_tui.core.services import clients, timeline

    out = []
    n = ctx.repeat * 3
    mine, everyone = timeline.scope_for(db, tech), timeline.scope_for(db, admin)
    now = clock.now()
    flt = EventFilter(until=now)
    members = EventFilter(categories=("members",), since=now - timedelta(days=7), until=now)

    def deep(scope):
        cursor, rows = None, []
        for _ in range(10):
            rows = timeline.page(db, scope, flt, before=cursor, limit=100)
            if len(rows) < 100:
                break
            cursor = rows[-1].cursor
        return rows

    cases = [
        ("clients home page (core), 3-letter filter",
         lambda: clients.list_clients(db, tech, text="con"), lambda: clients.list_clients(db, admin, text="con")),
        ("clients home page (core), no filter",
         lambda: clients.list_clients(db, tech), lambda: clients.list_clients(db, admin)),
        ("client count (core)", lambda: clients.count_clients(db, tech), lambda: clients.count_clients(db, admin)),
        ("timeline first page (core)", lambda: timeline.page(db, mine, flt, limit=100),
         lambda: timeline.page(db, everyone, flt, limit=100)),
        ("timeline 10 pages down (core)", lambda: deep(mine), lambda: deep(everyone)),
        ("timeline filter change, members 7 days (core)", lambda: timeline.page(db, mine, members, limit=100),
         lambda: timeline.page(db, everyone, members, limit=100)),
    ]
    for what, fn, base in cases:
        ours, theirs = timed_pair(fn, base, n)
        budget = 500 if "10 pages" in what else 50
        out.append(measured(TITLE, what, ours, backend=backend, base=theirs,
                            baseline="the same for a Provider Admin").check(budget))
    return out


def run(ctx) -> list[Row]:
    from benchmarks.scenarios import s2_clients, s3_timeline

    out = []
    for backend, data, admin in ctx.backends():
        tech = scoped_technician(data, admin)
        out += _core(ctx, backend, data.db, admin, tech)
        try:
            require("msp_tui.app", "MspApp", branch="ui")
        except Skip as why:
            out.append(Row(TITLE, "screens", backend, skipped=str(why)))
            continue
        keys, pages = run_async(s2_clients._session(data.db, tech))
        out.append(measured(TITLE, "clients home: filter keystroke, painted", keys, backend=backend).check(50))
        out.append(measured(TITLE, "clients home: page down, painted", pages, backend=backend).check(50))
        try:
            opens, more, filters = run_async(s3_timeline._screen(data.db, tech, ctx.repeat))
        except RuntimeError as exc:  # a small database: fewer than two pages of the technician's events
            out.append(Row(TITLE, "timeline screen", backend, skipped=f"not here yet at this size: {exc}"))
            continue
        for what, samples, budget_ms in [("timeline screen opened, first page painted", opens, 500),
                                         ("timeline screen: G loads the next page, painted", more, 50),
                                         ("timeline screen: filter change (key 3/4), painted", filters, 50)]:
            out.append(measured(TITLE, what, samples, backend=backend).check(budget_ms))
    return out


__all__ = ["run", "TITLE", "Samples"]
