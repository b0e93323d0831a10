"""The fleet model: one candidate architecture as compact, integer-indexed arrays.

A :class:`Topology` describes sites, racks, hosts, VMs, Kubernetes nodes, pods,
services, tenants and control-plane members. It is produced either from a profile
(:func:`advisor.faultdomain.fleet.generate`, one topology per option) or from a topology file
(:mod:`advisor.faultdomain.topology`). The networkx graph is built from it by
:func:`advisor.faultdomain.graph.build_graph`.

Arrays rather than objects keep 10,000 hosts, 40,000 VMs and 200,000 pods small and
fast. Indices are per kind (host 0, host 1, ...). A *machine* is a host or a VM:
machine index ``m < hosts`` is host ``m``, otherwise it is VM ``m - hosts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.errors import DataError

__all__ = [
    "BARE_METAL",
    "CONTROL_PLANE_MEMBERS",
    "FLEET",
    "MAX_HOSTS",
    "FleetTooLarge",
    "MAX_NODES",
    "MAX_PODS",
    "OPTION_LABELS",
    "OPTIONS",
    "SITE_TYPES",
    "VM",
    "Topology",
]

#: Option keys used in facts (``graph.<option>.<metric>``) and results.
BARE_METAL = "bare_metal"
VM = "vm"
#: The option key of a fleet loaded from a topology file.
FLEET = "fleet"
OPTIONS = (BARE_METAL, VM)
OPTION_LABELS = {BARE_METAL: "bare metal", VM: "VM-backed", FLEET: "fleet"}

#: Control-plane members (etcd + API server) modelled per cluster.
CONTROL_PLANE_MEMBERS = 3

SITE_TYPES = ("datacenter", "edge")

#: Largest generated fleet: beyond this the graph would not fit the time and memory budget.
class FleetTooLarge(DataError):
    """The generated fleet would exceed the model's caps (MAX_HOSTS, MAX_NODES, MAX_PODS)."""


MAX_HOSTS = 100_000
MAX_NODES = 400_000
MAX_PODS = 2_000_000


@dataclass(eq=False)
class Topology:
    """One fleet as arrays. See the module docstring for the indexing."""

    option: str
    label: str
    site_count: int
    #: site index of each rack
    rack_site: list[int]
    #: rack index of each host
    host_rack: list[int]
    #: parent machine index of each VM (a host, or a VM for nested virtualization)
    vm_parent: list[int]
    #: machine index (host or VM) whose kernel runs each Kubernetes node
    node_machine: list[int]
    #: cluster index of each node, or -1 when the node belongs to no declared cluster
    node_cluster: list[int]
    #: pods of service ``s`` are ``pod_node[service_start[s]:service_start[s + 1]]``
    service_start: list[int]
    #: node index of each pod, grouped by service
    pod_node: list[int]
    #: tenant index of each service
    service_tenant: list[int]
    tenant_count: int
    cluster_count: int
    #: node indices of each cluster's control-plane members
    control_plane: list[list[int]]
    #: the accepted blast radius in percent (profile ``max_blast_radius_pct``)
    max_blast_radius_pct: float = 10.0
    #: names per kind ("site", "rack", "host", "vm", "node", "service", "tenant", "cluster");
    #: kinds absent here get generated names such as ``host-3``
    names: dict[str, list[str]] = field(default_factory=dict)

    @property
    def hosts(self) -> int:
        return len(self.host_rack)

    @property
    def racks(self) -> int:
        return len(self.rack_site)

    @property
    def vms(self) -> int:
        return len(self.vm_parent)

    @property
    def nodes(self) -> int:
        return len(self.node_machine)

    @property
    def services(self) -> int:
        return len(self.service_tenant)

    @property
    def pods(self) -> int:
        return len(self.pod_node)

    def name(self, kind: str, index: int) -> str:
        """Display name of component ``index`` of ``kind``."""
        given = self.names.get(kind)
        if given is not None:
            return given[index]
        if kind == "service":
            return f"svc-{index + 1}"
        if kind == "vm" and self.option == VM:
            return _generated_vm_name(self, index)
        if kind == "node" and self.option == VM:
            return "node-" + _generated_vm_name(self, self.node_machine[index] - self.hosts).removeprefix("vm-")
        if kind == "node" and self.option == BARE_METAL:
            return f"node-{self.node_machine[index] + 1}"
        return f"{kind}-{index + 1}"


def _generated_vm_name(topo: Topology, vm: int) -> str:
    workers = topo.vms - topo.cluster_count * CONTROL_PLANE_MEMBERS
    host = topo.vm_parent[vm] + 1
    if vm < workers:
        per_host = workers // topo.hosts if topo.hosts else 1
        return f"vm-{host}-{vm % per_host + 1}" if per_host else f"vm-{vm + 1}"
    extra = vm - workers
    return f"vm-cp-c{extra // CONTROL_PLANE_MEMBERS + 1}-{extra % CONTROL_PLANE_MEMBERS + 1}"

