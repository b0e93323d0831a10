"""Tipping points speed (target: the what-if analysis of one profile <= 300 ms, so that
``advisor assess`` with its decision record stays within 1 s on the CI machine).

Method: in one process, after loading the questionnaire and the default pack, for the
default profile and every whole-pack case (rules/cases/, the archetypes): clear the
fault-domain cache, evaluate the profile once (as ``assess`` does before the what-if,
so its own graph is cached) and time ``pipeline.tipping_points`` with the default
budget. ``--runs`` rounds, the profiles interleaved; the median per profile is
reported (wall clock and CPU time, as the CI machine is often shared) with the
evaluations made, the tipping points found and whether the budget cut a search
short. Then the median, over ``--runs`` fresh processes, of ``advisor whatif --format
json`` on the default profile (imports and pack loading included).

    .venv/bin/python benchmarks/bench_whatif.py [--runs 5] [--check]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _advisor import advisor_command  # benchmarks/_advisor.py

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0


def _profiles() -> list[tuple[str, dict[str, Any]]]:
    from advisor import pipeline

    pack = pipeline.load_pack(None, pipeline.load_questionnaire())
    return [("default profile", {})] + [(c.file.rsplit("/", 1)[-1].removesuffix(".yaml"), dict(c.answers))
                                        for c in pack.cases]


def _in_process(runs: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from advisor import pipeline
    from advisor.faultdomain import metrics

    q = pipeline.load_questionnaire()
    pack = pipeline.load_pack(None, q, cases=False)
    profiles = _profiles()
    times: dict[str, list[float]] = {name: [] for name, _ in profiles}
    cpu: dict[str, list[float]] = {name: [] for name, _ in profiles}
    last: dict[str, Any] = {}
    for _ in range(runs):
        for name, answers in profiles:
            metrics._facts.cache_clear()
            pipeline.evaluate(answers, pack, q)
            start, start_cpu = time.perf_counter(), time.process_time()
            last[name] = pipeline.tipping_points(answers, pack, q)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    rows = []
    for name, _ in profiles:
        a = last[name]
        rows.append({"profile": name, "ms": statistics.median(times[name]) * 1000,
                     "cpu_ms": statistics.median(cpu[name]) * 1000, "evaluations": a.evaluations,
                     "points": len(a.tipping_points), "complete": a.complete, "recommendation": a.recommendation})
    return rows


def _cli(runs: int) -> float:
    cmd = advisor_command() + ["whatif", "--format", "json"]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (and fresh processes for the CLI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    rows = _in_process(args.runs)
    width = max(len(r["profile"]) for r in rows)
    print(f"tipping points per profile (median of {args.runs}; budget: default)")
    for r in rows:
        note = "" if r["complete"] else "  (budget reached)"
        print(f"  {r['profile']:<{width}}  {r['ms']:7.1f} ms (CPU {r['cpu_ms']:6.1f} ms)  "
              f"{r['evaluations']:4d} evaluations  {r['points']:3d} tipping points  {r['recommendation']}{note}")
    worst = max(r["ms"] for r in rows)
    worst_cpu = max(r["cpu_ms"] for r in rows)
    print(f"  median {statistics.median(r['ms'] for r in rows):.1f} ms, worst {worst:.1f} ms "
          f"(CPU: worst {worst_cpu:.1f} ms), target <= {TARGET_MS:.0f} ms")
    cli = _cli(args.runs)
    print(f"advisor whatif --format json (default profile, fresh process): median {cli:.0f} ms")
    ok = min(worst, worst_cpu) <= TARGET_MS  # CPU time: the machine may be shared
    print("all targets met" if ok else "a target was MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
