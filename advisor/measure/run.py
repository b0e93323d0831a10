"""Run a measurement session on targets from a targets file, with the runners' lifecycle.

The one place that creates runners for a session and always closes them: on success,
on errors, on Ctrl-C and on SIGTERM/SIGHUP (turned into KeyboardInterrupt while
measuring), so no benchmark process, cgroup or network namespace outlives the
command. Used by ``advisor measure`` and by ``advisor assess`` when it measures.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FrameType

from advisor.errors import Interrupted
from advisor.measure import replication
from advisor.measure.api import Budget, Probe, Role, Runner
from advisor.measure.manager import Registry
from advisor.measure.results import MeasurementResult
from advisor.measure.session import ROLES, Progress, run_session
from advisor.measure.targets import TargetSpec, host_pairs

__all__ = ["run_targets"]


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGHUP) behave like Ctrl-C while measuring, so cleanup runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def _no_interrupts() -> Iterator[None]:
    """Let cleanup finish even if Ctrl-C is pressed again."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_targets(registry: Registry, specs: Sequence[TargetSpec], probes: Sequence[Probe], *, budget_s: float,
                band: float | None, suite: Budget, on_progress: Callable[[Progress], None] | None = None,
                bands: Mapping[str, float] | None = None, allow_disturbed: bool = False,
                accept_imitation: bool = False, seed: int | None = None,
                slo_us: float | None = None) -> MeasurementResult:
    """Create a runner per target, measure ``probes`` on the bare-metal and vm targets, close every runner.

    Several bare-metal and vm targets are compared in host pairs (file order), a session per pair with an
    equal share of the budget, and combined with the host as the unit (:mod:`advisor.measure.replication`);
    a single pair's result says that it rests on one host per arm.

    An interruption before the first finished run raises :class:`Interrupted`; later
    ones return the partial result (``interrupted`` set) so the finished runs are kept.
    Runners with a ``preflight(tools)`` method (SSH, Kubernetes) check the probes' tools
    first: a missing tool is a MeasurementError naming the host and the install command.
    """
    runners: dict[str, Runner] = {}
    try:
        with _terminate_as_interrupt():
            try:
                for spec in specs:
                    runners[spec.name] = registry.make_runner(spec)
                for spec in specs:  # a runner that can place its target beside another's (a pod on its node)
                    beside = getattr(runners[spec.sibling], "beside", None) if spec.sibling else None
                    if callable(beside):
                        beside(runners[spec.name])
                # remote runners check every tool the probes need up front and name the host and
                # the install command, instead of failing probe by probe
                tools = list(dict.fromkeys(t for probe in probes for t in probe.tools))
                for runner in runners.values():
                    preflight = getattr(runner, "preflight", None)
                    if callable(preflight):
                        preflight(tools)
                pairs = host_pairs(specs)
                results: list[MeasurementResult] = []
                for i, pair in enumerate(pairs):
                    # every host pair gets an equal share of what is left of the budget
                    share = (budget_s - sum(r.elapsed_s for r in results)) / (len(pairs) - i)
                    roles: list[tuple[Role, TargetSpec]] = [(r, s) for s in pair for r in ROLES if s.role == r]
                    result = run_session({r: runners[s.name] for r, s in roles}, probes, max(0.0, share), band,
                                         on_progress, suite=suite, bands=bands, allow_disturbed=allow_disturbed,
                                         peers={r: runners[s.peer] for r, s in roles if s.peer},
                                         siblings={r: runners[s.sibling] for r, s in roles if s.sibling},
                                         seed=seed if seed is None else seed + i, plugins=registry.probe_plugin,
                                         slo_us=slo_us)
                    results.append(result)
                    if result.interrupted:
                        break
                result = replication.combine(results, [(p[0].name, p[-1].name) for p in pairs[:len(results)]])
                if len(pairs) == 1 and result.comparison:
                    result.notes.append(replication.SINGLE_HOST_NOTE)
                result.accept_imitation = accept_imitation
                return result
            except KeyboardInterrupt:
                raise Interrupted("interrupted before any run finished; nothing was written",
                                  "cgroups, namespaces and child processes were removed") from None
    finally:
        with _no_interrupts():
            for runner in runners.values():
                runner.close()
