"""Decision engine speed (target: scoring with uncertainty <= 20 ms per profile in-process).

Method: ``--profiles`` varied, deterministic profiles (seeded) have their facts built
first (answers, defaults, derived and fault-domain graph facts: not part of scoring);
then each is decided once to warm the caches and ``--runs`` more times with its own
seed (screening every configuration of both options, estimating, 256 draws per
uncertain estimate, probabilities and the value of information). Median per profile.

    .venv/bin/python benchmarks/bench_decide.py [--profiles 50] [--runs 3] [--check]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

TARGET_MS = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the median exceeds {TARGET_MS} ms")
    args = parser.parse_args()

    import decide_profiles

    from advisor import pipeline
    from advisor.decide import decide

    q = pipeline.load_questionnaire()
    pack = pipeline.load_decision_pack(questionnaire=q)
    rng = random.Random(2026)
    facts = [pipeline.decision_facts(decide_profiles.profile(q, rng), q) for _ in range(args.profiles)]
    times = []
    for i, f in enumerate(facts):
        decide(pack, f, seed=i)
        start = time.perf_counter()
        for r in range(args.runs):
            decide(pack, f, seed=1000 * i + r)
        times.append((time.perf_counter() - start) / args.runs * 1000)
    median = statistics.median(times)
    print(f"decide with uncertainty: median {median:.1f} ms per profile, p90 "
          f"{statistics.quantiles(times, n=10)[-1]:.1f} ms ({args.profiles} profiles, {pack.meta.samples} draws; "
          f"target <= {TARGET_MS:.0f} ms)")
    return 1 if args.check and median > TARGET_MS else 0


if __name__ == "__main__":
    raise SystemExit(main())
