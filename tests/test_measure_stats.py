"""Statistics of the measurement framework: t quantiles, paired log-ratio CIs, the sequential design.

The error rates under optional stopping are checked by simulation: many synthetic
A/A and A/B sequences with a known ratio go through the same looks as a session.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from advisor.measure import stats
from advisor.measure.api import decision_metrics
from advisor.measure.probes import builtin_probes
from advisor.measure.session import DESIGNS


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


def test_paired_interval_known_answer() -> None:
    # log-ratio of exactly half with a little noise: the 95 % CI brackets log(0.5)
    d, lo, hi, floored = stats.paired_interval([100, 102, 98, 101], [50, 51.5, 48.5, 50.3], 0.05)
    assert math.exp(d) == pytest.approx(0.5, rel=2e-3)
    assert lo < math.log(0.5) < hi and not floored
    # paired t by hand: differences' mean and sd, t(0.975, 3) = 3.1824
    diffs = [math.log(b / a) for a, b in zip([100, 102, 98, 101], [50, 51.5, 48.5, 50.3], strict=True)]
    mean = sum(diffs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in diffs) / 3)
    assert hi - d == pytest.approx(3.1824 * sd / 2, rel=1e-4)


def test_identical_runs_have_a_floor_and_never_decide_after_3_runs() -> None:
    """Zero variance (e.g. cyclictest's 1-us buckets) no longer gives a zero-width CI and a verdict."""
    d, lo, hi, floored = stats.paired_interval([10, 10, 10], [10, 10, 10], 0.05, resolution=1.0)
    assert floored and lo < 0 < hi and hi - lo > 0.2  # 1 us of 10 us is a coarse quantum
    three = stats.compare([10, 10, 10], [10, 10, 10], better="lower", resolution=1.0)
    assert three.verdict == "inconclusive" and "first look" in three.note
    # the floor alone (0.5 % per run), no quantum: still no verdict before the first look
    assert stats.compare([1000.0] * 4, [1000.0] * 4, better="higher").verdict == "inconclusive"
    # at the first look, identical runs with 1-us buckets of 10 us are still undecided at +-5 %
    five = stats.compare([10] * 5, [10] * 5, better="lower", resolution=1.0, m=4)
    assert five.verdict == "inconclusive" and five.ci_high > 1.05


def test_spending_adds_up_to_alpha_and_is_divided_among_comparisons() -> None:
    design = stats.Design(looks=(5, 7, 10, 14, 20), alpha=0.05, rho=2.0)
    increments = []
    previous = 0
    for n in design.looks:
        increments.append(design.look_alpha(n, previous, m=4))
        previous = n
    assert sum(increments) == pytest.approx(0.05 / 4)
    assert increments[0] < increments[-1] / 5  # rho > 1: early looks spend little
    assert design.spent(40, 4) == pytest.approx(0.0125)  # beyond the last look nothing more is spent


def test_a_design_cut_to_the_looks_a_budget_reaches_spends_the_whole_alpha_over_them() -> None:
    design = stats.Design(looks=(5, 7, 10, 14, 20), alpha=0.05, rho=2.0)
    cut = design.within(8)
    assert cut.looks == (5, 7) and cut.n_max == 7
    assert cut.look_alpha(5, 0) + cut.look_alpha(7, 5) == pytest.approx(0.05)  # none kept for 10, 14, 20
    assert cut.look_alpha(5, 0) > 8 * design.look_alpha(5, 0)  # the first look gets (20/7)^2 times the alpha
    assert design.within(3).looks == (5,)  # short of the first look: that look gets all of it
    assert design.within(50) == design


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


def test_compare_needs_blocks_and_positive_values() -> None:
    assert stats.compare([100, 101, 99, 100, 102], [50, 51, 49, 50, 50.5], better="higher").verdict == "slower"
    bad = stats.compare([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], better="higher")
    assert bad.verdict == "inconclusive" and math.isnan(bad.ratio) and "positive" in bad.note
    assert stats.compare([], [1.0], better="higher").note == "no runs"
    unpaired = stats.compare([1.0, 2.0, 3.0], [1.0, 2.0], better="higher")
    assert unpaired.verdict == "inconclusive" and "block" in unpaired.note


@settings(max_examples=examples(0.5), deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e6), st.floats(1, 1e6)), min_size=5, max_size=12))
def test_ci_contains_the_estimate_and_swapping_inverts(pairs: list[tuple[float, float]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    c = stats.compare(a, b, better="higher")
    assert c.ci_low <= c.ratio * (1 + 1e-9) and c.ratio <= c.ci_high * (1 + 1e-9)
    r = stats.compare(b, a, better="higher")
    assert r.ratio == pytest.approx(1 / c.ratio, rel=1e-9)
    assert r.ci_low == pytest.approx(1 / c.ci_high, rel=1e-6)


def test_summarize() -> None:
    s = stats.summarize([1.0, 2.0, 3.0])
    assert s["n"] == 3 and s["median"] == 2.0 and s["min"] == 1.0 and s["max"] == 3.0 and s["cv"] == 0.5
    assert stats.summarize([]) == {"n": 0.0}


# --------------------------------------------------------------------------- error rates under optional stopping
#: The session's own quick design, and its number of decision comparisons (the quick suite's decision metrics).
QUICK = DESIGNS["quick"]
QUICK_M = sum(len(decision_metrics(p)) for p in builtin_probes() if p.name in ("cpu", "memory", "net", "jitter"))
SEQUENCES = 30_000


def test_the_simulated_design_is_the_quick_suites() -> None:
    from advisor.cli.measure import QUICK_PROBES

    assert QUICK.looks == (5, 7, 10, 14, 20) and QUICK_M == 5
    assert set(QUICK_PROBES) == {"cpu", "memory", "net", "jitter"}


@pytest.mark.parametrize("m", [1, QUICK_M])
@pytest.mark.parametrize("edge", [0.95, 1 / 0.95])
def test_false_equivalence_at_the_band_edge_is_bounded(edge: float, m: int) -> None:
    """True ratio exactly at the band edge: 'equivalent' is wrong; its rate stays under alpha / 2 / m
    although the sequence is looked at up to five times and stopped at the first verdict."""
    sim = stats.simulate(edge, 0.03, sequences=SEQUENCES, design=QUICK, m=m, seed=11)
    nominal = QUICK.alpha / 2 / m
    # one-sided binomial margin of 3 standard errors around the nominal rate
    margin = 3 * math.sqrt(nominal * (1 - nominal) / SEQUENCES)
    assert sim.shares["equivalent"] <= nominal + margin
    assert sim.shares["equivalent"] > 0  # the bound is not vacuous: the procedure does take the edge sometimes


def test_peeking_at_every_block_would_break_the_bound() -> None:
    """The old procedure (a fixed 95 % CI recomputed after every block from 3 on) exceeds the nominal
    2.5 % at the edge: the reason for spending alpha over planned looks."""
    rng = random.Random(3)
    wrong = 0
    for _ in range(2000):
        a: list[float] = []
        b: list[float] = []
        for n in range(1, 21):
            a.append(100 * math.exp(rng.gauss(0, 0.03)))
            b.append(95 * math.exp(rng.gauss(0, 0.03)))
            if n >= 3:
                d, lo, hi, _ = stats.paired_interval(a, b, 0.05)
                verdict = stats.verdict(math.exp(lo), math.exp(hi), "higher", 0.05)
                if verdict != "inconclusive":
                    wrong += verdict == "equivalent"
                    break
    assert wrong / 2000 > 0.05
    planned = stats.simulate(0.95, 0.03, sequences=10_000, design=QUICK, seed=3)
    assert planned.shares["equivalent"] <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / 10_000)


@pytest.mark.parametrize("ratio", [1.0, 0.98, 1.02])
def test_false_difference_inside_the_band_is_bounded(ratio: float) -> None:
    """A/A (and a true ratio well inside the band): 'faster'/'slower' is wrong; it never happens here."""
    sim = stats.simulate(ratio, 0.05, sequences=SEQUENCES, design=QUICK, m=6, seed=5)
    assert sim.shares["faster"] + sim.shares["slower"] <= QUICK.alpha / 6


def test_false_difference_at_the_edge_is_bounded() -> None:
    sim = stats.simulate(0.95, 0.03, sequences=SEQUENCES, design=QUICK, m=1, seed=13)
    assert sim.shares["slower"] <= QUICK.alpha / 2 + 3 * math.sqrt(0.025 * 0.975 / SEQUENCES)


@pytest.mark.parametrize(("sd", "band", "share"), [(0.02, 0.05, 0.99), (0.10, 0.30, 0.99)])
def test_power_of_the_quick_design(sd: float, band: float, share: float) -> None:
    """A/A with typical run noise (cpu 2 %, jitter 10 % at its +-30 % band) reaches 'equivalent'."""
    sim = stats.simulate(1.0, sd, sequences=10_000, design=QUICK, m=6, band=band, seed=7)
    assert sim.shares["equivalent"] >= share
    assert sim.mean_blocks <= 15


def test_a_half_speed_target_is_slower_at_the_first_look() -> None:
    sim = stats.simulate(0.5, 0.05, sequences=10_000, design=QUICK, m=6, seed=9)
    assert sim.shares["slower"] == 1.0 and sim.mean_blocks <= 5.1
