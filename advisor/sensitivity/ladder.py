"""Where a numeric search probes: the coarse ladder from the current value and the round candidates."""

from __future__ import annotations

import math
from typing import Any

from advisor.questionnaire import Question
from advisor.sensitivity.wording import _number

#: Numbers are searched up to this factor away from the current value (or the question's bounds).
MAX_FACTOR = 100.0
#: Coarse scan: offsets from the current value, as fractions of it (then the search limit).
_STEPS = (1 / 4, 1.0, 4.0, 16.0)
#: Downward scan toward zero: fractions of the current value.
_DOWN = (3 / 4, 1 / 2, 1 / 4, 1 / 16, 1 / 128)
#: Round candidates tried for a float threshold before the bisection's own value is kept.
_CLEAN_TRIES = 2


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


def _range_label(q: Question, current: Any) -> str:
    down, low = _ladder(q, current, up=False)
    up, high = _ladder(q, current, up=True)
    lo = low if down else current
    hi = high if up else current
    return f"{_number(lo)} to {_number(hi)}"
