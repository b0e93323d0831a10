"""The measurement loop: interleaved runs, sequential stopping, budget, Ctrl-C.

For each probe in turn, the session runs it once on the bare-metal target, then once
on the VM target, and repeats (A B A B ...), so slow drifts of the host hit both
alike. After every round from ``min_runs`` on, it compares the main metric
(:func:`advisor.measure.stats.compare`) and stops that probe as soon as the verdict
is decided (equivalent, faster or slower). A probe gets an equal share of what is left
of the time budget; when its share is used up its verdict stays ``inconclusive``.

With one target the session measures absolute figures only (no verdicts).

Ctrl-C (KeyboardInterrupt, also raised for SIGTERM by the CLI) stops the loop: the
result keeps the finished runs and says ``interrupted``. The session does not own
the runners: the caller closes them (in a ``finally``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from advisor._version import __version__
from advisor.errors import AdvisorError
from advisor.measure import stats
from advisor.measure.api import Budget, MetricSpec, Placement, Probe, Role, Runner, main_metric
from advisor.measure.results import ComparisonRecord, MeasurementResult, MetricResult, ProbeResult, RunRecord

__all__ = ["DEFAULT_BUDGET_S", "Progress", "run_session"]

#: Default time budget of a whole session, per suite (seconds).
DEFAULT_BUDGET_S: dict[str, float] = {"quick": 120.0, "full": 900.0}
ROLES: tuple[Role, Role] = ("bare-metal", "vm")


@dataclass(frozen=True)
class Progress:
    """What the session is doing: shown by the CLI as one line on stderr."""

    probe: str
    target: str
    role: Role
    run: int
    elapsed: float
    remaining: float
    message: str = ""


def _record(c: stats.Comparison) -> ComparisonRecord:
    def fin(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return ComparisonRecord(ratio=fin(c.ratio), ci_low=fin(c.ci_low), ci_high=fin(c.ci_high), verdict=c.verdict,
                            n_bare_metal=c.n_bare_metal, n_vm=c.n_vm, method=c.method, note=c.note)


def _with_versions(placement: Placement, runner: Runner, probes: Sequence[Probe]) -> Placement:
    versions = dict(placement.tool_versions)
    for probe in probes:
        for tool in probe.tools:
            if tool not in versions:
                try:
                    v = runner.tool_version(tool)
                except AdvisorError:
                    v = None
                if v is not None:
                    versions[tool] = v
    return dataclasses.replace(placement, tool_versions=versions)


def run_session(
    targets: Mapping[Role, Runner],
    probes: Sequence[Probe],
    budget_s: float,
    band: float = stats.DEFAULT_BAND,
    on_progress: Callable[[Progress], None] | None = None,
    *,
    suite: Budget = "quick",
    peers: Mapping[Role, Runner | None] | None = None,
    min_runs: int = 3,
    max_runs: int = 100,
    method: stats.Method = "welch",
    plugins: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> MeasurementResult:
    """Measure ``probes`` on one or two targets and compare them; never raises KeyboardInterrupt.

    ``targets`` maps a role to its runner (one entry: absolute figures only).
    ``peers`` gives, per role, the runner that hosts the servers of two-host probes
    (``peer`` of :meth:`Probe.run`). ``plugins`` maps probe name -> plugin name (for
    the record).
    """
    if not targets:
        raise ValueError("run_session needs at least one target")
    roles = [r for r in ROLES if r in targets]
    start = clock()
    created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    result = MeasurementResult(advisor_version=__version__, created=created, suite=suite, budget_s=budget_s,
                               band=band, method=method, min_runs=min_runs)
    try:
        for role in roles:
            placement = _with_versions(targets[role].placement(role), targets[role], probes)
            result.targets.append(placement)
        for i, probe in enumerate(probes):
            remaining_total = budget_s - (clock() - start)
            share = max(0.0, remaining_total) / (len(probes) - i)
            pr = _run_probe(probe, targets, roles, peers or {}, result, share=share, band=band, suite=suite,
                            min_runs=min_runs, max_runs=max_runs, method=method, start=start, clock=clock,
                            budget_end=start + budget_s, on_progress=on_progress)
            if plugins and probe.name in plugins:
                pr.plugin = plugins[probe.name]
            result.probes.append(pr)
            if pr.stopped == "interrupted":
                result.interrupted = True
                break
    except KeyboardInterrupt:
        result.interrupted = True
    result.elapsed_s = round(clock() - start, 3)
    if result.interrupted:
        result.notes.append("interrupted: the result holds the runs finished before the interruption")
    return result


def _run_probe(probe: Probe, targets: Mapping[Role, Runner], roles: Sequence[Role],
               peers: Mapping[Role, Runner | None], result: MeasurementResult, *, share: float, band: float,
               suite: Budget, min_runs: int, max_runs: int, method: stats.Method, start: float,
               clock: Callable[[], float], budget_end: float,
               on_progress: Callable[[Progress], None] | None) -> ProbeResult:
    specs = list(probe.metrics)
    pr = ProbeResult(name=probe.name, title=probe.title, stopped="budget",
                     metrics=[MetricResult(name=m.name, unit=m.unit, better=m.better, main=m.main,
                                           description=m.description) for m in specs])
    try:
        main = main_metric(probe)
    except AdvisorError as exc:
        pr.stopped, pr.error = "error", exc.first.message
        return pr
    for role in roles:
        missing = [t for t in probe.tools if not targets[role].which(t)]
        if missing:
            pr.stopped = "skipped"
            pr.error = f"{', '.join(missing)} missing on target {targets[role].name!r}; {probe.install_hint()}"
            return pr
    samples: dict[Role, dict[str, list[float]]] = {r: {m.name: [] for m in specs} for r in roles}
    probe_start = clock()
    deadline = probe_start + share
    round_times: list[float] = []
    try:
        while True:
            round_start = clock()
            for role in roles:
                runner = targets[role]
                n = len(samples[role][main.name]) + 1
                if on_progress is not None:
                    on_progress(Progress(probe.name, runner.name, role, n, clock() - start,
                                         max(0.0, budget_end - clock())))
                t0 = clock()
                try:
                    values = probe.run(runner, budget=suite, peer=peers.get(role))
                except AdvisorError as exc:
                    result.runs.append(RunRecord(probe=probe.name, target=runner.name, role=role, index=n,
                                                 started=round(t0 - start, 3), elapsed=round(clock() - t0, 3),
                                                 error=exc.first.format()))
                    pr.stopped, pr.error = "error", exc.first.format()
                    return pr
                clean = {k: float(v) for k, v in values.items() if isinstance(v, (int, float))}
                result.runs.append(RunRecord(probe=probe.name, target=runner.name, role=role, index=n,
                                             started=round(t0 - start, 3), elapsed=round(clock() - t0, 3),
                                             values=clean))
                for m in specs:
                    if m.name in clean:
                        samples[role][m.name].append(clean[m.name])
            pr.rounds += 1
            round_times.append(clock() - round_start)
            if pr.rounds >= min_runs and _decided(samples, roles, main, band, method, min_runs, probe.name):
                pr.stopped = "decided" if len(roles) == 2 else "single"
                break
            if pr.rounds >= max_runs:
                pr.stopped = "max-runs"
                break
            expected = statistics.fmean(round_times[-3:])
            if pr.rounds >= min_runs and clock() + expected > deadline:
                pr.stopped = "budget" if len(roles) == 2 else "single"
                break
    except KeyboardInterrupt:
        pr.stopped = "interrupted"
    finally:
        _fill(pr, specs, samples, roles, targets, band, method, min_runs, probe.name)
    return pr


def _decided(samples: Mapping[Role, Mapping[str, list[float]]], roles: Sequence[Role], main: MetricSpec,
             band: float, method: stats.Method, min_runs: int, label: str) -> bool:
    if len(roles) == 2:
        comp = stats.compare(samples["bare-metal"][main.name], samples["vm"][main.name], better=main.better,
                             band=band, method=method, min_runs=min_runs, label=f"{label}.{main.name}")
        return comp.verdict != "inconclusive"
    values = samples[roles[0]][main.name]
    if len(values) < 2 or any(v <= 0 for v in values):
        return len(values) >= min_runs
    logs = [math.log(v) for v in values]
    half = stats.student_t_ppf(0.975, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return math.exp(half) - 1.0 <= band  # the mean is known to within the band


def _fill(pr: ProbeResult, specs: Sequence[MetricSpec], samples: Mapping[Role, Mapping[str, list[float]]],
          roles: Sequence[Role], targets: Mapping[Role, Runner], band: float, method: stats.Method,
          min_runs: int, label: str) -> None:
    for mr, spec in zip(pr.metrics, specs, strict=True):
        for role in roles:
            mr.summary[targets[role].name] = stats.summarize(samples[role][spec.name])
        if len(roles) == 2:
            comp = stats.compare(samples["bare-metal"][spec.name], samples["vm"][spec.name], better=spec.better,
                                 band=band, method=method, min_runs=min_runs, label=f"{label}.{spec.name}")
            mr.comparison = _record(comp)
