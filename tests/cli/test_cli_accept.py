"""`msp-tui accept` as people run it: the one-time secret from a prompt or --tokenenv, and one answer
for every failed accept (attacks 2 and 8 of issue 15)."""

from __future__ import annotations

from msp_tui.core import invitation_secret
from msp_tui.core import demo as builder

NEW = "newhire@northwind.example"
NEW_PASSWORD = "newhire's long master password"


def test_attack2_accept_needs_the_secret_and_takes_it_from_a_prompt(cli):
    [row] = cli.json("staff", "invite", NEW, "--role", "service")
    assert row["result"] == "invited" and len(row["secret"]) == 24
    newhire = type(cli)(cli.url, email=NEW, password=NEW_PASSWORD)
    wrong = newhire.run("accept", "--name", "New Hire", input="AAAA-BBBB-CCCC-DDDD-EEEE\n")
    assert wrong.returncode == 2 and invitation_secret.NO_MATCH in wrong.stderr
    assert "master password" not in wrong.stderr.lower()  # asked nothing more
    r = newhire.run("accept", "--name", "New Hire", input=row["secret"] + "\n")
    assert r.returncode == 0, r.stderr
    assert "Accepted the staff invitation of Northwind" in r.stderr
    again = newhire.run("accept", input=row["secret"] + "\n")  # used
    assert again.returncode == 2 and invitation_secret.NO_MATCH in again.stderr


def test_attack8_accept_answers_the_same_for_known_and_unknown_emails(cli):
    """`accept` once said "no pending invitations for …" only for emails with an account."""
    [row] = cli.json("staff", "invite", NEW, "--role", "service")
    answers = {}
    for email in (builder.DEMO_EMAIL, "nobody@nowhere.example", NEW):
        person = type(cli)(cli.url, email=email, password=NEW_PASSWORD)
        r = person.run("accept", "--tokenenv", "INVITE", env=person.env(INVITE="WRONG-SECRET"))
        answers[email] = (r.returncode, r.stdout, r.stderr)
    assert len(set(answers.values())) == 1, answers
    assert answers[NEW] == (2, "", f"error: {invitation_secret.NO_MATCH}\n")
    assert row["secret"] not in cli.ok("staff", "list", "--format", "json")


def test_reinvite_and_members_invite_show_the_secret_once(cli):
    client = cli.json("clients", "list")[0]
    cli.ok("clients", "seats", client["id"], str(client["seats"] + 2))
    [row] = cli.json("members", "invite", client["id"], "pat@client.example")
    table = cli.ok("members", "invite", client["id"], "sue@client.example")
    assert "SECRET" in table.splitlines()[0]
    [again] = cli.json("members", "reinvite", client["id"], "pat@client.example")
    assert again["secret"] and again["secret"] != row["secret"]
    listed = cli.ok("members", "list", client["id"], "--format", "json")
    assert "secret" not in listed and again["secret"] not in listed


def test_accept_with_an_existing_account_needs_its_two_step_code_like_sign_in(cli):
    """Review finding of issue 16: `accept` with an existing account checked the master password but
    not its two-step login code, so the password alone let someone accept into a client."""
    from tests.cli.test_cli_two_step import enable, next_code

    client = cli.json("clients", "list")[0]
    cli.ok("clients", "seats", client["id"], str(client["seats"] + 1))
    [row] = cli.json("members", "invite", client["id"], builder.DEMO_EMAIL)
    secret, _, _ = enable(cli)
    wrong_password = type(cli)(cli.url, password="not the password").run("clients", "list")
    bad = "000000" if next_code(secret) != "000000" else "111111"
    invite = {"INVITE": row["secret"]}
    for r in (cli.run("accept", "--tokenenv", "INVITE", env=cli.env(**invite), input=""),        # no code typed
              cli.run("--otpenv", "OTP", "accept", "--tokenenv", "INVITE", env=cli.env(OTP=bad, **invite))):
        assert (r.returncode, r.stdout, r.stderr.splitlines()[-1]) == (3, "", wrong_password.stderr.strip())
        assert "Accepted" not in r.stderr
    ok = cli.run("--otpenv", "OTP", "accept", "--tokenenv", "INVITE", env=cli.env(OTP=next_code(secret), **invite))
    assert ok.returncode == 0, ok.stderr
    assert f"Accepted the invitation to {client['name']}" in ok.stderr
