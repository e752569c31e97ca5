"""Each browser tab's process learns the browser's address, so its sign-in is recorded as the browser
app ("msp-tui (browser)") with that address, not as a terminal with none.

textual-serve starts one process per websocket with a copy of the server's environment; the address
of the request travels to that copy in a context variable (each request is handled in its own task,
and the process is started inside it), never through the shared os.environ.
"""

from __future__ import annotations

import contextvars

from msp_tui.core.context import BROWSER_ADDRESS

_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("browser_address", default=None)


def browser_server(server_class):
    """`server_class` (textual_serve's Server, or one derived from it) whose app processes get
    MSP_TUI_BROWSER_ADDRESS."""
    import textual_serve.server as served

    base_service = served.AppService
    if not getattr(base_service, "_msp_browser", False):

        class BrowserAppService(base_service):
            _msp_browser = True

            def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
                environment = super()._build_environment(width=width, height=height)
                environment[BROWSER_ADDRESS] = _address.get() or "unknown"
                return environment

        served.AppService = BrowserAppService  # the name handle_websocket builds each tab's service with

    class BrowserServer(server_class):
        async def handle_websocket(self, request):
            _address.set(request.remote or "unknown")
            return await super().handle_websocket(request)

    return BrowserServer
