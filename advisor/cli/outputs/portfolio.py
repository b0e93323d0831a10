"""The JSON output of ``portfolio``."""

from __future__ import annotations

from typing import Any, Literal

from advisor.cli.outputs.common import Option, Out


class CloseCall(Out):
    workload: str
    outcome: str
    recommendation: str
    p_bare_metal: float | None


class RuledOutRow(Out):
    workload: str
    option: Option
    rules: list[str]
    reason: str


class Difference(Out):
    key: str
    a: Any
    b: Any


class ConsistencyFlag(Out):
    workloads: list[str]
    distance: float
    recommendations: list[str]
    differences: list[Difference]


class WorkloadRow(Out):
    name: str
    source: str
    outcome: str
    recommendation: str
    configuration: str | None
    p_bare_metal: float | None
    close: bool
    record: str | None


class NameVersion(Out):
    name: str
    version: Any


class QuestionnaireRef(Out):
    id: str
    version: Any


class PortfolioOutput(Out):
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
