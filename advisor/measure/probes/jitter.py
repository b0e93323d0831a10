"""``jitter``: wake-up latency with cyclictest: what an ordinary pod's thread sees, and the RT path."""

from __future__ import annotations

from advisor.measure.api import Budget, MetricSpec, ProbeError, Runner
from advisor.measure.probes._common import checked, excerpt, pick_cpu, require_tools, seconds, temp_dir
from advisor.measure.probes.latency_parsers import CyclictestResult, parse_cyclictest_json

__all__ = ["JitterProbe", "cyclictest_command", "run_cyclictest"]

#: Histogram buckets (1 µs each): wake-ups beyond 20 ms count as overflows.
HISTOGRAM_US = 20000
#: The wake-up interval (µs) and the wake-ups of one quick run: 2500 x 200 µs = 0.5 s.
INTERVAL_US = 200
QUICK_LOOPS = 2500
#: Wake-ups of the session's discarded warm-up run (0.1 s).
WARMUP_LOOPS = 500
PRIVILEGE_HINT = (
    "cyclictest needs SCHED_FIFO (priority 80) and mlockall: run the target's commands as root, or grant "
    "CAP_SYS_NICE and CAP_IPC_LOCK (in a pod: securityContext.capabilities.add), and do not confine it to a "
    "cgroup without real-time runtime (cpu.rt_runtime_us = 0); install it with apt-get install rt-tests"
)


def cyclictest_command(json_path: str, cpu: int, t: int, *, realtime: bool = True,
                       loops: int | None = None) -> list[str]:
    """One thread pinned to ``cpu``, waking every 200 µs for ``t`` s (or ``loops`` wake-ups: cyclictest's
    ``-D`` takes whole seconds, ``-l`` makes a run shorter), histogram in the JSON.

    ``realtime``: SCHED_FIFO priority 80 (the timer and interrupt path); else
    SCHED_OTHER (``--policy=other -p 0``): the wake-up latency an ordinary pod's thread sees.
    """
    policy = ["-p", "80"] if realtime else ["--policy=other", "-p", "0"]
    length = ["-l", str(loops)] if loops is not None else ["-D", f"{t}s"]
    return ["cyclictest", f"--json={json_path}", "-m", *policy, "-i", str(INTERVAL_US), *length, "-q", "-t1",
            "-a", str(cpu), "-h", str(HISTOGRAM_US), "--histfile=/dev/null"]


def run_cyclictest(runner: Runner, cpu: int, t: int, *, realtime: bool = True,
                   directory: str | None = None, loops: int | None = None) -> CyclictestResult:
    """Run cyclictest on the target and read its JSON file back through the runner (in ``directory``,
    else a temporary one)."""
    if directory is None:
        with temp_dir(runner, prefix="advisor-cyclictest") as tmp:
            return run_cyclictest(runner, cpu, t, realtime=realtime, directory=tmp, loops=loops)
    path = f"{directory}/cyclictest-{'fifo' if realtime else 'other'}.json"
    done = runner.run(cyclictest_command(path, cpu, t, realtime=realtime, loops=loops), timeout=t + 60)
    if done.returncode != 0:
        raise ProbeError(f"cyclictest exited with status {done.returncode}: "
                         f"{excerpt(done.stderr or done.stdout)}", PRIVILEGE_HINT)
    text = checked(runner, ["cat", path], timeout=30).stdout
    result = parse_cyclictest_json(text)
    if result.p99_us is None:
        raise ProbeError("cyclictest wrote no histogram", f"the probe passes -h {HISTOGRAM_US}; is rt-tests >= 2.0?")
    return result


class JitterProbe:
    """``cyclictest --json=FILE -m --policy=other -p 0 -i 200 -l 2500 -q -t1 -a CPU -h 20000 --histfile=/dev/null``.

    The main figure is the 90th percentile of the wake-up latency under SCHED_OTHER, the
    scheduling class of an ordinary pod's thread, from the run's 1-µs histogram. It is
    the tail a run can estimate: a quick run is 2500 wake-ups (0.5 s), so some 250 lie
    above its p90 but only 25 above its p99, and a run's p99 (let alone its maximum) moves
    by tens of percent from run to run on the same machine (docs/measurement.md,
    "Probes"). The p99 and the median are recorded and compared as descriptive figures.
    The full suite adds a 15-s SCHED_FIFO run per policy (the timer and interrupt path:
    ``p99_us``, ``avg_us``, ``max_us``). The CPU is the last one the target allows
    (recorded as ``cpu``).
    """

    name = "jitter"
    title = "Wake-up latency (cyclictest, SCHED_OTHER; SCHED_FIFO in the full suite)"
    tools: tuple[str, ...] = ("cyclictest",)
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("other_p90_us", "us", "lower", main=True, band=0.30, resolution=1.0,
                   description="90th percentile of the wake-up latency, SCHED_OTHER (what a pod's thread sees)"),
        MetricSpec("other_p99_us", "us", "lower", band=0.30, resolution=1.0,
                   description="99th percentile of the wake-up latency, SCHED_OTHER"),
        MetricSpec("other_p50_us", "us", "lower", band=0.30, resolution=1.0,
                   description="median wake-up latency, SCHED_OTHER"),
        MetricSpec("p99_us", "us", "lower", band=0.30, resolution=1.0,
                   description="99th percentile of the wake-up latency, SCHED_FIFO (timer and interrupt path; full)"),
        MetricSpec("avg_us", "us", "lower", band=0.30, resolution=1.0,
                   description="mean wake-up latency, SCHED_FIFO (full)"),
        MetricSpec("max_us", "us", "lower", band=0.30, resolution=1.0,
                   description="worst wake-up latency of the run, SCHED_FIFO (full)"),
    )
    plausible = (0.2, 100.0)
    #: Recorded with each run, not compared: the CPU the measuring thread was pinned to.
    recorded: tuple[str, ...] = ("cpu",)
    durations = {"quick": 1, "full": 15}

    def __init__(self) -> None:
        self._cpus: dict[int, int] = {}

    def install_hint(self) -> str:
        return "apt-get install rt-tests (Debian/Ubuntu) or dnf install realtime-tests; it needs root or " \
               "CAP_SYS_NICE + CAP_IPC_LOCK"

    def cpu(self, runner: Runner) -> int:
        """The CPU of the measuring thread on ``runner``: read once, so every run of a session uses the same."""
        if id(runner) not in self._cpus:
            self._cpus[id(runner)] = pick_cpu(runner)
        return self._cpus[id(runner)]

    def warm_up(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        """The session's discarded warm-up run: a fifth of a quick run under SCHED_OTHER."""
        require_tools(runner, self.tools, self.install_hint())
        other = run_cyclictest(runner, self.cpu(runner), 1, realtime=False, loops=WARMUP_LOOPS)
        assert other.p90_us is not None
        return {"other_p90_us": other.p90_us}

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        require_tools(runner, self.tools, self.install_hint())
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        loops = QUICK_LOOPS if budget == "quick" else None
        cpu = self.cpu(runner)
        with temp_dir(runner, prefix="advisor-cyclictest") as directory:
            other = run_cyclictest(runner, cpu, t, realtime=False, directory=directory, loops=loops)
            fifo = run_cyclictest(runner, cpu, t, directory=directory) if budget == "full" else None
        assert other.p99_us is not None and other.p90_us is not None and other.p50_us is not None
        values = {"other_p90_us": other.p90_us, "other_p99_us": other.p99_us, "other_p50_us": other.p50_us,
                  "cpu": float(cpu)}
        if fifo is not None:
            assert fifo.p99_us is not None
            values.update(p99_us=fifo.p99_us, avg_us=fifo.avg_us, max_us=fifo.max_us)
        return values
