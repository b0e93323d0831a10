"""The array-based metrics equal the networkx graph walk they replaced, on generated and random fleets."""

from __future__ import annotations

import numpy as np
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


@settings(max_examples=examples(1), deadline=None)
@given(topologies())
def test_64_bit_codes_give_what_32_bit_codes_give(topo: Topology) -> None:
    """Indices and pair codes are 32-bit when they fit, else 64-bit: both give the same metrics.

    With the 32-bit bound lowered to 3, every array of these small fleets takes the 64-bit path.
    """
    import pytest

    from advisor.faultdomain import arrays

    narrow = arrays.metrics(topo)
    assert arrays._array([1, 2], 10).dtype == np.int32 and arrays._array([1, 2], 2**31).dtype == np.int64
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrays, "_INT32_MAX", 3)
        assert arrays._array([1, 2], 10).dtype == np.int64
        assert arrays.metrics(topo) == narrow


def test_a_code_past_32_bits_takes_64() -> None:
    """services * places past 2**31 - 1: the pairs are coded in 64 bits and decode to the same pairs."""
    from advisor.faultdomain.arrays import _Level

    services = np.array([0, 0, 70_000, 70_000], dtype=np.int32)
    places = np.array([5, 5, 40_000, 39_999], dtype=np.int32)
    level = _Level(services, places, 50_000, 70_001)  # codes up to 70,000 * 50,000 + 49,999 > 2**31
    assert level.services.tolist() == [0, 70_000, 70_000] and level.places.tolist() == [5, 39_999, 40_000]
    assert level.touched()[[5, 39_999, 40_000]].tolist() == [1, 1, 1]
    assert level.single_mask().tolist() == [True, False, False]
