"""`msp-tui vault …` end to end through click, on a real database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from msp_tui.cli import cli
from tests.conftest import PASSWORD, make_provider
from tests.core.test_vault_support import USER_PASSWORD, make_client


def _run(db, email, password, *args, env: dict | None = None):
    runner = CliRunner()
    base = ["--db", db.url.render_as_string(hide_password=False), "--email", email, "--passwordenv", "PW"]
    return runner.invoke(cli, [*base, *args], env={"PW": password, **(env or {})}, catch_exceptions=False)


def test_vault_cli_add_list_show_edit_delete(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    out = _run(db, admin.email, PASSWORD, "vault", "add", c.name, "--name", "Core switch",
               "--collection", "Shared logins", "--field", "username=admin", "--field", "password=sw-pw-77")
    assert out.exit_code == 0, out.output
    item_id = out.stdout.strip().splitlines()[-1]
    listed = json.loads(_run(db, admin.email, PASSWORD, "--format", "json", "vault", "list", c.name).stdout)
    assert [(r["name"], r["collections"]) for r in listed] == [("Core switch", ["Shared logins"])]
    shown = _run(db, admin.email, PASSWORD, "--format", "json", "vault", "show", item_id)
    data = json.loads(shown.stdout)
    assert data["username"] == "admin" and data["password"] != "sw-pw-77" and "sw-pw-77" not in shown.output
    revealed = json.loads(_run(db, admin.email, PASSWORD, "--format", "json", "vault", "show", item_id,
                               "--reveal").stdout)
    assert revealed["password"] == "sw-pw-77"
    out = _run(db, admin.email, PASSWORD, "vault", "edit", item_id, "--name", "Core switch A",
               "--collection", "Break-glass")
    assert out.exit_code == 0, out.output
    # The user's access to Break-glass is "view, except passwords": no password, even with --reveal.
    seen = json.loads(_run(db, "user@contoso.example", USER_PASSWORD, "--format", "json", "vault", "show",
                           "Core switch A", "--client", str(c.organization_id), "--reveal").stdout)
    assert seen["name"] == "Core switch A" and "sw-pw-77" not in json.dumps(seen)
    assert _run(db, admin.email, PASSWORD, "vault", "delete", item_id, "--yes").exit_code == 0
    assert json.loads(_run(db, admin.email, PASSWORD, "--format", "json", "vault", "list", c.name).stdout) == []


def test_vault_cli_personal_and_exit_codes(sqlite_db):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    out = _run(db, "user@contoso.example", USER_PASSWORD, "vault", "add", "--personal", "--type", "note",
               "--name", "Uma diary", "--field", "notes=secret thoughts")
    assert out.exit_code == 0, out.output
    item_id = out.stdout.strip().splitlines()[-1]
    from msp_tui.cli import main
    import pytest

    def code(*argv, email=admin.email, pw=PASSWORD):
        import os
        os.environ["PW"] = pw
        try:
            with pytest.raises(SystemExit) as exc:
                main(["--db", db.url.render_as_string(hide_password=False), "--email", email,
                      "--passwordenv", "PW", *argv])
        finally:
            os.environ.pop("PW", None)
        return exc.value.code

    assert code("vault", "show", item_id) == 2  # S3: someone else's personal item does not exist for staff
    assert code("vault", "list", "--personal") == 0
    assert code("vault", "list", c.name, pw="wrong password") == 3
    assert code("vault", "add", c.name, "--name", "x", "--type", "rocket") == 2
    assert code("vault", "delete", item_id, "--yes", email="user@contoso.example", pw=USER_PASSWORD) == 0


def test_staff_confirm_prints_the_fingerprint_phrase_the_new_person_sees(sqlite_db):
    from msp_tui.core.services import staff

    db = sqlite_db
    admin = make_provider(db)
    secret = staff.invite(db, admin, ["bob@msp.example"], "service").secrets["bob@msp.example"]
    accepted = _run(db, "bob@msp.example", "bob master password 1", "accept", "--name", "Bob",
                    "--tokenenv", "INVITE", env={"INVITE": secret})
    assert accepted.exit_code == 0, accepted.output
    bob_side = accepted.stderr.split("confirms you): ")[1].strip()
    assert len(bob_side.split("-")) == 8
    confirmed = _run(db, admin.email, PASSWORD, "--format", "json", "staff", "confirm", "bob@msp.example",
                     "--fingerprint", bob_side)
    assert confirmed.exit_code == 0, confirmed.output
    assert json.loads(confirmed.stdout)[0]["fingerprint"] == bob_side  # one row per person confirmed
    assert bob_side in confirmed.stdout  # compared before sealing (issue 15, attack 3)
