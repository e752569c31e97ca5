"""The program itself: help with an example on every command, a fast start, the exit codes."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from tests.cli.conftest import MSP_TUI


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_has_help_with_an_example():
    from msp_tui.cli import cli

    paths = [p for p, _ in _commands(cli)]
    assert ("events", "export") in paths and ("db", "backup") in paths and ("serve",) in paths
    for path, cmd in _commands(cli):
        assert cmd.help and "Example" in cmd.help, f"`msp-tui {' '.join(path)}` has no example in its help"


@pytest.mark.parametrize("path", [(), ("events", "export"), ("members", "collections", "grant"), ("db", "backup")])
def test_help_runs_in_the_installed_program(path):
    r = subprocess.run([MSP_TUI, *path, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Example" in r.stdout and r.stderr == ""


def test_help_imports_neither_textual_nor_sqlalchemy():
    code = ("import sys\nfrom msp_tui.cli import cli\n"
            "cli.main(['--help'], prog_name='msp-tui', standalone_mode=False)\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'sqlalchemy', 'alembic', "
            "'pydantic', 'cryptography', 'argon2'})\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "HEAVY []" in r.stderr


def test_exit_1_refused_by_a_rule_names_the_rule(cli):
    r = cli.run("staff", "remove", "ada@northwind.example")
    assert r.returncode == 1
    assert "S5" in r.stderr and r.stdout == ""


def test_exit_2_bad_input_writes_nothing(cli):
    before = cli.json("clients", "list")
    r = cli.run("clients", "create", "--name", "Contoso", "--plan", "teams-monthly", "--seats", "5",
                "--owner", "not-an-email")
    assert r.returncode == 2 and "error:" in r.stderr and r.stdout == ""
    assert cli.json("clients", "list") == before


def test_exit_2_unknown_option_and_unknown_client(cli):
    assert cli.run("clients", "list", "--no-such-flag").returncode == 2
    r = cli.run("clients", "show", "No Such Client")
    assert r.returncode == 2 and "No Such Client" in r.stderr


def test_exit_3_wrong_password(cli):
    r = cli.run("clients", "list", env=cli.env(MSP_TUI_TEST_PASSWORD="not the password"))
    assert r.returncode == 3 and r.stdout == ""
    assert "Sign-in failed" in r.stderr


def test_exit_3_without_an_email(cli):
    r = cli.run("staff", "list", env=cli.env(MSP_TUI_EMAIL=""))
    assert r.returncode == 3 and "--email" in r.stderr


def test_exit_2_database_that_cannot_be_opened(cli, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    r = cli.run("clients", "list", env=cli.env(MSP_TUI_DB=str(junk)))
    assert r.returncode == 2 and f"cannot use the database {junk}: it is not a database file" in r.stderr


def test_password_from_a_file(cli, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(cli.password + "\n")
    r = subprocess.run([MSP_TUI, "--passwordfile", str(pw), "--format", "json", "staff", "list"],
                       capture_output=True, text=True, env=cli.env(), timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("[")


def test_docs_cover_every_command():
    from pathlib import Path

    from msp_tui.cli import cli

    text = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    own = {"init", "accept", "demo", "clients", "staff", "members", "events", "db", "serve"}
    missing = [" ".join(p) for p, _ in _commands(cli) if p[0] in own and f"`{' '.join(p)}" not in text]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_a_member_who_is_not_staff_is_refused_the_client_list_and_stdout_stays_empty(cli):
    client = cli.json("clients", "list")[0]
    cli.ok("clients", "seats", client["id"], str(client["seats"] + 1))
    [row] = cli.json("members", "invite", client["id"], "pat@client.example")
    pat = type(cli)(cli.url, email="pat@client.example", password="Pat's long master password 2026")  # the demo client's policy 1 asks for upper case and a number
    r = pat.run("accept", "--name", "Pat", "--tokenenv", "INVITE", env=pat.env(INVITE=row["secret"]))
    assert r.returncode == 0 and client["name"] in r.stderr
    for fmt in ("json", "csv", "table"):
        r = pat.run("--format", fmt, "clients", "list")
        assert r.returncode == 1 and r.stdout == "" and "refused by rule" in r.stderr


def test_clients_create_with_a_template_applies_it_or_creates_nothing(cli):
    templates = [t["name"] for t in cli.json("policies", "template", "list")]
    assert templates, "the demo has policy templates"
    name = templates[0]
    cli.json("clients", "create", "--name", "Tailspin Dental", "--plan", "enterprise-monthly", "--seats", "5",
             "--owner", "it@tailspin.example", "--template", name)
    # Each policy the template names matches it; the others are not the template's.
    assert {r["template"] for r in cli.json("policies", "list", "Tailspin Dental")} == {"matches", ""}
    assert all(d["client"] != "Tailspin Dental" for d in cli.json("policies", "drift"))
    before = cli.json("clients", "list")
    r = cli.run("clients", "create", "--name", "Tailspin Bakery", "--plan", "teams-monthly", "--seats", "5",
                "--owner", "it@tailspin-bakery.example", "--template", name)
    assert r.returncode == 1 and "Nothing was saved" in r.stderr and r.stdout == ""
    assert cli.json("clients", "list") == before


def _examples(help_text: str) -> list[str]:
    """Example command lines, with lines continued by a backslash joined."""
    joined = help_text.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("msp-tui ")]


def _parse_example(example: str) -> str | None:
    """Parse one example as the program would (click, without running it): None, or what is wrong."""
    import re
    import shlex
    import warnings

    from msp_tui.cli import cli
    from msp_tui.cli.state import CliState

    warnings.simplefilter("ignore", DeprecationWarning)  # click 8.2's protected_args: still how groups hand on
    # What the shell does is the shell's: a redirect, a pipe, a $(…) substitution.
    example = re.split(r" [|>] ", example)[0].replace("$(date +%F)", "2026-12-03")
    args = shlex.split(example)[1:]
    # A file the reader must have (their checkpoint file, a KeePass key file) is not on this machine:
    # for the parse, click does not look for it, so everything after it is parsed too; that each such
    # value names a file is checked on its own below.
    must_exist = [p.type for _path, cmd in [((), cli), *_commands(cli)] for p in cmd.params
                  if isinstance(p.type, click.Path) and p.type.exists]
    for kind in must_exist:
        kind.exists = False
    try:
        ctx = cli.make_context("msp-tui", list(args), obj=CliState(None, None, None, None))
        contexts = [ctx]
        command, rest = cli, ctx.protected_args + ctx.args
        while isinstance(command, click.Group) and rest:
            name, sub, rest = command.resolve_command(ctx, rest)
            ctx = sub.make_context(name, rest, parent=ctx)
            contexts.append(ctx)
            command, rest = sub, ctx.protected_args + ctx.args if isinstance(sub, click.Group) else []
    except (click.UsageError, click.BadParameter) as exc:
        return exc.format_message()
    finally:
        for kind in must_exist:
            kind.exists = True
    for c in contexts:
        for p in c.command.params:
            value = c.params.get(p.name)
            if any(p.type is kind for kind in must_exist) and value is not None and not str(value).strip():
                return f"{p.opts[0]} names no file"
    return None


def test_every_help_example_parses_as_written():
    """An example is what a newcomer copies: each names a real command with options and arguments it takes
    (parsed by click as the program would, without running it)."""
    from msp_tui.cli import cli

    bad = []
    for path, cmd in _commands(cli):
        for example in _examples(cmd.help or ""):
            problem = _parse_example(example)
            if problem is not None:
                bad.append(f"`{example}` (in msp-tui {' '.join(path)}): {problem}")
    assert not bad, "help examples that do not parse:\n" + "\n".join(bad)


def test_a_help_example_naming_a_file_the_reader_has_is_parsed_whole():
    """Review finding of issue 14: a "does not exist" for a file the reader must have (a checkpoint file, a
    KeePass key file) ended the parse there, so whatever followed it in the example went unchecked."""
    problem = _parse_example("msp-tui events verify --checkpoint msp.checkpoint --workers many")
    assert problem is not None and "--workers" in problem, problem
    assert _parse_example("msp-tui events verify --checkpoint /secure/msp-events.checkpoint --workers 2") is None
