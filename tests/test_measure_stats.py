"""Statistics of the measurement framework: t quantiles, log-ratio CIs, verdicts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.measure import stats


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062), (2, 4.3027), (5, 2.5706), (10, 2.2281), (30, 2.0423),
                                              (1000, 1.9623)])
def test_t_quantiles_match_tables(df: int, expected: float) -> None:
    assert stats.student_t_ppf(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert stats.student_t_ppf(0.025, df) == pytest.approx(-expected, abs=1e-4)


def test_t_cdf_is_symmetric_and_monotone() -> None:
    assert stats.student_t_cdf(0.0, 3) == pytest.approx(0.5)
    assert stats.student_t_cdf(1.0, 3) + stats.student_t_cdf(-1.0, 3) == pytest.approx(1.0)
    values = [stats.student_t_cdf(x / 4, 2.5) for x in range(-20, 21)]
    assert values == sorted(values)


def test_welch_known_answer() -> None:
    # log-ratio of exactly half with a little noise: CI brackets log(0.5)
    d, lo, hi = stats.welch_ci([100, 102, 98], [50, 51, 49])
    assert math.exp(d) == pytest.approx(0.5, rel=1e-9)
    assert lo < math.log(0.5) < hi
    assert math.exp(lo) == pytest.approx(0.4778, abs=1e-3)
    assert math.exp(hi) == pytest.approx(0.5232, abs=1e-3)


def test_zero_variance_gives_a_point_interval() -> None:
    d, lo, hi = stats.welch_ci([10, 10, 10], [20, 20, 20])
    assert math.exp(d) == pytest.approx(2.0) and lo == hi == d


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    a, b = [100, 97, 104, 101], [90, 93, 88, 95]
    assert stats.bootstrap_ci(a, b, seed=7) == stats.bootstrap_ci(a, b, seed=7)
    c = stats.compare(a, b, better="higher", method="bootstrap", label="cpu.events")
    assert c == stats.compare(a, b, better="higher", method="bootstrap", label="cpu.events")
    assert c.ci_low <= c.ratio <= c.ci_high


@pytest.mark.parametrize(
    ("low", "high", "better", "expected"),
    [
        (0.97, 1.03, "higher", "equivalent"),
        (0.40, 0.60, "higher", "slower"),
        (0.40, 0.60, "lower", "faster"),
        (1.20, 1.50, "higher", "faster"),
        (1.20, 1.50, "lower", "slower"),
        (0.90, 1.02, "higher", "inconclusive"),
        (1.02, 1.10, "lower", "inconclusive"),  # straddles the band edge: more runs needed
    ],
)
def test_verdict_directions(low: float, high: float, better: str, expected: str) -> None:
    assert stats.verdict(low, high, better, 0.05) == expected  # type: ignore[arg-type]


def test_band_is_configurable() -> None:
    assert stats.verdict(0.92, 1.08, "higher", 0.05) == "inconclusive"
    assert stats.verdict(0.92, 1.08, "higher", 0.10) == "equivalent"


def test_compare_needs_min_runs_and_positive_values() -> None:
    two = stats.compare([100, 100.1], [50, 50.1], better="higher", min_runs=3)
    assert two.verdict == "inconclusive" and "fewer than 3" in two.note
    assert stats.compare([100, 101, 99], [50, 51, 49], better="higher").verdict == "slower"
    bad = stats.compare([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], better="higher")
    assert bad.verdict == "inconclusive" and math.isnan(bad.ratio) and "positive" in bad.note
    assert stats.compare([], [1.0], better="higher").note == "no runs"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(1, 1e6), min_size=2, max_size=8), st.lists(st.floats(1, 1e6), min_size=2, max_size=8),
       st.sampled_from(["welch", "bootstrap"]))
def test_ci_contains_the_estimate_and_swapping_inverts(a: list[float], b: list[float], method: str) -> None:
    c = stats.compare(a, b, better="higher", method=method)  # type: ignore[arg-type]
    assert c.ci_low <= c.ratio * (1 + 1e-9) and c.ratio <= c.ci_high * (1 + 1e-9)
    if method == "welch":
        r = stats.compare(b, a, better="higher")
        assert r.ratio == pytest.approx(1 / c.ratio, rel=1e-9)
        assert r.ci_low == pytest.approx(1 / c.ci_high, rel=1e-6)


def test_summarize() -> None:
    s = stats.summarize([1.0, 2.0, 3.0])
    assert s["n"] == 3 and s["median"] == 2.0 and s["min"] == 1.0 and s["max"] == 3.0 and s["cv"] == 0.5
    assert stats.summarize([]) == {"n": 0.0}
