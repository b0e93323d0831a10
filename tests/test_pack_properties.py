"""Properties of the default rule pack (rules/) over generated profiles.

Profiles are generated from the questionnaire's own question definitions (types,
choices, bounds; every key optional, so partial profiles too) and assessed through
the pipeline exactly as ``advisor assess`` does. The properties:

* no valid profile crashes the assessment, and the same profile gives the same JSON;
* knock-outs always win, and a bare-metal mandate always yields bare metal;
* lowering ``latency_p99_ms`` never moves the result toward VM-backed nodes;
* raising ``tenant_count`` with untrusted tenants never moves it toward bare metal.

The fleet-size answers that drive the fault-domain graph are drawn from a smaller
(still valid) range than the questionnaire allows, so that hundreds of profiles
run in seconds (the thorough hypothesis profile runs ten times as many).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import examples

from advisor import pipeline
from advisor.questionnaire import Question
from advisor.rules.model import Pack
from advisor.scoring import Result

QUESTIONNAIRE = pipeline.load_questionnaire()
PACK: Pack = pipeline.load_pack()

#: Upper bounds for the answers that size the fault-domain graph (the graph grows with
#: hosts x services x VMs); every other answer uses the questionnaire's full range.
GRAPH_CAPS: dict[str, int] = {
    "physical_hosts": 48,
    "racks": 16,
    "microservices_per_host": 48,
    "replicas_per_service": 12,
    "vms_per_host": 16,
    "clusters": 64,
    "hosts_per_site": 12,
}

#: Values near the thresholds the rules use, mixed into the numeric strategies.
LATENCIES = [0.001, 0.05, 0.0999, 0.1, 0.5, 0.999, 1.0, 5.0, 9.99, 10.0, 49.9, 50.0, 200.0, 60000.0]
TENANTS = [1, 2, 9, 10, 19, 20, 21, 100, 1000, 1_000_000]

#: Recommendation order from VM-backed to bare metal ("none" is a tie between them).
RANK = {"vm": 0, "none": 1, "bare-metal": 2}

PROFILE_SETTINGS = settings(max_examples=examples(5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAIR_SETTINGS = settings(max_examples=examples(3), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _numbers(q: Question) -> st.SearchStrategy[Any]:
    low = q.min if q.min is not None else 0
    high = q.max if q.max is not None else 1e9
    high = min(high, GRAPH_CAPS.get(q.key, high))
    if q.type == "int":
        base: st.SearchStrategy[Any] = st.integers(int(low), int(high))
        if q.key == "tenant_count":
            base = st.one_of(base, st.sampled_from(TENANTS))
        return base
    base = st.floats(float(low), float(high), exclude_min=q.min_exclusive, allow_nan=False, allow_infinity=False)
    if q.key == "latency_p99_ms":
        base = st.one_of(base, st.sampled_from(LATENCIES))
    return base


def _strategy(q: Question) -> st.SearchStrategy[Any]:
    if q.type == "str":
        return st.just("prop-test")
    if q.type == "bool":
        return st.booleans()
    if q.type in ("int", "float"):
        return _numbers(q)
    values = q.choice_values
    if q.type == "choice":
        return st.sampled_from(values)
    exclusive = [c.value for c in q.choices or () if c.exclusive]
    others = [v for v in values if v not in exclusive]
    subsets = st.lists(st.sampled_from(others), min_size=1, max_size=len(others), unique=True)
    if not exclusive:  # e.g. vm_io_paths: no "none" choice
        return subsets
    return st.one_of(st.sampled_from(exclusive).map(lambda v: [v]), subsets)


STRATEGIES = {q.key: _strategy(q) for q in QUESTIONNAIRE.questions}

#: Valid (possibly partial) profiles: every answer optional, each drawn from its question.
profiles = st.fixed_dictionaries({}, optional=STRATEGIES)


def assess(answers: dict[str, Any]) -> Result:
    return pipeline.evaluate(answers, PACK, QUESTIONNAIRE)


def lean(result: Result) -> float:
    """How far the result leans to bare metal: score(bare-metal) - score(vm)."""
    return result.scores["bare-metal"] - result.scores["vm"]


def test_generated_profiles_are_valid() -> None:
    """The strategies cover every question, so generated profiles use every key the rules read."""
    assert set(STRATEGIES) == set(QUESTIONNAIRE.keys())


@PROFILE_SETTINGS
@given(profiles)
def test_no_crash_and_deterministic(answers: dict[str, Any]) -> None:
    first = assess(answers)
    second = assess(dict(answers))
    assert first.to_json() == second.to_json()
    assert first.recommendation in RANK
    assert abs(first.scores["bare-metal"] + first.scores["vm"] - 1.0) < 1e-3
    assert 0.0 <= first.confidence.value <= 1.0
    assert 0.0 <= first.margin <= 1.0


@PROFILE_SETTINGS
@given(profiles)
def test_knock_outs_always_win(answers: dict[str, Any]) -> None:
    result = assess(answers)
    ruled_out = {hit.option for hit in result.knock_outs}
    assert ruled_out <= {"vm"}, "the default pack knocks out nothing but the VM-backed option"
    if ruled_out:
        assert result.recommendation == "bare-metal"
        assert result.decided_by == "knock-out"
        assert not result.close
    if answers.get("bare_metal_mandated"):
        assert result.recommendation == "bare-metal"


@PAIR_SETTINGS
@given(profiles)
def test_bare_metal_mandate_always_yields_bare_metal(answers: dict[str, Any]) -> None:
    result = assess({**answers, "bare_metal_mandated": True})
    assert result.recommendation == "bare-metal"
    assert "vm" in result.ruled_out


@PAIR_SETTINGS
@given(profiles, STRATEGIES["latency_p99_ms"], STRATEGIES["latency_p99_ms"])
def test_lowering_latency_never_moves_toward_vm(answers: dict[str, Any], a: float, b: float) -> None:
    assume(a != b)
    lower, higher = min(a, b), max(a, b)
    tight = assess({**answers, "latency_p99_ms": lower})
    loose = assess({**answers, "latency_p99_ms": higher})
    assert lean(tight) >= lean(loose) - 1e-9, (tight.drivers, loose.drivers)
    assert RANK[tight.recommendation] >= RANK[loose.recommendation]


@PAIR_SETTINGS
@given(profiles, STRATEGIES["tenant_count"], STRATEGIES["tenant_count"])
def test_more_untrusted_tenants_never_moves_toward_bare_metal(answers: dict[str, Any], a: int, b: int) -> None:
    assume(a != b)
    fewer, more = min(a, b), max(a, b)
    base = {**answers, "tenancy": "multi-tenant-untrusted"}
    few = assess({**base, "tenant_count": fewer})
    many = assess({**base, "tenant_count": more})
    assert lean(many) <= lean(few) + 1e-9, (few.drivers, many.drivers)
    assert RANK[many.recommendation] <= RANK[few.recommendation]


# ----------------------------------------------------------------------------- the pack itself


def test_pack_shape() -> None:
    """At least 30 rules; weights 1-5; every rule cites graded evidence; one knock-out, of VM."""
    assert len(PACK.rules) >= 30
    knock_outs = [r for r in PACK.rules if r.rule.knock_out is not None]
    assert [(r.id, r.rule.knock_out.option) for r in knock_outs if r.rule.knock_out] == [
        ("bare-metal-mandated", "vm")
    ]
    for rule in PACK.rules:
        assert rule.rule.evidence, rule.id
        assert all(e.claim.strip() and e.source.strip() for e in rule.rule.evidence), rule.id
        if rule.rule.effect is not None:
            assert 1 <= rule.rule.effect.weight <= 5, rule.id


LATENCY_READERS = sorted(r.id for r in PACK.rules if "latency_p99_ms" in r.condition.names)


@pytest.mark.parametrize("rule_id", LATENCY_READERS)
def test_latency_rules_point_the_right_way(rule_id: str) -> None:
    """A latency rule favouring bare metal fires only below a bound, one favouring VM only above."""
    rule = PACK.by_id[rule_id]
    effect = rule.rule.effect
    assert effect is not None
    grid = sorted({*LATENCIES, 0.0005, 2.0, 20.0, 100.0, 1000.0, 3_600_000.0})
    for others in ({}, {"jitter_sensitive": True}, {"jitter_sensitive": False, "workload_class": "stateful-database"}):
        fired = [assess({**others, "latency_p99_ms": x}).findings for x in grid]
        outcome = [next(f.outcome for f in found if f.rule_id == rule_id) == "fired" for found in fired]
        if effect.favours == "bare-metal":
            assert outcome == sorted(outcome, reverse=True), (rule_id, others, outcome)
        else:
            assert outcome == sorted(outcome), (rule_id, others, outcome)
