"""`msp-tui policies …` and `msp-tui health` as scripts use them: JSON out, exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from msp_tui.core.enums import MemberStatus
from tests.conftest import PASSWORD, make_provider
from tests.core._policy_support import client, get_member, member


@pytest.fixture
def run(sqlite_db):
    admin = make_provider(sqlite_db)
    env = {**os.environ, "MSP_TUI_DB": str(sqlite_db.url.database), "MSP_TUI_EMAIL": "ada@msp.example",
           "PW": PASSWORD}

    def go(*args, fmt="json", input=None):
        proc = subprocess.run([sys.executable, "-m", "msp_tui", "--passwordenv", "PW", "--format", fmt, *args],
                              env=env, capture_output=True, text=True, input=input, timeout=120)
        return proc

    go.db, go.admin = sqlite_db, admin
    return go


def test_policies_cli_set_list_template_drift_and_health(run):
    db, admin = run.db, run.admin
    a = client(db, admin, "Contoso")
    client(db, admin, "Fabrikam")
    client(db, admin, "Teams Co", plan="teams-monthly")
    nofa = member(db, a.id, "nofa@contoso.example")

    p = run("policies", "set", "Contoso", "master-password", "--on", "--option", "min_length=14")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["options"]["min_length"] == 14
    assert "off → on; minLength 12 → 14" in p.stderr

    p = run("policies", "set", "Contoso", "vault-timeout", "--on")
    assert p.returncode == 1 and "Turn on the Single organization policy" in p.stderr
    p = run("policies", "set", "Contoso", "master-password", "--option", "min_length=200")
    assert p.returncode == 2 and "min_length" in p.stderr
    p = run("policies", "set", "Teams Co", "two-factor", "--on")
    assert p.returncode == 1 and "Enterprise" in p.stderr

    # Revoking needs a yes: without a terminal the question is refused and nothing changes.
    p = run("policies", "set", "Contoso", "two-factor", "--on")
    assert p.returncode == 1 and "revoke 1 member" in p.stderr
    assert get_member(db, nofa).status == MemberStatus.CONFIRMED

    rows = json.loads(run("policies", "list", "Contoso").stdout)
    assert [r["type"] for r in rows] == list(range(17))
    assert rows[1]["state"] == "on" and rows[0]["state"] == "off"

    p = run("policies", "template", "create", "Baseline", "--on", "two-factor", "--on", "single-org",
            "--on", "vault-timeout", "--option", "vault-timeout:minutes=240", "--option", "vault-timeout:action=lock")
    assert p.returncode == 0, p.stderr
    dry = json.loads(run("policies", "template", "apply", "Baseline", "--all", "--dry-run").stdout)
    by_client = {r["client"]: r for r in dry}
    assert by_client["Contoso"]["status"] == "would change"
    assert by_client["Contoso"]["revoke"] == ["nofa@contoso.example (User)"]
    assert by_client["Teams Co"]["status"] == "error"
    assert get_member(db, nofa).status == MemberStatus.CONFIRMED

    p = run("policies", "template", "apply", "Baseline", "--client", "Contoso", "--client", "Fabrikam", "--yes")
    assert p.returncode == 0, p.stderr
    assert get_member(db, nofa).status == MemberStatus.REVOKED
    assert json.loads(run("policies", "drift").stdout) == []

    run("policies", "set", "Fabrikam", "vault-timeout", "--option", "minutes=600")
    drift = json.loads(run("policies", "drift").stdout)
    assert [(d["client"], d["policy"], d["expected"], d["actual"]) for d in drift] == [
        ("Fabrikam", "Vault timeout", "minutes 240", "minutes 600")]
    p = run("policies", "accept-deviation", "Fabrikam", "vault-timeout", "--reason", "Night shift")
    assert p.returncode == 0, p.stderr
    assert json.loads(run("policies", "drift").stdout) == []

    health = json.loads(run("health", "--all").stdout)
    kinds = [h["kind"] for h in health]
    assert kinds[0] == "failover" and "drift" not in kinds
    assert any(h["kind"] == "two-factor" and h["finding"].startswith("Contoso") for h in health) is False
    csv_out = run("health", fmt="csv").stdout
    assert csv_out.splitlines()[0] == "severity,kind,finding,where,client_id,count"
