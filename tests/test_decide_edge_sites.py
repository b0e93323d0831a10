"""Edge sites are fault domains of their own: a cluster's control plane and a failed host's load stay at its site.

Re-check of the edge archetype ("small edge sites -> bare metal"): the screen had ruled bare metal out of a
fleet of two-host stores with a cluster each ("1,200 control-plane members on 800 hosts") while VM-backed,
whose three control-plane VMs per store sat on the same two hosts, counted no quorum loss and shared one host
of headroom across all 400 stores.
"""

from __future__ import annotations

from typing import Any

import pytest

from advisor import pipeline
from advisor.decide import Decision
from advisor.decide.engine import prepare
from advisor.faultdomain import FleetParams, Topology, generate

Q = pipeline.load_questionnaire()
PACK = pipeline.load_decision_pack(questionnaire=Q)

#: 400 stores of two hosts, one cluster each
STORES = {"site_type": "edge", "hosts_per_site": 2, "physical_hosts": 800, "clusters": 400, "workload_class": "edge"}


def new(answers: dict[str, Any]) -> Decision:
    return pipeline.decide_profile(answers, PACK, questionnaire=Q, seed=7)


def _mode(d: Decision, attribute: str) -> dict[str, float]:
    criterion = attribute.partition(".")[0]
    rows = next(c for c in d.criteria if c.criterion == criterion).attributes
    return {o: next(a.mode for a in r if a.attribute == attribute) for o, r in rows.items()}


def test_two_host_stores_do_not_rule_bare_metal_out_for_a_quorum_neither_option_has() -> None:
    d = new(STORES)
    assert d.options["bare-metal"].status != "infeasible", d.sentence
    assert not any(c.rule_id == "control-plane-members-over-hosts" for c in d.constraints)
    facts = prepare(PACK, pipeline.decision_facts(STORES, Q))
    # each store's three control-plane VMs share its two hosts: the worse host takes its quorum, as on bare metal
    assert facts["quorum_hosts"] == 2 and facts["vm_quorum_loss_clusters"] == 1
    assert facts["graph.bare_metal.control_plane_quorum_loss_clusters"] == 1
    loss = _mode(d, "resilience.failure_loss")
    assert loss["vm"] == pytest.approx(facts["vm_kernel_blast"] + 2.36, rel=1e-4)
    assert loss["bare-metal"] == pytest.approx(facts["bm_kernel_blast"] + 2.36, rel=1e-4)


def test_each_site_keeps_its_own_host_of_headroom_on_both_options() -> None:
    """A failed host's VMs restart only at its site: half of a two-host store, on VM nodes as on bare metal."""
    lost = _mode(new(STORES), "cost.overhead_pct")
    assert lost["bare-metal"] == pytest.approx(50)
    assert lost["vm"] >= 50 + 5  # the same headroom, plus the hypervisor, the guests and the appliances
    # in a datacenter the VM nodes of every cluster share one host of headroom, bare metal keeps one per cluster
    datacenter = _mode(new({**STORES, "site_type": "datacenter", "clusters": 100}), "cost.overhead_pct")
    assert datacenter["bare-metal"] == pytest.approx(12.5) and datacenter["vm"] < 12.5


@pytest.mark.parametrize(("answers", "fires"), [
    ({"clusters": 2, "physical_hosts": 5}, True),  # six members, five hosts: VM nodes spread them, bare metal cannot
    ({"site_type": "edge", "hosts_per_site": 6, "physical_hosts": 60, "clusters": 30}, True),  # three per store
    ({"site_type": "edge", "hosts_per_site": 3, "physical_hosts": 60, "clusters": 20}, False),  # three hosts each
    ({"clusters": 1, "physical_hosts": 2}, False),  # no quorum survives a host failure on either option
    (STORES, False),
])
def test_control_planes_need_hosted_only_where_vm_nodes_could_keep_a_quorum(answers: dict[str, Any],
                                                                            fires: bool) -> None:
    d = new(answers)
    hit = [c for c in d.constraints if c.rule_id == "control-plane-members-over-hosts"]
    assert bool(hit) == fires, (answers, d.sentence)
    if fires:
        assert d.options["bare-metal"].status == "infeasible" or "control_plane=hosted" in (
            d.options["bare-metal"].configuration)


def _sites_of_each_cluster(topo: Topology) -> dict[int, set[int]]:
    host_site = [topo.rack_site[r] for r in topo.host_rack]
    hosts = len(host_site)
    out: dict[int, set[int]] = {}
    for node, cluster in enumerate(topo.node_cluster):
        machine = topo.node_machine[node]
        host = machine if machine < hosts else topo.vm_parent[machine - hosts]
        out.setdefault(cluster, set()).add(host_site[host])
    return out


@pytest.mark.parametrize("option", ["bare_metal", "vm"])
@pytest.mark.parametrize(("hosts", "per_site", "clusters", "local"), [
    (800, 2, 400, True), (60, 5, 24, True), (60, 4, 30, True),
    (61, 4, 16, False), (40, 2, 5, False), (17, 9, 5, False)])
def test_the_graph_keeps_each_cluster_at_its_site_where_the_sites_divide_evenly(
        option: str, hosts: int, per_site: int, clusters: int, local: bool) -> None:
    """At even edge sites (as many hosts each, the clusters divided evenly) each cluster stays at its site, so the
    graph's quorum metrics see the fault domains the decision does; otherwise every cluster spans the sites."""
    answers = {**STORES, "physical_hosts": hosts, "hosts_per_site": per_site, "clusters": clusters}
    topo = generate(FleetParams.from_answers(pipeline.decision_facts(answers, Q)), option)
    spans = _sites_of_each_cluster(topo)
    assert sorted(spans) == list(range(clusters))  # no cluster without a node
    assert all(len(s) == 1 for s in spans.values()) is local, spans
    # a cluster's hosts are hosts / clusters, give or take one, either way: no placement step in the quorum metric
    if option == "bare_metal":  # node i is host i
        hosts_of = [topo.node_cluster.count(cluster) for cluster in range(clusters)]
        assert max(hosts_of) - min(hosts_of) <= 1 and min(hosts_of) == hosts // clusters, hosts_of


def test_the_graph_and_the_decision_agree_on_a_two_host_store() -> None:
    facts = prepare(PACK, pipeline.decision_facts(STORES, Q))
    assert facts["graph.vm.control_plane_quorum_loss_clusters"] == facts["vm_quorum_loss_clusters"] == 1
    assert facts["graph.bare_metal.control_plane_quorum_loss_clusters"] == 1
