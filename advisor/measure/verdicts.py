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

__all__ = ["SLO_SHARE", "Ctx", "fill", "look", "metric_band", "new_probe_result", "precise", "record", "slo_band"]

#: A difference that moves a request's latency by less than this share of its p99 SLO does not change the
#: decision: the equivalence band of a latency metric whose probe names it in ``slo_metrics``.
SLO_SHARE = 0.05
#: The range of a band derived from the SLO: never narrower than the run-to-run floor can resolve, never so
#: wide that a halved or doubled latency would count as equivalent.
SLO_BAND_RANGE = (0.02, 0.5)


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
    #: The decision's p99 SLO (µs), and the bands derived from it at a probe's first look ("probe.metric").
    slo_us: float | None = None
    derived: dict[str, float] = dataclasses.field(default_factory=dict)
    #: Per role, the target beside it that runs a probe's antagonist (probes with ``uses_sibling``).
    siblings: Mapping[Role, Runner | None] = dataclasses.field(default_factory=dict)


def _fin(x: float) -> float | None:
    return x if math.isfinite(x) else None


def record(c: stats.Comparison, band: float, decision: bool) -> ComparisonRecord:
    return ComparisonRecord(ratio=_fin(c.ratio), ci_low=_fin(c.ci_low), ci_high=_fin(c.ci_high), verdict=c.verdict,
                            n_bare_metal=c.n_bare_metal, n_vm=c.n_vm, method=c.method, note=c.note,
                            alpha=_fin(c.alpha), band=band, decision=decision)


def metric_band(probe: Probe, metric: MetricSpec, band: float | None, bands: Mapping[str, float] | None,
                derived: Mapping[str, float] | None = None) -> float:
    """The equivalence band of a metric: ``bands['probe.metric']``, ``bands['probe']``, ``band`` (all given by
    the user), the band derived from the decision's SLO, the metric's documented default."""
    for key in (f"{probe.name}.{metric.name}", probe.name):
        if bands and key in bands:
            return bands[key]
    if band is not None:
        return band
    return (derived or {}).get(f"{probe.name}.{metric.name}", metric.band)


def slo_band(probe: Probe, metric: MetricSpec, slo_us: float | None, baseline_us: float) -> float | None:
    """The band of a latency metric from the decision: the ratio change that moves a request's latency by
    :data:`SLO_SHARE` of its p99 SLO, when the request pays the metric ``round_trips`` times (the probe's
    attribute) on a bare-metal ``baseline_us``; None when the probe does not scale it with the SLO."""
    if slo_us is None or slo_us <= 0 or baseline_us <= 0 or metric.name not in getattr(probe, "slo_metrics", ()):
        return None
    trips = float(getattr(probe, "round_trips", 1))
    low, high = SLO_BAND_RANGE
    return min(high, max(low, SLO_SHARE * slo_us / (trips * baseline_us)))


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
                         band=metric_band(probe, spec, ctx.band, ctx.bands, ctx.derived), design=ctx.design, m=ctx.m,
                         previous=previous, resolution=spec.resolution)


def look(probe: Probe, ctx: Ctx, samples: Mapping[Role, Mapping[str, list[float]]],
          decided: dict[str, stats.Comparison], latest: dict[str, stats.Comparison], deciding: Sequence[str],
          n: int, previous: int) -> None:
    """A look at ``n`` blocks: every metric compared; a decision metric's first verdict is kept.

    The first look also fixes the bands derived from the SLO (from the bare-metal median so far): a band
    that moved from look to look would break the error bound of the planned looks."""
    for spec in probe.metrics:
        key = f"{probe.name}.{spec.name}"
        values = samples["bare-metal"][spec.name][:n]
        if key not in ctx.derived and values:
            derived = slo_band(probe, spec, ctx.slo_us, statistics.median(values))
            if derived is not None:
                ctx.derived[key] = derived
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
        mr.band = metric_band(probe, spec, ctx.band, ctx.bands, ctx.derived)
        mr.comparison = record(comp, mr.band, spec.name in deciding)
    from_slo = {spec.name: ctx.derived[f"{probe.name}.{spec.name}"] for spec in specs
                if f"{probe.name}.{spec.name}" in ctx.derived}
    if from_slo and ctx.slo_us is not None:
        pr.notes.append(f"equivalence bands from the p99 SLO of {ctx.slo_us / 1000:g} ms (a difference that moves a "
                        f"request by {SLO_SHARE:.0%} of it over {getattr(probe, 'round_trips', 1)} round trip(s)): "
                        + ", ".join(f"{name} +-{value * 100:.3g} %" for name, value in from_slo.items()))
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
