"""``net``: TCP request/response latency at a fixed request rate (open loop) with sockperf under-load."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping
from typing import ClassVar

from advisor.measure.api import Budget, Completed, Handle, MetricSpec, ProbeError, Runner
from advisor.measure.probes._common import excerpt, require_tools, seconds
from advisor.measure.probes.latency_parsers import SockperfResult, parse_sockperf, parse_sockperf_log

__all__ = ["NetProbe", "NetRun"]

#: Ports tried for the server (a random one each attempt; a busy one is retried).
PORTS = (20000, 59999)
#: How long the client retries while the freshly spawned server is not yet listening.
CONNECT_WAIT = 5.0
#: Requests per second: fixed, whatever the replies do (open loop).
RATE = 2000
#: sockperf's client sleeps this long after connecting, before it sends (a fixed ``sleep(2)``).
SOCKPERF_SLEEP_S = 2.0
#: How often a freshly spawned server is checked for its listening socket.
LISTEN_POLL_S = 0.02


class NetProbe:
    """Server ``sockperf server --tcp -i BIND -p PORT`` on the peer (or on this target:
    loopback, when there is no peer); client ``sockperf under-load --tcp -i ADDR -p PORT
    -t T --mps=2000 --reply-every=1 --full-rtt --full-log=/dev/stdout`` here.

    *Open loop*: the client sends 2000 requests per second on a fixed schedule and the
    server answers each one. sockperf logs every request's send and receive time
    (``--full-log``), and the run's figures are computed from the whole distribution,
    each round trip measured from the request's **intended** send time on the schedule
    (:func:`~advisor.measure.probes.latency_parsers.parse_sockperf_log`): when the target stalls
    (a CPU quota, a descheduled vCPU), the requests due during the stall wait for it, as
    requests of real clients would, instead of being sent late and timed from then
    (coordinated omission: a client in a stalled target is stalled too, and sockperf's
    own summary then sees the stall only in the one request that was in flight). The
    run's mean, p50, p99 and p99.9 are its summaries; the p50 is the main figure: timed
    from the schedule it moves with every stall that holds up half the requests (a CPU
    quota's frozen half period), yet from some 1100 round trips per run it is stable
    from run to run, where the mean of one run is dominated by its few longest stalls.
    The p99 is the tail the decision needs. sockperf's own
    uncorrected mean and p99 are recorded with the run.

    A sockperf without ``--full-log`` gives its own summary (recorded as
    ``co_corrected: 0``). Without ``--full-rtt`` (older sockperf) that summary is one-way
    latency, i.e. RTT / 2: the parser doubles those figures, so the metrics are always
    round trips. With a peer the server binds the wildcard address (the peer's reachable
    address may be a NAT or service address not assigned on the peer itself).
    """

    name = "net"
    title = "TCP request/response latency at 2000 requests/s (sockperf under-load, open loop)"
    tools: tuple[str, ...] = ("sockperf",)
    #: A two-host probe: client here, server on the peer; both targets must use the same kind of path.
    two_host = True
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("p50_us", "us", "lower", main=True, band=0.20,
                   description="median TCP round trip at a fixed request rate, timed from the intended send"),
        MetricSpec("p99_us", "us", "lower", band=0.30, decision=True,
                   description="99th percentile of the TCP round trip at a fixed request rate"),
        MetricSpec("avg_us", "us", "lower", band=0.20, description="mean TCP round trip"),
        MetricSpec("p999_us", "us", "lower", band=0.50, description="99.9th percentile of the TCP round trip"),
    )
    #: Bands from the decision (:func:`advisor.measure.verdicts.slo_band`): with a p99 SLO, a round-trip
    #: change matters when it moves a request by 5 % of the SLO; a request crosses the network 4 times (the
    #: mode of the consequence ``vm-network-path``). Without an SLO each metric keeps its default band.
    slo_metrics: tuple[str, ...] = ("p50_us", "p99_us", "avg_us", "p999_us")
    round_trips = 4
    #: No session warm-up run: every run starts a fresh client and server, and sockperf sends its own
    #: warm-up messages and drops the first 400 ms before it measures (a warm-up run would cost 3.5 s).
    warmup = False
    #: Round-trip ratios (VM / bare metal) two comparable paths can give. Timed from the intended send
    #: time, a target that stalls for part of each scheduling period (a CPU quota of 100 ms periods,
    #: a descheduled vCPU) makes the requests due meanwhile wait up to the stall: tens of milliseconds
    #: on round trips of tens of microseconds, ratios of some hundreds.
    plausible = (0.2, 5000.0)
    #: Recorded with each run, not compared: 1 when sockperf printed round trips (--full-rtt), 0 when it
    #: printed one-way latencies that were doubled; 1 when the figures are timed from the intended send
    #: time (--full-log), 0 for sockperf's own summary; sockperf's uncorrected mean and p99; the number of
    #: observations, of requests sent late (> 1 ms behind the schedule) and of lost messages.
    recorded: tuple[str, ...] = ("full_rtt", "co_corrected", "uncorrected_avg_us", "uncorrected_p99_us",
                                 "observations", "late", "dropped")
    #: Whole seconds per run (sockperf's -t is an integer; it spends 0.4 s of it warming up).
    durations = {"quick": 1, "full": 10}
    #: Runs overlap (:class:`~advisor.measure.api.PendingRun`) in the quick suite: the next run starts when
    #: the previous one ends its 2-s sleep and begins sockperf's own 0.4-s warm-up, whose requests are not
    #: counted. The new client's start (exec, connect, its warm-up messages) falls in that discarded part, and
    #: it sleeps while the previous one measures (1 s with -t 1) and exits, so no two runs measure at the same
    #: time. Not in the full suite: a 10-s run measures for 9.6 s, and a run started 2 s after it would measure
    #: beside it (every run was marked overlapped and its block dropped), so those runs follow one another.
    stagger_s: ClassVar[Mapping[Budget, float]] = {"quick": SOCKPERF_SLEEP_S}

    def __init__(self) -> None:
        self._options: dict[int, tuple[bool, bool]] = {}
        self._waitable: dict[int, bool] = {}

    def install_hint(self) -> str:
        return "apt-get install sockperf (Debian/Ubuntu) or dnf install sockperf, on both targets"

    def client_command(self, address: str, port: int, t: int, full_rtt: bool, full_log: bool = False) -> list[str]:
        argv = ["sockperf", "under-load", "--tcp", "-i", address, "-p", str(port), "-t", str(t), f"--mps={RATE}",
                "--reply-every=1"]
        if full_rtt:
            argv.append("--full-rtt")
        if full_log:
            argv.append("--full-log=/dev/stdout")
        return argv

    @staticmethod
    def server_command(bind: str, port: int) -> list[str]:
        return ["sockperf", "server", "--tcp", "-i", bind, "-p", str(port)]

    def client_options(self, runner: Runner) -> tuple[bool, bool]:
        """Whether the target's sockperf has ``--full-rtt`` and ``--full-log`` (asked once per runner)."""
        key = id(runner)
        if key not in self._options:
            done = runner.run(["sockperf", "under-load", "--help"], timeout=30)
            text = done.stdout + done.stderr
            self._options[key] = ("--full-rtt" in text, "--full-log" in text)
        return self._options[key]

    def _endpoints(self, runner: Runner, peer: Runner | None) -> tuple[Runner, str, str]:
        """The server's runner, the address the client connects to and the address the server binds."""
        require_tools(runner, self.tools, self.install_hint())
        if peer is None:
            return runner, "127.0.0.1", "127.0.0.1"
        require_tools(peer, self.tools, self.install_hint())
        address = peer.address()
        return peer, address, "::" if ":" in address else "0.0.0.0"

    def _client(self, runner: Runner, argv: list[str], timeout: float) -> tuple[SockperfResult, str] | None:
        """The client's summary and output; None while the server refuses connections for CONNECT_WAIT s."""
        deadline = time.monotonic() + CONNECT_WAIT
        while True:
            done = runner.run(argv, timeout=timeout)
            text = done.stdout + "\n" + done.stderr
            if "Connection refused" not in text and "errno=111" not in text:
                if done.returncode != 0 and "avg-" not in text:
                    raise ProbeError(f"sockperf client exited with status {done.returncode}: {excerpt(text)}", None)
                return parse_sockperf(text), text
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        server_runner, address, bind = self._endpoints(runner, peer)
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        full_rtt, full_log = self.client_options(runner)
        server_out: Completed | None = None
        for _ in range(3):
            port = random.randint(*PORTS)
            handle = server_runner.spawn(self.server_command(bind, port))
            try:
                got = self._client(runner, self.client_command(address, port, t, full_rtt, full_log), t * 3 + 30)
            finally:
                server_out = handle.stop()
            if got is not None:
                return self._figures(*got)
            if "Address already in use" not in server_out.stdout + server_out.stderr:
                break
        said = excerpt(server_out.stdout + "\n" + server_out.stderr) if server_out else "(nothing)"
        raise ProbeError(f"the sockperf server at {address} refused connections",
                         f"check that TCP ports {PORTS[0]}-{PORTS[1]} are open between the targets; "
                         f"server said: {said}")

    def start(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> NetRun | None:
        """Start a run in the background: the server, once it listens, then the client (which sleeps 2 s
        before it sends). None when the client's runner cannot wait for a background process."""
        if not self._waitable.get(id(runner), True):
            return None
        server_runner, address, bind = self._endpoints(runner, peer)
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        full_rtt, full_log = self.client_options(runner)
        server = self._listening_server(server_runner, bind)
        try:
            client = runner.spawn(self.client_command(address, server[1], t, full_rtt, full_log))
        except BaseException:
            server[0].stop()
            raise
        if not callable(getattr(client, "wait", None)):
            self._waitable[id(runner)] = False
            client.stop()
            server[0].stop()
            return None
        return NetRun(client, server[0], t * 3 + 30)

    def _listening_server(self, server_runner: Runner, bind: str) -> tuple[Handle, int]:
        """A server spawned on a free port and listening (its socket seen in /proc/net/tcp*)."""
        said = ""
        for _ in range(3):
            port = random.randint(*PORTS)
            handle = server_runner.spawn(self.server_command(bind, port))
            listening = re.compile(rf":{port:04X} [0-9A-F]+:0000 0A ")
            deadline = time.monotonic() + CONNECT_WAIT
            while time.monotonic() < deadline:
                done = server_runner.run(["cat", "/proc/net/tcp", "/proc/net/tcp6"], timeout=30)
                if listening.search(done.stdout):
                    return handle, port
                time.sleep(LISTEN_POLL_S)
            out = handle.stop()
            said = out.stdout + "\n" + out.stderr
            if "Address already in use" not in said:
                break
        raise ProbeError("the sockperf server did not listen", f"server said: {excerpt(said)}")

    @staticmethod
    def _figures(summary: SockperfResult, text: str) -> dict[str, float]:
        """The run's figures: from the full log (timed from the intended send) when there is one."""
        values = {"avg_us": summary.avg_us, "p99_us": summary.p99_us, "p50_us": summary.p50_us,
                  "full_rtt": float(summary.full_rtt), "co_corrected": 0.0,
                  "observations": float(summary.observations), "dropped": float(summary.dropped)}
        if summary.p999_us is not None:
            values["p999_us"] = summary.p999_us
        log = parse_sockperf_log(text, RATE)
        if log is not None:
            values.update(avg_us=log.avg_us, p50_us=log.p50_us, p99_us=log.p99_us, p999_us=log.p999_us,
                          co_corrected=1.0, uncorrected_avg_us=summary.avg_us, uncorrected_p99_us=summary.p99_us,
                          observations=float(log.observations), late=float(log.late))
        return values


class NetRun:
    """A net run under way: its client and server (see :meth:`NetProbe.start`)."""

    def __init__(self, client: Handle, server: Handle, timeout: float) -> None:
        self.client = client
        self.server = server
        self.timeout = timeout

    def finish(self) -> dict[str, float]:
        try:
            done: Completed = self.client.wait(self.timeout)  # type: ignore[attr-defined]
        finally:
            self.server.stop()
        text = done.stdout + "\n" + done.stderr
        if done.returncode != 0 and "avg-" not in text:
            raise ProbeError(f"sockperf client exited with status {done.returncode}: {excerpt(text)}", None)
        return NetProbe._figures(parse_sockperf(text), text)

    def cancel(self) -> None:
        self.client.stop()
        self.server.stop()
