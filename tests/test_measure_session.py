"""The measurement loop with fake runners and probes: interleaving, stopping, budget, Ctrl-C."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import pytest

from advisor.measure.api import Budget, Completed, MetricSpec, Placement, ProbeError, Role, Runner
from advisor.measure.session import Progress, run_session


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeRunner:
    """A runner that runs nothing; the fake probes ask it for figures."""

    kind = "fake"

    def __init__(self, name: str, tools: Sequence[str] = ("tool",)) -> None:
        self.name = name
        self.tools = set(tools)
        self.closed = False

    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        return Completed(tuple(argv), 0, "", "", 0.0)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> object:
        raise NotImplementedError

    def which(self, tool: str) -> bool:
        return tool in self.tools

    def tool_version(self, tool: str) -> str | None:
        return f"{tool} 1.0" if tool in self.tools else None

    def address(self) -> str:
        return "127.0.0.1"

    def placement(self, role: Role) -> Placement:
        return Placement(self.name, role, "fake", "host", "cpu", 2, "6.1", "none")

    def close(self) -> None:
        self.closed = True


class FakeProbe:
    """Returns figures from a per-target generator; advances the fake clock by ``cost`` per run."""

    title = "fake"
    tools = ("tool",)

    def __init__(self, name: str, figures: dict[str, Callable[[int], float]], clock: FakeClock | None = None,
                 cost: float = 1.0, better: str = "higher", fail_at: int | None = None,
                 interrupt_at: int | None = None) -> None:
        self.name = name
        self.figures = figures
        self.clock = clock
        self.cost = cost
        self.metrics = (MetricSpec("value", "1/s", better, main=True),  # type: ignore[arg-type]
                        MetricSpec("p99_us", "us", "lower"))
        self.calls: list[tuple[str, str | None]] = []
        self.fail_at = fail_at
        self.interrupt_at = interrupt_at
        self.count = itertools.count(1)

    def install_hint(self) -> str:
        return "apt-get install tool"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        n = next(self.count)
        self.calls.append((runner.name, peer.name if peer is not None else None))
        if self.clock is not None:
            self.clock.now += self.cost
        if n == self.interrupt_at:
            raise KeyboardInterrupt
        if n == self.fail_at:
            raise ProbeError("tool crashed")
        i = sum(1 for name, _ in self.calls if name == runner.name)
        v = self.figures[runner.name](i)
        return {"value": v, "p99_us": 1000.0 / v}


def jitter(base: float, spread: float) -> Callable[[int], float]:
    pattern = [0.0, 1.0, -1.0, 0.5, -0.5, 0.25, -0.25]
    return lambda i: base * (1 + spread * pattern[i % len(pattern)])


def two() -> tuple[FakeRunner, FakeRunner, dict[Role, Runner]]:
    bm, vm = FakeRunner("metal"), FakeRunner("virt")
    return bm, vm, {"bare-metal": bm, "vm": vm}


def test_interleaves_and_stops_when_equivalent() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.005), "virt": jitter(1000, 0.005)}, clock)
    seen: list[Progress] = []
    result = run_session(targets, [probe], budget_s=100, band=0.05, on_progress=seen.append, clock=clock)
    assert [c[0] for c in probe.calls[:6]] == ["metal", "virt"] * 3
    pr = result.probes[0]
    assert pr.stopped == "decided" and pr.rounds == 3
    main = pr.main_metric()
    assert main is not None and main.comparison is not None
    assert main.comparison.verdict == "equivalent"
    assert main.comparison.n_bare_metal == main.comparison.n_vm == 3
    assert [(p.target, p.run) for p in seen[:4]] == [("metal", 1), ("virt", 1), ("metal", 2), ("virt", 2)]
    assert len(result.runs) == 6 and {r.role for r in result.runs} == {"bare-metal", "vm"}
    assert result.targets[0].tool_versions == {"tool": "tool 1.0"}
    assert not bm.closed  # the caller owns the runners


def test_slower_vm_and_direction_of_latency() -> None:
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.01), "virt": jitter(500, 0.01)})
    result = run_session(targets, [probe], budget_s=100)
    value, p99 = result.probes[0].metrics
    assert value.comparison is not None and value.comparison.verdict == "slower"
    assert value.comparison.ratio == pytest.approx(0.5, rel=0.02)
    # the VM's latency is twice as high: lower is better, so 'slower' too
    assert p99.comparison is not None and p99.comparison.verdict == "slower"
    assert p99.comparison.ratio == pytest.approx(2.0, rel=0.02)


def test_budget_ends_inconclusive() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    # 3 % slower with 4 % noise: the CI straddles the band edge for a long time
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04)}, clock, cost=1.0)
    result = run_session(targets, [probe], budget_s=12, clock=clock)
    pr = result.probes[0]
    assert pr.stopped == "budget"
    assert pr.main_metric().comparison.verdict == "inconclusive"  # type: ignore[union-attr]
    assert clock.now <= 12 + 2  # never starts a round it cannot finish (estimated)


def test_budget_is_shared_between_probes() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    noisy = {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04)}
    p1, p2 = FakeProbe("cpu", noisy, clock), FakeProbe("memory", noisy, clock)
    result = run_session(targets, [p1, p2], budget_s=20, clock=clock)
    assert [p.stopped for p in result.probes] == ["budget", "budget"]
    assert len(p1.calls) >= 6 and len(p2.calls) >= 6


def test_min_runs_even_with_a_tiny_budget() -> None:
    clock = FakeClock()
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04)}, clock, cost=5)
    result = run_session(targets, [probe], budget_s=1, clock=clock, min_runs=3)
    assert result.probes[0].rounds == 3


def test_interrupt_keeps_finished_runs() -> None:
    bm, vm, targets = two()
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.04), "virt": jitter(970, 0.04)}, interrupt_at=4)
    other = FakeProbe("memory", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    result = run_session(targets, [probe, other], budget_s=100)
    assert result.interrupted
    assert [p.name for p in result.probes] == ["cpu"] and result.probes[0].stopped == "interrupted"
    assert len(result.runs) == 3 and other.calls == []
    assert any("interrupted" in n for n in result.notes)


def test_probe_error_is_recorded_and_the_next_probe_runs() -> None:
    bm, vm, targets = two()
    bad = FakeProbe("cpu", {"metal": jitter(1, 0), "virt": jitter(1, 0)}, fail_at=2)
    good = FakeProbe("memory", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    result = run_session(targets, [bad, good], budget_s=100)
    assert result.probes[0].stopped == "error" and "tool crashed" in (result.probes[0].error or "")
    assert result.runs[1].error is not None
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
    server = FakeRunner("server")
    probe = FakeProbe("net", {"metal": jitter(1, 0), "virt": jitter(1, 0)})
    run_session(targets, [probe], budget_s=10, peers={"vm": server})
    assert probe.calls[:2] == [("metal", None), ("virt", "server")]


def test_single_target_gives_absolute_figures() -> None:
    runner = FakeRunner("this-host")
    probe = FakeProbe("cpu", {"this-host": jitter(1000, 0.01)})
    result = run_session({"bare-metal": runner}, [probe], budget_s=10)
    pr = result.probes[0]
    assert pr.stopped == "single" and pr.rounds == 3
    assert pr.metrics[0].comparison is None
    assert pr.metrics[0].summary["this-host"]["n"] == 3
    assert not result.comparison
