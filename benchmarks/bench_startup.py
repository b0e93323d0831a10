"""Start-up time of `advisor --help` (target: median <= 150 ms on the CI machine).

Method: run the installed console script N times in fresh processes (after 3 warm-up
runs, so the OS file cache is warm, as it is for a user who runs the tool twice) and
report the median and the spread of the wall-clock times. Heavy modules (pydantic,
ruamel.yaml, networkx, questionary) must stay out of this path: the script also
prints the modules `-X importtime` shows as the slowest, to find regressions.

    .venv/bin/python benchmarks/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _advisor import advisor_command  # benchmarks/_advisor.py


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--target-ms", type=float, default=150.0)
    args = parser.parse_args()
    cmd = [*advisor_command(), "--help"]
    for _ in range(3):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    p90 = times[int(0.9 * (len(times) - 1))]
    print(f"advisor --help: median {median:.1f} ms, min {times[0]:.1f} ms, p90 {p90:.1f} ms over {args.runs} runs")
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c", "import advisor.cli"],
                             capture_output=True, text=True, check=True).stderr.splitlines()
    rows = []
    for line in imports[1:]:
        parts = line.split("|")
        if len(parts) == 3:
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    print("slowest imports (cumulative us):")
    for cumulative, name in rows[:6]:
        print(f"  {cumulative:8d} {name}")
    ok = median <= args.target_ms
    print(f"target {args.target_ms:.0f} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
