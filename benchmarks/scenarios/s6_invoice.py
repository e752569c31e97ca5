"""6. The consolidated invoice of every client (100,000), beside the one SQL query it reads."""

from __future__ import annotations

from benchmarks.common import Row, measured, require, timed_pair

TITLE = "6 invoice"


def run(ctx) -> list[Row]:
    billing = require("msp_tui.core.services.billing", "consolidated_invoice", branch="billing")
    return [_run(ctx, billing, backend, data, actor) for backend, data, actor in ctx.backends()]


def _run(ctx, billing, backend, data, actor) -> Row:
    from sqlalchemy import select

    from msp_tui.core.models import Client, Organization

    db = data.db
    if hasattr(billing, "set_billing_mode"):
        billing.set_billing_mode(db, actor, "consolidated")
    inv = billing.consolidated_invoice(db, actor)
    clients = sum(1 for r in inv.rows if r.id)
    o, c = Organization.__table__.c, Client.__table__.c
    stmt = (select(o.name, o.id, o.seats, o.occupied_seats, o.plan_type)
            .join(Client.__table__, c.organization_id == o.id).where(c.provider_id == actor.provider_id)
            .order_by(o.name_lower, o.id))
    n = max(3, ctx.repeat)
    with db.engine.connect() as conn:
        ours, base = timed_pair(lambda: billing.consolidated_invoice(db, actor), lambda: conn.execute(stmt).all(), n)
    row = measured(TITLE, f"consolidated invoice of {clients:,} clients", ours, unit="s", base=base,
                   baseline="its SQL query alone", backend=backend)
    row.check(1.0)
    return row
