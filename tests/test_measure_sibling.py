"""The noisy probe's antagonist on a sibling target (another VM on the host, another pod on the node).

The targets file names a ``sibling`` per target; the session passes it to probes that
declare ``uses_sibling``, says where each target's antagonist ran (and whether the sibling is
an imitation), and refuses a comparison where one target has a sibling and the other not.
The real runs use local targets: a sibling confined by a CPU quota is an imitation of a
neighbouring VM, and is labelled so.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeRunner, ScriptedRunner

from advisor import yamlio
from advisor.errors import DataError
from advisor.measure.api import Budget, Runner
from advisor.measure.manager import load_registry
from advisor.measure.probes import NoisyProbe
from advisor.measure.probes.noisy import antagonist_command
from advisor.measure.run import run_targets
from advisor.measure.session import run_session
from advisor.measure.targets import TargetSpec, load_targets, parse_targets

#: Mostly waiting (antagonists started and stopped): started first (tests/conftest.py).
pytestmark = pytest.mark.waits

DATA = Path(__file__).resolve().parent / "data" / "measure"


def _targets(text: str) -> list[TargetSpec]:
    return parse_targets(yamlio.parse(textwrap.dedent(text), "t.yaml"))


# --------------------------------------------------------------------------- the targets file


def test_a_sibling_is_a_target_of_the_file_and_not_the_target_itself() -> None:
    specs = _targets("""\
        advisor_targets: 1
        targets:
          - {name: metal, role: bare-metal, sibling: metal-nb}
          - {name: metal-nb, role: peer}
        """)
    assert [s.sibling for s in specs] == ["metal-nb", None]
    with pytest.raises(DataError) as info:
        _targets("""\
            advisor_targets: 1
            targets:
              - {name: metal, role: bare-metal, sibling: metal-nbb}
              - {name: metal-nb, role: peer}
              - {name: vm, role: vm, sibling: vm}
            """)
    said = [p.format() for p in info.value.problems]
    assert "t.yaml:3:46: sibling 'metal-nbb' is not a target of this file; did you mean 'metal-nb'?" in said
    assert "t.yaml:5:35: a target cannot be its own sibling; name another target or remove 'sibling'" in said
    assert any("peer target 'metal-nb' is not used by any target; name it in another target's 'peer' or "
               "'sibling' key" in s for s in said)


# --------------------------------------------------------------------------- the probe, scripted


def _script(args: tuple[str, ...]) -> tuple[int, str, str]:
    if args[0] == "mktemp":
        return 0, "/tmp/advisor.test\n", ""
    if args[0] == "rm":
        return 0, "", ""
    if args[:2] == ("grep", "Cpus_allowed_list"):
        return 0, "Cpus_allowed_list:\t1\n", ""
    if args[0] == "cyclictest":
        return 0, "", ""
    if args[0] == "cat":
        return 0, (DATA / "cyclictest_hist.json").read_text(), ""
    raise AssertionError(args)


def _sibling_script(args: tuple[str, ...]) -> tuple[int, str, str]:
    if args[:2] == ("grep", "Cpus_allowed_list"):
        return 0, "Cpus_allowed_list:\t2-3\n", ""
    raise AssertionError(f"only the antagonist runs on the sibling, not {args}")


def test_the_antagonist_runs_on_the_sibling_on_every_cpu_it_may_use() -> None:
    target, sibling = ScriptedRunner(_script, name="vm"), ScriptedRunner(_sibling_script, name="vm-nb")
    got = NoisyProbe().run(target, budget="quick", sibling=sibling)
    assert not target.spawned, "nothing runs beside cyclictest in the target itself"
    (hog,) = sibling.spawned
    assert hog.stopped and hog.argv == tuple(antagonist_command([2, 3], 32))
    assert hog.argv[:5] == ("stress-ng", "--cpu", "2", "--taskset", "2,3")
    assert got["antagonist"] == "sibling vm-nb, CPUs 2,3" and got["cpu"] == 1.0 and got["antagonist_cpu"] == 3.0
    # without a sibling (or with the target itself) the hog shares the measuring thread's CPU, inside the target
    alone = ScriptedRunner(_script, name="vm")
    assert NoisyProbe().run(alone, budget="quick", sibling=alone)["antagonist"] == "itself, CPUs 1"
    assert alone.spawned[0].argv == tuple(antagonist_command(1, 32))


def test_a_failed_antagonist_names_the_sibling() -> None:
    target, sibling = ScriptedRunner(_script, name="vm"), ScriptedRunner(_sibling_script, name="vm-nb")
    sibling.spawn_output = ("", "stress-ng: error: [12] cannot set CPU affinity\n")
    with pytest.raises(Exception, match="the stress-ng antagonist failed on 'vm-nb'"):
        NoisyProbe().run(target, budget="quick", sibling=sibling)


# --------------------------------------------------------------------------- the session


class _SiblingProbe:
    """A probe that records which sibling the session passed, with fixed figures."""

    name = "noisy"
    title = "fake noisy"
    tools = ("tool",)
    uses_sibling = True

    def __init__(self) -> None:
        from advisor.measure.api import MetricSpec

        self.metrics = (MetricSpec("slowdown", "ratio", "lower", main=True, band=0.2),)
        self.calls: list[tuple[str, str | None]] = []

    def install_hint(self) -> str:
        return "apt-get install tool"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None,
            sibling: Runner | None = None) -> dict[str, float]:
        self.calls.append((runner.name, sibling.name if sibling is not None else None))
        return {"slowdown": 1.0 + 0.001 * len(self.calls)}


def test_the_session_passes_each_target_its_sibling_and_says_where_the_antagonist_ran() -> None:
    bm, vm = FakeRunner("metal"), FakeRunner("virt")
    probe = _SiblingProbe()
    result = run_session({"bare-metal": bm, "vm": vm}, [probe], budget_s=30, seed=1,
                         siblings={"bare-metal": FakeRunner("metal-nb"), "vm": FakeRunner("virt-nb")})
    assert set(probe.calls) == {("metal", "metal-nb"), ("virt", "virt-nb")}
    notes = result.probes[0].notes
    assert "noisy: the antagonist of metal ran on sibling metal-nb (fake runner, real)" in notes
    assert "noisy: the antagonist of virt ran on sibling virt-nb (fake runner, real)" in notes


def test_an_antagonist_on_a_sibling_for_one_target_only_is_refused() -> None:
    bm, vm = FakeRunner("metal"), FakeRunner("virt")
    probe = _SiblingProbe()
    result = run_session({"bare-metal": bm, "vm": vm}, [probe], budget_s=30, siblings={"vm": FakeRunner("virt-nb")})
    pr = result.probes[0]
    assert pr.stopped == "refused" and probe.calls == []
    assert pr.refused == ("unfair comparison: noisy's antagonist runs on itself (metal) for metal (bare-metal) "
                          "but on sibling virt-nb (fake runner, real) for virt (vm); give every target a `sibling`, "
                          "or none (docs/measurement.md, 'Fair comparisons')")


# --------------------------------------------------------------------------- real local targets


def _need_root_tools() -> None:
    missing = [t for t in ("cyclictest", "stress-ng") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (.ci/run installs them)")
    if os.geteuid() != 0 or (os.cpu_count() or 1) < 2:
        pytest.skip("cyclictest needs root (SCHED_FIFO), the targets CPU 1")


def _cpu_stat(cgroup: Path) -> int:
    """CPU the group's tasks used: v2 ``usage_usec``, v1 the CFS periods in which they ran."""
    fields = dict(line.split() for line in (cgroup / "cpu.stat").read_text().splitlines() if line.strip())
    return int(fields.get("usage_usec", fields.get("nr_periods", "0")))


@pytest.fixture
def sibling_pair() -> Iterator[tuple[Runner, Runner]]:
    from advisor.measure.runners.local import LocalRunner

    target = LocalRunner("noisy-target", cpus=[1])
    try:
        sibling = LocalRunner("noisy-sibling", cpus=[1], cpu_quota=0.5)
    except Exception as exc:  # noqa: BLE001 - a container whose cgroup tree is read-only
        target.close()
        pytest.skip(f"cannot create a cgroup with a CPU quota here: {exc}")
    yield target, sibling
    sibling.close()
    target.close()


@pytest.mark.cpu1
def test_real_antagonist_runs_in_the_sibling_cgroup(sibling_pair: tuple[Runner, Runner]) -> None:
    _need_root_tools()
    target, sibling = sibling_pair
    group = getattr(sibling, "cgroup_dir", None)
    assert group is not None
    before = _cpu_stat(group)
    got = NoisyProbe().run(target, budget="quick", sibling=sibling)
    assert _cpu_stat(group) > before, "the hog ran in the sibling's cgroup"
    assert got["antagonist"] == "sibling noisy-sibling, CPUs 1" and got["antagonist_cpu"] == 1.0
    assert 0 < got["p99_alone_us"] and 0 < got["p99_loaded_us"]


TARGETS = """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local, cpus: [1], sibling: metal-nb}
  - {name: metal-nb, role: peer, runner: local, cpus: [1]}
  - {name: vm-like, role: vm, runner: local, cpus: [1], sibling: vm-nb}
  - {name: vm-nb, role: peer, runner: local, cpus: [1], cpu_quota: 0.5}
"""


@pytest.mark.cpu1
def test_real_targets_file_says_the_antagonist_ran_on_an_imitation_sibling(tmp_path: Path) -> None:
    """A neighbouring 'VM' imitated by a local target with a CPU quota is labelled as an imitation."""
    _need_root_tools()
    (tmp_path / "t.yaml").write_text(TARGETS)
    specs = load_targets(tmp_path / "t.yaml")
    try:
        result = run_targets(load_registry(), specs, [NoisyProbe()], budget_s=12.0, band=None, suite="quick",
                             allow_disturbed=True, seed=3)
    except DataError as exc:  # a cgroup tree that cannot take a quota
        pytest.skip(str(exc))
    pr = result.probes[0]
    assert ("noisy: the antagonist of metal ran on sibling metal-nb (local runner, imitation: a local target "
            "confined by CPU pinning)") in pr.notes
    assert ("noisy: the antagonist of vm-like ran on sibling vm-nb (local runner, imitation: a local target "
            "confined by a CPU quota, CPU pinning)") in pr.notes
    runs = [r for r in result.runs if r.probe == "noisy" and r.error is None]
    assert runs, "at least the warm-up ran"
    expected = {"metal": "sibling metal-nb, CPUs 1", "vm-like": "sibling vm-nb, CPUs 1"}
    assert all(r.context["antagonist"] == expected[r.target] for r in runs)


def test_the_documented_sibling_example_is_a_valid_targets_file() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "measurement.md").read_text()
    section = doc.split("### Noisy neighbours on a sibling", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    specs = parse_targets(yamlio.parse(block, "docs/measurement.md"))
    assert {s.name: s.sibling for s in specs if s.sibling} == {"metal": "metal-neighbour", "vm": "vm-neighbour"}


class _PlacingRunner(FakeRunner):
    """A runner that can be placed beside another (as the Kubernetes runner places a pod on a node)."""

    placed: list[tuple[str, str]] = []

    def beside(self, target: Runner) -> None:
        self.placed.append((self.name, target.name))


def test_run_targets_places_each_sibling_beside_its_target(tmp_path: Path) -> None:
    from advisor.measure.manager import Registry

    (tmp_path / "t.yaml").write_text(textwrap.dedent("""\
        advisor_targets: 1
        targets:
          - {name: metal, role: bare-metal, runner: placing, sibling: metal-nb}
          - {name: metal-nb, role: peer, runner: placing}
          - {name: virt, role: vm, runner: placing, sibling: virt-nb}
          - {name: virt-nb, role: peer, runner: placing}
        """))
    registry = Registry(runners={"placing": lambda spec: _PlacingRunner(spec.name)})
    probe = _SiblingProbe()
    _PlacingRunner.placed.clear()
    run_targets(registry, load_targets(tmp_path / "t.yaml"), [probe], budget_s=30, band=None, suite="quick")
    assert sorted(_PlacingRunner.placed) == [("metal-nb", "metal"), ("virt-nb", "virt")]
    assert {("metal", "metal-nb"), ("virt", "virt-nb")} <= set(probe.calls)
