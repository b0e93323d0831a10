"""What decisions share: value draws, and across a profile's variants an option's configurations.

A what-if search decides a profile many times with one answer changed at a time, with
the same pack, draws and units. Each option's screened and estimated configurations
(and its per-draw best) depend only on the facts that option's rules read, the
priorities and the draws; when a changed answer moves none of those facts, the
option's configurations are those of an earlier decision. :class:`Reuse` keeps them by
the values of exactly those facts:

* every fact a constraint or consequence of the option reads (its conditions,
  expressions and measured fact, ``config.*`` facts included, as given to the
  decision before a configuration sets them);
* every ``{fact}`` its constraints' reasons render (a screen's sentence carries it);
* ``measured.<probe>.verdict`` of each consequence measured by a probe;
* the priorities, the seed, the number of draws and the units.

Values are compared by type and exact value (``1``, ``1.0`` and ``True`` differ, so do
``0.0`` and ``-0.0``; a list by its items; an absent fact differs from a ``None`` one), so
a kept entry is used only where recomputing it would give the same objects' values.
``tests/test_whatif.py`` checks on every example profile and pack case that each
decision of the record's search equals the decision made without reuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor.decide import sampling
from advisor.decide.consequences import Estimate
from advisor.decide.loader import Attribute, Consequence, Constraint, Pack
from advisor.decide.model import OPTIONS, Criterion, Option
from advisor.decide.text import placeholders

__all__ = ["Draws", "Reuse", "Sampler"]

_ABSENT = ("absent",)


def _frozen(value: Any) -> Any:
    """A hashable stand-in equal only for values every rule treats alike (type and exact value)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_frozen(v) for v in value))
    return ("object", id(value))  # anything else: equal only to itself (never reused across decisions)


def _reads(rule: Constraint | Consequence) -> tuple[str, ...]:
    """Every fact a rule's result depends on but the configuration's: conditions, expressions, texts, verdicts."""
    names = set(rule.names)
    if isinstance(rule, Constraint):
        names.update(placeholders(rule.rule.because))
    elif rule.probe is not None:
        names.add(f"measured.{rule.probe}.verdict")
    return tuple(sorted(n for n in names if not n.startswith("config.")))


class Reuse:
    """Kept by a caller across decisions of one pack (:func:`advisor.decide.decide`'s ``reuse``).

    ``rules`` keeps each rule's result by the values of what it reads (the screen's and
    the estimates' memo, across decisions); ``options`` keeps each option's
    configurations by the values of what all its rules read. A decision with another
    pack or other units clears them.
    """

    def __init__(self) -> None:
        self._pack: Pack | None = None
        self._units: tuple[tuple[str, str], ...] = ()
        self._reads: dict[str, tuple[str, ...]] = {}  # memo key of a rule, or an option -> the facts it reads
        self._keys: list[str] = []
        self._ids: dict[tuple[str, tuple[Any, ...]], int] = {}
        self.rules: dict[tuple[Any, ...], Any] = {}
        self.options: dict[tuple[Any, ...], Any] = {}
        self.scaled: dict[tuple[float, int], tuple[list[float], list[float]]] = {}  # for best_draws

    def start(self, pack: Pack, facts: Mapping[str, Any], units: Mapping[str, str]) -> dict[str, int]:
        """Begin a decision: for each rule's memo key, a number standing for the rule with the values of
        what it reads in ``facts`` (prepared); the same number in every decision where those are the same."""
        shown = tuple(sorted(units.items()))
        if pack is not self._pack or shown != self._units:
            self._pack, self._units, self._reads = pack, shown, {}
            self.rules.clear()
            self.options.clear()
            self._ids.clear()
            rules: list[Constraint | Consequence] = [*pack.constraints, *pack.consequences]
            for rule in rules:
                self._reads[rule.memo_key] = _reads(rule)
            for option in OPTIONS:
                self._reads[option] = tuple(sorted({n for r in rules if r.rule.option == option
                                                    for n in (*self._reads[r.memo_key], *r.config_reads)}))
            self._keys = [r.memo_key for r in rules]
        ids = self._ids  # each (rule, values) as a small number: a memo key then hashes cheaply
        return {key: ids.setdefault((key, self._values(facts, self._reads[key])), len(ids)) for key in self._keys}

    @staticmethod
    def _values(facts: Mapping[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
        return tuple([_frozen(facts[name]) if name in facts else _ABSENT for name in names])

    def key(self, option: Option, facts: Mapping[str, Any], prio: Mapping[Criterion, int], seed: int,
            n: int) -> tuple[Any, ...]:
        """The key of ``option``'s configurations for ``facts`` (after :meth:`start`)."""
        return (option, seed, n, tuple(prio.items()), self._values(facts, self._reads[option]))


#: Value draws per estimate: ``(attribute, stream, low, mode, high) -> values``, for one seed and sample size.
Draws = dict[tuple[str, str | None, float, float, float], "list[float] | float"]


class Sampler:
    """Value draws per estimate, cached: many configurations share an estimate (and, given
    ``cache``, many decisions on the same draws: what-if evaluations of one profile)."""

    def __init__(self, seed: int, n: int, cache: Draws | None = None) -> None:
        self.seed, self.n = seed, n
        self._cache: Draws = {} if cache is None else cache
        self._means: dict[int, tuple[Estimate, float]] = {}

    def values(self, attr: Attribute, est: Estimate) -> list[float] | float:
        key = (attr.key, est.stream, est.low, est.mode, est.high)
        got = self._cache.get(key)
        if got is None:
            if est.certain or est.stream is None:
                got = attr.value(est.mode)
            else:
                us = sampling.stream(self.seed, est.stream, self.n)
                got = attr.value.many(sampling.triangular(est.low, est.mode, est.high, us))
            self._cache[key] = got
        return got

    def expected(self, attr: Attribute, est: Estimate) -> float:
        got = self._means.get(id(est))  # an entry counts only for the very estimate it was made for
        if got is not None and got[0] is est:
            return got[1]
        v = self.values(attr, est)
        mean = v if isinstance(v, float) else sum(v) / len(v)
        self._means[id(est)] = (est, mean)
        return mean
