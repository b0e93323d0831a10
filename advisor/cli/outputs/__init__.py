"""The JSON outputs of every reporting command: their models and published JSON Schemas.

``advisor COMMAND --format json`` prints one JSON document on stdout and nothing else;
its JSON Schema is ``advisor schema NAME`` (NAME: the command words joined by ``-``,
e.g. ``rules-list``) and is checked in under docs/schemas/. The schemas are generated
from the pydantic models of this package (one module per command group), or from the
models of the core modules where the output is one of them (the decision, a question, a
measurement result, a decision record). Imported only to print JSON or a schema, so
that the commands start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from advisor.cli.outputs.analysis import FactRow, GraphOutput, WhatifOutput
from advisor.cli.outputs.common import PathOutput, problem_rows
from advisor.cli.outputs.observe import ObserveOutput
from advisor.cli.outputs.plugins import PluginsOutput
from advisor.cli.outputs.portfolio import PortfolioOutput
from advisor.cli.outputs.profile import ProfileValidateOutput
from advisor.cli.outputs.records import RecordRow, RecordsCheckOutput, RecordsDiffOutput
from advisor.cli.outputs.rules import RuleShowOutput, RulesLintOutput, RulesListOutput, RulesTestOutput

__all__ = ["OUTPUTS", "problem_rows", "schema_names", "schema_of"]


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
