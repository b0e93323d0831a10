"""The array-based metrics equal the networkx graph walk they replaced, on generated and random fleets."""

from __future__ import annotations

from faultdomain_reference import reference_metrics
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from advisor.faultdomain import FleetParams, Topology, compute_metrics, generate

params = st.builds(
    FleetParams,
    physical_hosts=st.integers(1, 40),
    racks=st.integers(1, 9),
    microservices_per_host=st.integers(1, 12),
    replicas_per_service=st.integers(1, 7),
    vms_per_host=st.integers(1, 5),
    clusters=st.integers(1, 6),
    tenancy=st.sampled_from(["single-team", "multi-team", "multi-tenant-untrusted"]),
    tenant_count=st.integers(1, 8),
    site_type=st.sampled_from(["datacenter", "edge"]),
    hosts_per_site=st.integers(1, 6),
    max_blast_radius_pct=st.floats(0, 100),
)


@settings(max_examples=examples(1.5), deadline=None)
@given(params, st.sampled_from(["bare_metal", "vm"]))
def test_generated_fleets_match_the_graph_walk(p: FleetParams, option: str) -> None:
    topo = generate(p, option)
    assert compute_metrics(topo) == reference_metrics(topo)


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    """Fleets a topology file can describe: uneven racks, nested VMs, nodes on hosts and VMs, empty services."""
    sites = draw(st.integers(1, 3))
    rack_site = draw(st.lists(st.integers(0, sites - 1), min_size=1, max_size=5))
    host_rack = draw(st.lists(st.integers(0, len(rack_site) - 1), min_size=1, max_size=8))
    hosts = len(host_rack)
    vm_parent: list[int] = []
    for v in range(draw(st.integers(0, 10))):
        vm_parent.append(draw(st.integers(0, hosts + v - 1)))  # a host or an earlier VM
    machines = hosts + len(vm_parent)
    node_machine = draw(st.lists(st.integers(0, machines - 1), min_size=1, max_size=12))
    nodes = len(node_machine)
    sizes = draw(st.lists(st.integers(0, 5), min_size=1, max_size=8))
    service_start = [0]
    for size in sizes:
        service_start.append(service_start[-1] + size)
    pod_node = draw(st.lists(st.integers(0, nodes - 1), min_size=service_start[-1], max_size=service_start[-1]))
    tenants = draw(st.integers(1, 4))
    clusters = draw(st.integers(0, 3))
    control_plane = [draw(st.lists(st.integers(0, nodes - 1), max_size=5)) for _ in range(clusters)]
    return Topology(
        option="fleet", label="fleet", site_count=sites, rack_site=rack_site, host_rack=host_rack,
        vm_parent=vm_parent, node_machine=node_machine, node_cluster=[-1] * nodes, service_start=service_start,
        pod_node=pod_node, service_tenant=draw(st.lists(st.integers(0, tenants - 1), min_size=len(sizes),
                                                        max_size=len(sizes))),
        tenant_count=tenants, cluster_count=clusters, control_plane=control_plane,
        max_blast_radius_pct=draw(st.floats(0, 100)),
    )


@settings(max_examples=examples(3), deadline=None)
@given(topologies())
def test_random_fleets_match_the_graph_walk(topo: Topology) -> None:
    assert compute_metrics(topo) == reference_metrics(topo)
