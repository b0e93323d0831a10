"""Statistics of a comparison: paired log-ratios, a group-sequential procedure, verdicts.

The session runs the two targets in *blocks*: one run of each target per block, in a
random order. A block gives one paired difference ``d = log(vm) - log(bare metal)``;
the ratio VM / bare metal is ``exp(mean(d))`` (a ratio of geometric means), and its
confidence interval is a paired Student t interval on the ``d``.

**Optional stopping is paid for.** The session looks at the data only at the planned
looks of a :class:`Design` (a number of valid blocks: 5, 7, 10, 14, 20, 28, 40 by
default; a session cuts them to those a probe's share of the budget reaches, see
:meth:`Design.within`) and the last one the budget allows. Look ``k`` uses a two-sided interval of
level ``1 - a_k``, where the ``a_k`` are increments of the alpha-spending function
``alpha * min(1, n / n_max) ** rho`` (Lan-DeMets, power family). Since the increments
add up to at most ``alpha``, the probability that *any* look gives a wrong verdict is
at most ``alpha`` (a union bound: it needs no assumption about how the looks are
correlated), whatever the look at which the session stops. ``alpha`` is the family
error of the whole session: it is divided among the ``m`` decision comparisons
(Bonferroni over probes and metrics).

The verdict compares the interval with the metric's equivalence band ``[1 - band, 1 + band]``:
inside -> ``equivalent``; entirely outside -> ``faster`` / ``slower`` (from the VM's
point of view, using the metric's ``better`` direction); otherwise ``inconclusive``.
So P(``equivalent`` | true ratio at or beyond the band edge) <= alpha / 2 and
P(``faster``/``slower`` | true ratio inside the band) <= alpha / 2 per comparison.

**No zero-width intervals.** The standard deviation of ``d`` has a floor: the
quantisation of the metric (``resolution``: e.g. cyclictest's 1 us buckets, as a share
of the value) and a general 0.5 % per run, so identical runs never decide early and
the first look is at 5 blocks.

Pure Python, no numpy/scipy: the Student t quantile is computed from the regularised
incomplete beta function.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_DESIGN",
    "Comparison",
    "Design",
    "Verdict",
    "compare",
    "paired_interval",
    "simulate",
    "student_t_cdf",
    "student_t_ppf",
    "verdict",
]

Verdict = Literal["faster", "slower", "equivalent", "inconclusive"]
Method = Literal["paired-t"]
#: Default equivalence band: +-5 % (metrics declare their own, see MetricSpec.band).
DEFAULT_BAND = 0.05
#: Family error of a session (divided among its decision comparisons).
FAMILY_ALPHA = 0.05
#: Floor of the run-to-run standard deviation of one target's log run summary.
MIN_REL_SD = 0.005


@dataclass(frozen=True)
class Design:
    """The planned looks (valid blocks per target) and the alpha-spending function."""

    looks: tuple[int, ...] = (5, 7, 10, 14, 20, 28, 40)
    alpha: float = FAMILY_ALPHA
    rho: float = 2.0

    @property
    def n_max(self) -> int:
        return self.looks[-1]

    def spent(self, n: int, m: int = 1) -> float:
        """Cumulative alpha spent by ``n`` blocks, for one of ``m`` comparisons."""
        return float(self.alpha / max(1, m) * min(1.0, n / self.n_max) ** self.rho)

    def look_alpha(self, n: int, previous: int, m: int = 1) -> float:
        """Two-sided alpha of a look at ``n`` blocks after a look at ``previous`` (0: none)."""
        return self.spent(n, m) - self.spent(previous, m)

    def is_look(self, n: int) -> bool:
        return n in self.looks

    def within(self, blocks: int) -> Design:
        """The design cut to the planned looks that ``blocks`` blocks reach (at least the first look), so that
        the whole ``alpha`` is spent over looks a probe can reach, none kept for looks its budget cannot."""
        reach = tuple(k for k in self.looks if k <= blocks) or self.looks[:1]
        return dataclasses.replace(self, looks=reach)

    def previous_look(self, n: int) -> int:
        """The planned look before ``n`` blocks (0 when ``n`` is at or before the first)."""
        earlier = [k for k in self.looks if k < n]
        return earlier[-1] if earlier else 0


DEFAULT_DESIGN = Design()


@dataclass(frozen=True)
class Comparison:
    """The comparison of one metric: ratio VM / bare metal, its CI and the verdict."""

    ratio: float
    ci_low: float
    ci_high: float
    verdict: Verdict
    n_bare_metal: int
    n_vm: int
    method: str
    note: str = ""
    #: The two-sided alpha of the interval (after spending and multiplicity).
    alpha: float = math.nan


# --------------------------------------------------------------------------- t distribution
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(c) > tiny else 1.0 + aa / tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(c) > tiny else 1.0 + aa / tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(ln_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom (df may be fractional)."""
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


@functools.lru_cache(maxsize=4096)
def student_t_ppf(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (bisection on the CDF; accurate to 1e-10)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be in (0, 1)")
    if p == 0.5:
        return 0.0
    lo, hi = -1.0, 1.0
    while student_t_cdf(lo, df) > p:
        lo *= 2.0
    while student_t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if student_t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2.0


# --------------------------------------------------------------------------- intervals
def _logs(values: Sequence[float]) -> list[float]:
    if any(not math.isfinite(v) or v <= 0 for v in values):
        raise ValueError("every run summary must be a positive, finite number to take a log-ratio")
    return [math.log(v) for v in values]


def sd_floor(bare_metal: Sequence[float], vm: Sequence[float], resolution: float = 0.0) -> float:
    """Floor of the standard deviation of the paired log differences.

    Each run summary is known only to within its quantisation step ``resolution``
    (a uniform error of variance step**2 / 12, relative to the smallest value) and
    never better than :data:`MIN_REL_SD`; the difference of two such summaries has
    the sum of their variances.
    """
    def one(values: Sequence[float]) -> float:
        smallest = min(values)
        quantum = resolution / smallest / math.sqrt(12.0) if resolution > 0 and smallest > 0 else 0.0
        return max(MIN_REL_SD, quantum)

    return math.hypot(one(bare_metal), one(vm))


def paired_interval(bare_metal: Sequence[float], vm: Sequence[float], alpha: float,
                    resolution: float = 0.0) -> tuple[float, float, float, bool]:
    """Mean paired log difference and its two-sided ``1 - alpha`` t interval; ``floored`` says whether
    the floor of the standard deviation was used."""
    a, b = _logs(bare_metal), _logs(vm)
    if len(a) != len(b):
        raise ValueError("paired comparison needs one run of each target per block")
    if len(a) < 2:
        raise ValueError("need at least two blocks")
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    mean = statistics.fmean(diffs)
    floor = sd_floor(bare_metal, vm, resolution)
    sd = statistics.stdev(diffs)
    floored = sd < floor
    se = max(sd, floor) / math.sqrt(len(diffs))
    q = student_t_ppf(1.0 - alpha / 2.0, len(diffs) - 1)
    return mean, mean - q * se, mean + q * se, floored


# --------------------------------------------------------------------------- verdicts
def verdict(ci_low: float, ci_high: float, better: Literal["higher", "lower"], band: float = DEFAULT_BAND) -> Verdict:
    """Verdict of a ratio CI (not logs) against the band [1 - band, 1 + band]."""
    low_edge, high_edge = 1.0 - band, 1.0 + band
    if low_edge <= ci_low and ci_high <= high_edge:
        return "equivalent"
    if ci_low > high_edge:
        return "faster" if better == "higher" else "slower"
    if ci_high < low_edge:
        return "slower" if better == "higher" else "faster"
    return "inconclusive"


def compare(bare_metal: Sequence[float], vm: Sequence[float], *, better: Literal["higher", "lower"],
            band: float = DEFAULT_BAND, alpha: float | None = None, design: Design = DEFAULT_DESIGN,
            m: int = 1, previous: int | None = None, resolution: float = 0.0) -> Comparison:
    """Compare paired run summaries of one metric at a look of the sequential design.

    ``alpha`` fixes the interval's two-sided alpha; by default it is the spending
    increment of a look at ``len(bare_metal)`` blocks after the ``previous`` one (the
    design's previous planned look by default), for one of ``m`` comparisons. Fewer
    blocks than the design's first look give an interval but never a verdict.
    """
    n_a, n_b = len(bare_metal), len(vm)
    if n_a == 0 or n_b == 0:
        return Comparison(math.nan, math.nan, math.nan, "inconclusive", n_a, n_b, "paired-t", "no runs")
    n = min(n_a, n_b)
    if alpha is None:
        prev = design.previous_look(n) if previous is None else previous
        alpha = design.look_alpha(n, prev, m) if n >= design.looks[0] else design.spent(design.looks[0], m)
    try:
        if n_a != n_b:
            raise ValueError("paired comparison needs one run of each target per block")
        if n < 2:
            d = statistics.fmean(_logs(vm)) - statistics.fmean(_logs(bare_metal))
            return Comparison(math.exp(d), math.nan, math.nan, "inconclusive", n_a, n_b, "paired-t",
                              "too few blocks for an interval", alpha)
        d, lo, hi, floored = paired_interval(bare_metal, vm, alpha, resolution)
    except ValueError as exc:
        return Comparison(math.nan, math.nan, math.nan, "inconclusive", n_a, n_b, "paired-t", str(exc), alpha)
    ratio, ci_low, ci_high = _exp(d), _exp(lo), _exp(hi)
    note = "standard deviation at its floor (quantisation)" if floored else ""
    if n < design.looks[0]:
        return Comparison(ratio, ci_low, ci_high, "inconclusive", n_a, n_b, "paired-t",
                          f"fewer than {design.looks[0]} blocks: no verdict before the first look", alpha)
    return Comparison(ratio, ci_low, ci_high, verdict(ci_low, ci_high, better, band), n_a, n_b, "paired-t",
                      note, alpha)


def _exp(x: float) -> float:
    """exp that gives inf instead of overflowing (the interval of very few blocks at a tiny alpha)."""
    return math.exp(x) if x < 700 else math.inf


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Absolute figures of one target's runs: n, median, mean, min, max, relative stdev."""
    if not values:
        return {"n": 0.0}
    mean = statistics.fmean(values)
    out = {"n": float(len(values)), "median": statistics.median(values), "mean": mean,
           "min": min(values), "max": max(values)}
    if len(values) > 1 and mean:
        out["cv"] = statistics.stdev(values) / abs(mean)
    return out


# --------------------------------------------------------------------------- simulation
@dataclass(frozen=True)
class SimulationResult:
    """Shares of simulated sequences ending in each verdict, and the mean blocks used."""

    sequences: int
    shares: dict[str, float]
    mean_blocks: float


def simulate(true_ratio: float, run_sd: float, *, sequences: int, band: float = DEFAULT_BAND,
             design: Design = DEFAULT_DESIGN, m: int = 1, seed: int = 0, max_blocks: int | None = None,
             better: Literal["higher", "lower"] = "higher") -> SimulationResult:
    """Run the sequential procedure on synthetic log-normal run summaries with a known ratio.

    Each sequence draws blocks of two runs (relative run-to-run standard deviation
    ``run_sd`` per target), looks at the design's planned looks up to ``max_blocks``
    (the design's last look by default) and stops at the first verdict. The t
    quantiles are computed once per look, so a million sequences take seconds.
    """
    rng = random.Random(seed)
    last = design.n_max if max_blocks is None else max_blocks
    looks = [k for k in design.looks if k <= last]
    thresholds: list[tuple[int, float]] = []
    prev = 0
    for k in looks:
        thresholds.append((k, student_t_ppf(1.0 - design.look_alpha(k, prev, m) / 2.0, k - 1)))
        prev = k
    mu = math.log(true_ratio)
    sd_d = run_sd * math.sqrt(2.0)
    floor = math.hypot(MIN_REL_SD, MIN_REL_SD)
    lo_edge, hi_edge = math.log(1.0 - band), math.log(1.0 + band)
    counts = {"faster": 0, "slower": 0, "equivalent": 0, "inconclusive": 0}
    blocks_used = 0
    gauss = rng.gauss
    for _ in range(sequences):
        total = total_sq = 0.0
        n = 0
        outcome: Verdict = "inconclusive"
        for k, q in thresholds:
            while n < k:
                x = gauss(mu, sd_d)
                total += x
                total_sq += x * x
                n += 1
            mean = total / n
            var = max(0.0, (total_sq - n * mean * mean) / (n - 1))
            half = q * max(math.sqrt(var), floor) / math.sqrt(n)
            lo, hi = mean - half, mean + half
            if lo_edge <= lo and hi <= hi_edge:
                outcome = "equivalent"
            elif lo > hi_edge:
                outcome = "faster" if better == "higher" else "slower"
            elif hi < lo_edge:
                outcome = "slower" if better == "higher" else "faster"
            else:
                continue
            break
        counts[outcome] += 1
        blocks_used += n
    return SimulationResult(sequences, {k: v / sequences for k, v in counts.items()}, blocks_used / sequences)
