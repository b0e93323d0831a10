"""The types, values and limits of the condition language: fact types, compiled conditions and
expressions, the unknown value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: Longest expression accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of sub-expressions accepted.
MAX_DEPTH = 32
#: Most syntax nodes accepted in one expression.
MAX_NODES = 400

Kind = Literal["str", "int", "float", "bool", "list"]
# Static types of sub-expressions.
STR, NUM, BOOL, LSTR, LNUM = "str", "number", "bool", "list[str]", "list[number]"

_KIND_TYPE = {"str": STR, "int": NUM, "float": NUM, "bool": BOOL, "list": LSTR}


@dataclass(frozen=True)
class FactType:
    """The type of one fact: ``str``, ``int``, ``float``, ``bool`` or ``list`` (of str).

    ``choices`` lists the allowed values of a choice (``str``) or multi-choice
    (``list``) fact; string literals compared with such a fact must be one of them.
    """

    kind: Kind
    choices: tuple[str, ...] | None = None
    description: str = ""

    @property
    def type_name(self) -> str:
        return _KIND_TYPE[self.kind]


class ConditionError(Exception):
    """An expression that cannot be compiled. ``offset`` is 0-based in the expression."""

    def __init__(self, message: str, hint: str | None = None, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.offset = offset


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()

Evaluator = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Condition:
    """A compiled expression. ``evaluate`` returns True, False or None (unknown)."""

    source: str
    names: frozenset[str]
    _fn: Evaluator = field(repr=False, compare=False)

    def evaluate(self, facts: Mapping[str, Any]) -> bool | None:
        value = self._fn(facts)
        return None if value is UNKNOWN else bool(value)

    def missing(self, facts: Mapping[str, Any]) -> list[str]:
        """The facts this condition reads that are absent from ``facts``."""
        return sorted(n for n in self.names if n not in facts)


@dataclass(frozen=True)
class Expression:
    """A compiled numeric expression. ``evaluate`` returns a float, or None when a fact it needs is absent."""

    source: str
    names: frozenset[str]
    _fn: Evaluator = field(repr=False, compare=False)

    def evaluate(self, facts: Mapping[str, Any]) -> float | None:
        value = self._fn(facts)
        return None if value is UNKNOWN else float(value)
