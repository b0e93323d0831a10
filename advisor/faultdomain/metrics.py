"""Fault-domain metrics of a fleet, computed from its arrays.

Every metric is defined in :data:`METRICS` (and in docs/fault-domains.md). The
containment tree (site -> rack -> host -> VM -> node -> pod) is implicit in the
topology's parent arrays, so no graph is built: vectorised passes collect the distinct
(service, place) pairs at each level, each level derived from the one below. The
number of pairs per place is its blast radius; the services with a single place are
that place's outage. Linear in pods, with the loops in C (``map``, ``zip``, sets,
counters). :func:`advisor.faultdomain.graph.build_graph` builds the networkx graph of
the same tree for callers that want to run graph algorithms on it.
"""

from __future__ import annotations

import gc
from array import array
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from advisor.faultdomain.model import OPTION_LABELS, OPTIONS, FleetParams, Topology, generate

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


def _machine_hosts(topo: Topology) -> tuple[list[int], list[tuple[int, ...]]]:
    """Host index of every machine, and each machine's chain of VMs up to its host (itself first)."""
    hosts = topo.hosts
    machine_host = list(range(hosts)) + [-1] * topo.vms
    chains: list[tuple[int, ...]] = [()] * hosts + [(hosts + v,) for v in range(topo.vms)]
    vm_parent = topo.vm_parent
    for v in range(topo.vms):
        m = hosts + v
        up = vm_parent[v]
        if up < hosts:
            machine_host[m] = up
            continue
        chain = [m]
        while up >= hosts:  # nested virtualization: follow the VM parents to the host
            chain.append(up)
            up = vm_parent[up - hosts]
        machine_host[m] = up
        chains[m] = tuple(chain)
    return machine_host, chains


class _Level:
    """The distinct (service, place) pairs of one level of the tree, sorted by service.

    ``touched`` counts, per place, the services with a pod there (the blast radius);
    ``single`` counts, per place, the services whose pods are all there (the outage).
    """

    def __init__(self, services: npt.NDArray[np.int64], places: npt.NDArray[np.int64], size: int,
                 service_count: int) -> None:
        self.size = max(size, 1)
        self.service_count = service_count
        codes = _unique(services * self.size + places)
        self.services = codes // self.size
        self.places = codes % self.size

    def touched(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.places, minlength=self.size)

    def single_mask(self) -> npt.NDArray[np.bool_]:
        """Which pairs belong to a service with a single place."""
        per_service = np.bincount(self.services, minlength=max(self.service_count, 1))
        mask: npt.NDArray[np.bool_] = per_service[self.services] == 1
        return mask

    def single(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.places[self.single_mask()], minlength=self.size)

    def up(self, parent: npt.NDArray[np.int64], size: int) -> _Level:
        """The pairs one level up: each place replaced by its parent."""
        return _Level(self.services, parent[self.places], size, self.service_count)


def _unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The sorted distinct values, sorting in place.

    The codes come grouped by service (the pods of a service are contiguous, and each
    level is derived from the sorted level below), so a stable sort (timsort or radix)
    on nearly sorted data is about linear; numpy's hash-based ``unique`` is slower here.
    """
    values.sort(kind="stable")
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _max(values: npt.NDArray[np.int64]) -> int:
    return int(values.max()) if values.size else 0


def _array(values: list[int]) -> npt.NDArray[np.int64]:
    # through array.array: about 5x faster than np.asarray on a list of Python ints
    return np.frombuffer(array("q", values), dtype=np.int64)


def compute_metrics(topo: Topology) -> dict[str, MetricValue]:
    """All metrics of :data:`METRICS` for one topology, from its arrays.

    Vectorised passes (see :class:`_Level`): the distinct (service, place) pairs at each
    level of the containment tree, machine -> host -> rack -> site, each derived from
    the level below. A level's pairs give its blast radius (services per place) and its
    outage (services with a single place). No graph is built; the cost is a sort of the
    pods' pairs per level.
    """
    services = topo.services
    hosts = topo.hosts
    machines = hosts + topo.vms
    pod_service = np.repeat(np.arange(services, dtype=np.int64), np.diff(_array(topo.service_start)))
    pod_node = _array(topo.pod_node)
    node_machine = _array(topo.node_machine)
    host_list, vm_chains = _machine_hosts(topo)
    machine_host = _array(host_list)

    level_machine = _Level(pod_service, node_machine[pod_node], machines, services)
    del pod_service
    level_host = level_machine.up(machine_host, hosts) if topo.vms else level_machine
    level_rack = level_host.up(_array(topo.host_rack), topo.racks)
    level_site = level_rack.up(_array(topo.rack_site), topo.site_count)

    touched_host = level_host.touched()
    outage_host = level_host.single()
    rack_single = level_rack.single_mask()
    outage_rack = np.bincount(level_rack.places[rack_single], minlength=level_rack.size)
    spof_vms = 0
    touched_vm = level_machine.touched()  # per machine; a VM's own pods
    if any(len(c) > 1 for c in vm_chains):  # nested VMs: a VM also holds the pods of the VMs inside it
        pairs = list(zip(level_machine.services.tolist(), level_machine.places.tolist(), strict=True))
        nested = Counter(v for _, v in {(s, v) for s, m in pairs for v in vm_chains[m]})
        touched_vm = np.zeros(machines, dtype=np.int64)
        for v, count in nested.items():
            touched_vm[v] = count
        spof_vms = len(_nested_outage(pairs, vm_chains))
    elif topo.vms:
        outage_machine = level_machine.single()
        spof_vms = int(np.count_nonzero(outage_machine[hosts:]))

    kernel_machines = _unique(node_machine.copy())
    kernels = int(kernel_machines.size)
    on_hosts = kernel_machines[kernel_machines < hosts]
    on_vms = kernel_machines[kernel_machines >= hosts]
    kernel_blast = max(_max(touched_host[on_hosts]), _max(touched_vm[on_vms]))
    tenant_of = _array(topo.service_tenant)
    tenants = int(_unique(tenant_of.copy()).size)
    if tenants > 1:
        tenant_level = _Level(tenant_of[level_machine.services], level_machine.places, machines, topo.tenant_count)
        tenants_per_kernel = _max(tenant_level.touched())
        del tenant_level
    else:
        tenants_per_kernel = 1 if topo.pods else 0

    pods_on_node = np.bincount(pod_node, minlength=topo.nodes)
    node_host = machine_host[node_machine]
    pods_on_host = np.bincount(node_host, weights=pods_on_node, minlength=hosts) if topo.nodes else pods_on_node

    members_total, host_quorum, rack_quorum = _quorum(topo, node_host.tolist())
    host_blast = _pct(_max(touched_host), services)
    result: dict[str, MetricValue] = {
        "sites": topo.site_count,
        "racks": topo.racks,
        "hosts": hosts,
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
        "host_outage_services_pct": _pct(_max(outage_host), services),
        "rack_blast_radius_pct": _pct(_max(level_rack.touched()), services),
        "rack_outage_services_pct": _pct(_max(outage_rack), services),
        "site_blast_radius_pct": _pct(_max(level_site.touched()), services),
        "site_outage_services_pct": _pct(_max(level_site.single()), services),
        "kernel_blast_radius_pct": _pct(kernel_blast, services),
        "tenants_per_kernel": tenants_per_kernel,
        "drain_pods_per_upgrade_step": _max(pods_on_node),
        "host_drain_pods": _max(pods_on_host.astype(np.int64)),
        "spof_count": int(np.count_nonzero(outage_rack)) + int(np.count_nonzero(outage_host)) + spof_vms,
        "spof_services": int(np.count_nonzero(rack_single)),
        "control_plane_quorum_loss": host_quorum > 0,
        "control_plane_quorum_loss_clusters": host_quorum,
        "rack_control_plane_quorum_loss_clusters": rack_quorum,
        "host_blast_radius_within_limit": host_blast <= topo.max_blast_radius_pct,
    }
    assert list(result) == list(_SPECS), "metrics and METRICS disagree"
    return result


def _nested_outage(pairs: list[tuple[int, int]], vm_chains: list[tuple[int, ...]]) -> Counter[int]:
    """Services fully under each VM when VMs nest: the VMs common to all the service's machines."""
    common: dict[int, set[int]] = {}
    for s, m in pairs:
        chain_m = set(vm_chains[m])  # empty for a host: the service is then under no VM alone
        if s in common:
            common[s] &= chain_m
        else:
            common[s] = chain_m
    out: Counter[int] = Counter()
    for vms in common.values():
        out.update(vms)
    return out


def _quorum(topo: Topology, node_host: list[int]) -> tuple[int, int, int]:
    """Control-plane members in all clusters, and the most clusters losing quorum to one host / one rack."""
    lost_host: Counter[int] = Counter()
    lost_rack: Counter[int] = Counter()
    total = 0
    host_rack = topo.host_rack
    for members in topo.control_plane:
        distinct = list(dict.fromkeys(members))
        total += len(distinct)
        if not distinct:
            continue
        quorum = len(distinct) // 2 + 1
        per_host = Counter(node_host[n] for n in distinct)
        per_rack: Counter[int] = Counter()
        for h, count in per_host.items():
            per_rack[host_rack[h]] += count
        lost_host.update(h for h, c in per_host.items() if len(distinct) - c < quorum)
        lost_rack.update(r for r, c in per_rack.items() if len(distinct) - c < quorum)
    return total, max(lost_host.values(), default=0), max(lost_rack.values(), default=0)


def analyze_topology(topo: Topology) -> OptionResult:
    """Compute the metrics of one topology.

    The cyclic garbage collector is paused meanwhile: the passes build hundreds of
    thousands of small tuples and no garbage cycles, and scanning them costs time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        metrics = compute_metrics(topo)
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
