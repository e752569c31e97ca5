"""Reaching the app through a real sshd on loopback, in a pseudo-terminal at 80×24, as an MSP admin would:
sign in, see the clients home, open one client, quit.

sshd runs in the foreground (-D) on a free port with a throwaway host key and a throwaway user key whose
authorized_keys line forces the command (the app on a demo database). The client is `ssh -tt`, itself
in a pseudo-terminal of 80×24; what comes back is read with pyte.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pty
import select
import struct
import subprocess
import termios
import time

import pytest

from tests.e2e.support import (DEMO_EMAIL, DEMO_PASSWORD, Screen, app_command, demo_database, free_port, need,
                               wait_until)

COLUMNS, LINES = 80, 24


@pytest.fixture
def sshd(tmp_path):
    """A throwaway sshd on 127.0.0.1 letting one throwaway key in, to run only the app."""
    sshd_bin = need("sshd", "/usr/sbin/sshd", package="openssh-server")
    ssh_keygen = need("ssh-keygen", package="openssh-client")
    need("ssh", package="openssh-client")
    db_path, names = demo_database(tmp_path / "demo.db")
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    for name in ("host", "user"):
        subprocess.run([ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True)
    command = " ".join(app_command(db_path))
    public = (keys / "user.pub").read_text().strip()
    (keys / "authorized_keys").write_text(
        f'command="{command}",no-port-forwarding,no-agent-forwarding,no-X11-forwarding {public}\n')
    port = free_port()
    config = keys / "sshd_config"
    config.write_text("\n".join([
        f"ListenAddress 127.0.0.1:{port}",
        f"HostKey {keys / 'host'}",
        f"AuthorizedKeysFile {keys / 'authorized_keys'}",
        f"PidFile {keys / 'sshd.pid'}",
        f"AllowUsers {getpass.getuser()}",
        "PubkeyAuthentication yes", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "PermitRootLogin forced-commands-only",  # CI may run as root: only the forced command, never a shell
        "UsePAM no", "StrictModes no", "PrintMotd no", "PrintLastLog no", "LogLevel ERROR",
        # pyte and the app need a terminal type; the client sends TERM with the pty request.
        "",
    ]))
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privilege-separation directory
    proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(config)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sshd stopped: {proc.stdout.read().decode(errors='replace')}", pytrace=False)
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield {"port": port, "key": keys / "user", "names": names}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_over_ssh_sign_in_open_the_clients_home_and_one_client_then_quit(sshd):
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    ssh = subprocess.Popen(
        ["ssh", "-F", "/dev/null", "-tt", "-p", str(sshd["port"]), "-i", str(sshd["key"]), "-o", "IdentitiesOnly=yes",
         "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", f"{getpass.getuser()}@127.0.0.1"],
        stdin=follower, stdout=follower, stderr=follower, start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"})
    os.close(follower)
    screen = Screen(COLUMNS, LINES)

    def pump(seconds: float) -> None:
        ready, _, _ = select.select([leader], [], [], seconds)
        while ready:
            try:
                data = os.read(leader, 65536)
            except OSError:
                return
            if not data:
                return
            screen.feed(data)
            ready, _, _ = select.select([leader], [], [], 0.02)

    def type_(text: str) -> None:
        os.write(leader, text.encode())

    try:
        wait_until(lambda: screen.shows("Sign in"), 60, "the sign-in screen", screen, pump)
        type_(DEMO_EMAIL + "\r")
        time.sleep(0.2)
        type_(DEMO_PASSWORD + "\r")
        wait_until(lambda: any(name in screen.text for name in sshd["names"]), 60, "the clients home", screen, pump)
        assert DEMO_PASSWORD not in screen.text
        type_("\r")  # open the client under the cursor
        wait_until(lambda: screen.shows("1 Overview", "Seats", "Owners"), 30, "a client's overview", screen, pump)
        type_("\x11")  # ctrl+q
        end = time.monotonic() + 30
        while ssh.poll() is None and time.monotonic() < end:
            pump(0.1)
        assert ssh.returncode == 0, f"ssh exited {ssh.returncode}; the screen showed:\n{screen.text}"
    finally:
        if ssh.poll() is None:
            ssh.kill()
            ssh.wait()
        os.close(leader)
