"""Fault-domain graph: the generated model, every metric by hand, facts and presentation."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from advisor.errors import DataError
from advisor.faultdomain import (
    FACT_DESCRIPTIONS,
    FACT_TYPES,
    METRICS,
    FleetParams,
    MetricValue,
    Topology,
    VertexIds,
    analyze,
    analyze_params,
    build_graph,
    generate,
    graph_facts,
    metrics_headers,
    metrics_table,
    to_json,
    to_mermaid,
)

# --------------------------------------------------------------------------- fleet A
# 2 racks x 3 hosts, 4 VMs per host, 5 services x 3 replicas, 1 cluster, 3 tenants.
#
# Racks: rack-1 = h0 h1 h2, rack-2 = h3 h4 h5 (contiguous blocks).
# Bare metal worker list L, ordered by (rank on host, row in rack, rack):
#   L = h0 h3 h1 h4 h2 h5
# Pods dealt like cards over L (service s, replica r -> L[(3s + r) % 6]):
#   s0: h0 h3 h1   s1: h4 h2 h5   s2: h0 h3 h1   s3: h4 h2 h5   s4: h0 h3 h1
# Tenants q % 3: s0 t0, s1 t1, s2 t2, s3 t0, s4 t1.
# Per host: h0, h1, h3 carry s0 s2 s4 (3 pods, tenants t0 t2 t1); h2, h4, h5 carry s1 s3 (2 pods).
#   host blast = 3/5 = 60 %; no service has all pods on one host -> outage 0.
#   Each rack holds at least one pod of every service -> rack blast 100 %, rack outage 0.
#   One site holds everything -> site blast = site outage = 100 %.
#   Bare-metal kernel = host -> kernel blast 60 %, tenants per kernel 3 (h0: t0 t2 t1).
#   drain: 3 pods per node; host drain 3.
# Control plane: first 3 of L = h0 h3 h1 (one each); a host failure leaves 2 of 3 (quorum kept);
#   rack-1 holds h0 and h1 -> 1 of 3 left -> 1 cluster loses quorum on that rack failure.
# Counts: 6 nodes = 6 kernels, pods 15 -> 2.5 per kernel, kernels per tenant 6/3 = 2.0.
#
# VM option: VM i on host i // 4. L has 24 VMs, layer by layer:
#   layer 0: vm0(h0) vm12(h3) vm4(h1) vm16(h4) vm8(h2) vm20(h5); layer 1: vm1 vm13 vm5 ...
#   s0: vm0 vm12 vm4   s1: vm16 vm8 vm20   s2: vm1 vm13 vm5   s3: vm17 vm9 vm21   s4: vm2 vm14 vm6
# The hosts are the same as on bare metal -> host, rack, site metrics equal.
# Each VM holds at most 1 pod -> kernel blast 1/5 = 20 %, tenants per kernel 1, drain 1 pod.
# Control plane: 3 dedicated VMs on the hosts of L[0..2] = h0 h3 h1 -> same quorum results.
# Counts: 24 worker VMs + 3 control-plane VMs = 27 VMs = 27 nodes = 27 kernels;
#   15 / 27 pods per kernel, 27 / 3 = 9 kernels per tenant.
FLEET_A = FleetParams(physical_hosts=6, racks=2, vms_per_host=4, replicas_per_service=3, services=5,
                      clusters=1, tenant_count=3)

EXPECTED_A: dict[str, dict[str, MetricValue]] = {
    "bare_metal": {
        "sites": 1, "racks": 2, "hosts": 6, "vms": 0, "nodes": 6, "kernels": 6, "clusters": 1,
        "control_plane_members": 3, "services": 5, "pods": 15, "tenants": 3,
        "pods_per_kernel": 2.5, "kernels_per_tenant": 2.0,
        "host_blast_radius_pct": 60.0, "host_outage_services_pct": 0.0,
        "rack_blast_radius_pct": 100.0, "rack_outage_services_pct": 0.0,
        "site_blast_radius_pct": 100.0, "site_outage_services_pct": 100.0,
        "kernel_blast_radius_pct": 60.0, "tenants_per_kernel": 3,
        "drain_pods_per_upgrade_step": 3, "host_drain_pods": 3,
        "spof_count": 0, "spof_services": 0,
        "control_plane_quorum_loss": False, "control_plane_quorum_loss_clusters": 0,
        "rack_control_plane_quorum_loss_clusters": 1,
        "host_blast_radius_within_limit": False,  # 60 > 10
    },
    "vm": {
        "sites": 1, "racks": 2, "hosts": 6, "vms": 27, "nodes": 27, "kernels": 27, "clusters": 1,
        "control_plane_members": 3, "services": 5, "pods": 15, "tenants": 3,
        "pods_per_kernel": 15 / 27, "kernels_per_tenant": 9.0,
        "host_blast_radius_pct": 60.0, "host_outage_services_pct": 0.0,
        "rack_blast_radius_pct": 100.0, "rack_outage_services_pct": 0.0,
        "site_blast_radius_pct": 100.0, "site_outage_services_pct": 100.0,
        "kernel_blast_radius_pct": 20.0, "tenants_per_kernel": 1,
        "drain_pods_per_upgrade_step": 1, "host_drain_pods": 3,
        "spof_count": 0, "spof_services": 0,
        "control_plane_quorum_loss": False, "control_plane_quorum_loss_clusters": 0,
        "rack_control_plane_quorum_loss_clusters": 1,
        "host_blast_radius_within_limit": False,
    },
}

# --------------------------------------------------------------------------- fleet B
# Same racks, 2 VMs per host, 4 services x 1 replica, single team.
# Bare metal: L = h0 h3 h1 h4 h2 h5 -> s0 h0, s1 h3, s2 h1, s3 h4 (h2, h5 idle).
#   Each busy host carries 1 service, all its pods -> host blast = outage = 1/4 = 25 %.
#   rack-1 (h0 h1 h2) has s0 s2 entirely, rack-2 has s1 s3 -> rack blast = outage = 50 %.
#   SPOFs: rack-1, rack-2, h0, h3, h1, h4 = 6; all 4 services have one.
#   4 pods on 6 kernels = 0.667; 6 kernels for 1 tenant.
# VM: layer 0 of L = vm0(h0) vm6(h3) vm2(h1) vm8(h4) ... -> s0 vm0, s1 vm6, s2 vm2, s3 vm8.
#   Same host and rack figures; SPOFs add the 4 busy VMs -> 10.
#   12 worker VMs + 3 control-plane VMs = 15 kernels; 4 / 15 pods per kernel.
FLEET_B = FleetParams(physical_hosts=6, racks=2, vms_per_host=2, replicas_per_service=1, services=4,
                      clusters=1, tenant_count=1, max_blast_radius_pct=25.0)

EXPECTED_B: dict[str, dict[str, MetricValue]] = {
    "bare_metal": {
        "vms": 0, "nodes": 6, "kernels": 6, "pods": 4, "tenants": 1,
        "pods_per_kernel": 4 / 6, "kernels_per_tenant": 6.0,
        "host_blast_radius_pct": 25.0, "host_outage_services_pct": 25.0,
        "rack_blast_radius_pct": 50.0, "rack_outage_services_pct": 50.0,
        "kernel_blast_radius_pct": 25.0, "tenants_per_kernel": 1,
        "drain_pods_per_upgrade_step": 1, "host_drain_pods": 1,
        "spof_count": 6, "spof_services": 4,
        "host_blast_radius_within_limit": True,  # 25 <= 25
    },
    "vm": {
        "vms": 15, "nodes": 15, "kernels": 15, "pods": 4, "tenants": 1,
        "pods_per_kernel": 4 / 15, "kernels_per_tenant": 15.0,
        "host_blast_radius_pct": 25.0, "host_outage_services_pct": 25.0,
        "rack_blast_radius_pct": 50.0, "rack_outage_services_pct": 50.0,
        "kernel_blast_radius_pct": 25.0, "tenants_per_kernel": 1,
        "drain_pods_per_upgrade_step": 1, "host_drain_pods": 1,
        "spof_count": 10, "spof_services": 4,
        "host_blast_radius_within_limit": True,
    },
}


def _metrics(params: FleetParams) -> dict[str, dict[str, MetricValue]]:
    return {o.option: o.metrics for o in analyze_params(params).options}


def _metrics_answers(answers: Mapping[str, object]) -> dict[str, dict[str, MetricValue]]:
    return {o.option: o.metrics for o in analyze(answers).options}


def _assert_metrics(actual: Mapping[str, MetricValue], expected: Mapping[str, MetricValue]) -> None:
    for name, want in expected.items():
        got = actual[name]
        if isinstance(want, float):
            assert got == pytest.approx(want), name
        else:
            assert got == want and type(got) is type(want), name


def test_fleet_a_every_metric_on_both_options() -> None:
    result = _metrics(FLEET_A)
    for option in ("bare_metal", "vm"):
        assert set(result[option]) == {m.name for m in METRICS}
        assert set(EXPECTED_A[option]) == {m.name for m in METRICS}, "the hand computation must cover every metric"
        _assert_metrics(result[option], EXPECTED_A[option])


def test_fleet_a_placement_is_the_documented_deal() -> None:
    bm = generate(FLEET_A, "bare_metal")
    assert bm.pod_node == [0, 3, 1, 4, 2, 5] * 2 + [0, 3, 1]
    vm = generate(FLEET_A, "vm")
    assert vm.pod_node == [0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6]
    assert bm.service_tenant == vm.service_tenant == [0, 1, 2, 0, 1]
    assert bm.control_plane == [[0, 3, 1]]
    assert [vm.vm_parent[vm.node_machine[n] - vm.hosts] for n in vm.control_plane[0]] == [0, 3, 1]


def test_fleet_b_single_replicas_are_spofs() -> None:
    result = _metrics(FLEET_B)
    for option in ("bare_metal", "vm"):
        _assert_metrics(result[option], EXPECTED_B[option])


def test_quorum_lost_when_a_cluster_has_two_hosts() -> None:
    # 2 hosts in 1 rack, 1 cluster. Bare metal: 2 members (h0, h1), quorum 2: either host failure
    # leaves 1 -> lost. VM: 3 members on h0, h1, h0: losing h0 leaves 1 of 3 -> lost.
    params = FleetParams(physical_hosts=2, racks=1, vms_per_host=2, clusters=1, services=2)
    result = _metrics(params)
    assert result["bare_metal"]["control_plane_members"] == 2
    assert result["vm"]["control_plane_members"] == 3
    for option in ("bare_metal", "vm"):
        assert result[option]["control_plane_quorum_loss"] is True
        assert result[option]["control_plane_quorum_loss_clusters"] == 1
        assert result[option]["rack_control_plane_quorum_loss_clusters"] == 1


def test_three_racks_keep_every_quorum() -> None:
    # Defaults have 4 racks and 3 clusters: every cluster's members are on 3 different racks.
    result = analyze({})
    for o in result.options:
        assert o.metrics["control_plane_quorum_loss"] is False
        assert o.metrics["rack_control_plane_quorum_loss_clusters"] == 0
        racks = {
            o.topology.host_rack[_host_of(o.topology, n)] for members in o.topology.control_plane for n in members
        }
        assert racks == {0, 1, 2, 3}
        for members in o.topology.control_plane:
            assert len({o.topology.host_rack[_host_of(o.topology, n)] for n in members}) == 3


def _host_of(topo: Topology, node: int) -> int:
    machine = topo.node_machine[node]
    return machine if machine < topo.hosts else topo.vm_parent[machine - topo.hosts]


# --------------------------------------------------------------------------- the docs' worked example
# docs/fault-domains.md, "Worked example": the profile below, numbers computed by hand there.
WORKED = {"physical_hosts": 6, "racks": 2, "microservices_per_host": 2, "replicas_per_service": 3,
          "vms_per_host": 4, "clusters": 1, "tenant_count": 3}


def test_docs_worked_example() -> None:
    result = _metrics_answers(WORKED)
    bm, vm = result["bare_metal"], result["vm"]
    # services = 6 * 2 // 3 = 4; pods 12; every host carries 2 pods of 2 services.
    assert bm["services"] == vm["services"] == 4 and bm["pods"] == 12
    _assert_metrics(bm, {"host_blast_radius_pct": 50.0, "rack_blast_radius_pct": 100.0, "kernel_blast_radius_pct": 50.0,
                         "tenants_per_kernel": 2, "drain_pods_per_upgrade_step": 2, "host_drain_pods": 2,
                         "kernels": 6, "pods_per_kernel": 2.0, "rack_control_plane_quorum_loss_clusters": 1})
    _assert_metrics(vm, {"host_blast_radius_pct": 50.0, "rack_blast_radius_pct": 100.0, "kernel_blast_radius_pct": 25.0,
                         "tenants_per_kernel": 1, "drain_pods_per_upgrade_step": 1, "host_drain_pods": 2,
                         "kernels": 27, "pods_per_kernel": 12 / 27, "rack_control_plane_quorum_loss_clusters": 1})


def test_worked_example_via_answers() -> None:
    # Same as above through analyze(answers), the path the CLI takes.
    assert _metrics_answers(WORKED)["vm"]["kernel_blast_radius_pct"] == pytest.approx(25.0)


# --------------------------------------------------------------------------- profile inputs


def test_defaults_and_service_derivation() -> None:
    p = FleetParams.from_answers({})
    assert p == FleetParams()
    # 20 hosts * 20 services per host = 400 slots; 400 // 3 = 133 services.
    assert p.service_count == 133 and p.tenants == 5
    assert FleetParams.from_answers({"tenant_count": 1}).tenants == 1
    assert FleetParams.from_answers({"physical_hosts": 1, "microservices_per_host": 1,
                                     "replicas_per_service": 5}).service_count == 1
    # None means unanswered; whole floats are accepted; other keys are ignored.
    assert FleetParams.from_answers({"racks": None, "physical_hosts": 12.0, "gpu": True}).physical_hosts == 12


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"physical_hosts": 0},
         "advisor: fault-domain model: physical_hosts must be a whole number of at least 1, got 0; "
         "fix the answer in the profile"),
        ({"racks": True},
         "advisor: fault-domain model: racks must be a whole number of at least 1, got True; "
         "fix the answer in the profile"),
        ({"tenant_count": 0},
         "advisor: fault-domain model: tenant_count must be a whole number of at least 1, got 0; "
         "fix the answer in the profile"),
        ({"site_type": "cloud"},
         "advisor: fault-domain model: unknown site_type 'cloud'; use one of 'datacenter', 'edge'"),
        ({"max_blast_radius_pct": 150},
         "advisor: fault-domain model: max_blast_radius_pct must be a number from 0 to 100, got 150; "
         "fix the answer in the profile"),
        ({"physical_hosts": 200_000},
         "advisor: fault-domain model: 200,000 physical hosts is more than the model handles (100,000); "
         "model a representative part of the fleet (one region or cluster) or describe it in a topology file"),
    ],
)
def test_bad_answers(answers: dict[str, object], message: str) -> None:
    with pytest.raises(DataError) as info:
        FleetParams.from_answers(answers)
    assert info.value.format() == message


def test_edge_sites_group_hosts() -> None:
    # 7 hosts in sites of 3: sites of 3, 3, 1 hosts, each site one rack.
    result = _metrics_answers({"site_type": "edge", "physical_hosts": 7, "hosts_per_site": 3, "racks": 50,
                               "microservices_per_host": 3, "replicas_per_service": 3, "clusters": 1})
    for option in ("bare_metal", "vm"):
        m = result[option]
        assert (m["sites"], m["racks"], m["hosts"]) == (3, 3, 7)
        # 3 replicas over 3 sites: every service spans all sites -> no site outage.
        assert m["site_outage_services_pct"] == 0.0
        assert m["site_blast_radius_pct"] == pytest.approx(100.0)
        assert m["site_blast_radius_pct"] == m["rack_blast_radius_pct"]


def test_clusters_capped_at_worker_nodes() -> None:
    result = _metrics_answers({"physical_hosts": 2, "clusters": 5, "vms_per_host": 4})
    assert result["bare_metal"]["clusters"] == 2
    assert result["vm"]["clusters"] == 5


# --------------------------------------------------------------------------- graph


def test_graph_is_a_networkx_tree_of_components() -> None:
    topo = generate(FLEET_A, "vm")
    g = build_graph(topo)
    assert isinstance(g, nx.DiGraph)
    ids: VertexIds = g.graph["ids"]
    assert g.number_of_nodes() == ids.end
    containment = g.subgraph(range(ids.service))
    assert nx.is_arborescence(containment)
    assert ids.kind(0) == "fleet" and ids.kind(ids.host) == "host" and ids.kind(ids.end - 1) == "cluster"
    # every pod has a node parent and a service parent
    for pod in range(ids.pod, ids.service):
        kinds = sorted(ids.kind(p) for p in g.predecessors(pod))
        assert kinds == ["node", "service"]
    assert sorted(g.successors(ids.cluster)) == [ids.node + n for n in topo.control_plane[0]]


def test_failing_a_vertex_removes_its_subtree() -> None:
    # Cross-check host blast radius with a brute-force graph computation on a small fleet.
    topo = generate(FleetParams(physical_hosts=5, racks=2, vms_per_host=3, services=7, clusters=2), "vm")
    g = build_graph(topo)
    ids: VertexIds = g.graph["ids"]
    worst = 0
    for host in range(ids.host, ids.vm):
        pods = {v for v in nx.descendants(g, host) if ids.pod <= v < ids.service}
        services = {p for pod in pods for p in g.predecessors(pod) if ids.kind(p) == "service"}
        worst = max(worst, len(services))
    metrics = analyze_params(FleetParams(physical_hosts=5, racks=2, vms_per_host=3, services=7, clusters=2))
    assert metrics.options[1].metrics["host_blast_radius_pct"] == pytest.approx(100 * worst / 7)


# --------------------------------------------------------------------------- facts


def test_graph_facts_match_fact_types() -> None:
    facts = graph_facts({})
    assert set(facts) == set(FACT_TYPES) == set(FACT_DESCRIPTIONS)
    assert len(FACT_TYPES) == 2 * len(METRICS)
    kinds = {"int": int, "float": float, "bool": bool}
    for name, value in facts.items():
        assert name.startswith(("graph.bare_metal.", "graph.vm.")), name
        assert type(value) is kinds[FACT_TYPES[name]], name
        assert FACT_DESCRIPTIONS[name] and "\n" not in FACT_DESCRIPTIONS[name]
    assert facts["graph.bare_metal.kernels"] == 20
    assert facts["graph.vm.kernels"] == 89  # 80 worker VMs + 3 clusters x 3 control-plane VMs


def test_graph_facts_returns_a_fresh_dict() -> None:
    first = graph_facts({"physical_hosts": 8})
    first["graph.vm.kernels"] = -1
    assert graph_facts({"physical_hosts": 8})["graph.vm.kernels"] != -1


# --------------------------------------------------------------------------- presentation


def test_table_json_and_headers() -> None:
    result = analyze_params(FLEET_A)
    assert metrics_headers(result) == ["metric", "bare metal", "VM-backed", "definition"]
    rows = metrics_table(result)
    assert [r[0] for r in rows] == [m.name for m in METRICS]
    row = {r[0]: r for r in rows}
    assert row["kernel_blast_radius_pct"][1:3] == ["60.0", "20.0"]
    assert row["control_plane_quorum_loss"][1:3] == ["no", "no"]
    assert all(len(r) == 4 for r in rows)
    data = json.loads(json.dumps(to_json(result)))
    assert data["options"]["vm"]["metrics"]["kernels"] == 27
    assert data["inputs"]["physical_hosts"] == 6
    assert set(data["definitions"]) == {m.name for m in METRICS}


_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_VERTEX = re.compile(r'^    ([A-Za-z0-9]+)\["([^"]*)"\]$')
_EDGE = re.compile(r"^    ([A-Za-z0-9]+) (?:-->|-\.-) ([A-Za-z0-9]+)$")
_SUBGRAPH = re.compile(r'^  subgraph ([A-Za-z0-9]+)\["([^"]*)"\]$')


def _check_mermaid(text: str) -> list[str]:
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    labels: list[str] = []
    declared: set[str] = set()
    linked: set[str] = set()
    by_id: dict[str, str] = {}
    for line in lines[1:]:
        if line in ("  end", "    direction TB"):
            continue
        for pattern in (_SUBGRAPH, _VERTEX):
            m = pattern.match(line)
            if m:
                assert _ID.match(m.group(1))
                assert m.group(1) not in declared
                declared.add(m.group(1))
                assert not re.search(r"[\"\[\]{}|<>&#%;`]", m.group(2)), m.group(2)
                labels.append(m.group(2))
                if pattern is _VERTEX:
                    by_id[m.group(1)] = m.group(2)
                break
        else:
            m = _EDGE.match(line)
            assert m, f"unexpected mermaid line: {line!r}"
            assert m.group(1) in declared and m.group(2) in declared
            linked.add(m.group(2))
    # every box hangs off something in its subgraph; only the sites are at the top (the summaries once floated)
    floating = [label for vid, label in by_id.items() if vid not in linked
                and not label.startswith("site ") and not re.match(r"\d+ more sites? ", label)]
    assert not floating, floating
    return labels


def test_mermaid_is_a_small_conservative_flowchart() -> None:
    result = analyze({"physical_hosts": 2000, "racks": 40, "microservices_per_host": 10})
    text = to_mermaid(result)
    labels = _check_mermaid(text)
    assert len(labels) < 60
    assert "39 more racks (1950 hosts)" in labels
    assert "49 more hosts in rack-1" in labels
    assert any(label.startswith("VM vm-1-1") for label in labels)
    assert any(label.startswith("pod of svc-") for label in labels)
    assert text.count("subgraph") == 2


def test_mermaid_edge_sites() -> None:
    labels = _check_mermaid(to_mermaid(analyze({"site_type": "edge", "physical_hosts": 20})))
    assert "6 more sites (17 hosts)" in labels


# --------------------------------------------------------------------------- properties

_fleets = st.builds(
    FleetParams,
    physical_hosts=st.integers(1, 24),
    racks=st.integers(1, 6),
    vms_per_host=st.integers(1, 5),
    clusters=st.integers(1, 4),
    replicas_per_service=st.integers(1, 5),
    services=st.integers(1, 30),
    tenant_count=st.integers(1, 6),
    site_type=st.sampled_from(["datacenter", "edge"]),
    hosts_per_site=st.integers(1, 5),
)


@settings(max_examples=examples(1), deadline=None)
@given(params=_fleets)
def test_adding_replicas_never_raises_host_outage(params: FleetParams) -> None:
    more = FleetParams(**{**params.__dict__, "replicas_per_service": params.replicas_per_service + 1})
    before = _metrics(params)
    after = _metrics(more)
    for option in ("bare_metal", "vm"):
        assert after[option]["host_outage_services_pct"] <= before[option]["host_outage_services_pct"]


#: Metrics that may differ between bare metal and one VM per host: they count or divide by
#: VMs and kernels (each VM is a component and a kernel of its own, and the VM option adds
#: dedicated control-plane VMs), or each VM is an extra single point of failure.
KERNEL_BOUNDARY = {"vms", "nodes", "kernels", "pods_per_kernel", "kernels_per_tenant", "spof_count"}


@settings(max_examples=examples(1), deadline=None)
@given(params=_fleets)
def test_one_vm_per_host_equals_bare_metal_except_kernel_boundary(params: FleetParams) -> None:
    # With at least 3 hosts per cluster, bare metal also runs 3 control-plane members per cluster.
    hosts = max(params.physical_hosts, 3 * params.clusters)
    one = FleetParams(**{**params.__dict__, "vms_per_host": 1, "physical_hosts": hosts})
    result = _metrics(one)
    bm, vm = result["bare_metal"], result["vm"]
    for name in bm:
        if name not in KERNEL_BOUNDARY:
            assert bm[name] == vm[name], name
    assert vm["vms"] == hosts + 3 * vm["clusters"]
    assert vm["spof_count"] >= bm["spof_count"]


@settings(max_examples=examples(1), deadline=None)
@given(params=_fleets)
def test_metric_invariants(params: FleetParams) -> None:
    for option, m in _metrics(params).items():
        for kind in ("host", "rack", "site"):
            assert 0 <= m[f"{kind}_outage_services_pct"] <= m[f"{kind}_blast_radius_pct"] <= 100
        assert m["host_blast_radius_pct"] <= m["rack_blast_radius_pct"] <= m["site_blast_radius_pct"]
        assert m["kernel_blast_radius_pct"] <= m["host_blast_radius_pct"]
        assert m["drain_pods_per_upgrade_step"] <= m["host_drain_pods"]
        assert 1 <= m["tenants_per_kernel"] <= m["tenants"]
        assert m["pods"] == params.service_count * params.replicas_per_service
        if option == "bare_metal":
            assert m["kernel_blast_radius_pct"] == m["host_blast_radius_pct"]
