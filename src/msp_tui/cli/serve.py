"""`serve`: the UI in a browser, through textual-serve.

Every browser tab runs its own `msp-tui` process on the same database and starts at the sign-in
screen: the link itself grants nothing. It listens on 127.0.0.1 unless told otherwise; to reach it
from other machines, put it behind a reverse proxy that authenticates (docs/cli.md).

Any web page the admin has open can make their browser talk to 127.0.0.1 (attack 2 of issue 15), so
the server answers only requests whose Origin is its own address or --public-url (a websocket must
name one; browsers always do), and whose Host is one of those too (a rebound DNS name gets 403). At
most --max-sessions terminals run at once; past that the page says so.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from msp_tui.cli.state import CliState, pass_state

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_MAX_SESSIONS = 8
FULL_PAGE = ("<!doctype html><title>msp-tui: all sessions in use</title>"
             "<h1>msp-tui: all {n} sessions are in use</h1>"
             "<p>This server runs at most {n} sessions at once (<code>--max-sessions</code>). "
             "Close another msp-tui tab, or try again in a moment.</p>")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(host: str, port: int, public_url: str | None) -> set[str]:
    """The browser origins that may use this server: its own address (each loopback spelling of it
    when it listens on loopback) and --public-url."""
    hosts = {host}
    if host in LOOPBACK:
        hosts |= set(LOOPBACK)
    origins = {f"http://{'[' + h + ']' if ':' in h else h}:{port}" for h in hosts if h not in ("0.0.0.0", "::")}
    if public_url:
        origins.add(_origin(public_url))
    return origins


def guarded_server(command: str, *, host: str, port: int, public_url: str | None, max_sessions: int,
                   base=None):
    """A textual-serve Server (or `base`, derived from it) that checks Origin and Host and caps the
    number of sessions."""
    from aiohttp import web
    from textual_serve.server import Server

    origins = allowed_origins(host, port, public_url)
    hosts = {urlsplit(o).netloc for o in origins}

    class GuardedServer(base or Server):
        sessions = 0

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()

            @web.middleware
            async def same_origin_only(request: web.Request, handler):
                origin = request.headers.get("Origin")
                is_websocket = request.path == "/ws"
                if request.host.lower() not in hosts:
                    raise web.HTTPForbidden(text="msp-tui: this address is not the server's own.\n")
                if (origin is None and is_websocket) or (origin is not None and origin.lower() not in origins):
                    raise web.HTTPForbidden(text="msp-tui: requests from other web pages are refused.\n")
                return await handler(request)

            app.middlewares.append(same_origin_only)
            return app

        def _full(self) -> bool:
            return GuardedServer.sessions >= max_sessions

        async def handle_index(self, request: web.Request):
            if self._full():
                return web.Response(status=503, content_type="text/html",
                                    text=FULL_PAGE.format(n=max_sessions))
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request):
            if self._full():
                raise web.HTTPServiceUnavailable(text=FULL_PAGE.format(n=max_sessions), content_type="text/html")
            GuardedServer.sessions += 1
            try:
                return await super().handle_websocket(request)
            finally:
                GuardedServer.sessions -= 1

    return GuardedServer(command, host=host, port=port, title="msp-tui", public_url=public_url)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the sign-in screen to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--public-url", default=None, metavar="URL",
              help="The address browsers use, when behind a reverse proxy (e.g. https://msp.example.com); "
                   "pages from any other origin are refused.")
@click.option("--max-sessions", default=DEFAULT_MAX_SESSIONS, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many browser sessions at once (each runs its own process).")
@pass_state
def serve(state: CliState, host: str, port: int, public_url: str | None, max_sessions: int) -> None:
    """Run the UI in a browser (textual-serve), on the same database.

    Each browser session starts at the sign-in screen. Requests whose Origin is not this server's
    own address or --public-url get 403, so another web page cannot drive it. Ctrl+C stops the server.

    \b
    Example:
      msp-tui --db ~/msp.db serve --port 8000
      msp-tui --db ~/msp.db serve --host 127.0.0.1 --public-url https://msp.example.com --max-sessions 4
    """
    import os
    import shlex
    import sys

    from msp_tui.core.errors import BadInput

    if public_url is not None and urlsplit(public_url).scheme not in ("http", "https"):
        raise BadInput("--public-url must start with http:// or https://.", "public_url")
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
    from textual_serve.server import Server

    from msp_tui.cli.serve_browser import browser_server

    guarded_server(command, host=host, port=port, public_url=public_url, max_sessions=max_sessions,
                   base=browser_server(Server)).serve()


COMMANDS = [serve]
