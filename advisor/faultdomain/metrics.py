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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from advisor.faultdomain.fleet import FleetParams, generate
from advisor.faultdomain.model import OPTION_LABELS, OPTIONS, Topology

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


def compute_metrics(topo: Topology) -> dict[str, MetricValue]:
    """All metrics of :data:`METRICS` for one topology (see the module docstring)."""
    from advisor.faultdomain.arrays import metrics  # numpy is imported only to compute

    result = metrics(topo)
    assert list(result) == list(_SPECS), "metrics and METRICS disagree"
    return result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs), and restore it afterwards.

    Generating a fleet and computing its metrics build millions of list entries and
    hundreds of thousands of small objects but no garbage cycles: the collector's scans
    find nothing, and their cost grows with everything already alive (the first
    option's topology while the second is generated), faster than the fleet.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def analyze_topology(topo: Topology) -> OptionResult:
    """Compute the metrics of one topology (the garbage collector paused meanwhile)."""
    with _gc_paused():
        metrics = compute_metrics(topo)
    return OptionResult(topo.option, topo.label, topo, metrics)


def analyze_params(params: FleetParams) -> Result:
    """Generate and analyse both options for the given parameters (one graph at a time).

    The garbage collector is paused while the topologies are generated, too.
    """
    with _gc_paused():
        options = tuple(analyze_topology(generate(params, option)) for option in OPTIONS)
    return Result("profile", options, params)


def analyze(answers: Mapping[str, object]) -> Result:
    """Generate and analyse both options from profile answers (see :class:`FleetParams`)."""
    return analyze_params(FleetParams.from_answers(answers))


@lru_cache(maxsize=16)
def _facts(params: FleetParams) -> tuple[tuple[str, MetricValue], ...]:
    items: list[tuple[str, MetricValue]] = []
    for option in OPTIONS:
        with _gc_paused():
            metrics = analyze_topology(generate(params, option)).metrics
        items.extend((f"graph.{option}.{name}", value) for name, value in metrics.items())
    return tuple(items)


def graph_facts(answers: Mapping[str, object]) -> dict[str, MetricValue]:
    """Flat facts ``graph.bare_metal.<metric>`` and ``graph.vm.<metric>`` for the rules engine.

    The names and types are those of :data:`FACT_TYPES`. Results are cached per
    distinct set of model inputs.
    """
    return params_facts(FleetParams.from_answers(answers))


def params_facts(params: FleetParams) -> dict[str, MetricValue]:
    """:func:`graph_facts` of the model's inputs."""
    return dict(_facts(params))
