"""Disturbance detection: what else happened on the machine while a probe ran.

Before and after every run the session samples the target's kernel counters
(``/proc/stat``, ``/proc/loadavg``, ``/proc/pressure/cpu`` and the frequency of the
target's CPUs) and, for this host, the CPU time its own children used. From the two
samples it derives, for the run's wall time:

============== ============================================================ =========
figure         meaning                                                      disturbed
============== ============================================================ =========
others_cpu     CPUs' worth of time other processes used on the target's CPUs > 0.25
               (this host only; all CPUs when the target is not pinned),
               beyond what its CPU quota leaves to them
psi_cpu_some   share of time some task waited for a CPU (PSI)                > 0.10 [*]
steal          share of CPU time the hypervisor gave to someone else         > 0.02
freq_change    relative change of the CPU frequency between the samples      > 0.10
load1          one-minute load average at the end (recorded only)
procs_running  runnable tasks at the end (recorded only)
============== ============================================================ =========

[*] PSI also counts the wait of a target's own throttled tasks (a CPU quota), so on
this host, where ``others_cpu`` is known, PSI is recorded and not a criterion.

The session drops every block with a disturbed run, and refuses the verdict of a
probe when more than :data:`MAX_DISTURBED_SHARE` of its blocks were disturbed
(see :mod:`advisor.measure.session`).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from advisor.errors import MeasurementError
from advisor.measure.api import Runner

__all__ = ["MAX_DISTURBED_SHARE", "THRESHOLDS", "RunDisturbance", "Sampler", "Snapshot", "assess", "parse_snapshot",
           "summary"]

#: Thresholds of the figures that mark a run disturbed.
THRESHOLDS: dict[str, float] = {"others_cpu": 0.25, "psi_cpu_some": 0.10, "steal": 0.02, "freq_change": 0.10}
#: A probe whose share of disturbed blocks exceeds this gets no verdict (unless allowed).
MAX_DISTURBED_SHARE = 0.2
_FILES = ("/proc/stat", "/proc/loadavg", "/proc/pressure/cpu")
_FREQ = "/sys/devices/system/cpu/cpu{}/cpufreq/scaling_cur_freq"
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Snapshot:
    """Kernel counters at one instant."""

    wall: float
    #: Jiffies of the aggregate ``cpu`` line: user, nice, system, idle, iowait, irq, softirq, steal.
    jiffies: tuple[int, ...]
    load1: float | None
    procs_running: int | None
    psi_some_us: int | None
    freq_khz: float | None
    #: CPU seconds used by this process's children and itself (this host only).
    own_cpu_s: float | None = None


@dataclass
class RunDisturbance:
    """The figures of one run and why it counts as disturbed (empty: it does not)."""

    figures: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def parse_snapshot(text: str, wall: float, own_cpu_s: float | None = None,
                   cpus: Sequence[int] | None = None) -> Snapshot:
    """A snapshot from ``grep -s -H . FILES`` output (``path:line`` per line) or the files' own lines.

    With ``cpus`` (the CPUs a target is pinned to) the jiffies are the sum of those CPUs'
    lines, so work on other CPUs does not count; else the aggregate ``cpu`` line.
    """
    wanted = {f"cpu{c}" for c in cpus} if cpus else {"cpu"}
    per_cpu: list[tuple[int, ...]] = []
    jiffies: tuple[int, ...] = ()
    load1: float | None = None
    running: int | None = None
    psi: int | None = None
    freqs: list[float] = []
    for raw in text.splitlines():
        path, sep, line = raw.partition(":")
        if not sep:
            continue
        if path == "/proc/stat":
            parts = line.split()
            if parts and parts[0] in wanted:
                per_cpu.append(tuple(int(x) for x in parts[1:9]))
            elif parts and parts[0] == "procs_running" and len(parts) > 1:
                running = int(parts[1])
        elif path == "/proc/loadavg":
            parts = line.split()
            if parts:
                load1 = float(parts[0])
        elif path == "/proc/pressure/cpu" and line.startswith("some"):
            for item in line.split():
                if item.startswith("total="):
                    psi = int(item[6:])
        elif path.endswith("scaling_cur_freq"):
            try:
                freqs.append(float(line.strip()))
            except ValueError:
                pass
    if per_cpu:
        jiffies = tuple(sum(col) for col in zip(*per_cpu, strict=False))
    if not jiffies:
        raise MeasurementError("no 'cpu' line in /proc/stat of the target", "is /proc mounted on the target?")
    return Snapshot(wall, jiffies, load1, running, psi, sum(freqs) / len(freqs) if freqs else None, own_cpu_s)


def _own_cpu(children_only: bool) -> float:
    """CPU seconds of the session's children (the target's processes), and of the session itself unless
    the target is pinned (the session's own process is not, so it runs on other CPUs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = children.ru_utime + children.ru_stime
    if not children_only:
        self_ = resource.getrusage(resource.RUSAGE_SELF)
        total += self_.ru_utime + self_.ru_stime
    return total


class Sampler:
    """Samples one target: in-process for this host (with its own CPU time), else through the runner."""

    def __init__(self, runner: Runner, cpus: Sequence[int] | None = None) -> None:
        self.runner = runner
        self.local = getattr(runner, "kind", "") == "local"
        self.cpus = list(cpus) if cpus else None
        #: CPUs' worth of the sampled CPUs the target may not use (its CPU quota leaves them to others).
        quota = getattr(runner, "cpu_quota", None)
        width = len(self.cpus) if self.cpus else (os.cpu_count() or 1)
        self.slack = max(0.0, width - float(quota)) if isinstance(quota, (int, float)) else 0.0
        self.files = (*_FILES, *(_FREQ.format(c) for c in (self.cpus or [0])))

    def sample(self) -> Snapshot | None:
        """A snapshot, or None when the target cannot be sampled (recorded as unknown)."""
        if self.local:
            lines: list[str] = []
            for name in self.files:
                try:
                    text = Path(name).read_text()
                except OSError:
                    continue
                lines.extend(f"{name}:{line}" for line in text.splitlines())
            try:
                return parse_snapshot("\n".join(lines), time.monotonic(), _own_cpu(self.cpus is not None), self.cpus)
            except (MeasurementError, ValueError):
                return None
        try:
            done = self.runner.run(["grep", "-s", "-H", ".", *self.files], timeout=30)
            return parse_snapshot(done.stdout, time.monotonic(), cpus=self.cpus)
        except (MeasurementError, ValueError):
            return None


def summary(runs: Sequence[Mapping[str, float]], thresholds: Mapping[str, float] = THRESHOLDS) -> str:
    """One phrase per criterion over the disturbance figures of several runs: how many exceeded it, the worst."""
    parts = []
    for key, limit in thresholds.items():
        over = [f[key] for f in runs if key in f and f[key] > limit
                and not (key == "psi_cpu_some" and "others_cpu" in f)]
        if over:
            parts.append(f"{key} over {limit:g} in {len(over)} run(s), up to {max(over):.2f}")
    return "; ".join(parts)


def assess(before: Snapshot | None, after: Snapshot | None, *, slack: float = 0.0,
           thresholds: Mapping[str, float] = THRESHOLDS) -> RunDisturbance:
    """The disturbance figures between two snapshots and the reasons a run is disturbed.

    ``slack``: CPUs' worth of the sampled CPUs the target may not use anyway (a quota of
    0.5 on one pinned CPU leaves 0.5 to others); other processes' CPU counts beyond it.
    """
    out = RunDisturbance()
    if before is None or after is None:
        out.figures["sampled"] = 0.0
        return out
    wall = after.wall - before.wall
    if wall <= 0:
        return out
    delta = [b - a for a, b in zip(before.jiffies, after.jiffies, strict=False)]
    total = sum(delta)
    if total > 0 and len(delta) >= 8:
        out.figures["steal"] = delta[7] / total
    busy_s = sum(delta[i] for i in (0, 1, 2, 5, 6) if i < len(delta)) / _HZ  # not idle, iowait, steal
    if before.own_cpu_s is not None and after.own_cpu_s is not None:
        own = after.own_cpu_s - before.own_cpu_s
        out.figures["others_cpu"] = max(0.0, (busy_s - own) / wall - slack)
    if before.psi_some_us is not None and after.psi_some_us is not None:
        out.figures["psi_cpu_some"] = (after.psi_some_us - before.psi_some_us) / 1e6 / wall
    if before.freq_khz and after.freq_khz:
        out.figures["freq_change"] = abs(after.freq_khz - before.freq_khz) / before.freq_khz
    if after.load1 is not None:
        out.figures["load1"] = after.load1
    if after.procs_running is not None:
        out.figures["procs_running"] = float(after.procs_running)
    out.figures = {k: round(v, 4) for k, v in out.figures.items()}
    labels = {"others_cpu": "other processes used {v:.2f} CPUs (limit {t:g})",
              "psi_cpu_some": "CPU pressure {p:.0f} % (limit {tp:.0f} %)",
              "steal": "steal {p:.1f} % (limit {tp:.0f} %)",
              "freq_change": "CPU frequency changed {p:.0f} % (limit {tp:.0f} %)"}
    for key, template in labels.items():
        if key == "psi_cpu_some" and "others_cpu" in out.figures:
            continue  # a quota's own throttling counts in PSI; others_cpu is the direct figure
        value = out.figures.get(key)
        limit = thresholds.get(key)
        if value is not None and limit is not None and value > limit:
            out.reasons.append(template.format(v=value, t=limit, p=value * 100, tp=limit * 100))
    return out
