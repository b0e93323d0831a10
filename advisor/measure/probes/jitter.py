"""``jitter``: timer wake-up latency with cyclictest."""

from __future__ import annotations

from advisor.measure.api import Budget, MetricSpec, ProbeError, Runner
from advisor.measure.probes._common import checked, excerpt, pick_cpu, require_tools, seconds, temp_dir
from advisor.measure.probes.parsers import CyclictestResult, parse_cyclictest_json

__all__ = ["JitterProbe", "cyclictest_command", "run_cyclictest"]

#: Histogram buckets (1 µs each): wake-ups beyond 20 ms count as overflows.
HISTOGRAM_US = 20000
PRIVILEGE_HINT = (
    "cyclictest needs SCHED_FIFO (priority 80) and mlockall: run the target's commands as root, or grant "
    "CAP_SYS_NICE and CAP_IPC_LOCK (in a pod: securityContext.capabilities.add), and do not confine it to a "
    "cgroup without real-time runtime (cpu.rt_runtime_us = 0); install it with apt-get install rt-tests"
)


def cyclictest_command(json_path: str, cpu: int, t: int, *, realtime: bool = True) -> list[str]:
    """One thread pinned to ``cpu``, waking every 200 µs for ``t`` s, histogram in the JSON.

    ``realtime``: SCHED_FIFO priority 80 (the timer and interrupt path); else
    SCHED_OTHER (``--policy=other -p 0``): the wake-up latency an ordinary pod's thread sees.
    """
    policy = ["-p", "80"] if realtime else ["--policy=other", "-p", "0"]
    return ["cyclictest", f"--json={json_path}", "-m", *policy, "-i", "200", "-D", f"{t}s", "-q", "-t1",
            "-a", str(cpu), "-h", str(HISTOGRAM_US), "--histfile=/dev/null"]


def run_cyclictest(runner: Runner, cpu: int, t: int, *, realtime: bool = True,
                   directory: str | None = None) -> CyclictestResult:
    """Run cyclictest on the target and read its JSON file back through the runner (in ``directory``,
    else a temporary one)."""
    if directory is None:
        with temp_dir(runner, prefix="advisor-cyclictest") as tmp:
            return run_cyclictest(runner, cpu, t, realtime=realtime, directory=tmp)
    path = f"{directory}/cyclictest-{'fifo' if realtime else 'other'}.json"
    done = runner.run(cyclictest_command(path, cpu, t, realtime=realtime), timeout=t + 60)
    if done.returncode != 0:
        raise ProbeError(f"cyclictest exited with status {done.returncode}: "
                         f"{excerpt(done.stderr or done.stdout)}", PRIVILEGE_HINT)
    text = checked(runner, ["cat", path], timeout=30).stdout
    result = parse_cyclictest_json(text)
    if result.p99_us is None:
        raise ProbeError("cyclictest wrote no histogram", f"the probe passes -h {HISTOGRAM_US}; is rt-tests >= 2.0?")
    return result


class JitterProbe:
    """``cyclictest --json=FILE -m -p 80 -i 200 -D Ts -q -t1 -a CPU -h 20000 --histfile=/dev/null``.

    The main figure is the 99th percentile from the 1-µs histogram (what the catalog's
    ``measured.jitter.ratio`` compares): the mean hides the tail that matters to
    latency-sensitive pods, and the maximum of one run is too noisy to compare.
    The CPU is the last one the target allows (recorded as ``cpu``).
    """

    name = "jitter"
    title = "Timer wake-up latency (cyclictest)"
    tools: tuple[str, ...] = ("cyclictest",)
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("p99_us", "us", "lower", main=True, band=0.30, resolution=1.0,
                   description="99th percentile of the wake-up latency, SCHED_FIFO (timer and interrupt path)"),
        MetricSpec("other_p99_us", "us", "lower", band=0.30, resolution=1.0, decision=True,
                   description="99th percentile of the wake-up latency, SCHED_OTHER (what a pod's thread sees)"),
        MetricSpec("avg_us", "us", "lower", band=0.30, resolution=1.0, description="mean wake-up latency, SCHED_FIFO"),
        MetricSpec("max_us", "us", "lower", band=0.30, resolution=1.0,
                   description="worst wake-up latency of the run, SCHED_FIFO"),
    )
    plausible = (0.2, 100.0)
    #: Recorded with each run, not compared: the CPU the measuring thread was pinned to.
    recorded: tuple[str, ...] = ("cpu",)
    durations = {"quick": 1, "full": 15}

    def install_hint(self) -> str:
        return "apt-get install rt-tests (Debian/Ubuntu) or dnf install realtime-tests; it needs root or " \
               "CAP_SYS_NICE + CAP_IPC_LOCK"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        require_tools(runner, self.tools, self.install_hint())
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        cpu = pick_cpu(runner)
        with temp_dir(runner, prefix="advisor-cyclictest") as directory:
            result = run_cyclictest(runner, cpu, t, directory=directory)
            other = run_cyclictest(runner, cpu, t, realtime=False, directory=directory)
        assert result.p99_us is not None and other.p99_us is not None
        return {"p99_us": result.p99_us, "other_p99_us": other.p99_us, "avg_us": result.avg_us,
                "max_us": result.max_us, "cpu": float(cpu)}
