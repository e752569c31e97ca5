"""House rules that code can check: core never imports Textual."""

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "msp_tui" / "core"


def test_core_never_imports_textual():
    modules = sorted("msp_tui.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
                     for p in CORE.rglob("*.py")
                     if "migrations" not in p.parts and p.name != "__init__.py")
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
            + "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported Textual: {out.stdout}"


def test_no_core_source_mentions_a_textual_import():
    offenders = [p for p in CORE.rglob("*.py")
                 if any(line.lstrip().startswith(("import textual", "from textual"))
                        for line in p.read_text().splitlines())]
    assert offenders == []
