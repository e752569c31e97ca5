"""`events export` writes what the timeline shows, cell for cell, on SQLite and PostgreSQL.

The export streams plain rows (core.events.stream) and formats each distinct value once. These tests
hold it to a reference built the plain way: every row through `events.iterate` and `timeline.shown`,
each cell neutralised and written by csv.writer / json.dumps. Hostile names, emails, devices, addresses
and details, events about personal items (S3), missing people and clients, and the filters are covered.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, update

from msp_tui.cli import cli
from msp_tui.cli import events as cli_events
from msp_tui.core import clock, events, export
from msp_tui.core.context import Actor
from msp_tui.core.enums import EventType
from msp_tui.core.errors import Refused
from msp_tui.core.event_text import describe, type_name
from msp_tui.core.events import EventFilter
from msp_tui.core.models import Account, Event, EventChainHead, Organization
from msp_tui.core.services import accounts, clients, members, staff, timeline
from tests.conftest import PASSWORD

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SECRET = "My secret bank"


# --- the reference: the plain way, one EventRow at a time -----------------------------------------


def _shown(ch: str, keep: str) -> str:
    """A control character as the exports write it (issue 15, attack 10): `\\u001b`, or kept."""
    code = ord(ch)
    controls = (code < 0x20 or 0x7f <= code <= 0x9f or ch in "\u061c\u200e\u200f"
                or 0x202a <= code <= 0x202e or 0x2066 <= code <= 0x2069)
    return f"\\u{code:04x}" if controls and ch not in keep else ch


def _neutral(text: str) -> str:
    text = "".join(_shown(ch, "\t\n") for ch in text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _json_line(value: dict) -> str:
    """json.dumps, with DEL, C1 and bidi controls and the line separators escaped as well."""
    text = json.dumps(value, ensure_ascii=False)  # C0 is escaped by json.dumps already
    c0 = "".join(map(chr, range(0x20)))
    return "".join(f"\\u{ord(ch):04x}" if ch in "\u2028\u2029" else _shown(ch, c0) for ch in text)


def reference_csv(db, scope, flt) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(export.CSV_COLUMNS)
    with db.read() as s:
        for r in map(timeline.shown, events.iterate(s, scope, flt)):
            icon, app = export.APPS.get(r.device, ("", r.device or ""))
            w.writerow([_neutral(describe(r.type, r.detail)), icon, _neutral(app),
                        str(r.acting_account_id or ""), _neutral(r.actor_name or ""), _neutral(r.actor_email or ""),
                        r.date.isoformat(timespec="microseconds") + "Z",
                        "" if r.ip_address is None else _neutral(r.ip_address), type_name(r.type), "",
                        _neutral(r.client_name or ""), str(r.organization_id or ""), r.id])
    return out.getvalue()


def reference_jsonl(db, scope, flt) -> str:
    lines = []
    with db.read() as s:
        for r in map(timeline.shown, events.iterate(s, scope, flt)):
            lines.append(_json_line({
                "id": str(r.id), "date": r.date.isoformat(timespec="microseconds") + "Z", "type": r.type,
                "type_name": type_name(r.type), "message": describe(r.type, r.detail), "client": r.client_name,
                "client_id": str(r.organization_id) if r.organization_id else None, "actor_name": r.actor_name,
                "actor_email": r.actor_email,
                "actor_id": str(r.acting_account_id) if r.acting_account_id else None,
                "device": r.device, "ip": r.ip_address}) + "\n")
    return "".join(lines)


# --- a timeline full of awkward values ------------------------------------------------------------


def _personal_item_event(db, provider_id, account_id, at):
    """An event about a personal item written around record() (as a bulk import might): its detail
    names the item, which S3 forbids any export to show."""
    with db.write() as s:
        head = s.get(EventChainHead, 1)
        values = dict(id=head.last_event_id + 1, type=int(EventType.ITEM_UPDATED), date=at,
                      provider_id=provider_id, provider_log=False, organization_id=None,
                      acting_account_id=account_id, account_id=None, provider_user_id=None,
                      provider_organization_id=None, organization_user_id=None, group_id=None,
                      collection_id=None, item_id=uuid.uuid4(), policy_id=None, device="browser",
                      ip_address=None, system_user=None, detail=json.dumps({"name": SECRET}))
        digest = events.chain_hash(head.last_hash, values)
        s.execute(insert(Event), [dict(values, prev_hash=head.last_hash, hash=digest, signature=None)])
        head.last_event_id, head.last_hash, head.count = values["id"], digest, head.count + 1


@pytest.fixture
def awkward(db, admin):
    """A day ago: clients, a second staff member and events with hostile cells; returns the window."""
    start = clock.now() - timedelta(days=1)
    clock.freeze(start)
    made = {}
    for name in ("Alpha", "Beta", "Gamma"):
        made[name] = clients.create_client(db, admin, name=name, plan="enterprise-monthly", seats=10,
                                           owner_email=f"owner@{name.lower()}.example")
    members.invite(db, admin, made["Beta"].id, ["=cmd@beta.example", "zoë@beta.example"])
    secret = staff.invite(db, admin, ["sam@msp.example"], "service").secrets["sam@msp.example"]
    sam, _ = accounts.accept_invitations(db, email="sam@msp.example", secret=secret, password=PASSWORD, name="Sam")
    staff.confirm(db, admin, "sam@msp.example")
    with db.write() as s:  # names no form would take, straight into the tables
        s.execute(update(Organization).where(Organization.id == made["Alpha"].id)
                  .values(name='=HYPERLINK("http://x"),1'))
        s.execute(update(Organization).where(Organization.id == made["Beta"].id)
                  .values(name='+Beta "quoted"\nsecond line'))
        s.execute(update(Organization).where(Organization.id == made["Gamma"].id).values(name="Gamma, Inc. ✓"))
        s.execute(update(Account).where(Account.id == sam.account_id)
                  .values(name="-Sam, \"the\" service", email="@sam.example"))
    ghost = Actor(account_id=uuid.uuid4(), email="gone@x.example", name="Gone", provider_id=admin.provider_id)
    odd = [  # (actor, device, ip, type, organization, detail)
        (admin, "terminal", None, EventType.MEMBER_UPDATED, "Alpha",
         {"email": "=x@y.example", "role": ["User", "Admin"]}),
        (admin, "browser", "10.0.0.7", EventType.MEMBER_INVITED, "Beta", {"email": "a@b.example", "reinvite": True}),
        (admin, None, "=1+1", EventType.GROUP_UPDATED, "Gamma", {"name": "+group", "permissions": [["a"], ["a", "b"]]}),
        (admin, "=evil,device", "-2", EventType.POLICY_UPDATED, "Gamma", {"policy": "@sum", "status": "on\r\noff"}),
        (admin, "browser", "", EventType.ITEM_UPDATED, "Alpha", {"name": "Shared thing"}),  # an org's item: shown
        (admin, "terminal", "192.0.2.1", EventType.ORGANIZATION_UPDATED, "Beta", {}),
        (admin, "terminal", None, EventType.MEMBER_REMOVED, "Beta", {"member": "\tTabby, \"Q\""}),
        (ghost, "terminal", "198.51.100.9", EventType.STAFF_UPDATED, None, {"email": "-gone@x.example"}),
        (None, None, None, EventType.CLIENT_VAULT_ACCESSED, "Alpha", None),
        (admin, "terminal", None, 1234, None, {"changes": 3}),  # a type this version has no name for
        (admin, "terminal", None, EventType.CLIENT_REMOVED, "missing", {"name": "Unlinked Ltd"}),
    ]
    sam_actor = Actor(account_id=sam.account_id, email="@sam.example", name="Sam", provider_id=admin.provider_id,
                      device="browser", ip_address="@10.0.0.8")
    missing_org = uuid.uuid4()
    with db.write() as s:
        for i, (actor, device, ip, type_, org, detail) in enumerate(odd):
            if actor is not None:
                actor = Actor(account_id=actor.account_id, email=actor.email, name=actor.name,
                              provider_id=admin.provider_id, device=device, ip_address=ip)
            org_id = missing_org if org == "missing" else (made[org].id if org else None)
            at = start + timedelta(minutes=i + 1)
            if i == 5:
                at = at.replace(microsecond=0)
            events.record(s, actor, type_, detail=detail, provider_id=admin.provider_id, organization_id=org_id,
                          date=at)
        events.record(s, sam_actor, EventType.MEMBER_CONFIRMED, organization_id=made["Beta"].id,
                      detail={"email": "zoë@beta.example"}, date=start + timedelta(minutes=30))
    _personal_item_event(db, admin.provider_id, admin.account_id, start + timedelta(minutes=40))
    clock.freeze(None)
    return {"since": start - timedelta(minutes=5), "until": start + timedelta(hours=1), "clients": made,
            "sam": sam}


def _export(db, admin, window, *args, email=None) -> tuple[int, str, object]:
    """Run `msp-tui events export` over the window, to a file; (exit code, the file's text, the result)."""
    with tempfile.TemporaryDirectory() as folder:
        out_path = os.path.join(folder, "export.out")
        base = ["--db", db.url.render_as_string(hide_password=False), "--email", email or admin.email,
                "--passwordenv", "MSP_PW", "events", "export", "--since", window["since"].isoformat(),
                "--until", window["until"].isoformat(), "-o", out_path]
        r = CliRunner().invoke(cli, [*base, *args], env={"MSP_PW": PASSWORD})
        text = ""
        if os.path.exists(out_path):
            with open(out_path, encoding="utf-8", newline="") as f:
                text = f.read()
    return r.exit_code, text, r


def _flt(window, **kw) -> EventFilter:
    return EventFilter(since=window["since"], until=window["until"], **kw)


# --- the tests ----------------------------------------------------------------------------------------


def test_export_csv_is_the_reference_cell_for_cell(db, admin, awkward):
    code, text, output = _export(db, admin, awkward)
    assert code == 0, output.output
    scope = timeline.scope_for(db, admin)
    assert text == reference_csv(db, scope, _flt(awkward))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["message", "appIcon", "appName", "userId", "userName", "userEmail", "date", "ip", "type",
                       "installationId", "client", "clientId", "eventId"]
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert len(body) > 15
    for row in body:  # no cell a spreadsheet would run
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS), row
        assert row["installationId"] == "" and row["date"].endswith("Z") and "T" in row["date"]
    clients_ = {r["client"] for r in body}
    assert {"'=HYPERLINK(\"http://x\"),1", "'+Beta \"quoted\"\nsecond line", "Gamma, Inc. ✓"} <= clients_
    by_type: dict = {}
    for r in body:  # the newest of each type: the fixture's own event
        by_type.setdefault(r["type"], r)
    assert by_type["POLICY_UPDATED"]["appName"] == "'=evil,device" and by_type["POLICY_UPDATED"]["ip"] == "'-2"
    assert by_type["GROUP_UPDATED"]["ip"] == "'=1+1" and by_type["GROUP_UPDATED"]["appIcon"] == ""
    assert by_type["MEMBER_UPDATED"]["message"] == "Edited member: =x@y.example, role User → Admin"
    assert by_type["MEMBER_INVITED"]["message"].startswith("Sent the invitation again")
    assert by_type["MEMBER_CONFIRMED"]["userName"] == "'-Sam, \"the\" service"
    assert by_type["MEMBER_CONFIRMED"]["userEmail"] == "'@sam.example"
    assert by_type["MEMBER_CONFIRMED"]["ip"] == "'@10.0.0.8"
    assert by_type["STAFF_UPDATED"]["userName"] == "" and by_type["STAFF_UPDATED"]["userId"]  # a person gone
    assert by_type["CLIENT_REMOVED"]["client"] == "" and by_type["CLIENT_REMOVED"]["clientId"]  # a client gone
    assert by_type["1234"]["message"] == "Event 1234: changes 3"
    assert by_type["ORGANIZATION_UPDATED"]["date"].endswith(".000000Z")  # no microseconds, still written
    # S3: the personal item's event is there, with neither its name nor anything of its detail ...
    assert SECRET not in text
    assert [r["message"] for r in body if r["type"] == "ITEM_UPDATED" and not r["clientId"]] == ["Edited item"]
    # ... while an organization's item keeps its detail.
    assert "Edited item: Shared thing" in {r["message"] for r in body}


def test_export_jsonl_is_the_reference_line_for_line(db, admin, awkward):
    code, text, output = _export(db, admin, awkward, "--format", "jsonl")
    assert code == 0, output.output
    scope = timeline.scope_for(db, admin)
    assert text == reference_jsonl(db, scope, _flt(awkward))
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(list(x) == cli_events.COLUMNS for x in lines)
    assert SECRET not in text
    assert {x["client"] for x in lines} >= {'=HYPERLINK("http://x"),1', "Gamma, Inc. ✓"}  # JSON: not neutralised


def test_export_filters_match_the_reference(db, admin, awkward):
    scope = timeline.scope_for(db, admin)
    alpha, beta = awkward["clients"]["Alpha"], awkward["clients"]["Beta"]
    cases = [
        (["--type", "members"], _flt(awkward, categories=("members",))),
        (["--type", "1500", "--type", "items"], _flt(awkward, types=(1500,), categories=("items",))),
        (["--actor", "@sam.example"], _flt(awkward, actor_ids=(awkward["sam"].account_id,))),
        (["--client", str(alpha.id), "--client", str(beta.id)], _flt(awkward, client_ids=(alpha.id, beta.id))),
    ]
    for args, flt in cases:
        code, text, output = _export(db, admin, awkward, *args)
        assert code == 0, (args, output.output)
        assert text == reference_csv(db, scope, flt), args
        assert text.count("\n") > 1, args
    # One client: that client's scope (core narrows it), the provider's log left out.
    code, text, output = _export(db, admin, awkward, "--client", str(beta.id), "--format", "jsonl")
    assert code == 0, output.output
    assert text == reference_jsonl(db, timeline.scope_for(db, admin, beta.id), _flt(awkward))
    assert {json.loads(line)["client_id"] for line in text.splitlines()} == {str(beta.id)}


def test_export_is_refused_to_whoever_may_not_see_the_timeline(db, admin, awkward):
    """S4: a client's Owner is refused the provider-wide export (S2's refusal: not provider staff),
    and gets their own client's."""
    alpha = awkward["clients"]["Alpha"]
    accounts.accept_invitations(db, email="owner@alpha.example", secret=alpha.owner_invite_secret,
                                password=PASSWORD, name="Olga")
    members.confirm(db, admin, alpha.id, ["owner@alpha.example"])
    code, text, result = _export(db, admin, awkward, email="owner@alpha.example")
    assert code != 0 and isinstance(result.exception, Refused) and result.exception.rule == "S2"
    assert text == ""
    owner = accounts.sign_in(db, "owner@alpha.example", PASSWORD)
    code, text, output = _export(db, admin, awkward, "--client", str(alpha.id), email="owner@alpha.example")
    assert code == 0, output.output
    assert text == reference_csv(db, timeline.scope_for(db, owner, alpha.id), _flt(awkward))
    assert {r["clientId"] for r in csv.DictReader(io.StringIO(text))} == {str(alpha.id)}


def test_export_batches_and_bounded_caches_change_nothing(db, admin, awkward, monkeypatch):
    """Tiny batches and caches that start again every batch: the same bytes as the reference."""
    monkeypatch.setattr(events, "NAME_CACHE", 1)
    monkeypatch.setattr(export, "CELL_CACHE", 1)
    monkeypatch.setattr(export, "MESSAGE_CACHE", 1)
    scope = timeline.scope_for(db, admin)
    flt = _flt(awkward)
    for write, reference in ((export.write_csv, reference_csv), (export.write_jsonl, reference_jsonl)):
        out = io.StringIO()
        with db.read(transaction=True) as s:
            n = write(timeline.stream_shown(s, scope, flt, batch=3), out)
        expected = reference(db, scope, flt)
        assert out.getvalue() == expected
        if write is export.write_csv:
            assert n == len(list(csv.reader(io.StringIO(expected)))) - 1 > 15
        else:
            assert n == expected.count("\n") > 15


def test_stream_applies_S3_and_gives_plain_values(db, admin, awkward):
    scope = timeline.scope_for(db, admin)
    with db.read(transaction=True) as s:
        rows = [r for b in timeline.stream_shown(s, scope, _flt(awkward), batch=4) for r in b.rows]
        plain = [r for b in events.stream(s, scope, _flt(awkward)) for r in b.rows]
    assert [r[0] for r in rows] == [r[0] for r in plain]
    assert len(rows) == len({r[0] for r in rows})
    personal = [r for r in rows if 1100 <= r[1] <= 1199 and r[3] is None]
    assert personal and all(r[7] is None for r in personal)  # the detail is gone ...
    assert any(r[7] and SECRET in r[7] for r in plain)  # ... which the unredacted stream still has
    assert len(rows[0]) == len(events.STREAM_COLUMNS)


def test_raw_values_format_like_the_objects():
    from datetime import datetime

    u = uuid.uuid4()
    assert events.uuid_text(u) == events.uuid_text(u.hex) == events.uuid_text(u.hex.upper()) == str(u)
    at = datetime(2026, 11, 25, 8, 0, 0)
    for raw in (at, "2026-11-25 08:00:00", "2026-11-25 08:00:00.000000", "2026-11-25T08:00:00"):
        assert events.iso_z(raw) == "2026-11-25T08:00:00.000000Z"


def _stored_as_no_form_writes_it(db, admin, awkward) -> None:
    """Values the forms never take, straight into the tables: controls, bidi overrides and quotes in
    every text the export writes, details with odd JSON, dates at the edges of their text form, and
    (SQLite, which keeps any text) dates written by another tool in other forms."""
    from sqlalchemy import select, text

    made = awkward["clients"]
    start = awkward["since"] + timedelta(minutes=5)
    with db.write() as s:
        s.execute(update(Organization).where(Organization.id == made["Gamma"].id)
                  .values(name="Gamma\x85\u202eevil\u202c \x1b[31mred, \"q\""))
        s.execute(update(Account).where(Account.id == awkward["sam"].account_id)
                  .values(name="\u2066Sam\u2069\r\nnext", email="sam\x9b@x.example"))
    odd = Actor(account_id=awkward["sam"].account_id, email="x", name="x", provider_id=admin.provider_id,
                device="\x1b]0;title\x07,\"dev\"", ip_address="10.0.0.9\n,\"x\"")
    with db.write() as s:
        for i, (type_, org, detail) in enumerate([
            (EventType.MEMBER_UPDATED, "Gamma", {"email": "\u202ez@x.example", "role": ["User", "Admin\u2028"]}),
            (EventType.GROUP_UPDATED, "Gamma", {"name": "\x00\x1b\x7f\x9f \"quoted\", ✓ 𝄞"}),
            (EventType.MEMBER_REMOVED, "Beta", {"member": "=1+1"}),
            (EventType.ORGANIZATION_UPDATED, "Alpha", {}),
            (1234, None, {"changes": [1, "two", None, {"three": 3.5}]}),
        ]):
            events.record(s, odd, type_, detail=detail, provider_id=admin.provider_id,
                          organization_id=made[org].id if org else None,
                          date=start + timedelta(seconds=i, microseconds=(0, 1, 999999, 10, 0)[i]))
    if db.engine.dialect.name == "sqlite":  # any text: what another tool may have written
        with db.write() as s:
            ids = s.execute(select(Event.id).where(Event.date >= start).order_by(Event.id).limit(3)).scalars().all()
            for event_id, stored in zip(ids, (start.strftime("%Y-%m-%d %H:%M:%S"),
                                              start.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                                              start.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])):
                s.execute(text("UPDATE event SET date = :d WHERE id = :i"), {"d": stored, "i": event_id})


def test_export_of_values_no_form_writes_is_the_reference_byte_for_byte(db, admin, awkward, monkeypatch):
    """The export is held byte for byte to the plain way on every kind of stored value: through the
    CLI, and in tiny batches with caches that start again every batch (both engines)."""
    _stored_as_no_form_writes_it(db, admin, awkward)
    scope = timeline.scope_for(db, admin)
    flt = _flt(awkward)
    expected = {"csv": reference_csv(db, scope, flt), "jsonl": reference_jsonl(db, scope, flt)}
    assert "Gamma\\u0085\\u202eevil" in expected["csv"] and "\\u001b]0;title\\u0007" in expected["csv"]
    for fmt in ("csv", "jsonl"):
        code, text, output = _export(db, admin, awkward, "--format", fmt)
        assert code == 0, output.output
        assert text == expected[fmt], fmt
    monkeypatch.setattr(events, "NAME_CACHE", 1)
    monkeypatch.setattr(export, "CELL_CACHE", 1)
    monkeypatch.setattr(export, "MESSAGE_CACHE", 1)
    for fmt, write in (("csv", export.write_csv), ("jsonl", export.write_jsonl)):
        out = io.StringIO()
        with db.read(transaction=True) as s:
            write(timeline.stream_shown(s, scope, flt, batch=3), out)
        assert out.getvalue() == expected[fmt], fmt
