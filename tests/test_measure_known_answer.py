"""Known answers with real tools: a CPU quota of 0.5 halves throughput; a veth adds latency.

The probes here are minimal inline probes (sysbench cpu, sockperf ping-pong) so the
framework is tested independently of the built-in probes. Every process is pinned to
CPU 1 with a high priority (nice -20, the cgroup's weight to match) so that other
work on the machine does not take the CPU from one target and not the other.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import support

from advisor.measure.api import Budget, Handle, MetricSpec, ProbeError, Runner
from advisor.measure.probes.net import SOCKPERF_SLEEP_S
from advisor.measure.runners.local import LocalRunner
from advisor.measure.session import run_session
from advisor.measure.stats import Design

ROOT = os.geteuid() == 0
CGROUP_OK = ROOT and ((Path("/sys/fs/cgroup/cgroup.controllers")).exists()
                      or Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").exists())
pytestmark = [
    pytest.mark.slow,
    pytest.mark.serial,
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs (the probe is pinned to CPU 1)"),
]
needs_sysbench = pytest.mark.skipif(shutil.which("sysbench") is None, reason="apt-get install sysbench")
needs_sockperf = pytest.mark.skipif(shutil.which("sockperf") is None, reason="apt-get install sockperf")
needs_cgroup = pytest.mark.skipif(not CGROUP_OK, reason="needs root and a writable cgroup cpu controller")


@pytest.fixture(autouse=True)
def cpu1_alone() -> Iterator[None]:
    """These tests pin to CPU 1 at nice -20: run one at a time, also across xdist workers."""
    with support.cpu1_lock():
        yield


#: Events per run: about 0.38 s of one CPU of the 2-vCPU guest the tests were written on (sysbench cpu at about
#: 4200 events/s), so 0.76 s under the known answers' half-CPU quota. A fixed amount of work, not a fixed time
#: (``--time`` takes whole seconds): a block of the two runs took 2.05 s with 1-s runs, 1.15 s with these.
EVENTS = 1600


class SysbenchCpu:
    name = "cpu"
    title = "sysbench cpu, one thread"
    tools = ("sysbench",)
    metrics = (MetricSpec("events_per_s", "1/s", "higher", main=True),)

    def install_hint(self) -> str:
        return "apt-get install sysbench"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        done = runner.run(["sysbench", "cpu", "--threads=1", "--time=0", f"--events={EVENTS}", "run"], timeout=30)
        match = re.search(r"events per second:\s*([0-9.]+)", done.stdout)
        if done.returncode != 0 or match is None:
            raise ProbeError(f"sysbench failed: {done.stderr[:200]}")
        return {"events_per_s": float(match.group(1))}


class SockperfPingPong:
    """Round trip over UDP ping-pong: server on the peer (or the runner itself), client on the runner.

    Runs overlap as the built-in net probe's do (``start``, ``stagger_s``; docs/measurement.md): sockperf's
    client sleeps 2 s after it starts and then warms up for 0.4 s of its 1-s run before it measures, so the
    next run starts when the previous one begins its run, and one block costs about 2.4 s instead of 6.5 s.
    No session warm-up run either (``warmup``): every run starts a fresh client and server, and sockperf
    drops its own warm-up.
    """

    name = "net"
    title = "sockperf ping-pong"
    tools = ("sockperf",)
    metrics = (MetricSpec("latency_us", "us", "lower", main=True), MetricSpec("p99_us", "us", "lower"))
    warmup = False
    stagger_s = SOCKPERF_SLEEP_S

    def install_hint(self) -> str:
        return "apt-get install sockperf"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        return self.start(runner, budget=budget, peer=peer).finish()

    def start(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> PingPongRun:
        server_side = peer if peer is not None else runner
        address = server_side.address()
        port = str(random.randint(20000, 60000))
        server = server_side.spawn(["sockperf", "server", "-i", address, "-p", port])
        try:
            time.sleep(0.3)
            client = runner.spawn(["sockperf", "ping-pong", "-i", address, "-p", port, "-t", "1"])
        except BaseException:
            server.stop()
            raise
        return PingPongRun(client, server)


class PingPongRun:
    """One ping-pong run under way (:class:`advisor.measure.api.PendingRun`)."""

    def __init__(self, client: Handle, server: Handle) -> None:
        self.client, self.server = client, server

    def finish(self) -> dict[str, float]:
        try:
            done = self.client.wait(30)  # type: ignore[attr-defined]
        finally:
            self.server.stop()
        mean = re.search(r"Latency is ([0-9.]+) usec", done.stdout + done.stderr)
        p99 = re.search(r"percentile 99\.000 =\s*([0-9.]+)", done.stdout + done.stderr)
        if mean is None or p99 is None:
            raise ProbeError(f"sockperf failed: {(done.stdout + done.stderr)[-300:]}")
        return {"latency_us": float(mean.group(1)), "p99_us": float(p99.group(1))}

    def cancel(self) -> None:
        self.client.stop()
        self.server.stop()


#: The CFS period of the known answers' quota target: 20 ms instead of the default 100 ms. A target idle
#: between its runs starts each run with a whole quota in hand at a random phase of the period, so a run of
#: t ms gets 0.5 t plus up to half a period of CPU (a 1-s run under 50 ms / 100 ms reads 0.5 to 0.55, 0.525
#: on average: a bias of the imitation, not of the probe). With 10 ms / 20 ms and the 0.76-s runs of
#: ``EVENTS`` under the quota that is at most +1.3 %, on average +0.7 %; the long-run share (0.5) is the same.
KNOWN_ANSWER_PERIOD_US = 20_000


def _quota_target(name: str) -> LocalRunner:
    return LocalRunner(name, cpus=[1], cpu_quota=0.5, nice=-20, cpu_period_us=KNOWN_ANSWER_PERIOD_US)


def _quota_known_answer(budget_s: float = 30) -> tuple[object, object]:
    metal = LocalRunner("ka-metal", cpus=[1], nice=-20)
    vm = _quota_target("ka-vm")
    try:
        result = run_session({"bare-metal": metal, "vm": vm}, [SysbenchCpu()], budget_s=budget_s, band=0.05)
    finally:
        vm.close()
        metal.close()
    return result, result.probes[0]


def _within_5_percent_or_refused(pr: object, record_property: pytest.RecordProperty, label: str) -> str:
    """The known answer 0.5 within +-5 %, or the verdict refused because the machine was disturbed."""
    from advisor.measure.results import ProbeResult

    assert isinstance(pr, ProbeResult)
    comp = pr.metrics[0].comparison
    assert comp is not None
    record_property(label, f"{comp.ratio} [{comp.ci_low}, {comp.ci_high}] {comp.verdict}; refused: {pr.refused}; "
                           f"{pr.disturbed_blocks} of {pr.rounds} blocks disturbed")
    if pr.refused is not None:
        assert pr.refused.startswith("disturbed:"), pr.refused
        assert comp.verdict == "inconclusive"
        return "refused"
    assert comp.ratio is not None and 0.475 <= comp.ratio <= 0.525, comp
    assert comp.verdict == "slower", comp
    return "measured"


@needs_sysbench
@needs_cgroup
def test_cpu_quota_half_is_slower_by_half_or_refused(record_property: pytest.RecordProperty) -> None:
    result, pr = _quota_known_answer()
    _within_5_percent_or_refused(pr, record_property, "cpu_quota_ratio")
    assert result.targets[1].cgroup is not None and result.targets[1].pinned_cpus == (1,)  # type: ignore[attr-defined]
    assert result.targets[1].origin == "imitation"  # type: ignore[attr-defined]


@needs_sysbench
@needs_cgroup
@pytest.mark.skipif(shutil.which("stress-ng") is None, reason="apt-get install stress-ng")
def test_known_answer_under_an_antagonist_on_the_other_cpu(record_property: pytest.RecordProperty) -> None:
    """A CPU hog on CPU 0 while the known answer runs on CPU 1: within +-5 % of 0.5, or refused as disturbed
    (the hog's CPU time is 'other processes' CPU'; or steal, where the hypervisor under this machine took the CPU
    meanwhile: a full run once refused for steal of up to 0.14 in 12 of 13 blocks), never a wrong verdict."""
    import subprocess

    def idle_class() -> None:
        # the hog takes whatever CPU 0 has left: all of it on an idle machine, only what the other tests leave in
        # the whole suite (scripts/test), where they keep CPU 0 busy meanwhile and a hog at their priority would
        # take a third of it from them for the test's half-minute; CPU 0 is busy either way
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))

    hog = subprocess.Popen(["stress-ng", "--cpu", "1", "--taskset", "0", "-t", "120s"], preexec_fn=idle_class,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(0.5)
        _, pr = _quota_known_answer()
    finally:
        os.killpg(hog.pid, 9)
        hog.wait()
    outcome = _within_5_percent_or_refused(pr, record_property, "antagonist_ratio")
    if outcome == "refused":
        refused = pr.refused  # type: ignore[attr-defined]
        assert refused is not None and ("others_cpu" in refused or "steal" in refused), refused


@needs_sysbench
@needs_cgroup
@pytest.mark.skipif(shutil.which("stress-ng") is None, reason="apt-get install stress-ng")
def test_a_known_answer_disturbed_on_its_own_cpu_is_refused(record_property: pytest.RecordProperty) -> None:
    """A CPU hog on CPU 1, the CPU the known answer runs on, at the targets' own priority (nice -20): both
    targets get about half the CPU, so the ratio over the runs is near 1 instead of 0.5, a wrong answer.
    The hog is not one of the session's processes, so every run is disturbed and the verdict refused."""
    import subprocess

    def high_priority() -> None:  # as the local runner does: the process and its session's autogroup
        os.setpriority(os.PRIO_PROCESS, 0, -20)
        with open("/proc/self/autogroup", "w") as fh:  # noqa: PTH123 - between fork and exec
            fh.write("-20")

    hog = subprocess.Popen(["stress-ng", "--cpu", "1", "--taskset", "1", "-t", "120s"], preexec_fn=high_priority,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(0.5)
        _, pr = _quota_known_answer(budget_s=8)
    finally:
        os.killpg(hog.pid, 9)
        hog.wait()
    comp = pr.metrics[0].comparison  # type: ignore[attr-defined]
    record_property("disturbed_ratio", f"{comp.ratio} [{comp.ci_low}, {comp.ci_high}] {comp.verdict}; "
                                       f"refused: {pr.refused}")  # type: ignore[attr-defined]
    assert pr.refused is not None and pr.refused.startswith("disturbed:"), pr.refused  # type: ignore[attr-defined]
    assert "others_cpu" in pr.refused  # type: ignore[attr-defined]
    assert comp.verdict == "inconclusive", comp


@needs_sysbench
def test_same_target_twice_is_equivalent_or_refused(record_property: pytest.RecordProperty) -> None:
    a = LocalRunner("ka-a", cpus=[1], nice=-20)
    b = LocalRunner("ka-b", cpus=[1], nice=-20)
    try:
        result = run_session({"bare-metal": a, "vm": b}, [SysbenchCpu()], budget_s=30, band=0.05)
    finally:
        a.close()
        b.close()
    pr = result.probes[0]
    comp = pr.metrics[0].comparison
    assert comp is not None
    record_property("self_ratio", f"{comp.ratio} [{comp.ci_low}, {comp.ci_high}] {comp.verdict}; "
                                  f"refused: {pr.refused}")
    assert comp.verdict in ("equivalent", "inconclusive"), comp  # never a false faster/slower
    if pr.refused is None and pr.disturbed_blocks == 0:
        assert comp.verdict == "equivalent", comp


@needs_sockperf
@pytest.mark.skipif(not ROOT or shutil.which("ip") is None, reason="needs root and iproute2")
def test_veth_namespace_vs_loopback(record_property: pytest.RecordProperty) -> None:
    """A veth pair into a namespace vs loopback, same CPU for client and server.

    On this kind of host the answer is "not resolvable": loopback and veth are both
    in-kernel software devices, and the extra hop costs a fraction of a microsecond
    per round trip (measured here on a 2-vCPU KVM guest with ~2.6 us round trips: ratio
    0.94-0.95, CIs [0.87, 1.02] and [0.91, 0.99]: if anything the namespace side was a
    little faster), within the run-to-run noise of ping-pong. So the test accepts either
    a CI above 1 (the veth is measurably slower) or a ratio within noise of 1;
    :func:`test_cross_cpu_server_through_veth_is_slower` shows that a real latency difference
    through the same veth is resolved.
    """
    host = LocalRunner("ka-host", cpus=[1], nice=-20)
    ns = LocalRunner("ka-ns", cpus=[1], nice=-20, netns=True)
    try:
        # no verdict is expected, only a ratio from at least 5 blocks: stop at 5 (the budget is the ceiling of a
        # busy machine, where 20 s left fewer than 5), not at the 20 that an undecided quick session runs to
        result = run_session({"bare-metal": host, "vm": ns}, [SockperfPingPong()], budget_s=60, band=0.05,
                             peers={"vm": host}, allow_disturbed=True, design=Design(looks=(5,)))
    finally:
        ns.close()
        host.close()
    comp = result.probes[0].metrics[0].comparison
    assert comp is not None and comp.ci_low is not None and comp.ci_high is not None and comp.ratio is not None
    record_property("veth_ratio", f"{comp.ratio:.3f} [{comp.ci_low:.3f}, {comp.ci_high:.3f}] {comp.verdict}")
    assert comp.n_bare_metal >= 5 and comp.n_vm >= 5
    if comp.ci_low > 1.0:
        assert comp.verdict in ("slower", "inconclusive")
    else:
        assert 0.75 < comp.ratio < 1.33, comp  # no difference worth a rule: within noise


@needs_sockperf
@pytest.mark.skipif(not ROOT or shutil.which("ip") is None, reason="needs root and iproute2")
def test_cross_cpu_server_through_veth_is_slower(record_property: pytest.RecordProperty) -> None:
    """Client in the namespace on CPU 1, server on the host on CPU 0 (a cross-CPU wake-up per
    message) vs loopback on one CPU: several times slower, the CI far above 1."""
    host = LocalRunner("kx-host", cpus=[1], nice=-20)
    server = LocalRunner("kx-srv", cpus=[0], nice=-20)
    ns = LocalRunner("kx-ns", cpus=[1], nice=-20, netns=True)
    try:
        result = run_session({"bare-metal": host, "vm": ns}, [SockperfPingPong()], budget_s=60, band=0.05,
                             peers={"vm": server}, allow_disturbed=True)
    finally:
        ns.close()
        server.close()
        host.close()
    comp = result.probes[0].metrics[0].comparison
    assert comp is not None and comp.ci_low is not None and comp.ci_high is not None
    record_property("cross_cpu_veth_ratio", f"{comp.ratio:.3f} [{comp.ci_low:.3f}, {comp.ci_high:.3f}]")
    assert comp.ci_low > 1.0 and comp.verdict == "slower", comp
    p99 = result.probes[0].metrics[1].comparison
    assert p99 is not None and p99.ratio is not None and p99.ratio > 1.0


@needs_sysbench
@needs_cgroup
def test_cpu_quota_shows_in_the_p99_of_a_latency_probe(record_property: pytest.RecordProperty) -> None:
    """Quotas show in tails, not only in throughput: CFS throttling stalls an event for the frozen half period.

    The built-in cpu probe records sysbench's per-event latency p99. Under a 0.5 CPU quota an event
    that straddles a throttle waits out the frozen half of the period. The share of events that do is
    about one event per running half period: with ~0.6 ms events and the default 100 ms period that is
    ~1.2 %, so a run's p99 catches the stall only in some runs (run p99s of 0.6 to 50 ms). With a 20 ms
    period it is ~6 % of the events, so every run's p99 is a stalled event: ~10 ms against ~0.6 ms.
    """
    from advisor.measure.manager import load_registry

    cpu = load_registry().probes["cpu"]
    metal = LocalRunner("ka-metal", cpus=[1], nice=-20)
    vm = _quota_target("ka-vm")
    try:
        result = run_session({"bare-metal": metal, "vm": vm}, [cpu], budget_s=25, band=0.05, allow_disturbed=True)
    finally:
        vm.close()
        metal.close()
    p99 = next(m for m in result.probes[0].metrics if m.name == "latency_p99_ms")
    assert p99.comparison is not None and p99.comparison.ratio is not None, p99
    record_property("cpu_p99_ratio", f"{p99.comparison.ratio:.1f} [{p99.comparison.ci_low}, "
                                     f"{p99.comparison.ci_high}]")
    medians = {t: s["median"] for t, s in p99.summary.items()}
    assert p99.comparison.ratio > 5, (p99.comparison, medians)
    stall_ms = KNOWN_ANSWER_PERIOD_US / 2 / 1000
    assert medians["ka-vm"] > 0.6 * stall_ms, medians  # ms: an event held for the frozen half period


@needs_sockperf
@needs_cgroup
def test_net_probe_sees_a_quota_in_the_mean_and_the_tail(record_property: pytest.RecordProperty) -> None:
    """The built-in net probe is open loop and times each request from its intended send time: a 0.5
    CPU quota freezes client and server for half of every 100 ms period, and every request due while
    the target is frozen waits for it, so the mean and the p99 come out `slower` by far, decided at the
    first planned look (sockperf's own summary, timed from the late sends, hid it: coordinated omission).
    Other work on CPU 1 (another test suite pinned there) makes the comparison meaningless: then the
    verdicts must be refused as disturbed, never wrong."""
    from advisor.measure.probes import NetProbe

    metal = LocalRunner("ka-metal", cpus=[1], nice=-20)
    vm = LocalRunner("ka-vm", cpus=[1], cpu_quota=0.5, nice=-20)
    try:
        result = run_session({"bare-metal": metal, "vm": vm}, [NetProbe()], budget_s=60)
    finally:
        vm.close()
        metal.close()
    pr = result.probes[0]
    metrics = {m.name: m.comparison for m in pr.metrics}
    record_property("net_quota", {k: (c.ratio, c.ci_low, c.verdict, c.n_vm) for k, c in metrics.items() if c})
    record_property("net_quota_elapsed_s", result.elapsed_s)
    record_property("net_quota_disturbed", f"{pr.disturbed_blocks} of {pr.rounds} blocks; refused: {pr.refused}")
    assert pr.paths == {"ka-metal": "loopback", "ka-vm": "loopback"}
    mean, p99 = metrics["avg_us"], metrics["p99_us"]
    assert mean is not None and p99 is not None
    if pr.refused is not None:
        assert pr.refused.startswith("disturbed:"), pr.refused
        assert mean.verdict == p99.verdict == "inconclusive"
        return
    for comp in (mean, p99):
        assert comp.verdict == "slower", comp
    runs = [r for r in result.runs if r.probe == "net" and not r.warmup]
    assert runs and all(r.values["co_corrected"] == 1.0 for r in runs)
    # the stall is in the requests that were due, not in those sockperf managed to send on time
    vm_runs = [r for r in runs if r.role == "vm"]
    assert all(r.values["avg_us"] > 3 * r.values["uncorrected_avg_us"] for r in vm_runs), vm_runs
