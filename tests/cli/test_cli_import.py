"""`msp-tui vault import` as people run it: the dry run, the import, --format json, bad files (exit 1,
nothing written), a KeePass file's password from the environment."""

from __future__ import annotations

from msp_tui.core.formats.records import ImportedItem
from tests.formats import writers

CLIENT = None


def _client(cli) -> str:
    return cli.json("clients", "list")[0]["name"]


LASTPASS = ("url,username,password,totp,extra,name,grouping,fav\n"
            'https://printer.example,admin,"p,w",,"toner, black\nsecond",Printer — Ünïcode,Office\\IT,1\n'
            "http://sn,,,,door code 1234,Door,Office,0\n")


def test_cli_dry_run_then_import(any_cli, tmp_path):
    client = _client(any_cli)
    f = tmp_path / "lastpass.csv"
    f.write_text(LASTPASS, encoding="utf-8")
    before = len(any_cli.json("vault", "list", client))
    out = any_cli.ok("vault", "import", client, str(f), "--dry-run")
    assert "LastPass CSV: would import 2 items" in out and "Office/IT" in out
    assert len(any_cli.json("vault", "list", client)) == before
    doc = any_cli.json("vault", "import", client, str(f), "--collection", "From LastPass")
    assert doc["imported"] == 2 and doc["by_collection"] == {"From LastPass": 2}
    names = {i["name"] for i in any_cli.json("vault", "list", client)}
    assert {"Printer — Ünïcode", "Door"} <= names
    again = any_cli.json("vault", "import", client, str(f), "--dry-run", "--collection", "From LastPass")
    assert len(again["duplicates"]) == 2


def test_cli_bad_files_exit_2_with_a_sentence_and_write_nothing(cli, tmp_path):
    client = _client(cli)
    before = len(cli.json("vault", "list", client))
    for name, data, words in (("odd.csv", b"a,b,c\n1,2,3\n", "matches no format"),
                              ("bin.csv", b"\x00\x01\x02\x03", "binary data"),
                              ("cut.json", b'{"records": [{"title": ', "damaged or truncated")):
        f = tmp_path / name
        f.write_bytes(data)
        r = cli.run("vault", "import", client, str(f))
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = cli.run("vault", "import", client, str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "missing.csv" in r.stderr
    assert len(cli.json("vault", "list", client)) == before


def test_cli_keepass_password_from_the_environment(cli, tmp_path):
    client = _client(cli)
    kdbx = tmp_path / "office.kdbx"
    writers.keepass([ImportedItem(name="NAS", fields={"username": "root", "password": "x"}, collections=["Site"])],
                    kdbx, password="file-pw")
    r = cli.run("vault", "import", client, str(kdbx), env=cli.env(KDBX_PW="wrong"), )
    assert r.returncode == 1 and "password" in r.stderr
    r = cli.run("vault", "import", client, str(kdbx), "--file-passwordenv", "KDBX_PW", env=cli.env(KDBX_PW="wrong"))
    assert r.returncode == 1 and "does not open" in r.stderr
    r = cli.run("--format", "json", "vault", "import", client, str(kdbx), "--file-passwordenv", "KDBX_PW",
                env=cli.env(KDBX_PW="file-pw"))
    assert r.returncode == 0, r.stderr
    assert '"imported": 1' in r.stdout
