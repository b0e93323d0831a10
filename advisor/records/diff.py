"""What changed between two records, and which single change alone flips the outcome.

Re-evaluation comes from :mod:`advisor.pipeline`, above this layer: callers pass it in
as a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from advisor.records.hashing import ResolvePack, current_hashes
from advisor.records.model import DecisionRecord, PackInfo
from advisor.records.store import RecordFile

#: ``evaluate(answers, measured facts, rule packs, reference answers) -> recommendation`` (built on
#: ``advisor.pipeline``). The reference answers are record A's: a decision engine draws with their seed
#: (common random numbers), so that one swapped answer moves the probability only by itself.
Evaluate = Callable[[Mapping[str, Any], Mapping[str, Any], Sequence[PackInfo], Mapping[str, Any]], str]


@dataclass(frozen=True)
class Change:
    """One difference between two records. ``flips``: this input alone changes the outcome (None: not tried)."""

    kind: Literal["answer", "measurement", "rules", "weight", "fired"]
    name: str
    before: Any
    after: Any
    flips: bool | None = None

    def format(self) -> str:
        if self.kind == "fired":
            text = f"rules fired: {self.name}"
        else:
            text = f"{self.kind} {self.name}: {_show(self.before)} -> {_show(self.after)}"
        if self.flips:
            text += "  [changes the outcome]"
        return text


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):  # 0.9748, 26000: never 0.9747870250324321 or 2.6e+04
        if value.is_integer() or abs(value) >= 1e4:
            return f"{value:.0f}"
        return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.2e}"
    return str(value)


@dataclass(frozen=True)
class Diff:
    a: DecisionRecord
    b: DecisionRecord
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    @property
    def outcome_changed(self) -> bool:
        return self.a.recommendation != self.b.recommendation

    @property
    def leading(self) -> tuple[str | None, str | None]:
        """The option each record's measure-first outcome leans to (None for any other outcome)."""
        return _leading(self.a), _leading(self.b)

    @property
    def deciding(self) -> list[Change]:
        """The inputs that flip the outcome on their own."""
        return [c for c in self.changes if c.flips]

    def lines(self) -> list[str]:
        a, b = self.a, self.b
        head = f"{a.number:04d} -> {b.number:04d}: recommendation {a.recommendation}"
        lead_a, lead_b = self.leading
        if self.outcome_changed:
            head += f" -> {b.recommendation}"
        elif lead_a and lead_b and lead_a != lead_b:  # both measure first, but the lead has moved
            head += f" (unchanged: measure first in both; the leading option {lead_a} -> {lead_b})"
        else:
            head += " (unchanged)"
        out = [head]
        out += [c.format() for c in self.changes] or ["no differences in answers, rules or measurements"]
        if self.outcome_changed:
            names = [f"{c.kind} {c.name}" for c in self.deciding]
            out.append("changed the outcome: " + (", ".join(names) if names else
                                                   "no single change alone; only together"))
        return out + [f"note: {n}" for n in self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.number, "b": self.b.number, "recommendation": [self.a.recommendation,
                                                                           self.b.recommendation],
                "outcome_changed": self.outcome_changed, "leading": list(self.leading),
                "changes": [{"kind": c.kind, "name": c.name, "before": c.before, "after": c.after,
                             "flips": c.flips} for c in self.changes],
                "changed_the_outcome": [f"{c.kind} {c.name}" for c in self.deciding], "notes": list(self.notes)}


def _leading(rec: DecisionRecord) -> str | None:
    return rec.decision.recommendation if rec.outcome == "measure-first" else None


def _measured(rec: DecisionRecord) -> dict[str, Any]:
    return {k: v for k, v in rec.decision.facts.items() if k.startswith("measured.")}


def _fired(rec: DecisionRecord) -> set[str]:
    """The constraint rules that applied (the consequence rules follow the configurations chosen)."""
    return {k for k, v in rec.rules_applied.items() if v.get("kind") == "constraint"}


def _dict_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _packs_text(packs: Sequence[PackInfo]) -> str:
    return " + ".join(f"{p.name}@{p.version} ({p.path}, sha256 {p.sha256[:12]})" for p in packs)


def _swap(values: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    out = dict(values)
    if value is None:
        out.pop(key, None)
    else:
        out[key] = value
    return out


def diff(rec_a: RecordFile, rec_b: RecordFile, evaluate: Evaluate | None = None,
         resolve_pack: ResolvePack | None = None) -> Diff:
    """What changed from record A to record B, and which single input flips the outcome.

    Answers, measured facts and the rule packs are the inputs. When the recommendations
    differ, each changed input of B is swapped into A's inputs alone and re-evaluated
    with ``evaluate``; the ones that change A's outcome are marked. Fired rules and rule
    weights are consequences of the inputs and are listed, not re-evaluated.
    """
    a, b = rec_a.record, rec_b.record
    ans = _dict_changes(a.profile.answers, b.profile.answers)
    meas = _dict_changes(_measured(a), _measured(b))
    rules_changed = a.rules.sha256 != b.rules.sha256
    notes: list[str] = []
    flips: dict[tuple[str, str], bool | None] = {}
    if a.recommendation != b.recommendation and evaluate is not None:
        flips, notes = _attribute(a, b, ans, meas, rules_changed, evaluate, resolve_pack)
    changes: list[Change] = []
    changes += [Change("answer", k, x, y, flips.get(("answer", k))) for k, x, y in ans]
    changes += [Change("measurement", k, x, y, flips.get(("measurement", k))) for k, x, y in meas]
    if rules_changed:
        changes.append(Change("rules", "packs", _packs_text(a.rules.packs), _packs_text(b.rules.packs),
                              flips.get(("rules", "packs"))))
    fa, fb = _fired(a), _fired(b)
    if fa != fb:
        parts = [f"+{r}" for r in sorted(fb - fa)] + [f"-{r}" for r in sorted(fa - fb)]
        changes.append(Change("fired", " ".join(parts), sorted(fa - fb), sorted(fb - fa)))
    return Diff(a, b, tuple(changes), tuple(notes))


def _attribute(a: DecisionRecord, b: DecisionRecord, ans: Sequence[tuple[str, Any, Any]],
               meas: Sequence[tuple[str, Any, Any]], rules_changed: bool, evaluate: Evaluate,
               resolve_pack: ResolvePack | None) -> tuple[dict[tuple[str, str], bool | None], list[str]]:
    notes: list[str] = []
    flips: dict[tuple[str, str], bool | None] = {}
    answers, measured = a.profile.answers, _measured(a)
    same_paths = [p.path for p in a.rules.packs] == [p.path for p in b.rules.packs]
    baseline = evaluate(answers, measured, a.rules.packs, answers)
    if rules_changed and same_paths:
        on_disk = current_hashes(b.rules.packs, resolve_pack)
        if on_disk == [p.sha256 for p in b.rules.packs]:
            # the files on disk are B's packs: A's inputs with them is "only the rules swapped"
            flips[("rules", "packs")] = baseline != a.recommendation
            notes.append(f"the rule packs of {a.number:04d} are no longer on disk; its answers and measurements "
                         f"were re-evaluated with those of {b.number:04d}")
        else:
            flips[("rules", "packs")] = None
            notes.append("the rule packs on disk match neither record; the rules change was not re-evaluated")
    else:
        if baseline != a.recommendation:
            notes.append(f"re-evaluating {a.number:04d} with the rule packs on disk gives {baseline}, not the "
                         f"recorded {a.recommendation}: its packs changed since it was written")
        if rules_changed:
            flips[("rules", "packs")] = evaluate(answers, measured, b.rules.packs, answers) != baseline
    for key, _, after in ans:
        flips[("answer", key)] = evaluate(_swap(answers, key, after), measured, a.rules.packs, answers) != baseline
    for key, _, after in meas:
        flips[("measurement", key)] = evaluate(answers, _swap(measured, key, after), a.rules.packs,
                                               answers) != baseline
    return flips, notes
