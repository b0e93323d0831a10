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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from advisor.errors import MeasurementError

__all__ = [
    "Budget",
    "Completed",
    "Handle",
    "MetricSpec",
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

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        """Run once on ``runner``; ``peer`` is the other target for two-host probes (server there)."""
        ...


class ProbeError(MeasurementError):
    """A probe could not run or its tool's output could not be understood."""


class ProbeTimeout(ProbeError):
    """A command exceeded its timeout; its process group was killed."""


def main_metric(probe: Probe) -> MetricSpec:
    """The probe's main metric (the first one marked ``main``, else the first)."""
    for metric in probe.metrics:
        if metric.main:
            return metric
    if not probe.metrics:
        raise ProbeError(f"probe {probe.name!r} declares no metrics", "declare at least one MetricSpec")
    return probe.metrics[0]
