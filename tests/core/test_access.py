"""The role × action table, tested cell by cell against people built through the real use cases."""

from __future__ import annotations

import pytest

from msp_tui.core import access
from msp_tui.core.access import ACCESS_TABLE, PROVIDER_ACTIONS, Action, Kind, decide, standing_for
from msp_tui.core.errors import Refused
from msp_tui.core.permissions import CUSTOM_FLAGS
from msp_tui.core.services import clients, staff
from tests.world import build_world

LABELS = ["provider admin", "service user", "staff accepted", "staff invited", "owner", "admin", "user",
          "custom (all flags)", "custom (no flags)", "stranger"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    import shutil

    from msp_tui.core.db import Database

    path = tmp_path_factory.mktemp("world") / "world.db"
    shutil.copy(sqlite_template, path)
    return build_world(Database(path))


def expected(action: Action, label: str) -> bool:
    cell = ACCESS_TABLE[action][Kind.CUSTOM if label.startswith("custom") else _kind(label)]
    if cell == access.Y:
        return True
    if cell[0] == "custom":
        return label == "custom (all flags)"
    return False


def _kind(label: str) -> Kind:
    return {"provider admin": Kind.PROVIDER_ADMIN, "service user": Kind.SERVICE_USER,
            "staff accepted": Kind.STAFF_ACCEPTED, "staff invited": Kind.STAFF_INVITED, "owner": Kind.OWNER,
            "admin": Kind.ADMIN, "user": Kind.USER, "stranger": Kind.STRANGER}[label]


@pytest.mark.parametrize("label", LABELS)
def test_standing_resolved_from_the_database(world, label):
    actor = world.actors[label]
    with world.db.read() as s:
        if label in ("staff accepted", "staff invited", "provider admin", "service user"):
            assert standing_for(s, actor).kind == world.kinds[label]
        assert standing_for(s, actor, organization_id=world.org_id).kind == world.kinds[label]


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
@pytest.mark.parametrize("label", LABELS)
def test_access_table_cell(world, action, label):
    actor = world.actors[label]
    with world.db.read() as s:
        if action in PROVIDER_ACTIONS:
            # Towards the provider, a client's members are strangers; staff are what their row says.
            standing = standing_for(s, actor, provider_id=world.actors["provider admin"].provider_id)
            kind = standing.kind
            want_cell = ACCESS_TABLE[action][kind]
            want = want_cell == access.Y
        else:
            standing = standing_for(s, actor, organization_id=world.org_id)
            want = expected(action, label)
        decision = decide(standing, action)
    assert decision.allowed is want, (action, label, decision)
    if not decision.allowed:
        assert decision.reason and decision.rule


def test_every_cell_is_filled():
    for action in Action:
        assert set(ACCESS_TABLE[action]) == set(Kind), action


def test_access_doc_matches_the_table():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "access.md"
    assert access.document() in doc.read_text(), (
        "docs/access.md differs from core/access.py: paste the output of `python -m msp_tui.core.access` "
        "in place of its tables")


def test_S4_service_user_refused_by_core_not_only_hidden(world):
    service = world.actors["service user"]
    with pytest.raises(Refused) as err:
        clients.create_client(world.db, service, name="Sneaky", plan="teams-monthly", seats=3,
                              owner_email="x@sneaky.example")
    assert err.value.rule == "S4"
    with pytest.raises(Refused) as err:
        staff.invite(world.db, service, ["friend@msp.example"], "admin")
    assert err.value.rule == "S4"
    with pytest.raises(Refused) as err:
        clients.unlink(world.db, service, world.org_id)
    assert err.value.rule == "S4"


def test_S1_unconfirmed_staff_have_no_access(world):
    for label in ("staff accepted", "staff invited"):
        with pytest.raises(Refused) as err:
            clients.list_clients(world.db, world.actors[label])
        assert err.value.rule == "S1"


def test_S2_staff_act_as_owner_inside_every_client(world):
    """Both staff roles pass every client-scoped check an Owner passes, without being members."""
    for label in ("provider admin", "service user"):
        with world.db.read() as s:
            standing = standing_for(s, world.actors[label], organization_id=world.org_id)
            assert standing.member_id is None
            for action in Action:
                if action in PROVIDER_ACTIONS:
                    continue
                if ACCESS_TABLE[action][Kind.OWNER] == access.Y:
                    assert decide(standing, action).allowed, (label, action)


def test_custom_flags_cover_every_flag_named_in_the_table():
    named = {f for row in ACCESS_TABLE.values() for cell in row.values()
             if cell != access.Y and cell[0] == "custom" for f in cell[1]}
    assert named <= set(CUSTOM_FLAGS)
