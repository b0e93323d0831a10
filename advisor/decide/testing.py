"""Rule tests and coverage of a format-2 pack: every rule's named cases, the archetypes, coverage.

* a rule case gives answers (questionnaire defaults fill the rest unless ``defaults:
  false``), optionally configuration values, and ``expect: fires | does-not-fire |
  unknown`` for the rule's ``when``;
* an archetype (``cases/*.yaml``) gives a whole profile and the acceptable outcomes,
  e.g. ``[bare-metal, measure-first]`` or ``[vm/layout=vm-per-tenant]``;
* coverage: every rule has a case that fires, every rule whose ``when`` can be false
  has one that does not, every rule whose ``when`` reads an optional fact (directly or
  through derived facts) has an ``unknown`` case; every branch of a ``when`` (each
  part of an ``and``/``or``, each item of an ``any_of``/``all_of``/``none_of``) has a
  case where it alone decides (true for a part of an ``or`` or an item that is
  present, false for a part of an ``and`` or an item of ``all_of`` that is absent; see
  :func:`advisor.conditions.branches`); and every question is read by some rule
  (directly or through a derived fact).

The facts of a case are built by the caller (the pipeline, exactly as for an assessment).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.conditions import Branch, branches
from advisor.decide.engine import decide, prepare
from advisor.decide.loader import Consequence, Constraint, Pack
from advisor.decide.model import RuleCase
from advisor.decide.outcome import Decision
from advisor.decide.uses import read_by
from advisor.errors import CheckFailed, Location, Problem

__all__ = ["Coverage", "CoverageItem", "FactsFor", "RuleRun", "TestReport", "matches", "run", "run_rule"]

#: Builds the facts of a case: (answers, whether unanswered questions take their defaults).
FactsFor = Callable[[Mapping[str, Any], bool], Mapping[str, Any]]

_SAID = {True: "fires", False: "does-not-fire", None: "unknown"}


def _nothing(_: str) -> Collection[str]:
    return ()


@dataclass(frozen=True)
class CoverageItem:
    """One thing the tests must reach: a rule, a branch of a rule's ``when``, or a question."""

    kind: str  # "rule", "branch" or "question"
    name: str
    covered: bool
    detail: str  # what covers it, or what is missing
    where: Location


@dataclass
class Coverage:
    rules: int = 0
    rules_covered: int = 0
    branches: int = 0
    branches_covered: int = 0
    questions: int = 0
    questions_read: int = 0
    missing: list[str] = field(default_factory=list)
    items: list[CoverageItem] = field(default_factory=list)

    @property
    def percent(self) -> float:
        total = self.rules + self.branches + self.questions
        covered = self.rules_covered + self.branches_covered + self.questions_read
        return 100.0 * covered / total if total else 100.0

    def add(self, item: CoverageItem) -> None:
        self.items.append(item)
        if item.kind == "rule":
            self.rules += 1
            self.rules_covered += item.covered
        elif item.kind == "branch":
            self.branches += 1
            self.branches_covered += item.covered
        else:
            self.questions += 1
            self.questions_read += item.covered
        if not item.covered:
            self.missing.append(f"{item.name}: {item.detail}")

    def summary(self) -> str:
        return (f"coverage {self.percent:.0f} %: rules {self.rules_covered}/{self.rules}, branches "
                f"{self.branches_covered}/{self.branches}, questions {self.questions_read}/{self.questions}")


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


@dataclass(frozen=True)
class RuleRun:
    """A rule's named cases with what the rule says for each, and each branch with the first case reaching it."""

    cases: list[tuple[RuleCase, bool | None]]
    branches: list[tuple[Branch, str | None]]

    def said(self, got: bool | None) -> str:
        return _SAID[got]


def run_rule(pack: Pack, rule: Constraint | Consequence, facts_for: FactsFor) -> RuleRun:
    """``rule``'s ``when`` for each of its cases (the option's plain configuration unless the case sets one)."""
    plain = {d.name: d.values[0] for d in pack.dimensions[rule.rule.option]}
    parts = branches(rule.rule.when, pack.catalog)
    reached: list[str | None] = [None] * len(parts)
    cases: list[tuple[RuleCase, bool | None]] = []
    for rcase in rule.rule.cases:
        facts = prepare(pack, facts_for(rcase.answers, rcase.defaults))
        facts.update({f"config.{k}": v for k, v in {**plain, **rcase.configuration}.items()})
        cases.append((rcase, rule.when.evaluate(facts)))
        for n, part in enumerate(parts):
            if reached[n] is None and part.condition.evaluate(facts) is part.decides:
                reached[n] = rcase.name
    return RuleRun(cases, list(zip(parts, reached, strict=True)))


def run(pack: Pack, facts_for: FactsFor, *, questions: Collection[str] = (), optional: Collection[str] = (),
        reads: Callable[[str], Collection[str]] | None = None, coverage: bool = True) -> TestReport:
    """Run every rule case and archetype; ``questions`` and ``reads`` give the question coverage.

    With ``coverage`` (the default) every item below 100 % coverage is a failure too;
    without it the coverage is only reported.

    ``optional`` names facts that can be absent (questions with a ``when``, measured
    facts); ``reads(name)`` gives the questions a fact is computed from.
    """
    report = TestReport(rules=len(pack.rules))
    cov = report.coverage
    for rule in pack.rules:
        result = run_rule(pack, rule, facts_for)
        seen = {got for _, got in result.cases}
        for i, (rcase, got) in enumerate(result.cases):
            report.rule_cases += 1
            if _SAID[got] == rcase.expect:
                report.passed += 1
            else:
                report.failures.append(Problem(
                    f"{rule.id}: case {rcase.name!r} expects {rcase.expect}, the rule {_SAID[got]}",
                    "fix the rule or the case", rule.doc.where(("cases", i))))
        needs: set[bool | None] = {True}
        if rule.rule.when.strip() != "true":
            needs.add(False)
        if any(n in optional for n in read_by(pack, rule.when.names, reads or _nothing)):
            needs.add(None)
        lacking = needs - seen
        detail = (f"no case that {' or '.join(sorted(_SAID[x] for x in lacking))}" if lacking
                  else ", ".join(sorted(_SAID[x] for x in needs)))
        cov.add(CoverageItem("rule", rule.id, not lacking, detail, rule.doc.where(("cases",), key=True)))
        for part, by in result.branches:
            cov.add(CoverageItem("branch", f"{rule.id}: {part.label}", by is not None,
                                 f"case {by!r}" if by is not None else "no case where it decides",
                                 rule.doc.where(("when",))))
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
    for q in questions:
        ok = q in read or q.startswith("priority_") or q == "workload_name"
        cov.add(CoverageItem("question", f"question {q}", ok, "read" if ok else "no rule reads it",
                             Location(pack.root)))
    for item in cov.items if coverage else ():
        if not item.covered:
            report.failures.append(Problem(f"coverage: {item.name}: {item.detail}", "add the case or the rule",
                                           item.where))
    return report

