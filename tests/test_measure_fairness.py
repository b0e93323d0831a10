"""Placement fairness: a ratio of two targets is refused when it would measure something else."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from advisor.measure.api import Placement
from advisor.measure.fairness import problems, warnings


def _p(target: str, role: str, **kw: object) -> Placement:
    base: dict[str, object] = {"runner": "local", "hostname": "h", "cpu_model": "Xeon 8480", "cpus_online": 8,
                               "kernel": "6.1", "virtualization": "none"}
    base.update(kw)
    return Placement(target=target, role=role, **base)  # type: ignore[arg-type]


def test_same_hardware_and_pinning_is_fair() -> None:
    assert problems([_p("metal", "bare-metal", pinned_cpus=(1,)),
                     _p("vm", "vm", virtualization="kvm", pinned_cpus=(1,))]) == []
    assert problems([_p("metal", "bare-metal")]) == [], "one target: nothing to compare"


def test_different_cpu_models_are_refused() -> None:
    (why,) = problems([_p("metal", "bare-metal"), _p("vm", "vm", cpu_model="EPYC 9654", virtualization="kvm")])
    assert why == ("different CPU models: 'Xeon 8480' (metal) vs 'EPYC 9654' (vm); the ratio would compare "
                   "hardware, not the virtualization layer")


def test_pinning_only_one_target_or_different_counts_is_refused() -> None:
    (why,) = problems([_p("metal", "bare-metal"), _p("vm", "vm", pinned_cpus=(0,))])
    assert why.startswith("only vm is pinned to CPUs")
    (why,) = problems([_p("metal", "bare-metal", pinned_cpus=(0, 1)), _p("vm", "vm", pinned_cpus=(0,))])
    assert why == "metal is pinned to 2 CPU(s) and vm to 1; pin both to the same number of CPUs"


def test_swapped_roles_are_refused() -> None:
    (why,) = problems([_p("metal", "bare-metal", virtualization="kvm"), _p("vm", "vm")])
    assert "the roles look swapped" in why


def test_confounders_that_differ_are_refused() -> None:
    a = _p("metal", "bare-metal", confounders={"thp": "always", "smt": "on", "steal": "0.1 %"})
    b = _p("vm", "vm", confounders={"thp": "madvise", "smt": "on", "steal": "3.0 %"})
    (why,) = problems([a, b])
    assert why == ("different thp: 'always' on metal vs 'madvise' on vm; the ratio would measure the thp "
                   "setting, not the platform (set it alike on both)")


def test_warnings_name_imitations_and_a_virtualized_bare_metal_target() -> None:
    bm = _p("metal", "bare-metal", virtualization="kvm")
    vm = _p("vm-like", "vm", origin="imitation", origin_reason="a local target confined by a CPU quota")
    first, second = warnings([bm, vm])
    assert first.startswith("the bare-metal target metal is itself a virtual machine (kvm)")
    assert second.startswith("vm-like is an imitation (a local target confined by a CPU quota)")
    assert "--accept-imitation" in second


UNFAIR = """\
advisor_targets: 1
targets:
  - name: metal
    role: bare-metal
    runner: local
  - name: vm
    role: vm
    runner: local
    cpus: [1]
"""


@pytest.mark.cpu1
@pytest.mark.skipif(shutil.which("sysbench") is None or (os.cpu_count() or 1) < 2,
                    reason="needs sysbench and two CPUs (.ci/run installs sysbench)")
def test_measure_refuses_an_unfair_comparison_unless_forced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import run
    from advisor.measure.results import load_result

    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(UNFAIR)
    args = ["measure", "--targets", "t.yaml", "--probe", "cpu", "--budget", "4", "--allow-disturbed"]
    assert run([*args, "-o", "refused.yaml"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert "t.yaml: cannot compare the targets: only vm is pinned to CPUs; the ratio would compare scheduling, " \
           "not platforms (pin both targets, or neither); fix the targets file or use --force-compare" in err
    assert "advisor: the runs were kept in refused.yaml; nothing was compared" in err
    assert load_result("refused.yaml").runs, "the runs are kept"

    assert run([*args, "-o", "forced.yaml", "--force-compare"]) == 0
    notes = load_result("forced.yaml").notes
    assert any(n.startswith("compared with --force-compare although: only vm is pinned") for n in notes)
