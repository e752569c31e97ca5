"""The benchmark suite (`make bench`) at a small size, so it cannot rot: every scenario runs to a
figure beside its baseline, or says why it was skipped; the table and the JSON report are written.

Budgets are not asserted here (a few hundred clients on a shared test machine say nothing about
100,000); `make bench` checks them at full size.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import run
from benchmarks.scenarios import ALL


def test_benchmark_suite_runs_every_scenario_at_a_small_size(tmp_path, capsys):
    report_path = tmp_path / "latest.json"
    # Scenario 14 (ten million events in `make bench`) builds its own data set, as at full size: on
    # the main one, the scenarios before it had written events its export count could not account for.
    code = run.main(["--clients", "120", "--events", "3000", "--repeat", "2", "--invites", "40", "--no-pg",
                     "--writers", "2,2,10",
                     "--big-clients", "60", "--big-events", "6000",
                     "--data-dir", str(tmp_path / "data"), "--json", str(report_path)])
    printed = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    rows = report["rows"]

    assert code in (0, 1)  # 1: a budget failed, which a small run on a busy machine may well do
    assert {r["scenario"] for r in rows} == {m.TITLE for m in ALL}
    errors = [r for r in rows if (r["note"] or "").startswith("error")]
    assert errors == []
    for r in rows:
        if r["skipped"]:
            assert "not here yet" in r["skipped"] or "not available" in r["skipped"], r
            continue
        assert r["median"] > 0 and r["p95"] >= r["median"], r
        if r["baseline"]:
            assert r["base_median"] > 0 and r["ratio"] > 0, r
        if r["budget"]:
            assert r["passed"] in (True, False), r
    measured = [r for r in rows if not r["skipped"]]
    assert any(r["scenario"].startswith("3") for r in measured)  # the core timeline is always here
    assert any(r["scenario"].startswith("5") for r in measured)
    assert any(r["scenario"].startswith("7") for r in measured)
    assert report["dataset"]["clients"] == 120 and report["dataset"]["events"] == 3000
    assert report["summary"]["passed"] + report["summary"]["failed"] == sum(
        1 for r in rows if r["passed"] is not None)
    # The printed table names every scenario and every baseline.
    for r in rows:
        assert r["scenario"] in printed
        if r["baseline"]:
            assert r["baseline"] in printed


def test_opening_a_database_at_head_does_not_import_alembic(tmp_path):
    """Found by the benchmark: importing Alembic to learn the database is up to date cost every start
    of the program (the app and each CLI command) about a tenth of a second."""
    import subprocess
    import sys

    from msp_tui.core.db import Database

    path = tmp_path / "at-head.db"
    db = Database(path)  # a new file: migrated by Alembic
    assert db.current_revision() == db.head_revision()
    db.dispose()
    probe = ("import sys\nfrom msp_tui.core.db import Database\n"
             f"db = Database({str(path)!r})\nassert db.upgrade() is False\n"
             "print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.postgres
def test_benchmark_postgresql_rows_run_on_a_database_loaded_with_copy(tmp_path, monkeypatch):
    """The PostgreSQL half of the suite at a small size: the SQLite benchmark database is copied in
    with COPY (core.db_copy) and kept on the server; a second run reuses it."""
    import shutil
    import tempfile
    from pathlib import Path

    from benchmarks import pgserver
    from tests.pg import _bin

    if not (_bin("initdb") and _bin("pg_ctl")):
        pytest.skip("PostgreSQL not available: no server binaries")
    outer = Path(tempfile.mkdtemp(prefix="msp-bench-pg-smoke-"))
    outer.chmod(0o755)  # the server runs as the postgres user, which must reach its folder
    monkeypatch.setattr(pgserver, "ROOT", outer / "pg")
    try:
        reports = []
        for only in ("1,2,3,5,6,13,15", "3"):
            report_path = tmp_path / "latest.json"
            run.main(["--clients", "120", "--events", "3000", "--pg-clients", "120", "--pg-events", "3000",
                      "--repeat", "2", "--invites", "40", "--writers", "2,2,10", "--only", only,
                      "--data-dir", str(tmp_path / "data"), "--json", str(report_path)])
            reports.append(json.loads(report_path.read_text()))
        first, second = reports
        assert "loaded with COPY" in first["postgresql"] and "reused" in second["postgresql"]
        pg_rows = [r for r in first["rows"] if r["backend"] == "postgresql"]
        assert {r["scenario"].split()[0] for r in pg_rows} == run.PG_SCENARIOS
        assert [r for r in pg_rows if (r["note"] or "").startswith("error")] == []
        assert (outer / "pg" / "bench.checkpoint").exists()
    finally:
        shutil.rmtree(outer, ignore_errors=True)
