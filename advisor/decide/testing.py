"""Rule tests and coverage of a format-2 pack: every rule's named cases, the archetypes, coverage.

* a rule case gives answers (questionnaire defaults fill the rest unless ``defaults:
  false``), optionally configuration values, and ``expect: fires | does-not-fire |
  unknown`` for the rule's ``when``;
* an archetype (``cases/*.yaml``) gives a whole profile and the acceptable outcomes,
  e.g. ``[bare-metal, measure-first]`` or ``[vm/layout=vm-per-tenant]``;
* coverage: every rule has a case that fires, every rule whose ``when`` can be false
  has one that does not, every rule that reads an optional fact has an ``unknown``
  case, and every question is read by some rule (directly or through a derived fact).

The facts of a case are built by the caller (the pipeline, exactly as for an assessment).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.decide.engine import decide, prepare
from advisor.decide.loader import Consequence, Constraint, Pack
from advisor.decide.outcome import Decision
from advisor.errors import CheckFailed, Location, Problem

__all__ = ["Coverage", "FactsFor", "TestReport", "matches", "run"]

#: Builds the facts of a case: (answers, whether unanswered questions take their defaults).
FactsFor = Callable[[Mapping[str, Any], bool], Mapping[str, Any]]

_SAID = {True: "fires", False: "does-not-fire", None: "unknown"}


@dataclass
class Coverage:
    rules: int = 0
    rules_covered: int = 0
    questions: int = 0
    questions_read: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        total = self.rules + self.questions
        return 100.0 * (self.rules_covered + self.questions_read) / total if total else 100.0


@dataclass
class TestReport:
    rules: int = 0
    rule_cases: int = 0
    pack_cases: int = 0
    passed: int = 0
    failures: list[Problem] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        status = "ok" if self.ok else "FAILED"
        return (f"{status}: {self.rules} rules, {self.rule_cases} rule cases, {self.pack_cases} archetypes; "
                f"{self.passed} passed, {len(self.failures)} failed; coverage {self.coverage.percent:.0f} %")

    def check(self) -> None:
        if self.failures:
            raise CheckFailed("", problems=self.failures)


def matches(decision: Decision, expect: str) -> bool:
    """Whether ``decision`` is the outcome ``expect`` names (see :class:`advisor.decide.model.CaseFile`)."""
    head, _, config = expect.partition("/")
    if head in ("tie", "both-ruled-out", "measure-first"):
        return decision.outcome == head
    if decision.outcome not in ("recommend", "one-ruled-out") or decision.recommendation != head:
        return False
    if not config:
        return True
    chosen = decision.options[decision.recommendation].configuration.partition("/")[2].split(",")
    return all(part in chosen for part in config.split(","))


def _rule_case_outcome(rule: Constraint | Consequence, facts: Mapping[str, Any], config: Mapping[str, str]
                       ) -> bool | None:
    f = dict(facts)
    f.update({f"config.{k}": v for k, v in config.items()})
    return rule.when.evaluate(f)


def run(pack: Pack, facts_for: FactsFor, *, questions: Collection[str] = (), optional: Collection[str] = (),
        reads: Callable[[str], Collection[str]] | None = None) -> TestReport:
    """Run every rule case and archetype; ``questions`` and ``reads`` give the question coverage.

    ``optional`` names facts that can be absent (questions with a ``when``, measured
    facts); ``reads(name)`` gives the questions a fact is computed from.
    """
    report = TestReport(rules=len(pack.rules))
    cov = report.coverage
    cov.rules = len(pack.rules)
    plain = {o: {d.name: d.values[0] for d in pack.dimensions[o]} for o in pack.dimensions}
    for rule in pack.rules:
        seen: set[bool | None] = set()
        for i, rcase in enumerate(rule.rule.cases):
            report.rule_cases += 1
            facts = _with_derived(pack, facts_for(rcase.answers, rcase.defaults))
            config = dict(plain[rule.rule.option])
            config.update(rcase.configuration)
            got = _rule_case_outcome(rule, facts, config)
            seen.add(got)
            if _SAID[got] == rcase.expect:
                report.passed += 1
            else:
                report.failures.append(Problem(
                    f"{rule.id}: case {rcase.name!r} expects {rcase.expect}, the rule {_SAID[got]}",
                    "fix the rule or the case", rule.doc.where(("cases", i))))
        needs: set[bool | None] = {True}
        if rule.rule.when.strip() != "true":
            needs.add(False)
        if any(n in optional for n in rule.when.names):
            needs.add(None)
        lacking = needs - seen
        if lacking:
            cov.missing.append(f"{rule.id}: no case that {' or '.join(sorted(_SAID[x] for x in lacking))}")
        else:
            cov.rules_covered += 1
    for case in pack.cases:
        report.pack_cases += 1
        decision = decide(pack, {**facts_for(case.model.answers, True), **case.model.measured})
        if any(matches(decision, e) for e in case.model.expect):
            report.passed += 1
        else:
            said = decision.outcome + (f" {decision.options[decision.recommendation].configuration}"
                                       if decision.recommendation else "")
            report.failures.append(Problem(
                f"archetype {case.model.name!r} expects {' or '.join(case.model.expect)}, got {said}: "
                f"{decision.sentence}", "fix the pack or argue the new expectation", case.doc.where(("expect",))))
    read: set[str] = set()
    for rule in pack.rules:
        for name in rule.names:
            read.add(name)
            read.update(reads(name) if reads else ())
    for d in pack.derived:
        if d.name in read:
            for name in d.expr.names:
                read.add(name)
                read.update(reads(name) if reads else ())
    cov.questions = len(questions)
    for q in questions:
        if q in read or q.startswith("priority_") or q == "workload_name":
            cov.questions_read += 1
        else:
            cov.missing.append(f"question {q}: no rule reads it")
    for line in cov.missing:
        report.failures.append(Problem(f"coverage: {line}", "add the case or the rule", Location(pack.root)))
    return report


def _with_derived(pack: Pack, facts: Mapping[str, Any]) -> dict[str, Any]:
    return prepare(pack, facts)
