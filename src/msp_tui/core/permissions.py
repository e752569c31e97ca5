"""The Custom role's permission flags (the reference's Permissions class), each in one line."""

from __future__ import annotations

import json

CUSTOM_FLAGS: dict[str, str] = {
    "access_event_logs": "Access event logs: read this organization's event log",
    "access_import_export": "Access import/export: import items and export the organization vault",
    "access_reports": "Access reports: run vault health reports",
    "create_new_collections": "Create new collections",
    "edit_any_collection": "Edit any collection, including ones they are not assigned to",
    "delete_any_collection": "Delete any collection",
    "manage_groups": "Manage groups: create, edit and delete groups and their members",
    "manage_policies": "Manage policies: turn enterprise policies on and off and edit their options",
    "manage_sso": "Manage SSO: configure single sign-on",
    "manage_users": "Manage users: invite, confirm, edit, revoke and remove members",
    "manage_reset_password": "Manage account recovery, and device approval requests",
    "manage_scim": "Manage SCIM provisioning",
    # The reference's newest flag; here its rules are the collections' access: who may use one, and how.
    "manage_access_rules": "Manage access rules: give, change and take away access to collections",
}


def parse(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    data = json.loads(text)
    return frozenset(k for k, v in data.items() if v and k in CUSTOM_FLAGS)


def dump(flags: frozenset[str] | set[str]) -> str:
    return json.dumps({k: (k in flags) for k in CUSTOM_FLAGS}, sort_keys=True)
