"""``noisy``: how much a CPU-bound neighbour (on a sibling target, or on the same CPU) worsens wake-up latency."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from advisor.measure.api import Budget, MetricSpec, ProbeError, Runner
from advisor.measure.probes._common import checked, excerpt, pick_cpu, require_tools, seconds
from advisor.measure.probes.jitter import run_cyclictest
from advisor.measure.probes.parsers import cpus_allowed

__all__ = ["NoisyProbe", "antagonist_command"]

#: Seconds the antagonist gets to start before the loaded measurement.
SETTLE = 0.5


def antagonist_command(cpu: int | Sequence[int], t: int) -> list[str]:
    """A stress-ng CPU hog on each of ``cpu`` (one CPU or several); ``-t`` always, so it ends by itself."""
    cpus = [cpu] if isinstance(cpu, int) else list(cpu)
    return ["stress-ng", "--cpu", str(len(cpus)), "--taskset", ",".join(map(str, cpus)), "-t", f"{t}s"]


class NoisyProbe:
    """cyclictest alone, then again with a stress-ng CPU hog: on the target's *sibling* when it has one
    (another VM on the same host, another pod on the same node: a hog on every CPU the sibling may use),
    else inside the target on the SAME CPU (``stress-ng --cpu 1 --taskset CPU -t T``).

    The main figure is the ratio of the two 99th percentiles (with / alone): > 1 means
    the neighbour hurts. cyclictest runs SCHED_FIFO, so a hog beside it in the same
    target cannot delay it by scheduling alone; what remains is the cost of preempting
    a busy CPU (caches, TLB, and in a VM the hypervisor's handling of a busy vs an idle
    vCPU - which can even make the loaded run faster, a ratio < 1). A hog on a sibling
    VM competes for the host's CPUs below the guest's scheduler: the neighbour the
    decision is about. The CPUs are recorded, and the run's ``antagonist`` context says
    where the hog ran.
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
    #: The session passes the target's sibling (``sibling`` of the targets file) to :meth:`run`.
    uses_sibling = True
    #: Seconds per phase (alone, loaded).
    durations = {"quick": 2, "full": 15}

    def install_hint(self) -> str:
        return "apt-get install rt-tests stress-ng (Debian/Ubuntu); cyclictest needs root or " \
               "CAP_SYS_NICE + CAP_IPC_LOCK"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None,
            sibling: Runner | None = None) -> dict[str, float | str]:
        """One run; ``sibling`` (the target beside ``runner``) runs the antagonist when given."""
        require_tools(runner, self.tools, self.install_hint())
        hog_on = sibling if sibling is not None and sibling is not runner else runner
        if hog_on is not runner:
            require_tools(hog_on, ("stress-ng",), self.install_hint())
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        cpu = pick_cpu(runner)
        hog_cpus = [cpu] if hog_on is runner else cpus_allowed(
            checked(hog_on, ["grep", "Cpus_allowed_list", "/proc/self/status"], timeout=30).stdout)
        alone = run_cyclictest(runner, cpu, t)
        handle = hog_on.spawn(antagonist_command(hog_cpus, t + 30))
        try:
            time.sleep(SETTLE)
            loaded = run_cyclictest(runner, cpu, t)
        finally:
            hog = handle.stop()
        said = hog.stdout + "\n" + hog.stderr
        if re.search(r"stress-ng: (?:error|fail)|taskset: invalid|unrecognized option", said):
            raise ProbeError(f"the stress-ng antagonist failed on {hog_on.name!r}: {excerpt(said)}",
                             self.install_hint())
        assert alone.p99_us is not None and loaded.p99_us is not None
        where = "itself" if hog_on is runner else f"sibling {hog_on.name}"
        return {"slowdown": loaded.p99_us / alone.p99_us, "p99_alone_us": alone.p99_us,
                "p99_loaded_us": loaded.p99_us, "cpu": float(cpu), "antagonist_cpu": float(hog_cpus[-1]),
                "antagonist": f"{where}, CPUs {','.join(map(str, hog_cpus))}"}
