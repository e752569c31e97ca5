"""7. `msp-tui --help` in a new process, beside `python -c pass`; and the CLI does not import Textual."""

from __future__ import annotations

from benchmarks.common import Row, Samples, measured, msp_tui_cmd, python, run_child

TITLE = "7 --help"

CHECK = ("import sys\nfrom msp_tui.cli import cli\n"
         "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))")


def run(ctx) -> list[Row]:
    n = max(5, ctx.repeat * 2)
    run_child([*msp_tui_cmd(), "--help"])  # warm the file cache
    helps, bases = Samples(), Samples()
    for _ in range(n):  # interleaved, so the machine's load hits both alike
        res = run_child([*msp_tui_cmd(), "--help"])
        if res.returncode != 0 or "Usage" not in res.stdout:
            raise RuntimeError(f"msp-tui --help failed: {res.stderr[-300:]}")
        helps.add(res.seconds, res.cpu)
        b = run_child([python(), "-c", "pass"])
        bases.add(b.seconds, b.cpu)
    imported = run_child([python(), "-c", CHECK]).stdout.strip()
    row = measured(TITLE, "msp-tui --help (new process)", helps, base=bases, baseline="python -c pass")
    textual_free = imported == "[]"
    row.check(300, text="p95 < 300 ms, no Textual import")
    row.passed = row.passed and textual_free
    row._add_note("Textual not imported" if textual_free else f"imports Textual: {imported[:80]}")
    return [row]
