"""3. The event timeline on 1,000,000 events: opened, one page further, one filter change —
each beside the raw SQL query for the same page."""

from __future__ import annotations

from datetime import timedelta

from benchmarks import ui
from benchmarks.common import Row, Samples, Skip, measured, require, run_async, timed_pair

TITLE = "3 timeline"
PAGE = 100
DEEP = 10  # "one page further" is measured from this many pages down


def page_sql(scope, since, until, before=None, type_range=None, *, types=None, groups=None):
    """The timeline page by hand: the event's columns, the client's name, the actor's name and email;
    `groups`: only the clients in these client groups (a scoped Service User's page, scenario 13)."""
    from sqlalchemy import and_, or_, select

    from msp_tui.core.models import Account, ClientGroupClient, Event, Organization

    e, o, a = Event.__table__, Organization.__table__, Account.__table__.alias("actor")
    stmt = (select(e, o.c.name, a.c.name, a.c.email)
            .outerjoin(o, o.c.id == e.c.organization_id).outerjoin(a, a.c.id == e.c.acting_account_id)
            .where(e.c.provider_id == scope.provider_id, e.c.date >= since, e.c.date <= until))
    if not scope.include_provider_log:
        stmt = stmt.where(e.c.provider_log.is_(False))
    if before is not None:
        stmt = stmt.where(e.c.date <= before[0],
                          or_(e.c.date < before[0], and_(e.c.date == before[0], e.c.id < before[1])))
    if type_range is not None:
        stmt = stmt.where(e.c.type.between(*type_range))
    if types is not None:
        stmt = stmt.where(e.c.type.in_(types))
    if groups is not None:
        g = ClientGroupClient.__table__.c
        stmt = stmt.where(e.c.organization_id.in_(select(g.organization_id).where(g.client_group_id.in_(groups))))
    return stmt.order_by(e.c.date.desc(), e.c.id.desc()).limit(PAGE)


def cases(db, actor, *, ten_million: bool = False, rebuild: str = "rebuild the benchmark database"):
    """(what, the timeline's page as `actor` reads it, the raw SQL for it): the first page, DEEP pages
    down and members over 7 days; then members over 30 days, or at ten million events (scenario 14)
    the long walks instead: one rare type and one client over 30 days. `rebuild`: how the data set
    that holds too few events is made again."""
    from sqlalchemy import select

    from msp_tui.core import clock
    from msp_tui.core.enums import EVENT_CATEGORIES, EventType
    from msp_tui.core.events import EventFilter
    from msp_tui.core.models import Event
    from msp_tui.core.services import timeline

    scope = timeline.scope_for(db, actor)
    now = clock.now()
    flt = EventFilter(until=now)
    since, until = flt.time_range()
    first = timeline.page(db, scope, flt, limit=PAGE)
    if len(first) < PAGE:
        raise Skip(f"only {len(first)} events in the last 30 days: {rebuild}")
    cursor = first[-1].cursor
    for _ in range(DEEP - 1):
        cursor = timeline.page(db, scope, flt, before=cursor, limit=PAGE)[-1].cursor
    members = EventFilter(categories=("members",), since=now - timedelta(days=7), until=now)
    out = [
        ("first page (30 days, newest first)", lambda: timeline.page(db, scope, flt, limit=PAGE),
         page_sql(scope, since, until)),
        (f"one page further ({DEEP} pages down)",
         lambda: timeline.page(db, scope, flt, before=cursor, limit=PAGE),
         page_sql(scope, since, until, before=cursor)),
        ("filter change (members, 7 days)", lambda: timeline.page(db, scope, members, limit=PAGE),
         page_sql(scope, *members.time_range(), type_range=EVENT_CATEGORIES["members"])),
    ]
    if not ten_million:
        # Over 30 days, PostgreSQL once walked 40,000 events of the date index for one member type.
        members_30 = EventFilter(categories=("members",), until=now)
        return out + [("filter change (members, 30 days)", lambda: timeline.page(db, scope, members_30, limit=PAGE),
                       page_sql(scope, *members_30.time_range(), type_range=EVENT_CATEGORIES["members"]))]
    one_type = EventFilter(types=(int(EventType.MEMBER_REVOKED),), until=now)  # 2 % of the mix: a long walk
    with db.read() as s:  # the client of the newest event that has one (the first page may hold none)
        client = s.execute(select(Event.organization_id).where(Event.organization_id.is_not(None))
                           .order_by(Event.id.desc()).limit(1)).scalar()
    if client is None:
        raise Skip(f"no event names a client: {rebuild}")
    one_client = EventFilter(client_ids=(client,), until=now)
    e = Event.__table__
    return out + [
        ("filter: one type (member revoked), 30 days", lambda: timeline.page(db, scope, one_type, limit=PAGE),
         page_sql(scope, since, until).where(e.c.type.in_(one_type.types))),
        ("filter: one client, 30 days", lambda: timeline.page(db, scope, one_client, limit=PAGE),
         page_sql(scope, since, until).where(e.c.organization_id == client)),
    ]


def measure(ctx, backend, db, listed, title: str = TITLE, prefix: str = "") -> list[Row]:
    """Each case's page beside its raw SQL (the same rows first), ≤ 3× the SQL."""
    out = []
    with db.engine.connect() as conn:
        for what, fn, stmt in listed:
            got = fn()
            raw = conn.execute(stmt).all()
            assert [r.id for r in got] == [r.id for r in raw], f"{what}: the raw SQL differs from the timeline"
            ours, base = timed_pair(fn, lambda: conn.execute(stmt).all(), ctx.repeat * 3)
            row = measured(title, f"{prefix}{what} (core)", ours, backend=backend, base=base,
                           baseline="raw SQL for the page")
            out.append(row.check_ratio(3, "≤ 3× raw SQL"))
    return out


async def _screen(db, actor, repeat: int) -> tuple[Samples, Samples, Samples]:
    """The timeline as a person opens it: the app on its clients home, then `t` (open_area)."""
    from msp_tui.app import MspApp
    from msp_tui.screens.timeline import TimelineScreen

    app = MspApp(db, actor=actor)
    opens, pages, filters = Samples(), Samples(), Samples()

    def opened() -> bool:
        return isinstance(app.screen, TimelineScreen) and ui.timeline_loaded(app.screen)

    async with app.run_test(size=ui.SIZE) as pilot:
        await ui.until(pilot, lambda: ui.clients_home_loaded(app))
        for i in range(repeat + 1):
            await ui.timed_until(pilot, lambda: app.open_area("timeline"), opened, opens if i else Samples())
            if i < repeat:
                app.pop_screen()
                await ui.settle(pilot)
        screen = app.screen
        for _ in range(repeat):
            before = len(screen.table.rows)
            await ui.timed_press(pilot, "G", pages)
            if len(screen.table.rows) <= before:
                raise RuntimeError("G did not load the next timeline page")
        for i in range(repeat):
            await ui.timed_press(pilot, "3" if i % 2 == 0 else "4", filters)
    return opens, pages, filters


def run(ctx) -> list[Row]:
    out = []
    for backend, data, actor in ctx.backends():
        out += measure(ctx, backend, data.db, cases(data.db, actor))
        try:
            require("msp_tui.screens.timeline", "TimelineScreen", branch="timeline")
        except Skip as why:
            out.append(Row(TITLE, "timeline screen: open, next page, filter", backend, skipped=str(why)))
            continue
        opens, pages, filters = run_async(_screen(data.db, actor, ctx.repeat))
        for what, samples, budget_ms in [("screen opened, first page painted", opens, 500),
                                         ("screen: G loads the next page, painted", pages, 50),
                                         ("screen: filter change (key 3/4), painted", filters, 50)]:
            out.append(measured(TITLE, what, samples, backend=backend).check(budget_ms))
    return out
