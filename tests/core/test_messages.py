"""Bad input reads as a sentence, never a pydantic location (`emails.0: …`) or a repr (issue 14).
One formatter, core.schemas.readable, makes them all; the CLI and the UI print its message."""

from __future__ import annotations

import re

import pytest

from msp_tui.core.billing import parse_tiers
from msp_tui.core.enums import StaffRole
from msp_tui.core.errors import BadInput
from msp_tui.core.policies import parse_options
from msp_tui.core.schemas import (MemberInvite, NewAccount, NewClient, NewProvider, Rename, Seats, StaffInvite,
                                  parse)

GOOD_CLIENT = dict(name="Contoso", plan="teams-monthly", seats=5, owner_email="o@contoso.example",
                   billing_email="b@contoso.example")

BAD = [
    (MemberInvite, dict(emails=["x"])),
    (MemberInvite, dict(emails=["ok@contoso.example", "a@@b.example"])),
    (MemberInvite, dict(emails=[])),
    (StaffInvite, dict(emails=["x"], role=StaffRole.SERVICE_USER)),
    (StaffInvite, dict(emails=[f"p{i}@msp.example" for i in range(21)], role=StaffRole.SERVICE_USER)),
    (NewClient, {**GOOD_CLIENT, "billing_email": ""}),
    (NewClient, {**GOOD_CLIENT, "owner_email": "owner"}),
    (NewClient, {**GOOD_CLIENT, "seats": 0}),
    (NewClient, {**GOOD_CLIENT, "seats": "many"}),
    (NewClient, {**GOOD_CLIENT, "name": "   "}),
    (NewClient, {**GOOD_CLIENT, "name": "x" * 51}),
    (NewClient, {**GOOD_CLIENT, "name": "Evil\x1b[2J"}),
    (Rename, dict(name="")),
    (Seats, dict(seats=-1)),
    (NewAccount, dict(email="a@msp.example", password="short")),
    (NewProvider, dict(provider="", email="a@msp.example", password="x" * 12)),
]


def _message(model, data) -> str:
    with pytest.raises(BadInput) as caught:
        parse(model, **data)
    return caught.value.message


def _is_a_sentence(message: str) -> None:
    assert message[:1].isupper() or message[:1] == "'", message
    assert message.endswith("."), message
    assert not re.search(r"\b[a-z]+(_[a-z]+)+\b", message), f"a field's code name: {message}"
    assert not re.search(r"\w+\.\d+:", message), f"a pydantic location: {message}"
    assert "Input should" not in message and "Value error" not in message, message


@pytest.mark.parametrize("model,data", BAD, ids=[f"{m.__name__}-{i}" for i, (m, _d) in enumerate(BAD)])
def test_bad_input_reads_as_a_sentence_without_a_pydantic_location(model, data):
    _is_a_sentence(_message(model, data))


def test_an_invalid_email_in_a_list_names_the_address_not_its_position():
    message = _message(MemberInvite, dict(emails=["x"]))
    assert message.startswith("'x' is not a valid email address")
    assert "emails.0" not in message


def test_an_empty_billing_email_says_so():
    assert _message(NewClient, {**GOOD_CLIENT, "billing_email": ""}) == "Billing email is empty."


@pytest.mark.parametrize("email", ["ana@contoso.test", "ana@contoso.local", "ana@printer.localhost"])
def test_an_email_on_a_reserved_domain_says_why_it_is_refused(email):
    message = _message(MemberInvite, dict(emails=[email]))
    assert "reserved domain that no email is ever delivered to" in message
    _is_a_sentence(message)


def test_an_unknown_permission_names_it_and_the_known_ones():
    message = _message(MemberInvite, dict(emails=["a@contoso.example"], permissions=frozenset({"nope"})))
    assert message.startswith("Unknown permission 'nope'; known: access_event_logs")


def test_a_bad_discount_tier_shows_what_was_typed_not_a_tuple():
    with pytest.raises(BadInput) as caught:
        parse_tiers("0:0,abc:def")
    assert "('abc', 'def')" not in caught.value.message
    assert "'abc:def'" in caught.value.message


def test_a_bad_policy_option_reads_as_a_sentence():
    with pytest.raises(BadInput) as caught:
        parse_options(1, {"minLength": 500})
    assert caught.value.message == "The option minLength must be at most 128."
