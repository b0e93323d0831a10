"""Value functions: an attribute in its own unit -> value, piecewise linear between anchors.

Each function is monotone (checked when the pack loads), so "more latency eaten" can
never be worth more than "less". The anchors span 0..1 over the range that matters;
beyond the last anchors the end pieces continue linearly (a value may fall below 0),
because a flat end would make the *worse* option stop losing value while the better
one still does, and a larger answer could then favour the option it harms.
Within a criterion the attributes combine with fixed weights that sum to 1; across
criteria the profile's priorities weigh them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ValueFunction"]


@dataclass(frozen=True)
class ValueFunction:
    """``v(x)``: linear between anchors ``(x_i, v_i)``, the end pieces extended beyond them."""

    xs: tuple[float, ...]
    vs: tuple[float, ...]

    @classmethod
    def from_anchors(cls, anchors: Sequence[tuple[float, float]]) -> ValueFunction:
        """Build and check: x strictly increasing, v in 0..1 and monotone. ValueError otherwise."""
        xs = tuple(float(x) for x, _ in anchors)
        vs = tuple(float(v) for _, v in anchors)
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            raise ValueError("the anchors' x values must increase strictly")
        if any(not 0.0 <= v <= 1.0 for v in vs):
            raise ValueError("values must lie in 0..1")
        steps = [b - a for a, b in zip(vs, vs[1:], strict=False)]
        if not (all(s >= 0 for s in steps) or all(s <= 0 for s in steps)):
            raise ValueError("the value function must be monotone (all non-decreasing or all non-increasing)")
        return cls(xs, vs)

    @property
    def increasing(self) -> bool:
        return self.vs[-1] >= self.vs[0]

    def __call__(self, x: float) -> float:
        xs = self.xs
        i = min(max(bisect_right(xs, x), 1), len(xs) - 1)
        x0, x1 = xs[i - 1], xs[i]
        v0, v1 = self.vs[i - 1], self.vs[i]
        return v0 + (v1 - v0) * (x - x0) / (x1 - x0)

    def many(self, values: Sequence[float]) -> list[float]:
        """``v`` of each value (the hot path of sampling)."""
        xs = self.xs
        if len(xs) == 2:  # one linear piece: the common case, kept fast
            lo, v_lo = xs[0], self.vs[0]
            slope = (self.vs[1] - v_lo) / (xs[1] - lo)
            return [v_lo + slope * (x - lo) for x in values]
        return [self(x) for x in values]

    def describe(self, unit: str) -> str:
        """E.g. ``0 % -> 1, 10 % -> 0.8, 50 % -> 0``."""
        sep = " " if unit and unit[0].isalnum() else ""
        return ", ".join(f"{x:g}{sep}{unit} -> {v:g}" for x, v in zip(self.xs, self.vs, strict=True))
