"""Tipping points on the decision engine (advisor.sensitivity): the search on its own (a fake
evaluation), the sentences and triggers, a property test on the bundled format-2 pack (every
tipping point found is real, the value just before it is not), and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result as CliResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from advisor import decide, pipeline, sensitivity, tipping
from advisor.conditions import compile_condition
from advisor.questionnaire import Questionnaire


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return pipeline.load_questionnaire()


@pytest.fixture(scope="module")
def pack(q: Questionnaire) -> decide.Pack:
    return pipeline.load_decision_pack(questionnaire=q)


@pytest.fixture(scope="module")
def real(q: Questionnaire, pack: decide.Pack) -> decide.Decision:
    """A real decision with both options feasible (so it has an uncertainty to vary)."""
    d = pipeline.decide_profile({}, pack, questionnaire=q)
    assert d.uncertainty is not None
    return d


Fake = Callable[[Mapping[str, Any]], tuple[str, str | None, float]]


def _fake(q: Questionnaire, real: decide.Decision, decide_: Fake) -> sensitivity.Evaluate:
    """An evaluation whose (outcome, recommendation, P) is ``decide_(answers)``; the rest from a real decision."""
    assert real.uncertainty is not None

    def evaluate(answers: Mapping[str, Any]) -> decide.Decision:
        outcome, option, p = decide_(answers)
        unc = real.uncertainty.model_copy(update={"p_bare_metal_better": p})  # type: ignore[union-attr]
        return real.model_copy(update={"outcome": outcome, "recommendation": option, "uncertainty": unc,
                                       "configuration": {"bare-metal": "bare metal", "vm": "VM-backed"}.get(
                                           option or "", None),
                                       "facts": pipeline.decision_facts(answers, q)})

    return evaluate


def _points(analysis: sensitivity.Analysis) -> dict[tuple[str, str], sensitivity.TippingPoint]:
    return {(p.key, p.direction if p.kind in ("int", "float") else json.dumps(p.threshold)): p
            for p in analysis.tipping_points}


# --------------------------------------------------------------------------- the search on its own


def test_float_threshold_is_round_and_verified(q: Questionnaire, real: decide.Decision) -> None:
    # tips for latency in (37.25, 41]: not monotonic, and the boundary is not a round number
    def d(a: Mapping[str, Any]) -> tuple[str, str | None, float]:
        inside = 37.25 < float(a.get("latency_p99_ms", 200)) <= 41
        return ("recommend", "bare-metal", 0.9) if inside else ("recommend", "vm", 0.1)

    analysis = sensitivity.analyse({"latency_p99_ms": 30.0}, _fake(q, real, d), q, keys={"latency_p99_ms"})
    (point,) = analysis.tipping_points
    assert point.direction == "up" and 37.25 < point.threshold <= 37.25 * (1 + sensitivity.TOLERANCE)
    assert 37.25 * (1 - sensitivity.TOLERANCE) <= point.before <= 37.25
    assert point.threshold == float(f"{point.threshold:.5g}")  # rounded
    assert point.changes == ("recommendation", "probability")
    assert point.sentence == (f"Raising the p99 latency SLO to {point.threshold!r} ms or more would make bare metal "
                              "the better option (P(bare metal better) 0.10 -> 0.90).")
    assert analysis.robust == ()


def test_integer_bisection_is_exact_and_ranges_are_capped(q: Questionnaire, real: decide.Decision) -> None:
    seen: list[int] = []

    def d(a: Mapping[str, Any]) -> tuple[str, str | None, float]:
        value = int(a.get("crd_count", 30))
        seen.append(value)
        return ("recommend", "bare-metal", 0.9) if value >= 1234 or value <= 7 else ("recommend", "vm", 0.1)

    analysis = sensitivity.analyse({"crd_count": 30}, _fake(q, real, d), q, keys={"crd_count"})
    points = _points(analysis)
    assert (points[("crd_count", "up")].threshold, points[("crd_count", "up")].before) == (1234, 1233)
    assert (points[("crd_count", "down")].threshold, points[("crd_count", "down")].before) == (7, 8)
    assert points[("crd_count", "down")].condition == "crd_count < 8"
    assert points[("crd_count", "down")].trigger == "Revisit if the number of CRDs drops below 8."
    assert max(seen) <= 30 * sensitivity.MAX_FACTOR and min(seen) >= 0
    # a change beyond 100x the current value is out of reach: robust within the capped range
    analysis = sensitivity.analyse({"crd_count": 10}, _fake(q, real, d), q, keys={"crd_count"})
    assert [p.direction for p in analysis.tipping_points] == ["down"]


def test_probability_crossing_the_close_band_tips_it(q: Questionnaire, real: decide.Decision) -> None:
    # the same option and outcome throughout; P falls with the hosts and leaves the band above 0.8 at 41
    def d(a: Mapping[str, Any]) -> tuple[str, str | None, float]:
        hosts = int(a.get("physical_hosts", 20))
        return "recommend", "bare-metal", 0.95 if hosts <= 40 else 0.7

    analysis = sensitivity.analyse({"physical_hosts": 20}, _fake(q, real, d), q, keys={"physical_hosts"})
    (point,) = analysis.tipping_points
    assert (point.threshold, point.before, point.changes) == (41, 40, ("probability",))
    assert point.sentence == ("Raising the number of physical hosts above 40 would make it a close call, with bare "
                              "metal still leading (P(bare metal better) 0.95 -> 0.70).")
    narrow = sensitivity.analyse({"physical_hosts": 20}, _fake(q, real, d), q, keys={"physical_hosts"},
                            close_band=(0.5, 0.6))  # 0.7 is above this band too: nothing tips
    assert narrow.tipping_points == ()


def test_outcome_kinds_have_their_own_sentences(q: Questionnaire, real: decide.Decision) -> None:
    def d(a: Mapping[str, Any]) -> tuple[str, str | None, float]:
        automation = a.get("bare_metal_automation", "partial")
        return {"partial": ("recommend", "vm", 0.1), "none": ("tie", None, 0.5),
                "full": ("measure-first", "bare-metal", 0.6)}[automation]

    analysis = sensitivity.analyse({"bare_metal_automation": "partial"}, _fake(q, real, d), q,
                                   keys={"bare_metal_automation"})
    sentences = sorted(p.sentence for p in analysis.tipping_points)
    assert sentences == [
        "Setting the bare-metal automation to Full would call for measuring first, with bare metal leading "
        "(P(bare metal better) 0.10 -> 0.60).",
        "Setting the bare-metal automation to None would make it a tie (P(bare metal better) 0.10 -> 0.50).",
    ]


def test_budget_cuts_searches_short_and_says_so(q: Questionnaire, real: decide.Decision) -> None:
    evaluate = _fake(q, real, lambda a: ("recommend", "vm", 0.1))
    analysis = sensitivity.analyse({}, evaluate, q, budget=5)
    assert analysis.evaluations <= 6 and not analysis.complete
    assert any(not r.complete and "budget" in r.searched for r in analysis.robust)
    full = sensitivity.analyse({}, evaluate, q)
    assert full.complete and not full.tipping_points
    assert {r.key for r in full.robust} == {k for k in q.keys() if k != "workload_name"} - set(full.not_applicable)


def test_budget_cut_during_bisection_reports_the_bracket(q: Questionnaire, real: decide.Decision) -> None:
    evaluate = _fake(q, real, lambda a: ("recommend", "bare-metal" if int(a.get("crd_count", 30)) >= 1234
                                         else "vm", 0.5))
    analysis = sensitivity.analyse({"crd_count": 30}, evaluate, q, keys={"crd_count"}, cost=lambda a: 2.0, budget=20)
    assert not analysis.complete and not analysis.robust
    (cut,) = analysis.tipping_points  # the tipping end of the bracket, said as such: "to N or more"
    assert not cut.exact and cut.before < 1234 <= cut.threshold
    assert cut.condition == f"crd_count >= {cut.threshold}" and " or more would " in cut.sentence
    assert cut.to_dict()["exact"] is False
    full = sensitivity.analyse({"crd_count": 30}, evaluate, q, keys={"crd_count"}, cost=lambda a: 2.0)
    assert [(p.threshold, p.before, p.exact) for p in full.tipping_points] == [(1234, 1233, True)]


def test_questions_whose_condition_is_false_are_skipped(q: Questionnaire, real: decide.Decision) -> None:
    calls: list[Mapping[str, Any]] = []

    def d(a: Mapping[str, Any]) -> tuple[str, str | None, float]:
        calls.append(a)
        return "recommend", "vm", 0.1

    analysis = sensitivity.analyse({"site_type": "datacenter"}, _fake(q, real, d), q)
    assert {"hosts_per_site", "dedicated_hardware_required"} <= set(analysis.not_applicable)
    assert not any("hosts_per_site" in a or "dedicated_hardware_required" in a for a in calls)
    assert not any("workload_name" in a for a in calls)


# --------------------------------------------------------------------------- sentences and triggers


def _point(**kw: Any) -> sensitivity.TippingPoint:
    base: dict[str, Any] = dict(key="bare_metal_automation", kind="choice", group="input", current="partial",
                                direction="set", threshold="none", before=None, item=None, outcome="recommend",
                                recommendation="vm", configuration="VM-backed", p_before=0.9, p_after=0.2,
                                changes=("recommendation",), relative_change=1.0, label="the bare-metal automation",
                                labels={"none": "None", "full": "Full"})
    base.update(kw)
    return sensitivity.TippingPoint(**base)


def test_choices_with_one_effect_are_merged_into_one_trigger() -> None:
    points = [_point(threshold="full"), _point(threshold="none")]
    assert sensitivity.revisit_triggers(points) == ["bare_metal_automation in ['full', 'none']"]
    assert sensitivity.revisit_sentences(points) == ["Revisit if the bare-metal automation becomes Full or None."]
    analysis = sensitivity.Analysis("recommend", "bare-metal", "bare metal", 0.9, tuple(points), (), (), 3, True)
    assert analysis.changes() == ["Setting the bare-metal automation to Full or None would make VM-backed the "
                                  "better option."]
    # another effect is another sentence
    points.append(_point(threshold="x", outcome="tie", recommendation=None, configuration=None))
    assert len(sensitivity.revisit_triggers(points)) == 2


def test_number_bool_and_multi_choice_sentences() -> None:
    hosts = _point(key="physical_hosts", kind="int", current=20, direction="up", threshold=46, before=45,
                   label="the number of physical hosts", unit="hosts")
    assert hosts.condition == "physical_hosts > 45"
    assert hosts.sentence == ("Raising the number of physical hosts above 45 would make VM-backed the better option "
                              "(P(bare metal better) 0.90 -> 0.20).")
    slo = _point(key="latency_p99_ms", kind="float", current=5.0, direction="down", threshold=0.9995, before=1.0,
                 label="the p99 latency SLO", unit="ms")
    assert (slo.condition, slo.trigger) == ("latency_p99_ms < 1", "Revisit if the p99 latency SLO drops below 1 ms.")
    mandate = _point(key="bare_metal_mandated", kind="bool", current=False, threshold=True, outcome="one-ruled-out",
                     recommendation="bare-metal", configuration="bare metal", p_after=None,
                     prompt="Does a contract or regulation forbid a hypervisor layer?")
    assert mandate.condition == "bare_metal_mandated == true"
    assert mandate.sentence == ("Answering yes to \u201cDoes a contract or regulation forbid a hypervisor layer?\u201d "
                                "would rule out VM-backed, leaving bare metal.")
    lifted = _point(key="bare_metal_mandated", kind="bool", current=True, threshold=False, outcome="recommend",
                    recommendation="bare-metal", configuration="bare metal", changes=("outcome",),
                    outcome_before="one-ruled-out", p_before=None, p_after=0.95,
                    prompt="Does a contract or regulation forbid a hypervisor layer?")
    assert lifted.sentence == ("Answering no to \u201cDoes a contract or regulation forbid a hypervisor layer?\u201d "
                               "would bring VM-backed back into the comparison, with bare metal still the better "
                               "option.")
    pci = _point(key="compliance", kind="multi-choice", current=["none"], direction="add", threshold=["pci-dss"],
                 item="pci-dss", label="the compliance regimes", labels={"pci-dss": "PCI DSS"})
    assert (pci.condition, pci.trigger) == ("'pci-dss' in compliance", "Revisit if PCI DSS is added to the "
                                                                        "compliance regimes.")


def test_triggers_compile_and_hold_exactly_past_the_threshold(q: Questionnaire, pack: decide.Pack) -> None:
    answers: dict[str, Any] = {"latency_p99_ms": 5.0, "compliance": ["pci-dss"]}
    analysis = tipping.tipping_points(answers, pack, q, budget_ms=600)
    assert analysis.tipping_points
    types = q.fact_types()
    base = pipeline.build_facts(answers, q)
    for point in analysis.tipping_points:
        condition = compile_condition(point.condition, types)
        assert condition.evaluate(base) is False, point.condition
        changed = {**answers, point.key: point.threshold}
        assert condition.evaluate(pipeline.build_facts(changed, q)) is True, point.condition
        if point.before is not None:
            assert condition.evaluate(pipeline.build_facts({**answers, point.key: point.before}, q)) is False
    triggers = analysis.triggers(limit=3)
    assert [t.condition for t in triggers] == sensitivity.revisit_triggers(analysis.tipping_points, limit=3)
    assert all(t.sentence.startswith("Revisit if ") for t in triggers)


# --------------------------------------------------------------------------- property test, bundled pack

_profiles = st.fixed_dictionaries({
    "latency_p99_ms": st.sampled_from([0.05, 0.5, 2.0, 8.0, 50.0, 200.0]),
    "jitter_sensitive": st.booleans(),
    "tenant_count": st.sampled_from([1, 5, 300]),
    "untrusted_tenants": st.booleans(),
    "compliance": st.sampled_from([["none"], ["pci-dss"], ["hipaa", "soc2"]]),
    "physical_hosts": st.integers(3, 40),
    "gpu": st.sampled_from(["none", "inference", "training-multi-node"]),
    "existing_virtualization": st.sampled_from(["none", "vsphere", "public-cloud"]),
    "crd_count": st.integers(0, 200),
    "upgrade_duration_days": st.sampled_from([0.5, 3.0, 14.0]),
    "priority_performance": st.integers(1, 5),
    "priority_cost": st.integers(1, 5),
})


@settings(max_examples=examples(0.1), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(answers=_profiles)
def test_property_tipping_points_are_real_and_values_before_them_are_not(
        answers: dict[str, Any], q: Questionnaire, pack: decide.Pack) -> None:
    analysis = tipping.tipping_points(answers, pack, q, budget_ms=300)
    band = analysis.close_band

    def state(values: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
        d = pipeline.decide_profile(values, pack, questionnaire=q, seed=analysis.seed)
        return sensitivity.state(d, band)

    base = state(answers)
    assert (analysis.outcome, analysis.recommendation) == base[:2]
    for p in analysis.tipping_points:
        after = state({**answers, p.key: p.threshold})
        assert after != base and after[:2] == (p.outcome, p.recommendation), p
        if not p.exact:  # the budget stopped the bisection: the value before it does not tip
            assert p.kind in ("int", "float") and state({**answers, p.key: p.before}) == base, p
        elif p.kind == "int":
            assert p.before == p.threshold + (1 if p.direction == "down" else -1)
            assert state({**answers, p.key: p.before}) == base, p
        elif p.kind == "float":
            step = sensitivity.TOLERANCE * max(abs(p.threshold), abs(p.before))
            assert 0 < abs(p.threshold - p.before) <= step, p
            assert (p.before > p.threshold) == (p.direction == "down")
            assert state({**answers, p.key: p.before}) == base, p
        else:
            assert p.before is None
        assert p.sentence.endswith(".") and p.trigger.startswith("Revisit if ")
        compile_condition(p.condition, q.fact_types())
    assert [p.relative_change for p in analysis.tipping_points] == sorted(p.relative_change
                                                                          for p in analysis.tipping_points)


def test_a_profile_the_constraints_decided_searches_only_what_constraints_read(
        q: Questionnaire, pack: decide.Pack) -> None:
    answers = {"bare_metal_mandated": True, "physical_hosts": 12}
    analysis = tipping.tipping_points(answers, pack, q, budget_ms=400)
    assert analysis.outcome == "one-ruled-out"
    pruned = [r for r in analysis.robust if r.searched == tipping.SCREEN_DECIDED]
    assert {"priority_cost", "priority_performance"} < {r.key for r in pruned}
    assert "bare_metal_mandated" not in {r.key for r in pruned}
    assert analysis.tipping_points, "the mandate itself tips the decision"
    band = analysis.close_band

    def state(values: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
        d = pipeline.decide_profile(values, pack, questionnaire=q, seed=analysis.seed)
        return sensitivity.state(d, band)

    base = state(answers)
    for r in pruned:  # no change of an answer no constraint reads tips it: the pruning loses nothing
        question = q.by_key[r.key]
        if question.type in ("int", "float"):
            low = question.min if question.min is not None and not question.min_exclusive else r.current / 100
            high = r.current * 4 if r.current else 100
            changes = [low, high if question.max is None else min(high, question.max)]
        elif question.type == "bool":
            changes = [not r.current]
        elif question.type == "choice":
            changes = [v for v in question.choice_values if v != r.current][:3]
        else:
            continue
        for value in changes:
            assert state({**answers, r.key: value}) == base, (r.key, value)


def test_json_is_deterministic_and_says_the_decision(q: Questionnaire, pack: decide.Pack) -> None:
    first = tipping.tipping_points({"latency_p99_ms": 5.0}, pack, q, budget_ms=200).to_json()
    again = tipping.tipping_points({"latency_p99_ms": 5.0}, pack, q, budget_ms=200).to_json()
    assert first == again and first.endswith("\n")
    data = json.loads(first)
    d = pipeline.decide_profile({"latency_p99_ms": 5.0}, pack, questionnaire=q)
    assert (data["outcome"], data["recommendation"], data["p_bare_metal"]) == (d.outcome, d.recommendation,
                                                                               d.p_bare_metal)
    assert data["sentence"] == d.sentence and data["seed"] == d.uncertainty.seed  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the command


def test_cli_table_and_json(advisor: Callable[..., CliResult]) -> None:
    args = ("whatif", "--set", "latency_p99_ms=5", "--search-budget", "300")
    table = advisor(*args)
    assert table.exit_code == 0, table.stderr
    assert "Tipping points" in table.stdout and "would " in table.stdout and "Revisit if " in table.stdout
    first = advisor(*args, "--format", "json")
    again = advisor(*args, "--format", "json")
    assert first.exit_code == 0 and first.stdout == again.stdout
    data = json.loads(first.stdout)
    assert data["before"]["outcome"] and data["tipping_points"][0]["sentence"].endswith(".")


def test_cli_set_reports_the_change(advisor: Callable[..., CliResult], tmp_path: Path) -> None:
    profile = tmp_path / "p.profile.yaml"
    saved = advisor("assess", "--set", "workload_name=p", "--defaults", "--no-record", "--profile-output", str(profile))
    assert saved.exit_code == 0, saved.stderr
    result = advisor("whatif", "--profile", str(profile), "--set", "bare_metal_mandated=yes", "--search-budget", "50")
    assert result.exit_code == 0, result.stderr
    assert "Before the changes:" in result.stdout and "After the changes:" in result.stdout
    assert "one-ruled-out" in result.stdout


def test_cli_profile_and_errors(advisor: Callable[..., CliResult], tmp_path: Path) -> None:
    missing = advisor("whatif", "--profile", str(tmp_path / "nope.profile.yaml"))
    assert missing.exit_code != 0 and "nope.profile.yaml" in missing.stderr
    bad = advisor("whatif", "--set", "crd_count=-1")
    assert bad.exit_code != 0 and "crd_count" in bad.stderr


def test_shared_draws_give_the_same_decisions(q: Questionnaire, pack: decide.Pack) -> None:
    """What-if evaluations share value draws across decisions: the decisions are those made without sharing."""
    draws: dict[tuple[int, int], Any] = {}
    variants = [{}, {"latency_p99_ms": 0.5}, {"physical_hosts": 200}, {"untrusted_tenants": True},
                {"existing_virtualization": "vsphere", "priority_cost": 5}]
    for answers in variants:
        facts = pipeline.decision_facts(answers, q)
        shared = decide.decide(pack, facts, seed=7, draws=draws)
        assert shared == decide.decide(pack, facts, seed=7), answers
    assert list(draws) == [(7, pack.meta.samples)] and draws[(7, pack.meta.samples)]
