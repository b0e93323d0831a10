"""The worst inputs of issue 18, each through the installed ``advisor`` in a fresh process.

Targets: each finishes (with its one-line refusal or its result) in <= 10 s and
<= 500 MB peak resident memory on 2 cores. Cases:

* a 216 KB topology with 4,000 VMs whose parents are unknown (was: past 180 s, a
  quadratic "did you mean"): ``advisor graph --topology``;
* a 4 MB profile (was: ~110 s and up to 1 GB): refused by the profile's size cap;
* the largest profile the cap admits (256 KiB), full of unknown keys: one pass of the
  YAML parser and the validator;
* FIFO, device and directory given as a profile: refused at once;
* with ``--portfolio``, the 2,000-workload inventory and the 100,000-row CSV, timed by
  ``benchmarks/bench_portfolio.py --hostile`` (the portfolio's own benchmark).

For each, the wall clock, the CPU time and the peak RSS (``getrusage`` of the child)::

    .venv/bin/python benchmarks/bench_hostile.py [--portfolio]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _advisor import advisor_command  # benchmarks/_advisor.py

PROFILE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"
TARGET_S, TARGET_MIB = 10.0, 500.0

_TIMED = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
          "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
          "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
          "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime, p.returncode, "
          "repr(p.stderr.splitlines()[-1][:90] if p.stderr.strip() else ''))")


def timed(args: list[str], cwd: Path) -> tuple[float, float, float, int, str]:
    """(wall s, peak MiB, CPU s, exit code, last stderr line) of ``advisor ARGS`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _TIMED, *advisor_command(), *args], cwd=cwd, check=True,
                         capture_output=True, text=True).stdout.split(maxsplit=4)
    return float(out[0]), int(out[1]) / 1024, float(out[2]), int(out[3]), out[4].strip()


def topology(path: Path, n: int = 4000) -> None:
    lines = ["advisor_topology: 1", "name: big", "sites:", "  - name: dc-1", "    racks:", "      - name: rack-a",
             "        hosts: [" + ", ".join(f"host-{i:05d}" for i in range(n)) + "]", "vms:"]
    lines += [f"  - {{name: vm-{i:05d}, parent: hots-{i:05d}x}}" for i in range(n)]
    lines += ["nodes:", "  - {name: node-0, parent: host-00000}", "services:", "  - {name: web, pods: [node-0]}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def big_profile(path: Path, size: int) -> None:
    head = PROFILE.read_text(encoding="utf-8")
    lines, total, i = [head.rstrip("\n")], len(head), 0
    while total < size - 64:
        line = f"unknown_key_{i:07d}: value number {i}"
        lines.append(line)
        total += len(line) + 1
        i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portfolio", action="store_true", help="also run bench_portfolio.py --hostile")
    opts = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "P.yaml").write_text(PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
        topology(base / "topo.yaml")
        big_profile(base / "4mb.yaml", 4 * 1024 * 1024)
        big_profile(base / "256k.yaml", 256 * 1024 - 1024)
        os.mkfifo(base / "fifo.yaml")
        (base / "dir.yaml").mkdir()
        cases = [
            ("4,000 unknown topology parents (216 KB)", ["graph", "--profile", "P.yaml", "--topology", "topo.yaml"]),
            ("4 MB profile", ["profile", "validate", "4mb.yaml"]),
            ("255 KB profile of unknown keys", ["profile", "validate", "256k.yaml"]),
            ("FIFO as a profile", ["profile", "validate", "fifo.yaml"]),
            ("/dev/zero as a profile", ["profile", "validate", "/dev/zero"]),
            ("directory as a profile", ["profile", "validate", "dir.yaml"]),
        ]
        print(f"{'input':42} {'wall':>7} {'CPU':>7} {'peak':>8}  exit  last line")
        for name, args in cases:
            wall, mib, cpu, code, line = timed(args, base)
            met = wall <= TARGET_S and mib <= TARGET_MIB
            ok &= met
            print(f"{name:42} {wall:6.2f}s {cpu:6.2f}s {mib:6.0f}MiB  {code:>4}  {line}"
                  + ("" if met else "  MISSED"))
    if opts.portfolio:
        bench = Path(__file__).with_name("bench_portfolio.py")
        argv = [sys.executable, str(bench), "--count", "0", "--hostile", "--check"]
        ok &= subprocess.run(argv, check=False).returncode == 0
    print(f"targets (each <= {TARGET_S:.0f} s and <= {TARGET_MIB:.0f} MB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
