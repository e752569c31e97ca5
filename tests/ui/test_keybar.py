"""The key footer: shown bindings in order, greyed when refused, the palette's key always on the right,
a click presses the key, and it follows the bindings when focus moves."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from msp_tui.widgets.keybar import KeyBar
from tests.ui.frame_support import settle, sync


class KeysApp(App):
    BINDINGS = [Binding("n", "new", "New client"), Binding("s", "staff", "Staff"),
                Binding("x", "hidden", "Not shown", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.done: list[str] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield Input(id="box")
        yield KeyBar()

    def check_action(self, action: str, parameters) -> bool | None:
        return None if action == "staff" else True  # staff: refused, shown greyed

    def action_new(self) -> None:
        self.done.append("new")

    def action_staff(self) -> None:
        self.done.append("staff")

    def bell(self) -> None:
        self.bells += 1


async def settle_unfocused(app, pilot) -> None:
    """Started, with nothing focused: only the app's own keys are in the bar."""
    await settle(pilot)
    app.query_one(Input).blur()
    await settle(pilot)


def line(app) -> str:
    return str(app.query_one(KeyBar).render())


@sync
async def test_keys_in_order_refused_greyed_and_the_palette_on_the_right():
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await settle_unfocused(app, pilot)
        bar = app.query_one(KeyBar)
        text = bar.render()
        assert text.plain.startswith(" n New client  s Staff ")
        assert "Not shown" not in text.plain
        assert text.plain.rstrip().endswith("▏^p palette")
        assert text.cell_len == 60
        staff = text.plain.index("Staff")
        assert any(span.style.dim for span in text.spans if span.start <= staff < span.end)
        new = text.plain.index("New client")
        assert not any(span.style.dim for span in text.spans if span.start <= new < span.end)


@sync
async def test_a_narrow_terminal_drops_whole_keys_but_keeps_the_palette():
    app = KeysApp()
    async with app.run_test(size=(28, 5)) as pilot:
        await settle_unfocused(app, pilot)
        text = line(app)
        assert len(text) == 28 and text.endswith("▏^p palette ")
        assert text.startswith(" n New client ")
        assert "S" not in text.split("▏")[0], "a key that does not fit is left out whole, never cut"


class PinnedApp(KeysApp):
    BINDINGS = [Binding("n", "new", "New client"), Binding("s", "staff", "Staff"), Binding("m", "m", "Members"),
                Binding("v", "v", "Vault"), Binding("escape", "back", "Back"),
                Binding("question_mark", "help", "Help")]


@sync
async def test_esc_and_question_mark_stay_when_the_bar_is_too_narrow():
    """An 80-column bar ended in "m Membe": `?` and esc were gone. They never drop; later keys drop first."""
    app = PinnedApp()
    async with app.run_test(size=(50, 5)) as pilot:
        await settle_unfocused(app, pilot)
        text = line(app)
        assert len(text) == 50
        keys = text.split("▏")[0]
        assert " esc Back " in keys and " ? Help " in keys
        assert keys.startswith(" n New client ")
        assert "Vault" not in keys and "Membe" not in keys


@sync
async def test_a_click_presses_the_key_and_a_refused_key_rings():
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await settle_unfocused(app, pilot)
        text = line(app)
        await pilot.click(KeyBar, offset=(text.index("New") + 1, 0))
        await settle(pilot)
        assert app.done == ["new"]
        await pilot.click(KeyBar, offset=(text.index("Staff") + 1, 0))
        await settle(pilot)
        assert app.done == ["new"] and app.bells == 1


@sync
async def test_the_bar_follows_the_bindings_when_focus_moves():
    from tests.ui.test_paint_terminal import Terminal

    app = KeysApp()
    term = Terminal(app, (80, 5))
    async with app.run_test(size=(80, 5)) as pilot:
        await settle(pilot)
        box = app.query_one(Input)
        box.focus()
        await settle(pilot)
        with_input = term.screen.display[-1]
        assert with_input.rstrip() == line(app).rstrip()
        box.blur()
        await settle(pilot)
        assert term.screen.display[-1] != with_input  # the Input's own keys went with its focus
        assert term.screen.display[-1].rstrip() == line(app).rstrip()
