"""Screen before scoring: constraint rules make a configuration infeasible, or feasible only if.

Non-compensatory on purpose: no consequence can buy back a constraint. For one
configuration each applicable constraint either rules it out (``infeasible``, or a
required configuration it does not have, or a measurement that failed its
threshold), is met, or waits for a measurement (*pending*: feasible if measured).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from advisor.decide.compiled import config_values
from advisor.decide.loader import Constraint, Pack
from advisor.decide.text import render

__all__ = ["Hit", "Screen", "screen"]

HitKind = Literal["infeasible", "configuration", "measurement-failed", "met", "pending", "unknown"]


@dataclass(frozen=True)
class Hit:
    rule_id: str
    kind: HitKind
    sentence: str


_BLOCKS = frozenset(("infeasible", "configuration", "measurement-failed"))


@dataclass(frozen=True)
class Screen:
    hits: tuple[Hit, ...] = field(default_factory=tuple)

    @cached_property
    def blocks(self) -> list[Hit]:
        return [h for h in self.hits if h.kind in _BLOCKS]

    @cached_property
    def pending(self) -> list[Hit]:
        return [h for h in self.hits if h.kind == "pending"]

    @cached_property
    def status(self) -> Literal["feasible", "pending", "infeasible"]:
        if self.blocks:
            return "infeasible"
        return "pending" if self.pending else "feasible"


def _one(rule: Constraint, facts: Mapping[str, Any], units: Mapping[str, str]) -> Hit | None:
    applies = rule.when.evaluate(facts)
    if applies is not None and not applies:
        return None
    because = render(rule.rule.because, facts, units)
    if applies is None:
        return Hit(rule.id, "unknown", because)
    if rule.rule.infeasible:
        return Hit(rule.id, "infeasible", because)
    req = rule.rule.requires
    assert req is not None
    parts = []
    if rule.configuration is not None:
        ok = rule.configuration.evaluate(facts)
        if not ok:
            return Hit(rule.id, "configuration", f"{because}: needs {req.says}")
        parts.append(str(req.says))
    m = req.measurement
    if m is not None:
        value = facts.get(m.fact)
        bound = (rule.at_most or rule.at_least)
        threshold = bound.evaluate(facts) if bound is not None else None
        if value is None or threshold is None:
            return Hit(rule.id, "pending", f"{because}: feasible if {m.says}")
        fits = value <= threshold if rule.at_most is not None else value >= threshold
        if not fits:
            word = "over" if rule.at_most is not None else "under"
            return Hit(rule.id, "measurement-failed",
                       f"{because}: measured {m.fact} = {value:.3g}, {word} the {threshold:.3g} it needs")
        parts.append(m.says)
    return Hit(rule.id, "met", f"{because}: met by {' and '.join(parts)}")


def screen(pack: Pack, facts: Mapping[str, Any], option: str, units: Mapping[str, str],
           memo: dict[tuple[Any, tuple[Any, ...]], Any] | None = None, config: Mapping[str, Any] | None = None,
           prefixes: Mapping[str, Any] | None = None) -> Screen:
    """The constraint hits of ``option`` for ``facts`` with the configuration's facts ``config`` over them.

    ``memo`` keeps each rule's hit by the configuration facts it reads (and, with
    ``prefixes``, by ``prefixes[rule.memo_key]``: what else it reads, see
    :class:`advisor.decide.reuse.Reuse`); ``facts`` and ``config`` are merged only for a
    rule the memo does not hold.
    """
    memo = {} if memo is None else memo
    cf = config or {}
    full = None if cf else facts
    hits = []
    for rule in pack.constraints_of(option):
        key = (rule.memo_key if prefixes is None else prefixes[rule.memo_key],
               config_values(rule.config_reads, cf, facts))
        hit = memo.get(key, memo)
        if hit is memo:
            full = {**facts, **cf} if full is None else full
            hit = memo[key] = _one(rule, full, units)
        if hit is not None:
            hits.append(hit)
    return Screen(tuple(hits))
