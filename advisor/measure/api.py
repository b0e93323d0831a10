"""The measurement API: what probes, runners and plugins implement.

A *runner* executes commands on one measurement target (this host, a cgroup/netns
sandbox on it, an SSH host, a Kubernetes pod). A *probe* runs one benchmark once on
a runner and returns one summary figure per metric. The session
(:mod:`advisor.measure.session`) repeats probe runs on two targets, interleaved, and
compares them statistically (:mod:`advisor.measure.stats`).

Third-party plugins provide probes and runners through the pluggy hooks in
:mod:`advisor.measure.hookspecs`. Everything here is stable API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from advisor.errors import MeasurementError

__all__ = [
    "Budget",
    "Completed",
    "Handle",
    "MetricSpec",
    "PendingRun",
    "Placement",
    "Probe",
    "ProbeError",
    "ProbeTimeout",
    "Role",
    "Runner",
]

#: The role of a target: the session computes ratios VM / bare-metal.
Role = Literal["bare-metal", "vm"]
#: The probe suite size: ``quick`` runs short probe runs, ``full`` longer ones.
Budget = Literal["quick", "full"]


@dataclass(frozen=True)
class MetricSpec:
    """One figure a probe reports per run.

    ``better`` says which direction is good ("higher" for throughput, "lower" for
    latency); ``main`` marks the probe's main figure, the one behind
    ``measured.<probe>.ratio``.
    """

    name: str
    unit: str
    better: Literal["higher", "lower"]
    main: bool = False
    description: str = ""
    #: Equivalence band of the ratio (0.05: 95-105 %), the default when the caller passes none.
    band: float = 0.05
    #: Quantisation step of one run's figure, in ``unit`` (e.g. 1 for a 1-us histogram): the
    #: floor of the standard error (see :mod:`advisor.measure.stats`).
    resolution: float = 0.0
    #: Whether the metric's verdict counts for the decision (and for multiplicity control);
    #: the main metric always does. Other metrics are descriptive.
    decision: bool = False


@dataclass(frozen=True)
class Completed:
    """A finished process: its argv, exit status, output and wall time in seconds."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float


@dataclass(frozen=True)
class Placement:
    """Where a target's runs ran: recorded in the result file next to the samples."""

    target: str
    role: Role
    runner: str
    hostname: str
    cpu_model: str
    cpus_online: int
    kernel: str
    #: "none" or the hypervisor ("kvm", "vmware", ...).
    virtualization: str
    pinned_cpus: tuple[int, ...] | None = None
    #: e.g. "v1 cpu quota 0.5" or "v2 cpu.max 50000 100000"; None when not confined.
    cgroup: str | None = None
    netns: str | None = None
    tool_versions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    #: "real" (the platform itself) or "imitation" (e.g. a local target confined by a quota,
    #: pinning or a network namespace to look like another platform).
    origin: Literal["real", "imitation"] = "real"
    #: Why the target is an imitation (empty when real).
    origin_reason: str = ""
    #: Settings that change performance besides the platform: governor, turbo, smt, thp,
    #: mitigations, hugepages, steal (see :mod:`advisor.measure.confounders`).
    confounders: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Handle(Protocol):
    """A spawned background process (a server, an antagonist)."""

    def stop(self) -> Completed:
        """Kill the process group (SIGTERM, then SIGKILL) and return its output."""
        ...


@runtime_checkable
class Runner(Protocol):
    """Runs commands on one measurement target.

    Every command is an argv list, never a shell string. Every child is started in
    its own process group; on timeout the whole group is killed and
    :class:`ProbeTimeout` raised. :meth:`close` is idempotent and removes everything
    the runner created (processes, cgroups, network namespaces, pods).
    """

    name: str
    kind: str  # "local" | "ssh" | "kubernetes" | a plugin's kind

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        cpus: Sequence[int] | None = None,
        stdin: str | None = None,
    ) -> Completed:
        """Run ``argv`` to completion (``cpus`` overrides the target's pinning)."""
        ...

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> Handle:
        """Start ``argv`` in the background; stop it with :meth:`Handle.stop`."""
        ...

    def which(self, tool: str) -> bool:
        """Whether ``tool`` is on the target's PATH."""
        ...

    def tool_version(self, tool: str) -> str | None:
        """The tool's version string, or None when unknown or not installed."""
        ...

    def address(self) -> str:
        """Where a server spawned by this runner listens, reachable from the session's other runners."""
        ...

    def placement(self, role: Role) -> Placement:
        """Describe the target (hardware, kernel, virtualization, confinement)."""
        ...

    def close(self) -> None:
        """Kill every process started, remove cgroups and namespaces; idempotent."""
        ...


@runtime_checkable
class Probe(Protocol):
    """One benchmark. :meth:`run` performs ONE run and returns one summary per metric."""

    name: str
    title: str
    tools: tuple[str, ...]
    metrics: tuple[MetricSpec, ...]

    def install_hint(self) -> str:
        """How to install the tools, e.g. ``apt-get install sysbench``."""
        ...

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> Mapping[str, float | str]:
        """Run once on ``runner``; ``peer`` is the other target for two-host probes (server there).

        Numbers are the run's figures (its metrics and recorded values); strings say what the
        run ran on as the probe saw it (the disk probe: device and file system), kept with the
        run as its ``context``."""
        ...


@runtime_checkable
class PendingRun(Protocol):
    """A probe run started in the background (optional, see :func:`stagger`).

    A probe whose tool idles before it measures (sockperf sleeps 2 s after connecting)
    may declare ``stagger_s`` and a method ``start(runner, *, budget, peer) -> PendingRun | None``
    besides :meth:`Probe.run`: the session then starts the next run ``stagger_s`` after
    the previous one, while the previous one is in the part of its run the tool itself
    discards, so the idle seconds of one run pass while the other measures, and no two
    runs measure at the same time. ``start`` returns None when the runner cannot wait
    for a background process; the session then calls :meth:`Probe.run`.
    """

    def finish(self) -> Mapping[str, float | str]:
        """Wait for the run to end by itself and return its figures, as :meth:`Probe.run` does."""
        ...

    def cancel(self) -> None:
        """Stop the run's processes; its figures are not wanted."""
        ...


class ProbeError(MeasurementError):
    """A probe could not run or its tool's output could not be understood."""


class ProbeTimeout(ProbeError):
    """A command exceeded its timeout; its process group was killed."""


def decision_metrics(probe: Probe) -> list[MetricSpec]:
    """The metrics whose verdicts count: the main one and those marked ``decision``."""
    main = main_metric(probe)
    return [m for m in probe.metrics if m is main or m.decision]


def stagger(probe: Probe, suite: Budget = "quick") -> float | None:
    """Seconds after which a probe's next run may start while the previous one still runs (see
    :class:`PendingRun`), or None when its runs must not overlap. ``stagger_s`` is a number, or a mapping
    from the suite (``quick``, ``full``) to one: a suite it does not name runs one run after another (a
    run longer than the tool's idle start has no part the next run's start could fall in unmeasured)."""
    value = getattr(probe, "stagger_s", None)
    if isinstance(value, Mapping):
        value = value.get(suite)
    if value is None or not callable(getattr(probe, "start", None)):
        return None
    return float(value)


def plausible_range(probe: Probe) -> tuple[float, float] | None:
    """The ratio range the probe declares physically plausible for its main metric (optional attribute)."""
    value = getattr(probe, "plausible", None)
    if value is None:
        return None
    low, high = value
    return float(low), float(high)


def main_metric(probe: Probe) -> MetricSpec:
    """The probe's main metric (the first one marked ``main``, else the first)."""
    for metric in probe.metrics:
        if metric.main:
            return metric
    if not probe.metrics:
        raise ProbeError(f"probe {probe.name!r} declares no metrics", "declare at least one MetricSpec")
    return probe.metrics[0]
