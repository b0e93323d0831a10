"""The JSON outputs of ``facts``, ``graph`` and ``whatif``."""

from __future__ import annotations

from typing import Any, Literal

from advisor.cli.outputs.common import Out


class FactRow(Out):
    name: str
    type: str
    choices: list[str] | None
    source: str
    description: str


class MetricDefinition(Out):
    type: str
    definition: str


class GraphOption(Out):
    label: str
    metrics: dict[str, Any]


class GraphOutput(Out):
    """``graph``: inputs, the metric values of each option, and the metrics' definitions."""

    source: str
    inputs: dict[str, Any] | None
    options: dict[str, GraphOption]
    definitions: dict[str, MetricDefinition]


class TippingPointRow(Out):
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


class RobustRow(Out):
    key: str
    group: Literal["input", "priority"]
    current: Any
    searched: str
    complete: bool


class Trigger(Out):
    condition: str
    sentence: str


class DecisionBrief(Out):
    outcome: str
    recommendation: str | None
    configuration: str | None
    p_bare_metal: float | None
    sentence: str


class WhatifOutput(Out):
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
