"""Fault-domain analysis at fleet scale (targets: 10,000 hosts <= 0.5 s; 100,000 hosts <= 5 s and <= 1 GiB; linear).

Method: for 1,000 to 100,000 hosts (4 VMs per host, 20 services per host at 4
replicas: 200,000 pods and 40,000 worker VMs at 10,000 hosts, 2,000,000 pods at
100,000; 40 hosts per rack; 3 clusters), time ``advisor.faultdomain.analyze_params``
-- generate both topologies, compute every metric from their arrays -- once per fresh process,
as the CLI runs it (imports not timed), ``--runs`` times per size, and report the
median wall-clock time (and the median CPU time). The sizes are interleaved round by
round so that load from other processes hits all sizes alike. Each process reports its
own peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``); the largest
is shown. The last round also times the phases (generate / metrics) of each option.

Growth: every doubling of the size (1k -> 2k, 5k -> 10k, 50k -> 100k) should cost
<= 2.2x (linear). Each round runs the sizes in turn (the order reversed every other
round), so the two sizes of a doubling run next to each other; the ratio of that pair
is taken in every round, and the goal is judged on the **median of the paired
ratios** of the wall-clock time *and* on the ratio of the median times, whichever is
larger (the spread of the paired ratios and the CPU-time ratio are shown beside them).
The minimum, which flatters, is shown but never judged.

    .venv/bin/python benchmarks/bench_faultdomain.py [--runs 7] [--sizes 1000 2000 5000 10000 50000 100000] [--check]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: hosts -> (seconds, peak bytes) targets
TARGETS = {10_000: (0.5, None), 100_000: (5.0, 1024**3)}
TARGET_RATIO = 2.2


def _params(hosts: int) -> object:
    from advisor.faultdomain import FleetParams

    return FleetParams(physical_hosts=hosts, racks=max(1, hosts // 40), vms_per_host=4,
                       microservices_per_host=20, replicas_per_service=4, clusters=3)


def _child(hosts: int, phases: bool) -> None:
    """In a fresh process, as the CLI runs it: time one analysis, then (optionally) its phases."""
    sys.path.insert(0, str(ROOT))
    import numpy  # noqa: F401  (imports are not timed)

    import advisor.faultdomain.arrays  # noqa: F401  (imported by the first analysis otherwise: not timed either)
    from advisor.faultdomain import analyze_params, compute_metrics, generate

    params = _params(hosts)
    gc.collect()
    start = time.perf_counter()
    cpu = time.process_time()
    result = analyze_params(params)  # type: ignore[arg-type]
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - start
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    vm = result.options[1].metrics
    report: dict[str, object] = {"hosts": hosts, "vms": vm["vms"], "pods": vm["pods"], "seconds": seconds,
                                 "cpu_seconds": cpu, "maxrss_bytes": maxrss}
    del result
    if phases:
        split: dict[str, dict[str, float]] = {}
        gc.disable()
        for option in ("bare_metal", "vm"):
            t0 = time.perf_counter()
            topo = generate(params, option)  # type: ignore[arg-type]
            t1 = time.perf_counter()
            compute_metrics(topo)
            t2 = time.perf_counter()
            split[option] = {"generate": t1 - t0, "metrics": t2 - t1}
            del topo
        report["phases"] = split
    print(json.dumps(report))


def _run(hosts: int, phases: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(hosts)] + (["--phases"] if phases else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    row: dict[str, Any] = json.loads(out)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds: fresh processes per size (medians reported)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000, 50000, 100000])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.phases)
        return 0

    # Rounds interleave the sizes, so that load from other processes hits every size alike.
    runs: dict[int, list[dict[str, Any]]] = {h: [] for h in args.sizes}
    for i in range(args.runs):
        for hosts in (args.sizes if i % 2 == 0 else args.sizes[::-1]):
            runs[hosts].append(_run(hosts, phases=i == args.runs - 1))

    rows: dict[int, dict[str, Any]] = {}
    print(f"{'hosts':>7} {'VMs':>7} {'pods':>8} {'median s':>9} {'min s':>6} {'CPU s':>6} {'peak RSS MiB':>13}"
          "   one run's phases (bare metal | VM): generate / metrics s")
    for hosts in args.sizes:
        done = runs[hosts]
        row = {
            "median": statistics.median(r["seconds"] for r in done),
            "min": min(r["seconds"] for r in done),
            "cpu": statistics.median(r["cpu_seconds"] for r in done),
            "maxrss_bytes": max(r["maxrss_bytes"] for r in done),
        }
        rows[hosts] = row
        ph = done[-1]["phases"]
        detail = " | ".join(
            f"{p['generate']:.2f} / {p['metrics']:.2f}"
            for p in (ph["bare_metal"], ph["vm"])
        )
        print(f"{hosts:>7,} {done[0]['vms']:>7,} {done[0]['pods']:>8,} {row['median']:>9.2f} {row['min']:>6.2f} "
              f"{row['cpu']:>6.2f} {row['maxrss_bytes'] / 2**20:>13.0f}   {detail}")

    ok = True
    for small, big in ((1000, 2000), (5000, 10000), (50000, 100000)):
        if small in rows and big in rows:
            paired = sorted(b["seconds"] / a["seconds"] for a, b in zip(runs[small], runs[big], strict=True))
            paired_cpu = [b["cpu_seconds"] / a["cpu_seconds"] for a, b in zip(runs[small], runs[big], strict=True)]
            of_medians = rows[big]["median"] / rows[small]["median"]
            ratio = max(statistics.median(paired), of_medians)
            met = ratio <= TARGET_RATIO
            ok &= met
            print(f"scaling {small:,} -> {big:,} hosts: paired x{statistics.median(paired):.2f} "
                  f"(x{paired[0]:.2f} to x{paired[-1]:.2f} over {len(paired)} rounds), of the medians "
                  f"x{of_medians:.2f}, CPU x{statistics.median(paired_cpu):.2f}, of the minimums "
                  f"x{rows[big]['min'] / rows[small]['min']:.2f} (target <= {TARGET_RATIO} on the larger of "
                  f"the first two: {'met' if met else 'MISSED'})")
    for hosts, (seconds, peak) in TARGETS.items():
        if hosts not in rows:
            continue
        row = rows[hosts]
        met_t = row["median"] <= seconds
        met_m = peak is None or row["maxrss_bytes"] <= peak
        ok &= met_t and met_m
        memory = "" if peak is None else (f", peak {row['maxrss_bytes'] / 2**20:.0f} MiB (target <= "
                                          f"{peak / 2**20:.0f} MiB: {'met' if met_m else 'MISSED'})")
        print(f"{hosts:,} hosts: {row['median']:.2f} s (target <= {seconds} s: {'met' if met_t else 'MISSED'}){memory}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
