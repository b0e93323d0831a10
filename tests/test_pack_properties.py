"""Properties of the default rule pack (rules/, format 2) over generated profiles.

Profiles are generated from the questionnaire's own question definitions (types,
choices, bounds; every key optional, so partial profiles too) and decided through
the pipeline exactly as ``advisor assess`` does. The properties:

* no valid profile crashes the decision, and the same profile gives the same JSON;
* an option ruled out is never recommended, and a bare-metal mandate always rules
  VM-backed nodes out;

The declared direction of every answer (a lower SLO never moves toward VM-backed nodes, ...)
is tested with common random numbers in tests/test_decide_properties.py.

The fleet-size answers that drive the fault-domain graph are drawn from a smaller
(still valid) range than the questionnaire allows, so that hundreds of profiles
run in seconds (the thorough hypothesis profile runs ten times as many).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from advisor import pipeline
from advisor.decide import Decision, Pack
from advisor.errors import DataError
from advisor.questionnaire import Question

QUESTIONNAIRE = pipeline.load_questionnaire()
PACK: Pack = pipeline.load_decision_pack(questionnaire=QUESTIONNAIRE)

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

#: The smallest SLO the questionnaire accepts (1 us: no network round trip is faster).
MIN_SLO_MS = 0.001

#: Recommendation order from VM-backed to bare metal (None: no option recommended).
RANK: dict[str | None, int] = {"vm": 0, None: 1, "bare-metal": 2}

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
    if q.key == "latency_p99_ms":
        low = max(low, MIN_SLO_MS)
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


def assess(answers: dict[str, Any]) -> Decision:
    return pipeline.decide_profile(answers, PACK, questionnaire=QUESTIONNAIRE)


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
    if first.p_bare_metal is not None:
        assert 0.0 <= first.p_bare_metal <= 1.0


@PROFILE_SETTINGS
@given(profiles)
def test_an_option_ruled_out_is_never_recommended(answers: dict[str, Any]) -> None:
    result = assess(answers)
    ruled_out = {o for o, r in result.options.items() if r.status == "infeasible"}
    assert result.recommendation not in ruled_out
    if ruled_out == {"vm"}:
        assert result.recommendation == "bare-metal"
    if answers.get("bare_metal_mandated"):
        assert "vm" in ruled_out


@PAIR_SETTINGS
@given(profiles)
def test_bare_metal_mandate_always_rules_out_vm(answers: dict[str, Any]) -> None:
    result = assess({**answers, "bare_metal_mandated": True})
    assert result.options["vm"].status == "infeasible"
    assert result.recommendation in ("bare-metal", None)  # None only when bare metal is ruled out too


def test_a_vanishing_slo_is_refused_and_the_smallest_one_decided() -> None:
    """An SLO of 1e-300 ms once crashed the engine (an estimate overflowed); below 1 us no network round
    trip fits, so the questionnaire refuses it, and the smallest accepted SLO is decided for bare metal."""
    with pytest.raises(DataError, match="latency_p99_ms"):
        assess({"latency_p99_ms": 1e-300})
    assert assess({"latency_p99_ms": MIN_SLO_MS}).recommendation == "bare-metal"


# ----------------------------------------------------------------------------- the pack itself


def test_pack_shape() -> None:
    """Constraints and consequences for both options; the mandate rules VM out; every ranged estimate cites evidence."""
    # 17 consequences since operations (layers, upgrade days, skills gap) and resilience (kernel blast radius,
    # quorum loss) are one estimate per option each, so that one fact enters one criterion once
    assert len(PACK.constraints) >= 10 and len(PACK.consequences) >= 15
    options = {"bare-metal", "vm"}
    assert {r.rule.option for r in PACK.constraints} == {r.rule.option for r in PACK.consequences} == options
    mandate = [r for r in PACK.constraints if "bare_metal_mandated" in r.when.names]
    assert [(r.rule.option, r.rule.infeasible) for r in mandate] == [("vm", True)]
    for rule in PACK.consequences:
        if rule.rule.estimate.value is None:
            assert rule.rule.evidence, rule.id
