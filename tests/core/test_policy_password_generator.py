"""Policy 2 Password generator: the generator (core.generator) and the policy that bounds it: the
policy of the client the item goes to, or the strictest of every client for a personal item; options
the admin left unset impose nothing; nobody is exempt (the reference's client applies it to all)."""

from __future__ import annotations

import string
from collections import Counter

import pytest

from msp_tui.cli import main
from msp_tui.core import generator as gen
from msp_tui.core import policies as catalogue
from msp_tui.core.enums import PolicyType
from msp_tui.core.errors import BadInput, NotFound
from msp_tui.core.services import accounts, clients, members, policies
from tests.conftest import make_provider
from tests.core.test_vault_support import USER_PASSWORD, make_client

P2 = PolicyType.PASSWORD_GENERATOR


def test_password_generator_policy_bounds_the_generator(db, admin):
    c = make_client(db, admin)
    assert policies.generator_policy(db, c.user, c.organization_id) == (None, [])
    policies.set_policy(db, admin, c.organization_id, P2, enabled=True,
                        options={"min_length": 30, "use_special": True, "min_numbers": 3})
    for who in (c.user, c.owner, admin):  # Owners and provider staff saving to the client too
        policy, names = policies.generator_policy(db, who, c.organization_id)
        assert names == [c.name]
        o = gen.bounded(gen.GeneratorOptions(length=10, special=False, min_numbers=0), policy)
        password = gen.generate(o)
        assert len(password) == 30
        assert any(ch in gen.SPECIAL for ch in password) and sum(ch.isdigit() for ch in password) >= 3
    # A personal item: bound by every client the member belongs to (no role exempt).
    policy, names = policies.generator_policy(db, c.owner, None)
    assert names == [c.name] and policy.min_length == 30


def test_password_generator_policy_forces_a_passphrase_with_its_words(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P2, enabled=True,
                        options={"override_password_type": "passphrase", "min_number_words": 8,
                                 "capitalize": True, "include_number": True})
    policy, _ = policies.generator_policy(db, c.user, c.name)
    o = gen.bounded(gen.GeneratorOptions(words=3, separator=" "), policy)
    assert (o.kind, o.words, o.capitalize, o.include_number) == ("passphrase", 8, True, True)
    words = gen.generate(o).split(" ")  # (some EFF words have a hyphen: t-shirt)
    assert len(words) == 8 and all(w[0].isupper() for w in words)
    assert sum(any(ch.isdigit() for ch in w) for w in words) == 1


def test_password_generator_policy_unset_options_impose_nothing(db, admin):
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P2, enabled=True, options={})
    policy, _ = policies.generator_policy(db, c.user, c.organization_id)
    asked = gen.GeneratorOptions(length=5, upper=False, numbers=False, min_numbers=0)
    assert gen.bounded(asked, policy) == asked
    asked = gen.GeneratorOptions(kind="passphrase", words=3)
    assert gen.bounded(asked, policy) == asked


def test_password_generator_policy_strictest_client_wins(db, admin):
    c = make_client(db, admin)
    f = clients.create_client(db, admin, name="Fabrikam", plan="enterprise-monthly", seats=10,
                              owner_email="owner@fabrikam.example")
    secret = members.invite(db, admin, f.id, ["user@contoso.example"], role="admin").secrets["user@contoso.example"]
    accounts.accept_invitations(db, email="user@contoso.example", secret=secret, password=USER_PASSWORD)
    members.confirm(db, admin, f.id, ["user@contoso.example"])
    policies.set_policy(db, admin, c.organization_id, P2, enabled=True, options={"min_length": 20})
    policies.set_policy(db, admin, f.id, P2, enabled=True, options={"min_length": 16, "use_special": True,
                                                                    "override_password_type": "passphrase"})
    policy, names = policies.generator_policy(db, c.user, None)  # Admin of Fabrikam: still bound
    assert sorted(names) == ["Contoso Dental", "Fabrikam"]
    assert (policy.min_length, policy.use_special, policy.override_password_type) == (20, True, "passphrase")


def test_password_generator_policy_of_someone_elses_client_is_not_found(db, admin):
    c = make_client(db, admin)
    other = clients.create_client(db, admin, name="Northwind", plan="enterprise-monthly", seats=5,
                                  owner_email="owner@northwind.example")
    with pytest.raises(NotFound):
        policies.generator_policy(db, c.user, other.id)
    with pytest.raises(NotFound):
        policies.generator_policy(db, c.user, "Northwind")


def test_password_generator_policy_words_are_3_to_20_and_every_option_optional():
    assert catalogue.parse_options(P2, {}) == catalogue.PasswordGeneratorOptions()
    assert catalogue.PasswordGeneratorOptions().min_length is None
    catalogue.parse_options(P2, {"min_number_words": 3})
    for bad in (2, 21):
        with pytest.raises(BadInput):
            catalogue.parse_options(P2, {"min_number_words": bad})
    # Options stored before (every option set, words from 6) still load as they were.
    stored = ('{"capitalize":false,"includeNumber":false,"minLength":14,"minNumberWords":6,"minNumbers":0,'
              '"minSpecial":0,"overridePasswordType":null,"useLower":false,"useNumbers":false,'
              '"useSpecial":false,"useUpper":false}')
    assert catalogue.load_options(P2, stored).min_number_words == 6


# --- the generator itself ----------------------------------------------------------------------


def test_generator_characters_are_spread_evenly():
    """Sanity of the distribution: 2,000 lower-case passwords of 20: every letter near 1/26."""
    o = gen.GeneratorOptions(length=20, upper=False, numbers=False, min_numbers=0)
    counts = Counter("".join(gen.generate(o) for _ in range(2000)))
    assert set(counts) == set(string.ascii_lowercase)
    expected = 40000 / 26
    assert all(abs(n - expected) < 0.15 * expected for n in counts.values()), counts
    assert len({gen.generate(o) for _ in range(500)}) == 500


def test_generator_positions_are_shuffled_and_minimums_kept():
    o = gen.GeneratorOptions(length=12, special=True, min_numbers=4, min_special=3)
    firsts = Counter()
    for _ in range(600):
        p = gen.generate(o)
        assert len(p) == 12 and sum(c.isdigit() for c in p) >= 4 and sum(c in gen.SPECIAL for c in p) >= 3
        assert any(c.isupper() for c in p) and any(c.islower() for c in p)
        firsts[("digit" if p[0].isdigit() else "special" if p[0] in gen.SPECIAL else "letter")] += 1
    assert all(firsts[k] > 60 for k in ("digit", "special", "letter")), firsts  # the required ones move


def test_generator_passphrase_words_come_from_the_eff_long_list():
    words = gen.eff_long_words()
    assert len(words) == 7776 and len(set(words)) == 7776
    o = gen.GeneratorOptions(kind="passphrase", words=5, separator=" ")
    seen = set()
    for _ in range(300):
        chosen = gen.generate(o).split(" ")
        assert len(chosen) == 5 and set(chosen) <= set(words)
        seen.update(chosen)
    assert len(seen) > 1300  # 1,500 draws from 7,776 words


@pytest.mark.parametrize("bad", [{"length": 4}, {"length": 129}, {"words": 2}, {"words": 21}, {"min_numbers": 10},
                                 {"separator": "--"},
                                 {"upper": False, "lower": False, "numbers": False, "min_numbers": 0}])
def test_generator_refuses_options_out_of_bounds(bad):
    o = gen.GeneratorOptions(**bad)
    with pytest.raises(BadInput):
        gen.generate(o if "words" not in bad else gen.GeneratorOptions(kind="passphrase", **bad))


# --- the command line --------------------------------------------------------------------------


def test_password_generator_policy_bounds_vault_generate_on_the_command_line(sqlite_db, capsys, monkeypatch):
    db = sqlite_db
    admin = make_provider(db)
    c = make_client(db, admin)
    policies.set_policy(db, admin, c.organization_id, P2, enabled=True,
                        options={"min_length": 24, "use_special": True})
    monkeypatch.setenv("PW", USER_PASSWORD)
    base = ["--db", db.url.render_as_string(hide_password=False), "--email", "user@contoso.example",
            "--passwordenv", "PW", "vault", "generate"]

    def run(*argv):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([*base, *argv])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return exc.value.code, out.out.strip(), out.err

    code, out, err = run("--length", "8")
    assert code in (0, None) and len(out) == 24 and any(ch in gen.SPECIAL for ch in out)
    assert "Password generator policy of Contoso Dental" in err
    code, out, err = run("--client", c.name, "--passphrase", "--words", "4", "--separator", ".")
    assert code in (0, None) and len(out.split(".")) == 4
    code, out, err = run("--length", "200")
    assert code == 2 and "between 5 and 128" in err  # bad input, as every command
