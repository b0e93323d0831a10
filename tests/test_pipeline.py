"""The Python API: facts from answers (defaults, applicability, derived, graph, measured), results."""

from __future__ import annotations

import pytest

from advisor import pipeline
from advisor.errors import DataError
from advisor.profile import Profile
from advisor.rules.catalog import DERIVED, MEASURED


def test_defaults_fill_applicable_questions_only() -> None:
    q = pipeline.load_questionnaire()
    facts = pipeline.build_facts({"workload_name": "api", "tenant_count": 1}, q)
    assert facts["workload_class"] == "web-services" and facts["compliance"] == ["none"]
    for absent in ("hosts_per_site", "hypervisor_license_per_core_year",
                   "dedicated_hardware_required"):
        assert absent not in facts, absent
    assert facts["licence_cost_per_year"] == 0.0  # the licence question did not apply
    assert facts["tenant_count"] == 1 and facts["untrusted_tenants"] is False
    assert facts["edge_sites"] == 0


def test_required_question_without_answer_is_absent() -> None:
    assert "workload_name" not in pipeline.build_facts({}, pipeline.load_questionnaire())


def test_derived_facts_from_a_full_profile() -> None:
    facts = pipeline.build_facts({
        "physical_hosts": 10, "vms_per_host": 8, "microservices_per_host": 7, "replicas_per_service": 2,
        "upgrades_per_year": 4, "upgrade_duration_days": 2.5, "clusters": 3, "existing_virtualization": "vsphere",
        "hypervisor_license_per_core_year": 350, "cores_per_host": 32, "special_networking": ["sr-iov"],
        "compliance": ["pci-dss"], "untrusted_tenants": True, "tenant_count": 40, "crd_count": 50,
        "crd_owning_teams": 0, "site_type": "edge", "hosts_per_site": 3, "k8s_versions_in_production": 2,
    }, pipeline.load_questionnaire())
    assert {d.name: facts[d.name] for d in DERIVED} == {
        "upgrade_days_per_year": 30.0, "total_nodes_bare_metal": 10, "total_nodes_vm": 80, "services_total": 35,
        "licence_cost_per_year": 112000.0, "special_networking_needed": True, "compliance_in_scope": True,
        "crds_per_owning_team": 50.0, "edge_sites": 4, "version_skew_burden": 6,
    }


def test_graph_and_measured_facts_join_the_profile() -> None:
    q = pipeline.load_questionnaire()
    facts = pipeline.build_facts({"replicas_per_service": 1}, q, measured={"measured.net.ratio": 2})
    assert facts["graph.bare_metal.host_outage_services_pct"] > 0
    assert facts["measured.net.ratio"] == 2.0 and isinstance(facts["measured.net.ratio"], float)
    assert "measured.cpu.ratio" not in facts


def test_catalog_has_every_source_once() -> None:
    q = pipeline.load_questionnaire()
    catalog = pipeline.fact_catalog(q)
    assert set(q.fact_types()) <= set(catalog)
    assert {d.name for d in DERIVED} <= set(catalog)
    assert set(MEASURED) <= set(catalog)
    assert any(n.startswith("graph.bare_metal.") for n in catalog)
    assert any(n.startswith("graph.vm.") for n in catalog)
    facts = pipeline.build_facts({}, q)
    assert set(facts) <= set(catalog)  # nothing the rules could not name


@pytest.mark.parametrize(("answers", "measured", "message"), [
    ({"latency_p99": 1}, None, "advisor: unknown answer key 'latency_p99'; did you mean 'latency_p99_ms'?"),
    ({"workload_class": "trade"}, None, "advisor: workload_class: 'trade' is not a choice; did you mean 'trading'?"),
    ({"tenancy": "shared"}, None, "advisor: tenancy was retired (it carried two independent facts, how many tenants "
                                  "share the nodes and whether they must be kept apart; they are tenant_count and "
                                  "untrusted_tenants) and 'shared' was never one of its values; answer tenant_count, "
                                  "untrusted_tenants instead (single-team -> tenant_count: 1; multi-team -> "
                                  "untrusted_tenants: false; multi-tenant-untrusted -> untrusted_tenants: true)"),
    ({"edge_sites": 2}, None, "advisor: 'edge_sites' is a derived fact, computed from the answers; set the answers "
                              "it is computed from (see docs/facts.md)"),
    ({}, {"measured.net.ratoi": 1.0}, "advisor: unknown measured fact 'measured.net.ratoi'; did you mean "
                                      "'measured.net.ratio'?"),
    ({}, {"measured.net.verdict": "worse"}, "advisor: measured.net.verdict: 'worse' is not one of faster, slower, "
                                            "equivalent, inconclusive; choose one of them"),
    ({}, {"measured.cpu.ratio": "1.0"}, "advisor: measured.cpu.ratio: expected a number, got '1.0'; "
                                        "give a finite number"),
])
def test_bad_answers_and_measurements(answers: dict[str, object], measured: dict[str, object] | None,
                                      message: str) -> None:
    with pytest.raises(DataError) as info:
        pipeline.build_facts(answers, pipeline.load_questionnaire(), measured=measured)
    assert info.value.format() == message


def test_assess_takes_answers_or_a_profile() -> None:
    q = pipeline.load_questionnaire()
    answers = {"latency_p99_ms": 0.5, "bare_metal_mandated": True}
    by_answers = pipeline.assess(answers)
    by_profile = pipeline.assess(Profile(q, answers=answers))
    assert by_answers.to_json() == by_profile.to_json()
    assert by_answers.recommendation == "bare-metal"
    assert by_answers.options["vm"].status == "infeasible"  # the written mandate rules VM nodes out


def test_byte_identical_json_across_runs() -> None:
    q = pipeline.load_questionnaire()
    pack = pipeline.load_decision_pack(questionnaire=q)
    answers = {"latency_p99_ms": 1.5, "untrusted_tenants": True, "compliance": ["soc2", "pci-dss"]}
    outputs = {pipeline.decide_profile(answers, pack, questionnaire=q).to_json() for _ in range(3)}
    outputs.add(pipeline.decide_profile(dict(sorted(answers.items())), pipeline.load_decision_pack(questionnaire=q),
                                        questionnaire=q).to_json())
    assert len(outputs) == 1


@pytest.mark.parametrize(("old", "new"), [
    ({"tenancy": "single-team"}, {"tenant_count": 1, "untrusted_tenants": False}),
    ({"tenancy": "multi-team", "tenant_count": 7}, {"tenant_count": 7, "untrusted_tenants": False}),
    ({"tenancy": "multi-tenant-untrusted"}, {"tenant_count": 5, "untrusted_tenants": True}),
    ({"tenancy": "multi-tenant-untrusted", "untrusted_tenants": False}, {"untrusted_tenants": False}),  # explicit wins
])
def test_the_retired_tenancy_answer_maps_to_the_two_facts_it_carried(old: dict[str, object],
                                                                     new: dict[str, object]) -> None:
    """Profiles written before the split still decide as before: the count and the trust, each its own answer."""
    facts = pipeline.build_facts(old, pipeline.load_questionnaire())
    assert "tenancy" not in facts
    assert {k: facts[k] for k in new} == new
