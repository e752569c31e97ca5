"""Attack 7: errors from outside the program are one line naming the file and the cause (exit 2),
never a traceback; only `init`, `demo` and `db upgrade` create a database.

Each cause is made for real, around a real `msp-tui` process: a read-only file (a read-only bind mount
when the tests run as root, who may write any file, else chmod), a full disk (a tiny tmpfs in a
private mount namespace, and RLIMIT_FSIZE), a folder in place of the file, a PostgreSQL server that
is down (a closed port).
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import signal
import socket
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from msp_tui.cli import main
from msp_tui.core.access import command_path
from tests.cli.conftest import MSP_TUI, PASSWORD_VAR
from tests.cli.test_access_walk import ARGV, every_command

CREATORS = {"init", "demo", "db upgrade"}
#: Commands that need no sign-in, with arguments (they have no row in the walk's ARGV).
OWN_ARGV = {"accept": ["accept", "--name", "X"], "serve": ["serve", "--port", "1"], "db check": ["db", "check"],
            "db backup": ["db", "backup", "copy.db"],
            "db copy": ["db", "copy", "postgresql+psycopg://127.0.0.1:1/nowhere"]}


def in_process(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def _argv_for(command: str) -> list[str]:
    if command == "accept":  # the invitation's secret from a variable, when accept takes one
        from msp_tui.cli import cli

        takes = {o for p in cli.commands["accept"].params for o in getattr(p, "opts", [])}
        return OWN_ARGV["accept"] + (["--tokenenv", PASSWORD_VAR] if "--tokenenv" in takes else [])
    if command in OWN_ARGV:
        return OWN_ARGV[command]
    row = next(r for r in ARGV if command_path(r) == command)
    class Placeholder(dict):  # every {name} the walk fills from its world; here any value does
        def __missing__(self, key):
            return {"item": "00000000-0000-0000-0000-000000000001", "report": "report.html",
                    "export_file": "export.json", "import_file": __file__}.get(key, "1")

    return [a.format_map(Placeholder()) for a in ARGV[row]]


def test_attack7_db_check_on_a_mistyped_path_creates_nothing(tmp_path):
    typo = tmp_path / "msp.dbb"
    r = subprocess.run([MSP_TUI, "--db", str(typo), "db", "check"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    assert r.stderr.strip() == f"error: No database at {typo} (create one with msp-tui init)"
    assert r.stdout == "" and not typo.exists()


def test_attack7_every_command_but_the_three_creators_refuses_a_missing_file(tmp_path, monkeypatch):
    """Each command of the click tree, on a file that does not exist: the sentence, exit 2, no file."""
    missing = tmp_path / "nothing-here.db"
    monkeypatch.setenv(PASSWORD_VAR, "whatever it is")
    monkeypatch.chdir(tmp_path)
    wrong = []
    for command in every_command():
        if command in CREATORS:
            continue
        code, err = in_process(["--db", str(missing), "--email", "ada@msp.example", "--passwordenv", PASSWORD_VAR,
                                *_argv_for(command)])
        if code != 2 or f"No database at {missing} (create one with msp-tui init)" not in err or missing.exists():
            wrong.append(f"msp-tui {command}: exit {code}, {err.strip()[-200:]!r}, created={missing.exists()}")
    assert not wrong, "\n".join(wrong)


def test_attack7_the_three_creators_do_create(tmp_path):
    path = tmp_path / "new.db"
    r = subprocess.run([MSP_TUI, "--db", str(path), "db", "upgrade"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and path.exists(), r.stderr
    path2 = tmp_path / "init.db"
    r = subprocess.run([MSP_TUI, "--db", str(path2), "--passwordenv", "PW", "init", "--provider", "P",
                        "--email", "a@p.example", "--name", "A"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PW": "a long enough master password 7"})
    assert r.returncode == 0 and path2.exists(), r.stderr


def test_attack7_the_terminal_ui_on_a_missing_file_says_so_before_textual_starts(tmp_path):
    missing = tmp_path / "ui.db"
    r = subprocess.run([MSP_TUI, "--db", str(missing)], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: No database at {missing} (create one with msp-tui init)"
    assert r.stdout == "" and not missing.exists()


# --- each cause outside the program ----------------------------------------------------------------


def _one_line(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert r.returncode == 2, (r.returncode, r.stderr[-1000:])
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _namespace_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


def _run(cli, args: list[str], *, wrap: str | None = None, preexec=None) -> subprocess.CompletedProcess:
    """`msp-tui ARGS` signed in as the demo's admin; with `wrap`, inside a private mount namespace
    after the shell lines in `wrap` (mounts only that process sees)."""
    cmd = [MSP_TUI, "--passwordenv", PASSWORD_VAR, *args]
    if wrap:
        cmd = ["unshare", "-rm", "sh", "-ec", wrap + ' && exec "$@"', "sh", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=cli.env(), timeout=120, preexec_fn=preexec)


def test_attack7_read_only_file(cli):
    path = cli.url
    if os.geteuid() == 0:  # root writes any file whatever its mode: make the file read-only in a mount
        if not _namespace_works():
            pytest.skip("running as root without mount namespaces: no way to make a file read-only")
        wrap = f"mount --bind '{path}' '{path}' && mount -o remount,bind,ro '{path}'"
        r = _run(cli, ["clients", "list"], wrap=wrap)
    else:
        os.chmod(path, 0o444)
        r = _run(cli, ["clients", "list"])
    _one_line(r, path, "read-only")


@pytest.mark.skipif(not _namespace_works(), reason="no private mount namespace to mount a tmpfs in")
def test_attack7_full_disk_tmpfs(cli, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    size_kib = Path(cli.url).stat().st_size // 1024 + 64
    wrap = (f"mount -t tmpfs -o size={size_kib}k tmpfs '{disk}' && cp '{cli.url}' '{disk}/msp.db' && "
            f"(dd if=/dev/zero of='{disk}/filler' bs=4k 2>/dev/null || true)")
    r = _run(cli, ["--db", str(disk / "msp.db"), "clients", "create", "--name", "Fuller", "--plan",
                   "teams-monthly", "--seats", "3", "--owner", "o@fuller.example"], wrap=wrap)
    _one_line(r, str(disk / "msp.db"), "cannot use")


def test_attack7_full_disk_file_size_limit(cli):
    for suffix in ("-wal", "-shm"):
        Path(cli.url + suffix).unlink(missing_ok=True)

    def limit() -> None:  # writes past 16 KiB fail with EFBIG instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))

    r = _run(cli, ["clients", "list"], preexec=limit)
    _one_line(r, cli.url, "cannot use")


def test_attack7_a_folder_in_place_of_the_file(cli, tmp_path):
    folder = tmp_path / "folder.db"
    folder.mkdir()
    r = _run(cli, ["--db", str(folder), "clients", "list"])
    _one_line(r, f"cannot use the database {folder}: it is a folder, not a database file.")
    r = _run(cli, ["--db", str(folder), "db", "upgrade"])  # not even the creators write into a folder
    _one_line(r, str(folder), "folder")


def test_attack7_postgresql_server_down(cli):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://msp@127.0.0.1:{port}/msp"
    for args in (["clients", "list"], ["db", "check"], ["db", "upgrade"]):
        r = _run(cli, ["--db", url, *args])
        _one_line(r, f"cannot use the database postgresql://msp@127.0.0.1:{port}/msp", "refused")
