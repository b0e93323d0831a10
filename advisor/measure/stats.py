"""Statistics of a comparison: log-ratios, confidence intervals, verdicts.

Runs are the replication unit: each probe run yields one summary per metric. For a
metric, the ratio VM / bare metal is estimated on the log scale as the difference of
the mean log run summaries (so the ratio is a ratio of geometric means), with a 95 %
confidence interval from Welch's t (default) or a seeded percentile bootstrap. The
verdict compares the interval with an equivalence band around 1 (default +-5 %):

* inside the band -> ``equivalent``;
* entirely outside it -> ``faster`` or ``slower`` (from the VM's point of view, using
  the metric's ``better`` direction);
* otherwise ``inconclusive`` (more runs may decide it).

Pure Python, no numpy/scipy: the Student t quantile is computed from the regularised
incomplete beta function.
"""

from __future__ import annotations

import math
import random
import statistics
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Comparison",
    "Verdict",
    "bootstrap_ci",
    "compare",
    "student_t_cdf",
    "student_t_ppf",
    "verdict",
    "welch_ci",
]

Verdict = Literal["faster", "slower", "equivalent", "inconclusive"]
Method = Literal["welch", "bootstrap"]
#: Default equivalence band: +-5 %.
DEFAULT_BAND = 0.05
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000


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


def welch_ci(
    bare_metal: Sequence[float], vm: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Log-ratio estimate and CI (on the log scale) of mean log(vm) - mean log(bare metal), Welch's t."""
    a, b = _logs(bare_metal), _logs(vm)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least two runs per target")
    diff = statistics.fmean(b) - statistics.fmean(a)
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0.0:
        return diff, diff, diff
    df = (va + vb) ** 2 / ((va**2 / (len(a) - 1) if va else 0.0) + (vb**2 / (len(b) - 1) if vb else 0.0))
    q = student_t_ppf(0.5 + confidence / 2.0, df)
    return diff, diff - q * se, diff + q * se


def _seed(label: str, n_a: int, n_b: int) -> int:
    return zlib.crc32(f"{label}:{n_a}:{n_b}".encode())


def bootstrap_ci(bare_metal: Sequence[float], vm: Sequence[float], confidence: float = CONFIDENCE, *,
                 seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float, float]:
    """Log-ratio estimate and percentile bootstrap CI (log scale); deterministic for a seed."""
    a, b = _logs(bare_metal), _logs(vm)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least two runs per target")
    diff = statistics.fmean(b) - statistics.fmean(a)
    rng = random.Random(seed)
    stats = sorted(
        statistics.fmean(rng.choices(b, k=len(b))) - statistics.fmean(rng.choices(a, k=len(a)))
        for _ in range(resamples)
    )
    alpha = (1.0 - confidence) / 2.0
    lo = stats[max(0, int(math.floor(alpha * resamples)))]
    hi = stats[min(resamples - 1, int(math.ceil((1.0 - alpha) * resamples)) - 1)]
    return diff, lo, hi


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
            band: float = DEFAULT_BAND, method: Method = "welch", min_runs: int = 3, label: str = "") -> Comparison:
    """Compare the run summaries of one metric; ``inconclusive`` below ``min_runs`` runs per target."""
    n_a, n_b = len(bare_metal), len(vm)
    if n_a == 0 or n_b == 0:
        return Comparison(math.nan, math.nan, math.nan, "inconclusive", n_a, n_b, method, "no runs")
    try:
        if n_a < 2 or n_b < 2:
            d = statistics.fmean(_logs(vm)) - statistics.fmean(_logs(bare_metal))
            return Comparison(math.exp(d), math.nan, math.nan, "inconclusive", n_a, n_b, method,
                              "too few runs for an interval")
        if method == "bootstrap":
            d, lo, hi = bootstrap_ci(bare_metal, vm, seed=_seed(label, n_a, n_b))
        else:
            d, lo, hi = welch_ci(bare_metal, vm)
    except ValueError as exc:
        return Comparison(math.nan, math.nan, math.nan, "inconclusive", n_a, n_b, method, str(exc))
    ratio, ci_low, ci_high = math.exp(d), math.exp(lo), math.exp(hi)
    if n_a < min_runs or n_b < min_runs:
        return Comparison(ratio, ci_low, ci_high, "inconclusive", n_a, n_b, method,
                          f"fewer than {min_runs} runs per target")
    return Comparison(ratio, ci_low, ci_high, verdict(ci_low, ci_high, better, band), n_a, n_b, method)


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
