"""The decision: screen, estimate consequences, value them, propagate uncertainty, name the outcome.

``U(option) = sum_c p_c * v_c`` where ``p_c`` is the profile's priority of criterion
``c`` (1..5, an importance weight, *not* normalised over the criteria) and ``v_c`` the
weighted value of its attributes. Raising ``p_c`` therefore moves ``E[U_bm - U_vm]``
by ``E[v_c,bm - v_c,vm]``: always toward the option better on ``c``.

For each option every configuration is screened, the feasible ones are estimated,
and the one with the highest expected utility is chosen (the recommended configuration,
and the expected difference ``E[U_bm - U_vm]`` of the two chosen). ``P(bare metal
better)`` and the 80 % interval of ``U_bm - U_vm`` compare the options draw by draw
(common random numbers), each at its best feasible configuration *in that draw*
(:mod:`advisor.decide.best`), so that a re-chosen configuration cannot move the
probability against an answer's direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor.decide import sampling
from advisor.decide.best import best_draws
from advisor.decide.consequences import Estimate, estimate_all
from advisor.decide.loader import Attribute, Pack
from advisor.decide.model import CRITERIA, OPTIONS, Criterion, Option, OutcomeKind
from advisor.decide.outcome import (
    AttributeResult,
    ConstraintResult,
    CriterionResult,
    Decision,
    OptionResult,
    ProbeResult,
    Status,
    Uncertainty,
)
from advisor.decide.reuse import Draws, Reuse, Sampler
from advisor.decide.screen import Screen, screen
from advisor.decide.text import fmt, render, share
from advisor.decide.variants import OPTION_LABELS, Configuration, configurations
from advisor.decide.voi import Term, probe_values

__all__ = ["DEFAULT_PRIORITY", "PROBE_TEXT", "decide", "prepare", "priorities"]

DEFAULT_PRIORITY = 3
_DECIMALS = 4

#: What each probe compares, for people.
PROBE_TEXT: dict[str, str] = {
    "cpu": "CPU throughput, VM-backed / bare metal",
    "memory": "memory bandwidth, VM-backed / bare metal",
    "disk": "4K random-read IOPS, VM-backed / bare metal",
    "net": "request/response round trip at 2000 requests/s, median, VM-backed / bare metal",
    "jitter": "wake-up latency of an ordinary thread, p90, VM-backed / bare metal",
    "noisy": "slowdown under a noisy neighbour, VM-backed / bare metal",
}


def _r(x: float) -> float:
    return round(x, _DECIMALS) + 0.0


def priorities(facts: Mapping[str, Any]) -> dict[Criterion, int]:
    out: dict[Criterion, int] = {}
    for c in CRITERIA:
        v = facts.get(f"priority_{c}", DEFAULT_PRIORITY)
        out[c] = int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else DEFAULT_PRIORITY
    return out


def prepare(pack: Pack, facts: Mapping[str, Any]) -> dict[str, Any]:
    """``facts`` plus the pack's derived facts (absent when an input is absent)."""
    out = dict(facts)
    for d in pack.derived:
        value = d.expr.evaluate(out)
        if value is not None:
            out[d.name] = value
    return out


@dataclass
class _Config:
    config: Configuration
    screen: Screen
    estimates: dict[str, Estimate]
    unknown: list[str]
    expected: dict[str, float]
    criteria: dict[Criterion, float]
    eu: float


def _evaluate(pack: Pack, facts: Mapping[str, Any], config: Configuration, prio: Mapping[Criterion, int],
              sampler: Sampler, units: Mapping[str, str], memo: dict[tuple[Any, tuple[Any, ...]], Any],
              prefixes: Mapping[str, Any] | None) -> _Config:
    scr = screen(pack, facts, config.option, units, memo, config.facts, prefixes)
    if scr.status == "infeasible":
        return _Config(config, scr, {}, [], {}, {}, float("-inf"))
    estimates, unknown = estimate_all(pack, facts, config.option, memo, config.facts, prefixes)
    attributes = pack.attributes
    expected = {k: sampler.expected(attributes[k], e) for k, e in estimates.items()}
    crit = {c: sum([w * expected[k] for k, w in weights]) for c, weights in pack.weights.items()}
    eu = sum([prio[c] * crit[c] for c in CRITERIA])
    return _Config(config, scr, estimates, unknown, expected, crit, eu)


def _choose(evaluated: list[_Config]) -> _Config:
    """The configuration with the highest expected utility (feasible before pending, plain first on ties)."""
    best = evaluated[0]
    for e in evaluated[1:]:
        if (e.eu, e.screen.status == "feasible") > (best.eu + 1e-12, best.screen.status == "feasible"):
            best = e
    return best


def _option_result(option: Option, evaluated: list[_Config], chosen: _Config) -> OptionResult:
    feasible = [e for e in evaluated if e.screen.status != "infeasible"]
    if not feasible:
        ruled = sorted({h.sentence for e in evaluated for h in e.screen.blocks})
        plain = evaluated[0]
        return OptionResult(option=option, status="infeasible", configuration=plain.config.key,
                            name=plain.config.name, expected_utility=None, configurations=len(evaluated),
                            feasible_configurations=0, conditions=[], ruled_out_by=ruled)
    status: Status = "feasible" if chosen.screen.status == "feasible" else "feasible-if"
    conditions = [h.sentence for h in chosen.screen.hits if h.kind in ("met", "pending")]
    return OptionResult(option=option, status=status, configuration=chosen.config.key, name=chosen.config.name,
                        expected_utility=_r(chosen.eu), configurations=len(evaluated),
                        feasible_configurations=len(feasible), conditions=conditions, ruled_out_by=[])


def _quantile(sorted_xs: list[float], q: float) -> float:
    if not sorted_xs:
        return 0.0
    pos = q * (len(sorted_xs) - 1)
    i = int(pos)
    j = min(i + 1, len(sorted_xs) - 1)
    return sorted_xs[i] + (sorted_xs[j] - sorted_xs[i]) * (pos - i)


def _as_list(v: list[float] | float, n: int) -> list[float]:
    return v if isinstance(v, list) else [v] * n


def decide(pack: Pack, facts: Mapping[str, Any], *, seed: int | None = None,
           units: Mapping[str, str] | None = None, samples: int | None = None,
           draws: dict[tuple[int, int], Draws] | None = None, reuse: Reuse | None = None,
           brief: bool = False) -> Decision:
    """Decide between the options for ``facts`` (answers, derived, graph and measured facts).

    ``seed`` defaults to a hash of the facts; pass the same seed to compare variants of
    one profile with common random numbers (what-if, property tests). ``samples``
    overrides the pack's number of draws. ``draws``: a dict kept by the caller across
    decisions with the same pack, where the value draws of each ``(seed, samples)`` are
    reused (an estimate with the same range on the same stream has the same draws).
    ``reuse``: kept by the caller with ``draws`` (:class:`advisor.decide.reuse.Reuse`), an
    option's configurations are taken from an earlier decision that read the same facts.
    ``brief``: the outcome, option, configuration, P and probes only (``criteria`` and
    ``rests_on`` left empty), as a what-if search needs them.
    """
    f = prepare(pack, facts)
    units = dict(units or {})
    units.update({d.name: d.unit for d in pack.derived if d.unit})
    seed = sampling.profile_seed({k: v for k, v in facts.items() if not k.startswith("graph.")}) \
        if seed is None else seed
    n = samples or pack.meta.samples
    sampler = Sampler(seed, n, None if draws is None else draws.setdefault((seed, n), {}))
    prio = priorities(f)
    prefixes = reuse.start(pack, f, units) if reuse is not None else None
    memo: dict[tuple[Any, tuple[Any, ...]], Any] = reuse.rules if reuse is not None else {}
    kept: dict[Option, list[Any]] = {}  # option -> [its configurations, their best per draw (when computed)]
    for o in OPTIONS:
        key = reuse.key(o, f, prio, seed, n) if reuse is not None else ()
        got = reuse.options.get(key) if reuse is not None else None
        if got is None:
            got = [[_evaluate(pack, f, c, prio, sampler, units, memo, prefixes) for c in configurations(pack, o)],
                   None]
            if reuse is not None:
                reuse.options[key] = got
        kept[o] = got
    per_option: dict[Option, list[_Config]] = {o: kept[o][0] for o in OPTIONS}
    chosen = {o: _choose(per_option[o]) for o in OPTIONS}
    results = {o: _option_result(o, per_option[o], chosen[o]) for o in OPTIONS}
    hits = _constraint_results(pack, per_option, chosen)
    unknown = sorted({r for o in OPTIONS for r in chosen[o].unknown} | {h.rule_id for h in hits if h.kind == "unknown"})
    feasible = [o for o in OPTIONS if results[o].status != "infeasible"]
    criteria: list[CriterionResult] = []
    uncertainty: Uncertainty | None = None
    probes: list[ProbeResult] = []
    if len(feasible) == 2:
        d, terms = _difference(pack, chosen, prio, sampler, n)
        for o in OPTIONS:
            if kept[o][1] is None:
                kept[o][1] = best_draws(pack.attributes, [e.estimates for e in per_option[o]
                                                          if e.screen.status != "infeasible"], prio, sampler.values, n,
                                        reuse.scaled if reuse is not None else None)
        d_best = [a - b for a, b in zip(kept["bare-metal"][1], kept["vm"][1], strict=True)]
        criteria = [] if brief else _criteria(pack, chosen, prio, sampler, f, units)
        values = probe_values(d, terms)
        probes = [ProbeResult(probe=v.probe, compares=PROBE_TEXT.get(v.probe, v.probe),
                              value_of_information=_r(v.evpi), can_flip=v.can_flip,
                              rules=sorted({e.rule_id for o in OPTIONS for e in chosen[o].estimates.values()
                                            if e.probe == v.probe and e.rule_id})) for v in values]
        uncertainty = _uncertainty(pack, d, d_best, seed, n, criteria, probes, values, brief)
    elif len(feasible) == 1:
        criteria = []
    outcome, recommendation, sentence = _outcome(pack, results, uncertainty, probes)
    configuration = results[recommendation].name if recommendation is not None else None
    return Decision(pack=pack.name, outcome=outcome, recommendation=recommendation, configuration=configuration,
                    sentence=sentence, options=results, uncertainty=uncertainty, criteria=criteria, probes=probes,
                    constraints=hits, unknown_rules=unknown, facts=dict(sorted(facts.items())))


def _constraint_results(pack: Pack, per_option: Mapping[Option, list[_Config]],
                        chosen: Mapping[Option, _Config]) -> list[ConstraintResult]:
    by_id = {c.id: c for c in pack.constraints}
    out: dict[tuple[str, str], ConstraintResult] = {}
    for o in OPTIONS:
        infeasible = all(e.screen.status == "infeasible" for e in per_option[o])
        sources = per_option[o] if infeasible else [chosen[o]]
        for e in sources:
            for h in e.screen.hits:
                key = (h.rule_id, h.sentence)
                if key not in out:
                    out[key] = ConstraintResult(rule_id=h.rule_id, option=o, kind=h.kind, sentence=h.sentence,
                                                evidence=list(by_id[h.rule_id].rule.evidence))
    return sorted(out.values(), key=lambda c: (OPTIONS.index(c.option), c.rule_id, c.sentence))


def _difference(pack: Pack, chosen: Mapping[Option, _Config], prio: Mapping[Criterion, int], sampler: Sampler,
                n: int) -> tuple[list[float], dict[str, Term]]:
    d = [0.0] * n
    probe_parts: dict[str, list[tuple[float, Attribute, Estimate]]] = {}
    for key, attr in pack.attributes.items():
        k = prio[attr.criterion] * attr.spec.weight
        for option, sign in (("bare-metal", 1.0), ("vm", -1.0)):
            est = chosen[option].estimates[key]  # type: ignore[index]
            v = sampler.values(attr, est)
            if isinstance(v, float):
                if v:
                    kv = sign * k * v
                    d = [x + kv for x in d]
            else:
                d = [x + sign * k * y for x, y in zip(d, v, strict=True)]
            if est.probe is not None and not est.certain:
                probe_parts.setdefault(est.probe, []).append((sign * k, attr, est))
    terms: dict[str, Term] = {}
    for probe, parts in probe_parts.items():
        draws = [0.0] * n
        low = high = 0.0
        for kk, attr, est in parts:
            draws = [x + kk * y for x, y in zip(draws, _as_list(sampler.values(attr, est), n), strict=True)]
            low += kk * attr.value(est.low)
            high += kk * attr.value(est.high)
        terms[probe] = Term(draws, low, high, sampling.stream(sampler.seed, f"probe:{probe}", n))
    return d, terms


def _criteria(pack: Pack, chosen: Mapping[Option, _Config], prio: Mapping[Criterion, int],
              sampler: Sampler, facts: Mapping[str, Any], units: Mapping[str, str]) -> list[CriterionResult]:
    by_id = {c.id: c for c in pack.consequences}
    seen = {o: {**facts, **chosen[o].config.facts} for o in OPTIONS}
    out = []
    for c in CRITERIA:
        values = {o: chosen[o].criteria[c] for o in OPTIONS}
        contribution = prio[c] * (values["bare-metal"] - values["vm"])
        favours: Option | None = None
        if abs(contribution) > 1e-9:
            favours = "bare-metal" if contribution > 0 else "vm"
        attrs: dict[Option, list[AttributeResult]] = {}
        for o in OPTIONS:
            rows = []
            for a in pack.attributes_of(c):
                e = chosen[o].estimates[a.key]
                rows.append(AttributeResult(
                    attribute=a.key, label=a.spec.label, unit=a.spec.unit, weight=a.spec.weight, low=_r(e.low),
                    mode=_r(e.mode),
                    high=_r(e.high), source=e.source, rule_id=e.rule_id,
                    evidence=list(by_id[e.rule_id].rule.evidence) if e.rule_id else [],
                    value=_r(sampler.expected(a, e)),
                    title=render(by_id[e.rule_id].rule.title, seen[o], units) if e.rule_id else None))
            attrs[o] = rows
        out.append(CriterionResult(criterion=c, priority=prio[c], value={o: _r(v) for o, v in values.items()},
                                   contribution=_r(contribution), favours=favours, attributes=attrs))
    return out


def _range_text(row: AttributeResult) -> str:
    if row.low == row.high:
        return fmt(row.mode, row.unit)
    return f"{fmt(row.mode, row.unit)} ({fmt(row.low)} to {fmt(row.high, row.unit)})"


def _uncertainty(pack: Pack, d: list[float], d_best: list[float], seed: int, n: int,
                 criteria: list[CriterionResult], probes: list[ProbeResult], values: list[Any],
                 brief: bool = False) -> Uncertainty:
    """P and the interval from ``d_best`` (each option at its best per draw); the mean of ``d`` (chosen)."""
    p = (sum(1.0 for x in d_best if x > 1e-12) + 0.5 * sum(1.0 for x in d_best if abs(x) <= 1e-12)) / n
    s = sorted(d_best)
    mean = sum(d) / n
    low_band, high_band = pack.meta.close
    flipping = [pr.probe for pr in probes if pr.can_flip]
    close = low_band <= p <= high_band or bool(flipping)
    return Uncertainty(p_bare_metal_better=_r(p), interval80=[_r(_quantile(s, 0.1)), _r(_quantile(s, 0.9))],
                       expected_difference=_r(mean), close=close, samples=n, seed=seed,
                       rests_on=[] if brief else _rests(criteria, flipping, values))


def _rests(criteria: list[CriterionResult], flipping: list[str], values: list[Any]) -> list[str]:
    """What the result rests on: the criteria that decide it most, and what a measurement could change."""
    rests: list[str] = []
    ranked = sorted((c for c in criteria if c.favours is not None), key=lambda c: -abs(c.contribution))
    for c in ranked[:3]:
        rows = {o: {r.attribute: r for r in c.attributes[o]} for o in OPTIONS}
        diffs = []
        for key in rows["bare-metal"]:
            bm, vm = rows["bare-metal"][key], rows["vm"][key]
            if abs(bm.value - vm.value) > 1e-6:
                diffs.append((abs(bm.value - vm.value), f"{bm.label}: bare metal {_range_text(bm)}, "
                                                         f"VM-backed {_range_text(vm)}"))
        diffs.sort(key=lambda t: -t[0])
        detail = "; ".join(text for _, text in diffs[:2])
        rests.append(f"{c.criterion} (priority {c.priority}) favours {OPTION_LABELS[c.favours or 'vm']} "
                     f"by {abs(c.contribution):.2f}: {detail}")
    if flipping:
        rests.append("a measurement of " + ", ".join(flipping) + " could change the result")
    elif values:
        top = max(values, key=lambda v: v.spread)
        if top.spread > 0:
            rests.append(f"most of the remaining spread comes from the {top.probe} estimate, which a measurement "
                         "would narrow")
    return rests


def _outcome(pack: Pack, results: Mapping[Option, OptionResult], unc: Uncertainty | None,
             probes: list[ProbeResult]) -> tuple[OutcomeKind, Option | None, str]:
    kind, option, sentence = _outcome_text(pack, results, unc, probes)
    return kind, option, sentence[:1].upper() + sentence[1:]


def _outcome_text(pack: Pack, results: Mapping[Option, OptionResult], unc: Uncertainty | None,
                  probes: list[ProbeResult]) -> tuple[OutcomeKind, Option | None, str]:
    bm, vm = results["bare-metal"], results["vm"]
    if bm.status == "infeasible" and vm.status == "infeasible":
        return ("both-ruled-out", None,
                f"Both options are ruled out: bare metal because {'; '.join(bm.ruled_out_by)}; "
                f"VM-backed because {'; '.join(vm.ruled_out_by)}.")
    for out, other in ((bm, vm), (vm, bm)):
        if out.status == "infeasible":
            why = "; ".join(out.ruled_out_by)
            if other.status == "feasible-if":
                pending = "; ".join(other.conditions)
                return ("measure-first", other.option,
                        f"Measure first: {OPTION_LABELS[out.option]} is ruled out ({why}) and {other.name} "
                        f"is feasible only if the measurement passes ({pending}).")
            return ("one-ruled-out", other.option,
                    f"{other.name}: {OPTION_LABELS[out.option]} is ruled out because {why}.")
    assert unc is not None
    p = unc.p_bare_metal_better
    lead: Option = "bare-metal" if p > 0.5 or (p == 0.5 and unc.expected_difference > 0) else "vm"
    leader = results[lead]
    odds = p if lead == "bare-metal" else 1 - p
    interval = f"80 % interval of U(bare metal) - U(VM-backed): {unc.interval80[0]:+.2f} to {unc.interval80[1]:+.2f}"
    if leader.status == "feasible-if":
        pending = "; ".join(c for c in leader.conditions)
        return ("measure-first", lead,
                f"Measure first: {leader.name} leads (better in {share(odds)} of the draws) but is feasible only "
                f"if the measurement passes ({pending}).")
    flipping = [pr.probe for pr in probes if pr.can_flip]
    if unc.close and flipping:
        return ("measure-first", lead,
                f"Measure first: {leader.name} leads (better in {share(odds)} of the draws), but a measurement of "
                f"{', '.join(flipping)} could change the result; {interval}.")
    if abs(p - 0.5) <= pack.meta.tie and abs(unc.expected_difference) < 0.05 * max(
            abs(unc.interval80[0]), abs(unc.interval80[1]), 0.2):
        return ("tie", None,
                f"Tie: neither option is better on what the profile and the evidence say (bare metal better in "
                f"{share(p)} of the draws; {interval}); decide on what the profile does not capture.")
    if unc.close:
        return ("recommend", lead,
                f"{leader.name}, but it is close: better in {share(odds)} of the draws and no measurement the "
                f"advisor knows would settle it; {interval}.")
    return ("recommend", lead, f"{leader.name}: better in {share(odds)} of the draws; {interval}.")
