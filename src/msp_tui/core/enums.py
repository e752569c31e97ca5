"""The reference system's enums, with its numbers (reference/bitwarden-reference.md)."""

from __future__ import annotations

from enum import IntEnum


class ProviderType(IntEnum):
    MSP = 0
    RESELLER = 1
    BUSINESS_UNIT = 2


class ProviderStatus(IntEnum):
    PENDING = 0
    CREATED = 1
    BILLABLE = 2


class StaffRole(IntEnum):
    """ProviderUserType."""

    PROVIDER_ADMIN = 0
    SERVICE_USER = 1

    @property
    def label(self) -> str:
        return "Provider Admin" if self is StaffRole.PROVIDER_ADMIN else "Service User"


class StaffStatus(IntEnum):
    """ProviderUserStatusType: there is no Revoked for provider staff."""

    INVITED = 0
    ACCEPTED = 1
    CONFIRMED = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()


class MemberRole(IntEnum):
    """OrganizationUserType (Manager = 3 was removed by the reference)."""

    OWNER = 0
    ADMIN = 1
    USER = 2
    CUSTOM = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


class MemberStatus(IntEnum):
    """OrganizationUserStatusType."""

    REVOKED = -1
    INVITED = 0
    ACCEPTED = 1
    CONFIRMED = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()


def status_label(status: MemberStatus | StaffStatus, invitation_expired: bool = False, *,
                 short: bool = False) -> str:
    """A member's or staff row's Status as lists show it: "Invited (expired)" once the invitation is past
    its lifetime; `short` where that does not fit (a Status column at 80 columns), "Expired"."""
    if invitation_expired:
        return "Expired" if short else "Invited (expired)"
    return status.label


#: Members in these statuses occupy a seat.
SEAT_OCCUPYING_STATUSES = (MemberStatus.INVITED, MemberStatus.ACCEPTED, MemberStatus.CONFIRMED)


class RevocationReason(IntEnum):
    UNKNOWN = 0
    MANUAL = 1
    TWO_FACTOR_POLICY = 2
    DATA_OWNERSHIP_POLICY = 3
    SINGLE_ORG_POLICY = 4


class OrgStatus(IntEnum):
    PENDING = 0
    CREATED = 1
    MANAGED = 2


class PlanType(IntEnum):
    """The plans a provider may assign (a subset of the reference's PlanType numbers)."""

    TEAMS_MONTHLY = 17
    TEAMS_ANNUALLY = 18
    ENTERPRISE_MONTHLY = 19
    ENTERPRISE_ANNUALLY = 20

    @property
    def label(self) -> str:
        return {
            PlanType.TEAMS_MONTHLY: "Teams (Monthly)",
            PlanType.TEAMS_ANNUALLY: "Teams (Annually)",
            PlanType.ENTERPRISE_MONTHLY: "Enterprise (Monthly)",
            PlanType.ENTERPRISE_ANNUALLY: "Enterprise (Annually)",
        }[self]

    @property
    def short_label(self) -> str:
        """For a table column at 80 columns: "Enterprise mo", "Teams yr"."""
        return f"{'Enterprise' if self.is_enterprise else 'Teams'} {'yr' if self.is_annual else 'mo'}"

    @property
    def is_enterprise(self) -> bool:
        return self in (PlanType.ENTERPRISE_MONTHLY, PlanType.ENTERPRISE_ANNUALLY)

    @property
    def is_annual(self) -> bool:
        return self in (PlanType.TEAMS_ANNUALLY, PlanType.ENTERPRISE_ANNUALLY)

    @classmethod
    def parse(cls, text: str) -> "PlanType":
        """Accept 'teams-monthly', 'Enterprise (Annually)', 'enterprise_annually' or '19'."""
        key = text.strip().lower().replace("(", "").replace(")", "").replace("-", " ").replace("_", " ")
        key = "_".join(key.split())
        if key.isdigit() and int(key) in cls._value2member_map_:
            return cls(int(key))
        for member in cls:
            if member.name.lower() == key:
                return member
        aliases = {"teams": cls.TEAMS_MONTHLY, "enterprise": cls.ENTERPRISE_MONTHLY}
        if key in aliases:
            return aliases[key]
        raise ValueError(f"unknown plan {text!r}: use teams-monthly, teams-annually, "
                         "enterprise-monthly or enterprise-annually")


class CollectionAccess(IntEnum):
    """The five access levels a member or group may hold on a collection."""

    CAN_VIEW = 0
    CAN_VIEW_EXCEPT_PASSWORDS = 1
    CAN_EDIT = 2
    CAN_EDIT_EXCEPT_PASSWORDS = 3
    CAN_MANAGE = 4

    @property
    def label(self) -> str:
        return {
            CollectionAccess.CAN_VIEW: "Can view",
            CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS: "Can view, except passwords",
            CollectionAccess.CAN_EDIT: "Can edit",
            CollectionAccess.CAN_EDIT_EXCEPT_PASSWORDS: "Can edit, except passwords",
            CollectionAccess.CAN_MANAGE: "Can manage",
        }[self]

    @property
    def read_only(self) -> bool:
        return self in (CollectionAccess.CAN_VIEW, CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS)

    @property
    def hide_passwords(self) -> bool:
        return self in (CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS,
                        CollectionAccess.CAN_EDIT_EXCEPT_PASSWORDS)


class ItemType(IntEnum):
    """CipherType."""

    LOGIN = 1
    SECURE_NOTE = 2
    CARD = 3
    IDENTITY = 4
    SSH_KEY = 5
    BANK_ACCOUNT = 6
    DRIVERS_LICENSE = 7
    PASSPORT = 8


class PolicyType(IntEnum):
    TWO_FACTOR_AUTHENTICATION = 0
    MASTER_PASSWORD = 1
    PASSWORD_GENERATOR = 2
    SINGLE_ORG = 3
    REQUIRE_SSO = 4
    ORGANIZATION_DATA_OWNERSHIP = 5
    DISABLE_SEND = 6
    SEND_OPTIONS = 7
    RESET_PASSWORD = 8
    MAXIMUM_VAULT_TIMEOUT = 9
    DISABLE_PERSONAL_VAULT_EXPORT = 10
    ACTIVATE_AUTOFILL = 11
    AUTOMATIC_APP_LOGIN = 12
    FREE_FAMILIES_SPONSORSHIP = 13
    REMOVE_UNLOCK_WITH_PIN = 14
    RESTRICTED_ITEM_TYPES = 15
    URI_MATCH_DEFAULTS = 16


class EventType(IntEnum):
    """EventType numbers used by msp-tui (the reference's values)."""

    USER_LOGGED_IN = 1000
    USER_CHANGED_PASSWORD = 1001
    USER_UPDATED_2FA = 1002
    USER_DISABLED_2FA = 1003
    USER_FAILED_LOGIN = 1005
    USER_FAILED_LOGIN_2FA = 1006
    USER_CLIENT_EXPORTED_VAULT = 1007
    USER_UPDATED_TEMP_PASSWORD = 1008

    ITEM_CREATED = 1100
    ITEM_UPDATED = 1101
    ITEM_DELETED = 1102
    ITEM_UPDATED_COLLECTIONS = 1106
    ITEM_CLIENT_VIEWED = 1107
    ITEM_CLIENT_TOGGLED_PASSWORD_VISIBLE = 1108
    ITEM_CLIENT_COPIED_PASSWORD = 1111
    ITEM_SOFT_DELETED = 1115
    ITEM_RESTORED = 1116

    COLLECTION_CREATED = 1300
    COLLECTION_UPDATED = 1301
    COLLECTION_DELETED = 1302

    GROUP_CREATED = 1400
    GROUP_UPDATED = 1401
    GROUP_DELETED = 1402

    MEMBER_INVITED = 1500
    MEMBER_CONFIRMED = 1501
    MEMBER_UPDATED = 1502
    MEMBER_REMOVED = 1503
    MEMBER_UPDATED_GROUPS = 1504
    MEMBER_RESET_PASSWORD_ENROLL = 1506
    MEMBER_RESET_PASSWORD_WITHDRAW = 1507
    MEMBER_ADMIN_RESET_PASSWORD = 1508
    MEMBER_REVOKED = 1511
    MEMBER_RESTORED = 1512
    MEMBER_REVOKED_TWO_FACTOR = 1520
    MEMBER_REVOKED_SINGLE_ORG = 1521

    ORGANIZATION_UPDATED = 1600
    ORGANIZATION_CLIENT_EXPORTED_VAULT = 1602
    ORGANIZATION_VAULT_ACCESSED = 1603
    #: msp-tui's own (not the reference's number): a new org key, everything written again under it.
    ORGANIZATION_KEY_ROTATED = 1690
    #: msp-tui's own (the reference has none): one import, its item count and format (each item has its 1100).
    ITEMS_IMPORTED = 1680

    POLICY_UPDATED = 1700

    STAFF_INVITED = 1800
    STAFF_CONFIRMED = 1801
    STAFF_UPDATED = 1802
    STAFF_REMOVED = 1803

    CLIENT_CREATED = 1900
    CLIENT_ADDED = 1901
    CLIENT_REMOVED = 1902
    CLIENT_VAULT_ACCESSED = 1903

    # msp-tui's own: client groups and Service Users' scopes (S12); in the provider log.
    CLIENT_GROUP_CREATED = 1950
    CLIENT_GROUP_RENAMED = 1951
    CLIENT_GROUP_DELETED = 1952
    CLIENT_GROUP_CLIENT_ADDED = 1953
    CLIENT_GROUP_CLIENT_REMOVED = 1954
    STAFF_SCOPE_CHANGED = 1955

    # msp-tui's own billing events (not the reference's numbers); in the provider log (S9).
    BILLING_MODE_CHANGED = 1990
    DISCOUNT_TIERS_CHANGED = 1991
    SEAT_MINIMUM_CHANGED = 1992
    CLIENT_PAYMENT_METHOD_CHANGED = 1993

    # Two-person approval (issue 18; our own numbers, 2000-2019).
    APPROVAL_REQUESTED = 2000
    APPROVAL_APPROVED = 2001
    APPROVAL_DENIED = 2002
    APPROVAL_WITHDRAWN = 2003
    APPROVAL_EXPIRED = 2004
    APPROVAL_SETTING_CHANGED = 2005

    # Break-glass access (issue 18; our own numbers, 2020-2039).
    BREAK_GLASS_REQUESTED = 2020
    BREAK_GLASS_GRANTED = 2021
    BREAK_GLASS_DENIED = 2022
    BREAK_GLASS_ENDED = 2023
    BREAK_GLASS_EXPIRED = 2024
    BREAK_GLASS_SELF_GRANTED = 2026
    BREAK_GLASS_ACKNOWLEDGED = 2027
    BREAK_GLASS_SETTING_CHANGED = 2028
    #: Someone acted on a client under a live grant (the first read, every write; detail: grant, action).
    BREAK_GLASS_USED = 2029


#: Event types that belong to the provider's own log (S4: Provider Admins only).
#: Two-person approval (2000-2019) and break-glass (2020-2039) belong to it too.
PROVIDER_LOG_TYPES = frozenset(t for t in EventType if 1800 <= t.value < 2040)


#: Categories the timeline filters on, as inclusive ranges of event type numbers.
EVENT_CATEGORIES: dict[str, tuple[int, int]] = {
    "users": (1000, 1099),
    "items": (1100, 1199),
    "collections": (1300, 1399),
    "groups": (1400, 1499),
    "members": (1500, 1599),
    "organization": (1600, 1699),
    "policies": (1700, 1799),
    "staff": (1800, 1899),
    "clients": (1900, 1999),
    "approvals": (2000, 2019),
    "break-glass": (2020, 2039),
}

#: "vault access" cuts across the ranges above: the client's and the provider's record of it.
VAULT_ACCESS_TYPES = frozenset({EventType.ORGANIZATION_VAULT_ACCESSED, EventType.CLIENT_VAULT_ACCESSED})
