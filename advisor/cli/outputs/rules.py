"""The JSON outputs of ``rules list``, ``rules show``, ``rules lint`` and ``rules test``."""

from __future__ import annotations

from typing import Any, Literal

from advisor.cli.outputs.common import Out, ProblemRow


class RuleRow(Out):
    id: str
    kind: Literal["constraint", "consequence"]
    option: Literal["bare-metal", "vm"]
    attribute: str | None
    effect: str
    title: str
    when: str
    evidence: list[str]
    cases: int
    pack: str
    file: str


class RulesListOutput(Out):
    """``rules list``: the rules of the (layered) pack and the rules a layer disables (id -> why)."""

    pack: str
    rules: list[RuleRow]
    disabled: dict[str, str]


class EvidenceRow(Out):
    id: str
    source: str
    url: str
    figure: str
    grade: str


class RuleCaseRow(Out):
    name: str
    expect: Literal["fires", "does-not-fire", "unknown"]
    outcome: Literal["fires", "does-not-fire", "unknown"]
    ok: bool
    answers: dict[str, Any]
    defaults: bool
    configuration: dict[str, str]


class BranchRow(Out):
    """A branch of the rule's condition, the value that decides alone, and the first case reaching it (or null)."""

    condition: str
    decides_when: bool
    case: str | None


class RuleShowOutput(Out):
    """``rules show``: one rule, its evidence, how its named cases come out and which case reaches each branch."""

    rule: RuleRow
    rationale: str
    evidence: list[EvidenceRow]
    cases: list[RuleCaseRow]
    branches: list[BranchRow]


class RulesLintOutput(Out):
    """``rules lint``: ``ok`` with the counts, or the problems (exit code 1)."""

    ok: bool
    pack: str | None
    constraints: int
    consequences: int
    archetypes: int
    problems: list[ProblemRow]


class CoverageItemRow(Out):
    kind: Literal["rule", "branch", "question"]
    name: str
    covered: bool
    detail: str
    location: str


class CoverageOutput(Out):
    percent: float
    rules: int
    rules_covered: int
    branches: int
    branches_covered: int
    questions: int
    questions_read: int
    items: list[CoverageItemRow]


class RulesTestOutput(Out):
    """``rules test``: counts, every failure (exit code 4 when there is one) and, with --coverage, the coverage."""

    ok: bool
    rules: int
    rule_cases: int
    pack_cases: int
    passed: int
    failed: int
    failures: list[ProblemRow]
    coverage: CoverageOutput | None
