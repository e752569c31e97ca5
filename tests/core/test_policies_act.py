"""Client policies that act on the vault (issue 16): 5 Enforce organization data ownership and
15 Restricted item types, with the reference's exemptions and the strictest client winning."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from msp_tui.cli import main
from msp_tui.core.enums import EventType, PolicyType
from msp_tui.core.errors import NotFound, Refused
from msp_tui.core.models import Event, VaultItem
from msp_tui.core.services import accounts, clients, members, policies, vault
from tests.conftest import make_provider
from tests.core.test_vault_support import USER_PASSWORD, make_client

P5, P15 = PolicyType.ORGANIZATION_DATA_OWNERSHIP, PolicyType.RESTRICTED_ITEM_TYPES
CARD = {"cardholder": "Uma User", "brand": "Visa", "number": "4111111111111111", "code": "123"}


def _count(db, model, *where):
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _second_client_with_user(db, admin, user_role="user"):
    """Fabrikam, where user@contoso.example (already Contoso's User) is also a member."""
    f = clients.create_client(db, admin, name="Fabrikam", plan="enterprise-monthly", seats=10,
                              owner_email="owner@fabrikam.example")
    secret = members.invite(db, admin, f.id, ["user@contoso.example"], role=user_role).secrets["user@contoso.example"]
    accounts.accept_invitations(db, email="user@contoso.example", secret=secret, password=USER_PASSWORD)
    members.confirm(db, admin, f.id, ["user@contoso.example"])
    return f


# --- 5 Enforce organization data ownership ------------------------------------------------------


def test_enforce_organization_data_ownership_refuses_members_personal_items(db, admin):
    c = make_client(db, admin)
    kept = vault.create_item(db, c.user, type="note", name="Before the policy", fields={"notes": "x"},
                             personal=True)
    policies.set_policy(db, admin, c.organization_id, P5, enabled=True)
    items_before, events_before = _count(db, VaultItem), _count(db, Event)
    with pytest.raises(Refused) as refused:
        vault.create_item(db, c.user, type="note", name="After", fields={"notes": "y"}, personal=True)
    assert refused.value.rule == "organization-data-ownership"
    assert vault.DATA_OWNERSHIP_MESSAGE in refused.value.message
    assert "Enforce organization data ownership" in refused.value.message and c.name in refused.value.message
    assert (_count(db, VaultItem), _count(db, Event)) == (items_before, events_before)  # nothing written
    # Existing personal items stay, and items still go into the client's vault.
    assert [i.id for i in vault.list_personal(db, c.user)] == [kept.id]
    vault.create_item(db, c.user, type="login", name="Shared router", client=c.organization_id,
                      collection_ids=[c.shared])


def test_enforce_organization_data_ownership_exempts_owners_admins_and_staff(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P5, enabled=True)
    vault.create_item(db, c.owner, type="note", name="Owner's own", fields={"notes": "o"}, personal=True)
    vault.create_item(db, admin, type="note", name="Staff's own", fields={"notes": "a"}, personal=True)
    # Turned off again, the member may create personal items again.
    policies.set_policy(db, admin, c.organization_id, P5, enabled=False)
    vault.create_item(db, c.user, type="note", name="Uma's own", fields={"notes": "u"}, personal=True)


def test_enforce_organization_data_ownership_strictest_client_wins(db, admin):
    c = make_client(db, admin)
    f = _second_client_with_user(db, admin)
    policies.set_policy(db, admin, f.id, P5, enabled=True)  # Contoso leaves it off
    with pytest.raises(Refused) as refused:
        vault.create_item(db, c.user, type="note", name="Mine", fields={"notes": "z"}, personal=True)
    assert "Fabrikam" in refused.value.message


# --- 15 Restricted item types -------------------------------------------------------------------


def test_restricted_item_types_members_cannot_create_cards(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P15, enabled=True)
    before = _count(db, VaultItem)
    for where in ({"client": c.organization_id, "collection_ids": [c.shared]}, {"personal": True}):
        with pytest.raises(Refused) as refused:
            vault.create_item(db, c.user, type="card", name="Company card", fields=CARD, **where)
        assert refused.value.rule == "restricted-item-types"
        assert "Restricted item types" in refused.value.message and c.name in refused.value.message
    assert _count(db, VaultItem) == before
    assert _count(db, Event, Event.type == int(EventType.ITEM_CREATED)) == 0
    # Other types still can be created; Owners and provider staff are exempt.
    vault.create_item(db, c.user, type="login", name="Router", client=c.organization_id, collection_ids=[c.shared])
    vault.create_item(db, c.owner, type="card", name="Owner card", fields=CARD, client=c.organization_id,
                      collection_ids=[c.shared])
    vault.create_item(db, admin, type="card", name="Staff card", fields=CARD, client=c.organization_id,
                      collection_ids=[c.shared])


def test_restricted_item_types_members_do_not_see_existing_cards(db, admin):
    c = make_client(db, admin)
    card = vault.create_item(db, admin, type="card", name="Company card", fields=CARD, client=c.organization_id,
                             collection_ids=[c.shared])
    own = vault.create_item(db, c.user, type="card", name="Uma card", fields=CARD, personal=True)
    vault.create_item(db, admin, type="login", name="Router", client=c.organization_id, collection_ids=[c.shared])
    assert {i.name for i in vault.list_items(db, c.user, c.organization_id)} == {"Company card", "Router"}
    policies.set_policy(db, admin, c.organization_id, P15, enabled=True)
    assert [i.name for i in vault.list_items(db, c.user, c.organization_id)] == ["Router"]
    assert vault.count_items(db, c.user, c.organization_id) == 1
    assert vault.list_personal(db, c.user) == []
    for ref in (card.id, own.id):
        with pytest.raises(NotFound):
            vault.view_item(db, c.user, ref)
        with pytest.raises(NotFound):
            vault.edit_item(db, c.user, ref, name="Renamed")
    # The Owner and provider staff still see the card; it is hidden, not gone.
    assert {i.name for i in vault.list_items(db, c.owner, c.organization_id)} == {"Company card", "Router"}
    assert {i.name for i in vault.list_items(db, admin, c.name)} == {"Company card", "Router"}
    policies.set_policy(db, admin, c.organization_id, P15, enabled=False)
    assert [i.name for i in vault.list_personal(db, c.user)] == ["Uma card"]


def test_restricted_item_types_strictest_client_wins_and_admins_are_exempt(db, admin):
    c = make_client(db, admin)
    f = _second_client_with_user(db, admin, user_role="admin")
    policies.set_policy(db, admin, f.id, P15, enabled=True)
    # An Admin of Fabrikam is exempt from Fabrikam's policy: Contoso's card can still be made.
    vault.create_item(db, c.user, type="card", name="Card", fields=CARD, personal=True)
    policies.set_policy(db, admin, c.organization_id, P15, enabled=True)
    with pytest.raises(Refused):  # bound as a User of Contoso: refused everywhere, Fabrikam included
        vault.create_item(db, c.user, type="card", name="Card 2", fields=CARD, client=f.id)
    assert vault.list_personal(db, c.user) == []


def test_restricted_item_types_and_data_ownership_refuse_on_the_command_line_with_exit_1(sqlite_db, capsys,
                                                                                         monkeypatch):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P5, enabled=True)
    policies.set_policy(db, admin, c.organization_id, P15, enabled=True)
    monkeypatch.setenv("PW", USER_PASSWORD)
    base = ["--db", db.url.render_as_string(hide_password=False), "--email", "user@contoso.example",
            "--passwordenv", "PW", "vault", "add"]

    def run(*argv):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([*base, *argv])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return exc.value.code, out.err

    code, err = run("--personal", "--type", "note", "--name", "Mine", "--field", "notes=x")
    assert code == 1 and vault.DATA_OWNERSHIP_MESSAGE in err, err
    code, err = run(c.name, "--type", "card", "--name", "Card", "--collection", "Shared logins")
    assert code == 1 and "Restricted item types" in err, err
