"""The search: every applicable answer changed alone, nearest change first, within a budget.

The evaluation is injected (``evaluate(answers) -> Decision``), so this module knows
nothing of packs or fault-domain graphs; :func:`advisor.tipping.tipping_points` wires it
to the decision engine. An optional ``cost`` estimate and ``budget`` bound the work:
evaluations run nearest change first across all answers, and what the budget cuts short
is reported as incomplete. The result is deterministic for the same inputs.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.decide.outcome import Decision
from advisor.errors import AdvisorError
from advisor.questionnaire import Question, Questionnaire
from advisor.sensitivity.ladder import _clean_candidates, _ladder, _range_label
from advisor.sensitivity.points import (
    CATEGORICAL_CHANGE,
    CLOSE_BAND,
    TOLERANCE,
    Analysis,
    Change,
    Direction,
    Robust,
    Snapshot,
    TippingPoint,
    _group,
    state,
)
from advisor.sensitivity.wording import _digits, _noun, _number

Evaluate = Callable[[Mapping[str, Any]], Decision]
Cost = Callable[[Mapping[str, Any]], float]

#: Why an answer is not searched by default: no rule depends on it.
NOT_READ = "no rule of the pack reads it"
_DIRECTION_ORDER = {"down": 0, "up": 1, "set": 2, "remove": 3, "add": 4}


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


Steps = Generator[Any, "Decision | None", None]


class _Analyser:
    def __init__(self, answers: Mapping[str, Any], evaluate: Evaluate, cost: Cost | None, budget: float,
                 base: Decision | None, band: tuple[float, float], first: Collection[str] = ()) -> None:
        self.answers = dict(answers)
        self.band = band
        self.first = frozenset(first)
        self.evaluate = evaluate
        self.cost = cost
        self.budget = budget
        self.spent = 0.0
        self.evaluations = 0
        self.cache: dict[tuple[str, str], Decision | None] = {}
        if base is None:
            base = evaluate(self.answers)
            self.evaluations += 1
        self.base = base
        self.state = state(base, band)

    # ---------------------------------------------------------------- evaluation

    def cached(self, key: str, value: Any) -> tuple[bool, tuple[str, str]]:
        token = (key, json.dumps(value))
        return token in self.cache, token

    def run(self, key: str, value: Any) -> Decision | None:
        hit, token = self.cached(key, value)
        if hit:
            return self.cache[token]
        answers = {**self.answers, key: value}
        try:
            result: Decision | None = self.evaluate(answers)
        except AdvisorError:
            result = None  # e.g. a fleet too large for the model: the search stops there
        self.evaluations += 1
        self.cache[token] = result
        return result

    def flips(self, result: Decision) -> bool:
        return state(result, self.band) != self.state

    def point(self, track: _Track, direction: Direction, threshold: Any, before: Any, result: Decision,
              item: str | None = None, exact: bool = True) -> TippingPoint:
        q, current = track.question, track.current
        if q.type in ("int", "float"):
            denominator = abs(current) if current != 0 else 1.0
            change = abs(threshold - current) / denominator
        else:
            change = CATEGORICAL_CHANGE
        new = state(result, self.band)
        kinds: tuple[Change, Change, Change] = ("outcome", "recommendation", "probability")
        changes = tuple(what for what, a, b in zip(kinds, self.state, new, strict=True) if a != b)
        return TippingPoint(
            key=track.key, kind=q.type, group=_group(track.key), current=current, direction=direction,
            threshold=threshold, before=before, item=item, outcome=result.outcome,
            recommendation=result.recommendation, configuration=result.configuration,
            p_before=self.base.p_bare_metal, p_after=result.p_bare_metal, changes=changes, relative_change=change,
            label=_noun(track.key)[0], unit=q.unit, prompt=q.prompt,
            labels={c.value: c.label for c in q.choices or ()}, band=self.band, outcome_before=self.base.outcome,
            exact=exact,
        )

    # ---------------------------------------------------------------- searches (generators)

    def numeric(self, track: _Track, up: bool) -> Steps:
        q, current = track.question, track.current
        ladder, _ = _ladder(q, current, up)
        near: int | float = current
        far: int | float | None = None
        far_result: Decision | None = None
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
        try:
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
        except GeneratorExit:  # the budget stopped the bisection: the tipping end found so far is a true change
            track.found.append(self.point(track, "up" if up else "down", far, near, far_result, exact=False))
            raise
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
        """Evaluations already made first; then the answers to search first; then the nearest change first."""
        if price <= 0:
            return (0, 0.0)
        tier = 1 if track.key in self.first else 2
        if track.question.type in ("int", "float"):
            current = track.current
            return (tier, abs(value - current) / (abs(current) or 1.0))
        return (tier, CATEGORICAL_CHANGE)

    def schedule(self, searches: list[tuple[_Track, Steps]]) -> bool:
        """Run the searches; False when the budget cut one short.

        Evaluations run in order of the relative size of the change, so that the budget
        goes to the nearest changes of every answer (ties in the order the searches were
        listed). A search whose next evaluation does not fit in what is left of the
        budget stops.
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


def analyse(answers: Mapping[str, Any], evaluate: Evaluate, questionnaire: Questionnaire, *,
            cost: Cost | None = None, budget: float = math.inf, relevant: Collection[str] | None = None,
            keys: Collection[str] | None = None, base: Decision | None = None,
            close_band: tuple[float, float] = CLOSE_BAND, before: Decision | None = None,
            seed: int | None = None, why_not_relevant: str = NOT_READ, first: Collection[str] = ()) -> Analysis:
    """The tipping points of one profile.

    ``evaluate(answers)`` decides a profile (answers as in a profile file; defaults
    are the evaluation's business; the same draws for every call). ``cost(answers)``
    estimates what one evaluation costs (default 1 each) and ``budget`` bounds the sum;
    searches the budget cuts short are reported with ``complete=False``. ``relevant``:
    the keys some rule reads (directly or through derived, graph facts and question
    conditions); the others are reported robust without a search, ``why_not_relevant`` saying
    why (default: no rule reads them). ``first``: answers whose searches run before the
    others' (the budget goes to them first; e.g. those a ruling-out constraint reads). ``keys`` limits the
    analysis to these questions; ``base`` is ``evaluate(answers)`` when the caller has
    it already; ``close_band`` is the pack's close band of P; ``before`` the decision
    without the changes under study, reported alongside; ``seed`` the seed ``evaluate``
    draws with, reported.
    """
    an = _Analyser(answers, evaluate, cost, budget, base, close_band, first)
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
            skipped.append(Robust(q.key, _group(q.key), current, why_not_relevant, True))
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
        outcome=an.base.outcome, recommendation=an.base.recommendation, configuration=an.base.configuration,
        p_bare_metal=an.base.p_bare_metal, tipping_points=tuple(points), robust=tuple(robust),
        not_applicable=tuple(not_applicable), evaluations=an.evaluations,
        complete=complete and all(t.complete for t in tracks), close_band=close_band,
        sentence=an.base.sentence, before=None if before is None else Snapshot.of(before), seed=seed,
    )
