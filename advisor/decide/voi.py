"""Value of information: which measurable unknowns could change the decision, and how much knowing helps.

Every prior range that a probe could measure draws from the stream ``probe:<name>``,
shared by the two options. For a difference vector ``D`` (U_bm - U_vm per draw):

* a probe *can flip* the result when some combination of the measurable ranges'
  ends (each probe at its low or high end, the rest as drawn) gives ``E[D]`` the
  other sign: combinations are evaluated, not each probe alone;
* its expected value of perfect information is ``E_bins[max(E[D | bin], 0)] - max(E[D], 0)``
  over equal-probability bins of its draws: what knowing it is worth, in utility.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

__all__ = ["BINS", "Term", "ProbeValue", "probe_values"]

#: Equal-probability bins of a probe's draws for its value of information.
BINS = 8


@dataclass(frozen=True)
class Term:
    """A probe's share of D: per draw, and at the low and high ends of its ranges."""

    draws: Sequence[float]
    low_end: float
    high_end: float
    uniforms: Sequence[float]


@dataclass(frozen=True)
class ProbeValue:
    probe: str
    evpi: float
    can_flip: bool
    spread: float  # standard deviation of E[D | bin]: how much of D's spread it explains


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def probe_values(d: Sequence[float], terms: Mapping[str, Term], *, max_combined: int = 6) -> list[ProbeValue]:
    """Each probe's value of information and whether it (alone or combined) can flip sign(E[D])."""
    mean = _mean(d)
    base = max(mean, 0.0)
    names = sorted(terms)
    flips: set[str] = set()
    combined = names[:max_combined]
    if combined:
        means = {p: _mean(terms[p].draws) for p in combined}
        shift = mean - sum(means.values())
        tolerance = 0.1 * abs(mean) + 0.01
        for ends in product((0, 1), repeat=len(combined)):
            moves = {p: (terms[p].high_end if e else terms[p].low_end) - means[p]
                     for p, e in zip(combined, ends, strict=True)}
            value = shift + sum(means.values()) + sum(moves.values())
            if (value > 0) != (mean > 0):
                # the probes whose end moves E[D] across zero by a noticeable amount
                flips.update(p for p, m in moves.items() if abs(m) > tolerance and (m > 0) == (value > 0))
    out = []
    for p in names:
        us = terms[p].uniforms
        bins: list[list[float]] = [[] for _ in range(BINS)]
        for u, x in zip(us, d, strict=True):
            bins[min(int(u * BINS), BINS - 1)].append(x)
        bin_means = [_mean(b) for b in bins if b]
        evpi = _mean([max(m, 0.0) for m in bin_means]) - base
        centre = _mean(bin_means)
        spread = (_mean([(m - centre) ** 2 for m in bin_means])) ** 0.5
        out.append(ProbeValue(p, max(evpi, 0.0), p in flips, spread))
    out.sort(key=lambda v: (-v.evpi, not v.can_flip, v.probe))
    return out
