"""Tipping points: the smallest change of one answer that changes the decision.

A decision (:class:`advisor.decide.Decision`) has an outcome kind (recommend, tie,
one or both options ruled out, measure first), a recommended option, and P, the
probability that bare metal is better. A change of one answer **tips** the decision
when it changes the outcome kind or the recommended option, or moves P across the
pack's close band (e.g. from above 0.8 into 0.2..0.8). For every applicable question
(and every ``priority_*`` weight) the analysis changes that one answer and decides
again, everything else unchanged, with the profile's own draws (common random
numbers, so P moves only because the answer moved):

* numbers are searched in both directions from the current value, within the
  question's bounds and at most :data:`MAX_FACTOR` times away from it: a coarse,
  log-spaced scan finds the first probe that tips the decision, bisection then
  narrows the boundary between it and the last probe that did not (integers exactly;
  floats to a relative :data:`TOLERANCE`, then a round number inside the last
  interval, verified);
* choices and booleans are tried one by one; multi-choice answers add or remove
  each choice.

Each tipping point is a sentence in the user's units ("Raising the p99 latency SLO
above 1 ms would make VM-backed the better option (P(bare metal better) 0.91 ->
0.55).") and a revisit trigger: a condition over the answers (rule expression
syntax, checked by ``advisor records check``) with its sentence ("Revisit if the p99
latency SLO rises above 1 ms.").

The evaluation is injected (``evaluate(answers) -> Decision``), so this module knows
nothing of packs or fault-domain graphs; :func:`advisor.pipeline.tipping_points`
wires it to the decision engine. An optional ``cost`` estimate and ``budget`` bound
the work: evaluations run nearest change first across all answers, and what the
budget cuts short is reported as incomplete. The result is deterministic for the
same inputs. The method is documented in docs/whatif.md.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.decide.outcome import Decision
from advisor.errors import AdvisorError
from advisor.questionnaire import Question, Questionnaire

__all__ = [
    "CATEGORICAL_CHANGE",
    "CLOSE_BAND",
    "MAX_FACTOR",
    "NOT_READ",
    "TOLERANCE",
    "Analysis",
    "Cost",
    "Evaluate",
    "Robust",
    "Snapshot",
    "TippingPoint",
    "Trigger",
    "analyse",
    "revisit_sentences",
    "revisit_triggers",
    "state",
]

Evaluate = Callable[[Mapping[str, Any]], Decision]
Cost = Callable[[Mapping[str, Any]], float]
Direction = Literal["up", "down", "set", "add", "remove"]
#: What a tipping point changes, most significant first.
Change = Literal["outcome", "recommendation", "probability"]

#: Relative tolerance of a float threshold: the last value that does not tip is this close.
TOLERANCE = 1e-3
#: Numbers are searched up to this factor away from the current value (or the question's bounds).
MAX_FACTOR = 100.0
#: The relative change given to a choice, boolean or multi-choice change (for sorting).
CATEGORICAL_CHANGE = 1.0
#: The close band of P(bare metal better) when the caller gives none (the default pack's).
CLOSE_BAND = (0.2, 0.8)
#: Coarse scan: offsets from the current value, as fractions of it (then the search limit).
_STEPS = (1 / 4, 1.0, 4.0, 16.0)
#: Downward scan toward zero: fractions of the current value.
_DOWN = (3 / 4, 1 / 2, 1 / 4, 1 / 16, 1 / 128)
#: Round candidates tried for a float threshold before the bisection's own value is kept.
_CLEAN_TRIES = 2

#: Why an answer is not searched by default: no rule depends on it.
NOT_READ = "no rule of the pack reads it"
_DIRECTION_ORDER = {"down": 0, "up": 1, "set": 2, "remove": 3, "add": 4}
_OPTION = {"bare-metal": "bare metal", "vm": "VM-backed"}

#: How sentences name an answer: (noun phrase, whether the question's unit follows a number).
_NOUNS: dict[str, tuple[str, bool]] = {
    "workload_class": ("the workload class", False),
    "latency_p99_ms": ("the p99 latency SLO", True),
    "tenancy": ("the tenancy", False),
    "tenant_count": ("the number of tenants", False),
    "noisy_neighbor_sensitivity": ("the noisy-neighbour sensitivity", False),
    "compliance": ("the compliance regimes", False),
    "physical_hosts": ("the number of physical hosts", False),
    "racks": ("the number of racks", False),
    "microservices_per_host": ("the number of microservices per host", False),
    "replicas_per_service": ("the replicas per service", False),
    "vms_per_host": ("the VMs per host", False),
    "max_blast_radius_pct": ("the accepted blast radius", True),
    "clusters": ("the number of clusters", False),
    "k8s_versions_in_production": ("the Kubernetes minor versions in production", False),
    "crd_count": ("the number of CRDs", False),
    "crd_owning_teams": ("the number of teams shipping CRDs", False),
    "upgrades_per_year": ("the cluster upgrades per year", False),
    "upgrade_duration_days": ("the upgrade duration", True),
    "gpu": ("the GPU use", False),
    "special_networking": ("the special networking features", False),
    "existing_virtualization": ("the existing virtualization", False),
    "virtualization_expertise": ("the virtualization know-how", False),
    "bare_metal_automation": ("the bare-metal automation", False),
    "hypervisor_license_per_core_year": ("the hypervisor licence per core and year", False),
    "cores_per_host": ("the cores per host", False),
    "site_type": ("the site type", False),
    "hosts_per_site": ("the hosts per edge site", False),
    "vm_io_paths": ("the VM data-plane I/O paths", False),
    "vm_platform_licence_per_core_year": ("the VM platform licence per core and year", False),
    "k8s_surface_reduction": ("the node operating system's surface reduction", False),
    "demand_variability": ("the demand variability", False),
    "platform_team_size": ("the platform team", True),
}


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


def _noun(key: str) -> tuple[str, bool]:
    if key.startswith("priority_"):
        return f"the {key[len('priority_'):]} priority", False
    return _NOUNS.get(key, ("the " + key.replace("_", " "), True))


def _amount(key: str, value: Any, unit: str | None) -> str:
    """A number with its unit when the noun does not already say it: ``1 ms``, ``25%``, ``45``."""
    text = _number(value)
    if not unit or not _noun(key)[1]:
        return text
    return f"{text}{unit}" if unit in ("%", "x") else f"{text} {unit}"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


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
        sentence ("Setting the tenancy to One team or Untrusted tenants would ...").
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
    (``tenancy in ['single-team', 'multi-tenant-untrusted']``).
    """
    return [t.condition for _, t in _merged(tipping_points, limit)]


def revisit_sentences(tipping_points: Sequence[TippingPoint], limit: int = 5) -> list[str]:
    """The triggers of :func:`revisit_triggers` in words, in the same order."""
    return [t.sentence for _, t in _merged(tipping_points, limit)]


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


def _range_label(q: Question, current: Any) -> str:
    down, low = _ladder(q, current, up=False)
    up, high = _ladder(q, current, up=True)
    lo = low if down else current
    hi = high if up else current
    return f"{_number(lo)} to {_number(hi)}"


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
