"""The command palette (ctrl+p): the commands of screens/areas.py the signed-in person may use."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from msp_tui.screens.areas import COMMANDS, Command


class MspCommands(Provider):
    def _available(self) -> list[Command]:
        app = self.app
        actor = getattr(app, "actor", None)
        if actor is None or actor.secrets is None:  # signed out or locked
            return []
        screen = self.screen
        out = []
        for cmd in COMMANDS:
            if cmd.action is not None and not app.allowed(cmd.action):
                continue
            if cmd.needs and getattr(screen, cmd.needs, None) is None:
                continue
            if cmd.where is not None and getattr(screen, "AREA", None) != cmd.where:
                continue
            method = getattr(cmd.run, "screen_method", None)
            if method is not None and not hasattr(screen, method):
                continue
            out.append(cmd)
        return out

    async def discover(self) -> Hits:
        for cmd in self._available():
            yield DiscoveryHit(cmd.title, partial(cmd.run, self.app), help=cmd.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in self._available():
            score = matcher.match(cmd.title)
            if score > 0:
                yield Hit(score, matcher.highlight(cmd.title), partial(cmd.run, self.app), help=cmd.help)
