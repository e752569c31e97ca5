"""All tables. Import models from here; each area keeps its tables in its own module."""

from msp_tui.core.models.approvals import AccessGrant, ApprovalRequest
from msp_tui.core.models.base import Base, new_id
from msp_tui.core.models.client_groups import ClientGroup, ClientGroupClient, StaffScopeGroup
from msp_tui.core.models.billing import DiscountTier, PaymentMethod, ProviderPlan
from msp_tui.core.models.events import Event, EventChainHead
from msp_tui.core.models.orgs import (Client, Collection, CollectionGroup, CollectionMember, Group,
                                      GroupMember, Member, Organization, SeatChange)
from msp_tui.core.models.people import Account, Provider, SignInFailure, Staff
from msp_tui.core.models.policies import (ClientTemplate, Policy, PolicyDeviation, PolicyTemplate,
                                          PolicyTemplateItem)
from msp_tui.core.models.vault import CollectionItem, VaultItem

__all__ = [
    "AccessGrant", "Account", "ApprovalRequest", "Base", "Client", "ClientGroup", "ClientGroupClient", "StaffScopeGroup", "ClientTemplate", "Collection", "CollectionGroup", "CollectionItem", "CollectionMember",
    "DiscountTier", "PaymentMethod", "ProviderPlan",
    "Event", "EventChainHead", "Group", "GroupMember", "Member", "Organization", "Policy", "PolicyDeviation",
    "PolicyTemplate", "PolicyTemplateItem", "Provider",
    "SeatChange", "SignInFailure", "Staff", "VaultItem", "new_id",
]
