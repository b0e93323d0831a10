"""Rule text with the user's numbers: ``{fact}`` in a title, reason or rationale, rendered with its unit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PLACEHOLDER", "fmt", "placeholders", "render", "share"]

#: ``{name}``: a fact, a derived fact or a computed consequence, e.g. ``{latency_p99_ms}``.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_.]{0,80})\}")


def fmt(value: Any, unit: str = "") -> str:
    """A number as people read it (3 significant digits, thousands grouped), with its unit."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (int, float)):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            text = f"{int(v):,}"
        elif abs(v) >= 100:
            text = f"{v:,.0f}"
        else:
            text = f"{v:.3g}"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "x") else f"{text} {unit}"


def share(p: float) -> str:
    """A probability from a finite number of draws, as the terminal, the JSON sentence and the record write it.

    The exact figure only between 1 % and 99 %: a finite sample never shows "100 %" or "0 %".
    """
    if p >= 0.995:
        return "over 99 %"
    if p <= 0.005:
        return "under 1 %"
    return f"{p * 100:.0f} %"


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def render(template: str, facts: Mapping[str, Any], units: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by the fact's value and unit ("unknown" when absent)."""

    text = " ".join(template.split())

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in facts:
            return f"{name} unknown"
        unit = units.get(name, "")
        if unit and re.match(rf" {re.escape(unit)}\b", text[m.end():]):
            unit = ""  # the template names the unit itself: "{clusters} clusters"
        return fmt(facts[name], unit)

    return PLACEHOLDER.sub(one, text)
