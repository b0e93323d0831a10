"""Tipping points of a profile against a format-2 pack: :mod:`advisor.sensitivity` wired to the decision engine.

Every evaluation decides the changed answers with the profile's own draws (common
random numbers); answers no rule depends on are not searched, and when the constraints
alone decided the profile only the answers a constraint depends on are; the budget is
in estimated milliseconds of evaluation (docs/whatif.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from advisor.errors import DataError
from advisor.pipeline import decision_facts, load_decision_pack, load_questionnaire, question_units
from advisor.profile import Profile
from advisor.questionnaire import Questionnaire
from advisor.rules import catalog as _catalog

if TYPE_CHECKING:
    from advisor import decide as decision_engine
    from advisor import sensitivity

__all__ = [
    "RECORD_BUDGET_MS",
    "SCREEN_DECIDED",
    "WHATIF_BUDGET_MS",
    "tipping_points",
]


#: Default work budget of :func:`tipping_points` (``advisor whatif``), in estimated milliseconds of evaluation.
WHATIF_BUDGET_MS = 2000.0
#: The budget of the tipping points a decision record carries: the nearest changes of each answer.
RECORD_BUDGET_MS = 60.0
#: Estimated milliseconds of one decision whose fleet answers are unchanged.
_DECIDE_MS = 5.0
#: Estimated milliseconds of a new fleet's fault-domain metrics: fixed, per pod and per host (both options;
#: measured on the 2-core CI machine kind, 20 to 10,000 hosts, 400 to 500,000 pods; docs/whatif.md).
_FLEET_MS, _FLEET_MS_PER_POD, _FLEET_MS_PER_HOST = 0.7, 0.0004, 0.004


def _whatif_dependents(pack: decision_engine.Pack, questionnaire: Questionnaire) -> dict[str, set[str]]:
    """For each question, the rules of a format-2 pack whose outcome or estimate can depend on its answer.

    A rule depends on the answers it reads, on the inputs of the derived facts it reads
    (the catalog's and the pack's own), on every fleet answer when it reads a graph
    fact, and on the answers that decide whether those questions apply (their ``when``).
    """
    import dataclasses

    from advisor import faultdomain

    fleet = {f.name for f in dataclasses.fields(faultdomain.FleetParams) if f.name in questionnaire.by_key}
    derived: dict[str, Collection[str]] = {d.name: d.inputs for d in _catalog.DERIVED}
    derived.update({d.name: d.expr.names for d in pack.derived})

    def answers_of(names: Collection[str], seen: set[str]) -> set[str]:
        keys: set[str] = set()
        for name in names:
            if name.startswith("graph."):
                keys |= fleet
            elif name in questionnaire.by_key:
                keys.add(name)
            elif name in derived and name not in seen:
                seen.add(name)
                keys |= answers_of(derived[name], seen)
        return keys

    out: dict[str, set[str]] = {k: set() for k in questionnaire.by_key}
    for rule in pack.rules:
        keys = answers_of(rule.names, set())
        for q in reversed(questionnaire.questions):  # a question's condition decides whether its answer exists
            if q.key in keys and q.key in questionnaire.conditions:
                keys.update(n for n in questionnaire.conditions[q.key].names if n in questionnaire.by_key)
        for key in keys:
            out[key].add(rule.id)
    return out


#: Constraint results that rule a configuration out (the screen's blocking kinds).
_RULING = ("infeasible", "configuration", "measurement-failed")
#: Why an answer is not searched when the constraints alone decided the profile.
SCREEN_DECIDED = "the constraints decided this profile and none depends on it"


def _whatif_may_flip(pack: decision_engine.Pack, questionnaire: Questionnaire, screen_decided: bool = False,
                     dependents: Mapping[str, set[str]] | None = None) -> set[str]:
    """The answers worth searching: those some rule depends on, and every ``priority_*`` weight.

    An answer no rule reads (directly or through derived facts, the fault-domain graph
    or a question's condition) cannot change the decision; it is reported robust
    without an evaluation. When the screen alone decided the profile (``screen_decided``,
    see :func:`_screen_decided`), only the answers some constraint depends on can change it.
    ``dependents`` is :func:`_whatif_dependents` when the caller has it.
    """
    if dependents is None:
        dependents = _whatif_dependents(pack, questionnaire)
    if screen_decided:
        constraints = {c.id for c in pack.constraints}
        return {key for key, rules in dependents.items() if rules & constraints}
    may: set[str] = {k for k in questionnaire.by_key if k.startswith("priority_")}
    may.update(key for key, rules in dependents.items() if rules)
    return may


def _screen_decided(pack: decision_engine.Pack, base: decision_engine.Decision, units: Mapping[str, str]) -> bool:
    """Whether the constraints alone decided ``base``, whatever the consequences and priorities.

    So when an option is ruled out (every configuration infeasible) and the other's
    feasible configurations all have the same screen status (all feasible, or all
    feasible only if a measurement passes): the outcome kind and the option are then
    fixed by the screen, and P is not computed. A change of an answer that no
    constraint depends on leaves every screen as it is, so it cannot tip the decision.
    """
    from advisor.decide.engine import prepare
    from advisor.decide.screen import screen
    from advisor.decide.variants import configurations

    if base.outcome not in ("one-ruled-out", "both-ruled-out", "measure-first"):
        return False
    if not any(o.status == "infeasible" for o in base.options.values()):
        return False
    facts = prepare(pack, base.facts)
    for option, result in base.options.items():
        if result.status == "infeasible":
            continue
        statuses = {screen(pack, {**facts, **config.facts}, option, units).status
                    for config in configurations(pack, option)}
        statuses.discard("infeasible")
        if len(statuses) > 1:
            return False
    return True


def _whatif_cost(answers: Mapping[str, Any]) -> sensitivity.Cost:
    """Estimated milliseconds of one decision, plus the fault-domain graph of a new fleet."""
    from advisor import faultdomain

    base = faultdomain.FleetParams.from_answers(answers)

    def cost(values: Mapping[str, Any]) -> float:
        try:
            params = faultdomain.FleetParams.from_answers(values)
        except DataError:
            return _DECIDE_MS
        if params == base:
            return _DECIDE_MS
        pods = params.service_count * params.replicas_per_service
        return _DECIDE_MS + _FLEET_MS + _FLEET_MS_PER_POD * pods + _FLEET_MS_PER_HOST * params.physical_hosts

    return cost


def tipping_points(answers: Mapping[str, Any] | Profile, pack: decision_engine.Pack | None = None,
                   questionnaire: Questionnaire | None = None, *, measured: Mapping[str, Any] | None = None,
                   budget_ms: float = WHATIF_BUDGET_MS, base: decision_engine.Decision | None = None,
                   compare_with: Mapping[str, Any] | None = None) -> sensitivity.Analysis:
    """The tipping points of one profile against a format-2 pack (default: the bundled one); see docs/whatif.md.

    Returns an :class:`advisor.sensitivity.Analysis`:

    * ``outcome``, ``recommendation``, ``configuration``, ``p_bare_metal``: the profile's decision;
    * ``tipping_points``: :class:`advisor.sensitivity.TippingPoint`, smallest relative change first;
      each has ``sentence`` ("Raising the p99 latency SLO above 1 ms would make VM-backed the
      better option (P(bare metal better) 0.91 -> 0.55)."), ``condition`` (``latency_p99_ms >
      1``, rule expression syntax over the answers), ``trigger`` ("Revisit if the p99 latency
      SLO rises above 1 ms."), the new ``outcome``/``recommendation``/``configuration``,
      ``p_before``/``p_after`` and ``changes`` (what tipped); ``to_dict()`` for JSON;
    * ``changes(limit=5)``: what would change the answer, merged and ordered sentences (for the record);
    * ``triggers(limit=5)``: revisit triggers (``condition``, ``sentence``) in the same order;
      ``advisor records check`` evaluates the conditions on the current profile;
    * ``robust``, ``not_applicable``, ``evaluations``, ``complete``;
    * ``before``: with ``compare_with`` (the answers without the changes under study), their
      decision with the same draws, so the change's effect on P is the change's alone.

    Every evaluation uses the profile's own draws (its seed), so P moves only because the
    answer moved. ``budget_ms`` bounds the estimated evaluation time (about 5 ms a
    decision, more for a new fleet's graph); searches it cuts short are reported as
    incomplete. A record uses :data:`RECORD_BUDGET_MS`. ``base`` is the profile's decision
    when the caller has it (it must have been decided with the same pack and seed).
    """
    from advisor import decide as decision_engine
    from advisor.decide import sampling
    from advisor.decide.reuse import Reuse

    if isinstance(answers, Profile):
        questionnaire = questionnaire or answers.questionnaire
        answers = answers.values()
    q = questionnaire or load_questionnaire()
    p = pack or load_decision_pack(questionnaire=q)
    units = question_units(q)
    facts = decision_facts(answers, q, measured=measured)
    seed = sampling.profile_seed({k: v for k, v in facts.items() if not k.startswith("graph.")})

    draws: dict[tuple[int, int], Any] = {}  # value draws shared by every evaluation (same seed, same pack)
    reuse = Reuse()  # and each option's configurations, while the facts its rules read are unchanged

    def run(values: Mapping[str, Any], brief: bool = True) -> decision_engine.Decision:
        return decision_engine.decide(p, decision_facts(values, q, measured=measured), seed=seed, units=units,
                                      draws=draws, reuse=reuse, brief=brief)

    first = base if base is not None else decision_engine.decide(p, facts, seed=seed, units=units, draws=draws,
                                                                 reuse=reuse)
    close = (float(p.meta.close[0]), float(p.meta.close[1]))
    before = None if compare_with is None else run(compare_with, brief=False)
    from advisor import sensitivity

    decided = _screen_decided(p, first, units)
    ruling = {c.rule_id for c in first.constraints if c.kind in _RULING} if decided else set()
    dependents = _whatif_dependents(p, q)
    return sensitivity.analyse(answers, run, q, cost=_whatif_cost(answers), budget=budget_ms,
                               relevant=_whatif_may_flip(p, q, decided, dependents), base=first, close_band=close,
                               before=before,
                               seed=seed, why_not_relevant=SCREEN_DECIDED if decided else sensitivity.NOT_READ,
                               first={key for key, rules in dependents.items() if rules & ruling})
