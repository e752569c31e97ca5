"""Write the table of benchmarks/latest.json into the "Performance" section of benchmarks/README.md.

    python -m benchmarks.readme [latest.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.common import Row
from benchmarks.run import table

HERE = Path(__file__).resolve().parent
MARK = "## Performance\n"


def section(report: dict) -> str:
    rows = [Row(**r) for r in report["rows"]]
    d, s = report["dataset"], report["summary"]
    load, cpus = report["machine"]["loadavg"][0], report["machine"]["cpus"]
    busy = (f"was shared with other work (load average {load:.1f} at the end), so wall times include "
            f"waiting for a CPU" if load > cpus else f"ran nothing else (load average {load:.1f} at the end)")
    lines = [
        f"From `make bench` on {report['started'][:16].replace('T', ' ')} UTC: {d['clients']:,} clients and "
        f"{d['events']:,} events on SQLite; {report['postgresql'] or 'no PostgreSQL'}. The machine has "
        f"{cpus} CPUs and {busy}; ratios are against baselines measured in the same run. "
        f"{s['passed']} budgets pass, {s['failed']} fail, {s['skipped']} skipped; "
        f"{report['seconds']:.0f} s in all.",
        "",
        table(rows),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "latest.json"
    report = json.loads(path.read_text())
    readme = HERE / "README.md"
    text = readme.read_text()
    head = text[:text.index(MARK) + len(MARK)]
    readme.write_text(head + "\n" + section(report))
    print(f"wrote the table of {path} into {readme}")


if __name__ == "__main__":
    main()
