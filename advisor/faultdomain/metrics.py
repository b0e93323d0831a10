"""Fault-domain metrics of a fleet, computed from its component graph.

Every metric is defined in :data:`METRICS` (and in docs/fault-domains.md). They are
computed by linear passes over the containment tree of the graph: one walk from the
root to learn each vertex's parent and depth, then one pass over the pods of each
service that marks, for every vertex, how many services have a pod below it
("touched", the blast radius) and how many have *all* their pods below it (the
outage, found as the lowest common ancestor of the service's pods). No per-host
graph copies, no all-pairs algorithms.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from advisor.faultdomain.graph import VertexIds, build_graph
from advisor.faultdomain.model import OPTION_LABELS, OPTIONS, FleetParams, Topology, generate

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "FACT_DESCRIPTIONS",
    "FACT_TYPES",
    "METRICS",
    "MetricSpec",
    "MetricValue",
    "OptionResult",
    "Result",
    "analyze",
    "analyze_params",
    "analyze_topology",
    "compute_metrics",
    "graph_facts",
]

MetricValue = int | float | bool


@dataclass(frozen=True)
class MetricSpec:
    """A metric: its key, value type ("int", "float" or "bool"), a short label and its definition."""

    name: str
    type: str
    label: str
    definition: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("sites", "int", "sites", "Sites (locations): 1 for a datacenter fleet, one per group of hosts_per_site "
               "hosts at the edge."),
    MetricSpec("racks", "int", "racks", "Racks (failure zones); at the edge each site is one rack."),
    MetricSpec("hosts", "int", "physical hosts", "Physical servers."),
    MetricSpec("vms", "int", "VMs", "Virtual machines: worker VMs plus dedicated control-plane VMs; 0 on bare metal."),
    MetricSpec("nodes", "int", "Kubernetes nodes", "Kubernetes nodes, workers and dedicated control-plane nodes."),
    MetricSpec("kernels", "int", "kernels", "Distinct kernels that run at least one Kubernetes node: the host OS on "
               "bare metal, each guest OS on VMs."),
    MetricSpec("clusters", "int", "clusters", "Kubernetes clusters modelled (capped at the number of worker nodes)."),
    MetricSpec("control_plane_members", "int", "control-plane members", "Control-plane members of all clusters "
               "(3 per cluster; on bare metal fewer when a cluster has fewer than 3 hosts)."),
    MetricSpec("services", "int", "services", "Services (Deployments) modelled."),
    MetricSpec("pods", "int", "pods", "Service pods (replicas) modelled."),
    MetricSpec("tenants", "int", "tenants", "Distinct tenants owning the services."),
    MetricSpec("pods_per_kernel", "float", "pods per kernel (mean)", "pods / kernels."),
    MetricSpec("kernels_per_tenant", "float", "kernels per tenant", "kernels / tenants: how many kernels each tenant "
               "could have to itself if nodes were dedicated per tenant."),
    MetricSpec("host_blast_radius_pct", "float", "host blast radius %", "100 * (services with at least one pod on "
               "the worst single host) / services: the share that loses capacity when that host fails."),
    MetricSpec("host_outage_services_pct", "float", "host outage %", "100 * (services with all their pods on the "
               "worst single host) / services: the share fully down when that host fails."),
    MetricSpec("rack_blast_radius_pct", "float", "rack blast radius %", "100 * (services with at least one pod in "
               "the worst single rack) / services."),
    MetricSpec("rack_outage_services_pct", "float", "rack outage %", "100 * (services with all their pods in the "
               "worst single rack) / services."),
    MetricSpec("site_blast_radius_pct", "float", "site blast radius %", "100 * (services with at least one pod at "
               "the worst single site) / services."),
    MetricSpec("site_outage_services_pct", "float", "site outage %", "100 * (services with all their pods at the "
               "worst single site) / services."),
    MetricSpec("kernel_blast_radius_pct", "float", "kernel blast radius %", "100 * (services with at least one pod "
               "under the worst single kernel: a kernel panic or node reboot) / services."),
    MetricSpec("tenants_per_kernel", "int", "tenants per kernel (max)", "Most distinct tenants whose pods share one "
               "kernel: the tenants exposed by one container escape (security blast radius)."),
    MetricSpec("drain_pods_per_upgrade_step", "int", "pods evicted per node drain", "Most pods on one Kubernetes "
               "node: the pods evicted by the worst step of a rolling node upgrade that drains one node at a time."),
    MetricSpec("host_drain_pods", "int", "pods evicted per host maintenance", "Most pods on one physical host: the "
               "pods evicted when a host is drained for firmware, hypervisor or hardware work."),
    MetricSpec("spof_count", "int", "single points of failure", "Racks, hosts and VMs whose failure alone takes at "
               "least one service fully down (sites are not counted: see site_outage_services_pct)."),
    MetricSpec("spof_services", "int", "services with a SPOF", "Services whose pods all sit in one rack or below, "
               "so that some rack, host or VM is a single point of failure for them."),
    MetricSpec("control_plane_quorum_loss", "bool", "one host failure loses a quorum", "True when the failure of "
               "some single host leaves a cluster with fewer than a majority of its control-plane members."),
    MetricSpec("control_plane_quorum_loss_clusters", "int", "clusters losing quorum (worst host)", "Most clusters "
               "that lose control-plane quorum when one host fails."),
    MetricSpec("rack_control_plane_quorum_loss_clusters", "int", "clusters losing quorum (worst rack)", "Most "
               "clusters that lose control-plane quorum when one rack fails."),
    MetricSpec("host_blast_radius_within_limit", "bool", "host blast radius within limit", "host_blast_radius_pct "
               "<= max_blast_radius_pct (the profile's accepted share, 10 by default)."),
)

_SPECS = {m.name: m for m in METRICS}

#: Every fact :func:`graph_facts` returns, with its type: ``graph.<option>.<metric>``.
FACT_TYPES: dict[str, str] = {f"graph.{o}.{m.name}": m.type for o in OPTIONS for m in METRICS}
#: One-line description of every fact.
FACT_DESCRIPTIONS: dict[str, str] = {
    f"graph.{o}.{m.name}": f"{OPTION_LABELS[o]}: {m.definition}" for o in OPTIONS for m in METRICS
}


@dataclass(frozen=True)
class OptionResult:
    """The topology and metrics of one option (or of a fleet from a topology file)."""

    option: str
    label: str
    topology: Topology
    metrics: dict[str, MetricValue]


@dataclass(frozen=True)
class Result:
    """The analysed options: bare metal and VM-backed for a profile, one fleet for a file."""

    source: str
    options: tuple[OptionResult, ...]
    params: FleetParams | None = None


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def compute_metrics(topo: Topology, graph: nx.DiGraph[int] | None = None) -> dict[str, MetricValue]:
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


def analyze_topology(topo: Topology) -> OptionResult:
    """Build the graph of one topology, compute its metrics, and drop the graph.

    The cyclic garbage collector is paused meanwhile: the graph is hundreds of
    thousands of small dicts and no garbage, and scanning them made the analysis about
    1.5x slower at 10,000 hosts.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        graph = build_graph(topo)
        metrics = compute_metrics(topo, graph)
        graph.clear()
        del graph
    finally:
        if paused:
            gc.enable()
    return OptionResult(topo.option, topo.label, topo, metrics)


def analyze_params(params: FleetParams) -> Result:
    """Generate and analyse both options for the given parameters (one graph at a time)."""
    options = tuple(analyze_topology(generate(params, option)) for option in OPTIONS)
    return Result("profile", options, params)


def analyze(answers: Mapping[str, object]) -> Result:
    """Generate and analyse both options from profile answers (see :class:`FleetParams`)."""
    return analyze_params(FleetParams.from_answers(answers))


@lru_cache(maxsize=16)
def _facts(params: FleetParams) -> tuple[tuple[str, MetricValue], ...]:
    items: list[tuple[str, MetricValue]] = []
    for option in OPTIONS:
        metrics = analyze_topology(generate(params, option)).metrics
        items.extend((f"graph.{option}.{name}", value) for name, value in metrics.items())
    return tuple(items)


def graph_facts(answers: Mapping[str, object]) -> dict[str, MetricValue]:
    """Flat facts ``graph.bare_metal.<metric>`` and ``graph.vm.<metric>`` for the rules engine.

    The names and types are those of :data:`FACT_TYPES`. Results are cached per
    distinct set of model inputs.
    """
    return dict(_facts(FleetParams.from_answers(answers)))
