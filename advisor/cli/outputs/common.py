"""What the JSON outputs share: the option vocabulary, a problem row, a path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.errors import Problem

Option = Literal["bare-metal", "vm", "none"]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemRow(Out):
    """One problem: where (file:line:col, or null), what is wrong and what to do."""

    location: str | None
    message: str
    hint: str | None


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Problems as JSON rows (:class:`ProblemRow`)."""
    return [{"location": str(p.location) if p.location is not None else None, "message": p.message,
             "hint": p.hint} for p in problems]


class PathOutput(Out):
    """``rules path`` / ``questions path``: where the bundled files are."""

    path: str
