"""The performance goals of the assessment, each as a ratio against a baseline measured side by side.

Every goal compares two commands run in fresh processes, in interleaved rounds (A B,
then B A, ...) so that the load of a shared machine hits both alike; the figure is the
ratio of the median wall-clock times. The cache folder is a temporary one, warmed by
one run of each command first (a user runs the tool more than once).

* ``assess``: ``advisor assess --profile P --defaults --no-record --format json`` vs
  ``python -c "import click, pydantic, ruamel.yaml, networkx, tabulate, questionary"``
  (target <= 1.0); with a decision record and its tipping points (target <= 1.3).
* ``fleet``: the same assess of a 10,000-host profile vs the 20-host one (target <= 1.2).
* ``help``: ``advisor --help`` vs a minimal two-command click CLI (target <= 1.1).
* ``coldpack``: in a fresh process (imports not timed), a load without the cache of
  the default pack plus a generated 60-rule organisation pack (target <= 300 ms, an
  absolute figure: there is no baseline to run beside it).

The fault-domain model and the portfolio have their own scripts (bench_faultdomain.py,
bench_portfolio.py). Figures and method: docs/performance.md.

    .venv/bin/python benchmarks/bench_goals.py [--rounds 15] [--goals assess fleet help coldpack] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

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


def _time(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(list(cmd), cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _pair(name: str, subject: Sequence[str], baseline: Sequence[str], target: float, rounds: int, cwd: Path,
          env: dict[str, str], fresh: Path | None = None) -> dict[str, object]:
    """Interleaved rounds of subject and baseline; the ratio of the medians against ``target``."""
    for _ in range(2):  # warm the OS file cache and the compiled-input cache
        _time(subject, cwd, env)
        _time(baseline, cwd, env)
    times: dict[str, list[float]] = {"subject": [], "baseline": []}
    for i in range(rounds):
        order = ("subject", "baseline") if i % 2 == 0 else ("baseline", "subject")
        for which in order:
            if fresh is not None:  # a command that writes files gets an empty folder each run
                shutil.rmtree(fresh, ignore_errors=True)
            times[which].append(_time(subject if which == "subject" else baseline, cwd, env))
    s, b = statistics.median(times["subject"]), statistics.median(times["baseline"])
    ratio = s / b
    print(f"{name}: {s * 1000:.0f} ms vs {b * 1000:.0f} ms baseline -> x{ratio:.2f} "
          f"(target <= {target}: {'met' if ratio <= target else 'MISSED'})")
    return {"goal": name, "subject_ms": s * 1000, "baseline_ms": b * 1000, "ratio": ratio, "target": target,
            "met": ratio <= target}


def _org_pack(folder: Path, count: int) -> Path:
    """An organisation pack of ``count`` rules: default rules copied under new ids."""
    pack = folder / "org"
    (pack).mkdir(parents=True)
    (pack / "pack.yaml").write_text("advisor_rule_pack: 1\nname: org\nversion: 1\ndescription: generated\n",
                                    encoding="utf-8")
    sources = sorted(p for p in (ROOT / "rules").glob("*/*.yaml") if p.parent.name != "cases")
    for n in range(count):
        src = sources[n % len(sources)]
        text = src.read_text(encoding="utf-8")
        new_id = f"org-{n}-{src.stem}"[:60]
        (pack / src.parent.name).mkdir(exist_ok=True)
        (pack / src.parent.name / f"{new_id}.yaml").write_text(text.replace(f"id: {src.stem}\n", f"id: {new_id}\n",
                                                                             1), encoding="utf-8")
    return pack


_COLD = """
import json, sys, time
from advisor import cache, pipeline
cache.set_enabled(False)
q = pipeline.load_questionnaire()
pipeline.fact_catalog(q)
start = time.perf_counter()
pack = pipeline.load_pack([pipeline.DEFAULT_RULES_DIR, sys.argv[1]], q, cases=False)
print(json.dumps({"seconds": time.perf_counter() - start, "rules": len(pack.rules)}))
"""


def _coldpack(rounds: int, work: Path, env: dict[str, str]) -> dict[str, object]:
    pack = _org_pack(work, 60)
    runs = []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", _COLD, str(pack)], cwd=work, env=env, check=True,
                             capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    median = statistics.median(r["seconds"] for r in runs) * 1000
    met = median <= 300
    print(f"coldpack: default + 60-rule organisation pack ({runs[0]['rules']} rules), no cache: {median:.0f} ms "
          f"median, {min(r['seconds'] for r in runs) * 1000:.0f} ms min "
          f"(target <= 300 ms: {'met' if met else 'MISSED'})")
    return {"goal": "coldpack", "median_ms": median, "target_ms": 300, "met": met}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per goal (medians reported)")
    parser.add_argument("--goals", nargs="+", default=["assess", "fleet", "help", "coldpack"])
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    advisor = advisor_command()
    results = []
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "ADVISOR_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
        env.pop("ADVISOR_NO_CACHE", None)
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
            results.append(_coldpack(args.rounds, work, env))
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if args.check and not all(r["met"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
