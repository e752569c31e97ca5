"""Rules on a client's members and name (issue 14), on SQLite and PostgreSQL.

- A client keeps a confirmed Owner: revoking, removing or demoting its last one is refused, as the
  reference refuses it ("Organization must have at least one confirmed owner"); the provider does
  not count as one - unlinking the client needs an Owner of its own.
- Two clients of one provider cannot have the same name in any case.
"""

from __future__ import annotations

import pytest

from msp_tui.core.enums import MemberRole, MemberStatus
from msp_tui.core.errors import Refused
from msp_tui.core.services import accounts, clients, member_actions, members
from tests.conftest import PASSWORD

OWNERS = "The organization must keep at least one confirmed Owner."


def _client_with_confirmed_owner(db, admin, name="Contoso"):
    c = clients.create_client(db, admin, name=name, plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    accounts.accept_invitations(db, email="owner@contoso.example", secret=c.owner_invite_secret, password=PASSWORD,
                                name="Olga")
    members.confirm(db, admin, c.id, ["owner@contoso.example"])
    return c


def _status(db, admin, c, email):
    m = next(m for m in members.list_members(db, admin, c.id) if m.email == email)
    return m.role, m.status


def test_last_owner_cannot_be_revoked_removed_or_demoted(db, admin):
    c = _client_with_confirmed_owner(db, admin)
    for attempt in (lambda: members.revoke(db, admin, c.id, ["owner@contoso.example"]),
                    lambda: members.remove(db, admin, c.id, ["owner@contoso.example"]),
                    lambda: members.change_role(db, admin, c.id, ["owner@contoso.example"], "admin")):
        with pytest.raises(Refused) as caught:
            attempt()
        assert caught.value.rule == "owners" and caught.value.message == OWNERS
    assert _status(db, admin, c, "owner@contoso.example") == (MemberRole.OWNER, MemberStatus.CONFIRMED)


def test_last_owner_is_greyed_out_with_cores_reason(db, admin):
    c = _client_with_confirmed_owner(db, admin)
    panel = member_actions.load(db, admin, c.id)
    owner = next(m for m in panel.members if m.email == "owner@contoso.example")
    assert panel.refusals[owner.id]["revoke"] == OWNERS
    assert panel.refusals[owner.id]["remove"] == OWNERS


def test_last_owner_rule_counts_owners_in_one_bulk_action(db, admin):
    c = _client_with_confirmed_owner(db, admin)
    secret = members.invite(db, admin, c.id, ["second@contoso.example"], "owner").secrets["second@contoso.example"]
    accounts.accept_invitations(db, email="second@contoso.example", secret=secret, password=PASSWORD, name="Sec")
    members.confirm(db, admin, c.id, ["second@contoso.example"])
    with pytest.raises(Refused):
        members.revoke(db, admin, c.id, ["owner@contoso.example", "second@contoso.example"])
    # All or nothing: the first was not revoked either.
    assert _status(db, admin, c, "owner@contoso.example")[1] == MemberStatus.CONFIRMED
    members.revoke(db, admin, c.id, ["second@contoso.example"])  # one of two: fine
    assert _status(db, admin, c, "second@contoso.example")[1] == MemberStatus.REVOKED


def test_an_invited_owner_can_still_be_changed(db, admin):
    c = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    members.change_role(db, admin, c.id, ["owner@contoso.example"], "admin")  # never confirmed
    assert _status(db, admin, c, "owner@contoso.example")[0] == MemberRole.ADMIN


CLIENT = dict(plan="teams-monthly", seats=5, owner_email="o@client.example")


def test_client_names_are_unique_in_any_case_at_create(db, admin):
    clients.create_client(db, admin, name="Contoso Legal", **CLIENT)
    for name in ("contoso legal", "CONTOSO LEGAL", "  Contoso Legal "):
        with pytest.raises(Refused) as caught:
            clients.create_client(db, admin, name=name, **CLIENT)
        assert caught.value.rule == "client-name"
        assert "Contoso Legal" in caught.value.message
    assert [c.name for c in clients.list_clients(db, admin, limit=10).rows] == ["Contoso Legal"]


def test_client_names_are_unique_in_any_case_at_rename(db, admin):
    clients.create_client(db, admin, name="Contoso Legal", **CLIENT)
    other = clients.create_client(db, admin, name="Fabrikam", **CLIENT)
    with pytest.raises(Refused) as caught:
        clients.rename(db, admin, other.id, "contoso LEGAL")
    assert caught.value.rule == "client-name"
    clients.rename(db, admin, other.id, "FABRIKAM")  # its own name in another case is fine
    assert sorted(c.name for c in clients.list_clients(db, admin, limit=10).rows) == ["Contoso Legal", "FABRIKAM"]


def test_client_names_are_unique_in_the_database_too(db, admin):
    """A second writer that skipped core's check still cannot store the same name."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from msp_tui.core.models import Client

    clients.create_client(db, admin, name="Contoso Legal", **CLIENT)
    other = clients.create_client(db, admin, name="Fabrikam", **CLIENT)
    with pytest.raises(IntegrityError):
        with db.write() as s:
            s.execute(update(Client).where(Client.organization_id == other.id).values(name_lower="contoso legal"))


def test_migration_renames_clients_whose_names_differ_only_in_case(db, admin):
    from alembic import command
    from sqlalchemy import text

    a = clients.create_client(db, admin, name="Contoso Legal", **CLIENT)
    b = clients.create_client(db, admin, name="Fabrikam", **CLIENT)
    with db._writer.begin() as conn:
        command.downgrade(db._alembic_config(conn), "c001")
    with db._writer.begin() as conn:  # what older versions allowed
        conn.execute(text("UPDATE organization SET name = 'contoso legal', name_lower = 'contoso legal' "
                          "WHERE name = 'Fabrikam'"))
    assert db.upgrade()
    names = {c.id: c.name for c in clients.list_clients(db, admin, limit=10).rows}
    assert names == {a.id: "Contoso Legal", b.id: "contoso legal (2)"}
