"""The typed inputs of the sections: the consequences that separate the options, and the changes
that would flip the answer."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.decide.outcome import AttributeResult
from advisor.decide.text import fmt
from advisor.records import DecisionRecord
from advisor.render.text import OPTIONS, SOURCE_WORDS


@dataclass(frozen=True)
class Reason:
    """One consequence that separates the options, in the profile's numbers."""

    criterion: str
    priority: int
    label: str
    favours: str
    weight: float  # priority x attribute weight x |value difference|: its share of the utility difference
    text: dict[str, str]  # option -> "12 % (8 to 20 %), published range"
    attribute: str


@dataclass(frozen=True)
class Change:
    """One way the answer would change: a sentence, and how far the answer is from it."""

    sentence: str
    distance: float  # relative change of the answer; 0 for date or event triggers


def range_words(row: AttributeResult) -> str:
    unit = row.unit
    if row.source == "unknown":
        return "unknown"
    if row.low == row.high:
        text = fmt(row.mode, unit)
        source = "computed from the answers" if row.source == "prior" else SOURCE_WORDS.get(row.source, row.source)
    else:
        text = f"{fmt(row.mode, unit)} ({fmt(row.low)} to {fmt(row.high, unit)})"
        source = SOURCE_WORDS.get(row.source, row.source)
    return f"{text}, {source}"


def reasons_of(record: DecisionRecord) -> list[Reason]:
    """The consequences that separate the options' chosen configurations, largest share first."""
    out = []
    for crit in record.decision.criteria:
        rows = {o: {r.attribute: r for r in crit.attributes.get(o, [])} for o in OPTIONS}  # type: ignore[call-overload]
        for key, bm in rows["bare-metal"].items():
            vm = rows["vm"].get(key)
            if vm is None:
                continue
            diff = bm.value - vm.value
            if abs(diff) < 1e-4:
                continue
            weight = crit.priority * bm.weight * abs(diff)
            out.append(Reason(criterion=crit.criterion, priority=crit.priority, label=bm.label,
                              favours="bare-metal" if diff > 0 else "vm", weight=weight,
                              text={"bare-metal": range_words(bm), "vm": range_words(vm)}, attribute=key))
    return sorted(out, key=lambda r: (-r.weight, r.attribute))
