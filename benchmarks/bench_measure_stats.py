"""Error rates, power and time to verdict of ``advisor measure``: simulated and real.

``--simulate`` runs the sequential procedure (advisor.measure.stats) on synthetic
log-normal run summaries with a known ratio, as the session looks at them (the
quick design, the family alpha divided among 6 decision comparisons as in the quick
suite), and prints the share of each verdict.

Without ``--simulate`` it runs real sessions of the installed console script, as a
user does, on two ``local`` targets of this host, both pinned to CPU 1 at nice -20:

* A/A: two identical targets: every verdict other than ``equivalent`` or
  ``inconclusive`` is false;
* A/B: the ``vm`` target confined to half a CPU (cgroup quota 0.5): the true cpu and
  memory ratio is 0.5, so for them anything but ``slower`` is false, and the ratio
  error is ``ratio / 0.5 - 1``. (net and jitter have no known ratio under a quota:
  their A/B verdicts are counted as "slower or not", not as errors.)

It reports, per probe: the false-verdict rate, the share of A/A comparisons that
reach ``equivalent``, the share refused as disturbed, the median A/B ratio error and
the time to verdict (median seconds from the probe's first to its last run), plus
the whole session's wall time and the load average before and after. Disturbed
sessions are refused by the session itself (unless ``--allow-disturbed`` is passed
through): they count as "refused", never as verdicts. Needs root (cgroups) and the
tools of the probes.

    .venv/bin/python benchmarks/bench_measure_stats.py --simulate
    .venv/bin/python benchmarks/bench_measure_stats.py --aa 40 --ab 20            # the acceptance run
    .venv/bin/python benchmarks/bench_measure_stats.py --aa 2 --ab 1 --probe cpu   # a quick check
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _advisor import advisor_command  # benchmarks/_advisor.py

TARGETS = {
    "aa": """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local, cpus: [1], nice: -20}
  - {name: twin, role: vm, runner: local, cpus: [1], nice: -20}
""",
    "ab": """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local, cpus: [1], nice: -20}
  - {name: boxed, role: vm, runner: local, cpus: [1], nice: -20, cpu_quota: 0.5}
""",
}
#: The known A/B ratio of the probes whose truth a 0.5 quota fixes.
KNOWN_AB = {"cpu": 0.5, "memory": 0.5}
QUICK = ("cpu", "memory", "net", "jitter")


def simulate(sequences: int) -> None:
    from advisor.measure import stats
    from advisor.measure.session import DESIGNS

    design = DESIGNS["quick"]
    rows = [
        ("A/A, run noise 2 %, band 5 %", 1.0, 0.02, 0.05),
        ("A/A, run noise 5 %, band 5 %", 1.0, 0.05, 0.05),
        ("A/A, run noise 11 %, band 20 % (net)", 1.0, 0.11, 0.20),
        ("A/A, run noise 25 %, band 30 % (jitter)", 1.0, 0.25, 0.30),
        ("band edge 0.95, noise 3 %, band 5 %", 0.95, 0.03, 0.05),
        ("band edge 1.20, noise 11 %, band 20 %", 1.20, 0.11, 0.20),
        ("A/B 0.5, noise 5 %, band 5 %", 0.5, 0.05, 0.05),
        ("A/B 0.9, noise 3 %, band 5 %", 0.9, 0.03, 0.05),
    ]
    print(f"quick design: looks {design.looks}, family alpha {design.alpha}, rho {design.rho}, "
          f"6 decision comparisons; {sequences:,} sequences per row\n")
    print(f"{'scenario':42} {'equivalent':>10} {'slower':>8} {'faster':>8} {'inconcl.':>8} {'blocks':>7}")
    for label, ratio, sd, band in rows:
        start = time.perf_counter()
        sim = stats.simulate(ratio, sd, sequences=sequences, design=design, m=6, band=band, seed=1)
        took = time.perf_counter() - start
        s = sim.shares
        print(f"{label:42} {s['equivalent']:10.4%} {s['slower']:8.4%} {s['faster']:8.4%} "
              f"{s['inconclusive']:8.2%} {sim.mean_blocks:7.1f}   ({took:.1f} s)")
    print(f"\nnominal bounds: P(equivalent | at the edge) <= {design.alpha / 2 / 6:.4%}, "
          f"P(faster or slower | inside the band) <= {design.alpha / 2 / 6:.4%} per direction")


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0] if Path("/proc/loadavg").exists() else "?"


def session(kind: str, probes: list[str], budget: float, extra: list[str], tmp: Path, i: int) -> dict[str, Any]:
    targets = tmp / f"{kind}.yaml"
    targets.write_text(TARGETS[kind])
    out = tmp / f"{kind}-{i}.json"
    cmd = [*advisor_command(), "measure", "--targets", str(targets), "--budget", str(budget), "-o", str(out),
           *[a for p in probes for a in ("--probe", p)], *extra]
    before = _load()
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if not out.exists():
        return {"kind": kind, "error": done.stderr.strip()[-300:], "wall": wall, "load": (before, _load())}
    result = json.loads(out.read_text())
    probes_out = {}
    for pr in result["probes"]:
        main = next((m for m in pr["metrics"] if m["main"]), pr["metrics"][0])
        comp = main.get("comparison") or {}
        runs = [r for r in result["runs"] if r["probe"] == pr["name"]]
        took = (max(r["started"] + r["elapsed"] for r in runs) - min(r["started"] for r in runs)) if runs else 0.0
        probes_out[pr["name"]] = {"verdict": comp.get("verdict"), "ratio": comp.get("ratio"),
                                  "all_blocks_ratio": _all_blocks_ratio(runs, main["name"]),
                                  "refused": pr.get("refused"), "stopped": pr["stopped"], "time": took,
                                  "blocks": pr["rounds"], "disturbed": pr.get("disturbed_blocks", 0)}
    return {"kind": kind, "probes": probes_out, "wall": wall, "load": (before, _load()),
            "exit": done.returncode}


def _all_blocks_ratio(runs: list[dict[str, Any]], metric: str) -> float | None:
    """The ratio over every block, the disturbed ones included: what a session without disturbance
    detection would have reported."""
    by_block: dict[int, dict[str, float]] = defaultdict(dict)
    for r in runs:
        if not r.get("warmup") and r.get("block") and metric in r.get("values", {}):
            by_block[r["block"]][r["role"]] = r["values"][metric]
    diffs = [math.log(b["vm"] / b["bare-metal"]) for b in by_block.values() if len(b) == 2]
    return math.exp(statistics.fmean(diffs)) if diffs else None


def report(sessions: list[dict[str, Any]], probes: list[str]) -> None:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in sessions:
        for name, p in s.get("probes", {}).items():
            by[(s["kind"], name)].append(p)
    print(f"{'probe':8} {'kind':4} {'n':>3} {'refused':>8} {'verdicts':>8} {'false':>7} {'equiv.':>7} "
          f"{'ratio err':>9} {'t verdict':>9}")
    for name in probes:
        for kind in ("aa", "ab"):
            rows = by.get((kind, name), [])
            if not rows:
                continue
            refused = [r for r in rows if r["refused"]]
            judged = [r for r in rows if not r["refused"]]
            decided = [r for r in judged if r["verdict"] not in (None, "inconclusive")]
            if kind == "aa":
                false = [r for r in decided if r["verdict"] in ("faster", "slower")]
                equiv = [r for r in judged if r["verdict"] == "equivalent"]
                equiv_txt = f"{len(equiv) / len(judged):7.0%}" if judged else "      -"
                err_txt = "        -"
            else:
                false = [r for r in decided if name in KNOWN_AB and r["verdict"] != "slower"]
                equiv_txt = "      -"
                errors = [r["ratio"] / KNOWN_AB[name] - 1 for r in judged if name in KNOWN_AB and r["ratio"]]
                err_txt = f"{statistics.median(errors):+9.1%}" if errors else "        -"
            false_txt = f"{len(false) / len(decided):7.1%}" if decided else "      -"
            times = [r["time"] for r in decided]
            time_txt = f"{statistics.median(times):8.0f}s" if times else "        -"
            print(f"{name:8} {kind:4} {len(rows):3} {len(refused):8} {len(decided):8} {false_txt} {equiv_txt} "
                  f"{err_txt} {time_txt}")
    for name in KNOWN_AB:
        refused = [r["all_blocks_ratio"] for r in by.get(("ab", name), []) if r["refused"] and r["all_blocks_ratio"]]
        if refused:
            print(f"{name} A/B sessions refused as disturbed: their ratio over all blocks would have been "
                  f"{min(refused):.3f}-{max(refused):.3f} (truth {KNOWN_AB[name]})")
    walls = [s["wall"] for s in sessions]
    loads = [float(x) for s in sessions for x in s["load"] if x != "?"]
    errors = [s for s in sessions if "error" in s]
    print(f"\nsessions {len(sessions)} ({len(errors)} failed); wall median {statistics.median(walls):.0f} s, "
          f"max {max(walls):.0f} s; load average 1 min during the run: {min(loads):.1f}-{max(loads):.1f}, "
          f"{os.cpu_count()} CPUs")
    for s in errors[:3]:
        print(f"  failed: {s['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--simulate", action="store_true", help="simulated error rates of the sequential design")
    parser.add_argument("--sequences", type=int, default=100_000, help="simulated sequences per scenario")
    parser.add_argument("--aa", type=int, default=40, help="A/A sessions (identical targets)")
    parser.add_argument("--ab", type=int, default=20, help="A/B sessions (0.5 CPU quota)")
    parser.add_argument("--probe", action="append", default=[], help="probes (default: the quick suite)")
    parser.add_argument("--budget", type=float, default=60.0, help="budget per session, seconds")
    parser.add_argument("--json", type=Path, default=None, help="also write every session's figures here")
    args, extra = parser.parse_known_args()
    if args.simulate:
        simulate(args.sequences)
        return
    probes = args.probe or list(QUICK)
    # interleave A/A and A/B sessions evenly, so a change of the machine's load hits both
    slots = [(i / args.aa, "aa") for i in range(args.aa)] + [((j + 0.5) / args.ab, "ab") for j in range(args.ab)]
    order = [kind for _, kind in sorted(slots)]
    sessions = []
    with tempfile.TemporaryDirectory(prefix="bench-measure-stats-") as tmp:
        for i, kind in enumerate(order):
            s = session(kind, probes, args.budget, extra, Path(tmp), i)
            sessions.append(s)
            short = {n: (p["verdict"], p["refused"] is not None) for n, p in s.get("probes", {}).items()}
            print(f"[{i + 1}/{len(order)}] {kind} {s['wall']:.0f} s load {s['load'][0]}->{s['load'][1]} {short}",
                  flush=True)
    print()
    report(sessions, probes)
    if args.json is not None:
        args.json.write_text(json.dumps(sessions, indent=1))


if __name__ == "__main__":
    main()
