"""A real-format card number typed through the core and CLI paths is found nowhere afterwards:
not in the database file, its WAL, the events, the logs (SQL statements and their parameters
included), an error message or the command's output."""

import logging
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from msp_tui.cli import cli
from msp_tui.core.models import Event
from msp_tui.core.services import billing, clients
from tests.conftest import PASSWORD, make_provider

NUMBER = "4000 0566 5566 5556"  # Visa test number: passes Luhn
OTHER = "5105 1051 0510 5100"  # Mastercard test number, typed through the CLI
BAD = "4111 1111 1111 1112"  # fails Luhn: refused, and not repeated in the refusal


def forms(number: str) -> list[bytes]:
    digits = number.replace(" ", "")
    out = []
    for text in {number, digits, digits[:12], digits[:-4], "-".join(number.split())}:
        out += [text.encode(), text.encode("utf-16-le")]
    return out


def test_card_number_never_reaches_the_database_wal_events_or_logs(sqlite_db, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # every SQL statement + parameters
    db = sqlite_db
    admin = make_provider(db)
    view = clients.create_client(db, admin, name="Contoso", plan="teams-monthly", seats=5,
                                 owner_email="it@contoso.example",
                                 payment={"kind": "card", "number": NUMBER, "expiry": "08/2031",
                                          "holder": "Contoso AP"})
    assert billing.client_billing(db, admin, view.id).payment.last4 == "5556"
    clients.create_client(db, admin, name="Fabrikam", plan="teams-monthly", seats=5,
                          owner_email="it@fabrikam.example")

    runner = CliRunner()
    env = {"MSP_TUI_PW": PASSWORD}
    base = ["--db", str(db.url.database), "--email", "ada@msp.example", "--passwordenv", "MSP_TUI_PW"]
    ok = runner.invoke(cli, base + ["billing", "payment", "Fabrikam", "card", "--holder", "Fab AP",
                                    "--expiry", "11/2030"], input=OTHER + "\n", env=env)
    assert ok.exit_code == 0, ok.output
    assert "Mastercard ending 5100" in ok.output
    bad = runner.invoke(cli, base + ["billing", "payment", "Fabrikam", "card", "--holder", "Fab AP",
                                     "--expiry", "11/2030"], input=BAD + "\n", env=env)
    assert bad.exit_code != 0 and "Luhn" in str(bad.exception)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    with db.read() as s:
        details = " ".join(d or "" for d in s.execute(select(Event.detail)).scalars())
    assert "Visa ending 5556" in details and "Mastercard ending 5100" in details
    db.dispose()
    path = Path(db.url.database)
    files = {p.name: p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()}
    assert path.name in files
    outputs = [caplog.text, ok.output, bad.output, str(bad.exception), "".join(capsys.readouterr())]
    assert "INSERT INTO payment_method" in caplog.text  # the SQL log really was captured
    for number in (NUMBER, OTHER, BAD):
        for form in forms(number):
            for name, data in files.items():
                assert form not in data, f"card number found in {name}"
            text = form.decode("utf-16-le") if b"\x00" in form else form.decode()
            assert text not in details
            for out in outputs:
                assert text not in out
