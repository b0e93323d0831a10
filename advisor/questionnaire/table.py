"""The questions as a table (``advisor questions``): key, type, allowed values, default, mode, condition."""

from __future__ import annotations

from collections.abc import Sequence

from advisor.questionnaire.question import Question

__all__ = ["describe"]


def describe(questions: Sequence[Question]) -> str:
    """A table of questions: key, type, allowed values, default, mode, condition."""
    from advisor import tables

    rows = []
    for q in questions:
        if q.choices:
            allowed = ", ".join(q.choice_values)
        elif q.type in ("int", "float"):
            sign = ">" if q.min_exclusive else ">="
            low = "" if q.min is None else f"{sign} {q.format_value(q.min)}"
            high = "" if q.max is None else f"<= {q.format_value(q.max)}"
            allowed = " and ".join(p for p in (low, high) if p)
        elif q.pattern:
            allowed = "text (see pattern)"
        else:
            allowed = ""
        if q.unit:
            allowed = f"{allowed} {q.unit}".strip()
        default = "(required)" if q.default is None else q.format_value(q.default)
        mode = f"full; quick when {q.quick_when}" if q.quick_when else q.mode
        rows.append([q.key, q.type, allowed, default, mode, q.when or ""])
    return tables.text(rows, ["key", "type", "allowed", "default", "mode", "asked when"], numbers=True,
                       maxcolwidths=[None, None, 48, 16, None, 32])
