"""`msp-tui billing …` end to end on a SQLite file: JSON and CSV output, exit codes."""

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from msp_tui.cli import cli, main
from msp_tui.core.services import clients
from tests.conftest import PASSWORD, make_provider
from tests.core.test_billing_service import service_user


@pytest.fixture
def run(sqlite_db):
    admin = make_provider(sqlite_db)
    for name, plan, seats in [("Alpha", "teams-monthly", 20), ("Bravo", "enterprise-monthly", 25)]:
        clients.create_client(sqlite_db, admin, name=name, plan=plan, seats=seats,
                              owner_email=f"owner@{name.lower()}.example")
    path = str(sqlite_db.url.database)

    def invoke(*args, email="ada@msp.example", input=None):
        runner = CliRunner()
        result = runner.invoke(cli, ["--db", path, "--email", email, "--passwordenv", "PW", *args],
                               input=input, env={"PW": PASSWORD})
        return result

    invoke.db, invoke.admin = sqlite_db, admin
    return invoke


def test_billing_summary_and_tiers_as_json(run):
    out = run("billing", "summary", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert (data["mode"], data["cumulative_seats"], data["discount_percent"], data["seats_away"],
            data["tiers"], data["monthly_total"]) == ("per client", 45, "0", 55, "default schedule", "230.00")
    assert [p["plan"] for p in data["plans"]] == ["Teams (Monthly)", "Enterprise (Monthly)"]
    out = run("billing", "tiers", "--set", "0:0,40:10", "--format", "json")
    assert json.loads(out.output) == [{"min_seats": 0, "percent": "0", "current": False},
                                      {"min_seats": 40, "percent": "10", "current": True}]
    assert json.loads(run("billing", "summary", "--format", "json").output)["monthly_total"] == "207.00"
    text = run("billing", "tiers", "--default").output
    assert "This is the default schedule." in text


def test_billing_invoice_consolidated_csv(run):
    assert run("billing", "mode", "consolidated").exit_code == 0
    assert run("billing", "minimum", "teams", "30").exit_code == 0
    out = run("billing", "invoice", "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert rows[0] == ["Client", "Id", "Assigned", "Used", "Remaining", "Plan", "Estimated total"]
    assert [(r[0], r[2], r[5], r[6]) for r in rows[1:]] == [
        ("Alpha", "20", "Teams (Monthly)", "80.00"), ("Bravo", "25", "Enterprise (Monthly)", "150.00"),
        ("Unassigned seats", "10", "Teams (Monthly)", "40.00"),
        ("Unassigned seats", "0", "Enterprise (Monthly)", "0.00")]
    one = run("billing", "invoice", "Bravo", "--format", "json")
    assert [r["Client"] for r in json.loads(one.output)] == ["Bravo"]


def test_billing_payment_per_client_and_invoice_lines(run):
    out = run("billing", "payment", "Alpha", "bank", "--bank-name", "Harbor Bank", input="DE89370400440532013000\n")
    assert out.exit_code == 0, out.output
    assert "Bank account at Harbor Bank ending 3000" in out.output
    shown = json.loads(run("billing", "payment", "Alpha", "--format", "json").output)
    assert shown["payment"] == "Bank account at Harbor Bank ending 3000"
    lines = json.loads(run("billing", "invoice", "Alpha", "--format", "json").output)
    assert len(lines) == 1 and lines[0]["seats"] == 20
    listing = json.loads(run("billing", "invoice", "--format", "json").output)
    assert [(r["client"], r["payment"]) for r in listing] == [
        ("Alpha", "Bank account at Harbor Bank ending 3000"), ("Bravo", "no payment method")]


def test_billing_exit_codes(run, capsys, monkeypatch):
    service_user(run.db, run.admin)
    monkeypatch.setenv("PW", PASSWORD)
    base = ["--db", str(run.db.url.database), "--passwordenv", "PW"]
    with pytest.raises(SystemExit) as exc:
        main([*base, "--email", "sam@msp.example", "billing", "summary"])
    assert exc.value.code == 1
    assert "refused by rule S4" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*base, "--email", "ada@msp.example", "billing", "tiers", "--set", "10:5"])
    assert exc.value.code == 2
    assert "first tier must start at 0" in capsys.readouterr().err


def test_clients_create_takes_its_payment_method_in_the_same_step(run, monkeypatch):
    # S9: billing is charged to the payment method registered when the client was created.
    monkeypatch.setenv("CARD_NUMBER", "4242424242424242")
    out = run("clients", "create", "--name", "Charlie", "--plan", "teams-monthly", "--seats", "5",
              "--owner", "owner@charlie.example", "--payment", "card", "--holder", "Charlie AP",
              "--expiry", "08/2031", "--number-env", "CARD_NUMBER")
    assert out.exit_code == 0, out.output
    shown = json.loads(run("billing", "payment", "Charlie", "--format", "json").output)
    assert shown["payment"].endswith("ending 4242, expires 08/2031") and "4242424242424242" not in out.output
    # A card that fails its check creates nothing.
    bad = run("clients", "create", "--name", "Delta", "--plan", "teams-monthly", "--seats", "5",
              "--owner", "owner@delta.example", "--payment", "card", "--holder", "Delta AP",
              "--expiry", "08/2031", input="4242424242424241\n")
    assert bad.exit_code != 0 and "Luhn" in str(bad.exception)  # (main() turns it into exit 2)
    # Card details without --payment are a mistake, not something to ignore.
    loose = run("clients", "create", "--name", "Echo", "--plan", "teams-monthly", "--seats", "5",
                "--owner", "owner@echo.example", "--holder", "Echo AP")
    assert loose.exit_code != 0 and "add --payment card" in str(loose.exception)
    names = [r["name"] for r in json.loads(run("clients", "list", "--format", "json").output)]
    assert "Charlie" in names and "Delta" not in names and "Echo" not in names
    with run.db.read() as s:
        assert "4242424242424242" not in str(s.execute(text("SELECT * FROM payment_method")).all())
