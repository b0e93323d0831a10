"""Result files (YAML/JSON, sha256) and the measured facts they give the rules."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fakes import FakeProbe, FakeRunner, jitter

from advisor.errors import DataError
from advisor.measure.results import (
    CATALOG_PROBES,
    MeasurementResult,
    load_result,
    measured_facts,
    slo_checks,
)
from advisor.measure.runners.local import LocalRunner
from advisor.measure.session import run_session
from advisor.rules.catalog import MEASURED, PROBES, check_fact_value


def _result(names: tuple[str, ...] = ("cpu", "net")) -> MeasurementResult:
    bm, vm = FakeRunner("metal"), FakeRunner("virt")
    probes = [FakeProbe(n, {"metal": jitter(1000, 0.01), "virt": jitter(500, 0.01)}) for n in names]
    return run_session({"bare-metal": bm, "vm": vm}, probes, budget_s=100)


def test_catalog_probes_in_step_with_the_rule_catalog() -> None:
    assert set(CATALOG_PROBES) == set(PROBES)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip_and_sha256(tmp_path: Path, suffix: str) -> None:
    result = _result()
    path = tmp_path / f"m{suffix}"
    digest = result.to_file(path)
    loaded = load_result(path)
    assert loaded.sha256 == digest == result.content_digest()
    assert loaded.model_dump(exclude={"sha256"}) == result.model_dump(exclude={"sha256"})
    assert loaded.targets[0].role == "bare-metal" and loaded.targets[0].tool_versions == {"tool": "tool 1.0"}
    assert len(loaded.runs) == len(result.runs) and loaded.runs[0].values
    if suffix == ".json":
        json.loads(path.read_text())


def test_edited_result_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    _result().to_file(path)
    text = path.read_text().replace("verdict: slower", "verdict: equivalent", 1)
    path.write_text(text)
    with pytest.raises(DataError, match="sha256 does not match"):
        load_result(path)
    assert load_result(path, verify=False).probes


def test_invalid_result_file_has_positions(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("advisor_measurement: 1\nadvisor_version: x\ncreated: now\nsuite: fast\n")
    with pytest.raises(DataError) as info:
        load_result(path)
    assert f"{path}:4:8" in info.value.format()


def test_measured_facts_are_catalog_facts() -> None:
    facts = measured_facts(_result(("cpu", "net", "disk", "myplugin")))
    assert set(facts) <= set(MEASURED)
    assert {"measured.cpu.ratio", "measured.cpu.ci_low", "measured.cpu.ci_high", "measured.cpu.verdict",
            "measured.net.p99_ratio", "measured.disk.p99_ratio"} <= set(facts)
    assert not any("myplugin" in k for k in facts)
    for name, value in facts.items():
        check_fact_value(MEASURED[name], value)  # type and choices as the catalog says
    assert facts["measured.cpu.ratio"] == pytest.approx(0.5, rel=0.02)
    assert facts["measured.cpu.verdict"] == "slower"
    assert facts["measured.net.p99_ratio"] == pytest.approx(2.0, rel=0.02)


def test_single_host_gives_no_facts_but_slo_checks() -> None:
    probe = FakeProbe("net", {"host": jitter(100, 0.01)})
    result = run_session({"bare-metal": FakeRunner("host")}, [probe], budget_s=10)
    assert measured_facts(result) == {}
    checks = slo_checks(result, 5.0)
    assert len(checks) == 1 and checks[0].metric == "p99_us"
    assert checks[0].value_ms == pytest.approx(0.01, rel=0.02) and checks[0].fraction == pytest.approx(0.002, rel=0.02)


def test_an_imitation_is_never_a_measurement_of_your_platform() -> None:
    """A local target with a quota, pinning or netns imitates a platform: no facts unless accepted."""
    result = _result(("cpu",))
    result.targets[1] = dataclasses.replace(result.targets[1], origin="imitation",
                                            origin_reason="a local target confined by a CPU quota")
    assert [t.target for t in result.imitations] == ["virt"]
    assert measured_facts(result) == {}
    accepted = result.model_copy(update={"accept_imitation": True})
    assert measured_facts(accepted)["measured.cpu.verdict"] == "slower"


def test_a_real_local_target_is_real_and_a_confined_one_an_imitation() -> None:
    plain, pinned = LocalRunner("plain"), LocalRunner("pinned", cpus=[0])
    try:
        assert plain.placement("bare-metal").origin == "real"
        placement = pinned.placement("vm")
        assert placement.origin == "imitation" and placement.origin_reason == "a local target confined by CPU pinning"
    finally:
        plain.close()
        pinned.close()


def test_refused_probes_and_undecided_tails_give_no_facts() -> None:
    result = _result(("cpu", "net"))
    result.probes[0].refused = "implausible: ..."
    facts = measured_facts(result)
    assert not any(k.startswith("measured.cpu.") for k in facts) and "measured.net.ratio" in facts
    p99 = result.probes[1].metrics[1]
    assert p99.comparison is not None
    p99.comparison = p99.comparison.model_copy(update={"verdict": "inconclusive"})
    assert "measured.net.p99_ratio" not in measured_facts(result)  # an inconclusive tail says nothing
