"""The reference's JSON (plain and password protected) and CSV formats as pure readers and writers of
the neutral record (core/formats/bitwarden_json.py, bitwarden_csv.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from msp_tui.core.formats import bitwarden_crypto as bwc, bitwarden_csv, bitwarden_json
from msp_tui.core.formats.records import (CustomField, FormatError, ImportedItem, PasswordChange, PasswordNeeded,
                                          WrongPassword)

FAST = bwc.Kdf(bwc.PBKDF2_SHA256, 5_000)
ORG = "0d7a3b5e-8f1c-4c2a-9b7e-2f4a6c8e0a11"


def _key(item: ImportedItem) -> tuple:
    return (item.type, item.name, tuple(sorted(item.fields.items())), tuple(item.uris), item.totp, item.notes,
            item.favorite, tuple(item.custom_fields), tuple(item.password_history), tuple(sorted(item.collections)))


def _sample() -> list[ImportedItem]:
    return [
        ImportedItem("login", "Router, main", {"username": "admin", "password": "=cmd|' /C calc'!A0"},
                     uris=["https://10.0.0.1", "ssh://10.0.0.1"], totp="otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
                     notes="line one\nline two, with comma", favorite=True,
                     custom_fields=[CustomField("PIN", "1234", True), CustomField("Floor", "2")],
                     password_history=[PasswordChange("old-pw", "2026-01-02T03:04:05.000Z")],
                     collections=["Network", "Break-glass"]),
        ImportedItem("note", "Ünïcödé ✓ note", notes="日本語\n\"quoted\"", collections=["Network"]),
        ImportedItem("card", "Visa", {"cardholder": "O Owner", "brand": "Visa", "number": "4111111111111111",
                                      "exp_month": "7", "exp_year": "2031", "code": "123"}),
        ImportedItem("identity", "Director", {"title": "Ms", "first_name": "Olga", "last_name": "Owner",
                                              "address": "1 Main St\nSpringfield"}),
        ImportedItem("ssh-key", "Deploy", {"private_key": "-----BEGIN-----\nabc\n-----END-----",
                                           "public_key": "ssh-ed25519 AAA", "key_fingerprint": "SHA256:x"}),
        ImportedItem("bank-account", "Bank", {"bank_name": "First", "name_on_account": "Contoso",
                                              "account_number": "12345678", "swift_code": "DEUTDEFF",
                                              "iban": "DE89", "bank_contact_phone": "+1 555"}),
        ImportedItem("drivers-licence", "Licence", {"first_name": "Olga", "license_number": "D1",
                                                    "issuing_state": "WA", "license_class": "B"}),
        ImportedItem("passport", "Passport", {"surname": "Owner", "given_name": "Olga", "passport_number": "P1",
                                              "national_identification_number": "N1"}),
        ImportedItem("login", "", {}),
    ]


@pytest.mark.parametrize("password", [None, "correct horse battery"])
def test_json_round_trips_every_type_organization_export(password):
    items = _sample()
    data = bitwarden_json.write(items, organization_id=ORG, password=password, kdf=FAST)
    result = bitwarden_json.read(data, password=password)
    assert result.format == ("bitwarden-json-encrypted" if password else "bitwarden-json")
    assert [_key(i) for i in result.items] == [_key(i) for i in items]
    assert sorted(result.folders) == ["Break-glass", "Network"] and result.problems == []
    assert bitwarden_json.looks_like(data) == result.format


def test_json_organization_export_has_the_reference_structure():
    doc = json.loads(bitwarden_json.write(_sample(), organization_id=ORG))
    assert doc["encrypted"] is False and {c["name"] for c in doc["collections"]} == {"Network", "Break-glass"}
    login = doc["items"][0]
    assert login["type"] == 1 and login["login"]["uris"][0] == {"match": None, "uri": "https://10.0.0.1"}
    assert login["fields"][0] == {"name": "PIN", "value": "1234", "type": 1, "linkedId": None}
    assert len(login["collectionIds"]) == 2 and login["organizationId"] == ORG
    assert doc["items"][2]["card"]["cardholderName"] == "O Owner"
    assert doc["items"][5]["bankAccount"]["swiftCode"] == "DEUTDEFF" and doc["items"][5]["type"] == 6
    assert doc["items"][6]["driversLicense"]["licenseNumber"] == "D1" and doc["items"][6]["type"] == 7
    assert doc["items"][7]["passport"]["nationalIdentificationNumber"] == "N1" and doc["items"][7]["type"] == 8


def test_json_personal_export_files_items_in_folders():
    doc = json.loads(bitwarden_json.write(_sample()))
    assert "collections" not in doc and {f["name"] for f in doc["folders"]} == {"Network", "Break-glass"}
    by_id = {f["id"]: f["name"] for f in doc["folders"]}
    assert by_id[doc["items"][1]["folderId"]] == "Network"
    back = bitwarden_json.read(json.dumps(doc).encode())
    assert back.items[1].collections == ["Network"]


def test_password_protected_export_has_the_reference_envelope_pbkdf2_and_argon2id():
    for kdf in (FAST, bwc.Kdf(bwc.ARGON2ID, 2, 16, 1)):
        env = json.loads(bitwarden_json.write(_sample()[:1], password="pw", kdf=kdf))
        assert env["encrypted"] is True and env["passwordProtected"] is True
        assert env["kdfType"] == kdf.type and env["kdfIterations"] == kdf.iterations
        assert ("kdfMemory" in env) == (kdf.type == bwc.ARGON2ID)
        assert env["encKeyValidation_DO_NOT_EDIT"].startswith("2.") and env["data"].startswith("2.")
        assert "Router" not in json.dumps(env)
        assert bitwarden_json.read(json.dumps(env).encode(), password="pw").items[0].name == "Router, main"


def test_a_wrong_or_missing_password_gets_a_clear_sentence():
    data = bitwarden_json.write(_sample(), password="right", kdf=FAST)
    with pytest.raises(WrongPassword, match="The password does not open this Bitwarden export"):
        bitwarden_json.read(data, password="wrong")
    with pytest.raises(PasswordNeeded, match="password protected"):
        bitwarden_json.read(data)


def test_account_restricted_truncated_binary_and_hostile_settings_are_refused():
    restricted = json.dumps({"encrypted": True, "encKeyValidation_DO_NOT_EDIT": "2.a|b|c", "items": []}).encode()
    with pytest.raises(FormatError, match="account restricted"):
        bitwarden_json.read(restricted)
    data = bitwarden_json.write(_sample(), organization_id=ORG)
    with pytest.raises(FormatError, match="truncated or damaged"):
        bitwarden_json.read(data[: len(data) // 2])
    with pytest.raises(FormatError, match="binary"):
        bitwarden_json.read(b"\x00\x01\x02PK")
    with pytest.raises(FormatError, match="no \"items\""):
        bitwarden_json.read(b'{"encrypted": false}')
    env = json.loads(bitwarden_json.write(_sample(), password="pw", kdf=FAST))
    env["kdfIterations"] = 10**9  # a planted setting that would hang the machine
    with pytest.raises(FormatError, match="outside"):
        bitwarden_json.read(json.dumps(env).encode(), password="pw")
    env = json.loads(bitwarden_json.write(_sample(), password="pw", kdf=FAST))
    env["data"] = env["data"][:-8] + "AAAAAAA="
    with pytest.raises(WrongPassword):
        bitwarden_json.read(json.dumps(env).encode(), password="pw")
    with pytest.raises(FormatError, match="nested too deeply"):
        bitwarden_json.read(b"[" * 100_000 + b"]" * 100_000)


def test_json_reader_reports_odd_items_and_keeps_what_has_no_place():
    doc = {"encrypted": False, "folders": [], "items": [
        "not an item",
        {"type": 99, "name": "Future type", "notes": "n"},
        {"type": 1, "name": "Passkey", "login": {"fido2Credentials": [{"x": 1}], "uris": [{"uri": "https://a"}]},
         "fields": [{"name": "Linked", "value": None, "type": 3, "linkedId": 100}]},
        {"type": 4, "name": "Id", "identity": {"address1": "1 Main", "city": "Springfield", "state": "IL",
                                               "postalCode": "62701", "country": "US", "ssn": "123",
                                               "middleName": "Q"}},
    ]}
    result = bitwarden_json.read(json.dumps(doc).encode())
    assert [p.where for p in result.problems] == ["items[0]"]
    future, passkey, ident = result.items
    assert future.type == "note" and "unknown" in future.notices[0] and future.where == "items[1]"
    assert any("passkey" in n for n in passkey.notices) and any("linked" in n for n in passkey.notices)
    assert ident.fields["address"] == "1 Main\nSpringfield IL 62701\nUS"
    assert ident.fields["ssn"] == "123" and ident.fields["middle_name"] == "Q"  # the service makes them custom


def test_csv_round_trips_logins_and_notes_both_headers():
    items = [i for i in _sample() if i.type in ("login", "note")]
    for i in items:  # CSV has no hidden fields and no password history
        i.custom_fields = [CustomField(c.name, c.value) for c in i.custom_fields]
        i.password_history = []
    org = bitwarden_csv.write(items, organization=True)
    assert org.splitlines()[0].decode() == ",".join(bitwarden_csv.ORGANIZATION)
    back = bitwarden_csv.read(org)
    no_favourite = [ImportedItem(**{**i.__dict__, "favorite": False}) for i in items]  # the org header has none
    assert [_key(i) for i in back.items] == [_key(i) for i in no_favourite]
    assert [i.where for i in back.items] == ["line 2", "line 5", "line 7"]  # a record's first line
    personal = bitwarden_csv.read(bitwarden_csv.write(items))
    assert personal.items[0].collections == ["Network"] and personal.items[0].favorite
    assert bitwarden_csv.looks_like(org) == "bitwarden-csv"
    assert [i.type for i in bitwarden_csv.unwritable(_sample())] == [
        "card", "identity", "ssh-key", "bank-account", "drivers-licence", "passport"]


def test_csv_with_a_foreign_header_a_short_row_or_binary_is_refused_or_reported():
    with pytest.raises(FormatError, match="header is not a Bitwarden export's"):
        bitwarden_csv.read(b"url,username,password,extra,name,grouping,fav\n")
    with pytest.raises(FormatError, match="binary"):
        bitwarden_csv.read(b"\x89PNG\r\n\x1a\n\x00\x00")
    text = ",".join(bitwarden_csv.PERSONAL) + "\n,,login,ok,,,0,,u,p,\nshort,row\n"
    result = bitwarden_csv.read(text.encode())
    assert [i.name for i in result.items] == ["ok"] and result.problems[0].where == "line 3"


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20)
_name = _line.filter(lambda s: "," not in s and s.strip() == s and s != "")


@st.composite
def _items(draw):
    type_ = draw(st.sampled_from(["login", "note", "card", "passport"]))
    fields = {}
    if type_ == "login":
        fields = draw(st.dictionaries(st.sampled_from(["username", "password"]), _line.filter(bool)))
    elif type_ == "card":
        fields = draw(st.dictionaries(st.sampled_from(["cardholder", "number", "code"]), _line.filter(bool)))
    elif type_ == "passport":
        fields = draw(st.dictionaries(st.sampled_from(["surname", "passport_number"]), _line.filter(bool)))
    return ImportedItem(type_, draw(_line), fields, notes=draw(_text),
                        uris=draw(st.lists(_name, max_size=3)) if type_ == "login" else [],
                        favorite=draw(st.booleans()),
                        custom_fields=[CustomField(n, v, h) for n, v, h in draw(st.lists(
                            st.tuples(_line, _line, st.booleans()), max_size=3))],
                        collections=sorted(set(draw(st.lists(_name, max_size=2)))))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_items(), max_size=8))
def test_property_any_vault_round_trips_through_the_json_export(items):
    back = bitwarden_json.read(bitwarden_json.write(items, organization_id=ORG))
    assert [_key(i) for i in back.items] == [_key(i) for i in items]
