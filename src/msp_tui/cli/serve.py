"""`serve`: the UI in a browser, through textual-serve.

Every browser tab runs its own `msp-tui` process on the same database and starts at the sign-in
screen: the link itself grants nothing. It listens on 127.0.0.1 unless told otherwise; to reach it
from other machines, put it behind a reverse proxy that authenticates (docs/cli.md).
"""

from __future__ import annotations

import click

from msp_tui.cli.state import CliState, pass_state

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the sign-in screen to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--public-url", default=None, metavar="URL",
              help="The address browsers use, when behind a reverse proxy (e.g. https://msp.example.com).")
@pass_state
def serve(state: CliState, host: str, port: int, public_url: str | None) -> None:
    """Run the UI in a browser (textual-serve), on the same database.

    Each browser session starts at the sign-in screen. Ctrl+C stops the server.

    \b
    Example:
      msp-tui --db ~/msp.db serve --port 8000
      msp-tui --db ~/msp.db serve --host 127.0.0.1 --public-url https://msp.example.com
    """
    import os
    import shlex
    import sys

    from textual_serve.server import Server

    db = state.db()  # opens and migrates once, and fails here (exit 2) rather than in every tab
    # The database reaches the app through the environment, so a URL's password never shows in `ps`.
    os.environ["MSP_TUI_DB"] = db.url.render_as_string(hide_password=False)
    for var in ("MSP_TUI_EMAIL",):
        os.environ.pop(var, None)  # each browser session signs in for itself
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}: anyone who reaches port {port} gets the sign-in "
                   "screen. Prefer 127.0.0.1 behind an authenticating reverse proxy.", err=True)
    command = f"{shlex.quote(sys.executable)} -m msp_tui"
    click.echo(f"Serving msp-tui on http://{host}:{port} (database {db.display}); Ctrl+C stops.", err=True)
    from msp_tui.cli.serve_browser import browser_server

    browser_server(Server)(command, host=host, port=port, title="msp-tui", public_url=public_url).serve()


COMMANDS = [serve]
