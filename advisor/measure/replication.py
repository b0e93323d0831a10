"""Replication across hosts: with several hosts per platform, the host is the experimental unit.

Runs on one host say how that host behaves; whether a platform is slower is a question
about its hosts. When the targets file names several bare-metal and vm targets, they are
paired in file order (the i-th bare-metal target with the i-th vm target) and each pair is
measured as a session of its own (randomised blocks, planned looks: its own verdicts). The
pairs' ratios are then the replicates: the comparison of a metric is the geometric mean
of the pairs' ratios with a Student t interval over the hosts (``k - 1`` degrees of freedom
for ``k`` pairs) at the family alpha divided among the session's decision comparisons, so
its width is the spread *between* hosts, not the noise of runs on one. The standard
deviation of the pairs' log ratios has a floor: the pairs' own within-pair standard error
(identical hosts never give a zero-width interval). The verdict is read from that
interval against the metric's band, as in a session.

A single pair is reported as such: its verdict rests on one host per arm.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from advisor.measure import stats
from advisor.measure.results import ComparisonRecord, MeasurementResult, MetricResult, ProbeResult

__all__ = ["SINGLE_HOST_NOTE", "combine", "replicate_comparison"]

#: The note of a comparison of one host per arm.
SINGLE_HOST_NOTE = ("one host per arm: the verdicts rest on the runs of one bare-metal and one vm host, so they say "
                    "how these hosts compare, not how the platforms' hosts vary; name several targets per role to "
                    "replicate across hosts (docs/measurement.md, 'Several hosts per platform')")
#: How a probe's stop reasons combine over pairs: the first that occurs in this order wins.
_STOPS = ("interrupted", "error", "skipped", "refused", "implausible", "budget", "max-runs", "decided", "single")


def _within_se(c: ComparisonRecord) -> float | None:
    """The standard error of a pair's log ratio, from its interval, alpha and blocks."""
    if c.ci_low is None or c.ci_high is None or c.alpha is None or c.n_bare_metal < 2 \
            or not (0 < c.ci_low <= c.ci_high < math.inf):
        return None
    q = stats.student_t_ppf(1.0 - c.alpha / 2.0, c.n_bare_metal - 1)
    return (math.log(c.ci_high) - math.log(c.ci_low)) / 2.0 / q if q > 0 else None


def replicate_comparison(pairs: Sequence[ComparisonRecord | None], *, better: str, band: float, alpha: float,
                         decision: bool) -> ComparisonRecord:
    """The between-host comparison of one metric from the pairs' comparisons (None: the pair has none)."""
    usable = [c for c in pairs if c is not None and c.ratio is not None and 0 < c.ratio < math.inf]
    k = len(usable)
    method = f"between-hosts t ({len(pairs)} host pairs)"
    if k < 2:
        return ComparisonRecord(ratio=usable[0].ratio if usable else None, ci_low=None, ci_high=None,
                                verdict="inconclusive", n_bare_metal=k, n_vm=k, method=method,
                                note=f"{k} of {len(pairs)} host pairs gave a ratio: no interval over hosts",
                                alpha=alpha, band=band, decision=decision)
    logs = [math.log(c.ratio) for c in usable if c.ratio is not None]
    mean = statistics.fmean(logs)
    between = statistics.stdev(logs)
    within = [se for c in usable if (se := _within_se(c)) is not None]
    floor = math.sqrt(statistics.fmean([se * se for se in within])) if within else 0.0
    sd = max(between, floor)
    q = stats.student_t_ppf(1.0 - alpha / 2.0, k - 1)
    half = q * sd / math.sqrt(k)
    ratio, low, high = math.exp(mean), math.exp(mean - half), math.exp(mean + half)
    said = (f"{k} hosts per arm; between-host spread x{math.exp(between):.3g} (sd of the log ratio "
            f"{between:.3g})" + ("; the pairs' own standard error is the floor" if floor > between else ""))
    verdict = stats.verdict(low, high, "higher" if better == "higher" else "lower", band)
    return ComparisonRecord(ratio=ratio, ci_low=low, ci_high=high, verdict=verdict, n_bare_metal=k, n_vm=k,
                            method=method, note=said, alpha=alpha, band=band, decision=decision, hosts=k,
                            between_host_sd=between)


def _stop(prs: Sequence[ProbeResult]) -> str:
    seen = {p.stopped for p in prs}
    return next((s for s in _STOPS if s in seen), prs[0].stopped)


def _pair_said(c: ComparisonRecord | None, bm: str, vm: str) -> str:
    if c is None or c.ratio is None:
        return f"{bm}/{vm} no ratio"
    ci = f" [{c.ci_low:.3g}, {c.ci_high:.3g}]" if c.ci_low is not None and c.ci_high is not None else ""
    return f"{bm}/{vm} {c.ratio:.3g}{ci} {c.verdict}"


def _combine_probe(prs: Sequence[ProbeResult], names: Sequence[tuple[str, str]], alpha: float) -> ProbeResult:
    out = prs[0].model_copy(deep=True)
    out.rounds = sum(p.rounds for p in prs)
    out.disturbed_blocks = sum(p.disturbed_blocks for p in prs)
    out.stopped = _stop(prs)
    out.paths = {k: v for p in prs for k, v in p.paths.items()}
    out.notes = [f"{bm}/{vm}: {note}" for p, (bm, vm) in zip(prs, names, strict=True) for note in p.notes]
    errors = [f"{bm}/{vm}: {p.error}" for p, (bm, vm) in zip(prs, names, strict=True) if p.error]
    out.error = "; ".join(errors) or None
    refused = [f"{bm}/{vm}: {p.refused}" for p, (bm, vm) in zip(prs, names, strict=True) if p.refused]
    out.refused = "; ".join(refused) or None
    metrics: list[MetricResult] = []
    for j, metric in enumerate(out.metrics):
        per_pair = [p.metrics[j].comparison if j < len(p.metrics) else None for p in prs]
        summary = {t: s for p in prs if j < len(p.metrics) for t, s in p.metrics[j].summary.items()}
        comp = metric.comparison
        if comp is not None:
            comp = replicate_comparison(per_pair, better=metric.better, band=comp.band or stats.DEFAULT_BAND,
                                        alpha=alpha, decision=comp.decision)
            out.notes.append(f"{metric.name} replicated over {len(prs)} host pairs (the host is the unit): "
                             + "; ".join(_pair_said(c, bm, vm) for c, (bm, vm) in zip(per_pair, names, strict=True))
                             + f"; {comp.note}")
        metrics.append(metric.model_copy(update={"comparison": comp, "summary": summary}))
    out.metrics = metrics
    return out


def combine(results: Sequence[MeasurementResult], names: Sequence[tuple[str, str]]) -> MeasurementResult:
    """One result of the sessions of several host pairs (``names``: (bare-metal, vm) target names per pair)."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    m = max(1, first.decision_comparisons)
    alpha = float(first.design.get("alpha", stats.FAMILY_ALPHA)) / m
    combined = first.model_copy(deep=True)
    combined.budget_s = sum(r.budget_s for r in results)
    combined.elapsed_s = round(sum(r.elapsed_s for r in results), 3)
    combined.interrupted = any(r.interrupted for r in results)
    combined.targets = [t for r in results for t in r.targets]
    combined.runs = [run for r in results for run in r.runs]
    combined.disturbed = [f"{bm}/{vm}: {d}" for r, (bm, vm) in zip(results, names, strict=True) for d in r.disturbed]
    combined.notes = [f"{bm}/{vm}: {n}" for r, (bm, vm) in zip(results, names, strict=True) for n in r.notes]
    combined.hosts = len(results)
    probes: list[ProbeResult] = []
    for pr in first.probes:
        prs = [r.probe(pr.name) for r in results]
        if any(p is None for p in prs):  # a later pair was interrupted before this probe
            metrics = [m.model_copy(update={"comparison": None}) for m in pr.metrics]
            probes.append(pr.model_copy(update={"stopped": "interrupted", "metrics": metrics, "notes": [
                *pr.notes, "not every host pair ran this probe (interrupted): no comparison over hosts"]}))
            continue
        probes.append(_combine_probe([p for p in prs if p is not None], names, alpha))
    combined.probes = probes
    return combined
