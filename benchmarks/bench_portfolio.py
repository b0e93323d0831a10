"""`advisor portfolio --summary-only` of generated profiles (target: 1,000 in <= 60 s).

Method: generate N workload profiles with a fixed seed (each answer is its default
half of the time, otherwise a random valid value: numbers log-uniform between the
question's minimum and ten times its default, choices uniform; every 25th workload
copies the one before and flips one yes/no answer, so the consistency check has
something to find), write them as one YAML inventory (inline answers), and run the
installed console script in a fresh process, as a user does::

    advisor portfolio inventory.yaml --summary-only --quiet --date 2026-11-28 --output-dir DIR

Each run reports the wall-clock time of the whole command (imports, loading and
validating the inventory, the rule pack once, N evaluations with their fault-domain
graphs, the consistency check, the summary files); then an in-process breakdown of one
run shows where the time goes. ``--records`` also times the per-record mode (tipping
points and one decision record per workload).

    .venv/bin/python benchmarks/bench_portfolio.py [--count 1000] [--runs 3] [--records] [--check]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import subprocess
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
    import json

    lines = ["advisor_portfolio: 1", "workloads:"]
    lines += [f"  - answers: {json.dumps(a, sort_keys=True)}" for a in answers]  # JSON is YAML flow syntax
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(inventory: Path, out: Path, summary_only: bool) -> float:
    cmd = [*advisor_command(), "portfolio", str(inventory), "--quiet", "--date", "2026-11-28", "--output-dir",
           str(out), "--records-dir", str(out / "records"), "--force"]
    if summary_only:
        cmd.append("--summary-only")
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _breakdown(inventory: Path) -> None:
    from advisor import pipeline
    from advisor import portfolio as core

    marks = [("start", time.perf_counter())]
    q = pipeline.load_questionnaire()
    inv = core.load_inventory(inventory, q)
    marks.append(("load and validate the inventory", time.perf_counter()))
    pack = pipeline.load_pack(None, q, cases=False)
    marks.append(("load the rule pack (once)", time.perf_counter()))
    entries = core.assess_all(inv, pack, q)
    marks.append((f"evaluate {len(entries)} workloads", time.perf_counter()))
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
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", action="store_true", help="also time the per-record mode (one run)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the median exceeds {TARGET_S:.0f} s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        inventory = base / "inventory.yaml"
        write_inventory(inventory, generate(args.count))
        times = [_run(inventory, base / "out", True) for _ in range(args.runs)]
        median = statistics.median(times)
        print(f"advisor portfolio --summary-only, {args.count} workloads: median {median:.1f} s, "
              f"min {min(times):.1f} s, max {max(times):.1f} s ({args.runs} runs, {args.count / median:.0f}/s)")
        if args.records:
            t = _run(inventory, base / "rec", False)
            print(f"advisor portfolio with records, {args.count} workloads: {t:.1f} s ({args.count / t:.0f}/s)")
        _breakdown(inventory)
    if args.check and median > TARGET_S:
        print(f"FAIL: median {median:.1f} s > {TARGET_S:.0f} s")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
