"""Issue 15, attack 10: control characters reach the terminal through CSV and JSON.

A vault field holding ESC or BEL was written raw by `--format csv`; JSON wrote U+009B (the C1
"CSI", an escape sequence on its own) raw. Now values keep their exact characters in storage, and
every output — table, CSV, JSON, JSON lines, `vault show`, the `events export` files — escapes C0
and C1 controls: JSON with \\u escapes (so it stays valid JSON and decodes to the exact value), CSV
and tables as visible `\\u001b` text, keeping tab and newline in CSV (quoted) as they are."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from msp_tui.core.models import Account, VaultItem
from msp_tui.core.services import vault

#: ESC, BEL, CSI (C1), DEL, NEL (C1), a right-to-left override: each can rewrite what a terminal shows.
NASTY = "ok\x1b]0;pwned\x07 \x9b31m \x7f \x85 \u202e end"
RAW = ["\x1b", "\x07", "\x9b", "\x7f", "\x85", "\u202e"]


def _no_raw_controls(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} reached the output"


def _item(any_cli) -> str:
    db = any_cli.database()
    try:
        actor = _sign_in(db, any_cli)
        client = any_cli.json("clients", "list")[0]
        item = vault.create_item(db, actor, type="login", name="Router", client=client["id"],
                                 fields={"username": NASTY, "notes": "line 1\nline\t2 " + NASTY})
        with db.read() as s:  # storage keeps the exact characters
            assert s.get(VaultItem, item.id) is not None
        assert vault.view_item(db, actor, item.id).field("username").value == NASTY
        return client["id"]
    finally:
        db.dispose()


def _sign_in(db, any_cli):
    from msp_tui.core.services import accounts

    return accounts.sign_in(db, any_cli.email, any_cli.password,
                            throttle=accounts.LoginThrottle(sleep=lambda _s: None))


def test_attack10_vault_field_with_escape_codes_is_escaped_in_every_format(any_cli):
    client = _item(any_cli)
    for fmt in ("table", "csv", "json", "jsonl"):
        out = any_cli.ok("--format", fmt, "vault", "list", client, "--search", "Router")
        _no_raw_controls(out)
        assert "\\u001b" in out or "\\x1b" in out, (fmt, out)
    rows = json.loads(any_cli.ok("--format", "json", "vault", "list", client, "--search", "Router"))
    assert [r["subtitle"] for r in rows] == [NASTY]  # valid JSON, the exact value decoded
    line = any_cli.ok("--format", "jsonl", "vault", "list", client, "--search", "Router").splitlines()[0]
    assert json.loads(line)["subtitle"] == NASTY
    item_id = rows[0]["id"]
    for fmt in ("table", "csv", "json"):
        shown = any_cli.ok("--format", fmt, "vault", "show", item_id)
        _no_raw_controls(shown)
    shown = json.loads(any_cli.ok("--format", "json", "vault", "show", item_id))
    assert shown["notes"] == "line 1\nline\t2 " + NASTY
    csv_out = any_cli.ok("--format", "csv", "vault", "show", item_id)
    assert "line 1\nline\t2" in csv_out  # newline and tab keep their meaning inside a quoted cell


def test_attack10_events_export_files_escape_controls(any_cli, tmp_path):
    db = any_cli.database()
    with db.write() as s:  # a name planted with write access to the file
        s.execute(update(Account).where(Account.email == any_cli.email).values(name="Ada " + NASTY))
        assert s.execute(select(Account.name).where(Account.email == any_cli.email)).scalar() == "Ada " + NASTY
    db.dispose()
    any_cli.ok("clients", "list")  # signing in writes an event naming the admin
    for fmt in ("csv", "jsonl"):
        path = tmp_path / f"events.{fmt}"
        any_cli.ok("events", "export", "--format", fmt, "-o", str(path))
        text = path.read_text(encoding="utf-8")
        _no_raw_controls(text)
        assert "Ada ok\\u001b" in text
    last = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert any(r["actor_name"] == "Ada " + NASTY for r in last)
