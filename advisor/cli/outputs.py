"""The JSON outputs of every reporting command: their models and published JSON Schemas.

``advisor COMMAND --format json`` prints one JSON document on stdout and nothing else;
its JSON Schema is ``advisor schema NAME`` (NAME: the command words joined by ``-``,
e.g. ``rules-list``) and is checked in under docs/schemas/. The schemas are generated
from the pydantic models here, or from the models of the core modules where the output
is one of them (the scored result, a question, a measurement result, a decision record).
Imported only to print JSON or a schema, so that the commands start fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from advisor.errors import Problem

__all__ = ["OUTPUTS", "problem_rows", "schema_names", "schema_of"]

Option = Literal["bare-metal", "vm", "none"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemRow(_Out):
    """One problem: where (file:line:col, or null), what is wrong and what to do."""

    location: str | None
    message: str
    hint: str | None


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Problems as JSON rows (:class:`ProblemRow`)."""
    return [{"location": str(p.location) if p.location is not None else None, "message": p.message,
             "hint": p.hint} for p in problems]


class PathOutput(_Out):
    """``rules path`` / ``questions path``: where the bundled files are."""

    path: str


class ProfileCheck(_Out):
    file: str
    valid: bool
    partial: bool
    answers: int
    defaults: int
    not_yet_answered: list[str]
    problems: list[ProblemRow]


class ProfileValidateOutput(_Out):
    """``profile validate``: one entry per file; ``ok`` when every file is valid."""

    ok: bool
    files: list[ProfileCheck]


class RuleRow(_Out):
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


class RulesListOutput(_Out):
    """``rules list``: the rules of the (layered) pack and the rules a layer disables (id -> why)."""

    pack: str
    rules: list[RuleRow]
    disabled: dict[str, str]


class EvidenceRow(_Out):
    id: str
    source: str
    url: str
    figure: str
    grade: str


class RuleCaseRow(_Out):
    name: str
    expect: Literal["fires", "does-not-fire", "unknown"]
    outcome: Literal["fires", "does-not-fire", "unknown"]
    ok: bool
    answers: dict[str, Any]
    defaults: bool
    configuration: dict[str, str]


class BranchRow(_Out):
    """A branch of the rule's condition, the value that decides alone, and the first case reaching it (or null)."""

    condition: str
    decides_when: bool
    case: str | None


class RuleShowOutput(_Out):
    """``rules show``: one rule, its evidence, how its named cases come out and which case reaches each branch."""

    rule: RuleRow
    rationale: str
    evidence: list[EvidenceRow]
    cases: list[RuleCaseRow]
    branches: list[BranchRow]


class RulesLintOutput(_Out):
    """``rules lint``: ``ok`` with the counts, or the problems (exit code 1)."""

    ok: bool
    pack: str | None
    constraints: int
    consequences: int
    archetypes: int
    problems: list[ProblemRow]


class CoverageItemRow(_Out):
    kind: Literal["rule", "branch", "question"]
    name: str
    covered: bool
    detail: str
    location: str


class CoverageOutput(_Out):
    percent: float
    rules: int
    rules_covered: int
    branches: int
    branches_covered: int
    questions: int
    questions_read: int
    items: list[CoverageItemRow]


class RulesTestOutput(_Out):
    """``rules test``: counts, every failure (exit code 4 when there is one) and, with --coverage, the coverage."""

    ok: bool
    rules: int
    rule_cases: int
    pack_cases: int
    passed: int
    failed: int
    failures: list[ProblemRow]
    coverage: CoverageOutput | None


class FactRow(_Out):
    name: str
    type: str
    choices: list[str] | None
    source: str
    description: str


class MetricDefinition(_Out):
    type: str
    definition: str


class GraphOption(_Out):
    label: str
    metrics: dict[str, Any]


class GraphOutput(_Out):
    """``graph``: inputs, the metric values of each option, and the metrics' definitions."""

    source: str
    inputs: dict[str, Any] | None
    options: dict[str, GraphOption]
    definitions: dict[str, MetricDefinition]


class TippingPointRow(_Out):
    key: str
    kind: str
    group: Literal["input", "priority"]
    current: Any
    direction: str
    threshold: Any
    before: Any
    item: str | None
    outcome: str
    recommendation: str | None
    configuration: str | None
    p_before: float | None
    p_after: float | None
    changes: list[Literal["outcome", "recommendation", "probability"]]
    relative_change: float
    exact: bool
    condition: str
    sentence: str
    trigger: str


class RobustRow(_Out):
    key: str
    group: Literal["input", "priority"]
    current: Any
    searched: str
    complete: bool


class Trigger(_Out):
    condition: str
    sentence: str


class DecisionBrief(_Out):
    outcome: str
    recommendation: str | None
    configuration: str | None
    p_bare_metal: float | None
    sentence: str


class WhatifOutput(_Out):
    """``whatif``: the decision (before and after --set changes), tipping points, robust answers."""

    outcome: str
    recommendation: str | None
    configuration: str | None
    p_bare_metal: float | None
    sentence: str
    seed: int | None
    close_band: list[float]
    before: DecisionBrief | None
    tipping_points: list[TippingPointRow]
    robust: list[RobustRow]
    not_applicable: list[str]
    evaluations: int
    complete: bool
    tolerance: float
    changes: list[str]
    revisit_triggers: list[Trigger]


class PluginRow(_Out):
    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool


class ProbeRow(_Out):
    name: str
    plugin: str
    title: str
    tools: list[str]
    installed: bool
    missing: list[str]
    install_hint: str | None


class RunnerRow(_Out):
    kind: str
    plugin: str


class PluginsOutput(_Out):
    """``plugins``: measurement plugins, their probes (and missing tools) and runners."""

    plugins: list[PluginRow]
    probes: list[ProbeRow]
    runners: list[RunnerRow]
    warnings: list[str]


class RecordRow(_Out):
    number: int
    title: str
    status: str
    recommendation: str
    date: str
    superseded_by: int | None
    supersedes: int | None
    file: str


class ChangeRow(_Out):
    kind: Literal["answer", "measurement", "rules", "weight", "fired"]
    name: str
    before: Any
    after: Any
    flips: bool | None


class RecordsDiffOutput(_Out):
    """``records diff``: what changed from record A to record B and what changed the outcome."""

    a: int
    b: int
    recommendation: list[str]
    outcome_changed: bool
    changes: list[ChangeRow]
    changed_the_outcome: list[str]
    notes: list[str]


class CheckFindingRow(_Out):
    file: str
    number: int
    kind: Literal["trigger", "review", "rules"]
    message: str


class RecordsCheckOutput(_Out):
    """``records check``: the findings, or the folder's problems (exit code 4 when there is either), and notes."""

    ok: bool
    checked: int
    findings: list[CheckFindingRow]
    notes: list[str]
    problems: list[ProblemRow]


class CloseCall(_Out):
    workload: str
    outcome: str
    recommendation: str
    p_bare_metal: float | None


class RuledOutRow(_Out):
    workload: str
    option: Option
    rules: list[str]
    reason: str


class Difference(_Out):
    key: str
    a: Any
    b: Any


class ConsistencyFlag(_Out):
    workloads: list[str]
    distance: float
    recommendations: list[str]
    differences: list[Difference]


class WorkloadRow(_Out):
    name: str
    source: str
    outcome: str
    recommendation: str
    configuration: str | None
    p_bare_metal: float | None
    close: bool
    record: str | None


class NameVersion(_Out):
    name: str
    version: Any


class QuestionnaireRef(_Out):
    id: str
    version: Any


class PortfolioOutput(_Out):
    """``portfolio``: the summary (also written to portfolio-summary.json)."""

    advisor_portfolio_summary: Literal[1]
    inventory: str
    date: str
    questionnaire: QuestionnaireRef
    rules: list[NameVersion]
    records_dir: str | None
    workload_count: int
    counts: dict[str, int]
    outcomes: dict[str, int]
    close_calls: list[CloseCall]
    ruled_out: list[RuledOutRow]
    similarity_threshold: float
    consistency: list[ConsistencyFlag]
    #: flags beyond the report's cap, counted but not listed
    consistency_omitted: int
    workloads: list[WorkloadRow]


class ObservedAnswer(_Out):
    key: str
    observed: Any
    before: Any
    before_kind: str | None
    action: Literal["set", "updated", "unchanged", "kept", "overwritten", "agrees", "invalid"]
    derivation: str
    partial: str | None
    problem: str | None


class Unobserved(_Out):
    key: str
    reason: str


class ObserveOutput(_Out):
    """``observe``: what each cluster shows, the answers derived (and what became of them), what is not seen."""

    clusters: list[str]
    answers: list[ObservedAnswer]
    unobserved: list[Unobserved]
    problems: list[str]
    profile: str | None


def _assess() -> Any:
    from advisor.decide import Decision

    return Decision


def _questions() -> Any:
    from advisor.questionnaire import Question

    return list[Question]


def _measure() -> Any:
    from advisor.measure.results import MeasurementResult

    return MeasurementResult


def _record() -> Any:
    from advisor.records import DecisionRecord

    return DecisionRecord


#: schema NAME -> the type of the JSON that command prints (resolved lazily).
OUTPUTS: dict[str, Callable[[], Any]] = {
    "assess": _assess,
    "questions": _questions,
    "questions-path": lambda: PathOutput,
    "profile-validate": lambda: ProfileValidateOutput,
    "rules-list": lambda: RulesListOutput,
    "rules-show": lambda: RuleShowOutput,
    "rules-lint": lambda: RulesLintOutput,
    "rules-test": lambda: RulesTestOutput,
    "rules-path": lambda: PathOutput,
    "facts": lambda: list[FactRow],
    "graph": lambda: GraphOutput,
    "whatif": lambda: WhatifOutput,
    "measure": _measure,
    "plugins": lambda: PluginsOutput,
    "records-list": lambda: list[RecordRow],
    "records-show": _record,
    "records-diff": lambda: RecordsDiffOutput,
    "records-check": lambda: RecordsCheckOutput,
    "portfolio": lambda: PortfolioOutput,
    "observe": lambda: ObserveOutput,
}


def schema_names() -> list[str]:
    """Every published output schema name."""
    return sorted(OUTPUTS)


def schema_of(name: str) -> dict[str, Any]:
    """The JSON Schema of the JSON that ``name`` prints (serialization mode: what is written)."""
    schema = TypeAdapter(OUTPUTS[name]()).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"advisor {name.replace('-', ' ', 1)} --format json"
    return schema
