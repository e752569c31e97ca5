"""A readable sentence for each event type (what the timeline and exports show)."""

from __future__ import annotations

from msp_tui.core.enums import EventType

E = EventType
MESSAGES: dict[int, str] = {
    E.USER_LOGGED_IN: "Signed in",
    E.USER_CHANGED_PASSWORD: "Changed master password",
    E.USER_UPDATED_2FA: "Turned on two-step login",
    E.USER_DISABLED_2FA: "Turned off two-step login",
    E.USER_FAILED_LOGIN: "Failed sign-in attempt",
    E.USER_FAILED_LOGIN_2FA: "Failed sign-in attempt: wrong two-step login code",
    E.USER_CLIENT_EXPORTED_VAULT: "Exported their vault",
    E.USER_UPDATED_TEMP_PASSWORD: "Replaced the temporary master password an account recovery set",
    E.ITEM_CREATED: "Created item",
    E.ITEM_UPDATED: "Edited item",
    E.ITEM_DELETED: "Permanently deleted item",
    E.ITEM_UPDATED_COLLECTIONS: "Moved item between collections",
    E.ITEM_CLIENT_VIEWED: "Viewed item",
    E.ITEM_CLIENT_TOGGLED_PASSWORD_VISIBLE: "Revealed an item's password",
    E.ITEM_CLIENT_COPIED_PASSWORD: "Copied an item's password",
    E.ITEM_SOFT_DELETED: "Sent item to trash",
    E.ITEM_RESTORED: "Restored item from trash",
    E.COLLECTION_CREATED: "Created collection",
    E.COLLECTION_UPDATED: "Edited collection",
    E.COLLECTION_DELETED: "Deleted collection",
    E.GROUP_CREATED: "Created group",
    E.GROUP_UPDATED: "Edited group",
    E.GROUP_DELETED: "Deleted group",
    E.MEMBER_INVITED: "Invited member",
    E.MEMBER_CONFIRMED: "Confirmed member",
    E.MEMBER_UPDATED: "Edited member",
    E.MEMBER_REMOVED: "Removed member",
    E.MEMBER_UPDATED_GROUPS: "Edited member's groups",
    E.MEMBER_RESET_PASSWORD_ENROLL: "Enrolled in account recovery",
    E.MEMBER_RESET_PASSWORD_WITHDRAW: "Withdrew from account recovery",
    E.MEMBER_ADMIN_RESET_PASSWORD: "Recovered member's account: reset their master password",
    E.MEMBER_REVOKED: "Revoked member",
    E.MEMBER_RESTORED: "Restored member",
    E.MEMBER_REVOKED_TWO_FACTOR: "Revoked member: two-step login not set up",
    E.MEMBER_REVOKED_SINGLE_ORG: "Revoked member: belongs to another organization",
    E.ORGANIZATION_UPDATED: "Edited organization settings",
    E.ORGANIZATION_CLIENT_EXPORTED_VAULT: "Exported the organization vault",
    E.ORGANIZATION_VAULT_ACCESSED: "Provider staff opened the organization vault",
    E.ORGANIZATION_KEY_ROTATED: "Rotated the organization key",
    E.ITEMS_IMPORTED: "Imported items",
    E.POLICY_UPDATED: "Changed policy",
    E.STAFF_INVITED: "Invited staff member",
    E.STAFF_CONFIRMED: "Confirmed staff member",
    E.STAFF_UPDATED: "Edited staff member",
    E.STAFF_REMOVED: "Removed staff member",
    E.CLIENT_CREATED: "Created client organization",
    E.CLIENT_ADDED: "Added existing organization as a client",
    E.CLIENT_REMOVED: "Unlinked client organization",
    E.CLIENT_VAULT_ACCESSED: "Accessed the client's vault",
    E.CLIENT_GROUP_CREATED: "Created client group",
    E.CLIENT_GROUP_RENAMED: "Renamed client group",
    E.CLIENT_GROUP_DELETED: "Deleted client group",
    E.CLIENT_GROUP_CLIENT_ADDED: "Added to client group",
    E.CLIENT_GROUP_CLIENT_REMOVED: "Taken out of client group",
    E.STAFF_SCOPE_CHANGED: "Changed a staff member's scope",
    E.BILLING_MODE_CHANGED: "Changed the billing mode",
    E.DISCOUNT_TIERS_CHANGED: "Changed the discount tiers",
    E.SEAT_MINIMUM_CHANGED: "Changed a plan's seat minimum",
    E.CLIENT_PAYMENT_METHOD_CHANGED: "Changed the client's payment method",
    E.APPROVAL_REQUESTED: "Asked for two-person approval",
    E.APPROVAL_APPROVED: "Approved a two-person request",
    E.APPROVAL_DENIED: "Denied a two-person request",
    E.APPROVAL_WITHDRAWN: "Withdrew a two-person request",
    E.APPROVAL_EXPIRED: "A two-person request expired",
    E.APPROVAL_SETTING_CHANGED: "Changed which actions need two-person approval",
    E.BREAK_GLASS_REQUESTED: "Asked for break-glass access",
    E.BREAK_GLASS_GRANTED: "Granted break-glass access",
    E.BREAK_GLASS_DENIED: "Denied break-glass access",
    E.BREAK_GLASS_ENDED: "Ended break-glass access",
    E.BREAK_GLASS_EXPIRED: "Break-glass access ran out",
    E.BREAK_GLASS_SELF_GRANTED: "EMERGENCY: granted themselves break-glass access",
    E.BREAK_GLASS_ACKNOWLEDGED: "Acknowledged an emergency break-glass grant",
    E.BREAK_GLASS_SETTING_CHANGED: "Changed the break-glass settings",
    E.BREAK_GLASS_USED: "Acted under break-glass access",
}

#: Detail keys safe to show next to the message (never item names or secrets).
SHOWN_DETAIL = ("email", "name", "role", "status", "seats", "plan", "reason", "member", "group", "access",
                "policy", "internal", "permissions", "groups", "changes", "mode", "tiers", "minimum",
                "payment", "client_group", "scope")


def type_name(type_: int) -> str:
    try:
        return EventType(type_).name
    except ValueError:
        return str(type_)


def _flags_change(value) -> str:
    old, new = (set(value[0] or ()), set(value[1] or ())) if isinstance(value, list) and len(value) == 2 else (set(), set())
    parts = []
    if new - old:
        parts.append("added " + ", ".join(sorted(new - old)))
    if old - new:
        parts.append("removed " + ", ".join(sorted(old - new)))
    return "permissions " + ("; ".join(parts) if parts else "unchanged")


def describe(type_: int, detail: dict | None = None) -> str:
    """'Invited member a@x.example (role User)' — the message plus the safe parts of the detail."""
    text = MESSAGES.get(type_, f"Event {type_}")
    if not detail:
        return text
    approval = detail.get("approval")
    if isinstance(approval, dict):  # made on a second admin's approval: both names (issue 18)
        rest = describe(type_, {k: v for k, v in detail.items() if k != "approval"})
        return (f"{rest} (two-person: asked by {approval.get('requested_by')}, approved by "
                f"{approval.get('approved_by')})")
    if type_ == EventType.BREAK_GLASS_USED and "grant" in detail:
        return f"{text} #{detail['grant']}: {detail.get('action', '')}"
    if 2000 <= type_ <= 2004 and "request" in detail:
        return f"{text} #{detail['request']}: {detail.get('summary', detail.get('action', ''))}"
    if type_ == EventType.MEMBER_INVITED and detail.get("reinvite"):
        text = "Sent the invitation again"
    if type_ == EventType.MEMBER_RESET_PASSWORD_ENROLL and detail.get("automatic"):
        text = "Enrolled in account recovery automatically (the policy enrols new members)"
    if type_ == EventType.ORGANIZATION_KEY_ROTATED:
        damaged = f", {detail['damaged']} damaged left as they were" if detail.get("damaged") else ""
        return (f"{text}: {detail.get('items', 0)} items and {detail.get('collections', 0)} collection names "
                f"encrypted again, sealed to {detail.get('members', 0)} members{damaged}")
    if type_ == EventType.ITEMS_IMPORTED:
        return f"Imported {detail.get('items', 0)} items from {detail.get('format', 'a file')}"
    parts = []
    for key in SHOWN_DETAIL:
        if key not in detail or detail[key] is None:
            continue
        value = detail[key]
        if key == "permissions":
            parts.append(_flags_change(value))
        elif key == "groups" and isinstance(value, int):
            parts.append(f"now in {value} group{'s' if value != 1 else ''}")
        elif isinstance(value, list) and len(value) == 2:
            parts.append(f"{key} {value[0]} → {value[1]}")
        elif key in ("email", "name", "member", "client_group"):
            parts.append(str(value))
        else:
            parts.append(f"{key} {value}")
    return f"{text}: {', '.join(parts)}" if parts else text
