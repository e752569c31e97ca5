"""Every list screen answers the same keys the same way (README "Keys"; issue 14: on the members screen
j/k/g/G did nothing and g reloaded; members and staff invited with i while README says n).

The walk opens each list screen of the app and presses each shared key: j/k/g/G/home/end/page keys
move the cursor, ctrl+r reloads and keeps the place, space marks where something acts on marks (and
says plainly that nothing is marked elsewhere), / opens the filter, n creates or invites (or says that
nothing is created here), esc goes back.
"""

from __future__ import annotations

import pytest

from msp_tui.app import MspApp
from msp_tui.core.services import policies as pol
from msp_tui.core.services import staff as staff_service
from msp_tui.screens.base import ListScreen
from tests.conftest import make_provider
from tests.core._policy_support import client, member
from tests.ui.frame_support import settle, sync


def world(db):
    admin = make_provider(db)
    staff_service.invite(db, admin, ["bo@msp.example", "cy@msp.example", "di@msp.example"], "service")
    contoso = client(db, admin, "Contoso Legal")
    fabrikam = client(db, admin, "Fabrikam Dental")
    client(db, admin, "Litware Bakery", seats=1)
    client(db, admin, "Tailspin Toys")
    for i in range(6):
        member(db, contoso.id, f"person{i}@contoso.example")
    pol.create_template(db, admin, "Baseline", {"two-factor": True, "remove-pin": True})
    pol.apply_template(db, admin, "Baseline", [contoso.id, fabrikam.id], dry_run=False)
    for org in (contoso.id, fabrikam.id):
        pol.set_policy(db, admin, org, "remove-pin", enabled=False)
        pol.set_policy(db, admin, org, "two-factor", enabled=False)
    return admin, contoso


#: name → (how to open it, whether space marks there, what n does: "opens" a screen/dialog or "says").
SCREENS = {
    "clients": (lambda app, c: None, True, "opens"),
    "staff": (lambda app, c: app.open_area("staff"), True, "opens"),
    "members": (lambda app, c: app.open_client(c.id, tab="members"), True, "opens"),
    "health": (lambda app, c: app.open_area("health"), False, "says"),
    "drift": (lambda app, c: app.open_area("drift"), False, "says"),
    "timeline": (lambda app, c: app.open_area("timeline"), False, "says"),
    "policies": (lambda app, c: app.open_client(c.id, tab="policies"), False, "says"),
    "billing": (lambda app, c: app.open_area("billing"), False, "says"),
    "vault": (lambda app, c: app.open_client(c.organization_id, tab="vault"), False, "opens"),
}


def vault_world(db, monkeypatch):
    from msp_tui.core.services import accounts
    from tests.core.test_vault_support import NO_WAIT, add_login, make_client

    monkeypatch.setattr(accounts, "THROTTLE", NO_WAIT)
    admin = make_provider(db)
    c = make_client(db, admin)
    for name, collection in (("Core switch", c.shared), ("Bank portal", c.default), ("Firewall", c.readonly)):
        add_login(db, admin, c, name, f"{name}-pw-0001", collection)
    return admin, c


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("name", list(SCREENS))
@sync
async def test_every_list_answers_the_shared_keys_the_same_way(sqlite_db, monkeypatch, name):
    admin, contoso = vault_world(sqlite_db, monkeypatch) if name == "vault" else world(sqlite_db)
    open_it, markable, new_kind = SCREENS[name]
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        open_it(app, contoso)
        await settle(pilot, 6)
        screen = app.screen
        assert isinstance(screen, ListScreen), f"{name} is not built on the list base"
        table = screen.list_table
        assert table.has_focus
        last = len(table.rows) - 1
        assert last >= 2, f"{name}: the walk needs at least three rows"

        # Moving: the same keys do the same on every list.
        for key, expected in [("j", 1), ("j", 2), ("k", 1), ("G", last), ("g", 0), ("end", last),
                              ("home", 0), ("down", 1), ("up", 0)]:
            await press(pilot, key)
            assert table.cursor == expected, f"{name}: {key} put the cursor on {table.cursor}, not {expected}"
        await press(pilot, "pagedown")
        assert table.cursor > 0
        await press(pilot, "pageup")
        assert table.cursor == 0

        # ctrl+r reloads and keeps the place.
        await press(pilot, "j")
        await press(pilot, "ctrl+r")
        await settle(pilot, 4)
        assert app.screen is screen and table.cursor == 1, f"{name}: ctrl+r lost the place"

        # space marks where marks mean something; elsewhere it says so and marks nothing.
        before = list(messages(app))
        await press(pilot, "space")
        if markable:
            assert len(table.marked) == 1, f"{name}: space did not mark"
            await press(pilot, "k", "space")  # unmark
            assert not table.marked
        else:
            assert not getattr(table, "marked", None)
            said = messages(app)[len(before):]
            assert any("not marked" in m for m in said), f"{name}: space did nothing and said nothing"

        # / filters.
        before = list(messages(app))
        await press(pilot, "slash")
        if name == "timeline":
            assert app.screen is not screen, "the timeline's / opens its filter dialog"
        elif name == "billing":  # SQL pages by name, no filter: it says where to filter
            assert any("filter the clients home" in m for m in messages(app)[len(before):])
        else:
            assert app.focused is not None and app.focused.id == "filter", f"{name}: / did not open the filter"
        if name != "billing":
            await press(pilot, "escape")
            assert app.screen is screen, f"{name}: esc from the filter left the screen"
        await press(pilot, "escape") if name != "timeline" and app.focused is not table else None

        # n creates or invites, or says nothing is created here.
        before = list(messages(app))
        await press(pilot, "n")
        if new_kind == "opens":
            assert app.screen is not screen, f"{name}: n opened nothing"
            await press(pilot, "escape")
            await settle(pilot, 4)
            if app.screen is not screen:  # a wizard may ask before it closes
                await press(pilot, "y")
            assert app.screen is screen
        else:
            assert app.screen is screen
            assert any("Nothing is created" in m for m in messages(app)[len(before):]), f"{name}: n said nothing"

        # esc goes back (the clients home has nowhere to go).
        depth = len(app.screen_stack)
        await press(pilot, "escape")
        if name == "clients":
            assert app.screen is screen
        else:
            assert len(app.screen_stack) < depth, f"{name}: esc did not go back"


@sync
async def test_i_still_invites_on_members_and_staff_as_a_quiet_alias(sqlite_db):
    from msp_tui.widgets.keybar import KeyBar

    admin, contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for opener in (lambda: app.open_area("staff"), lambda: app.open_client(contoso.id, tab="members")):
            opener()
            await settle(pilot, 6)
            screen = app.screen
            bar = str(screen.query_one(KeyBar).render())
            assert " n Invite " in bar and " i " not in bar
            await press(pilot, "i")
            assert app.screen is not screen
            await press(pilot, "escape")
            assert app.screen is screen
            await press(pilot, "escape")


@sync
async def test_space_on_a_client_page_tab_says_nothing_is_marked(sqlite_db):
    """Marks mean something wherever they can be set: no key of the client page acts on marked rows."""
    admin, contoso = world(sqlite_db)
    app = MspApp(sqlite_db, actor=admin)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        app.open_client(contoso.id, tab="members")
        app.pop_screen()  # the members screen; its client page stays, on the members tab below it
        await settle(pilot, 5)
        await press(pilot, "2")
        table = app.screen.query_one("#members-table")
        table.focus()
        await press(pilot, "space")
        assert not table.marked
        assert any("not marked" in m for m in messages(app))
