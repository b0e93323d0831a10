"""Evaluate a pack's rules against facts: one three-valued finding per rule.

A finding is *fired*, *not-fired* or *unknown* (a fact the rule reads is absent and
the rest of the condition cannot decide without it). Unknown is reported, never
silently false. Each finding names the facts read and their values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from advisor.rules.model import LoadedRule, Pack

__all__ = ["Finding", "Outcome", "evaluate_rule", "evaluate_rules", "format_value", "outcomes"]

Outcome = Literal["fired", "not-fired", "unknown"]

_OUTCOME: dict[bool | None, Outcome] = {True: "fired", False: "not-fired", None: "unknown"}


def format_value(value: Any) -> str:
    """A fact value as the condition language writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule for one set of facts."""

    rule_id: str
    outcome: Outcome
    read: tuple[tuple[str, Any], ...]
    missing: tuple[str, ...]

    @property
    def fired(self) -> bool:
        return self.outcome == "fired"

    @property
    def explanation(self) -> str:
        """E.g. ``latency_p99_ms = 0.5`` or ``unknown: measured.net.ratio is absent``."""
        values = ", ".join(f"{name} = {format_value(v)}" for name, v in self.read)
        absent = ""
        if self.missing:
            verb = "is" if len(self.missing) == 1 else "are"
            absent = f"{', '.join(self.missing)} {verb} absent"
        if self.outcome == "unknown":
            return "unknown: " + absent + (f"; {values}" if values else "")
        if absent:
            return f"{values}; {absent}" if values else absent
        return values or "no facts read"


def evaluate_rule(rule: LoadedRule, facts: Mapping[str, Any]) -> Finding:
    """Evaluate one rule (enabled or not) and explain it."""
    outcome = _OUTCOME[rule.condition.evaluate(facts)]
    names = sorted(rule.condition.names)
    read = tuple((n, facts[n]) for n in names if n in facts)
    missing = tuple(n for n in names if n not in facts)
    return Finding(rule.id, outcome, read, missing)


def evaluate_rules(pack: Pack, facts: Mapping[str, Any]) -> tuple[Finding, ...]:
    """One finding per enabled rule of ``pack``, ordered by rule id."""
    return tuple(evaluate_rule(rule, facts) for rule in pack.enabled)


def outcomes(rules: Sequence[LoadedRule], facts: Mapping[str, Any]) -> list[bool | None]:
    """The bare outcomes (True, False, None = unknown) of ``rules``: the fast path for batches."""
    return [rule.condition.evaluate(facts) for rule in rules]
