"""Policy templates (B2): dry run, apply, drift, accepted deviations; 1,000 clients."""

import json
import time

import pytest
from sqlalchemy import func, select

from msp_tui.core import demo
from msp_tui.core.enums import EventType, MemberStatus, PolicyType as P
from msp_tui.core.errors import BadInput, NotFound, Refused
from msp_tui.core.models import ClientTemplate, Event, Member, Policy
from msp_tui.core.services import accounts, members, policies as pol, staff
from tests.conftest import PASSWORD
from tests.core._policy_support import client, member

BASE = {"two-factor": True, "single-org": True,
        "vault-timeout": (True, {"minutes": 240, "action": "lock"}),
        "master-password": (True, {"min_length": 14})}


def service_user(db, admin, email="sam@msp.example"):
    secret = staff.invite(db, admin, [email], "service").secrets[email]
    accounts.accept_invitations(db, email=email, secret=secret, password=PASSWORD, name="Sam")
    staff.confirm(db, admin, email)
    return accounts.sign_in(db, email, PASSWORD)


def _count(db, model, *where):
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_template_needs_single_org_for_its_dependents(db, admin):
    with pytest.raises(BadInput, match="Turn on the Single organization policy"):
        pol.create_template(db, admin, "Broken", {"vault-timeout": True})
    with pytest.raises(BadInput, match="minutes"):
        pol.create_template(db, admin, "Bad", {"single-org": True, "vault-timeout": (True, {"minutes": 0})})
    t = pol.create_template(db, admin, "Baseline", BASE)
    assert [int(i.type) for i in t.items] == [0, 1, 3, 9]
    with pytest.raises(BadInput, match="already exists"):
        pol.create_template(db, admin, "baseline", BASE)


def test_dry_run_writes_nothing_then_apply_changes_each_client(db, admin):
    a, b = client(db, admin, "Contoso"), client(db, admin, "Fabrikam")
    t = client(db, admin, "Teams Co", plan="teams-monthly")
    nofa = member(db, a.id, "no2fa@contoso.example")
    pol.create_template(db, admin, "Baseline", BASE)
    events_before = _count(db, Event)
    dry = pol.apply_template(db, admin, "Baseline", all_clients=True, dry_run=True)
    assert _count(db, Event) == events_before and _count(db, Policy) == 0
    plans = {p.client_name: p for p in dry.clients}
    assert [c.name for c in plans["Contoso"].changes] == [
        "Require two-step login", "Master password requirements", "Single organization", "Vault timeout"]
    assert plans["Contoso"].changes[3].before == "off" and plans["Contoso"].changes[3].after == \
        "on (minutes 240, action lock)"
    assert [e.email for e in plans["Contoso"].revoke] == ["no2fa@contoso.example"]
    assert "Enterprise" in plans["Teams Co"].error
    assert dry.changed == 2 and dry.failed == 1 and dry.revoked == 1

    real = pol.apply_template(db, admin, "Baseline", all_clients=True, dry_run=False)
    assert real.changed == 2 and real.failed == 1 and real.revoked == 1
    with db.read() as s:
        assert s.get(Member, nofa).status == MemberStatus.REVOKED
    assert _count(db, ClientTemplate) == 2
    for c in (a, b):
        assert pol.list_policies(db, admin, c.id).template == "Baseline"
    assert pol.drift_report(db, admin) == []
    again = pol.apply_template(db, admin, "Baseline", all_clients=True, dry_run=True)
    assert again.changed == 0


def test_drift_reported_and_accepted_deviation_no_longer_reported(db, admin):
    a, b = client(db, admin, "Contoso"), client(db, admin, "Fabrikam")
    pol.create_template(db, admin, "Baseline", BASE)
    pol.apply_template(db, admin, "Baseline", [a.id, "Fabrikam"], dry_run=False)
    pol.set_policy(db, admin, a.id, "vault-timeout", options={"minutes": 720})
    pol.set_policy(db, admin, b.id, "master-password", enabled=False)
    report = {c.client_name: c for c in pol.drift_report(db, admin)}
    assert set(report) == {"Contoso", "Fabrikam"}
    d = report["Contoso"].differences[0]
    assert (d.name, d.expected, d.actual) == ("Vault timeout", "minutes 240", "minutes 720")
    assert report["Fabrikam"].differences[0].actual == "off"
    assert pol.drifted_client_ids(db, admin, [a.id, b.id]) == {a.id, b.id}
    assert pol.list_policies(db, admin, a.id).by_type(9).template_state == "differs"

    with pytest.raises(BadInput, match="reason"):
        pol.accept_deviation(db, admin, a.id, "vault-timeout", "  ")
    pol.accept_deviation(db, admin, a.id, "vault-timeout", "Night shift needs 12 hours")
    report = pol.drift_report(db, admin)
    assert [c.client_name for c in report] == ["Fabrikam"]
    assert pol.drifted_client_ids(db, admin, [a.id, b.id]) == {b.id}
    full = {c.client_name: c for c in pol.drift_report(db, admin, include_clean=True)}
    assert full["Contoso"].accepted[0].reason == "Night shift needs 12 hours" and not full["Contoso"].drifted
    assert pol.list_policies(db, admin, a.id).by_type(9).template_state == "accepted"
    with db.read() as s:
        last = s.execute(select(Event).where(Event.type == int(EventType.POLICY_UPDATED))
                         .order_by(Event.id.desc())).scalars().first()
        assert json.loads(last.detail)["deviation"] == "accepted" and last.organization_id == a.id
    # Re-applying keeps the accepted deviation and fixes the rest.
    res = pol.apply_template(db, admin, "Baseline", all_clients=True, dry_run=False)
    assert {c.client_name: c.kept for c in res.clients}["Contoso"] == ["Vault timeout"]
    assert pol.drift_report(db, admin) == []
    assert pol.list_policies(db, admin, a.id).by_type(9).options["minutes"] == 720
    pol.withdraw_deviation(db, admin, a.id, "vault-timeout")
    assert [c.client_name for c in pol.drift_report(db, admin)] == ["Contoso"]


def test_changing_the_template_makes_its_clients_drift(db, admin):
    a = client(db, admin, "Contoso")
    pol.create_template(db, admin, "Baseline", BASE)
    pol.apply_template(db, admin, "Baseline", [a.id], dry_run=False)
    tv = pol.get_template(db, admin, "Baseline")
    pol.set_template_policy(db, admin, "Baseline", "master-password", options={"min_length": 16},
                            expected_version=tv.version)
    assert pol.drifted_client_ids(db, admin, [a.id]) == {a.id}
    with pytest.raises(Exception, match="changed by"):
        pol.set_template_policy(db, admin, "Baseline", "remove-pin", enabled=True, expected_version=tv.version)
    with pytest.raises(BadInput, match="Turn off|Turn on"):
        pol.set_template_policy(db, admin, "Baseline", "single-org", enabled=False)


def test_apply_stops_a_client_whose_dependents_need_single_org(db, admin):
    a = client(db, admin, "Contoso")
    pol.set_policy(db, admin, a.id, "single-org", enabled=True)
    pol.set_policy(db, admin, a.id, "require-sso", enabled=True)
    pol.create_template(db, admin, "Loose", {"single-org": False, "remove-pin": True})
    dry = pol.apply_template(db, admin, "Loose", [a.id], dry_run=True)
    assert dry.clients[0].error.startswith("Turn off the Require single sign-on")
    real = pol.apply_template(db, admin, "Loose", [a.id], dry_run=False)
    assert real.failed == 1
    view = pol.list_policies(db, admin, a.id)
    assert view.by_type(3).enabled and not view.by_type(14).enabled  # nothing of it was written


def test_template_applied_to_1000_clients(sqlite_db):
    db = sqlite_db
    admin = demo.build(db, clients=1000, events=0).actor
    pol.create_template(db, admin, "Strict", {"single-org": True, "remove-pin": True,
                                              "uri-match": (True, {"uri_match_detection": 3})})
    before_drift = pol.drift_report(db, admin, template="Strict")
    assert before_drift == []  # nobody follows it yet
    t0 = time.perf_counter()
    dry = pol.apply_template(db, admin, "Strict", all_clients=True, dry_run=True)
    dry_s = time.perf_counter() - t0
    assert len(dry.clients) == 1000
    enterprise = [c for c in dry.clients if not c.error]
    assert dry.changed == len(enterprise) > 400 and all("Enterprise" in c.error for c in dry.clients if c.error)
    assert _count(db, ClientTemplate) < 1000  # the demo's own assignments only
    t0 = time.perf_counter()
    real = pol.apply_template(db, admin, "Strict", all_clients=True, dry_run=False)
    real_s = time.perf_counter() - t0
    assert real.changed == dry.changed and real.revoked == dry.revoked
    ids = [c.organization_id for c in real.clients if c.applied]
    assert len(ids) == len(enterprise)
    assert pol.drift_report(db, admin, template="Strict") == []
    pol.set_policy(db, admin, ids[0], "remove-pin", enabled=False)
    after = pol.drift_report(db, admin, template="Strict")
    assert [c.organization_id for c in after] == [ids[0]]
    print(f"1000 clients: dry run {dry_s:.2f}s, apply {real_s:.2f}s, revoked {real.revoked}")


def test_a_client_created_with_a_template_gets_it_in_the_same_transaction(db, admin):
    from msp_tui.core.models import Organization
    from msp_tui.core.services import clients

    pol.create_template(db, admin, "Baseline", BASE)
    view = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=5,
                                 owner_email="o@contoso.example", template="Baseline")
    policies = pol.list_policies(db, admin, view.id)
    assert policies.template == "Baseline"
    assert pol.drift_report(db, admin) == []
    with db.read() as s:
        created = s.execute(select(Event.id).where(Event.type == EventType.CLIENT_CREATED)).scalar_one()
        set_on = s.execute(select(Event.id).where(Event.type == EventType.POLICY_UPDATED,
                                                  Event.organization_id == view.id)).scalars().all()
        assert s.execute(select(Organization.name).where(Organization.id == view.id)).scalar_one() == "Contoso"
    assert len(set_on) == 4 and min(set_on) > created  # the template's four policies, after the creation

    # A template that cannot be applied (a Teams plan has no policies): nothing is created at all.
    events_before, orgs_before = _count(db, Event), _count(db, Organization)
    with pytest.raises(Refused, match="Baseline cannot be applied to Fabrikam.*Nothing was saved"):
        clients.create_client(db, admin, name="Fabrikam", plan="teams-monthly", seats=5,
                              owner_email="o@fabrikam.example", template="Baseline")
    with pytest.raises(NotFound):
        clients.create_client(db, admin, name="Fabrikam", plan="enterprise-monthly", seats=5,
                              owner_email="o@fabrikam.example", template="No such template")
    assert _count(db, Event) == events_before and _count(db, Organization) == orgs_before
    assert _count(db, ClientTemplate) == 1
