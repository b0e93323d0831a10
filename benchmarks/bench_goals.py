"""The performance goals of the assessment, each as a ratio against a baseline measured side by side.

Every goal compares two commands run in fresh processes, in interleaved rounds (A B,
then B A, ...) so that the load of a shared machine hits both alike; the figure is the
ratio of the median wall-clock times. The ratio of the median CPU times (user + system
of each command and its children) is printed beside it: on a loaded machine it is the
steadier figure; on a quiet one both agree. The cache folder is a temporary one, warmed by
one run of each command first (a user runs the tool more than once).

* ``assess``: ``advisor assess --profile P --defaults --no-record --format json`` vs
  ``python -c "import click, pydantic, ruamel.yaml, networkx, tabulate, questionary"``
  (target <= 1.0); with a decision record and its tipping points (target <= 1.3).
* ``fleet``: the same assess of a 10,000-host profile vs the 20-host one (target <= 1.2).
* ``help``: ``advisor --help`` vs a minimal two-command click CLI (target <= 1.1).
* ``coldpack``: in a fresh process (imports not timed), a load without the cache of
  the questionnaire, the default format-2 pack and a generated 60-rule organisation
  pack (target <= 300 ms), beside the same load through the round-trip YAML parser
  (bench_coldpack.py).

The goals are measured on the command line, so they measure whichever decision engine
the installed ``advisor`` has. A goal whose command fails is reported as FAILED with
the command's last line of error, and the other goals still run.

The fault-domain model and the portfolio have their own scripts (bench_faultdomain.py,
bench_portfolio.py). Figures and method: docs/performance.md.

    .venv/bin/python benchmarks/bench_goals.py [--rounds 15] [--quick] [--goals assess fleet help coldpack] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import bench_coldpack  # benchmarks/bench_coldpack.py
from _advisor import advisor_command  # benchmarks/_advisor.py

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"
IMPORTS = "import click, pydantic, ruamel.yaml, networkx, tabulate, questionary"
MINIMAL_CLI = '''
import click

@click.group()
def cli():
    """A minimal CLI."""

@cli.command()
def one():
    """First command."""

@cli.command()
def two():
    """Second command."""

cli()
'''


class CommandFailed(Exception):
    """A benchmarked command exited with an error (the engine under it changed, say)."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, of the command and its children) of one run."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(list(cmd), cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        raise CommandFailed(f"{' '.join(Path(c).name if '/' in c else c for c in cmd)} exited "
                            f"{done.returncode}: {last}")
    return seconds, cpu


def _pair(name: str, subject: Sequence[str], baseline: Sequence[str], target: float, rounds: int, cwd: Path,
          env: dict[str, str], fresh: Path | None = None) -> dict[str, object]:
    """Interleaved rounds of subject and baseline; the ratio of the medians against ``target``."""
    try:
        return _measure_pair(name, subject, baseline, target, rounds, cwd, env, fresh)
    except CommandFailed as exc:
        print(f"{name}: FAILED: {exc}")
        return {"goal": name, "failed": str(exc), "target": target, "met": False}


def _measure_pair(name: str, subject: Sequence[str], baseline: Sequence[str], target: float, rounds: int, cwd: Path,
                  env: dict[str, str], fresh: Path | None) -> dict[str, object]:
    for _ in range(2):  # warm the OS file cache and the compiled-input cache
        _time(subject, cwd, env)
        _time(baseline, cwd, env)
    times: dict[str, list[tuple[float, float]]] = {"subject": [], "baseline": []}
    for i in range(rounds):
        order = ("subject", "baseline") if i % 2 == 0 else ("baseline", "subject")
        for which in order:
            if fresh is not None:  # a command that writes files gets an empty folder each run
                shutil.rmtree(fresh, ignore_errors=True)
            times[which].append(_time(subject if which == "subject" else baseline, cwd, env))
    s, b = (statistics.median(t for t, _ in times[w]) for w in ("subject", "baseline"))
    s_cpu, b_cpu = (statistics.median(c for _, c in times[w]) for w in ("subject", "baseline"))
    ratio, cpu_ratio = s / b, s_cpu / b_cpu
    print(f"{name}: {s * 1000:.0f} ms vs {b * 1000:.0f} ms baseline -> x{ratio:.2f} "
          f"(target <= {target}: {'met' if ratio <= target else 'MISSED'}); "
          f"CPU {s_cpu * 1000:.0f} ms vs {b_cpu * 1000:.0f} ms -> x{cpu_ratio:.2f}")
    return {"goal": name, "subject_ms": s * 1000, "baseline_ms": b * 1000, "ratio": ratio, "target": target,
            "subject_cpu_ms": s_cpu * 1000, "baseline_cpu_ms": b_cpu * 1000, "cpu_ratio": cpu_ratio,
            "met": ratio <= target}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per goal (medians reported)")
    parser.add_argument("--quick", action="store_true", help="3 rounds: a quick look, not figures to publish")
    parser.add_argument("--goals", nargs="+", default=["assess", "fleet", "help", "coldpack"],
                        choices=["assess", "fleet", "help", "coldpack"])
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.quick:
        args.rounds = 3
    advisor = advisor_command()
    results = []
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "ADVISOR_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
        env.pop("ADVISOR_NO_CACHE", None)
        # as installed: Python keeps the compiled bytecode of advisor's modules (pip compiles a wheel's
        # on install), as it has the baseline libraries'; with this set, every run compiled advisor anew
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        shutil.copy(PROFILE, work / "p.yaml")
        text = PROFILE.read_text(encoding="utf-8")
        (work / "big.yaml").write_text(text.replace("physical_hosts: 20", "physical_hosts: 10000", 1),
                                       encoding="utf-8")
        assess = [*advisor, "assess", "--defaults", "--no-record", "--format", "json", "--profile"]
        imports = [sys.executable, "-c", IMPORTS]
        if "assess" in args.goals:
            results.append(_pair("assess --no-record vs imports", [*assess, "p.yaml"], imports, 1.0, args.rounds,
                                 work, env))
            record = [*advisor, "assess", "--defaults", "--profile", "p.yaml", "--date", "2026-11-28",
                      "--records-dir", str(work / "rec")]
            results.append(_pair("assess with record and tipping points vs imports", record, imports, 1.3,
                                 args.rounds, work, env, fresh=work / "rec"))
        if "fleet" in args.goals:
            results.append(_pair("assess 10,000 hosts vs 20 hosts", [*assess, "big.yaml"], [*assess, "p.yaml"], 1.2,
                                 args.rounds, work, env))
        if "help" in args.goals:
            (work / "minimal.py").write_text(MINIMAL_CLI, encoding="utf-8")
            results.append(_pair("advisor --help vs a minimal click CLI", [*advisor, "--help"],
                                 [sys.executable, str(work / "minimal.py"), "--help"], 1.1, args.rounds, work, env))
        if "coldpack" in args.goals:
            try:
                results.append(bench_coldpack.run(max(3, args.rounds // 2), work))
            except SystemExit as exc:  # the load failed: said, and the other goals stand
                print(f"coldpack: FAILED: {exc}")
                results.append({"goal": "coldpack", "failed": str(exc), "met": False})
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if args.check and not all(r["met"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
