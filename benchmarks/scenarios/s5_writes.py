"""5. One state change with its event (p95), and a bulk invite of 1,000 members — beside the same
transactions written by hand in SQLAlchemy Core (no validation, access check, ORM or signature)."""

from __future__ import annotations

import time
import uuid

from benchmarks.common import Row, Samples, Stopwatch, measured

TITLE = "5 writes"
PER_CALL = 20  # members.invite takes at most 20 addresses at a time


_SYSTEM_SIGNER: dict = {}


def _system_signer(db, actor):
    """The provider's system key as a signing function: every event is signed, a system event too."""
    from msp_tui.core import crypto, keys

    if db not in _SYSTEM_SIGNER:
        with db.read() as s:
            _SYSTEM_SIGNER[db] = crypto.signer(keys.system_signing_key(s, actor, actor.provider_id))
    return _SYSTEM_SIGNER[db]


def _chained_event(s, type_, organization_id, detail: str | None, sign):
    """Insert one event linked into the chain by hand (a system event: no actor; the system key signs)."""
    from sqlalchemy import insert, select, update

    from msp_tui.core import clock, events
    from msp_tui.core.enums import PROVIDER_LOG_TYPES
    from msp_tui.core.models import Client, Event, EventChainHead

    head_t = EventChainHead.__table__
    head = s.execute(select(head_t.c.last_event_id, head_t.c.last_hash).where(head_t.c.id == 1)).one()
    provider_id = s.execute(select(Client.__table__.c.provider_id)
                            .where(Client.__table__.c.organization_id == organization_id)).scalar()
    values = dict(id=head.last_event_id + 1, type=int(type_), date=clock.now(), provider_id=provider_id,
                  provider_log=type_ in PROVIDER_LOG_TYPES, organization_id=organization_id, detail=detail)
    digest = events.chain_hash(head.last_hash, values)
    s.execute(insert(Event.__table__).values(**values, prev_hash=head.last_hash, hash=digest, signature=sign(digest)))
    s.execute(update(head_t).where(head_t.c.id == 1).values(
        last_event_id=values["id"], last_hash=digest, count=head_t.c.count + 1))


def _raw_rename(db, org_id, name: str, sign) -> None:
    from sqlalchemy import update

    from msp_tui.core.enums import EventType
    from msp_tui.core.models import Organization

    o = Organization.__table__
    with db.write() as s:
        s.execute(update(o).where(o.c.id == org_id).values(name=name, name_lower=name.lower(),
                                                            version=o.c.version + 1))
        _chained_event(s, EventType.ORGANIZATION_UPDATED, org_id, '{"name":["a","b"]}', sign)


def _raw_invite(db, org_id, emails: list[str], sign) -> None:
    from sqlalchemy import func, insert, select, update

    from msp_tui.core import clock
    from msp_tui.core.enums import EventType, MemberRole, MemberStatus
    from msp_tui.core.models import Member, Organization

    m, o = Member.__table__, Organization.__table__
    now = clock.now()
    with db.write() as s:
        s.execute(insert(m), [dict(id=uuid.uuid4(), organization_id=org_id, email=e, role=int(MemberRole.USER),
                                   status=int(MemberStatus.INVITED), invited_at=now, created_at=now,
                                   revision_date=now, version=1) for e in emails])
        for e in emails:
            _chained_event(s, EventType.MEMBER_INVITED, org_id, f'{{"email":"{e}"}}', sign)
        used = s.execute(select(func.count()).select_from(m).where(m.c.organization_id == org_id)).scalar()
        s.execute(update(o).where(o.c.id == org_id).values(occupied_seats=used))


def _new_client(db, actor, tag: str, invites: int):
    from msp_tui.core.services import clients

    return clients.create_client(db, actor, name=f"Bench {tag} {uuid.uuid4().hex[:8]}",
                                 plan="enterprise-monthly", seats=invites + 10,
                                 owner_email=f"owner-{uuid.uuid4().hex[:8]}@bench.example")


def _batches(tag: str, invites: int):
    emails = [f"{tag}-{i}@bench.example" for i in range(invites)]
    return [emails[i:i + PER_CALL] for i in range(0, invites, PER_CALL)]


def run(ctx) -> list[Row]:
    from msp_tui.core.services import clients, members

    out = []
    for backend, data, actor in ctx.backends():
        db = data.db
        sign = _system_signer(db, actor)
        target = clients.list_clients(db, actor, limit=1).rows[0]
        original = target.name
        n = ctx.repeat * 8
        ours, base = Samples(), Samples()
        try:
            for i in range(n + 2):  # alternate with the baseline, so drift hits both alike
                with Stopwatch() as sw:
                    clients.rename(db, actor, target.id, f"{original} (bench {i})")
                if i >= 2:
                    ours.add(sw.wall, sw.cpu)
                with Stopwatch() as sw:
                    _raw_rename(db, target.id, f"{original} (raw {i})", sign)
                if i >= 2:
                    base.add(sw.wall, sw.cpu)
        finally:
            clients.rename(db, actor, target.id, original)
        row = measured(TITLE, "rename a client + its event (one transaction)", ours, backend=backend, base=base,
                       baseline="same UPDATE + chained INSERT in Core")
        if backend == "sqlite":
            row.check(10)
        out.append(row)
        bulk, raw = Samples(), Samples()
        for r in range(max(1, ctx.repeat // 3)):
            org = _new_client(db, actor, f"invite {backend} {r}", ctx.invites)
            tag = uuid.uuid4().hex[:8]
            with Stopwatch() as sw:
                for batch in _batches(tag, ctx.invites):
                    members.invite(db, actor, org.id, batch)
            bulk.add(sw.wall, sw.cpu)
            org2 = _new_client(db, actor, f"raw invite {backend} {r}", ctx.invites)
            with Stopwatch() as sw:
                for batch in _batches(tag, ctx.invites):
                    _raw_invite(db, org2.id, batch, sign)
            raw.add(sw.wall, sw.cpu)
        row = measured(TITLE, f"bulk invite of {ctx.invites:,} members ({ctx.invites // PER_CALL} × {PER_CALL})", bulk,
                       unit="s", backend=backend, base=raw, baseline="same inserts + chained events in Core")
        out.append(row)
    return out
