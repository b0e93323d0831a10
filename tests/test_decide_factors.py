"""The decision factors added to the pack in rule pack v2 (issue "Rule pack v2", item 2).

Each new question is read by a rule and decides at least one archetype: without the
answer the archetype's result is a different one (its outcome, the option it leans to, or
the configuration and conditions of an option). Every question beyond the profile
contract of the default questionnaire is such a factor and must be listed here. The re-checked nested-virtualisation
constraint and the confidential-computing constraint are tested on their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advisor import pipeline
from advisor.decide import Decision

Q = pipeline.load_questionnaire()
PACK = pipeline.load_decision_pack(questionnaire=Q)
CASES = {Path(c.file).stem: c for c in PACK.cases}

#: the answer keys of the default questionnaire's profile contract (the questions before rule pack v2; tenancy is
#: retired: split into tenant_count and untrusted_tenants, and old profiles' answers are mapped on loading)
CONTRACT = (
    "workload_name", "workload_class", "latency_p99_ms", "jitter_sensitive", "tenancy", "tenant_count",
    "runs_untrusted_code", "noisy_neighbor_sensitivity", "needs_hard_resource_limits", "compliance",
    "bare_metal_mandated", "dedicated_hardware_required", "physical_hosts", "racks", "microservices_per_host",
    "replicas_per_service", "vms_per_host", "max_blast_radius_pct", "clusters", "k8s_versions_in_production",
    "crd_count", "crd_owning_teams", "upgrades_per_year", "upgrade_duration_days", "gpu", "special_networking",
    "existing_virtualization", "virtualization_expertise", "bare_metal_automation",
    "hypervisor_license_per_core_year", "cores_per_host", "site_type", "hosts_per_site", "priority_performance",
    "priority_isolation", "priority_operations", "priority_resilience", "priority_cost",
)

#: new question -> the archetype it decides
FACTORS = {
    "vm_io_paths": "telco-ptp-virtio-only",
    "vm_cpu_pinning": "trading-without-vcpu-pinning",
    "sandbox_runtime_acceptable": "ci-build-untrusted-no-sandbox",
    "hosted_control_planes": "forty-clusters-hosted",
    "vm_workloads": "legacy-vms-kubevirt",
    "nested_virtualization_needed": "nested-virtualisation-cloud",
    "vm_platform_licence_per_core_year": "new-vm-platform-licence",
    "demand_variability": "ci-build-bursty",
    "k8s_surface_reduction": "image-based-node-os",
    "platform_team_size": "small-platform-team",
    "confidential_computing_required": "confidential-edge-stores",
    "edge_offline": "offline-edge-vsphere",
    "max_pods_per_node": "dense-pods-raised-limit",
    "vm_pods_on_hypervisor": "saas-vsphere-pods",
    "hardware_lead_time_weeks": "servers-arrive-too-late",
    "capacity_needed_weeks": "servers-arrive-too-late",
    "spend_model": "capital-budget-vsphere",
    "pci_estate_in_scope": "pci-card-data-off-the-estate",
    "data_residency_required": "residency-estate-abroad",
    "platform_in_jurisdiction": "residency-estate-abroad",
    "untrusted_tenants": "hosting-untrusted-tenants-vsphere",
}

#: further archetypes a factor decides (the other branch of its rules)
MORE = {"spend_model": "operating-budget-estate", "platform_in_jurisdiction": "residency-no-cloud-region"}


def _said(d: Decision) -> tuple[object, ...]:
    options = tuple((o, r.status, r.configuration, tuple(r.conditions)) for o, r in sorted(d.options.items()))
    return d.outcome, d.recommendation, options


def _decide(answers: dict[str, Any]) -> Decision:
    return pipeline.decide_profile(answers, PACK, questionnaire=Q, seed=11)


def test_every_question_beyond_the_contract_is_a_listed_factor() -> None:
    beyond = [q.key for q in Q.questions if q.key not in CONTRACT]
    assert set(CONTRACT) <= set(Q.by_key) | set(Q.retired_by_key)
    assert sorted(beyond) == sorted(FACTORS), set(beyond) ^ set(FACTORS)


@pytest.mark.parametrize(("key", "archetype"), [*sorted(FACTORS.items()), *sorted(MORE.items())])
def test_each_new_question_is_read_by_a_rule_and_decides_its_archetype(key: str, archetype: str) -> None:
    question = Q.by_key[key]
    assert question.help and question.mode in ("quick", "full")
    if question.type in ("int", "float") or (question.type == "choice" and key != "workload_class"):
        assert question.moves in ("toward-bare-metal", "toward-vm"), key
    assert any(key in rule.names for rule in PACK.rules) or any(key in d.expr.names for d in PACK.derived), key
    case = CASES[archetype]
    assert key in case.model.answers
    with_answer = _decide(dict(case.model.answers))
    without = _decide({k: v for k, v in case.model.answers.items() if k != key})
    assert _said(with_answer) != _said(without), (key, with_answer.sentence, without.sentence)


def test_nested_virtualisation_on_a_public_cloud_needs_an_instance_family_not_bare_metal() -> None:
    """Re-check: the constraint ruled VM nodes out on any cloud, citing a page that documents how to nest."""
    d = _decide({"existing_virtualization": "public-cloud", "nested_virtualization_needed": True})
    assert d.options["vm"].status != "infeasible"
    named = " ".join(d.options["vm"].conditions)
    assert "c8i, m8i, r8i" in named
    hits = [c for c in d.constraints if c.rule_id == "nested-virtualization-cloud"]
    assert hits and hits[0].evidence == ["aws-ec2-nested-virtualization-families",
                                         "gcp-nested-virtualization-10-percent"]


def test_confidential_computing_on_bare_metal_means_a_confidential_micro_vm_per_pod() -> None:
    d = _decide({"confidential_computing_required": True, "bare_metal_automation": "full", "physical_hosts": 80})
    assert d.options["bare-metal"].status != "infeasible"
    assert "runtime=kata" in d.options["bare-metal"].configuration
    plain = _decide({"bare_metal_automation": "full", "physical_hosts": 80})
    assert "runtime=kata" not in plain.options["bare-metal"].configuration


def test_demand_variability_costs_nothing_to_one_cluster_on_premises() -> None:
    one = {"clusters": 1, "physical_hosts": 20}
    assert _decide({**one, "demand_variability": "bursty"}).uncertainty == _decide(one).uncertainty


def test_titles_state_the_users_values_against_the_threshold_with_units() -> None:
    """Rule pack v2 item 3: titles and sentences carry the user's numbers and computed consequences."""
    d = _decide({"latency_p99_ms": 0.08, "existing_virtualization": "vsphere",
                 "hypervisor_license_per_core_year": 200, "physical_hosts": 20})
    titles = {a.rule_id: a.title for c in d.criteria for rows in c.attributes.values() for a in rows if a.rule_id}
    sentences = {c.rule_id: c.sentence for c in d.constraints}
    # 30 us of a 80 us SLO
    assert sentences["microsecond-slo-vm"].startswith("p99 SLO 0.08 ms: the virtio round trip alone takes 37.5% of it")
    assert titles["vm-network-path"].startswith("VM-backed: p99 SLO 0.08 ms; a virtio round trip alone takes 37.5%")
    # 64 cores x 200 = 12,800 a host; x 20 hosts
    assert titles["vm-licence"] == ("VM-backed: hypervisor licences of 12,800 per host-year, "
                                    "256,000 per year for 20 hosts")
    assert titles["bm-failure-loss"] == ("Bare metal: a host kernel carries the pods of 20 services per host, "
                                         "3 replicas each: 2.22 services' capacity vs 10% accepted; clusters: 0")
    for text in [*titles.values(), *sentences.values()]:
        assert "unknown" not in text and "{" not in text, text
        for unit in ("pods pods", "tenants tenants", "clusters clusters", "per host per host"):
            assert unit not in text, text
