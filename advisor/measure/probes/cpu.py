"""``cpu``: single-thread CPU throughput with sysbench's prime-number test."""

from __future__ import annotations

from advisor.measure.api import Budget, MetricSpec, Runner
from advisor.measure.probes._common import checked, require_tools, seconds
from advisor.measure.probes.parsers import parse_sysbench_cpu

__all__ = ["CpuProbe"]


class CpuProbe:
    """``sysbench cpu --threads=1 --cpu-max-prime=20000 --percentile=99 --time=T run``.

    One thread, so the figure is per-CPU speed (what a pinned pod gets), not the
    host's core count. sysbench has no machine-readable report: see
    :func:`~advisor.measure.probes.parsers.parse_sysbench_cpu`.
    """

    name = "cpu"
    title = "CPU throughput (sysbench cpu, 1 thread)"
    tools: tuple[str, ...] = ("sysbench",)
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("events_per_s", "events/s", "higher", main=True, band=0.05, resolution=0.01,
                   description="prime-number events per second, one thread"),
        MetricSpec("latency_p99_ms", "ms", "lower", band=0.05, resolution=0.01,
                   description="99th percentile of the time per event"),
    )
    recorded: tuple[str, ...] = ()
    #: VM / bare-metal ratios of the main metric that comparable hardware can give: a quota or
    #: overcommit can halve it or worse, nothing makes a VM 25 % faster than its host.
    plausible = (0.05, 1.25)
    #: Seconds per run for the quick and the full budget (short runs: the run is the unit).
    durations = {"quick": 1, "full": 10}
    #: Events of the discarded warm-up run (a fixed amount of work, a few tenths of a second: sysbench's
    #: ``--time`` takes whole seconds, and a warm-up only needs the binary, the caches and the clock warm).
    warmup_events = 300

    def install_hint(self) -> str:
        return "apt-get install sysbench (Debian/Ubuntu) or dnf install sysbench (EPEL)"

    def command(self, budget: Budget) -> list[str]:
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        return ["sysbench", "cpu", "--threads=1", f"--time={t}", "--cpu-max-prime=20000", "--percentile=99", "run"]

    def warm_up(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        """The session's discarded warm-up run: the same test for a fixed few hundred events."""
        require_tools(runner, self.tools, self.install_hint())
        argv = ["sysbench", "cpu", "--threads=1", "--time=0", f"--events={self.warmup_events}",
                "--cpu-max-prime=20000", "--percentile=99", "run"]
        parsed = parse_sysbench_cpu(checked(runner, argv, timeout=60).stdout)
        return {"events_per_s": parsed["events_per_s"], "latency_p99_ms": parsed["latency_p99_ms"]}

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        require_tools(runner, self.tools, self.install_hint())
        argv = self.command(budget)
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        done = checked(runner, argv, timeout=t * 3 + 30)
        parsed = parse_sysbench_cpu(done.stdout)
        return {"events_per_s": parsed["events_per_s"], "latency_p99_ms": parsed["latency_p99_ms"]}
