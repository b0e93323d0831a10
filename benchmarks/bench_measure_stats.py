"""Error rates, power and time to verdict of ``advisor measure``: simulated and real.

``--simulate`` runs the sequential procedure (advisor.measure.stats) on synthetic
log-normal run summaries with a known ratio, as the session looks at them (the
quick design, the family alpha divided among the quick suite's decision comparisons:
5, cpu, memory and jitter 1 each, net 2), and prints the share of each verdict.

Without ``--simulate`` it runs real sessions of the installed console script, as a
user does, on two ``local`` targets of this host, both pinned to CPU 1 at nice -20:

* A/A: two identical targets: every verdict other than ``equivalent`` or
  ``inconclusive`` is false;
* A/B: the ``vm`` target confined to half a CPU (cgroup quota 0.5): the true cpu and
  memory ratio is 0.5, so for them anything but ``slower`` is false, and the ratio
  error is ``ratio / 0.5 - 1``. (net and jitter have no known ratio under a quota:
  their A/B verdicts are counted as "slower or not", not as errors.)

  The net probe's known answer under the quota is ``slower`` (its round trips are timed
  from the intended send, so the frozen half of each period shows): anything else
  decided is false. jitter has no known answer under a quota: its A/B verdicts are
  counted as "slower or not", not as errors.

It reports, per probe: the false-verdict rate, the share of A/A comparisons that
reach ``equivalent``, the share refused as disturbed, the median A/B ratio error and
the time to verdict (median seconds from the probe's first to its last run), plus
the whole session's wall time and the load average before and after. Disturbed
sessions are refused by the session itself (unless ``--allow-disturbed`` is passed
through): they count as "refused", never as verdicts. Needs root (cgroups) and the
tools of the probes.

``--quick`` is the unattended acceptance run that fits 25 minutes on 2 CPUs: 40 A/A and
20 A/B sessions of ONE probe each, rotating over the quick suite (``ROTATION``: 10 A/A and
5 A/B per probe), each with its share of a 60-s quick suite (``QUICK_BUDGETS``), and 3
whole quick suites (A/A, budget 60 s) among them; a session that could not finish inside
``--minutes`` is not started (the report says how many were not). The report adds the
quick suite's time to verdict: the probes' median times to verdict summed, and the whole
suites' elapsed times. ``--write-docs`` writes the report into docs/performance.md. The
full quick suite in every session (without ``--quick``) takes about a minute a session.

    .venv/bin/python benchmarks/bench_measure_stats.py --simulate
    .venv/bin/python benchmarks/bench_measure_stats.py --quick --write-docs       # the acceptance run, <= 25 min
    .venv/bin/python benchmarks/bench_measure_stats.py --aa 40 --ab 20            # every probe every session
    .venv/bin/python benchmarks/bench_measure_stats.py --aa 2 --ab 1 --probe cpu   # a quick check
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
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
#: Probes whose known A/B verdict under the quota is `slower`, without a known ratio.
KNOWN_SLOWER = {"net"}
QUICK = ("cpu", "memory", "net", "jitter")
#: --quick: the probe of each session in turn (each probe in a quarter of the sessions: 10 A/A + 5 A/B) ...
ROTATION = ("cpu", "memory", "net", "jitter")
#: ... and its session budget (s): its share of a 60-s quick suite (the session gives each probe an equal
#: share of what is left, in the order cpu, jitter, memory, net) when the probes before it decide at their
#: typical times on a 2-vCPU guest: cpu 15 s of 60 (decides in about 12), jitter 16 of 48 (about 10),
#: memory 19 of 38 (about 17), net the 21-22 s left (5 blocks of 4 s: its runs overlap by sockperf's 2-s sleep).
QUICK_BUDGETS = {"cpu": 15.0, "jitter": 16.0, "memory": 19.0, "net": 22.0}
#: --quick also runs this many whole quick suites (A/A, budget 60 s): the time to verdict of the suite itself.
QUICK_SUITES = 3
#: Seconds a session costs on top of its budget (interpreter start, placement, the result file).
OVERHEAD_S = 1.0


def simulate(sequences: int) -> None:
    from advisor.cli.measure import QUICK_PROBES
    from advisor.measure import stats
    from advisor.measure.api import decision_metrics
    from advisor.measure.probes import builtin_probes
    from advisor.measure.session import DESIGNS

    design = DESIGNS["quick"]
    m = sum(len(decision_metrics(p)) for p in builtin_probes() if p.name in QUICK_PROBES)
    rows = [
        ("A/A, run noise 2 %, band 5 %", 1.0, 0.02, 0.05),
        ("A/A, run noise 5 %, band 5 %", 1.0, 0.05, 0.05),
        ("A/A, run noise 11 %, band 20 % (net)", 1.0, 0.11, 0.20),
        ("A/A, run noise 25 %, band 30 % (jitter p99)", 1.0, 0.25, 0.30),
        ("A/A, run noise 10 %, band 30 % (jitter p90)", 1.0, 0.10, 0.30),
        ("band edge 0.95, noise 3 %, band 5 %", 0.95, 0.03, 0.05),
        ("band edge 1.20, noise 11 %, band 20 %", 1.20, 0.11, 0.20),
        ("A/B 0.5, noise 5 %, band 5 %", 0.5, 0.05, 0.05),
        ("A/B 0.9, noise 3 %, band 5 %", 0.9, 0.03, 0.05),
    ]
    print(f"quick design: looks {design.looks}, family alpha {design.alpha}, rho {design.rho}, "
          f"{m} decision comparisons; {sequences:,} sequences per row\n")
    print(f"{'scenario':42} {'equivalent':>10} {'slower':>8} {'faster':>8} {'inconcl.':>8} {'blocks':>7}")
    for label, ratio, sd, band in rows:
        start = time.perf_counter()
        sim = stats.simulate(ratio, sd, sequences=sequences, design=design, m=m, band=band, seed=1)
        took = time.perf_counter() - start
        s = sim.shares
        print(f"{label:42} {s['equivalent']:10.4%} {s['slower']:8.4%} {s['faster']:8.4%} "
              f"{s['inconclusive']:8.2%} {sim.mean_blocks:7.1f}   ({took:.1f} s)")
    print(f"\nnominal bounds: P(equivalent | at the edge) <= {design.alpha / 2 / m:.4%}, "
          f"P(faster or slower | inside the band) <= {design.alpha / 2 / m:.4%} per direction")


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
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=budget + 120)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "error": f"did not end within its budget + 120 s ({budget:g} s)",
                "wall": time.perf_counter() - start, "load": (before, _load())}
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
    return {"kind": kind, "probes": probes_out, "wall": wall, "elapsed": result["elapsed_s"], "load": (before, _load()),
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


def _figures(sessions: list[dict[str, Any]], probes: list[str]) -> dict[str, Any]:
    """Every acceptance figure of the sessions: per probe and kind, pooled, the whole suites, the load."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in sessions:
        if s.get("suite"):
            continue
        for name, p in s.get("probes", {}).items():
            by[(s["kind"], name)].append(p)
    rows = []
    for name in probes:
        for kind in ("aa", "ab"):
            got = by.get((kind, name), [])
            if not got:
                continue
            refused = [r for r in got if r["refused"]]
            judged = [r for r in got if not r["refused"]]
            decided = [r for r in judged if r["verdict"] not in (None, "inconclusive")]
            if kind == "aa":
                false = [r for r in decided if r["verdict"] in ("faster", "slower")]
                equiv: float | None = (sum(r["verdict"] == "equivalent" for r in judged) / len(judged)
                                       if judged else None)
                error = None
            else:
                false = [r for r in decided if (name in KNOWN_AB or name in KNOWN_SLOWER) and r["verdict"] != "slower"]
                equiv = None
                errors = [r["ratio"] / KNOWN_AB[name] - 1 for r in judged if name in KNOWN_AB and r["ratio"]]
                error = statistics.median(errors) if errors else None
            times = [r["time"] for r in decided]
            rows.append({"probe": name, "kind": kind, "sessions": len(got), "refused": len(refused),
                         "decided": len(decided), "verdicts": dict(sorted(_count(r["verdict"] for r in decided))),
                         "false": len(false), "equivalent": equiv, "ratio_error": error,
                         "time": statistics.median(times) if times else None})
    medians = {}
    for name in probes:
        times = [p["time"] for s in sessions if not s.get("suite") for n, p in s.get("probes", {}).items()
                 if n == name and not p["refused"] and p["verdict"] not in (None, "inconclusive")]
        if times:
            medians[name] = statistics.median(times)
    pooled = [(s["kind"], name, p["verdict"]) for s in sessions for name, p in s.get("probes", {}).items()
              if not p["refused"] and p["verdict"] not in (None, "inconclusive")]
    wrong = [v for kind, name, v in pooled
             if (kind == "aa" and v in ("faster", "slower"))
             or (kind == "ab" and (name in KNOWN_AB or name in KNOWN_SLOWER) and v != "slower")]
    suites = [s for s in sessions if s.get("suite") and "probes" in s]
    loads = [float(x) for s in sessions for x in s["load"] if x != "?"]
    return {"rows": rows, "medians": medians, "decided": len(pooled), "wrong": len(wrong),
            "suites": [{"elapsed": s["elapsed"], "verdicts": {n: p["verdict"] for n, p in s["probes"].items()},
                        "refused": sorted(n for n, p in s["probes"].items() if p["refused"])} for s in suites],
            "sessions": {k: sum(1 for s in sessions if s["kind"] == k and not s.get("suite")) for k in ("aa", "ab")},
            "failed": [s["error"] for s in sessions if "error" in s],
            "load": (min(loads), max(loads)) if loads else None, "cpus": os.cpu_count()}


def _count(items: Any) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[str(item)] += 1
    return list(counts.items())


def _pct(x: float | None, signed: bool = False) -> str:
    return "" if x is None else (f"{x:+.1%}" if signed else f"{x:.0%}")


def report(fig: dict[str, Any]) -> str:
    """The figures as Markdown: the table per probe and kind, then the pooled and whole-suite figures."""
    targets = {"cpu": "80 %", "memory": "80 %", "net": "50 %", "jitter": "50 %"}
    lines = ["| probe | kind | sessions | refused (disturbed) | decided | verdicts | false | A/A equivalent "
             "(target) | A/B ratio error (median) | time to verdict (median) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in fig["rows"]:
        kind = "A/A" if r["kind"] == "aa" else "A/B (0.5 quota, an imitation)"
        verdicts = ", ".join(f"{k} {v}" for k, v in r["verdicts"].items())
        equiv = f"**{_pct(r['equivalent'])}** ({targets.get(r['probe'], '-')})" if r["equivalent"] is not None else ""
        time_txt = f"{r['time']:.0f} s" if r["time"] is not None else ""
        lines.append(f"| {r['probe']} | {kind} | {r['sessions']} | {r['refused']} | {r['decided']} | {verdicts} | "
                     f"{r['false']} | {equiv} | {_pct(r['ratio_error'], signed=True)} | {time_txt} |")
    lines.append("")
    if fig["decided"]:
        lines.append(f"- False verdicts over every probe: **{fig['wrong']} of {fig['decided']}** decided comparisons "
                     f"({fig['wrong'] / fig['decided']:.1%}; target at most 5 %).")
    if fig["medians"]:
        total = sum(fig["medians"].values())
        parts = ", ".join(f"{n} {v:.0f} s" for n, v in fig["medians"].items())
        missing = [p for p in dict.fromkeys(r["probe"] for r in fig["rows"]) if p not in fig["medians"]]
        none = f"; no verdict at all: {', '.join(missing)}" if missing else ""
        lines.append(f"- Quick suite's time to verdict, the probes' median times summed: **{total:.0f} s** ({parts}; "
                     f"target 60 s{none}).")
    for s in fig["suites"]:
        verdicts = ", ".join(f"{n} {v}" for n, v in s["verdicts"].items())
        refused = f"; refused as disturbed: {', '.join(s['refused'])}" if s["refused"] else ""
        lines.append(f"- Whole quick suite, A/A, budget 60 s: {s['elapsed']:.0f} s ({verdicts}{refused}).")
    n = fig["sessions"]
    load = f"{fig['load'][0]:.1f} to {fig['load'][1]:.1f}" if fig["load"] else "unknown"
    lines.append(f"- Sessions: {n['aa']} A/A and {n['ab']} A/B one-probe sessions, {len(fig['suites'])} whole "
                 f"suites; {len(fig['failed'])} failed; load average (1 min) {load} on {fig['cpus']} CPUs.")
    for error in fig["failed"][:3]:
        lines.append(f"  - failed: {error}")
    return "\n".join(lines)


BEGIN, END = "<!-- bench_measure_stats: begin -->", "<!-- bench_measure_stats: end -->"


def write_docs(path: Path, text: str, command: str, took: float) -> None:
    """Replace the generated block of ``path`` (between BEGIN and END) with the figures, atomically."""
    doc = path.read_text()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} block to replace")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = (f"{BEGIN}\nGenerated by `{command}` on {stamp}, {took:.1f} min "
             "(local targets: a cgroup quota is an imitation of a VM, so this measures the statistics and the "
             f"probes, not a hypervisor):\n\n{text}\n{END}")
    head, rest = doc.split(BEGIN, 1)
    new = head + block + rest.split(END, 1)[1]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new)
    tmp.replace(path)


def plan(args: argparse.Namespace) -> list[tuple[str, list[str], float]]:
    """The sessions to run: (kind, probes, budget), A/A and A/B interleaved evenly, so a change of the
    machine's load hits both; with --quick the whole suites are spread among them ("suite")."""
    slots = [(i / args.aa, "aa") for i in range(args.aa)] + [((j + 0.5) / args.ab, "ab") for j in range(args.ab)]
    if args.quick:
        slots += [((k + 0.25) / args.suites, "suite") for k in range(args.suites)]
    order = [kind for _, kind in sorted(slots)]
    if not args.quick:
        probes = args.probe or list(QUICK)
        return [(kind, probes, args.budget) for kind in order]
    seen = {"aa": 0, "ab": 0}
    out = []
    for kind in order:
        if kind == "suite":
            out.append((kind, [], 60.0))  # no --probe: the quick suite in its own order
            continue
        probe = ROTATION[seen[kind] % len(ROTATION)]
        seen[kind] += 1
        out.append((kind, [probe], QUICK_BUDGETS[probe]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--simulate", action="store_true", help="simulated error rates of the sequential design")
    parser.add_argument("--sequences", type=int, default=100_000, help="simulated sequences per scenario")
    parser.add_argument("--quick", action="store_true",
                        help="the unattended acceptance run: 40 A/A + 20 A/B one-probe sessions and 3 whole quick "
                             "suites within --minutes")
    parser.add_argument("--minutes", type=float, default=None,
                        help="start no session that could not finish within this many minutes [--quick: 25]")
    parser.add_argument("--aa", type=int, default=40, help="A/A sessions (identical targets)")
    parser.add_argument("--ab", type=int, default=20, help="A/B sessions (0.5 CPU quota)")
    parser.add_argument("--suites", type=int, default=QUICK_SUITES, help="--quick: whole quick suites (A/A, 60 s)")
    parser.add_argument("--probe", action="append", default=[], help="probes (default: the quick suite)")
    parser.add_argument("--budget", type=float, default=60.0, help="budget per session, seconds (not --quick)")
    parser.add_argument("--json", type=Path, default=None, help="also write every session's figures here")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the figures into docs/performance.md (its generated measurement block)")
    args, extra = parser.parse_known_args()
    if args.simulate:
        simulate(args.sequences)
        return
    minutes = args.minutes if args.minutes is not None else (25.0 if args.quick else math.inf)
    sessions_plan = plan(args)
    expected = sum(budget + OVERHEAD_S for _, _, budget in sessions_plan) / 60
    print(f"{len(sessions_plan)} sessions planned, at most {expected:.0f} min; time box {minutes:g} min; "
          f"load average now {_load()}", flush=True)
    sessions: list[dict[str, Any]] = []
    skipped = 0
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-measure-stats-") as tmp:
        for i, (kind, probes, budget) in enumerate(sessions_plan):
            if time.monotonic() - began + budget + OVERHEAD_S > minutes * 60:
                skipped += 1
                continue
            s = session("aa" if kind == "suite" else kind, probes, budget, extra, Path(tmp), i)
            s["suite"] = kind == "suite"
            sessions.append(s)
            short = {n: (p["verdict"], p["refused"] is not None) for n, p in s.get("probes", {}).items()}
            print(f"[{i + 1}/{len(sessions_plan)}] {kind} {'+'.join(probes) or 'quick suite'} {s['wall']:.0f} s "
                  f"load {s['load'][0]}->{s['load'][1]} {short}", flush=True)
    print()
    took = (time.monotonic() - began) / 60
    if not sessions:
        print("no session ran (the time box was too short for the first one)")
        return
    probes_seen = list(dict.fromkeys([*(p for _, ps, _ in sessions_plan for p in ps),
                                      *(n for s in sessions for n in s.get("probes", {}))]))
    fig = _figures(sessions, probes_seen)
    text = report(fig)
    print(text)
    print(f"benchmark took {took:.1f} min" + (f"; {skipped} session(s) not started: the {minutes:g}-minute "
                                              "time box was reached" if skipped else ""))
    if args.write_docs:
        command = "benchmarks/bench_measure_stats.py " + " ".join(sys.argv[1:])
        write_docs(Path(__file__).resolve().parent.parent / "docs" / "performance.md", text, command, took)
        print("wrote the figures into docs/performance.md")
    if args.json is not None:
        args.json.write_text(json.dumps(sessions, indent=1))


if __name__ == "__main__":
    main()
