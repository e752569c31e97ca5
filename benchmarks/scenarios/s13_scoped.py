"""13. Scenarios 1-3 for a scoped Service User (S12, issue 18): the clients home painted from App(), a
filter keystroke and a page down on it, the timeline's pages and filter changes in core (beside the raw
SQL of the same scoped page) and on its screen, for a technician who serves 5 of 200 client groups (at
full size 100,000 clients: 500 in each group, 2,500 hers). Each figure sits beside the same one for a
Provider Admin (every client), measured alternately in the same run, so the cost of the scope shows.

The groups and the technician come with the benchmark database (core.demo.add_bench_scope); a database
loaded before they did gets them on first use."""

from __future__ import annotations

from datetime import timedelta

from benchmarks.common import Row, Samples, Skip, measured, require, run_async, timed_pair

TITLE = "13 scoped technician"
PAGE = 100
DEEP = 10


def scoped_technician(data, admin):
    """The technician of the scenario (core.demo.BENCH_TECH), signed in."""
    from sqlalchemy import select

    from msp_tui.core import demo
    from msp_tui.core.models import Staff
    from msp_tui.core.services import accounts

    email, _name, password = demo.BENCH_TECH
    with data.db.read() as s:
        have = s.execute(select(Staff.id).where(Staff.email == email, Staff.provider_id == admin.provider_id)).first()
    if have is None:
        demo.add_bench_scope(data.db, admin)
    return accounts.sign_in(data.db, email, password)


def _admin_note(row: Row, admin: Samples) -> Row:
    """The Provider Admin's same figure, in the row's note."""
    from benchmarks.common import median

    theirs = median(admin) * 1000 if admin else 0
    if theirs:
        row._add_note(f"Provider Admin {theirs:.1f} ms: the scope {(row.median or 0) / theirs:.1f}×")
    return row


def _timeline_core(ctx, backend, db, admin, tech) -> list[Row]:
    """Scenario 3's core pages for the technician, each beside the raw SQL of her page (≤ 3×) and the
    admin's same page."""
    from benchmarks.scenarios.s3_timeline import page_sql
    from msp_tui.core import clock
    from msp_tui.core.enums import EVENT_CATEGORIES
    from msp_tui.core.events import EventFilter
    from msp_tui.core.services import timeline

    mine, everyone = timeline.scope_for(db, tech), timeline.scope_for(db, admin)
    groups = sorted(mine.clients.group_ids or ())
    now = clock.now()
    flt = EventFilter(until=now)
    since, until = flt.time_range()
    if not timeline.page(db, mine, flt, limit=PAGE):
        raise Skip("none of the technician's events in the last 30 days: not here yet at this size")
    cursors = {}
    for who, scope in (("tech", mine), ("admin", everyone)):
        cursor = None
        for _ in range(DEEP - 1):  # (a small database's last page, if it has fewer)
            rows = timeline.page(db, scope, flt, before=cursor, limit=PAGE)
            if len(rows) < PAGE:
                break
            cursor = rows[-1].cursor
        cursors[who] = cursor
    members = EventFilter(categories=("members",), since=now - timedelta(days=7), until=now)
    m_since, m_until = members.time_range()
    members_30 = EventFilter(categories=("members",), until=now)
    m30_since, m30_until = members_30.time_range()
    vault = EventFilter(categories=("vault-access",), until=now)
    members_range = EVENT_CATEGORIES["members"]
    cases = [
        ("first page (30 days, newest first)", flt, None, page_sql(mine, since, until, groups=groups)),
        (f"one page further ({DEEP} pages down)", flt, "deep",
         page_sql(mine, since, until, before=cursors["tech"], groups=groups)),
        ("filter change (members, 7 days)", members, None,
         page_sql(mine, m_since, m_until, type_range=members_range, groups=groups)),
        ("filter change (members, 30 days)", members_30, None,
         page_sql(mine, m30_since, m30_until, type_range=members_range, groups=groups)),
        ("filter change (vault access, 30 days)", vault, None,
         page_sql(mine, since, until, types=timeline.filter_types(vault), groups=groups)),
    ]
    out = []
    n = ctx.repeat * 3
    with db.engine.connect() as conn:
        for what, f, deep, stmt in cases:
            def ours(f=f, deep=deep):
                return timeline.page(db, mine, f, before=cursors["tech"] if deep else None, limit=PAGE)

            def theirs(f=f, deep=deep):
                return timeline.page(db, everyone, f, before=cursors["admin"] if deep else None, limit=PAGE)

            got, raw = ours(), conn.execute(stmt).all()
            assert [r.id for r in got] == [r.id for r in raw], f"{what}: the raw SQL differs from the timeline"
            a, b = timed_pair(ours, lambda stmt=stmt: conn.execute(stmt).all(), n)
            c, _ = timed_pair(theirs, lambda: None, n)
            row = measured(TITLE, f"timeline {what} (core)", a, backend=backend, base=b,
                           baseline="raw SQL for her page").check_ratio(3, "≤ 3× raw SQL")
            out.append(_admin_note(row, c))
    return out


def _clients_core(ctx, backend, db, admin, tech) -> list[Row]:
    from msp_tui.core.services import clients

    out = []
    for what, kw in [("clients home page (core), 3-letter filter", {"text": "con"}),
                     ("clients home page (core), no filter", {}),
                     ("clients home page (core), sorted by seats left", {"sort": "remaining", "descending": True})]:
        a, b = timed_pair(lambda kw=kw: clients.list_clients(db, tech, **kw),
                          lambda kw=kw: clients.list_clients(db, admin, **kw), ctx.repeat * 3)
        out.append(measured(TITLE, what, a, backend=backend, base=b, baseline="the same for a Provider Admin")
                   .check(50))
    return out


def run(ctx) -> list[Row]:
    out = []
    for backend, data, admin in ctx.backends():
        tech = scoped_technician(data, admin)
        db = data.db
        out += _clients_core(ctx, backend, db, admin, tech)
        try:
            out += _timeline_core(ctx, backend, db, admin, tech)
        except Skip as why:
            out.append(Row(TITLE, "timeline (core)", backend, skipped=str(why)))
        try:
            require("msp_tui.app", "MspApp", branch="ui")
        except Skip as why:
            out.append(Row(TITLE, "screens", backend, skipped=str(why)))
            continue
        out += _screens(ctx, backend, data, admin, tech)
    return out


def _screens(ctx, backend, data, admin, tech) -> list[Row]:
    from benchmarks.scenarios import s1_first_paint, s2_clients, s3_timeline

    db = data.db
    out = []
    # 1: the clients home painted from App(), the technician's and the admin's alternately.
    run_async(s1_first_paint._home(db, tech, Samples()))  # warm
    mine, theirs = Samples(), Samples()
    for _ in range(ctx.repeat):
        run_async(s1_first_paint._home(db, tech, mine))
        run_async(s1_first_paint._home(db, admin, theirs))
    out.append(measured(TITLE, f"clients home painted, from App() ({data.clients:,} clients, hers "
                        f"{_count(db, tech):,})", mine, backend=backend, base=theirs,
                        baseline="the same for a Provider Admin").check(500))
    # 2: a filter keystroke and a page down on the home.
    run_async(s2_clients._session(db, tech))  # warm
    keys, pages, akeys, apages = Samples(), Samples(), Samples(), Samples()
    for _ in range(max(1, ctx.repeat // 3)):
        k, p = run_async(s2_clients._session(db, tech))
        keys += k
        pages += p
        k, p = run_async(s2_clients._session(db, admin))
        akeys += k
        apages += p
    for what, samples, base in [(f"clients home: filter keystroke ({len(s2_clients.TYPED)} keys typed), painted",
                                 keys, akeys), ("clients home: page down (10 presses), painted", pages, apages)]:
        out.append(measured(TITLE, what, samples, backend=backend, base=base,
                            baseline="the same for a Provider Admin").check(50))
    # 3: the timeline screen.
    try:
        opens, more, filters = run_async(s3_timeline._screen(db, tech, ctx.repeat))
    except RuntimeError as exc:  # a small database: fewer than two pages of the technician's events
        out.append(Row(TITLE, "timeline screen", backend, skipped=f"not here yet at this size: {exc}"))
        return out
    a_opens, a_more, a_filters = run_async(s3_timeline._screen(db, admin, ctx.repeat))
    for what, samples, base, budget_ms in [("timeline screen opened, first page painted", opens, a_opens, 500),
                                           ("timeline screen: G loads the next page, painted", more, a_more, 50),
                                           ("timeline screen: filter change (key 3/4), painted", filters, a_filters,
                                            50)]:
        out.append(measured(TITLE, what, samples, backend=backend, base=base,
                            baseline="the same for a Provider Admin").check(budget_ms))
    return out


def _count(db, actor) -> int:
    from msp_tui.core.services import clients

    return clients.count_clients(db, actor)


__all__ = ["run", "TITLE", "Samples"]
