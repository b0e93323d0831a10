"""`advisor portfolio --summary-only` of generated profiles (target: 10,000 in <= 60 s on 2 cores, with progress).

Method: generate N workload profiles with a fixed seed (each answer is its default
half of the time, otherwise a random valid value: numbers log-uniform between the
question's minimum and ten times its default, choices uniform; every 25th workload
copies the one before and flips one yes/no answer, so the consistency check has
something to find), write them as one inventory (CSV by default; ``--format yaml``
for inline YAML answers, capped at 4 MiB), and run the installed console script in a
fresh process, as a user does::

    advisor portfolio inventory.csv --summary-only --date 2026-11-28 --output-dir DIR --jobs 2

Each run reports the wall-clock time of the whole command (imports, loading and
validating the inventory, the rule pack once, N evaluations with their fault-domain
graphs, the consistency check, the summary files); then an in-process breakdown of one
run shows where the time goes. ``--records`` also times the per-record mode (tipping
points and one decision record per workload). ``--jobs`` is passed to the command
(default 2: the target is for 2 cores); the progress lines it prints on stderr (not
a terminal: one every 5 s) are counted.

``--hostile`` times the two inventories of issue 18 that used to blow up (targets:
each <= 10 s and <= 500 MB peak resident memory, measured with ``/usr/bin/time``-like
``getrusage`` of the child): 2,000 near-identical workloads in two camps (every other
one has ``bare_metal_mandated``, latencies differ a little), and a 100,000-row CSV of
near-identical workloads (name, latency, hosts).

A baseline runs in the same run, before and after: one ``advisor assess
--no-record`` of the payments example; the ratio (portfolio / one assess) is the
figure to compare between machines and loads. The command's progress lines are shown
as they come, with the time since the start. ``--quick``: 1,000 workloads, one run.

    .venv/bin/python benchmarks/bench_portfolio.py [--count 10000] [--runs 3] [--jobs 2] [--quick] [--hostile] [--check]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _advisor import advisor_command  # benchmarks/_advisor.py

TARGET_S = 60.0


def _value(q: Any, rng: random.Random) -> Any:
    if q.type == "bool":
        return rng.random() < 0.5
    if q.type == "choice":
        return rng.choice(q.choice_values)
    if q.type == "multi-choice":
        plain = [c.value for c in q.choices if not c.exclusive]
        return sorted(rng.sample(plain, rng.randint(1, 2)))
    low = max(q.min or 0.0, 1.0)
    high = min(q.max if q.max is not None else 1e6, max(10.0 * float(q.default or 1), low + 1))
    x = math.exp(rng.uniform(math.log(low), math.log(high)))
    return int(round(x)) if q.type == "int" else round(x, 2)


def generate(count: int, seed: int = 20261128) -> list[dict[str, Any]]:
    """``count`` answer sets: valid for the bundled questionnaire, reproducible for a seed."""
    from advisor import pipeline

    q = pipeline.load_questionnaire()
    rng = random.Random(seed)
    flips = [x.key for x in q.questions if x.type == "bool"]
    out: list[dict[str, Any]] = []
    for i in range(count):
        if i % 25 == 24 and out:
            answers = dict(out[-1])
            key = rng.choice(flips)
            answers[key] = not answers.get(key, q.by_key[key].default)
        else:
            answers = {}
            for question in q.questions:
                if question.type != "str" and rng.random() < 0.5:
                    value = _value(question, rng)
                    answers[question.key] = question.parse(value, from_text=False)
        answers["workload_name"] = f"workload-{i + 1:04d}"
        out.append(answers)
    return out


def write_inventory(path: Path, answers: list[dict[str, Any]]) -> None:
    """A YAML inventory (inline answers) or, for a ``.csv`` path, a CSV one (empty cell: no answer)."""
    import csv
    import io
    import json

    if path.suffix != ".csv":
        lines = ["advisor_portfolio: 1", "workloads:"]
        lines += [f"  - answers: {json.dumps(a, sort_keys=True)}" for a in answers]  # JSON is YAML flow syntax
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    keys = sorted({k for a in answers for k in a}, key=lambda k: (k != "workload_name", k))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, list):
            return ";".join(v)
        return str(v)

    for a in answers:
        writer.writerow([cell(a.get(k)) for k in keys])
    path.write_text(out.getvalue(), encoding="utf-8")


def _run(inventory: Path, out: Path, summary_only: bool, jobs: int = 2, quiet: bool = True,
         show: bool = False) -> tuple[float, int]:
    """Wall-clock seconds and the progress lines the command printed on stderr (shown as they come with ``show``)."""
    cmd = [*advisor_command(), "portfolio", str(inventory), "--date", "2026-11-28", "--output-dir",
           str(out), "--records-dir", str(out / "records"), "--force", "--jobs", str(jobs)]
    if quiet:
        cmd.append("--quiet")
    if summary_only:
        cmd.append("--summary-only")
    start = time.perf_counter()
    cpu = _children_cpu()
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if show:
                print(f"  [{time.perf_counter() - start:6.1f} s] {lines[-1]}", flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"advisor portfolio exited {proc.returncode}: {(lines or ['no error output'])[-1]}")
    progress = sum(1 for line in lines if line.startswith("assessed "))
    print(f"  (CPU time of the command and its worker processes: {_children_cpu() - cpu:.1f} s)")
    return time.perf_counter() - start, progress


def _assess_baseline(base: Path, rounds: int = 3) -> float:
    """Median seconds of one ``advisor assess --no-record`` of the payments example (after a warm-up run)."""
    profile = Path(__file__).resolve().parent.parent / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"
    cmd = [*advisor_command(), "assess", "--profile", str(profile), "--defaults", "--no-record", "--format", "json"]
    times = []
    for i in range(rounds + 1):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              check=False)
        if done.returncode != 0:
            raise SystemExit(f"advisor assess exited {done.returncode}: {done.stderr.strip()[-300:]}")
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _peak_run(inventory: Path, out: Path, jobs: int) -> tuple[float, float]:
    """Seconds and the peak RSS (MiB) of the largest process of one ``--summary-only`` run."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)")
    cmd = [*advisor_command(), "portfolio", str(inventory), "--quiet", "--date", "2026-11-28", "--output-dir",
           str(out), "--force", "--summary-only", "--jobs", str(jobs)]
    seconds, kib, cpu = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True,
                                       text=True).stdout.split()
    print(f"  (CPU time of the command and its worker processes: {float(cpu):.1f} s)")
    return float(seconds), int(kib) / 1024


def _hostile(base: Path, jobs: int) -> bool:
    """The 2,000 near-identical workloads and the 100,000-row CSV of issue 18 (<= 10 s, <= 500 MB each)."""
    near = base / "near.yaml"
    lines = ["advisor_portfolio: 1", "workloads:"]
    lines += [f"  - answers: {{workload_name: w{i}, bare_metal_mandated: {str(i % 2 == 0).lower()}, "
              f"latency_p99_ms: {100 + i % 7}}}" for i in range(2000)]
    near.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = base / "rows.csv"
    body = "".join(f"w{i},{5 + i % 3},{20 + i % 2}\n" for i in range(100_000))
    rows.write_text("workload_name,latency_p99_ms,physical_hosts\n" + body, encoding="utf-8")
    ok = True
    for name, path in (("2,000 near-identical workloads (YAML)", near), ("100,000-row CSV", rows)):
        seconds, mib = _peak_run(path, base / f"out-{path.stem}", jobs)
        met = seconds <= 10 and mib <= 500
        ok &= met
        size = path.stat().st_size / 1e6
        print(f"{name}, {size:.1f} MB: {seconds:.1f} s, peak {mib:.0f} MiB "
              f"(target <= 10 s and <= 500 MB: {'met' if met else 'MISSED'})")
    return ok


def _breakdown(inventory: Path) -> None:
    """Where the time of one run goes, in process (internals: skipped when they changed under it)."""
    try:
        _phases(inventory)
    except (AttributeError, TypeError, ImportError) as exc:
        print(f"in-process breakdown skipped: the portfolio internals changed ({type(exc).__name__}: {exc})")


def _phases(inventory: Path) -> None:
    from advisor import pipeline
    from advisor import portfolio as core

    marks = [("start", time.perf_counter())]
    q = pipeline.load_questionnaire()
    inv = core.load_inventory(inventory, q)
    marks.append(("load and validate the inventory", time.perf_counter()))
    pack = pipeline.load_decision_pack(questionnaire=q)
    marks.append(("load the format-2 rule pack (once)", time.perf_counter()))
    entries = core.assess_all(inv, pack, q, jobs=2)
    marks.append((f"decide {len(entries)} workloads (2 processes)", time.perf_counter()))
    flags = core.consistency(entries, q)
    marks.append((f"consistency check ({len(flags)} flags)", time.perf_counter()))
    summary = core.summarize(inv, entries, flags, date="2026-11-28", threshold=core.DEFAULT_SIMILARITY,
                             questionnaire=q, pack=pack)
    core.to_markdown(summary)
    core.to_json(summary)
    marks.append(("render the summary", time.perf_counter()))
    print("in-process breakdown (one run):")
    for (_, before), (name, after) in zip(marks, marks[1:], strict=False):
        print(f"  {name:<40} {(after - before) * 1000:8.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="processes (--jobs of the command)")
    parser.add_argument("--format", choices=["csv", "yaml"], default="csv",
                        help="inventory format (YAML inventories are capped at 4 MiB: about 7,000 workloads)")
    parser.add_argument("--records", action="store_true", help="also time the per-record mode (one run)")
    parser.add_argument("--hostile", action="store_true", help="also time the two inventories of issue 18")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the median exceeds {TARGET_S:.0f} s")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 workloads, one run: a quick look (the target is for 10,000)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process breakdown")
    args = parser.parse_args()
    if args.quick:
        args.count, args.runs = 1000, 1
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    if args.count == 0:  # --count 0 --hostile: the hostile inventories alone (benchmarks/bench_hostile.py --portfolio)
        with tempfile.TemporaryDirectory() as tmp:
            ok = _hostile(Path(tmp), args.jobs) if args.hostile else True
        return 1 if args.check and not ok else 0
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        inventory = base / f"inventory.{args.format}"
        write_inventory(inventory, generate(args.count))
        print(f"inventory: {args.count} workloads, {inventory.stat().st_size / 1e6:.1f} MB of {args.format.upper()}")
        before = _assess_baseline(base)
        print(f"baseline: one advisor assess --no-record of the payments example: {before:.2f} s (median of 3)")
        runs = []
        for i in range(args.runs):
            print(f"run {i + 1}/{args.runs}: advisor portfolio --summary-only --jobs {args.jobs} (its progress lines "
                  "as they come)", flush=True)
            runs.append(_run(inventory, base / "out", True, args.jobs, quiet=False, show=True))
            print(f"  wall {runs[-1][0]:.1f} s", flush=True)
        after = _assess_baseline(base)
        baseline = statistics.median([before, after])
        times = [t for t, _ in runs]
        median = statistics.median(times)
        print(f"advisor portfolio --summary-only --jobs {args.jobs}, {args.count} workloads: median {median:.1f} s, "
              f"min {min(times):.1f} s, max {max(times):.1f} s ({args.runs} runs, {args.count / median:.0f}/s; "
              f"{runs[0][1]} progress lines)")
        print(f"ratio: the portfolio costs x{median / baseline:.0f} one assess ({baseline:.2f} s, measured before and "
              f"after in this run)")
        if args.count == 10000:
            print(f"target {TARGET_S:.0f} s for 10,000 on 2 cores: {'met' if median <= TARGET_S else 'MISSED'}")
            ok &= median <= TARGET_S
        else:
            print(f"(10,000 workloads, projected linearly: {median * 10000 / args.count:.0f} s; the target of "
                  f"{TARGET_S:.0f} s is checked only with --count 10000)")
        if args.records:
            t, _ = _run(inventory, base / "rec", False, args.jobs)
            print(f"advisor portfolio with records, {args.count} workloads: {t:.1f} s ({args.count / t:.0f}/s)")
        if args.hostile:
            ok &= _hostile(base, args.jobs)
        if not args.no_breakdown:
            _breakdown(inventory)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if args.check and not ok:
        print("FAIL: a target was missed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
