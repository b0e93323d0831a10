"""Consequences, computed once: each attribute of one configuration from at most one rule.

A consequence rule whose ``when`` holds gives its attribute a range (low, mode,
high) in the attribute's unit. When the probe named in ``measured_by`` has a
conclusive verdict, the measured range *replaces* the prior one (a measurement
narrows, it never adds points); an inconclusive verdict narrows nothing. Two rules
estimating the same attribute of the same configuration is a pack error: that is
what "counted once" means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from advisor.decide.compiled import config_values
from advisor.decide.loader import Consequence, Pack, Range
from advisor.errors import DataError

__all__ = ["Estimate", "estimate_all"]

Source = Literal["prior", "measured", "default", "unknown"]


@dataclass(frozen=True)
class Estimate:
    """One attribute of one configuration: its range, where it comes from, what draws it."""

    attribute: str
    low: float
    mode: float
    high: float
    source: Source
    rule_id: str | None = None
    #: the name of the random stream it draws from (the probe when one measures it)
    stream: str | None = None
    #: the probe that could measure it (prior ranges of measurable consequences only)
    probe: str | None = None

    @property
    def certain(self) -> bool:
        return self.high <= self.low


def _evaluate(r: Range, facts: Mapping[str, Any]) -> tuple[float, float, float] | None:
    low, mode, high = r.low.evaluate(facts), r.mode.evaluate(facts), r.high.evaluate(facts)
    if low is None or mode is None or high is None:
        return None
    lo, hi = min(low, high), max(low, high)
    return lo, min(max(mode, lo), hi), hi


def _measured_verdict(rule: Consequence, facts: Mapping[str, Any]) -> str | None:
    probe = rule.probe
    if probe is None:
        return None
    verdict = facts.get(f"measured.{probe}.verdict")
    return str(verdict) if verdict is not None else None


def _one(rule: Consequence, facts: Mapping[str, Any]) -> Estimate:
    key = rule.attribute.key
    verdict = _measured_verdict(rule, facts)
    if rule.measured is not None and verdict is not None and verdict != "inconclusive":
        got = _evaluate(rule.measured, facts)
        if got is not None:
            return Estimate(key, *got, "measured", rule.id, f"probe:{rule.probe}")
    got = _evaluate(rule.estimate, facts)
    if got is None:
        d = rule.attribute.spec.default
        return Estimate(key, d, d, d, "unknown", rule.id)
    stream = rule.rule.draws or (f"probe:{rule.probe}" if rule.probe is not None else rule.id)
    return Estimate(key, *got, "prior", rule.id, stream, rule.probe if verdict is None else None)


Memo = dict[tuple[Any, tuple[Any, ...]], Any]


def estimate_all(pack: Pack, facts: Mapping[str, Any], option: str, memo: Memo | None = None,
                 config: Mapping[str, Any] | None = None, prefixes: Mapping[str, Any] | None = None
                 ) -> tuple[dict[str, Estimate], list[str]]:
    """Every attribute of ``option`` for ``facts`` with the configuration's facts ``config`` over them:
    estimates, unknown rules.

    ``memo`` keeps each rule's result by the configuration facts it reads, so that
    configurations agreeing on them do not evaluate it again (``facts`` and ``config``
    are merged only for a rule the memo does not hold); with ``prefixes``, also by
    ``prefixes[rule.id]`` (what else it reads, as for :func:`advisor.decide.screen.screen`).
    """
    out: dict[str, Estimate] = {}
    unknown: list[str] = []
    by: dict[str, str] = {}
    memo = {} if memo is None else memo
    cf = config or {}
    full = None if cf else facts
    for rule in pack.consequences_of(option):
        mkey = (rule.id if prefixes is None else prefixes[rule.id], config_values(rule.config_reads, cf, facts))
        got = memo.get(mkey)
        if got is None:
            full = {**facts, **cf} if full is None else full
            applies = rule.when.evaluate(full)
            got = memo[mkey] = (applies, _one(rule, full) if applies else None)
        applies, est = got
        if applies is None:
            unknown.append(rule.id)
            continue
        if not applies or est is None:
            continue
        key = rule.attribute.key
        if key in by:
            shown = ", ".join(f"{k[7:]}={v}" for k, v in sorted({**facts, **cf}.items()) if k.startswith("config."))
            raise DataError(f"{rule.id} and {by[key]} both estimate {key} of {option} ({shown})",
                            "an attribute is estimated once: make their 'when' conditions exclusive")
        by[key] = rule.id
        if est.source == "unknown":
            unknown.append(rule.id)
        out[key] = est
    for key, default in pack.default_estimates.items():
        if key not in out:
            out[key] = default
    return out, unknown
