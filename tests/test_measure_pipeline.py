"""Runs that overlap (a probe with ``stagger_s`` and ``start``): the net probe's 2-s sleep passes while
the other run measures. Real time, short runs, a fake staged probe."""

from __future__ import annotations

import time

import pytest
from fakes import FakeProbe, FakeRunner, jitter

from advisor.measure.api import Budget, Runner
from advisor.measure.runs import OVERLAP
from advisor.measure.session import run_session

#: Mostly waiting (runs that sleep to overlap): started first (tests/conftest.py).
pytestmark = pytest.mark.waits


class Staged:
    """A run under way: it 'idles' for ``idle`` s, then 'measures' for ``busy`` s (real time)."""

    def __init__(self, probe: StagedProbe, runner: Runner, t0: float) -> None:
        self.probe, self.runner, self.t0 = probe, runner, t0

    def finish(self) -> dict[str, float]:
        end = self.t0 + self.probe.idle + self.probe.busy
        time.sleep(max(0.0, end - time.monotonic()))
        self.probe.spans.append((self.runner.name, self.t0 + self.probe.idle, end))
        return self.probe.run(self.runner, budget="quick")

    def cancel(self) -> None:
        self.probe.cancelled += 1


class StagedProbe(FakeProbe):
    def __init__(self, idle: float, busy: float) -> None:
        super().__init__("net", {"metal": jitter(1000, 0.005), "virt": jitter(1000, 0.005)}, better="lower")
        self.idle, self.busy = idle, busy
        self.stagger_s = idle
        self.warmup = False
        self.spans: list[tuple[str, float, float]] = []
        self.starts: list[float] = []
        self.cancelled = 0

    def start(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> Staged:
        self.starts.append(time.monotonic())
        return Staged(self, runner, self.starts[-1])


def two() -> dict[str, Runner]:
    return {"bare-metal": FakeRunner("metal"), "vm": FakeRunner("virt")}  # type: ignore[dict-item]


def test_runs_overlap_by_the_stagger_and_never_measure_together() -> None:
    probe = StagedProbe(idle=0.2, busy=0.1)
    began = time.monotonic()
    result = run_session(two(), [probe], budget_s=30, band=0.05, seed=3)  # type: ignore[arg-type]
    took = time.monotonic() - began
    pr = result.probes[0]
    assert pr.stopped == "decided" and pr.rounds == 5
    assert pr.main_metric().comparison.verdict == "equivalent"  # type: ignore[union-attr]
    # a run every 0.2 s, not every 0.3 s: 10 runs and the next block's first run, cancelled at the verdict
    gaps = [b - a for a, b in zip(probe.starts, probe.starts[1:], strict=False)]
    assert min(gaps) >= 0.2 - 0.005
    assert len(probe.starts) == 11 and probe.cancelled == 1
    assert took < 10 * 0.3
    spans = sorted(probe.spans, key=lambda s: s[1])
    assert all(a[2] <= b[1] for a, b in zip(spans, spans[1:], strict=False))  # no two measure at once
    blocks = [[r.role for r in result.runs if r.block == b] for b in range(1, 6)]
    assert all(sorted(b) == ["bare-metal", "vm"] for b in blocks)
    assert not any(OVERLAP in r.disturbed for r in result.runs)


def test_a_run_still_going_when_the_next_one_measures_is_disturbed() -> None:
    """Runs longer than twice the stagger would measure over each other: marked, dropped, refused."""
    probe = StagedProbe(idle=0.05, busy=0.3)
    result = run_session(two(), [probe], budget_s=3, band=0.05, seed=3)  # type: ignore[arg-type]
    pr = result.probes[0]
    assert any(OVERLAP in r.disturbed for r in result.runs)
    assert pr.refused is not None and pr.refused.startswith("disturbed")


def test_a_suite_the_stagger_does_not_name_runs_one_run_after_another() -> None:
    """``stagger_s`` per suite: the net probe overlaps its 1-s quick runs only. In the full suite its 10-s runs
    measure for 9.6 s, and a run started 2 s later measured beside it: every run was marked overlapped, and
    with ``allow_disturbed`` two clients measured at once on one CPU."""
    probe = StagedProbe(idle=0.05, busy=0.3)
    probe.stagger_s = {"quick": 0.05}  # type: ignore[assignment]
    result = run_session(two(), [probe], budget_s=30, band=0.05, seed=3, suite="full")  # type: ignore[arg-type]
    assert probe.starts == [] and result.probes[0].rounds >= 5  # run() each time: nothing under way meanwhile
    assert not any(OVERLAP in r.disturbed for r in result.runs)
    quick = StagedProbe(idle=0.05, busy=0.3)
    quick.stagger_s = {"quick": 0.05}  # type: ignore[assignment]
    run_session(two(), [quick], budget_s=3, band=0.05, seed=3)  # type: ignore[arg-type]
    assert quick.starts  # the quick suite overlaps


def test_the_net_probe_overlaps_its_quick_runs_only() -> None:
    from advisor.measure.api import stagger
    from advisor.measure.probes.net import SOCKPERF_SLEEP_S, NetProbe

    assert stagger(NetProbe(), "quick") == SOCKPERF_SLEEP_S
    assert stagger(NetProbe(), "full") is None
