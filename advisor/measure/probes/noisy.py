"""``noisy``: how much a CPU-bound neighbour on the same CPU worsens wake-up latency."""

from __future__ import annotations

import re
import time

from advisor.measure.api import Budget, MetricSpec, ProbeError, Runner
from advisor.measure.probes._common import excerpt, pick_cpu, require_tools, seconds
from advisor.measure.probes.jitter import run_cyclictest

__all__ = ["NoisyProbe", "antagonist_command"]

#: Seconds the antagonist gets to start before the loaded measurement.
SETTLE = 0.5


def antagonist_command(cpu: int, t: int) -> list[str]:
    """One stress-ng CPU hog pinned to ``cpu``; ``-t`` always, so it ends by itself."""
    return ["stress-ng", "--cpu", "1", "--taskset", str(cpu), "-t", f"{t}s"]


class NoisyProbe:
    """cyclictest alone, then again with ``stress-ng --cpu 1 --taskset CPU -t T`` on the SAME CPU.

    The main figure is the ratio of the two 99th percentiles (with / alone): > 1 means
    the neighbour hurts. cyclictest runs SCHED_FIFO, so the hog cannot delay it by
    scheduling alone; what remains is the cost of preempting a busy CPU (caches,
    TLB, and in a VM the hypervisor's handling of a busy vs an idle vCPU - which can
    even make the loaded run faster, a ratio < 1). Both CPUs are recorded.
    """

    name = "noisy"
    title = "Noisy neighbour: wake-up latency with / without a pinned CPU hog"
    tools: tuple[str, ...] = ("cyclictest", "stress-ng")
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("slowdown", "ratio", "lower", main=True, band=0.20,
                   description="p99 wake-up latency with the antagonist / alone, same CPU"),
        MetricSpec("p99_alone_us", "us", "lower", description="p99 wake-up latency, no antagonist"),
        MetricSpec("p99_loaded_us", "us", "lower", description="p99 wake-up latency with the antagonist"),
    )
    #: Recorded with each run, not compared: the CPUs of cyclictest and of the stress-ng antagonist.
    recorded: tuple[str, ...] = ("cpu", "antagonist_cpu")
    plausible = (0.1, 50.0)
    #: Seconds per phase (alone, loaded).
    durations = {"quick": 2, "full": 15}

    def install_hint(self) -> str:
        return "apt-get install rt-tests stress-ng (Debian/Ubuntu); cyclictest needs root or " \
               "CAP_SYS_NICE + CAP_IPC_LOCK"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        require_tools(runner, self.tools, self.install_hint())
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        cpu = pick_cpu(runner)
        alone = run_cyclictest(runner, cpu, t)
        handle = runner.spawn(antagonist_command(cpu, t + 30))
        try:
            time.sleep(SETTLE)
            loaded = run_cyclictest(runner, cpu, t)
        finally:
            hog = handle.stop()
        said = hog.stdout + "\n" + hog.stderr
        if re.search(r"stress-ng: (?:error|fail)|taskset: invalid|unrecognized option", said):
            raise ProbeError(f"the stress-ng antagonist failed: {excerpt(said)}", self.install_hint())
        assert alone.p99_us is not None and loaded.p99_us is not None
        return {"slowdown": loaded.p99_us / alone.p99_us, "p99_alone_us": alone.p99_us,
                "p99_loaded_us": loaded.p99_us, "cpu": float(cpu), "antagonist_cpu": float(cpu)}
