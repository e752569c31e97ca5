"""Every event type reads as a sentence; details add only their safe parts."""

from msp_tui.core.enums import EventType
from msp_tui.core.event_text import MESSAGES, describe, type_name


def test_every_event_type_has_a_readable_message():
    assert [t for t in EventType if t not in MESSAGES] == []
    assert describe(99999) == "Event 99999" and type_name(99999) == "99999"
    assert type_name(1500) == "MEMBER_INVITED"


def test_details_read_as_changes():
    assert describe(1502, {"email": "a@x.example", "role": ["User", "Custom"],
                           "permissions": [[], ["access_event_logs", "manage_users"]]}) == (
        "Edited member: a@x.example, role User → Custom, permissions added access_event_logs, manage_users")
    assert describe(1502, {"email": "a@x.example", "permissions": [["manage_users"], []]}) == (
        "Edited member: a@x.example, permissions removed manage_users")
    assert describe(1500, {"email": "a@x.example", "reinvite": True}) == "Sent the invitation again: a@x.example"
    assert describe(1504, {"email": "a@x.example", "groups": 2}) == "Edited member's groups: a@x.example, now in 2 groups"
    # Keys that are not known to be safe are never shown (an item's URL, a secret's name).
    assert describe(1101, {"uri": "https://bank.example", "secret": "x"}) == "Edited item"
