"""What a tipping-point analysis finds: tipping points, robust answers, the analysis, revisit triggers.

A change of one answer **tips** a decision when it changes the outcome kind or the
recommended option, or moves P across the pack's close band (:func:`state`). Each
:class:`TippingPoint` is a sentence in the user's units and a revisit trigger: a
condition over the answers (rule expression syntax, checked by ``advisor records
check``) with its sentence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.decide.outcome import Decision
from advisor.sensitivity.wording import _OPTION, _amount, _digits, _join, _literal, _noun, _number

Direction = Literal["up", "down", "set", "add", "remove"]
#: What a tipping point changes, most significant first.
Change = Literal["outcome", "recommendation", "probability"]

#: Relative tolerance of a float threshold: the last value that does not tip is this close.
TOLERANCE = 1e-3
#: The relative change given to a choice, boolean or multi-choice change (for sorting).
CATEGORICAL_CHANGE = 1.0
#: The close band of P(bare metal better) when the caller gives none (the default pack's).
CLOSE_BAND = (0.2, 0.8)


def _band(p: float | None, band: tuple[float, float]) -> str | None:
    if p is None:
        return None
    return "vm" if p < band[0] else ("bare-metal" if p > band[1] else "close")


def state(decision: Decision, band: tuple[float, float] = CLOSE_BAND) -> tuple[str, str | None, str | None]:
    """What a tipping point must change: (outcome kind, recommended option, where P lies against the band)."""
    return decision.outcome, decision.recommendation, _band(decision.p_bare_metal, band)


@dataclass(frozen=True)
class TippingPoint:
    """One change of one answer that tips the decision.

    ``threshold`` is the new answer: for a number, the first value (going from the
    current one in ``direction``) that tips it, and ``before`` the last one that does
    not (the previous integer, or within :data:`TOLERANCE` for floats). ``item`` is the
    choice added or removed by a multi-choice change. ``outcome``, ``recommendation``,
    ``configuration`` and ``p_after`` describe the decision at ``threshold``;
    ``p_before`` and ``outcome_before`` are the profile's own. ``changes`` says what tipped: the outcome kind,
    the recommended option and/or P crossing the close band. ``label`` and ``unit``
    are the answer's noun phrase and unit (for the sentences); ``labels`` the display
    label of each choice value. ``exact`` is false when the budget stopped the
    bisection: ``threshold`` then tips the decision and ``before`` does not, but the
    boundary between them was not narrowed down (the sentence and the condition say
    "to ``threshold`` or more/less").
    """

    key: str
    kind: str
    group: Literal["input", "priority"]
    current: Any
    direction: Direction
    threshold: Any
    before: Any
    item: str | None
    outcome: str
    recommendation: str | None
    configuration: str | None
    p_before: float | None
    p_after: float | None
    changes: tuple[Change, ...]
    relative_change: float
    label: str = ""
    unit: str | None = None
    prompt: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    band: tuple[float, float] = CLOSE_BAND
    outcome_before: str = ""
    exact: bool = True

    @property
    def _strict(self) -> bool:
        """Integers, and floats whose last value that does not tip is the rounder number: ``x < 1``.

        A bracket the budget cut short (``exact`` false) is said from its tipping end: ``x <= 3.75``.
        """
        if not self.exact:
            return False
        return self.kind == "int" or _digits(float(self.before)) < _digits(float(self.threshold))

    def _choice(self, value: Any) -> str:
        return self.labels.get(value, str(value)) if isinstance(value, str) else str(value)

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

    def _change_words(self) -> str:
        """The change as a gerund phrase: ``raising the p99 latency SLO above 1 ms``."""
        noun = self.label or _noun(self.key)[0]
        if self.kind in ("int", "float"):
            down = self.direction == "down"
            verb = "lowering" if down else "raising"
            if self._strict:
                return f"{verb} {noun} {'below' if down else 'above'} {_amount(self.key, self.before, self.unit)}"
            return (f"{verb} {noun} to {_amount(self.key, self.threshold, self.unit)} "
                    f"or {'less' if down else 'more'}")
        if self.kind == "bool":
            return f"answering {'yes' if self.threshold else 'no'} to \u201c{self.prompt or self.key}\u201d"
        if self.kind == "multi-choice":
            if self.direction == "remove":
                return f"removing {self._choice(self.item)} from {noun}"
            if self.direction == "add":
                return f"adding {self._choice(self.item)} to {noun}"
            return f"setting {noun} to {self._choice(self.item)} only"
        return f"setting {noun} to {self._choice(self.threshold)}"

    def effect(self) -> str:
        """What the change would do: ``would make VM-backed the better option``."""
        chosen = self.configuration or _OPTION.get(self.recommendation or "", "neither option")
        if self.changes == ("probability",):  # the same outcome and option: P crossed the close band
            if _band(self.p_after, self.band) == "close":
                return f"would make it a close call, with {chosen} still leading"
            return f"would make {chosen} clearly better"
        if self.outcome == "both-ruled-out":
            return "would rule out both options"
        if self.outcome == "one-ruled-out":
            other = "vm" if self.recommendation == "bare-metal" else "bare-metal"
            return f"would rule out {_OPTION[other]}, leaving {chosen}"
        if self.outcome == "measure-first":
            return f"would call for measuring first, with {chosen} leading"
        if self.outcome == "tie":
            return "would make it a tie"
        if "recommendation" in self.changes:
            return f"would make {chosen} the better option"
        if self.outcome_before == "measure-first":
            return f"would settle it for {chosen} without measuring first"
        if self.outcome_before == "one-ruled-out" and self.recommendation is not None:
            other = "vm" if self.recommendation == "bare-metal" else "bare-metal"
            return f"would bring {_OPTION[other]} back into the comparison, with {chosen} still the better option"
        return f"would make {chosen} the better option"

    @property
    def probability(self) -> str:
        """``P(bare metal better) 0.91 -> 0.55``, or '' when either side has no probability."""
        if self.p_before is None or self.p_after is None:
            return ""
        return f"P(bare metal better) {self.p_before:.2f} -> {self.p_after:.2f}"

    @property
    def sentence(self) -> str:
        """The tipping point in words, one sentence in the user's units."""
        text = f"{self._change_words()} {self.effect()}"
        if self.probability:
            text += f" ({self.probability})"
        return text[:1].upper() + text[1:] + "."

    @property
    def trigger(self) -> str:
        """The revisit trigger in words: ``Revisit if the number of physical hosts rises above 45.``"""
        noun = self.label or _noun(self.key)[0]
        if self.kind in ("int", "float"):
            down = self.direction == "down"
            if self._strict:
                return (f"Revisit if {noun} {'drops below' if down else 'rises above'} "
                        f"{_amount(self.key, self.before, self.unit)}.")
            return (f"Revisit if {noun} {'drops to' if down else 'rises to'} "
                    f"{_amount(self.key, self.threshold, self.unit)} or {'below' if down else 'above'}.")
        if self.kind == "bool":
            answer = "yes" if self.threshold else "no"
            return f"Revisit if the answer to \u201c{self.prompt or self.key}\u201d becomes {answer}."
        if self.kind == "multi-choice" and self.direction != "set":
            if self.direction == "remove":
                return f"Revisit if {self._choice(self.item)} is no longer among {noun}."
            return f"Revisit if {self._choice(self.item)} is added to {noun}."
        value = self.item if self.kind == "multi-choice" else self.threshold
        return f"Revisit if {noun} becomes {self._choice(value)}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "kind": self.kind, "group": self.group, "current": self.current,
            "direction": self.direction, "threshold": self.threshold, "before": self.before, "item": self.item,
            "outcome": self.outcome, "recommendation": self.recommendation, "configuration": self.configuration,
            "p_before": self.p_before, "p_after": self.p_after, "changes": list(self.changes),
            "relative_change": round(self.relative_change, 6), "exact": self.exact, "condition": self.condition,
            "sentence": self.sentence, "trigger": self.trigger,
        }


@dataclass(frozen=True)
class Trigger:
    """A revisit trigger: a condition over the answers and the same in words."""

    condition: str
    sentence: str

    def to_dict(self) -> dict[str, str]:
        return {"condition": self.condition, "sentence": self.sentence}


@dataclass(frozen=True)
class Robust:
    """An answer that no change within ``searched`` tips; ``complete`` is false when the budget cut it short."""

    key: str
    group: Literal["input", "priority"]
    current: Any
    searched: str
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "group": self.group, "current": self.current, "searched": self.searched,
                "complete": self.complete}


@dataclass(frozen=True)
class Snapshot:
    """One decision in brief: its outcome kind, option, configuration, P and sentence."""

    outcome: str
    recommendation: str | None
    configuration: str | None
    p_bare_metal: float | None
    sentence: str

    @classmethod
    def of(cls, decision: Decision) -> Snapshot:
        return cls(decision.outcome, decision.recommendation, decision.configuration, decision.p_bare_metal,
                   decision.sentence)

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "recommendation": self.recommendation,
                "configuration": self.configuration, "p_bare_metal": self.p_bare_metal, "sentence": self.sentence}


@dataclass(frozen=True)
class Analysis:
    """The tipping points of one profile, smallest relative change first, and its robust answers.

    ``outcome``, ``recommendation``, ``configuration``, ``p_bare_metal`` and ``sentence``
    are the profile's own decision; ``close_band`` the band of P a tipping point may
    cross. ``before`` is the decision of the profile without the changes under study
    (``advisor whatif --set``), decided with the same draws, when there is one; ``seed``
    the seed of those draws (every evaluation of the analysis used it).
    For a record: :meth:`changes` (what would change the answer, merged and ordered
    sentences) and :meth:`triggers` (revisit triggers, condition and sentence).
    """

    outcome: str
    recommendation: str | None
    configuration: str | None
    p_bare_metal: float | None
    tipping_points: tuple[TippingPoint, ...]
    robust: tuple[Robust, ...]
    not_applicable: tuple[str, ...]
    evaluations: int
    complete: bool
    close_band: tuple[float, float] = CLOSE_BAND
    tolerance: float = TOLERANCE
    sentence: str = ""
    before: Snapshot | None = None
    seed: int | None = None

    def changes(self, limit: int = 5) -> list[str]:
        """What would change the answer: one sentence per tipping point, smallest change first.

        The choices of one answer that have the same effect are merged into one
        sentence ("Setting the workload class to Trading or HPC would ...").
        """
        return [s for s, _ in _merged(self.tipping_points, limit)]

    def triggers(self, limit: int = 5) -> list[Trigger]:
        """Revisit triggers, smallest change first, merged like :meth:`changes` (same order)."""
        return [t for _, t in _merged(self.tipping_points, limit)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome, "recommendation": self.recommendation, "configuration": self.configuration,
            "p_bare_metal": self.p_bare_metal, "close_band": list(self.close_band), "sentence": self.sentence,
            "before": None if self.before is None else self.before.to_dict(), "seed": self.seed,
            "tipping_points": [p.to_dict() for p in self.tipping_points],
            "robust": [r.to_dict() for r in self.robust], "not_applicable": list(self.not_applicable),
            "evaluations": self.evaluations, "complete": self.complete, "tolerance": self.tolerance,
            "changes": self.changes(), "revisit_triggers": [t.to_dict() for t in self.triggers()],
        }

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, newline at the end."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- sentences and triggers


def _merged(points: Sequence[TippingPoint], limit: int) -> list[tuple[str, Trigger]]:
    """(change sentence, trigger) pairs, smallest change first; choices of one answer with one effect merged."""
    groups: dict[tuple[str, str], list[TippingPoint]] = {}
    order: list[tuple[str, str] | TippingPoint] = []
    for p in points:
        if p.kind in ("choice", "bool") and p.direction == "set":
            key = (p.key, p.effect())
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(p)
        else:
            order.append(p)
    out: list[tuple[str, Trigger]] = []
    seen: set[str] = set()
    for entry in order:
        if isinstance(entry, TippingPoint) or len(groups[entry]) == 1:
            p = entry if isinstance(entry, TippingPoint) else groups[entry][0]
            pair = (p.sentence, Trigger(p.condition, p.trigger))
        else:
            group = groups[entry]
            p = group[0]
            noun = p.label or _noun(p.key)[0]
            words = _join([p._choice(g.threshold) for g in group])
            condition = f"{p.key} in {_literal([g.threshold for g in group])}"
            trigger = Trigger(condition, f"Revisit if {noun} becomes {words}.")
            pair = (f"Setting {noun} to {words} {p.effect()}.", trigger)
        if pair[1].condition in seen:
            continue
        seen.add(pair[1].condition)
        out.append(pair)
        if len(out) >= limit:
            break
    return out


def revisit_triggers(tipping_points: Sequence[TippingPoint], limit: int = 5) -> list[str]:
    """Conditions for a decision record: each is true exactly when one answer crossed its tipping point.

    They use the rule expression language, so ``advisor.conditions.compile_condition``
    compiles them against the questionnaire's fact types and evaluates them on a later
    profile (``advisor records check``). The first ``limit`` distinct ones, smallest
    change first; the choices of one answer with the same effect are merged
    (``workload_class in ['trading', 'hpc']``).
    """
    return [t.condition for _, t in _merged(tipping_points, limit)]


def revisit_sentences(tipping_points: Sequence[TippingPoint], limit: int = 5) -> list[str]:
    """The triggers of :func:`revisit_triggers` in words, in the same order."""
    return [t.sentence for _, t in _merged(tipping_points, limit)]


def _group(key: str) -> Literal["input", "priority"]:
    return "priority" if key.startswith("priority_") else "input"
