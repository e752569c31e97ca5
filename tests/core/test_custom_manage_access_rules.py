"""The Custom role's *manage access rules* permission (the reference's ManageAccessRules): here the
rules are the collections' access. A Custom member with it gives, changes and takes away access to
collections, and nothing more; without it (or edit any collection) core refuses."""

from __future__ import annotations

import pytest

from msp_tui.core.enums import CollectionAccess
from msp_tui.core.errors import Refused
from msp_tui.core.services import accounts, collections, groups, members
from tests.core.test_vault_support import USER_PASSWORD, make_client


def _custom(db, admin, c, email, flags):
    secret = members.invite(db, admin, c.organization_id, [email], role="custom",
                            custom_permissions=flags).secrets[email]
    accounts.accept_invitations(db, email=email, secret=secret, password=USER_PASSWORD)
    members.confirm(db, admin, c.organization_id, [email])
    return accounts.sign_in(db, email, USER_PASSWORD)


def test_custom_manage_access_rules_gives_and_takes_away_collection_access(db, admin):
    c = make_client(db, admin)
    rules = _custom(db, admin, c, "rita@contoso.example", {"manage_access_rules"})
    collections.set_member_access(db, rules, c.organization_id, c.readonly, "user@contoso.example",
                                  CollectionAccess.CAN_EDIT)
    g = groups.create_group(db, admin, c.organization_id, "Helpdesk")
    collections.set_group_access(db, rules, c.organization_id, c.shared, g.id, CollectionAccess.CAN_VIEW)
    collections.set_member_access(db, rules, c.organization_id, c.readonly, "user@contoso.example", None)
    assert any(x.name == "Break-glass" for x in collections.list_collections(db, rules, c.organization_id))
    # Only access: renaming, deleting or creating a collection stays refused.
    for attempt in (lambda: collections.rename_collection(db, rules, c.organization_id, c.shared, "Renamed"),
                    lambda: collections.delete_collection(db, rules, c.organization_id, c.shared),
                    lambda: collections.create_collection(db, rules, c.organization_id, "New")):
        with pytest.raises(Refused):
            attempt()


def test_custom_without_manage_access_rules_cannot_change_collection_access(db, admin):
    c = make_client(db, admin)
    other = _custom(db, admin, c, "carl@contoso.example", {"access_reports"})
    with pytest.raises(Refused) as refused:
        collections.set_member_access(db, other, c.organization_id, c.readonly, "user@contoso.example",
                                      CollectionAccess.CAN_EDIT)
    assert "Manage access rules" in refused.value.message
    # Edit any collection still includes access, as before the flag.
    editor = _custom(db, admin, c, "eve@contoso.example", {"edit_any_collection"})
    collections.set_member_access(db, editor, c.organization_id, c.readonly, "user@contoso.example",
                                  CollectionAccess.CAN_EDIT)
