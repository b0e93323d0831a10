"""The JSON outputs of ``records list``, ``records diff`` and ``records check``."""

from __future__ import annotations

from typing import Any, Literal

from advisor.cli.outputs.common import Out, ProblemRow


class RecordRow(Out):
    number: int
    title: str
    status: str
    recommendation: str
    date: str
    superseded_by: int | None
    supersedes: int | None
    file: str


class ChangeRow(Out):
    kind: Literal["answer", "measurement", "rules", "weight", "fired"]
    name: str
    before: Any
    after: Any
    flips: bool | None


class RecordsDiffOutput(Out):
    """``records diff``: what changed from record A to record B and what changed the outcome."""

    a: int
    b: int
    recommendation: list[str]
    outcome_changed: bool
    #: the option each record leans to when its outcome is measure-first (null otherwise)
    leading: list[str | None]
    changes: list[ChangeRow]
    changed_the_outcome: list[str]
    notes: list[str]


class CheckFindingRow(Out):
    file: str
    number: int
    kind: Literal["trigger", "review", "rules"]
    message: str


class RecordsCheckOutput(Out):
    """``records check``: the findings, or the folder's problems (exit code 4 when there is either), and notes."""

    ok: bool
    checked: int
    findings: list[CheckFindingRow]
    notes: list[str]
    problems: list[ProblemRow]
