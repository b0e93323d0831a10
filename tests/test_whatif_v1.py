"""Tipping points on the format-1 engine (advisor.whatif_v1, used by the record until it decides with
advisor.decide; removed with advisor.scoring): hand-computed thresholds on a tiny pack, the search on
its own (a fake evaluation) and a property test on the default pack."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from advisor import pipeline
from advisor import whatif_v1 as whatif
from advisor.conditions import compile_condition
from advisor.questionnaire import Questionnaire
from advisor.rules.model import Pack
from advisor.scoring import Result

FIXTURE = Path(__file__).resolve().parent / "data" / "whatif"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return pipeline.load_questionnaire()


@pytest.fixture(scope="module")
def tiny(q: Questionnaire) -> Pack:
    return pipeline.load_pack([FIXTURE], q, cases=False)


@pytest.fixture(scope="module")
def default_pack(q: Questionnaire) -> Pack:
    return pipeline.load_pack(None, q, cases=False)


def _points(analysis: whatif.Analysis) -> dict[tuple[str, str], whatif.TippingPoint]:
    return {(p.key, p.direction if p.kind in ("int", "float") else json.dumps(p.threshold)): p
            for p in analysis.tipping_points}


# --------------------------------------------------------------------------- the tiny pack, by hand
# low-latency: latency_p99_ms < 10 -> performance, bare metal, 4 | many-crds: crd_count >= 50 -> operations, vm, 5
# vsphere: existing_virtualization == 'vsphere' -> operations, vm, 5 | pci: 'pci-dss' in compliance -> isolation, vm, 5
# mandate: bare_metal_mandated -> knock-out vm. All peer-reviewed (factor 1), priorities 3.


def test_tiny_pack_thresholds(q: Questionnaire, tiny: Pack) -> None:
    # bare metal 3 x 4 = 12 against vm 0
    analysis = pipeline._tipping_points_v1({"latency_p99_ms": 5, "crd_count": 30}, tiny, q)
    assert analysis.recommendation == "bare-metal" and analysis.complete
    points = _points(analysis)
    crd = points[("crd_count", "up")]
    assert (crd.threshold, crd.before, crd.recommendation) == (50, 49, "vm")  # vm 15 > 12
    assert crd.relative_change == pytest.approx(20 / 30)
    assert crd.condition == "crd_count > 49"
    assert crd.sentence == "revisit if crd_count rises above 49"
    latency = points[("latency_p99_ms", "up")]
    assert latency.threshold == 10 and latency.recommendation == "none"  # nothing fires: a tie
    assert 10 - 10 * whatif.TOLERANCE <= latency.before < 10
    assert latency.condition == "latency_p99_ms >= 10"
    assert points[("existing_virtualization", '"vsphere"')].recommendation == "vm"
    pci = points[("compliance", '["pci-dss"]')]
    assert (pci.direction, pci.item, pci.condition) == ("add", "pci-dss", "'pci-dss' in compliance")
    assert pci.sentence == "revisit if pci-dss is added to compliance"
    # sorted by relative change: crd_count (0.67) first, then the categorical changes (1.0), latency (1.0)
    assert analysis.tipping_points[0].key == "crd_count"
    assert [p.relative_change for p in analysis.tipping_points] == sorted(p.relative_change
                                                                          for p in analysis.tipping_points)
    robust = {r.key: r for r in analysis.robust}
    assert {"bare_metal_mandated", "priority_performance", "racks", "gpu"} <= set(robust)
    assert "workload_name" not in robust and "tenant_count" in robust
    assert all(r.complete for r in analysis.robust)
    assert "hypervisor_license_per_core_year" in analysis.not_applicable  # existing_virtualization: none
    assert ("latency_p99_ms", "down") not in points


def test_tiny_pack_priorities(q: Questionnaire, tiny: Pack) -> None:
    # bare metal 3 x 4 = 12 against vm 3 x 5 = 15: vm
    analysis = pipeline._tipping_points_v1({"latency_p99_ms": 5, "crd_count": 60}, tiny, q)
    assert analysis.recommendation == "vm"
    points = _points(analysis)
    perf = points[("priority_performance", "up")]
    assert (perf.threshold, perf.before, perf.group) == (4, 3, "priority")  # 16 > 15
    ops = points[("priority_operations", "down")]
    assert (ops.threshold, ops.before) == (2, 3)  # 12 > 10
    assert ops.condition == "priority_operations < 3"
    crd = points[("crd_count", "down")]
    assert (crd.threshold, crd.before, crd.condition) == (49, 50, "crd_count < 50")
    assert crd.sentence == "revisit if crd_count drops below 50"


def test_knock_out_says_what_removes_it(q: Questionnaire, tiny: Pack) -> None:
    analysis = pipeline._tipping_points_v1({"bare_metal_mandated": True}, tiny, q)
    assert (analysis.recommendation, analysis.decided_by, analysis.knock_outs) == ("bare-metal", "knock-out",
                                                                                   ("mandate",))
    (point,) = analysis.tipping_points
    assert (point.key, point.threshold, point.knock_outs) == ("bare_metal_mandated", False, ())
    assert analysis.removing_knock_outs() == (point,)
    assert whatif.revisit_triggers(analysis.tipping_points) == ["bare_metal_mandated == false"]


def test_revisit_triggers_compile_and_hold_exactly_past_the_threshold(q: Questionnaire, tiny: Pack) -> None:
    answers: dict[str, Any] = {"latency_p99_ms": 5, "crd_count": 30}
    analysis = pipeline._tipping_points_v1(answers, tiny, q)
    triggers = whatif.revisit_triggers(analysis.tipping_points, limit=10)
    sentences = whatif.revisit_sentences(analysis.tipping_points, limit=10)
    assert len(triggers) == len(sentences) == len(analysis.tipping_points)
    types = q.fact_types()
    base = pipeline.build_facts(answers, q)
    for point, text in zip(analysis.tipping_points, triggers, strict=True):
        condition = compile_condition(text, types)
        assert condition.evaluate(base) is False, text
        assert condition.evaluate(pipeline.build_facts({**answers, point.key: point.threshold}, q)) is True, text
        if point.before is not None:
            assert condition.evaluate(pipeline.build_facts({**answers, point.key: point.before}, q)) is False
    assert whatif.revisit_triggers(analysis.tipping_points, limit=2) == triggers[:2]


def test_choices_that_flip_are_merged_into_one_trigger() -> None:
    def point(value: str) -> whatif.TippingPoint:
        return whatif.TippingPoint(key="tenancy", kind="choice", group="input", current="multi-team",
                                   direction="set", threshold=value, before=None, item=None, recommendation="vm",
                                   decided_by="score", knock_outs=(), relative_change=1.0)

    points = [point("multi-tenant-untrusted"), point("single-team")]
    assert whatif.revisit_triggers(points) == ["tenancy in ['multi-tenant-untrusted', 'single-team']"]
    assert whatif.revisit_sentences(points) == ["revisit if tenancy becomes multi-tenant-untrusted or single-team"]


# --------------------------------------------------------------------------- the search on its own


def _fake(q: Questionnaire, default_pack: Pack, decide: Callable[[Mapping[str, Any]], str]
          ) -> Callable[[Mapping[str, Any]], Result]:
    """An evaluation whose recommendation is ``decide(answers)`` (the rest from a real result)."""
    real = pipeline.evaluate({}, default_pack, q)

    def evaluate(answers: Mapping[str, Any]) -> Result:
        return real.model_copy(update={"recommendation": decide(answers),
                                       "facts": pipeline.build_facts(answers, q)})

    return evaluate


def test_float_threshold_is_round_and_verified(q: Questionnaire, default_pack: Pack) -> None:
    # flips for latency in (37.25, 41]: not monotonic, and the boundary is not a round number
    def decide(a: Mapping[str, Any]) -> str:
        return "bare-metal" if 37.25 < float(a.get("latency_p99_ms", 200)) <= 41 else "vm"

    analysis = whatif.analyse({"latency_p99_ms": 30.0}, _fake(q, default_pack, decide), q,
                              keys={"latency_p99_ms"})
    (point,) = analysis.tipping_points
    assert point.direction == "up" and 37.25 < point.threshold <= 37.25 * (1 + whatif.TOLERANCE)
    assert 37.25 * (1 - whatif.TOLERANCE) <= point.before <= 37.25
    assert point.threshold == float(f"{point.threshold:.5g}")  # rounded
    # beyond 41 it flips back: the search reports the nearest boundary only, downward nothing
    assert [r.key for r in analysis.robust] == []


def test_integer_bisection_is_exact_and_ranges_are_capped(q: Questionnaire, default_pack: Pack) -> None:
    seen: list[int] = []

    def decide(a: Mapping[str, Any]) -> str:
        value = int(a.get("crd_count", 30))
        seen.append(value)
        return "bare-metal" if value >= 1234 or value <= 7 else "vm"

    analysis = whatif.analyse({"crd_count": 30}, _fake(q, default_pack, decide), q, keys={"crd_count"})
    points = _points(analysis)
    assert (points[("crd_count", "up")].threshold, points[("crd_count", "up")].before) == (1234, 1233)
    assert (points[("crd_count", "down")].threshold, points[("crd_count", "down")].before) == (7, 8)
    assert max(seen) <= 30 * whatif.MAX_FACTOR and min(seen) >= 0
    # a flip beyond 100x the current value is out of reach: robust within the capped range
    analysis = whatif.analyse({"crd_count": 10}, _fake(q, default_pack, decide), q, keys={"crd_count"})
    assert [p.direction for p in analysis.tipping_points] == ["down"]


def test_budget_cuts_searches_short_and_says_so(q: Questionnaire, default_pack: Pack) -> None:
    evaluate = _fake(q, default_pack, lambda a: "vm")
    analysis = whatif.analyse({}, evaluate, q, budget=5)
    assert analysis.evaluations <= 6 and not analysis.complete
    assert any(not r.complete and "budget" in r.searched for r in analysis.robust)
    full = whatif.analyse({}, evaluate, q)
    assert full.complete and not full.tipping_points
    assert {r.key for r in full.robust} == {k for k in q.keys() if k != "workload_name"} - set(full.not_applicable)


def test_budget_cut_during_bisection_reports_the_bracket(q: Questionnaire, default_pack: Pack) -> None:
    evaluate = _fake(q, default_pack, lambda a: "bare-metal" if int(a.get("crd_count", 30)) >= 1234 else "vm")
    analysis = whatif.analyse({"crd_count": 30}, evaluate, q, keys={"crd_count"}, cost=lambda a: 2.0, budget=40)
    assert not analysis.complete and not analysis.tipping_points
    (robust,) = analysis.robust
    assert not robust.complete and robust.searched.startswith("flips between ")
    full = whatif.analyse({"crd_count": 30}, evaluate, q, keys={"crd_count"}, cost=lambda a: 2.0)
    assert [(p.threshold, p.before) for p in full.tipping_points] == [(1234, 1233)]


def test_questions_whose_condition_is_false_are_skipped(q: Questionnaire, default_pack: Pack) -> None:
    calls: list[Mapping[str, Any]] = []

    def decide(a: Mapping[str, Any]) -> str:
        calls.append(a)
        return "vm"

    analysis = whatif.analyse({"tenancy": "single-team"}, _fake(q, default_pack, decide), q)
    assert {"tenant_count", "hosts_per_site", "dedicated_hardware_required"} <= set(analysis.not_applicable)
    assert not any("tenant_count" in a or "hosts_per_site" in a for a in calls)
    assert not any("workload_name" in a for a in calls)


@pytest.mark.parametrize("answers", [{}, {"latency_p99_ms": 0.5, "physical_hosts": 12, "tenancy": "single-team"},
                                     {"bare_metal_mandated": True, "physical_hosts": 8}], ids=["default", "hft", "ko"])
def test_the_bound_only_prunes_answers_that_cannot_flip(answers: dict[str, Any], q: Questionnaire,
                                                        default_pack: Pack) -> None:
    base = pipeline.evaluate(answers, default_pack, q)
    may = pipeline._v1_may_flip(default_pack, q, base)
    pruned = set(q.keys()) - may - {"workload_name"}
    assert pruned, "the bound should settle some answers"

    def evaluate(values: Mapping[str, Any]) -> Result:
        return pipeline.evaluate(values, default_pack, q)

    exhaustive = whatif.analyse(answers, evaluate, q, keys=pruned)  # no bound, no budget
    assert exhaustive.complete and exhaustive.tipping_points == ()


def test_json_is_deterministic(q: Questionnaire, tiny: Pack) -> None:
    first = pipeline._tipping_points_v1({"latency_p99_ms": 5}, tiny, q).to_json()
    again = pipeline._tipping_points_v1({"latency_p99_ms": 5}, tiny, q).to_json()
    assert first == again and first.endswith("\n")
    data = json.loads(first)
    assert data["recommendation"] == "bare-metal" and data["revisit_triggers"]


# --------------------------------------------------------------------------- property test, default pack

_profiles = st.fixed_dictionaries({
    "latency_p99_ms": st.sampled_from([0.05, 0.5, 2.0, 8.0, 50.0, 200.0]),
    "jitter_sensitive": st.booleans(),
    "tenancy": st.sampled_from(["single-team", "multi-team", "multi-tenant-untrusted"]),
    "compliance": st.sampled_from([["none"], ["pci-dss"], ["hipaa", "soc2"]]),
    "physical_hosts": st.integers(3, 40),
    "microservices_per_host": st.integers(2, 30),
    "gpu": st.sampled_from(["none", "inference", "training-multi-node"]),
    "existing_virtualization": st.sampled_from(["none", "vsphere", "public-cloud"]),
    "k8s_versions_in_production": st.integers(1, 5),
    "crd_count": st.integers(0, 200),
    "upgrade_duration_days": st.sampled_from([0.5, 3.0, 14.0]),
    "priority_performance": st.integers(1, 5),
    "priority_cost": st.integers(1, 5),
})


@settings(max_examples=examples(0.2), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(answers=_profiles)
def test_property_thresholds_flip_and_values_before_them_do_not(answers: dict[str, Any], q: Questionnaire,
                                                                default_pack: Pack) -> None:
    analysis = pipeline._tipping_points_v1(answers, default_pack, q)
    base = pipeline.evaluate(answers, default_pack, q).recommendation
    assert analysis.recommendation == base

    def rec(key: str, value: Any) -> str:
        return pipeline.evaluate({**answers, key: value}, default_pack, q).recommendation

    for p in analysis.tipping_points:
        assert rec(p.key, p.threshold) == p.recommendation != base, p
        if p.kind == "int":
            assert p.before == p.threshold + (1 if p.direction == "down" else -1)
            assert rec(p.key, p.before) == base, p
        elif p.kind == "float":
            step = whatif.TOLERANCE * max(abs(p.threshold), abs(p.before))
            assert 0 < abs(p.threshold - p.before) <= step, p
            assert (p.before > p.threshold) == (p.direction == "down")
            assert rec(p.key, p.before) == base, p
        else:
            assert p.before is None
    keys = [p.key for p in analysis.tipping_points] + [r.key for r in analysis.robust]
    assert len(set(keys)) <= len(keys) and not set(analysis.not_applicable) & set(keys)
    assert [p.relative_change for p in analysis.tipping_points] == sorted(p.relative_change
                                                                          for p in analysis.tipping_points)
    for text in whatif.revisit_triggers(analysis.tipping_points):
        compile_condition(text, q.fact_types())
    assert not math.isnan(sum(p.relative_change for p in analysis.tipping_points))
