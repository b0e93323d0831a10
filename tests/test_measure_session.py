"""The measurement loop with fake runners and probes: interleaving, stopping, budget, Ctrl-C."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest
from fakes import FakeClock, FakeProbe, FakeRunner, jitter

from advisor.measure.api import Budget, MetricSpec, Role, Runner
from advisor.measure.session import Progress, run_session
from advisor.measure.verdicts import slo_band

#: Mostly waiting (budgets that end in real time): started first (tests/conftest.py).
pytestmark = pytest.mark.waits


def two() -> tuple[FakeRunner, FakeRunner, dict[Role, Runner]]:
    bm, vm = FakeRunner("metal"), FakeRunner("virt")
    return bm, vm, {"bare-metal": bm, "vm": vm}


def test_blocks_in_random_order_with_a_discarded_warm_up() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.005), "virt": jitter(1000, 0.005)}, clock)
    seen: list[Progress] = []
    result = run_session(targets, [probe], budget_s=100, band=0.05, on_progress=seen.append, clock=clock, seed=1)
    pr = result.probes[0]
    assert pr.stopped == "decided" and pr.rounds == 5  # the first planned look
    main = pr.main_metric()
    assert main is not None and main.comparison is not None
    assert main.comparison.verdict == "equivalent" and main.comparison.decision
    assert main.comparison.n_bare_metal == main.comparison.n_vm == 5
    warm = [r for r in result.runs if r.warmup]
    assert len(warm) == 2 and {r.block for r in warm} == {0} and seen[0].message == "warm-up"
    # every block holds one run of each target, and the order is not fixed
    blocks = [[r.role for r in result.runs if r.block == b and not r.warmup] for b in range(1, 6)]
    assert all(sorted(b) == ["bare-metal", "vm"] for b in blocks)
    assert len({tuple(b) for b in blocks}) == 2
    assert result.seed == 1 and result.design["looks"] == [5, 7, 10, 14, 20]
    assert result.targets[0].tool_versions == {"tool": "tool 1.0"}
    assert not bm.closed  # the caller owns the runners


def test_a_probe_with_a_short_warm_up_runs_it_for_the_discarded_block() -> None:
    """``warm_up`` (cpu: 300 sysbench events instead of 1 s) is called for the warm-up block only; being
    shorter than a block it gives no estimate of one, so the first block runs."""
    clock = FakeClock()
    _, _, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.005), "virt": jitter(1000, 0.005)}, clock, cost=2.0)
    warmed: list[str] = []

    def warm_up(runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        warmed.append(runner.name)
        clock.now += 0.2
        return {"value": 1.0}

    probe.warm_up = warm_up  # type: ignore[attr-defined]
    result = run_session(targets, [probe], budget_s=100, band=0.05, clock=clock, seed=1)
    pr = result.probes[0]
    assert sorted(warmed) == ["metal", "virt"]
    warm = [r for r in result.runs if r.warmup]
    assert len(warm) == 2 and all(r.values == {"value": 1.0} for r in warm)
    assert pr.stopped == "decided" and pr.rounds == 5 and len(probe.calls) == 10  # run() for the blocks only
    assert clock.now == pytest.approx(20.4)


def test_a_probe_that_warms_itself_up_skips_the_warm_up_block() -> None:
    """``warmup = False`` (net: sockperf warms up and drops its own start in every run): no discarded block,
    and the budget check of the first block has no estimate yet, so the first block runs."""
    clock = FakeClock()
    _, _, targets = two()
    probe = FakeProbe("net", {"metal": jitter(1000, 0.005), "virt": jitter(1000, 0.005)}, clock, cost=2.0)
    probe.warmup = False  # type: ignore[attr-defined]
    result = run_session(targets, [probe], budget_s=100, band=0.05, clock=clock, seed=1)
    pr = result.probes[0]
    assert not [r for r in result.runs if r.warmup]
    assert pr.stopped == "decided" and pr.rounds == 5 and len(result.runs) == 10
    assert clock.now == pytest.approx(20.0)  # 5 blocks of 2 runs at 2 s, nothing thrown away


class RoundTripProbe(FakeProbe):
    """A latency probe whose band scales with the SLO, like net: 4 round trips per request."""

    slo_metrics = ("p50_us",)
    round_trips = 4

    def __init__(self, figures: dict[str, Callable[[int], float]]) -> None:
        super().__init__("net", figures, better="lower")
        self.metrics = (MetricSpec("p50_us", "us", "lower", main=True, band=0.20),)

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        return {"p50_us": super().run(runner, budget=budget, peer=peer)["value"]}


@pytest.mark.parametrize(("slo_ms", "band", "verdict", "said"), [
    (None, 0.20, "slower", None),  # no decision supplied: the documented default band (+-20 %)
    (50.0, 0.50, "equivalent", "+-50 %"),  # 30 us more on 4 round trips is 0.24 % of 50 ms: within 5 % of it
    (1.0, 0.125, "slower", "+-12.5 %"),  # 5 % of 1 ms over 4 round trips of 100 us: 12.5 %
    (0.05, 0.02, "slower", "+-2 %"),  # a 50 us SLO: the narrowest band
])
def test_latency_bands_come_from_the_slo(slo_ms: float | None, band: float, verdict: str, said: str | None) -> None:
    """The band of a round-trip metric is the change that moves a request by 5 % of its p99 SLO (from the
    bare-metal median at the first look), clamped to 2-50 %; without an SLO the metric's default."""
    _, _, targets = two()
    probe = RoundTripProbe({"metal": jitter(100, 0.01), "virt": jitter(130, 0.01)})
    result = run_session(targets, [probe], budget_s=100, seed=3, slo_us=slo_ms * 1000 if slo_ms else None)
    (metric,) = result.probes[0].metrics
    assert metric.comparison is not None and metric.comparison.verdict == verdict
    assert metric.band == pytest.approx(band, rel=0.02) and metric.comparison.band == metric.band
    notes = " ".join(result.probes[0].notes)
    assert (said is None and "SLO" not in notes) or (said is not None and said in notes and "4 round trip" in notes)


def test_a_band_the_user_gives_wins_over_the_slo() -> None:
    _, _, targets = two()
    probe = RoundTripProbe({"metal": jitter(100, 0.01), "virt": jitter(130, 0.01)})
    result = run_session(targets, [probe], budget_s=100, seed=3, slo_us=50_000, bands={"net.p50_us": 0.1})
    (metric,) = result.probes[0].metrics
    assert metric.band == 0.1 and metric.comparison is not None and metric.comparison.verdict == "slower"
    assert slo_band(probe, probe.metrics[0], None, 100.0) is None  # no SLO, no derived band
    assert slo_band(FakeProbe("cpu", {}), MetricSpec("p50_us", "us", "lower"), 1000.0, 100.0) is None


def test_the_seed_reproduces_the_order() -> None:
    orders = []
    for _ in range(2):
        bm, vm, targets = two()
        probe = FakeProbe("cpu", {"metal": jitter(1000, 0.005), "virt": jitter(1000, 0.005)})
        run_session(targets, [probe], budget_s=100, seed=42)
        orders.append([c[0] for c in probe.calls])
    assert orders[0] == orders[1]


def test_slower_vm_and_direction_of_latency() -> None:
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.01), "virt": jitter(500, 0.01)})
    result = run_session(targets, [probe], budget_s=100)
    value, p99 = result.probes[0].metrics
    assert value.comparison is not None and value.comparison.verdict == "slower"
    assert value.comparison.ratio == pytest.approx(0.5, rel=0.02)
    # the VM's latency is twice as high: lower is better, so 'slower' too (a descriptive metric)
    assert p99.comparison is not None and p99.comparison.verdict == "slower" and not p99.comparison.decision
    assert p99.comparison.ratio == pytest.approx(2.0, rel=0.02)
    assert "descriptive" in p99.comparison.note


def test_the_looks_are_cut_to_those_the_probes_share_reaches_after_its_first_block() -> None:
    """A 20-s budget at 2 s a block (two 1-s runs) reaches 9 blocks: looks 5 and 7 get the whole alpha, and
    a probe still undecided at 7 stops there, for the budget."""
    clock = FakeClock()
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04, shift=4)}, clock, cost=1.0)
    result = run_session(targets, [probe], budget_s=20, clock=clock)
    pr = result.probes[0]
    assert pr.rounds == 7 and pr.stopped == "budget", (pr.rounds, pr.stopped)
    assert any("looks planned for this probe's share of the budget: 5, 7 blocks" in n for n in pr.notes), pr.notes
    comp = pr.main_metric().comparison
    assert comp is not None and comp.alpha == pytest.approx(0.05 - 0.05 * (5 / 7) ** 2)  # the look at 7


def test_budget_ends_inconclusive() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    # 3 % slower with 4 % noise: the CI straddles the band edge for a long time
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04, shift=4)}, clock, cost=1.0)
    result = run_session(targets, [probe], budget_s=20, clock=clock)
    pr = result.probes[0]
    assert pr.stopped == "budget"
    assert pr.main_metric().comparison.verdict == "inconclusive"  # type: ignore[union-attr]
    assert clock.now <= 20 + 2  # never starts a block it cannot finish (estimated)


def test_budget_is_shared_between_probes_and_alpha_too() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    noisy = {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04, shift=4)}
    p1, p2 = FakeProbe("cpu", noisy, clock), FakeProbe("memory", noisy, clock)
    result = run_session(targets, [p1, p2], budget_s=40, clock=clock)
    assert [p.stopped for p in result.probes] == ["budget", "budget"]
    assert len(p1.calls) >= 10 and len(p2.calls) >= 10
    assert result.decision_comparisons == 2


def test_the_budget_wins_over_the_first_look() -> None:
    """A budget too short for the first planned look stops the session anyway, and says so."""
    clock = FakeClock()
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04, shift=4)}, clock, cost=5)
    later = FakeProbe("memory", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04)}, clock, cost=5)
    result = run_session(targets, [probe, later], budget_s=30, clock=clock)
    first, second = result.probes
    assert (first.stopped, first.rounds) == ("budget", 2)  # warm-up 10 s + 2 blocks of 10 s; a third would end at 40
    assert clock.now == 30
    main = first.main_metric()
    assert main is not None and main.comparison is not None and main.comparison.verdict == "inconclusive"
    assert main.comparison.n_vm == 2 and "no verdict before the first look" in main.comparison.note
    assert (second.stopped, second.rounds, later.calls) == ("budget", 0, [])
    assert first.notes == ["the budget ended after 2 block(s); about 30 s more would reach the first planned look "
                           "at 5 blocks (--budget)"]
    note = next(n for n in result.notes if n.startswith("budget:"))
    assert "cpu: 2 block(s), fewer than the first planned look at 5" in note and "memory: no block finished" in note


class SleepyProbe(FakeProbe):
    """Really takes ``seconds`` per run (the session's real clock and alarm)."""

    def __init__(self, seconds: float) -> None:
        super().__init__("cpu", {"metal": jitter(1000, 0.01), "virt": jitter(1000, 0.01)})
        self.seconds = seconds
        self.finished = 0

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        time.sleep(self.seconds)
        self.finished += 1
        return super().run(runner, budget=budget, peer=peer)


def test_a_run_under_way_is_cut_when_the_budget_ends() -> None:
    """The budget is a hard ceiling on the real clock: the run in progress is stopped, not awaited."""
    bm, vm, targets = two()
    probe = SleepyProbe(0.3)
    started = time.monotonic()
    result = run_session(targets, [probe], budget_s=1.0)
    elapsed = time.monotonic() - started
    pr = result.probes[0]
    assert pr.stopped == "budget" and elapsed < 1.3, elapsed
    assert pr.rounds <= 1 and len([r for r in result.runs if r.probe == "cpu"]) == probe.finished
    assert any(n.startswith("budget:") for n in result.notes)
    slow = SleepyProbe(5.0)
    started = time.monotonic()
    result = run_session(two()[2], [slow], budget_s=0.5)
    assert time.monotonic() - started < 1.0 and slow.finished == 0 and not result.runs
    assert result.probes[0].stopped == "budget" and "no block finished" in result.notes[-1]
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


class DeviceProbe(FakeProbe):
    """Says what it ran on, as the disk probe does (strings next to the figures)."""

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float | str]:
        return {**super().run(runner, budget=budget, peer=peer), "device": f"/dev/{runner.name}1", "fstype": "ext4"}


def test_what_a_run_ran_on_is_kept_with_each_run_and_said_once() -> None:
    bm, vm, targets = two()
    result = run_session(targets, [DeviceProbe("disk", {"metal": jitter(1000, 0.01), "virt": jitter(900, 0.01)})],
                         budget_s=100)
    runs = [r for r in result.runs if r.probe == "disk"]
    assert runs and all(r.context == {"device": f"/dev/{r.target}1", "fstype": "ext4"} for r in runs)
    assert all(set(r.values) == {"value", "p99_us"} for r in runs)
    notes = result.probes[0].notes
    assert "ran on metal: device /dev/metal1, fstype ext4" in notes
    assert "ran on virt: device /dev/virt1, fstype ext4" in notes


def test_disturbed_blocks_are_dropped_and_the_verdict_refused() -> None:
    bm, vm = FakeRunner("metal", pressure=0.5), FakeRunner("virt", pressure=0.5)
    targets: dict[Role, Runner] = {"bare-metal": bm, "vm": vm}
    clock = FakeClock()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.005), "virt": jitter(500, 0.005)}, clock)
    result = run_session(targets, [probe], budget_s=30, clock=clock)
    pr = result.probes[0]
    assert pr.disturbed_blocks == pr.rounds >= 5
    assert pr.refused is not None and pr.refused.startswith("disturbed")
    assert "psi_cpu_some" in pr.refused
    main = pr.main_metric()
    assert main is not None and main.comparison is not None and main.comparison.verdict == "inconclusive"
    assert result.disturbed and not result.allow_disturbed
    assert all(r.disturbed for r in result.runs if not r.warmup)


def test_allow_disturbed_keeps_the_verdict_and_says_so() -> None:
    """Allowed, the disturbed blocks count and the verdict stands; the result says the session was disturbed."""
    bm, vm = FakeRunner("metal", pressure=0.5), FakeRunner("virt", pressure=0.5)
    clock = FakeClock()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.005), "virt": jitter(500, 0.005)}, clock)
    result = run_session({"bare-metal": bm, "vm": vm}, [probe], budget_s=30, clock=clock, allow_disturbed=True)
    pr = result.probes[0]
    assert pr.refused is None and any("--allow-disturbed" in n for n in pr.notes)
    assert pr.main_metric().comparison.verdict == "slower"  # type: ignore[union-attr]
    assert result.allow_disturbed and result.disturbed and "verdict allowed" in result.disturbed[0]


def test_implausible_ratio_is_a_probe_failure() -> None:
    """The 49x disk case: a ratio no comparable hardware gives is reported as implausible, not 'faster'."""
    bm, vm, targets = two()
    probe = FakeProbe("disk", {"metal": jitter(635, 0.01), "virt": jitter(35135, 0.01)})
    probe.plausible = (0.02, 2.0)  # type: ignore[attr-defined]
    result = run_session(targets, [probe], budget_s=100)
    pr = result.probes[0]
    assert pr.stopped == "implausible" and pr.refused is not None
    assert "55.3" in (pr.error or "") and "plausible range 0.02-2" in (pr.error or "")
    main = pr.main_metric()
    assert main is not None and main.comparison is not None and main.comparison.verdict == "inconclusive"
    assert "refused (faster)" in main.comparison.note


def test_interrupt_keeps_finished_runs() -> None:
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04, shift=4)}, interrupt_at=6)
    other = FakeProbe("memory", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    result = run_session(targets, [probe, other], budget_s=100)
    assert result.interrupted
    assert [p.name for p in result.probes] == ["cpu"] and result.probes[0].stopped == "interrupted"
    assert len(result.runs) == 5 and other.calls == []
    assert any("interrupted" in n for n in result.notes)


def test_probe_error_is_recorded_and_the_next_probe_runs() -> None:
    bm, vm, targets = two()
    bad = FakeProbe("cpu", {"metal": jitter(1, 0), "virt": jitter(1, 0)}, fail_at=4)
    good = FakeProbe("memory", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    result = run_session(targets, [bad, good], budget_s=100)
    assert result.probes[0].stopped == "error" and "tool crashed" in (result.probes[0].error or "")
    assert result.runs[3].error is not None
    assert result.probes[1].stopped == "decided"


def test_missing_tool_skips_the_probe_with_its_hint() -> None:
    bm = FakeRunner("metal")
    vm = FakeRunner("virt", tools=())
    probe = FakeProbe("cpu", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    result = run_session({"bare-metal": bm, "vm": vm}, [probe], budget_s=10)
    pr = result.probes[0]
    assert pr.stopped == "skipped" and "apt-get install tool" in (pr.error or "") and "'virt'" in (pr.error or "")


def test_peers_are_passed_per_role() -> None:
    bm, vm, targets = two()
    server, server2 = FakeRunner("server"), FakeRunner("server2")
    probe = FakeProbe("net", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    probe.two_host = True  # type: ignore[attr-defined]
    run_session(targets, [probe], budget_s=10, peers={"vm": server, "bare-metal": server2})
    assert set(probe.calls[:2]) == {("metal", "server2"), ("virt", "server")}


def test_net_is_refused_when_only_one_target_has_a_peer() -> None:
    """The loopback-vs-network finding: the ratio would compare a network path with loopback."""
    bm, vm, targets = two()
    probe = FakeProbe("net", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    probe.two_host = True  # type: ignore[attr-defined]
    result = run_session(targets, [probe], budget_s=10, peers={"vm": FakeRunner("server")})
    pr = result.probes[0]
    assert pr.stopped == "refused" and probe.calls == []
    assert pr.paths == {"metal": "loopback", "virt": "network"}
    assert "metal (bare-metal) over loopback but virt (vm) over network" in (pr.refused or "")


def test_single_target_gives_absolute_figures() -> None:
    runner = FakeRunner("this-host")
    probe = FakeProbe("cpu", {"this-host": jitter(1000, 0.01)})
    result = run_session({"bare-metal": runner}, [probe], budget_s=10)
    pr = result.probes[0]
    assert pr.stopped == "single" and pr.rounds == 5
    assert pr.metrics[0].comparison is None
    assert pr.metrics[0].summary["this-host"]["n"] == 5
    assert not result.comparison


def test_assess_measures_with_the_slo_of_its_decision() -> None:
    """`advisor assess --measure` derives the latency bands from the profile's p99 SLO."""
    from advisor import pipeline
    from advisor.cli.assess.measure_if_close import slo_us as _slo_us

    assert _slo_us(pipeline.decide_profile({"latency_p99_ms": 2})) == 2000.0


def test_the_band_from_the_slo_is_fixed_at_the_first_look() -> None:
    """The bare-metal median moves after the first look (here it doubles): the band stays the one of the first
    look, since a band that moved between looks would break the planned looks' error bound."""
    _, _, targets = two()
    drift = {"metal": lambda i: 100.0 * (1 if i <= 5 else 2) * (1 + 0.2 * (i % 2)),
             "virt": lambda i: 100.0 * (1 if i <= 5 else 2) * (1 + 0.2 * ((i + 1) % 2))}
    probe = RoundTripProbe(drift)
    result = run_session(targets, [probe], budget_s=100, seed=3, slo_us=1000.0)
    (metric,) = result.probes[0].metrics
    assert result.probes[0].rounds > 5  # noisy enough to go past the first look
    first = [r.values["p50_us"] for r in result.runs if r.role == "bare-metal" and not r.warmup][:5]
    assert metric.band == pytest.approx(0.05 * 1000.0 / (4 * sorted(first)[2]))
