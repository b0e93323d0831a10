"""Confounders: host settings that change performance besides the platform under test.

Read from each target once per session (``grep -r -s -H . FILES`` through its runner,
so it works the same on this host, over SSH and in a pod) and recorded in its
placement. Two targets that differ in one of them are not compared (see
:mod:`advisor.measure.fairness`): a ratio would then measure the setting, not the
virtualization layer.

=========== ============================================================
key         source
=========== ============================================================
governor    cpufreq scaling_governor of the first allowed CPU
turbo       intel_pstate/no_turbo (inverted) or cpufreq/boost
smt         /sys/devices/system/cpu/smt/active
thp         transparent_hugepage/enabled (the bracketed choice)
mitigations the vulnerability files: "N mitigated, M vulnerable"; "off" from the kernel command line
hugepages   HugePages_Total and Hugepagesize from /proc/meminfo
steal       share of CPU time stolen since boot (/proc/stat), recorded, not compared
=========== ============================================================
"""

from __future__ import annotations

from collections.abc import Mapping

from advisor.errors import MeasurementError
from advisor.measure.api import Runner

__all__ = ["COMPARED", "FILES", "differences", "parse_confounders", "read_confounders"]

FILES = (
    "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
    "/sys/devices/system/cpu/intel_pstate/no_turbo",
    "/sys/devices/system/cpu/cpufreq/boost",
    "/sys/devices/system/cpu/smt/active",
    "/sys/kernel/mm/transparent_hugepage/enabled",
    "/sys/devices/system/cpu/vulnerabilities",
    "/proc/cmdline",
    "/proc/meminfo",
    "/proc/stat",
)
#: The confounders whose difference between two targets refuses the comparison.
COMPARED = ("governor", "turbo", "smt", "thp", "mitigations", "hugepages")


def parse_confounders(text: str) -> dict[str, str]:
    """The confounders from ``grep -r -s -H . FILES`` output (one ``path:line`` per line)."""
    out: dict[str, str] = {}
    mitigated = vulnerable = 0
    huge_total = huge_size = ""
    for raw in text.splitlines():
        path, sep, line = raw.partition(":")
        if not sep:
            continue
        line = line.strip()
        if path.endswith("scaling_governor"):
            out["governor"] = line
        elif path.endswith("intel_pstate/no_turbo"):
            out["turbo"] = "off" if line == "1" else "on"
        elif path.endswith("cpufreq/boost") and "turbo" not in out:
            out["turbo"] = "on" if line == "1" else "off"
        elif path.endswith("smt/active"):
            out["smt"] = "on" if line == "1" else "off"
        elif path.endswith("transparent_hugepage/enabled"):
            chosen = [w[1:-1] for w in line.split() if w.startswith("[")]
            out["thp"] = chosen[0] if chosen else line
        elif "/vulnerabilities/" in path:
            if line.startswith("Vulnerable"):
                vulnerable += 1
            elif line.startswith("Mitigation"):
                mitigated += 1
        elif path == "/proc/cmdline" and "mitigations=off" in line.split():
            out["mitigations"] = "off"
        elif path == "/proc/meminfo":
            key, _, value = line.partition(":")
            if key == "HugePages_Total":
                huge_total = value.strip()
            elif key == "Hugepagesize":
                huge_size = value.strip()
        elif path == "/proc/stat" and line.startswith("cpu "):
            jiffies = [int(x) for x in line.split()[1:9]]
            if len(jiffies) >= 8 and sum(jiffies) > 0:
                out["steal"] = f"{jiffies[7] / sum(jiffies) * 100:.2f} %"
    if "mitigations" not in out and (mitigated or vulnerable):
        out["mitigations"] = f"{mitigated} mitigated, {vulnerable} vulnerable"
    if huge_total:
        out["hugepages"] = f"{huge_total} x {huge_size}" if huge_size else huge_total
    return dict(sorted(out.items()))


def read_confounders(runner: Runner) -> dict[str, str]:
    """The target's confounders (empty when it cannot be read)."""
    try:
        done = runner.run(["grep", "-r", "-s", "-H", ".", *FILES], timeout=30)
    except MeasurementError:
        return {}
    return parse_confounders(done.stdout)


def differences(a: Mapping[str, str], b: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The compared confounders known on both targets that differ: (key, a's value, b's value)."""
    return [(k, a[k], b[k]) for k in COMPARED if k in a and k in b and a[k] != b[k]]
