"""The client's access report (issue 18): every provider staff action on one client in a period,
grouped by person with totals, the scope each acted under, and the log's verification status when
the report was made. What the MSP hands the client at a quarterly review: a self-contained HTML file
(inline CSS, no network resources, every value escaped, printable) or a CSV.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from msp_tui.core import clock
from msp_tui.core.access import Action, check
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import EVENT_CATEGORIES, EventType, StaffRole
from msp_tui.core.errors import BadInput
from msp_tui.core.event_text import describe
from msp_tui.core.models import Account, Event, Staff
from msp_tui.core.services.common import find_client

E = EventType
#: The report's columns, in order: what a client asks about its vault.
CATEGORIES = ("vault opened", "items viewed", "passwords revealed", "passwords copied", "items changed",
              "exports", "member changes", "policy changes", "key and settings", "approvals", "break-glass")
ALL_CLIENTS = "every client"


def category(type_: int) -> str:
    if type_ in (E.ORGANIZATION_VAULT_ACCESSED, E.CLIENT_VAULT_ACCESSED):
        return "vault opened"
    if type_ == E.ITEM_CLIENT_VIEWED:
        return "items viewed"
    if type_ == E.ITEM_CLIENT_TOGGLED_PASSWORD_VISIBLE:
        return "passwords revealed"
    if type_ == E.ITEM_CLIENT_COPIED_PASSWORD:
        return "passwords copied"
    if type_ in (E.ORGANIZATION_CLIENT_EXPORTED_VAULT, E.USER_CLIENT_EXPORTED_VAULT):
        return "exports"
    if 1100 <= type_ < 1200:
        return "items changed"
    if 1300 <= type_ < 1600:
        return "member changes"  # members, and the groups and collections that give them access
    if 1700 <= type_ < 1800:
        return "policy changes"
    lo, hi = EVENT_CATEGORIES.get("approvals", (2000, 2019))
    if lo <= type_ <= hi:
        return "approvals"
    if 2020 <= type_ < 2040:
        return "break-glass"
    return "key and settings"


@dataclass(frozen=True)
class Line:
    date: datetime
    category: str
    what: str
    event_id: int


@dataclass
class Person:
    email: str
    name: str
    role: str
    scope: str
    totals: Counter = field(default_factory=Counter)
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.totals.values())


@dataclass(frozen=True)
class Verification:
    ok: bool
    text: str


@dataclass
class AccessReport:
    client: str
    client_id: uuid.UUID
    provider: str
    since: datetime
    until: datetime
    made_at: datetime
    made_by: str
    people: list[Person]
    verification: Verification

    @property
    def totals(self) -> Counter:
        out: Counter = Counter()
        for p in self.people:
            out.update(p.totals)
        return out


def _staff_accounts(s, provider_id) -> dict[uuid.UUID, Staff | None]:
    """The provider's staff now, and everyone it ever confirmed (a removed technician's actions stay
    in the report): account id -> their staff row, or None once removed."""
    now = {st.account_id: st for st in s.execute(select(Staff).where(
        Staff.provider_id == provider_id, Staff.account_id.is_not(None))).scalars()}
    past = s.execute(select(Event.account_id).where(
        Event.provider_id == provider_id, Event.type == int(E.STAFF_CONFIRMED),
        Event.account_id.is_not(None)).distinct()).scalars()
    return {**{a: None for a in past}, **now}


def scope_of(s, staff: Staff | None) -> str:
    """The clients a person may act on, as S12 (core.scope) has it when the report is made: every
    client (Provider Admins always), or their client groups."""
    from msp_tui.core import scope

    if staff is None:
        return "no longer staff"
    return scope.scope_of_staff(s, staff).label


def verification(db: Database, session) -> Verification:
    """The log checked now (links, hashes, signatures, the checkpoint file where there is one)."""
    from msp_tui.core import checkpoint as checkpoints
    from msp_tui.core import events as core_events

    path = checkpoints.default_path(db)
    known = None
    if path is not None and os.path.exists(path):
        try:
            known = checkpoints.read_file(path)
        except BadInput:
            return Verification(False, f"The checkpoint file {path} cannot be read: the log could not be checked.")
    result = core_events.verify_chain(session, checkpoints=[cp.as_tuple() for cp in known.checkpoints] if known else (),
                                      pins=known.keys if known else {})
    if not result.ok:
        where = f" at event {result.event_id}" if result.event_id is not None else ""
        return Verification(False, f"BROKEN{where}: {result.problem}. The log may have been altered; "
                            "what this report lists cannot be relied on.")
    against = ", and match the checkpoint file kept outside the database" if known else \
        " (no checkpoint file was kept outside the database to compare with)"
    return Verification(True, f"Verified: all {result.count:,} events of the log are linked, unaltered and "
                        f"validly signed{against}.")


def build(db: Database, actor: Actor, client, since: datetime, until: datetime | None = None) -> AccessReport:
    until = until or clock.now()
    if since >= until:
        raise BadInput("--since must be before --until.", "since")
    with db.read(transaction=True) as s:
        org = find_client(s, actor.provider_id, client)
        check(s, actor, Action.VIEW_CLIENT_EVENTS, organization_id=org.id)
        from msp_tui.core.models import Client, Provider

        provider_id = s.execute(select(Client.provider_id).where(Client.organization_id == org.id)).scalar()
        provider = s.get(Provider, provider_id)
        staff = _staff_accounts(s, provider_id)
        rows = s.execute(select(Event.id, Event.type, Event.date, Event.acting_account_id, Event.detail,
                                Event.item_id).where(
            Event.organization_id == org.id, Event.date >= since, Event.date < until,
            # Opening the vault writes 1603 (the client's record) and 1903 (the provider's): count it once.
            Event.type != int(E.CLIENT_VAULT_ACCESSED),
            Event.acting_account_id.in_(list(staff) or [uuid.uuid4()])).order_by(Event.date, Event.id)).all()
        people: dict[uuid.UUID, Person] = {}
        for ev_id, type_, date, who, detail, item_id in rows:
            p = people.get(who)
            if p is None:
                acc = s.get(Account, who)
                st = staff.get(who)
                role = StaffRole(st.role).label if st is not None else "former staff"
                p = people[who] = Person(acc.email if acc else str(who), acc.name if acc else "", role,
                                         scope_of(s, st))
            cat = category(type_)
            p.totals[cat] += 1
            what = describe(type_, json.loads(detail) if detail else None)
            if item_id is not None:
                what += f" (item {uuid.UUID(str(item_id))})"
            p.lines.append(Line(date, cat, what, ev_id))
        check_result = verification(db, s)
        return AccessReport(org.name, org.id, provider.name if provider else "", since, until, clock.now(),
                            actor.email, sorted(people.values(), key=lambda p: (-p.total, p.email)), check_result)


# --- writing it out -----------------------------------------------------------------------------

def _t(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC")


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;margin:2rem;line-height:1.4}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.75rem 0 .25rem;border-bottom:1px solid #ccc}
.meta{color:#444;margin:0 0 1rem}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f0f0f0}
td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#0a5c2b}.bad{color:#9b1111;font-weight:bold}
.status{border:2px solid currentColor;padding:.5rem .75rem;margin:1rem 0}
@media print{body{margin:1cm}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
"""


def to_html(r: AccessReport) -> str:
    e = html.escape
    totals = r.totals
    status_class = "ok" if r.verification.ok else "bad"
    out = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        # No network: nothing here may load from anywhere (the file is handed to the client).
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Access report: {e(r.client)}</title><style>{CSS}</style></head><body>",
        f"<h1>Provider access to {e(r.client)}</h1>",
        f'<p class="meta">Every action of {e(r.provider)} staff on {e(r.client)} from {e(_t(r.since))} to '
        f"{e(_t(r.until))}. Made {e(_t(r.made_at))} by {e(r.made_by)}.</p>",
        f'<p class="status {status_class}" id="verification">Event log: {e(r.verification.text)}</p>',
        "<h2>Totals</h2>", '<table id="totals"><thead><tr><th>Person</th><th>Role</th><th>Scope</th>',
        *[f"<th>{e(c)}</th>" for c in CATEGORIES], "<th>All</th></tr></thead><tbody>",
    ]
    for p in r.people:
        out.append(f"<tr><td>{e(p.name or p.email)}<br><small>{e(p.email)}</small></td><td>{e(p.role)}</td>"
                   f"<td>{e(p.scope)}</td>" + "".join(f'<td class="n">{p.totals[c]}</td>' for c in CATEGORIES)
                   + f'<td class="n">{p.total}</td></tr>')
    out.append("<tr><th colspan=\"3\">Everyone</th>" + "".join(f'<th class="n">{totals[c]}</th>' for c in CATEGORIES)
               + f'<th class="n">{sum(totals.values())}</th></tr></tbody></table>')
    if not r.people:
        out.append("<p>No provider staff acted on this client in the period.</p>")
    for p in r.people:
        out.append(f"<h2>{e(p.name or p.email)} &lt;{e(p.email)}&gt;</h2>")
        out.append(f'<p class="meta">{e(p.role)}; scope when this report was made: {e(p.scope)}. '
                   f"{p.total} actions.</p>")
        out.append("<table><thead><tr><th>When</th><th>Kind</th><th>What</th><th>Event</th></tr></thead><tbody>")
        for line in p.lines:
            out.append(f"<tr><td>{e(_t(line.date))}</td><td>{e(line.category)}</td><td>{e(line.what)}</td>"
                       f'<td class="n">{line.event_id}</td></tr>')
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


CSV_COLUMNS = ["person", "email", "role", "scope", "date", "kind", "what", "event_id"]


def to_csv(r: AccessReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["# access report", r.client, _t(r.since), _t(r.until), r.verification.text])
    w.writerow(CSV_COLUMNS)
    for p in r.people:
        for line in p.lines:
            w.writerow([_cell(p.name), _cell(p.email), p.role, _cell(p.scope), line.date.isoformat() + "Z",
                        line.category, _cell(line.what), line.event_id])
    return buf.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet does not run what a cell says: a leading = + - @ is quoted away."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def format_for(path: str, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("html", "csv"):
            raise BadInput("--format: use html or csv.", "format")
        return fmt
    ext = os.path.splitext(path)[1].lower()
    if ext in (".html", ".htm"):
        return "html"
    if ext == ".csv":
        return "csv"
    raise BadInput(f"{path}: name it .html or .csv, or say --format html|csv.", "output")


def write(r: AccessReport, path: str, fmt: str | None = None) -> str:
    """Write the report to `path` (created 0600: it names the client's people and what was opened)."""
    kind = format_for(path, fmt)
    text = to_html(r) if kind == "html" else to_csv(r)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode under O_CREAT; this one must not
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return kind
