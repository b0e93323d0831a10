"""The networkx reference of the fault-domain metrics: the graph walk the model used before.

The production code (advisor.faultdomain.metrics) computes the same numbers from the
topology's arrays; tests compare both on generated and random fleets.
"""

from __future__ import annotations

from typing import Any

from advisor.faultdomain.graph import VertexIds, build_graph
from advisor.faultdomain.metrics import METRICS
from advisor.faultdomain.model import Topology

MetricValue = Any
_SPECS = {m.name: m for m in METRICS}


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def reference_metrics(topo: Topology, graph: Any = None) -> dict[str, MetricValue]:
    """All metrics of :data:`METRICS` for one topology (building its graph when not given)."""
    if graph is None:
        graph = build_graph(topo)
    ids: VertexIds = graph.graph["ids"]
    tree = ids.pod  # vertices below this id form the containment tree, pods excluded
    parent = [-1] * tree
    depth = [0] * tree
    succ = graph.succ
    frontier = [0]
    while frontier:
        deeper: list[int] = []
        for u in frontier:
            if u >= ids.node:  # a node's children are pods
                continue
            d = depth[u] + 1
            for v in succ[u]:
                parent[v] = u
                depth[v] = d
                deeper.append(v)
        frontier = deeper

    services = topo.services
    start = topo.service_start
    pod_node = topo.pod_node
    node0 = ids.node
    touched = [0] * tree
    outage = [0] * tree
    seen = [-1] * tree
    spof_services = 0
    for s in range(services):
        lca = -1
        for p in range(start[s], start[s + 1]):
            v = node0 + pod_node[p]
            if lca < 0:
                lca = v
            while v >= 0 and seen[v] != s:
                seen[v] = s
                touched[v] += 1
                v = parent[v]
            if v >= 0 and depth[v] < depth[lca]:
                lca = v
        if lca < 0:
            continue
        if depth[lca] >= 2:
            spof_services += 1
        while lca >= 0:
            outage[lca] += 1
            lca = parent[lca]
    del seen

    def worst(values: list[int], lo: int, hi: int) -> int:
        return max(values[lo:hi], default=0)

    kernel_vertices = sorted({parent[node0 + n] for n in range(topo.nodes)})
    kernels = len(kernel_vertices)

    pods_on_node = [0] * topo.nodes
    for n in pod_node:
        pods_on_node[n] += 1
    pods_on_host = [0] * topo.hosts
    for n, count in enumerate(pods_on_node):
        if count:
            v = parent[node0 + n]
            while v >= ids.vm:
                v = parent[v]
            pods_on_host[v - ids.host] += count

    tenant_sets: dict[int, set[int]] = {}
    tenant_of = topo.service_tenant
    for s in range(services):
        t = tenant_of[s]
        for p in range(start[s], start[s + 1]):
            k = parent[node0 + pod_node[p]]
            tenant_sets.setdefault(k, set()).add(t)
    tenants_per_kernel = max((len(v) for v in tenant_sets.values()), default=0)
    del tenant_sets
    tenants = len(set(tenant_of))

    lost: dict[int, int] = {}
    members_total = 0
    for c in range(topo.cluster_count):
        members = list(graph.succ[ids.cluster + c])
        members_total += len(members)
        if not members:
            continue
        quorum = len(members) // 2 + 1
        below: dict[int, int] = {}
        for v in members:
            v = parent[v]
            while v >= 0:
                below[v] = below.get(v, 0) + 1
                v = parent[v]
        for v, count in below.items():
            if len(members) - count < quorum:
                lost[v] = lost.get(v, 0) + 1
    host_quorum = max((c for v, c in lost.items() if ids.host <= v < ids.vm), default=0)
    rack_quorum = max((c for v, c in lost.items() if ids.rack <= v < ids.host), default=0)

    host_blast = _pct(worst(touched, ids.host, ids.vm), services)
    result: dict[str, MetricValue] = {
        "sites": topo.site_count,
        "racks": topo.racks,
        "hosts": topo.hosts,
        "vms": topo.vms,
        "nodes": topo.nodes,
        "kernels": kernels,
        "clusters": topo.cluster_count,
        "control_plane_members": members_total,
        "services": services,
        "pods": topo.pods,
        "tenants": tenants,
        "pods_per_kernel": topo.pods / kernels if kernels else 0.0,
        "kernels_per_tenant": kernels / tenants if tenants else 0.0,
        "host_blast_radius_pct": host_blast,
        "host_outage_services_pct": _pct(worst(outage, ids.host, ids.vm), services),
        "rack_blast_radius_pct": _pct(worst(touched, ids.rack, ids.host), services),
        "rack_outage_services_pct": _pct(worst(outage, ids.rack, ids.host), services),
        "site_blast_radius_pct": _pct(worst(touched, ids.site, ids.rack), services),
        "site_outage_services_pct": _pct(worst(outage, ids.site, ids.rack), services),
        "kernel_blast_radius_pct": _pct(max((touched[v] for v in kernel_vertices), default=0), services),
        "tenants_per_kernel": tenants_per_kernel,
        "drain_pods_per_upgrade_step": max(pods_on_node, default=0),
        "host_drain_pods": max(pods_on_host, default=0),
        "spof_count": sum(1 for v in range(ids.rack, ids.node) if outage[v]),
        "spof_services": spof_services,
        "control_plane_quorum_loss": host_quorum > 0,
        "control_plane_quorum_loss_clusters": host_quorum,
        "rack_control_plane_quorum_loss_clusters": rack_quorum,
        "host_blast_radius_within_limit": host_blast <= topo.max_blast_radius_pct,
    }
    assert list(result) == list(_SPECS), "metrics and METRICS disagree"
    return result
