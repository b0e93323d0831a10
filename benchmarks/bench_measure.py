"""Time to verdict of the quick measurement suite (``advisor measure --quick``).

Method: run the installed console script, as a user does, with a targets file of two
``local`` targets on this host, both pinned to CPU 1 at nice -20:

* ``same``: two identical targets (the answer is *equivalent* for every probe);
* ``quota``: the VM-like target confined to half a CPU (cgroup quota 0.5) in a network
  namespace joined by a veth pair; each target's network probe is served by the
  other, so both cross the veth pair (the answer is *slower* for CPU and memory
  throughput).

For each probe of the quick suite (cpu, memory, net, jitter) the script reads the
result file and reports the time to verdict (first run start to last run end), the
number of rounds (one run per target each), the verdict of the main metric, and why
the probe stopped (decided / budget). It also reports the wall time of the whole
command. Needs root (cgroup, netns) and the tools of the probes.

    .venv/bin/python benchmarks/bench_measure.py [--budget 120] [--scenario same --scenario quota]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from _advisor import advisor_command  # benchmarks/_advisor.py

SCENARIOS = {
    "same": """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local, cpus: [1], nice: -20}
  - {name: twin, role: vm, runner: local, cpus: [1], nice: -20}
""",
    "quota": """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local, cpus: [1], nice: -20, peer: boxed}
  - {name: boxed, role: vm, runner: local, cpus: [1], nice: -20, cpu_quota: 0.5, netns: true, peer: metal}
""",
}


def run(scenario: str, budget: float, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as tmp:
        targets = Path(tmp) / "targets.yaml"
        targets.write_text(SCENARIOS[scenario])
        out = Path(tmp) / "result.json"
        start = time.perf_counter()
        cmd = [*advisor_command(), "measure", "--targets", str(targets), "--quick", "--budget", str(budget),
               "-o", str(out), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if not out.exists():
            print(f"{scenario}: failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
            return
        result = json.loads(out.read_text())
    print(f"\n{scenario}: exit {done.returncode}, wall {wall:.1f} s, session {result['elapsed_s']:.1f} s "
          f"(budget {budget:g} s)")
    print(f"{'probe':8} {'time to verdict':>16} {'rounds':>7}  {'verdict':13} {'ratio [95 % CI]':28} stopped")
    for probe in result["probes"]:
        runs = [r for r in result["runs"] if r["probe"] == probe["name"]]
        span = max(r["started"] + r["elapsed"] for r in runs) - min(r["started"] for r in runs) if runs else 0.0
        main = next((m for m in probe["metrics"] if m["main"]), probe["metrics"][0] if probe["metrics"] else None)
        comp = main["comparison"] if main else None
        if comp and comp["ratio"] is not None and comp["ci_low"] is not None:
            ratio = f"{comp['ratio']:.3f} [{comp['ci_low']:.3f}, {comp['ci_high']:.3f}]"
        else:
            ratio = "-"
        verdict = comp["verdict"] if comp else probe["stopped"]
        print(f"{probe['name']:8} {span:14.1f} s {probe['rounds']:7d}  {verdict:13} {ratio:28} {probe['stopped']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=120.0, help="session budget in seconds (default: 120)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="repeatable; default: all")
    parser.add_argument("--probe", action="append", default=[], help="limit to these probes (repeatable)")
    args = parser.parse_args()
    extra = [x for p in args.probe for x in ("--probe", p)]
    for scenario in args.scenario or ["same", "quota"]:
        run(scenario, args.budget, extra)


if __name__ == "__main__":
    main()
