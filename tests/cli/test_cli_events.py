"""`msp-tui events …`: listing, export (CSV with the reference's columns, JSON lines), verification."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import and_, select

from msp_tui.core import clock
from msp_tui.core.models import Event, Provider
from tests.cli.conftest import MSP_TUI, PASSWORD_VAR, on_a_terminal

REFERENCE_COLUMNS = ["message", "appIcon", "appName", "userId", "userName", "userEmail", "date", "ip", "type",
                     "installationId"]


def _provider_events(cli, days: int = 30):
    """Ids of the provider's events in the last `days`, newest first, straight from the table."""
    db = cli.database()
    with db.read() as s:
        pid = s.execute(select(Provider.id)).scalar_one()
        since = clock.now() - timedelta(days=days)
        ids = list(s.execute(select(Event.id).where(and_(Event.provider_id == pid, Event.date >= since))
                             .order_by(Event.date.desc(), Event.id.desc())).scalars())
    db.dispose()
    return ids


def test_list_json_matches_the_database(any_cli):
    rows = any_cli.json("events", "list", "--limit", "40")
    expected = _provider_events(any_cli)[:40]
    assert [int(r["id"]) for r in rows] == expected
    assert all(isinstance(r["id"], str) and r["date"].endswith("Z") for r in rows)
    assert {"type", "type_name", "message", "client", "actor_email", "device", "ip"} <= rows[0].keys()


def test_list_filters_by_type_and_client(cli):
    client = cli.json("clients", "list")[0]
    rows = cli.json("events", "list", "--client", client["name"], "--type", "members", "--since", "90d",
                    "--limit", "500")
    assert rows and all(r["client_id"] == client["id"] and 1500 <= r["type"] < 1600 for r in rows)
    assert cli.run("events", "list", "--type", "nonsense").returncode == 2
    assert cli.run("events", "list", "--since", "400d").returncode == 2


def test_export_csv_has_the_reference_columns_and_every_event(any_cli):
    r = any_cli.run("events", "export", "--since", "100d")
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:10] == REFERENCE_COLUMNS
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [int(x["eventId"]) for x in body] == _provider_events(any_cli, 100)
    assert r.stderr == ""  # piped: no progress


def test_export_jsonl(cli):
    text = cli.ok("events", "export", "--since", "100d", "--format", "jsonl")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [int(x["id"]) for x in lines] == _provider_events(cli, 100)
    assert lines[0].keys() == {"id", "date", "type", "type_name", "message", "client", "client_id",
                               "actor_name", "actor_email", "actor_id", "device", "ip"}


def test_export_neutralises_formula_cells(cli):
    cli.ok("clients", "create", "--name", "@SUM(A1:A9)", "--plan", "teams-monthly", "--seats", "2",
           "--owner", "o@sum.example")
    cli.ok("members", "invite", "--", "@SUM(A1:A9)", "-cmd@evil.example")
    rows = list(csv.DictReader(io.StringIO(cli.ok("events", "export", "--since", "1h"))))
    clients = {r["client"] for r in rows}
    assert "'@SUM(A1:A9)" in clients and "@SUM(A1:A9)" not in clients
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_export_to_a_file_shows_progress_on_a_terminal(cli, tmp_path):
    out = tmp_path / "events.csv"
    code, shown, stdout = on_a_terminal([MSP_TUI, "--passwordenv", PASSWORD_VAR, "events", "export", "--since",
                                         "100d", "-o", str(out)], env=cli.env())
    assert code == 0 and stdout == b"" and "exported:" in shown and "events" in shown, shown
    assert len(out.read_text().splitlines()) == len(_provider_events(cli, 100)) + 1
    assert (out.stat().st_mode & 0o777) == 0o600


def test_verify_ok_then_a_changed_event_is_found(cli):
    r = cli.run("events", "verify")
    assert r.returncode == 0 and r.stdout.startswith("OK ")
    db = cli.database()
    with db.write() as s:
        s.execute(Event.__table__.update().where(Event.id == 10).values(detail='{"email":"someone@else"}'))
    db.dispose()
    r = cli.run("events", "verify")
    assert r.returncode == 1
    assert "BROKEN at event 10" in r.stdout and "altered" in r.stdout


def test_verify_checkpoint_catches_events_cut_from_the_end(cli, tmp_path):
    from msp_tui.core.models import EventChainHead

    from msp_tui.core import checkpoint

    cp = tmp_path / "cp"
    assert cli.run("events", "verify", "--write-checkpoint", str(cp)).returncode == 0
    recorded, _ = checkpoint.read_checkpoint(cp)
    db = cli.database()
    with db.write() as s:  # a careful intruder: drop the newest events and rewind the head to match
        last = recorded - 5
        prev = s.execute(select(Event.hash).where(Event.id == last)).scalar_one()
        s.execute(Event.__table__.delete().where(Event.id > last))
        head = s.get(EventChainHead, 1)
        head.last_event_id, head.last_hash, head.count = last, prev, last
    db.dispose()
    # Signing in writes an event, so the chain grows again; only the checkpoint can tell.
    r = cli.run("events", "verify", "--checkpoint", str(cp))
    assert r.returncode == 1 and "BROKEN" in r.stdout and "checkpoint" in r.stdout
    assert cli.run("events", "verify", "--checkpoint", str(tmp_path / "missing")).returncode == 2


def test_verify_is_for_provider_admins_only(cli):
    """A Service User (invited, accepted and confirmed through the command line) is refused: S4."""
    [row] = cli.json("staff", "invite", "bob@northwind.example", "--role", "service")
    bob = type(cli)(cli.url, email="bob@northwind.example", password="bob's long master password")
    r = bob.run("accept", "--name", "Bob Service", "--tokenenv", "INVITE", env=bob.env(INVITE=row["secret"]))
    assert r.returncode == 0, r.stderr
    cli.ok("staff", "confirm", "bob@northwind.example", "--skip-fingerprint-check")
    assert bob.run("--format", "json", "clients", "list").returncode == 0
    r = bob.run("events", "verify")
    assert r.returncode == 1 and "S4" in r.stderr and r.stdout == ""


def test_export_pages_skip_and_repeat_nothing_at_equal_timestamps(db, admin):
    """The export's keyset pages (core.events.iterate) at page edges inside runs of equal timestamps."""
    from msp_tui.core import events
    from msp_tui.core.enums import EventType
    from msp_tui.core.events import EventFilter, EventScope

    now = clock.now()
    with db.write() as s:
        for i in range(45):
            at = now - timedelta(minutes=i // 10)  # runs of ten events sharing one timestamp
            events.record(s, admin, EventType.STAFF_UPDATED, provider_id=admin.provider_id, date=at,
                          detail={"n": i})
    scope = EventScope(provider_id=admin.provider_id, include_provider_log=True)
    with db.read() as s:
        got = [r.id for r in events.iterate(s, scope, EventFilter(), batch=7)]
        expected = list(s.execute(select(Event.id).where(Event.provider_id == admin.provider_id)
                                  .order_by(Event.date.desc(), Event.id.desc())).scalars())
    assert got == expected and len(got) == len(set(got)) >= 45
