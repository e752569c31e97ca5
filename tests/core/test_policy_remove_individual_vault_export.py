"""Policy 10 Remove individual vault export: core refuses exporting a personal vault when any client
binding the person has it on (the vault export calls `policies.refuse_personal_vault_export`)."""

from __future__ import annotations

import pytest

from msp_tui.core.enums import PolicyType
from msp_tui.core.errors import Refused
from msp_tui.core.services import clients, members, accounts, policies
from tests.core.test_vault_support import USER_PASSWORD, make_client

P10 = PolicyType.DISABLE_PERSONAL_VAULT_EXPORT


def test_remove_individual_vault_export_refuses_members_personal_export(db, admin):
    c = make_client(db, admin)
    policies.check_personal_vault_export(db, c.user)  # off: allowed
    policies.set_policy(db, admin, c.organization_id, P10, enabled=True)
    with pytest.raises(Refused) as refused:
        policies.check_personal_vault_export(db, c.user)
    assert refused.value.rule == "remove-individual-vault-export"
    assert policies.PERSONAL_EXPORT_MESSAGE in refused.value.message
    assert "Remove individual vault export" in refused.value.message and c.name in refused.value.message
    assert refused.value.exit_code == 1
    # Owners and provider staff are exempt; turned off, the member may export again.
    policies.check_personal_vault_export(db, c.owner)
    policies.check_personal_vault_export(db, admin)
    policies.set_policy(db, admin, c.organization_id, P10, enabled=False)
    policies.check_personal_vault_export(db, c.user)


def test_remove_individual_vault_export_strictest_client_wins(db, admin):
    c = make_client(db, admin)
    f = clients.create_client(db, admin, name="Fabrikam", plan="enterprise-monthly", seats=10,
                              owner_email="owner@fabrikam.example")
    secret = members.invite(db, admin, f.id, ["user@contoso.example"], role="user").secrets["user@contoso.example"]
    accounts.accept_invitations(db, email="user@contoso.example", secret=secret, password=USER_PASSWORD)
    members.confirm(db, admin, f.id, ["user@contoso.example"])
    policies.set_policy(db, admin, f.id, P10, enabled=True)  # Contoso leaves it off
    with pytest.raises(Refused) as refused:
        policies.check_personal_vault_export(db, c.user)
    assert "Fabrikam" in refused.value.message
