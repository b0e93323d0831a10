"""Several hosts per platform: host pairs in file order, a session per pair, the host as the unit.

The between-host interval is checked against hand-computed values; the pairing, the
targets-file errors and the per-pair fairness on their own; and a real replicated
comparison on local targets (two pairs, a 0.5 CPU quota on each 'VM') comes out slower
with the interval over hosts, while a single pair says that it rests on one host per arm.
"""

from __future__ import annotations

import math
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from fakes import FakeProbe, FakeRunner, jitter

from advisor import yamlio
from advisor.errors import DataError
from advisor.measure import stats
from advisor.measure.api import Placement
from advisor.measure.fairness import problems
from advisor.measure.manager import Registry, load_registry
from advisor.measure.replication import SINGLE_HOST_NOTE, replicate_comparison
from advisor.measure.results import ComparisonRecord, measured_facts
from advisor.measure.run import run_targets
from advisor.measure.targets import host_pairs, load_targets, parse_targets


def _pair(ratio: float, half: float = 0.02, n: int = 5, alpha: float = 0.01) -> ComparisonRecord:
    """A pair's comparison with a log-symmetric interval of half-width ``half`` (in logs)."""
    return ComparisonRecord(ratio=ratio, ci_low=ratio * math.exp(-half), ci_high=ratio * math.exp(half),
                            verdict="slower", n_bare_metal=n, n_vm=n, method="paired-t", alpha=alpha, band=0.05)


def test_the_interval_is_over_hosts_with_k_minus_1_degrees_of_freedom() -> None:
    ratios = [0.50, 0.55, 0.45]
    got = replicate_comparison([_pair(r) for r in ratios], better="higher", band=0.05, alpha=0.01, decision=True)
    logs = [math.log(r) for r in ratios]
    mean, sd = sum(logs) / 3, math.sqrt(sum((x - sum(logs) / 3) ** 2 for x in logs) / 2)
    half = stats.student_t_ppf(1 - 0.005, 2) * sd / math.sqrt(3)
    assert got.ratio == pytest.approx(math.exp(mean))
    assert (got.ci_low, got.ci_high) == (pytest.approx(math.exp(mean - half)), pytest.approx(math.exp(mean + half)))
    assert got.verdict == "slower" and got.hosts == 3 and got.n_bare_metal == got.n_vm == 3
    assert got.between_host_sd == pytest.approx(sd)
    assert got.method == "between-hosts t (3 host pairs)"
    assert got.note == f"3 hosts per arm; between-host spread x{math.exp(sd):.3g} (sd of the log ratio {sd:.3g})"


def test_identical_hosts_never_give_a_zero_width_interval() -> None:
    """The pairs' own standard error is the floor of the between-host standard deviation."""
    got = replicate_comparison([_pair(0.97, half=0.03), _pair(0.97, half=0.03)], better="higher", band=0.05,
                               alpha=0.01, decision=True)
    within = 0.03 / stats.student_t_ppf(1 - 0.005, 4)
    half = stats.student_t_ppf(1 - 0.005, 1) * within / math.sqrt(2)
    assert got.between_host_sd == 0.0 and got.ci_low == pytest.approx(0.97 * math.exp(-half))
    assert got.verdict == "inconclusive", "two hosts leave one degree of freedom: a wide interval"
    assert got.note.endswith("the pairs' own standard error is the floor")


def test_fewer_than_two_usable_pairs_give_no_interval() -> None:
    got = replicate_comparison([_pair(0.5), None], better="higher", band=0.05, alpha=0.01, decision=True)
    assert got.ci_low is None and got.verdict == "inconclusive" and got.ratio == 0.5
    assert got.note == "1 of 2 host pairs gave a ratio: no interval over hosts"


# --------------------------------------------------------------------------- the targets file and fairness


def _parse(text: str) -> list[object]:
    return list(parse_targets(yamlio.parse(textwrap.dedent(text), "t.yaml")))


def test_hosts_are_paired_in_file_order_and_counts_must_match() -> None:
    specs = parse_targets(yamlio.parse(textwrap.dedent("""\
        advisor_targets: 1
        targets:
          - {name: metal-1, role: bare-metal}
          - {name: vm-1, role: vm}
          - {name: metal-2, role: bare-metal}
          - {name: vm-2, role: vm}
        """), "t.yaml"))
    assert [(a.name, b.name) for a, b in host_pairs(specs)] == [("metal-1", "vm-1"), ("metal-2", "vm-2")]
    with pytest.raises(DataError) as info:
        _parse("""\
            advisor_targets: 1
            targets:
              - {name: metal-1, role: bare-metal}
              - {name: metal-2, role: bare-metal}
              - {name: vm-1, role: vm}
            """)
    assert [p.format() for p in info.value.problems] == [
        "t.yaml:4:27: 2 bare-metal and 1 vm targets: several hosts per platform are compared in pairs (the i-th "
        "bare-metal target with the i-th vm target); give as many vm targets as bare-metal ones, or role 'peer' to "
        "the extra ones"]


def test_fairness_is_checked_per_host_pair() -> None:
    def placement(name: str, role: str, cpu: str) -> Placement:
        return Placement(name, role, "ssh", name, cpu, 8, "6.1", "none" if role == "bare-metal" else "kvm")  # type: ignore[arg-type]

    same = [placement("metal-1", "bare-metal", "Xeon"), placement("metal-2", "bare-metal", "EPYC"),
            placement("vm-1", "vm", "Xeon"), placement("vm-2", "vm", "EPYC")]
    assert problems(same) == [], "hosts of one platform may differ; each pair matches"
    swapped = [same[0], same[1], same[3], same[2]]
    said = problems(swapped)
    assert len(said) == 2 and said[0].startswith("different CPU models: 'Xeon' (metal-1) vs 'EPYC' (vm-2)")


# --------------------------------------------------------------------------- sessions


def test_a_single_pair_says_it_rests_on_one_host_per_arm(tmp_path: Path) -> None:
    registry = Registry(runners={"fake": lambda spec: FakeRunner(spec.name)})
    (tmp_path / "t.yaml").write_text("advisor_targets: 1\ntargets:\n  - {name: metal, role: bare-metal, runner: fake}\n"
                                     "  - {name: virt, role: vm, runner: fake}\n")
    probe = FakeProbe("cpu", {"metal": jitter(1000, 0.01), "virt": jitter(500, 0.01)})
    result = run_targets(registry, load_targets(tmp_path / "t.yaml"), [probe], budget_s=60, band=None, suite="quick")
    assert result.hosts == 1 and SINGLE_HOST_NOTE in result.notes
    main = result.probes[0].main_metric()
    assert main is not None and main.comparison is not None and main.comparison.hosts == 1


TARGETS = """\
advisor_targets: 1
targets:
  - {name: metal-1, role: bare-metal, runner: local, cpus: [1], nice: -20}
  - {name: vm-1, role: vm, runner: local, cpus: [1], nice: -20, cpu_quota: 0.5}
  - {name: metal-2, role: bare-metal, runner: local, cpus: [1], nice: -20}
  - {name: vm-2, role: vm, runner: local, cpus: [1], nice: -20, cpu_quota: 0.5}
"""


@pytest.mark.cpu1
@pytest.mark.skipif(shutil.which("sysbench") is None or os.geteuid() != 0 or (os.cpu_count() or 1) < 2,
                    reason="needs sysbench, root (a CPU quota) and CPU 1")
def test_real_replication_over_two_host_pairs(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TARGETS)
    registry = load_registry()
    try:
        result = run_targets(registry, load_targets(tmp_path / "t.yaml"), [registry.probe("cpu")], budget_s=40.0,
                             band=None, suite="quick", allow_disturbed=True, accept_imitation=True, seed=11)
    except DataError as exc:  # a cgroup tree that cannot take a quota
        pytest.skip(str(exc))
    assert result.hosts == 2 and SINGLE_HOST_NOTE not in result.notes
    assert [t.target for t in result.targets] == ["metal-1", "vm-1", "metal-2", "vm-2"]
    assert {r.target for r in result.runs} == {"metal-1", "vm-1", "metal-2", "vm-2"}
    pr = result.probes[0]
    main = pr.main_metric()
    assert main is not None and main.comparison is not None
    comp = main.comparison
    assert comp.hosts == 2 and comp.method == "between-hosts t (2 host pairs)" and comp.between_host_sd is not None
    assert set(main.summary) == {"metal-1", "vm-1", "metal-2", "vm-2"}
    said = next(n for n in pr.notes if n.startswith("events_per_s replicated over 2 host pairs"))
    assert "metal-1/vm-1 0." in said and "metal-2/vm-2 0." in said and "between-host spread x" in said
    assert comp.ratio is not None and 0.4 < comp.ratio < 0.65, comp
    assert comp.ci_low is not None and comp.ci_high is not None and comp.ci_low < comp.ratio < comp.ci_high
    # the decision reads the interval over hosts
    facts = measured_facts(result)
    assert facts["measured.cpu.ratio"] == comp.ratio and facts["measured.cpu.ci_high"] == comp.ci_high


def test_the_documented_multi_host_example_is_a_valid_targets_file() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "measurement.md").read_text()
    block = doc.split("### Several hosts per platform", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    pairs = host_pairs(parse_targets(yamlio.parse(block, "docs/measurement.md")))
    assert [(a.name, b.name) for a, b in pairs] == [("metal-1", "vm-1"), ("metal-2", "vm-2")]
