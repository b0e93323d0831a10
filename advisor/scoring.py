"""Scoring: findings -> per-criterion scores, knock-outs, margin, confidence, "close".

The formulas (documented in docs/writing-rules.md, "Scoring and confidence"):

* a fired effect rule contributes ``value = weight x grade_factor`` (weight after pack
  overrides, factor of its strongest evidence grade) to its criterion and option;
* each criterion is weighted by the profile's ``priority_<criterion>`` (1..5, default 3):
  ``S_option = sum over criteria of priority_c x raw_option_c``;
* ``score_option = S_option / (S_bare_metal + S_vm)`` (0.5 each when nothing fired), so
  the scores are in [0, 1] and sum to 1; a rule's ``points`` are its share of that total;
* ``margin = |score_bare_metal - score_vm|``; ``close = margin < close_threshold``;
* knock-outs come first: a fired knock-out rules its option out and the other option is
  recommended whatever the scores (both ruled out: ``none``); a result decided by a
  knock-out is never close;
* ``confidence = evidence_quality x known_share`` with rule mass ``m = priority x weight``
  (knock-out rules: ``KNOCK_OUT_MASS``), ``evidence_quality = sum_fired m g / sum_fired m``
  and ``known_share = sum_fired m g / (sum_fired m g + sum_unknown m g)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.rules.engine import Finding
from advisor.rules.model import CRITERIA, MAX_WEIGHT, OPTIONS, Criterion, Grade, Option, Pack

__all__ = [
    "DEFAULT_PRIORITY",
    "DRIVERS",
    "KNOCK_OUT_MASS",
    "Confidence",
    "Contribution",
    "CriterionScore",
    "FindingRecord",
    "KnockOutHit",
    "Result",
    "priorities",
    "score",
]

#: Priority of a criterion when the profile does not give one.
DEFAULT_PRIORITY = 3
#: Highest priority a criterion can have.
MAX_PRIORITY = 5
#: Mass of a knock-out rule in the confidence: the strongest possible effect rule.
KNOCK_OUT_MASS = MAX_PRIORITY * MAX_WEIGHT
#: How many top contributions are listed as drivers.
DRIVERS = 5
#: Decimals of every number in a result.
DECIMALS = 4

Recommendation = Literal["bare-metal", "vm", "none"]
DecidedBy = Literal["knock-out", "score", "tie"]


def _r(x: float) -> float:
    return round(x, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contribution(_Model):
    """What one fired effect rule adds to an option's score."""

    rule_id: str
    title: str
    criterion: Criterion
    favours: Option
    weight: float
    grade: Grade
    grade_factor: float
    priority: int
    value: float  # weight x grade_factor, summed per criterion
    points: float  # priority x value / total: the rule's share of the scores


class CriterionScore(_Model):
    """One row of the criteria table: raw sums per option and the priority they get."""

    criterion: Criterion
    priority: int
    bare_metal: float
    vm: float


class KnockOutHit(_Model):
    rule_id: str
    option: Option
    reason: str


class FindingRecord(_Model):
    rule_id: str
    outcome: Literal["fired", "not-fired", "unknown"]
    explanation: str
    facts: dict[str, Any]
    missing: list[str]


class Confidence(_Model):
    value: float
    evidence_quality: float
    known_share: float


class Result(_Model):
    """The outcome of evaluating one profile against a pack; every number traceable to a rule."""

    packs: list[str]
    recommendation: Recommendation
    decided_by: DecidedBy
    reason: str
    scores: dict[Option, float]
    margin: float
    close: bool
    close_threshold: float
    confidence: Confidence
    ruled_out: list[Option]
    knock_outs: list[KnockOutHit]
    criteria: list[CriterionScore]
    contributions: list[Contribution]
    drivers: list[str]
    findings: list[FindingRecord]
    unknown_rules: list[str]
    unknown_facts: list[str]
    disabled: dict[str, str]
    facts: dict[str, Any]

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, rounded numbers, ordered lists, newline at the end."""
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def priorities(facts: Mapping[str, Any]) -> dict[Criterion, int]:
    """The profile's ``priority_<criterion>`` answers (``DEFAULT_PRIORITY`` when absent)."""
    out: dict[Criterion, int] = {}
    for c in CRITERIA:
        value = facts.get(f"priority_{c}", DEFAULT_PRIORITY)
        out[c] = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else DEFAULT_PRIORITY
    return out


def _knock_outs(pack: Pack, fired: Sequence[Finding]) -> list[KnockOutHit]:
    hits = []
    for f in fired:
        ko = pack.by_id[f.rule_id].rule.knock_out
        if ko is not None:
            hits.append(KnockOutHit(rule_id=f.rule_id, option=ko.option, reason=ko.reason))
    return hits


def _decide(scores: Mapping[Option, float], hits: Sequence[KnockOutHit]) -> tuple[Recommendation, DecidedBy, str]:
    out = sorted({h.option for h in hits})
    if len(out) == 2:
        reasons = "; ".join(f"{h.option}: {h.reason} ({h.rule_id})" for h in hits)
        return "none", "knock-out", f"both options are ruled out: {reasons}"
    if len(out) == 1:
        other: Option = "vm" if out[0] == "bare-metal" else "bare-metal"
        first = next(h for h in hits if h.option == out[0])
        return other, "knock-out", f"{out[0]} is ruled out: {first.reason} ({first.rule_id})"
    bm, vm = scores["bare-metal"], scores["vm"]
    if bm == vm:
        return "none", "tie", "the scores are equal" + ("" if bm != 0.5 else "; no rule decides between them")
    best: Option = "bare-metal" if bm > vm else "vm"
    return best, "score", f"{best} has the higher score ({max(bm, vm):.4f} vs {min(bm, vm):.4f})"


def score(pack: Pack, findings: Sequence[Finding], facts: Mapping[str, Any], *, drivers: int = DRIVERS) -> Result:
    """Score ``findings`` (from :func:`advisor.rules.engine.evaluate_rules`) into a Result."""
    prio = priorities(facts)
    fired = [f for f in findings if f.outcome == "fired"]
    unknown = [f for f in findings if f.outcome == "unknown"]
    raw: dict[Criterion, dict[Option, float]] = {c: {o: 0.0 for o in OPTIONS} for c in CRITERIA}
    parts: list[tuple[str, float]] = []  # (rule id, priority x value)
    mass_fired = mass_fired_graded = 0.0
    for f in fired:
        rule = pack.by_id[f.rule_id]
        effect = rule.rule.effect
        if effect is None:
            mass = KNOCK_OUT_MASS
        else:
            value = rule.weight * rule.grade_factor
            raw[effect.criterion][effect.favours] += value
            parts.append((f.rule_id, prio[effect.criterion] * value))
            mass = prio[effect.criterion] * rule.weight
        mass_fired += mass
        mass_fired_graded += mass * rule.grade_factor
    mass_unknown = 0.0
    for f in unknown:
        rule = pack.by_id[f.rule_id]
        effect = rule.rule.effect
        mass = KNOCK_OUT_MASS if effect is None else prio[effect.criterion] * rule.weight
        mass_unknown += mass * rule.grade_factor
    weighted = {o: sum(prio[c] * raw[c][o] for c in CRITERIA) for o in OPTIONS}
    total = weighted["bare-metal"] + weighted["vm"]
    bm = weighted["bare-metal"] / total if total > 0 else 0.5
    scores: dict[Option, float] = {"bare-metal": _r(bm), "vm": _r(1.0 - bm)}
    margin = _r(abs(bm - (1.0 - bm)))
    hits = sorted(_knock_outs(pack, fired), key=lambda h: (OPTIONS.index(h.option), h.rule_id))
    recommendation, decided_by, reason = _decide(scores, hits)
    quality = mass_fired_graded / mass_fired if mass_fired > 0 else 1.0
    denominator = mass_fired_graded + mass_unknown
    known = mass_fired_graded / denominator if denominator > 0 else 1.0
    contributions = []
    for rule_id, weighted_value in parts:
        rule = pack.by_id[rule_id]
        effect = rule.rule.effect
        assert effect is not None
        contributions.append(Contribution(
            rule_id=rule_id, title=rule.rule.title, criterion=effect.criterion, favours=effect.favours,
            weight=_r(rule.weight), grade=rule.grade, grade_factor=_r(rule.grade_factor),
            priority=prio[effect.criterion], value=_r(rule.weight * rule.grade_factor),
            points=_r(weighted_value / total),
        ))
    contributions.sort(key=lambda c: c.rule_id)
    ranked = sorted(parts, key=lambda p: (-p[1], p[0]))[:drivers]
    return Result(
        packs=[f"{p.name}@{p.version}" for p in pack.packs],
        recommendation=recommendation,
        decided_by=decided_by,
        reason=reason,
        scores=scores,
        margin=margin,
        close=bool(margin < pack.close_threshold and not hits),
        close_threshold=_r(pack.close_threshold),
        confidence=Confidence(value=_r(quality * known), evidence_quality=_r(quality), known_share=_r(known)),
        ruled_out=sorted({h.option for h in hits}),
        knock_outs=hits,
        criteria=[CriterionScore(criterion=c, priority=prio[c], bare_metal=_r(raw[c]["bare-metal"]),
                                 vm=_r(raw[c]["vm"])) for c in CRITERIA],
        contributions=contributions,
        drivers=[rule_id for rule_id, _ in ranked],
        findings=[FindingRecord(rule_id=f.rule_id, outcome=f.outcome, explanation=f.explanation,
                                facts=dict(f.read), missing=list(f.missing)) for f in findings],
        unknown_rules=[f.rule_id for f in unknown],
        unknown_facts=sorted({name for f in unknown for name in f.missing}),
        disabled={r.id: r.disabled for r in pack.rules if r.disabled is not None},
        facts=dict(sorted(facts.items())),
    )
