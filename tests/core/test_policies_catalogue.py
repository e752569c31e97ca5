"""The catalogue: types 0–16, names, option bounds and the Single organization dependency (§6)."""

import pytest

from msp_tui.core import policies as cat
from msp_tui.core.enums import PolicyType as P
from msp_tui.core.errors import BadInput

REFERENCE_NAMES = {
    0: "Require two-step login", 1: "Master password requirements", 2: "Password generator",
    3: "Single organization", 4: "Require single sign-on authentication",
    5: "Enforce organization data ownership", 6: "Remove Send", 7: "Send options",
    8: "Account recovery administration", 9: "Vault timeout", 10: "Remove individual vault export",
    11: "Active auto-fill", 12: "Automatic login with SSO", 13: "Remove Free Bitwarden Families sponsorship",
    14: "Remove unlock with PIN", 15: "Restricted item types", 16: "URI match defaults",
}


def test_catalogue_has_types_0_to_16_with_reference_names():
    assert {int(t): s.name for t, s in cat.SPECS.items()} == REFERENCE_NAMES


def test_single_org_dependents_are_4_8_9_16():
    assert sorted(int(t) for t in cat.DEPENDENTS) == [4, 8, 9, 16]


@pytest.mark.parametrize("text,expected", [("9", P.MAXIMUM_VAULT_TIMEOUT), ("vault-timeout", P.MAXIMUM_VAULT_TIMEOUT),
                                           ("SINGLE_ORG", P.SINGLE_ORG), ("Require two-step login", P(0)),
                                           (16, P.URI_MATCH_DEFAULTS)])
def test_parse_type(text, expected):
    assert cat.parse_type(text) == expected


@pytest.mark.parametrize("text", ["17", "-1", "nope"])
def test_parse_type_refuses_unknown(text):
    with pytest.raises(BadInput):
        cat.parse_type(text)


# (type, key, values accepted, values refused)
BOUNDS = [
    (P.MASTER_PASSWORD, "min_complexity", [0, 4, None], [-1, 5]),
    (P.MASTER_PASSWORD, "min_length", [12, 128], [11, 129]),
    (P.MASTER_PASSWORD, "require_upper", [True, "false"], ["maybe"]),
    (P.MASTER_PASSWORD, "enforce_on_login", [True], ["x"]),
    (P.PASSWORD_GENERATOR, "min_length", [5, 128, None], [4, 129]),
    (P.PASSWORD_GENERATOR, "min_numbers", [0, 9, None], [-1, 10]),
    (P.PASSWORD_GENERATOR, "min_special", [0, 9, None], [-1, 10]),
    (P.PASSWORD_GENERATOR, "min_number_words", [3, 20, None], [2, 21]),
    (P.PASSWORD_GENERATOR, "override_password_type", ["password", "passphrase", None], ["pin"]),
    (P.SEND_OPTIONS, "disable_hide_email", [True, False], ["sometimes"]),
    (P.RESET_PASSWORD, "auto_enroll_enabled", [True, False], ["x"]),
    (P.MAXIMUM_VAULT_TIMEOUT, "minutes", [1, 60, 100000], [0, -5]),
    (P.MAXIMUM_VAULT_TIMEOUT, "action", ["lock", "logOut", None], ["sleep"]),
    (P.AUTOMATIC_APP_LOGIN, "idp_host", ["idp.contoso.example"], ["", "x" * 256]),
    (P.URI_MATCH_DEFAULTS, "uri_match_detection", [0, 5], [-1, 6]),
]


@pytest.mark.parametrize("type_,key,good,bad", BOUNDS, ids=[f"{int(b[0])}-{b[1]}" for b in BOUNDS])
def test_option_bounds(type_, key, good, bad):
    for value in good:
        opts = cat.parse_options(type_, {key: value})
        assert key in opts.model_dump()
    for value in bad:
        with pytest.raises(BadInput) as exc:
            cat.parse_options(type_, {key: value})
        assert key in str(exc.value)


def test_every_type_has_bounds_tested_or_no_options():
    with_options = {t for t, s in cat.SPECS.items() if s.options.model_fields}
    assert with_options == {t for t, *_ in BOUNDS}


@pytest.mark.parametrize("type_", [t for t, s in cat.SPECS.items() if not s.options.model_fields])
def test_types_without_options_refuse_any_option(type_):
    assert cat.parse_options(type_, {}).model_dump() == {}
    with pytest.raises(BadInput, match="not an option"):
        cat.parse_options(type_, {"minutes": 5})


def test_options_stored_canonically_with_reference_keys():
    data = cat.dump_options(cat.parse_options(P.MAXIMUM_VAULT_TIMEOUT, {"minutes": "90", "action": "logOut"}))
    assert data == '{"action":"logOut","minutes":90}'
    assert cat.parse_options(P.MASTER_PASSWORD, {"minLength": 20}).min_length == 20


def test_enabling_a_dependent_without_single_org_gives_reference_message():
    for dep in cat.DEPENDENTS:
        msg = cat.dependency_error(set(), dep, True)
        assert msg == (f"Turn on the Single organization policy because it is required for the "
                       f"{cat.SPECS[dep].name} policy.")
        assert cat.dependency_error({3}, dep, True) is None


def test_disabling_single_org_while_dependents_on_gives_reference_messages():
    assert cat.dependency_error({3, 9}, P.SINGLE_ORG, False) == (
        "Turn off the Vault timeout policy because it requires the Single organization policy.")
    assert cat.dependency_error({3, 4, 16}, P.SINGLE_ORG, False) == (
        "Turn off all of the policies that require the Single organization policy.")
    assert cat.dependency_error({3, 0}, P.SINGLE_ORG, False) is None


def test_form_fields_carry_the_bounds():
    fields = {f.key: f for f in cat.option_fields(P.MASTER_PASSWORD)}
    assert (fields["min_length"].minimum, fields["min_length"].maximum) == (12, 128)
    assert fields["min_complexity"].optional and fields["require_upper"].kind == "bool"
    vt = {f.key: f for f in cat.option_fields(P.MAXIMUM_VAULT_TIMEOUT)}
    assert vt["minutes"].minimum == 1 and vt["minutes"].maximum is None
    assert vt["action"].kind == "choice" and vt["action"].choices == ("lock", "logOut")
    assert cat.check_value(fields["min_length"], "11") == "Min length: between 12 and 128"
    assert cat.check_value(fields["min_length"], "14") is None
    assert cat.check_value(vt["minutes"], "0") == "Minutes: at least 1"
