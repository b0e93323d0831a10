"""Fakes the measurement tests share: runners that run nothing, probes with made-up figures, a clock.

* :class:`FakeRunner` runs nothing; the fake probes ask it for figures, and its kernel
  counters can show CPU pressure (every run disturbed).
* :class:`ScriptedRunner` answers each command from a script and records every argv: the
  built-in probes' command lines and parsers run against it.
* :class:`FakeProbe` returns figures from a per-target generator (:func:`jitter`) and
  advances a :class:`FakeClock`.
* :func:`fake_dist` installs a probe plugin as a minimal distribution in a folder for
  ``PYTHONPATH``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

from advisor.measure.api import Budget, Completed, MetricSpec, Placement, ProbeError, Role, Runner


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeRunner:
    """A runner that runs nothing; the fake probes ask it for figures.

    Its kernel counters (what the disturbance sampler greps) show ``pressure`` seconds
    of CPU pressure per sample, so a test can make every run look disturbed.
    """

    kind = "fake"

    def __init__(self, name: str, tools: Sequence[str] = ("tool",), pressure: float = 0.0) -> None:
        self.name = name
        self.tools = set(tools)
        self.closed = False
        self.pressure = pressure
        self.samples = 0

    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        if argv[:2] == ["grep", "-s"]:
            self.samples += 1
            psi = int(self.samples * self.pressure * 1e6)
            text = ("/proc/stat:cpu  100 0 100 1000 0 0 0 0 0 0\n/proc/loadavg:0.5 0.4 0.3 1/100 1\n"
                    f"/proc/pressure/cpu:some avg10=0.00 avg60=0.00 avg300=0.00 total={psi}\n")
            return Completed(tuple(argv), 0, text, "", 0.0)
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


def jitter(base: float, spread: float, shift: int = 0) -> Callable[[int], float]:
    pattern = [0.0, 1.0, -1.0, 0.5, -0.5, 0.25, -0.25, 0.75, -0.75]
    return lambda i: base * (1 + spread * pattern[(i + shift) % len(pattern)])


class FakeHandle:
    def __init__(self, argv: Sequence[str], out: str = "", err: str = "") -> None:
        self.argv = tuple(argv)
        self.out, self.err = out, err
        self.stopped = False

    def stop(self) -> Completed:
        self.stopped = True
        return Completed(self.argv, 0, self.out, self.err, 0.1)


Script = Callable[[tuple[str, ...]], tuple[int, str, str]]


class ScriptedRunner:
    """Answers each command from ``script``; records every argv."""

    kind = "fake"

    def __init__(self, script: Script, *, tools: Sequence[str] | None = None, name: str = "fake") -> None:
        self.name = name
        self.script = script
        self.tools = tools
        self.calls: list[tuple[str, ...]] = []
        self.spawned: list[FakeHandle] = []
        self.spawn_output: tuple[str, str] = ("", "")

    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        assert not isinstance(argv, str) and timeout > 0
        args = tuple(argv)
        self.calls.append(args)
        rc, out, err = self.script(args)
        return Completed(args, rc, out, err, 0.01)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> FakeHandle:
        handle = FakeHandle(argv, *self.spawn_output)
        self.spawned.append(handle)
        return handle

    def which(self, tool: str) -> bool:
        return self.tools is None or tool in self.tools

    def tool_version(self, tool: str) -> str | None:
        return None

    def address(self) -> str:
        return "127.0.0.1"

    def placement(self, role: Role) -> Placement:
        raise NotImplementedError

    def close(self) -> None:
        pass


def fake_dist(site: Path, name: str, entry: str, module_text: str | None) -> None:
    """A minimal installed distribution: a module and a dist-info with an entry point."""
    site.mkdir(parents=True, exist_ok=True)
    module = entry.split(":")[0]
    if module_text is not None:
        (site / f"{module}.py").write_text(module_text)
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[advisor.measurements]\n{name} = {entry}\n")


#: A plugin module whose probe 'cpu' would replace the built-in one with made-up figures (ratio 0.5).
SHADOW_CPU_PLUGIN = """
from advisor.measure.api import MetricSpec
from advisor.measure.hookspecs import hookimpl


class FakeCpu:
    name = "cpu"
    title = "a made-up cpu probe"
    tools = ("true",)
    metrics = (MetricSpec("events_per_s", "events/s", "higher", main=True),)

    def install_hint(self):
        return "nothing"

    def run(self, runner, *, budget, peer=None):
        return {"events_per_s": 0.5}


@hookimpl
def advisor_probes():
    return [FakeCpu()]
"""
