"""The rule-test runner core: every rule's own cases and the pack's whole-profile cases.

Each rule must fire for each of its ``tests.fires`` profiles and must not fire (false,
not unknown) for each ``tests.does_not_fire`` profile, and needs at least one of each.
Each whole-pack case must get its ``expect``ed recommendation. The facts of a case are
built by the caller (the pipeline, exactly as for an assessment), so this module
depends on nothing above the rules layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import CheckFailed, Location, Problem
from advisor.rules.engine import evaluate_rule
from advisor.rules.model import Pack

__all__ = ["FactsFor", "Recommend", "RuleTestReport", "run_tests"]

#: Builds the facts of a case from its answers (the same path as an assessment); the
#: second argument gives the position of each answer key for error messages.
FactsFor = Callable[[Mapping[str, Any], Mapping[str, Location]], Mapping[str, Any]]
#: Recommends an option for a case's answers: (recommendation, one-line summary of why).
Recommend = Callable[[Mapping[str, Any], Mapping[str, Location]], tuple[str, str]]

_SAID = {True: "fired", False: "did not fire", None: "was unknown"}


@dataclass
class RuleTestReport:
    """Counts and every mismatch of one run."""

    rules: int = 0
    rule_cases: int = 0
    pack_cases: int = 0
    passed: int = 0
    failures: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        status = "ok" if self.ok else "FAILED"
        return (
            f"{status}: {self.rules} rules, {self.rule_cases} rule cases, {self.pack_cases} pack cases; "
            f"{self.passed} passed, {len(self.failures)} failed"
        )

    def check(self) -> None:
        """Raise CheckFailed (exit code 4) listing every failure."""
        if self.failures:
            raise CheckFailed("", problems=self.failures)


def run_tests(pack: Pack, facts_for: FactsFor, recommend: Recommend) -> RuleTestReport:
    """Run every rule case and pack case of ``pack``; never raises for a mismatch."""
    report = RuleTestReport(rules=len(pack.rules))
    fail = report.failures.append
    for rule in pack.rules:
        kinds = {case.expect_fire for case in rule.tests}
        for wanted, key in ((True, "fires"), (False, "does_not_fire")):
            if wanted not in kinds:
                fail(Problem(f"rule {rule.id!r} has no '{key}' test case",
                             f"add at least one partial profile under tests.{key}", rule.location))
        for case in rule.tests:
            report.rule_cases += 1
            finding = evaluate_rule(rule, facts_for(case.answers, case.key_locations))
            got = {"fired": True, "not-fired": False}.get(finding.outcome)
            if got is case.expect_fire:
                report.passed += 1
                continue
            should = "fire" if case.expect_fire else "not fire"
            fail(Problem(f"rule {rule.id!r} should {should} for this case but {_SAID[got]} ({finding.explanation})",
                         "fix the rule's 'when' or the test case", case.location))
    for pcase in pack.cases:
        report.pack_cases += 1
        got_option, why = recommend(pcase.answers, pcase.key_locations)
        if got_option == pcase.expect:
            report.passed += 1
            continue
        fail(Problem(f"case {pcase.name!r} expects {pcase.expect} but the pack recommends {got_option}: {why}",
                     "adjust the rules' weights or conditions, or the case", pcase.location))
    if report.rule_cases + report.pack_cases == 0:
        fail(Problem("no tests found: no rule has test cases and the pack has no cases",
                     "add tests.fires and tests.does_not_fire to each rule", Location(pack.name)))
    return report
