"""Verdicts of a session's probes: bands, looks, the filled-in result, refusals.

The session (:mod:`advisor.measure.session`) runs the blocks; this module turns their
samples into comparisons at the planned looks (:func:`look`), fills the probe's result
when it stops (:func:`fill`: figures per target, the kept or latest comparison of each
metric) and withholds the verdicts of a disturbed or implausible probe
(:func:`refuse`).
"""

from __future__ import annotations

import dataclasses
import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.measure import disturbance, stats
from advisor.measure.api import Budget, MetricSpec, Probe, Role, Runner, decision_metrics, plausible_range
from advisor.measure.results import ComparisonRecord, MeasurementResult, MetricResult, ProbeResult

if TYPE_CHECKING:
    from advisor.measure.session import Progress

__all__ = ["Ctx", "fill", "look", "metric_band", "new_probe_result", "precise", "record"]


@dataclass
class Ctx:
    targets: Mapping[Role, Runner]
    roles: Sequence[Role]
    peers: Mapping[Role, Runner | None]
    samplers: Mapping[Role, disturbance.Sampler]
    result: MeasurementResult
    suite: Budget
    design: stats.Design
    m: int
    band: float | None
    bands: Mapping[str, float] | None
    allow_disturbed: bool
    rng: random.Random
    start: float
    budget_end: float
    clock: Callable[[], float]
    on_progress: Callable[[Progress], None] | None


def _fin(x: float) -> float | None:
    return x if math.isfinite(x) else None


def record(c: stats.Comparison, band: float, decision: bool) -> ComparisonRecord:
    return ComparisonRecord(ratio=_fin(c.ratio), ci_low=_fin(c.ci_low), ci_high=_fin(c.ci_high), verdict=c.verdict,
                            n_bare_metal=c.n_bare_metal, n_vm=c.n_vm, method=c.method, note=c.note,
                            alpha=_fin(c.alpha), band=band, decision=decision)


def metric_band(probe: Probe, metric: MetricSpec, band: float | None, bands: Mapping[str, float] | None) -> float:
    """The equivalence band of a metric: ``bands['probe.metric']``, ``bands['probe']``, ``band``, its default."""
    for key in (f"{probe.name}.{metric.name}", probe.name):
        if bands and key in bands:
            return bands[key]
    return band if band is not None else metric.band


def new_probe_result(probe: Probe, ctx: Ctx) -> ProbeResult:
    return ProbeResult(name=probe.name, title=probe.title, stopped="budget",
                       metrics=[MetricResult(name=m.name, unit=m.unit, better=m.better, main=m.main,
                                             description=m.description,
                                             band=metric_band(probe, m, ctx.band, ctx.bands))
                                for m in probe.metrics])


def precise(values: Sequence[float], metrics: Sequence[MetricResult]) -> bool:
    """Single target: the mean of the main figure is known to within its band (95 %)."""
    if len(values) < 2 or any(v <= 0 for v in values):
        return False
    logs = [math.log(v) for v in values]
    half = stats.student_t_ppf(0.975, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    band = next((m.band for m in metrics if m.main), stats.DEFAULT_BAND) or stats.DEFAULT_BAND
    return math.exp(half) - 1.0 <= band


def compare_metric(probe: Probe, spec: MetricSpec, ctx: Ctx, samples: Mapping[Role, Mapping[str, list[float]]],
             n: int, previous: int) -> stats.Comparison:
    return stats.compare(samples["bare-metal"][spec.name][:n], samples["vm"][spec.name][:n], better=spec.better,
                         band=metric_band(probe, spec, ctx.band, ctx.bands), design=ctx.design, m=ctx.m,
                         previous=previous, resolution=spec.resolution)


def look(probe: Probe, ctx: Ctx, samples: Mapping[Role, Mapping[str, list[float]]],
          decided: dict[str, stats.Comparison], latest: dict[str, stats.Comparison], deciding: Sequence[str],
          n: int, previous: int) -> None:
    """A look at ``n`` blocks: every metric compared; a decision metric's first verdict is kept."""
    for spec in probe.metrics:
        if spec.name in decided:
            continue
        comp = compare_metric(probe, spec, ctx, samples, n, previous)
        latest[spec.name] = comp
        if spec.name in deciding and comp.verdict != "inconclusive":
            decided[spec.name] = comp


def fill(pr: ProbeResult, probe: Probe, specs: Sequence[MetricSpec],
          samples: Mapping[Role, Mapping[str, list[float]]], decided: Mapping[str, stats.Comparison],
          latest: Mapping[str, stats.Comparison], ctx: Ctx) -> None:
    deciding = {m.name for m in decision_metrics(probe)}
    for role in ctx.roles:
        name = ctx.targets[role].name
        seen = list(dict.fromkeys(tuple(sorted(r.context.items())) for r in ctx.result.runs
                                  if r.probe == probe.name and r.target == name and r.context))
        for items in seen:
            pr.notes.append(f"ran on {name}: " + ", ".join(f"{k} {v}" for k, v in items))
    for mr, spec in zip(pr.metrics, specs, strict=True):
        for role in ctx.roles:
            mr.summary[ctx.targets[role].name] = stats.summarize(samples[role][spec.name])
        if len(ctx.roles) != 2:
            continue
        comp = decided.get(spec.name) or latest.get(spec.name)
        if comp is None:  # no look reached: an interval, never a verdict
            n = min(len(samples["bare-metal"][spec.name]), len(samples["vm"][spec.name]))
            comp = compare_metric(probe, spec, ctx, samples, n, 0)
            comp = dataclasses.replace(comp, verdict="inconclusive",
                                       note=comp.note or "no planned look was reached")
        elif spec.name not in deciding:
            comp = dataclasses.replace(comp, note="descriptive: not a decision metric")
        mr.comparison = record(comp, metric_band(probe, spec, ctx.band, ctx.bands), spec.name in deciding)
    if len(ctx.roles) == 2:
        refuse(pr, probe, ctx)
    elif pr.disturbed_blocks:
        pr.notes.append(f"{pr.disturbed_blocks} of {pr.rounds} runs disturbed ("
                        + disturbance.summary([r.disturbance for r in ctx.result.runs
                                               if r.probe == probe.name and r.disturbed])
                        + "): the figures include them")


def refuse(pr: ProbeResult, probe: Probe, ctx: Ctx) -> None:
    """Withhold the verdicts of a disturbed or implausible probe (the figures stay)."""
    reason: str | None = None
    if pr.rounds and pr.disturbed_blocks / pr.rounds > disturbance.MAX_DISTURBED_SHARE:
        why = disturbance.summary([r.disturbance for r in ctx.result.runs if r.probe == probe.name and r.disturbed])
        text = (f"disturbed: {pr.disturbed_blocks} of {pr.rounds} blocks ({why}), more than "
                f"{disturbance.MAX_DISTURBED_SHARE:.0%} of the blocks")
        if ctx.allow_disturbed:
            pr.notes.append(text + "; the verdict is kept because of --allow-disturbed")
        else:
            reason = text
    plausible = plausible_range(probe)
    main = pr.main_metric()
    if reason is None and plausible is not None and main is not None and main.comparison is not None:
        ratio = main.comparison.ratio
        if ratio is not None and not plausible[0] <= ratio <= plausible[1]:
            reason = (f"implausible: {probe.name}.{main.name} ratio {ratio:.3g} is outside the plausible range "
                      f"{plausible[0]:g}-{plausible[1]:g} for two platforms on comparable hardware; "
                      "check the targets (device, file system, cache, placement)")
            pr.stopped = "implausible"
            pr.error = reason
    if reason is None:
        return
    pr.refused = reason
    for mr in pr.metrics:
        if mr.comparison is not None and mr.comparison.verdict != "inconclusive":
            mr.comparison = mr.comparison.model_copy(update={"verdict": "inconclusive",
                                                              "note": f"refused ({mr.comparison.verdict}): "
                                                                      + reason.split(":")[0]})
