"""The import service (core/services/vault_import.py) on SQLite and PostgreSQL: the dry run, the one
transaction, events, permissions, bad input writing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from msp_tui.core.enums import EventType
from msp_tui.core.errors import BadInput, Refused
from msp_tui.core.formats.records import CustomField, ImportedItem
from msp_tui.core.models import Collection, Event, VaultItem
from msp_tui.core.services import vault, vault_import
from tests.core.test_vault_support import make_client
from tests.formats import writers

LASTPASS = (
    "url,username,password,totp,extra,name,grouping,fav\n"
    'https://mail.example,ana,pw1,JBSWY3DPEHPK3PXP,"note, one\ntwo",Mail,Office\\IT,1\n'
    'https://vpn.example,ana,pw2,,,VPN,Office\\IT,0\n'
    'http://sn,,,,"NoteType:Credit Card\nName on Card:Ana\nNumber:4111111111111111\nFoo:bar\nNotes:",Card,Shared logins,0\n'
    "https://x.example,u,p,,,,,0\n"
).encode()


def _count(db, model, *where) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _events(db, type_):
    with db.read() as s:
        return s.execute(select(Event).where(Event.type == int(type_))).scalars().all()


def test_dry_run_counts_duplicates_and_problems_and_writes_nothing(db, admin):
    c = make_client(db, admin)
    vault.create_item(db, admin, type="login", name="mail", client=c.organization_id, collection_ids=[c.shared],
                      fields={"username": "ANA", "url": "https://mail.example"})
    items, colls = _count(db, VaultItem), _count(db, Collection)
    plan = vault_import.plan_import(db, admin, LASTPASS, client=c.name)
    assert plan.format == "lastpass-csv" and plan.items == 4
    assert plan.by_type == {"Card": 1, "Login": 3}
    assert plan.by_collection == {"(no collection)": 1, "Office/IT": 2, "Shared logins": 1}
    assert plan.new_collections == ["Office/IT"]  # "Shared logins" exists already
    assert [(d.where, d.name) for d in plan.duplicates] == [("line 2", "Mail")]
    notices = {(n.where, n.message) for n in plan.notices}
    assert ("line 10", "it has no name: named '(no name)'") in notices  # the card spans lines 5-9
    assert any(w == "line 5" and "Foo" in m for w, m in notices)
    assert (_count(db, VaultItem), _count(db, Collection)) == (items, colls)
    assert not _events(db, EventType.ITEMS_IMPORTED)


def test_import_is_one_transaction_with_item_events_and_one_timeline_line(db, admin):
    c = make_client(db, admin)
    seen = []
    plan = vault_import.run_import(db, admin, LASTPASS, client=c.name, progress=lambda d, t: seen.append((d, t)))
    assert plan.imported == 4 and seen[-1] == (4, 4)
    items = {i.name: i for i in vault.list_items(db, admin, c.name)}
    assert set(items) == {"Mail", "VPN", "Card", "(no name)"}
    mail = vault.view_item(db, admin, items["Mail"].id)
    assert mail.extras.favorite and mail.field("totp").has_value
    assert vault.reveal(db, admin, mail.id, "totp") == "JBSWY3DPEHPK3PXP"
    assert vault.reveal(db, admin, mail.id, "notes") == "note, one\ntwo"
    card = vault.view_item(db, admin, items["Card"].id)
    assert CustomField("Foo", "bar") in card.extras.custom_fields
    names = {e.name: e.id for e in vault.open_vault(db, admin, c.name).collections}
    assert set(items["Mail"].collection_ids) == {names["Office/IT"]}
    assert set(items["Card"].collection_ids) == {names["Shared logins"]}
    assert len(_events(db, EventType.ITEM_CREATED)) == 4
    assert len(_events(db, EventType.COLLECTION_CREATED)) >= 1
    (line,) = _events(db, EventType.ITEMS_IMPORTED)
    assert line.organization_id == c.organization_id and line.acting_account_id == admin.account_id
    assert '"items":4' in line.detail and "LastPass CSV" in line.detail


def test_a_failure_half_way_writes_nothing(db, admin, monkeypatch):
    c = make_client(db, admin)
    before = (_count(db, VaultItem), _count(db, Collection), _count(db, Event))
    real, calls = vault.add_item, []

    def fail_on_third(*a, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*a, **kw)

    monkeypatch.setattr(vault, "add_item", fail_on_third)
    with pytest.raises(RuntimeError):
        vault_import.run_import(db, admin, LASTPASS, client=c.name)
    assert (_count(db, VaultItem), _count(db, Collection), _count(db, Event)) == before


def test_collection_option_puts_everything_into_one(db, admin):
    c = make_client(db, admin)
    plan = vault_import.run_import(db, admin, LASTPASS, client=c.name, collection="From LastPass")
    assert plan.by_collection == {"From LastPass": 4} and plan.new_collections == ["From LastPass"]


def test_users_may_not_import_into_a_client(db, admin):
    c = make_client(db, admin)
    with pytest.raises(Refused) as exc:
        vault_import.plan_import(db, c.user, LASTPASS, client=c.organization_id)
    assert exc.value.rule == "roles"
    with pytest.raises(Refused):
        vault_import.run_import(db, c.user, LASTPASS, client=c.organization_id, collection="Shared logins")
    assert not _events(db, EventType.ITEMS_IMPORTED)


def test_personal_import_keeps_items_in_ones_own_vault(db, admin):
    c = make_client(db, admin)
    plan = vault_import.run_import(db, c.user, LASTPASS, personal=True)
    assert plan.imported == 4
    assert {i.name for i in vault.list_personal(db, c.user)} == {"Mail", "VPN", "Card", "(no name)"}
    assert any("folders are not kept" in n.message for n in plan.notices)
    assert vault.list_personal(db, admin) == []  # S3: nobody else's
    (line,) = _events(db, EventType.ITEMS_IMPORTED)
    assert line.organization_id is None and line.provider_id is None


@pytest.mark.parametrize("data, words", [
    (b"a,b,c\n1,2,3\n", "matches no format"),
    (b"\x00\x01binary", "binary data"),
    (b'url,username,password,totp,extra,name,grouping,fav\n"https://a,u', "truncated"),
])
def test_bad_files_get_a_sentence_and_write_nothing(db, admin, data, words):
    c = make_client(db, admin)
    before = (_count(db, VaultItem), _count(db, Event))
    with pytest.raises(BadInput) as exc:
        vault_import.run_import(db, admin, data, client=c.name)
    assert words in str(exc.value) and str(exc.value)[0].isupper()
    assert (_count(db, VaultItem), _count(db, Event)) == before


def test_keepass_wrong_password_is_refused_and_writes_nothing(db, admin, tmp_path):
    c = make_client(db, admin)
    data = writers.keepass([ImportedItem(name="Door", fields={"password": "1234"}, collections=["Site"])],
                           tmp_path / "o.kdbx", password="right")
    before = _count(db, VaultItem)
    with pytest.raises(Refused) as exc:
        vault_import.run_import(db, admin, data, client=c.name, password="wrong")
    assert exc.value.rule == "file-password" and _count(db, VaultItem) == before
    plan = vault_import.run_import(db, admin, data, client=c.name, password="right")
    assert plan.imported == 1 and plan.by_collection == {"Site": 1}


def test_every_type_maps_by_name_and_what_has_no_place_is_said(db, admin):
    c = make_client(db, admin)
    records = [ImportedItem(type=t, name=f"a {t}", fields={"nickname": "x"}, uris=["https://u"], totp="T",
                            collections=["All"], where=f"items[{n}]") for n, t in
               enumerate(["login", "note", "card", "identity", "ssh-key", "bank-account", "drivers-licence",
                          "passport", "wifi"])]
    from msp_tui.core.formats.records import ReadResult

    with db.write() as s:
        org_id, key, access, name = vault_import._setup(s, admin, c.name, False)
        plan = vault_import._plan(s, admin, ReadResult("test", records), org_id=org_id, key=key, access=access,
                                  collection=None, personal=False, client_name=name)
    assert len(plan.by_type) == 8  # "wifi" became a secure note
    said = " ".join(n.message for n in plan.notices)
    assert "'nickname' has no field" in said and "no website" in said and "wifi" in said


# --- property: generated vaults written in each format, imported, read back from the vault -----------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.formats.test_readers import vaults  # noqa: E402

_WRITERS = {"lastpass": writers.lastpass_csv, "keeper-json": writers.keeper_json, "1pux": writers.onepassword_1pux,
            "keeper-csv": writers.keeper_csv, "1password-csv": writers.onepassword_csv}


@pytest.mark.parametrize("fmt", sorted(_WRITERS) + ["keepass"])
def test_property_generated_vaults_import_and_compare(sqlite_db, tmp_path, fmt):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    runs = iter(range(10_000))

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(vault=vaults())
    def check(vault):
        tag = f"r{next(runs)}"
        for item in vault:
            item.name = f"{tag} {item.name}"
            item.collections = [c.replace(",", " ").strip() or "x" for c in item.collections]
        if fmt == "keepass":
            data = writers.keepass(vault, tmp_path / f"{tag}.kdbx", password="pw")
        else:
            data = _WRITERS[fmt](vault)
        plan = vault_import.run_import(sqlite_db, admin, data, personal=True, password="pw")
        assert plan.imported == len(vault) and not plan.problems
        mine = {i.name: i for i in vault_import.vault.list_personal(sqlite_db, admin)
                if i.name.startswith(tag + " ")}
        # A name comes back as written, its ends trimmed (no-break and other spaces inside kept).
        assert sorted(mine) == sorted(i.name.strip() for i in vault)
        for w in vault:
            got = vault_import.vault.view_item(sqlite_db, admin, mine[w.name.strip()].id)
            assert got.field("username").value == w.fields["username"]
            assert vault_import.vault.reveal(sqlite_db, admin, got.id, "password") == w.fields["password"]
            assert got.field("url").value == w.uris[0]
            assert vault_import.vault.reveal(sqlite_db, admin, got.id, "notes") == w.notes

    check()


def test_the_import_says_what_it_did_in_one_sentence_wherever_it_ran():
    """One home for "Imported N items from FORMAT into CLIENT" (the vault's `i` and onboarding each wrote
    their own; onboarding's said "1 items")."""
    plan = vault_import.ImportPlan("lastpass", "LastPass CSV", False, "Contoso Dental", 1, {}, {}, [], [], [], [])
    plan.imported = 1
    assert plan.done_sentence == "Imported 1 item from LastPass CSV into Contoso Dental."
    plan.imported = 12345
    assert plan.done_sentence == "Imported 12,345 items from LastPass CSV into Contoso Dental."
