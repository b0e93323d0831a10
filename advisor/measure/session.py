"""The measurement loop: randomised blocks, warm-up, disturbance, planned looks, budget, Ctrl-C.

For each probe in turn the session first runs it once on every target and discards
those runs (warm-up: cold caches, page faults, frequency ramp), unless the probe says
``warmup = False`` (its tool warms up and discards its own start in every run). Then it runs
*blocks*: one run on each target, in a random order per block (seeded, the seed is in
the result), so periodic interference cannot alias with a fixed A-B-A-B order and no
target is always first. Around every run it samples the target's counters
(:mod:`advisor.measure.disturbance`); a block with a disturbed run is dropped
(kept with ``allow_disturbed``).

With two targets, after the valid blocks reach a planned look of the
:class:`~advisor.measure.stats.Design` (and once more when the budget ends), each
decision metric not yet decided is compared (:func:`advisor.measure.stats.compare`,
alpha spent over the looks and divided among all decision metrics of the session); a
decided metric keeps its verdict. The probe stops when every decision metric is
decided, at the design's last look, or when its share of the budget is used. The
comparisons, the equivalence bands (the decision's SLO sets those of latency metrics)
and the filled-in result are :mod:`advisor.measure.verdicts`.

A probe's verdicts are withheld (``refused``) when more than
:data:`~advisor.measure.disturbance.MAX_DISTURBED_SHARE` of its blocks were
disturbed (unless ``allow_disturbed``), when its main ratio is outside the range the
probe declares plausible, or when a two-host probe would compare different kinds of
network path.

With one target the session measures absolute figures only (no verdicts).

Ctrl-C (KeyboardInterrupt, also raised for SIGTERM by the CLI) stops the loop: the
result keeps the finished runs and says ``interrupted``. The session does not own
the runners: the caller closes them (in a ``finally``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

from advisor._version import __version__
from advisor.errors import AdvisorError
from advisor.measure import disturbance, stats, verdicts
from advisor.measure.api import Budget, Placement, Probe, Role, Runner, decision_metrics, main_metric, stagger
from advisor.measure.confounders import read_confounders
from advisor.measure.results import MeasurementResult, ProbeResult
from advisor.measure.runs import BudgetSpent, Pipeline, Progress, one_run
from advisor.measure.verdicts import Ctx, metric_band

__all__ = ["DEFAULT_BUDGET_S", "DESIGNS", "Progress", "antagonist_site", "metric_band", "path_kind", "run_session"]

#: Default time budget of a whole session, per suite (seconds).
DEFAULT_BUDGET_S: dict[str, float] = {"quick": 60.0, "full": 900.0}
#: The sequential design of each suite.
DESIGNS: dict[str, stats.Design] = {"quick": stats.Design(looks=(5, 7, 10, 14, 20)),
                                    "full": stats.Design(looks=(5, 7, 10, 14, 20, 28, 40))}
ROLES: tuple[Role, Role] = ("bare-metal", "vm")


def path_kind(runner: Runner, peer: Runner | None) -> str:
    """The kind of network path between a two-host probe's client (``runner``) and server (``peer``)."""
    if peer is None or peer is runner:
        return "loopback"
    if runner.kind == "local" and peer.kind == "local":
        return "veth" if getattr(runner, "netns", None) or getattr(peer, "netns", None) else "loopback"
    return "network"


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
    confounders = dict(placement.confounders) or read_confounders(runner)
    return dataclasses.replace(placement, tool_versions=versions, confounders=confounders)


def run_session(
    targets: Mapping[Role, Runner],
    probes: Sequence[Probe],
    budget_s: float,
    band: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    *,
    suite: Budget = "quick",
    peers: Mapping[Role, Runner | None] | None = None,
    bands: Mapping[str, float] | None = None,
    design: stats.Design | None = None,
    allow_disturbed: bool = False,
    seed: int | None = None,
    plugins: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    slo_us: float | None = None,
    siblings: Mapping[Role, Runner | None] | None = None,
) -> MeasurementResult:
    """Measure ``probes`` on one or two targets and compare them; never raises KeyboardInterrupt.

    ``targets`` maps a role to its runner (one entry: absolute figures only).
    ``peers`` gives, per role, the runner that hosts the servers of two-host probes
    (``peer`` of :meth:`Probe.run`). ``band`` overrides every metric's default band;
    ``bands`` sets it per ``probe`` or ``probe.metric``. ``plugins`` maps probe name ->
    plugin name (for the record). ``slo_us``, the decision's p99 SLO, sets the bands of the
    latency metrics a probe scales with it (``slo_metrics``; :func:`advisor.measure.verdicts.slo_band`)
    where no band is given. ``siblings`` gives, per role, the target beside it (another VM on its host,
    another pod on its node) that runs the antagonist of a probe with ``uses_sibling`` (passed to its
    ``run`` as ``sibling``).
    """
    if not targets:
        raise ValueError("run_session needs at least one target")
    roles = [r for r in ROLES if r in targets]
    design = design or DESIGNS[suite]
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    start = clock()
    created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    m = sum(len(decision_metrics(p)) for p in probes) if len(roles) == 2 else 0
    result = MeasurementResult(advisor_version=__version__, created=created, suite=suite, budget_s=budget_s,
                               band=band if band is not None else stats.DEFAULT_BAND, bands=dict(bands or {}),
                               method="paired-t", min_runs=design.looks[0], seed=seed,
                               design={"looks": list(design.looks), "alpha": design.alpha, "rho": design.rho},
                               decision_comparisons=m, allow_disturbed=allow_disturbed)
    ctx = Ctx(targets, roles, peers or {}, {}, result, suite, design, max(1, m), band, bands, allow_disturbed,
               random.Random(seed), start, start + budget_s, clock, on_progress, slo_us=slo_us,
               siblings=siblings or {})
    try:
        for role in roles:
            placement = _with_versions(targets[role].placement(role), targets[role], probes)
            result.targets.append(placement)
        ctx.samplers = {r: disturbance.Sampler(targets[r], next(t.pinned_cpus for t in result.targets
                                                                 if t.role == r)) for r in roles}
        for i, probe in enumerate(probes):
            remaining_total = budget_s - (clock() - start)
            share = max(0.0, remaining_total) / (len(probes) - i)
            pr = _run_probe(probe, ctx, share=share)
            if plugins and probe.name in plugins:
                pr.plugin = plugins[probe.name]
            result.probes.append(pr)
            if pr.stopped == "interrupted":
                result.interrupted = True
                break
    except KeyboardInterrupt:
        result.interrupted = True
    result.elapsed_s = round(clock() - start, 3)
    short = [p for p in result.probes if p.stopped == "budget"]
    if short:
        result.notes.append(f"budget: the session stopped at its budget of {budget_s:g} s (elapsed "
                            f"{result.elapsed_s:g} s); " + "; ".join(_budget_said(p, design) for p in short))
    if result.interrupted:
        result.notes.append("interrupted: the result holds the runs finished before the interruption")
    refused = [p for p in result.probes if p.refused and p.refused.startswith("disturbed")]
    if refused:
        result.disturbed = [f"{p.name}: {p.refused}" for p in refused]
    elif any(p.disturbed_blocks for p in result.probes) and allow_disturbed:
        result.disturbed = [f"{p.name}: {p.disturbed_blocks} disturbed block(s), verdict allowed"
                            for p in result.probes if p.disturbed_blocks]
    return result


def _reachable_design(ctx: Ctx, pr: ProbeResult, block_s: float, end: float) -> Ctx:
    """The probe's design cut to the planned looks its share of the budget reaches at the first block's pace.

    Fixed after the first block, before any look (a block's duration is not the compared figure), so the
    alpha of every look is set before its data are seen and the union bound holds as before; what changes
    is that no alpha is kept for looks the budget cannot reach (a 60-s quick suite gives a probe 15-22 s:
    5 to 8 blocks, where the quick design plans looks up to 20)."""
    reach = pr.rounds + max(0, math.floor((end - ctx.clock()) / max(block_s, 1e-3)))
    design = ctx.design.within(reach)
    if design.looks != ctx.design.looks and reach >= design.looks[0]:
        pr.notes.append(f"looks planned for this probe's share of the budget: {', '.join(map(str, design.looks))} "
                        f"blocks (the whole alpha spent over them; about {block_s:.1f} s a block)")
    return dataclasses.replace(ctx, design=design)


def _budget_said(pr: ProbeResult, design: stats.Design) -> str:
    """What a probe stopped by the budget has: its blocks and whether a planned look was reached."""
    if pr.rounds == 0:
        return f"{pr.name}: no block finished within the budget"
    if pr.rounds < design.looks[0]:
        return (f"{pr.name}: {pr.rounds} block(s), fewer than the first planned look at {design.looks[0]}: "
                "figures and an interval, no verdict")
    return f"{pr.name}: {pr.rounds} block(s)"


def _precheck(probe: Probe, ctx: Ctx, pr: ProbeResult) -> bool:
    """Tools present, a main metric, and (two-host probes) the same kind of path for every target."""
    try:
        main_metric(probe)
    except AdvisorError as exc:
        pr.stopped, pr.error = "error", exc.first.message
        return False
    for role in ctx.roles:
        missing = [t for t in probe.tools if not ctx.targets[role].which(t)]
        if missing:
            pr.stopped = "skipped"
            pr.error = f"{', '.join(missing)} missing on target {ctx.targets[role].name!r}; {probe.install_hint()}"
            return False
    if getattr(probe, "two_host", False):
        kinds = {role: path_kind(ctx.targets[role], ctx.peers.get(role)) for role in ctx.roles}
        pr.paths = {ctx.targets[r].name: k for r, k in kinds.items()}
        if len(set(kinds.values())) > 1:
            said = " but ".join(f"{ctx.targets[r].name} ({r}) over {k}" for r, k in kinds.items())
            pr.stopped = "refused"
            pr.refused = pr.error = (f"unfair comparison: {probe.name} runs {said}; give every target a `peer` "
                                     "across the same kind of path (docs/measurement.md, 'Fair comparisons')")
            return False
    if getattr(probe, "uses_sibling", False):
        where = {role: antagonist_site(ctx.targets[role], ctx.siblings.get(role), role) for role in ctx.roles}
        pr.notes.extend(f"{probe.name}: the antagonist of {ctx.targets[r].name} ran on {w}" for r, w in where.items())
        if len({w.split(" ", 1)[0] for w in where.values()}) > 1:
            said = " but ".join(f"on {w} for {ctx.targets[r].name} ({r})" for r, w in where.items())
            pr.stopped = "refused"
            pr.refused = pr.error = (f"unfair comparison: {probe.name}'s antagonist runs {said}; give every target "
                                     "a `sibling`, or none (docs/measurement.md, 'Fair comparisons')")
            return False
    return True


def antagonist_site(runner: Runner, sibling: Runner | None, role: Role) -> str:
    """Where a probe's antagonist runs for ``runner``: ``itself (NAME)``, or ``sibling NAME (KIND runner, ORIGIN)``
    with the sibling's origin (``real``, or ``imitation: why``) from its placement."""
    if sibling is None or sibling is runner:
        return f"itself ({runner.name})"
    try:
        placement = sibling.placement(role)
        origin = placement.origin + (f": {placement.origin_reason}" if placement.origin_reason else "")
    except AdvisorError as exc:
        origin = f"origin unknown: {exc.first.message}"
    return f"sibling {sibling.name} ({sibling.kind} runner, {origin})"


def _run_probe(probe: Probe, ctx: Ctx, *, share: float) -> ProbeResult:
    specs = list(probe.metrics)
    pr = verdicts.new_probe_result(probe, ctx)
    if not _precheck(probe, ctx, pr):
        return pr
    deciding = [m.name for m in decision_metrics(probe)]
    samples: dict[Role, dict[str, list[float]]] = {r: {m.name: [] for m in specs} for r in ctx.roles}
    decided: dict[str, stats.Comparison] = {}
    latest: dict[str, stats.Comparison] = {}
    last_look = 0
    deadline = ctx.clock() + share
    planned = ctx.design.n_max
    block_times: list[float] = []
    block = 0
    overlap = stagger(probe, ctx.suite)
    pipe = Pipeline(probe, ctx, pr, overlap) if overlap is not None else None

    def draw() -> list[Role]:
        return ctx.rng.sample(list(ctx.roles), len(ctx.roles))

    def may_go_on() -> bool:  # the next block of a pipelined probe may start before this one ends
        expected = statistics.fmean(block_times[-3:]) if block_times else 0.0
        return block < 2 * ctx.design.n_max and ctx.clock() + expected <= ctx.budget_end

    try:
        warmup_start = ctx.clock()
        # a probe whose tool warms itself up in every run (``warmup = False``) skips the warm-up block
        for role in ctx.rng.sample(list(ctx.roles), len(ctx.roles)) if getattr(probe, "warmup", True) else ():
            rec = one_run(probe, ctx, role, pr, 0, warmup=True)
            if rec.error is not None:
                pr.stopped, pr.error = "error", rec.error
                return pr
            if not callable(getattr(probe, "warm_up", None)):  # a short warm-up says nothing of a block
                block_times[:] = [ctx.clock() - warmup_start]  # the first estimate of a block's length
        while True:
            if block_times and ctx.clock() + statistics.fmean(block_times[-3:]) > ctx.budget_end:
                pr.stopped = "budget"  # the session's budget is a hard ceiling: no block it cannot finish
                break
            block += 1
            block_start = ctx.clock()
            if pipe is not None:
                records = pipe.block(block, draw, may_go_on)
            else:
                records = [one_run(probe, ctx, role, pr, block, warmup=False) for role in draw()]
            failed = next((r for r in records if r.error is not None), None)
            if failed is not None:
                pr.stopped, pr.error = "error", failed.error
                return pr
            pr.rounds += 1
            if pr.rounds == 1:
                block_times.clear()  # the warm-up's estimate gives way to measured blocks
            block_times.append(ctx.clock() - block_start)
            if pr.rounds == 1 and len(ctx.roles) > 1:
                ctx = _reachable_design(ctx, pr, block_times[0], min(deadline, ctx.budget_end))
            disturbed = any(r.disturbed for r in records)
            pr.disturbed_blocks += disturbed
            keep = not disturbed or ctx.allow_disturbed or len(ctx.roles) == 1  # alone: figures, no verdict
            if keep and all(m in r.values for r in records for m in deciding):
                by_role = {r.role: r for r in records}
                for role in ctx.roles:
                    for m in specs:
                        if m.name in by_role[role].values:
                            samples[role][m.name].append(by_role[role].values[m.name])
            n = len(samples[ctx.roles[0]][deciding[0]])
            expected = statistics.fmean(block_times[-3:])
            out_of_session = ctx.clock() + expected > ctx.budget_end
            out_of_time = ctx.clock() + expected > deadline
            first = ctx.design.looks[0]
            if len(ctx.roles) == 1:
                done = n >= first and (verdicts.precise(samples[ctx.roles[0]][deciding[0]], pr.metrics)
                                       or n >= ctx.design.n_max)
                if done or (out_of_time and block >= first) or out_of_session or block >= 2 * ctx.design.n_max:
                    pr.stopped = "budget" if out_of_session and not done else "single"
                    break
                continue
            look = ctx.design.is_look(n) and n > last_look
            final = (out_of_time or out_of_session or n >= ctx.design.n_max) and n >= first and n > last_look
            if look or final:
                verdicts.look(probe, ctx, samples, decided, latest, deciding, n, last_look)
                last_look = n
                if all(name in decided for name in deciding):
                    pr.stopped = "decided"
                    break
            if n >= ctx.design.n_max or block >= 2 * ctx.design.n_max:
                # the last look the budget reaches (a cut design) is the budget's stop, not the design's
                pr.stopped = "max-runs" if ctx.design.n_max >= planned else "budget"
                break
            if (out_of_time and block >= first) or out_of_session:
                pr.stopped = "budget"
                break
    except BudgetSpent:
        pr.stopped = "budget"
    except KeyboardInterrupt:
        pr.stopped = "interrupted"
    finally:
        if pipe is not None:
            pipe.close()
        verdicts.fill(pr, probe, specs, samples, decided, latest, ctx)
    first = ctx.design.looks[0]
    if pr.stopped == "budget" and pr.rounds < first and block_times:
        more = (first - pr.rounds) * statistics.fmean(block_times[-3:])
        pr.notes.append(f"the budget ended after {pr.rounds} block(s); about {math.ceil(more)} s more would reach "
                        f"the first planned look at {first} blocks (--budget)")
    return pr


