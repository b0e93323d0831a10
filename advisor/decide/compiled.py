"""A loaded format-2 pack: its compiled rules, attributes, configurations and cases, with their positions.

Positions in the files are kept as :class:`Spots` (plain data), so a loaded pack can
be cached as JSON and read back without the YAML parser. :mod:`advisor.decide.loader`
builds these from the files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from advisor import yamlio
from advisor.conditions import Condition, Expression, FactType
from advisor.decide.model import (
    CRITERIA,
    OPTIONS,
    AttributeSpec,
    CaseFile,
    ConsequenceRule,
    ConstraintRule,
    Criterion,
    Option,
    PackFile,
)
from advisor.decide.values import ValueFunction
from advisor.errors import Location

__all__ = ["Attribute", "Consequence", "Constraint", "Derived", "Dimension", "Layer", "Pack", "PackCase", "Range",
           "Spots"]


@dataclass(frozen=True)
class Spots:
    """The line and column of every key and value of one YAML file, keyed by its path (plain, cacheable data)."""

    name: str
    values: Mapping[str, tuple[int, int]]
    keys: Mapping[str, tuple[int, int]]

    @classmethod
    def of(cls, doc: yamlio.Document) -> Spots:
        values: dict[str, tuple[int, int]] = {}
        keys: dict[str, tuple[int, int]] = {}

        def walk(node: Any, path: tuple[str | int, ...]) -> None:
            at = doc.where(path)
            values[_path_key(path)] = (at.line, at.col)
            if isinstance(node, dict):
                for k, v in node.items():
                    key_at = doc.where((*path, k), key=True)
                    keys[_path_key((*path, k))] = (key_at.line, key_at.col)
                    walk(v, (*path, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, (*path, i))

        walk(doc.plain(), ())
        return cls(doc.name, values, keys)

    def where(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """As :meth:`advisor.yamlio.Document.where`: the deepest part of ``path`` that exists."""
        for n in range(len(path), -1, -1):
            part = _path_key(path[:n])
            table = self.keys if key and n == len(path) and n else self.values
            if part in table:
                line, col = table[part]
                return Location(self.name, line, col)
        return Location(self.name, 1, 1)


def _path_key(path: Sequence[str | int]) -> str:
    return "\x1f".join(str(p) for p in path)


def config_values(names: tuple[str, ...], config: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values of the configuration facts ``names`` (a rule's ``config_reads``): ``config`` over ``facts``.

    The key under which a rule's result is kept for the configurations that agree on them
    (most rules read none or one: those skip building a list).
    """
    if not names:
        return ()
    if len(names) == 1:
        name = names[0]
        return (config[name] if name in config else facts.get(name),)
    return tuple([config[n] if n in config else facts.get(n) for n in names])


@dataclass(frozen=True)
class Layer:
    """One folder of a layered pack: its name@version and where it was read from."""

    name: str
    root: str


@dataclass(frozen=True)
class Attribute:
    """A criterion attribute with its compiled value function."""

    criterion: Criterion
    name: str
    spec: AttributeSpec
    value: ValueFunction

    @cached_property
    def key(self) -> str:
        return f"{self.criterion}.{self.name}"


@dataclass(frozen=True)
class Dimension:
    option: Option
    name: str
    label: str
    values: tuple[str, ...]
    phrases: Mapping[str, str]

    @property
    def fact(self) -> str:
        return f"config.{self.name}"


@dataclass(frozen=True)
class Derived:
    name: str
    unit: str
    description: str
    expr: Expression | Condition


@dataclass(frozen=True)
class Range:
    low: Expression
    mode: Expression
    high: Expression

    @property
    def names(self) -> frozenset[str]:
        return self.low.names | self.mode.names | self.high.names


@dataclass(frozen=True)
class Constraint:
    rule: ConstraintRule
    when: Condition
    configuration: Condition | None
    at_most: Expression | None
    at_least: Expression | None
    file: str
    doc: Spots = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.rule.id

    @cached_property
    def memo_key(self) -> str:
        return "constraint:" + self.rule.id

    @cached_property
    def config_reads(self) -> tuple[str, ...]:
        """The configuration facts it reads: its outcome is the same for configurations that agree on them."""
        return tuple(sorted(n for n in self.names if n.startswith("config.")))

    @cached_property
    def names(self) -> frozenset[str]:
        out = set(self.when.names)
        for part in (self.configuration, self.at_most, self.at_least):
            if part is not None:
                out |= part.names
        if self.rule.requires is not None and self.rule.requires.measurement is not None:
            out.add(self.rule.requires.measurement.fact)
        return frozenset(out)


@dataclass(frozen=True)
class Consequence:
    rule: ConsequenceRule
    attribute: Attribute
    when: Condition
    estimate: Range
    measured: Range | None
    file: str
    doc: Spots = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def memo_key(self) -> str:
        return self.rule.id

    @property
    def probe(self) -> str | None:
        return self.rule.measured_by.probe if self.rule.measured_by is not None else None

    @cached_property
    def names(self) -> frozenset[str]:
        out = self.when.names | self.estimate.names
        return out | self.measured.names if self.measured is not None else out

    @cached_property
    def config_reads(self) -> tuple[str, ...]:
        """The configuration facts it reads: its estimate is the same for configurations that agree on them."""
        return tuple(sorted(n for n in self.names if n.startswith("config.")))


@dataclass(frozen=True)
class PackCase:
    model: CaseFile
    file: str
    doc: Spots = field(repr=False, compare=False)


@dataclass(frozen=True)
class Pack:
    """A loaded format-2 pack."""

    meta: PackFile
    root: str
    attributes: Mapping[str, Attribute]
    dimensions: Mapping[Option, tuple[Dimension, ...]]
    derived: tuple[Derived, ...]
    constraints: tuple[Constraint, ...]
    consequences: tuple[Consequence, ...]
    cases: tuple[PackCase, ...]
    catalog: Mapping[str, FactType] = field(repr=False, compare=False)
    layers: tuple[Layer, ...] = ()
    disabled: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``name@version`` of the whole pack, then `` + name@version`` of each layer."""
        return " + ".join([f"{self.meta.name}@{self.meta.version}", *(layer.name for layer in self.layers)])

    @property
    def rules(self) -> tuple[Constraint | Consequence, ...]:
        return tuple(sorted((*self.constraints, *self.consequences), key=lambda r: r.id))

    def attributes_of(self, criterion: Criterion) -> list[Attribute]:
        return self._by_criterion[criterion]

    @cached_property
    def weights(self) -> dict[Criterion, list[tuple[str, float]]]:
        """Each criterion's attributes as (key, weight), in the pack's order, criteria in their order."""
        return {c: [(a.key, a.spec.weight) for a in self.attributes_of(c)] for c in CRITERIA}

    @cached_property
    def configurations(self) -> dict[Option, tuple[Any, ...]]:
        """Each option's configurations (:func:`advisor.decide.variants.build`), built once."""
        from advisor.decide.variants import build

        return {o: build(self, o) for o in OPTIONS}

    @cached_property
    def default_estimates(self) -> dict[str, Any]:
        """The estimate of each attribute no rule estimates: its default, certain (shared, immutable)."""
        from advisor.decide.consequences import Estimate

        return {k: Estimate(k, a.spec.default, a.spec.default, a.spec.default, "default")
                for k, a in self.attributes.items()}

    @cached_property
    def _by_criterion(self) -> dict[Criterion, list[Attribute]]:
        return {c: [a for a in self.attributes.values() if a.criterion == c] for c in CRITERIA}

    def constraints_of(self, option: str) -> tuple[Constraint, ...]:
        return self._constraints_by_option.get(option, ())

    def consequences_of(self, option: str) -> tuple[Consequence, ...]:
        return self._consequences_by_option.get(option, ())

    @cached_property
    def _constraints_by_option(self) -> dict[str, tuple[Constraint, ...]]:
        return {o: tuple(c for c in self.constraints if c.rule.option == o) for o in OPTIONS}

    @cached_property
    def _consequences_by_option(self) -> dict[str, tuple[Consequence, ...]]:
        return {o: tuple(c for c in self.consequences if c.rule.option == o) for o in OPTIONS}
