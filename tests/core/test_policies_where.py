"""docs/policies.md is generated from core's one table of where each policy acts (issue 16)."""

from pathlib import Path

from msp_tui.core import policies as catalogue
from msp_tui.core.enums import PolicyType

DOC = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def test_every_policy_says_where_msp_tui_applies_it():
    assert set(catalogue.WHERE_IT_ACTS) == set(PolicyType) == set(catalogue.SPECS)
    for kind, line in catalogue.WHERE_IT_ACTS.values():
        assert kind in (catalogue.ACTS, catalogue.PARTLY, catalogue.NOT_YET, catalogue.OTHER_APPS) and line
        if kind == catalogue.OTHER_APPS:
            assert line.startswith("Stored for other apps: msp-tui has no ")


def test_docs_policies_md_is_generated_from_core():
    assert DOC.read_text() == catalogue.policies_doc(), \
        "regenerate: python -m msp_tui.core.policies > docs/policies.md"
