"""Tipping points on the format-1 rule engine (advisor.scoring); removed with it. See advisor.whatif.

For every applicable question (and every ``priority_*`` weight) the analysis changes
that one answer and re-evaluates the profile, everything else unchanged:

* numbers are searched in both directions from the current value, within the
  question's bounds and at most :data:`MAX_FACTOR` times away from it: a coarse,
  log-spaced scan finds the first probe that flips the recommendation, bisection
  then narrows the boundary between it and the last probe that did not (integers
  exactly; floats to a relative :data:`TOLERANCE`, then a round number inside the
  last interval, verified to flip);
* choices and booleans are tried one by one; multi-choice answers add or remove
  each choice.

The evaluation is injected (``evaluate(answers) -> Result``), so this module knows
nothing of packs or fault-domain graphs; :func:`advisor.pipeline.tipping_points`
wires it to the pipeline. Evaluations can cost very different amounts (a changed
fleet rebuilds the fault-domain graph), so an optional ``cost`` estimate and
``budget`` bound the work: the searches take turns, the one that has spent least
goes next, and what the budget cuts short is reported as incomplete. The result
is deterministic for the same inputs.

The method is documented in docs/whatif.md.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.errors import AdvisorError
from advisor.questionnaire import Question, Questionnaire
from advisor.scoring import Result

__all__ = [
    "CATEGORICAL_CHANGE",
    "MAX_FACTOR",
    "TOLERANCE",
    "Analysis",
    "Cost",
    "Evaluate",
    "Robust",
    "TippingPoint",
    "analyse",
    "revisit_sentences",
    "revisit_triggers",
]

Evaluate = Callable[[Mapping[str, Any]], Result]
Cost = Callable[[Mapping[str, Any]], float]
Direction = Literal["up", "down", "set", "add", "remove"]

#: Relative tolerance of a float threshold: the last value that does not flip is this close.
TOLERANCE = 1e-3
#: Numbers are searched up to this factor away from the current value (or the question's bounds).
MAX_FACTOR = 100.0
#: The relative change given to a choice, boolean or multi-choice change (for sorting).
CATEGORICAL_CHANGE = 1.0
#: Estimated cost at or under which an evaluation is cheap (no new fault-domain graph), in ``cost`` units.
CHEAP = 1.0
#: Coarse scan: offsets from the current value, as fractions of it (then the search limit).
_STEPS = (1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
#: Downward scan toward zero: fractions of the current value.
_DOWN = (7 / 8, 3 / 4, 1 / 2) + tuple(1 / 2**j for j in range(2, 11))
#: Round candidates tried for a float threshold before the bisection's own value is kept.
_CLEAN_TRIES = 3

_BOUNDED = "cannot flip it (bound on the rules that read it)"
_DIRECTION_ORDER = {"down": 0, "up": 1, "set": 2, "remove": 3, "add": 4}


def _number(value: Any) -> str:
    """A number as a condition literal and in sentences: ``12``, ``0.5``, ``1500``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return _number(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, int | float):
        return _number(value)
    return str(value)


@dataclass(frozen=True)
class TippingPoint:
    """One change of one answer that flips the recommendation.

    ``threshold`` is the new answer: for a number, the first value (going from the
    current one in ``direction``) that flips it, and ``before`` the last one that does
    not (the previous integer, or within :data:`TOLERANCE` for floats). ``item`` is the
    choice added or removed by a multi-choice change.
    """

    key: str
    kind: str
    group: Literal["input", "priority"]
    current: Any
    direction: Direction
    threshold: Any
    before: Any
    item: str | None
    recommendation: str
    decided_by: str
    knock_outs: tuple[str, ...]
    relative_change: float

    @property
    def _strict(self) -> bool:
        """Integers, and floats whose last value that does not flip is the rounder number: ``x < 1``."""
        return self.kind == "int" or _digits(float(self.before)) < _digits(float(self.threshold))

    @property
    def condition(self) -> str:
        """A condition (``advisor.conditions`` syntax) true exactly when the answer crossed the threshold."""
        k = self.key
        if self.kind in ("int", "float"):
            down = self.direction == "down"
            if self._strict:
                return f"{k} {'<' if down else '>'} {_number(self.before)}"
            return f"{k} {'<=' if down else '>='} {_number(self.threshold)}"
        if self.kind == "multi-choice" and self.direction != "set":
            verb = "not in" if self.direction == "remove" else "in"
            return f"{_literal(self.item)} {verb} {k}"
        return f"{k} == {_literal(self.threshold)}"

    @property
    def sentence(self) -> str:
        """The revisit trigger in words: ``revisit if microservices_per_host drops below 12``."""
        k = self.key
        if self.kind in ("int", "float"):
            down = self.direction == "down"
            if self._strict:
                return f"revisit if {k} {'drops below' if down else 'rises above'} {_number(self.before)}"
            side = "drops to" if down else "rises to"
            return f"revisit if {k} {side} {_number(self.threshold)} or {'below' if down else 'above'}"
        if self.kind == "multi-choice" and self.direction != "set":
            if self.direction == "remove":
                return f"revisit if {self.item} is no longer in {k}"
            return f"revisit if {self.item} is added to {k}"
        return f"revisit if {k} becomes {_text(self.threshold)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "kind": self.kind, "group": self.group, "current": self.current,
            "direction": self.direction, "threshold": self.threshold, "before": self.before, "item": self.item,
            "recommendation": self.recommendation, "decided_by": self.decided_by,
            "knock_outs": list(self.knock_outs), "relative_change": round(self.relative_change, 6),
            "condition": self.condition, "sentence": self.sentence,
        }


@dataclass(frozen=True)
class Robust:
    """An answer that no change within ``searched`` flips; ``complete`` is false when the budget cut it short."""

    key: str
    group: Literal["input", "priority"]
    current: Any
    searched: str
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "group": self.group, "current": self.current, "searched": self.searched,
                "complete": self.complete}


@dataclass(frozen=True)
class Analysis:
    """The tipping points of one profile, smallest relative change first, and its robust answers."""

    recommendation: str
    decided_by: str
    knock_outs: tuple[str, ...]
    tipping_points: tuple[TippingPoint, ...]
    robust: tuple[Robust, ...]
    not_applicable: tuple[str, ...]
    evaluations: int
    complete: bool
    tolerance: float = TOLERANCE

    def removing_knock_outs(self) -> tuple[TippingPoint, ...]:
        """The tipping points whose new result no longer has one of the current knock-outs."""
        return tuple(p for p in self.tipping_points if set(self.knock_outs) - set(p.knock_outs))

    def to_dict(self) -> dict[str, Any]:
        return {
            "recommendation": self.recommendation, "decided_by": self.decided_by,
            "knock_outs": list(self.knock_outs), "tipping_points": [p.to_dict() for p in self.tipping_points],
            "robust": [r.to_dict() for r in self.robust], "not_applicable": list(self.not_applicable),
            "evaluations": self.evaluations, "complete": self.complete, "tolerance": self.tolerance,
            "revisit_triggers": [{"condition": c, "sentence": s} for c, s in
                                 zip(revisit_triggers(self.tipping_points), revisit_sentences(self.tipping_points),
                                     strict=True)],
        }

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, newline at the end."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- revisit triggers


def _triggers(points: Sequence[TippingPoint], limit: int) -> list[tuple[str, str]]:
    """(condition, sentence) pairs, smallest change first; the flipping values of one choice are merged."""
    merged: dict[str, list[TippingPoint]] = {}
    order: list[tuple[str, TippingPoint]] = []
    for p in points:
        if p.kind in ("choice", "bool") and p.direction == "set":
            if p.key not in merged:
                merged[p.key] = []
                order.append((p.key, p))
            merged[p.key].append(p)
        else:
            order.append(("", p))
    out: list[tuple[str, str]] = []
    for key, p in order:
        group = merged.get(key, [p]) if key else [p]
        if len(group) == 1:
            pair = (p.condition, p.sentence)
        else:
            values = [g.threshold for g in group]
            words = [_text(v) for v in values]
            pair = (f"{key} in {_literal(values)}", f"revisit if {key} becomes {', '.join(words[:-1])} or {words[-1]}")
        if pair not in out:
            out.append(pair)
        if len(out) >= limit:
            break
    return out


def revisit_triggers(tipping_points: Sequence[TippingPoint], limit: int = 5) -> list[str]:
    """Conditions for a decision record: each is true exactly when one answer crossed its tipping point.

    They use the rule expression language, so ``advisor.conditions.compile_condition``
    compiles them against the questionnaire's fact types and evaluates them on a later
    profile. The first ``limit`` distinct ones, smallest change first; the flipping
    values of one choice are merged (``tenancy in ['single-team', 'multi-tenant-untrusted']``).
    """
    return [c for c, _ in _triggers(tipping_points, limit)]


def revisit_sentences(tipping_points: Sequence[TippingPoint], limit: int = 5) -> list[str]:
    """The triggers of :func:`revisit_triggers` in words, in the same order."""
    return [s for _, s in _triggers(tipping_points, limit)]


# --------------------------------------------------------------------------- search


def _group(key: str) -> Literal["input", "priority"]:
    return "priority" if key.startswith("priority_") else "input"


def _bounds(q: Question) -> tuple[float, float, bool]:
    low = -math.inf if q.min is None else float(q.min)
    high = math.inf if q.max is None else float(q.max)
    return low, high, q.min_exclusive


def _ladder(q: Question, current: int | float, up: bool) -> tuple[list[int | float], int | float]:
    """Coarse probes from ``current`` (exclusive) in one direction, nearest first, and the search limit."""
    is_int = q.type == "int"
    low, high, exclusive = _bounds(q)
    scale = abs(current) or 1.0
    if up:
        limit: float = min(high, current + (MAX_FACTOR - 1) * scale)
        raw = [current + scale * f for f in _STEPS] + [limit]
    else:
        if current > 0 and low >= 0:  # log-spaced toward zero, down to the question's minimum
            raw = [current * f for f in _DOWN]
            limit = low
        else:
            limit = max(low, current - (MAX_FACTOR - 1) * scale)
            raw = [current - scale * f for f in _STEPS]
        raw.append(limit)
    values: list[int | float] = []
    if is_int:
        if up:
            top = math.floor(limit)
            candidates = [min(math.ceil(v), top) for v in raw]
            values = [v for v in candidates if current < v <= top]
            limit = top
        else:
            bottom = math.ceil(limit)
            if exclusive and bottom <= low:
                bottom = math.floor(low) + 1
            candidates = [max(math.floor(v), bottom) for v in raw]
            values = [v for v in candidates if bottom <= v < current]
            limit = bottom
    elif up:
        values = [min(v, limit) for v in raw if current < min(v, limit)]
    else:
        values = [max(v, limit) for v in raw if max(v, limit) < current and not (exclusive and max(v, limit) <= low)]
    out: list[int | float] = []
    for v in values:
        v = int(v) if is_int else float(v)
        if v not in out:
            out.append(v)
    return out, limit


def _digits(value: float) -> int:
    """Significant digits of a number as written: 1 for 0.5 and 100, 4 for 0.9995."""
    text = f"{value:.15g}".lstrip("-").split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return max(1, len(text))


def _clean_candidates(toward: float, value: float) -> list[float]:
    """Round numbers between ``toward`` (excluded) and ``value`` (included), fewest significant digits first.

    Each is ``value`` cut to that many digits in the direction of ``toward``.
    """
    out: list[float] = []
    if value == 0 or not math.isfinite(value):
        return out
    top = math.floor(math.log10(abs(value)))
    for digits in range(1, 16):
        quantum = 10.0 ** (top - digits + 1)
        cut = math.floor(value / quantum) if toward < value else math.ceil(value / quantum)
        candidate = float(f"{cut * quantum:.{digits}g}")
        if candidate == value:
            break
        inside = toward < candidate <= value if toward < value else value <= candidate < toward
        if inside and candidate not in out:
            out.append(candidate)
        if len(out) >= _CLEAN_TRIES:
            break
    return out


@dataclass
class _Track:
    """What one search found and how far it got."""

    key: str
    question: Question
    current: Any
    label: str
    found: list[TippingPoint] = field(default_factory=list)
    complete: bool = True
    reached: dict[bool, Any] = field(default_factory=dict)  # numbers: up? -> farthest value that did not flip
    bracket: dict[bool, tuple[Any, Any]] = field(default_factory=dict)  # up? -> (does not flip, flips), unfinished

    def searched(self) -> str:
        """What was searched: the full range, or for a search the budget cut short, how far it got."""
        if self.complete or not self.reached:
            return self.label
        if self.bracket:
            return "; ".join(f"flips between {_number(a)} and {_number(b)} (budget reached before the threshold)"
                             for a, b in self.bracket.values())
        low, high = self.reached.get(False, self.current), self.reached.get(True, self.current)
        if low == high:
            return "not searched (budget reached)"
        return f"{_number(low)} to {_number(high)} (budget reached)"


Steps = Generator[Any, "Result | None", None]


class _Analyser:
    def __init__(self, answers: Mapping[str, Any], evaluate: Evaluate, cost: Cost | None, budget: float,
                 base: Result | None) -> None:
        self.answers = dict(answers)
        self.evaluate = evaluate
        self.cost = cost
        self.budget = budget
        self.spent = 0.0
        self.evaluations = 0
        self.cache: dict[tuple[str, str], Result | None] = {}
        if base is None:
            base = evaluate(self.answers)
            self.evaluations += 1
        self.base = base

    # ---------------------------------------------------------------- evaluation

    def cached(self, key: str, value: Any) -> tuple[bool, tuple[str, str]]:
        token = (key, json.dumps(value))
        return token in self.cache, token

    def run(self, key: str, value: Any) -> Result | None:
        hit, token = self.cached(key, value)
        if hit:
            return self.cache[token]
        answers = {**self.answers, key: value}
        try:
            result: Result | None = self.evaluate(answers)
        except AdvisorError:
            result = None  # e.g. a fleet too large for the model: the search stops there
        self.evaluations += 1
        self.cache[token] = result
        return result

    def flips(self, result: Result) -> bool:
        return result.recommendation != self.base.recommendation

    def point(self, track: _Track, direction: Direction, threshold: Any, before: Any, result: Result,
              item: str | None = None) -> TippingPoint:
        q, current = track.question, track.current
        if q.type in ("int", "float"):
            denominator = abs(current) if current != 0 else 1.0
            change = abs(threshold - current) / denominator
        else:
            change = CATEGORICAL_CHANGE
        return TippingPoint(
            key=track.key, kind=q.type, group=_group(track.key), current=current, direction=direction,
            threshold=threshold, before=before, item=item, recommendation=result.recommendation,
            decided_by=result.decided_by, knock_outs=tuple(h.rule_id for h in result.knock_outs),
            relative_change=change,
        )

    # ---------------------------------------------------------------- searches (generators)

    def numeric(self, track: _Track, up: bool) -> Steps:
        q, current = track.question, track.current
        ladder, _ = _ladder(q, current, up)
        near: int | float = current
        far: int | float | None = None
        far_result: Result | None = None
        track.reached[up] = current
        for value in ladder:
            result = yield value
            if result is None:
                return  # invalid beyond this point
            if self.flips(result):
                far, far_result = value, result
                break
            near = track.reached[up] = value
        if far is None or far_result is None:
            return
        is_int = q.type == "int"
        while True:
            if is_int:
                if abs(far - near) <= 1:
                    break
                mid: int | float = (near + far) // 2
            else:
                if abs(far - near) <= TOLERANCE * max(abs(far), abs(near)):
                    break
                mid = (near + far) / 2
                if mid in (near, far):
                    break
            track.bracket[up] = (near, far)
            result = yield mid
            if result is None:
                track.complete = False
                return
            if self.flips(result):
                far, far_result = mid, result
            else:
                near = mid
        track.bracket.pop(up, None)
        try:
            if not is_int:  # round numbers, each verified; when the budget stops this, the threshold stands
                for candidate in _clean_candidates(float(near), float(far)):
                    result = yield candidate
                    if result is not None and self.flips(result):
                        far, far_result = candidate, result
                        break
                for candidate in _clean_candidates(float(far), float(near)):
                    if _digits(candidate) >= _digits(float(far)):
                        break
                    result = yield candidate  # a round last value that does not flip: "drops below 1"
                    if result is not None and not self.flips(result):
                        near = candidate
                        break
        finally:
            track.found.append(self.point(track, "up" if up else "down", far, near, far_result))

    def choice(self, track: _Track) -> Steps:
        q, current = track.question, track.current
        options: list[Any] = [not current] if q.type == "bool" else [v for v in q.choice_values if v != current]
        for value in options:
            result = yield value
            if result is not None and self.flips(result):
                track.found.append(self.point(track, "set", value, None, result))

    def multi(self, track: _Track) -> Steps:
        q, current = track.question, list(track.current)
        exclusive = [c.value for c in q.choices or () if c.exclusive]
        order = {v: i for i, v in enumerate(q.choice_values)}
        for item in q.choice_values:
            direction: Direction
            if item in current:
                direction = "remove"
                new = [v for v in current if v != item]
                if not new:
                    if not exclusive or item in exclusive:
                        continue
                    new = [exclusive[0]]
            elif item in exclusive:
                direction, new = "set", [item]  # an exclusive choice (none) replaces the others
            else:
                direction = "add"
                new = sorted([v for v in current if v not in exclusive] + [item], key=order.__getitem__)
            result = yield new
            if result is not None and self.flips(result):
                track.found.append(self.point(track, direction, new, None, result, item=item))

    # ---------------------------------------------------------------- scheduling

    def price(self, key: str, value: Any) -> float:
        """The estimated cost of evaluating this change (nothing when it was evaluated before)."""
        if self.cached(key, value)[0]:
            return 0.0
        return 1.0 if self.cost is None else float(self.cost({**self.answers, key: value}))

    def rank(self, track: _Track, value: Any, price: float) -> tuple[int, float]:
        """Cheap evaluations first; then expensive ones (a new fleet graph) nearest change first."""
        if price <= CHEAP:
            return (0, 0.0)
        if track.question.type in ("int", "float"):
            current = track.current
            return (1, abs(value - current) / (abs(current) or 1.0))
        return (1, CATEGORICAL_CHANGE)

    def schedule(self, searches: list[tuple[_Track, Steps]]) -> bool:
        """Run the searches; False when the budget cut one short.

        Evaluations whose estimated cost is at most :data:`CHEAP` run first; the others
        (a changed fleet rebuilds the fault-domain graph) in order of the relative size
        of the change, so that the budget goes to the nearest changes of every answer.
        A search whose next evaluation does not fit in what is left of the budget stops.
        """
        heap: list[tuple[int, float, int]] = []
        pending: dict[int, tuple[_Track, Steps, Any, float]] = {}  # track, steps, value, price
        step = 0

        def push(seq: int, track: _Track, steps: Steps, value: Any) -> None:
            nonlocal step
            price = self.price(track.key, value)
            pending[seq] = (track, steps, value, price)
            step += 1
            heapq.heappush(heap, (*self.rank(track, value, price), seq))

        for seq, (track, steps) in enumerate(searches):
            try:
                push(seq, track, steps, next(steps))
            except StopIteration:
                continue
        complete = True
        while heap:
            *_, seq = heapq.heappop(heap)
            track, steps, value, price = pending.pop(seq)
            if price > 0 and self.spent + price > self.budget:
                track.complete = complete = False
                steps.close()
                continue
            self.spent += price
            result = self.run(track.key, value)
            try:
                push(seq, track, steps, steps.send(result))
            except StopIteration:
                continue
        return complete


def _range_label(q: Question, current: Any) -> str:
    down, low = _ladder(q, current, up=False)
    up, high = _ladder(q, current, up=True)
    lo = low if down else current
    hi = high if up else current
    return f"{_number(lo)} to {_number(hi)}"


def analyse(answers: Mapping[str, Any], evaluate: Evaluate, questionnaire: Questionnaire, *,
            cost: Cost | None = None, budget: float = math.inf, relevant: Collection[str] | None = None,
            keys: Collection[str] | None = None, base: Result | None = None) -> Analysis:
    """The tipping points of one profile.

    ``evaluate(answers)`` assesses a profile (answers as in a profile file; defaults
    are the evaluation's business). ``cost(answers)`` estimates what one evaluation
    costs (default 1 each) and ``budget`` bounds the sum; searches the budget cuts
    short are reported with ``complete=False``. ``relevant``: the keys that may flip the
    recommendation (e.g. from a bound on the rules that depend on them); the others are
    reported robust without a search. ``keys`` limits the analysis to these questions;
    ``base`` is ``evaluate(answers)`` when the caller has it already.
    """
    an = _Analyser(answers, evaluate, cost, budget, base)
    facts = an.base.facts
    searches: list[tuple[_Track, Steps]] = []
    tracks: list[_Track] = []
    not_applicable: list[str] = []
    skipped: list[Robust] = []
    for q in questionnaire.questions:
        if q.type == "str" or (keys is not None and q.key not in keys):
            continue
        if q.key not in facts or not questionnaire.applies(q.key, facts):
            not_applicable.append(q.key)
            continue
        current = facts[q.key]
        if relevant is not None and q.key not in relevant:
            skipped.append(Robust(q.key, _group(q.key), current, _BOUNDED, True))
            continue
        if q.type in ("int", "float"):
            track = _Track(q.key, q, current, _range_label(q, current))
            searches.append((track, an.numeric(track, up=False)))
            searches.append((track, an.numeric(track, up=True)))
        elif q.type == "multi-choice":
            track = _Track(q.key, q, list(current), "adding or removing each choice")
            searches.append((track, an.multi(track)))
        else:
            track = _Track(q.key, q, current, "every other value" if q.type == "choice" else "the other value")
            searches.append((track, an.choice(track)))
        tracks.append(track)
    complete = an.schedule(searches)
    points = [p for t in tracks for p in t.found]
    points.sort(key=lambda p: (p.relative_change, p.key, _DIRECTION_ORDER[p.direction], json.dumps(p.threshold)))
    robust = [Robust(t.key, _group(t.key), t.current, t.searched(), t.complete) for t in tracks if not t.found]
    robust.extend(skipped)
    order = {k: i for i, k in enumerate(questionnaire.keys())}
    robust.sort(key=lambda r: order[r.key])
    return Analysis(
        recommendation=an.base.recommendation, decided_by=an.base.decided_by,
        knock_outs=tuple(h.rule_id for h in an.base.knock_outs), tipping_points=tuple(points),
        robust=tuple(robust), not_applicable=tuple(not_applicable), evaluations=an.evaluations,
        complete=complete and all(t.complete for t in tracks),
    )
