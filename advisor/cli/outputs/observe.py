"""The JSON output of ``observe``."""

from __future__ import annotations

from typing import Any, Literal

from advisor.cli.outputs.common import Out


class ObservedAnswer(Out):
    key: str
    observed: Any
    before: Any
    before_kind: str | None
    action: Literal["set", "updated", "unchanged", "kept", "overwritten", "agrees", "invalid"]
    derivation: str
    partial: str | None
    problem: str | None


class Unobserved(Out):
    key: str
    reason: str


class ObserveOutput(Out):
    """``observe``: what each cluster shows, the answers derived (and what became of them), what is not seen."""

    clusters: list[str]
    answers: list[ObservedAnswer]
    unobserved: list[Unobserved]
    problems: list[str]
    profile: str | None
