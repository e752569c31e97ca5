"""Run `msp-tui ARGS…` in this process and, at exit, write its peak resident memory (VmHWM) to the
file named by $MSP_BENCH_PEAK_FILE.

    python -m benchmarks.peak events export …

(wait4's ru_maxrss would not do: Linux carries the parent's high-water mark across fork and exec.)
"""

from __future__ import annotations

import atexit
import os
import sys


def vm_hwm_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def record_peak_at_exit() -> None:
    path = os.environ.get("MSP_BENCH_PEAK_FILE")
    if path:
        atexit.register(lambda: open(path, "w").write(str(vm_hwm_kib())))


def main() -> None:
    record_peak_at_exit()
    from msp_tui.cli import main as cli_main

    cli_main(sys.argv[1:])


if __name__ == "__main__":
    main()
