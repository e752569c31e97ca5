"""2. One filter keystroke on the clients home, and one page down — beside the raw SQL for that page."""

from __future__ import annotations

import time

from benchmarks import ui
from benchmarks.common import Row, Samples, measured, require, run_async, timed_pair

TITLE = "2 clients keys"
TYPED = "contoso dental 1"
PAGE = 50


def page_sql(provider_id, text: str, after=None):
    """The SQL for one page of the home, by hand: walk the name index, keep the provider's clients
    (EXISTS on the link), filter on the name, keyset after the last row, LIMIT one more than a page."""
    from sqlalchemy import exists, select, tuple_

    from msp_tui.core.models import Client, Organization

    o, c = Organization.__table__.c, Client.__table__.c
    linked = exists().where(c.organization_id == o.id, c.provider_id == provider_id)
    stmt = select(o.id, o.name, o.name_lower, o.plan_type, o.seats, o.occupied_seats, o.seats_remaining,
                  o.status, o.billing_email, o.is_internal).where(linked)
    if text.strip():
        stmt = stmt.where(o.name_lower.like(f"%{text.strip().lower()}%"))
    if after is not None:
        stmt = stmt.where(tuple_(o.name_lower, o.id) > tuple_(*after))
    return stmt.order_by(o.name_lower, o.id).limit(PAGE + 1)


def baseline(db, provider_id, repeat: int) -> tuple[list[float], list[float]]:
    """(each keystroke's page, each next page) by raw SQL on one connection."""
    keys, pages = [], []
    with db.engine.connect() as conn:
        for _ in range(max(1, repeat // 3)):
            for i in range(1, len(TYPED) + 1):
                stmt = page_sql(provider_id, TYPED[:i])
                t = time.perf_counter()
                conn.execute(stmt).all()
                keys.append(time.perf_counter() - t)
            after = None
            for _ in range(10):
                stmt = page_sql(provider_id, "", after)
                t = time.perf_counter()
                got = conn.execute(stmt).all()
                pages.append(time.perf_counter() - t)
                # the next page after this one; from the top again at the end of the list
                after = (got[PAGE - 1].name_lower, got[PAGE - 1].id) if len(got) > PAGE else None
    return keys, pages


async def _session(db, actor) -> tuple[Samples, Samples]:
    from msp_tui.app import MspApp

    app = MspApp(db, actor=actor)
    async with app.run_test(size=ui.SIZE) as pilot:
        await ui.until(pilot, lambda: ui.clients_home_loaded(app))
        table = ui.clients_table(app)
        pages = Samples()
        while len(pages) < 10:
            if not await ui.timed_press(pilot, "pagedown", pages, may_paint_nothing=True):
                await pilot.press("g")  # the last row of a small list: from the top again
        assert len(table.rows) > PAGE or table._state.tail is None, "page down did not load the next page"
        await pilot.press("slash")
        await ui.settle(pilot)
        keys = Samples()
        for ch in TYPED:
            await ui.timed_press(pilot, "space" if ch == " " else ch, keys)
        assert all(TYPED in r.name.lower() for r in table.rows)  # (a small database may match none)
    return keys, pages


def run(ctx) -> list[Row]:
    require("msp_tui.app", "MspApp", branch="ui")
    out = []
    for backend, data, actor in ctx.backends():
        db = data.db
        run_async(_session(db, actor))  # warm
        keys, pages = Samples(), Samples()
        for _ in range(max(1, ctx.repeat // 3)):
            k, p = run_async(_session(db, actor))
            keys += k
            pages += p
        bk, bp = baseline(db, actor.provider_id, ctx.repeat)
        for what, samples, base in [(f"filter keystroke ({len(TYPED)} keys typed)", keys, bk),
                                    ("page down (10 presses)", pages, bp)]:
            row = measured(TITLE, what, samples, backend=backend, base=base, baseline="raw SQL for the page")
            out.append(row.check(50))
        # The use case alone, beside the same SQL: the share of the key press that is the query.
        from msp_tui.core.services import clients

        with db.engine.connect() as conn:
            stmt = page_sql(actor.provider_id, TYPED[:3])
            q, b = timed_pair(lambda: clients.list_clients(db, actor, text=TYPED[:3]),
                              lambda: conn.execute(stmt).all(), ctx.repeat * 2)
        out.append(measured(TITLE, "list_clients page (core), 3-letter filter", q, backend=backend, base=b,
                            baseline="raw SQL for the page"))
    return out
