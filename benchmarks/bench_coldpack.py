"""Cold load of the rule pack: the fast YAML path against the round-trip parser, side by side.

A cold load is the first run after a rule file changed (every later run reads the
compiled pack from the cache). Each run is a fresh process with the cache off that
imports advisor (not timed) and then times loading the questionnaire, the fact
catalog, the evidence catalogue, the default format-2 pack (with its cases) and a
generated 60-rule organisation pack: every rule of the default pack once and the
constraints again, under new ids (a complete pack of its own, so that it loads the
same way before and after packs are layered). The YAML parser's own import is in the
timed part, as a user pays it.

Two subjects run in interleaved rounds (A B, then B A, ...), so that the load of a
shared machine hits both alike: ``fast`` is advisor as it is (libyaml through PyYAML's
C parser, the round-trip parser only for a file it declines), ``roundtrip`` sends every
file through ruamel's round-trip parser, as before the fast path. The figures are the
medians of wall-clock and CPU time; the target is the fast median <= 300 ms, and the
ratio says how much faster it is than the round-trip parser in the same run.

    .venv/bin/python benchmarks/bench_coldpack.py [--rounds 9] [--quick] [--json] [--check]
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0
ORG_RULES = 60

_CHILD = r"""
import json, sys, time
from advisor import cache, pipeline, yamlio
if sys.argv[2] == "roundtrip":
    yamlio.document._parse_fast = lambda text, name: None  # every file through the round-trip parser
cache.set_enabled(False)
start, cpu = time.perf_counter(), time.process_time()
q = pipeline.load_questionnaire()
default, org = pipeline.load_decision_pack(questionnaire=q), pipeline.load_decision_pack(sys.argv[1], questionnaire=q)
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
rules = len(default.rules) + len(org.rules)
print(json.dumps({"wall": wall, "cpu": cpu, "rules": rules, "org": len(org.rules),
                  "ruamel": "ruamel.yaml" in sys.modules}))
"""


def default_pack_dir() -> Path:
    """The folder of the default format-2 pack (``rules/``)."""
    from advisor import pipeline

    return Path(pipeline.DECISION_PACK_DIR)


def org_pack(folder: Path, count: int = ORG_RULES) -> Path:
    """A complete format-2 pack of ``count`` rules copied from the default pack under new ids.

    Every consequence once (each cites its own evidence, which may back one estimate
    only), then the constraints, round robin, until ``count`` rules.
    """
    source = default_pack_dir()
    pack = folder / "org"
    pack.mkdir(parents=True)
    shutil.copy(source / "pack.yaml", pack / "pack.yaml")
    consequences = sorted((source / "consequences").glob("*.yaml"))
    constraints = sorted((source / "constraints").glob("*.yaml"))
    chosen = consequences[:count]
    while len(chosen) < count:
        chosen.append(constraints[(len(chosen) - len(consequences)) % len(constraints)])
    for n, src in enumerate(chosen):
        new_id = f"org-{n:02d}-{src.stem}"
        text = src.read_text(encoding="utf-8").replace(f"id: {src.stem}\n", f"id: {new_id}\n", 1)
        (pack / src.parent.name).mkdir(exist_ok=True)
        (pack / src.parent.name / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    return pack


def _child(pack: Path, mode: str, cwd: Path) -> dict[str, Any]:
    env = {**os.environ, "ADVISOR_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(pack), mode], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"the {mode} cold load failed: {tail}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def run(rounds: int, work: Path) -> dict[str, Any]:
    """Interleaved rounds of both subjects after one warm-up each (OS file cache); medians and the ratio."""
    pack = org_pack(work)
    modes = ("fast", "roundtrip")
    for mode in modes:
        _child(pack, mode, work)
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    for i in range(rounds):
        for mode in modes if i % 2 == 0 else modes[::-1]:
            runs[mode].append(_child(pack, mode, work))
    med = {m: {k: statistics.median(r[k] for r in runs[m]) * 1000 for k in ("wall", "cpu")} for m in modes}
    fast, slow = med["fast"], med["roundtrip"]
    first = runs["fast"][0]
    result = {
        "goal": "coldpack", "rules": first["rules"], "org_rules": first["org"], "rounds": rounds,
        "fast_ms": fast["wall"], "fast_cpu_ms": fast["cpu"], "roundtrip_ms": slow["wall"],
        "roundtrip_cpu_ms": slow["cpu"], "speedup": slow["wall"] / fast["wall"],
        "fast_min_ms": min(r["wall"] for r in runs["fast"]) * 1000,
        "fast_imported_ruamel": any(r["ruamel"] for r in runs["fast"]),
        "target_ms": TARGET_MS, "met": fast["wall"] <= TARGET_MS,
    }
    print(f"coldpack: questionnaire + default pack + {first['org']}-rule organisation pack ({first['rules']} rules), "
          f"no cache, median of {rounds}:")
    print(f"  fast path      {fast['wall']:7.0f} ms (CPU {fast['cpu']:.0f} ms, min {result['fast_min_ms']:.0f} ms)")
    print(f"  round-trip     {slow['wall']:7.0f} ms (CPU {slow['cpu']:.0f} ms)  -> the fast path is "
          f"x{result['speedup']:.1f} faster")
    print(f"  target: fast <= {TARGET_MS:.0f} ms: {'met' if result['met'] else 'MISSED'}"
          f"{'' if not result['fast_imported_ruamel'] else ' (a file was declined: ruamel was imported)'}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (medians reported)")
    parser.add_argument("--quick", action="store_true", help="3 rounds: a quick look, not a figure to publish")
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the fast median exceeds {TARGET_MS:.0f} ms")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="advisor-coldpack-") as tmp:
        result = run(rounds, Path(tmp))
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if args.json:
        print(json.dumps(result, indent=2))
    return 1 if args.check and not result["met"] else 0


if __name__ == "__main__":
    sys.exit(main())
