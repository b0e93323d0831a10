"""The metrics of one topology, computed from its arrays with numpy (see :mod:`advisor.faultdomain.metrics`).

Kept apart so that importing the package (metric names and types, for the rules) does
not import numpy: only computing metrics does.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

from advisor.faultdomain.model import Topology

__all__ = ["machine_hosts", "metrics"]

MetricValue = int | float | bool


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def machine_hosts(topo: Topology) -> tuple[list[int], list[tuple[int, ...]]]:
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


Index = npt.NDArray[Any]  # integer indices or codes, 32- or 64-bit (see _index_type)

_INT32_MAX = int(np.iinfo(np.int32).max)


def _index_type(bound: int) -> type[np.int32] | type[np.int64]:
    """32-bit integers for values up to ``bound`` when they fit (half the memory to fill and to read), else 64-bit."""
    return np.int32 if bound <= _INT32_MAX else np.int64


class _Level:
    """The distinct (service, place) pairs of one level of the tree, sorted by service.

    ``touched`` counts, per place, the services with a pod there (the blast radius);
    ``single`` counts, per place, the services whose pods are all there (the outage).
    A pair is coded ``service * size + place``: in 32 bits when every code fits, else in 64.
    """

    def __init__(self, services: Index, places: Index, size: int, service_count: int) -> None:
        self.size = max(size, 1)
        self.service_count = service_count
        codes: Index = services.astype(_index_type(max(service_count, 1) * self.size))  # a copy, multiplied in place
        codes *= self.size
        codes += places
        codes = _unique(codes)
        # decoded into the narrower type of a service and a place (64-bit codes need not give 64-bit halves);
        # every service is below service_count and every place below size, so the cast cannot wrap
        narrow = _index_type(max(service_count, self.size))
        self.services: Index = np.empty(codes.size, dtype=narrow)
        self.places: Index = np.empty(codes.size, dtype=narrow)
        np.divmod(codes, self.size, out=(self.services, self.places), casting="unsafe")

    def touched(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.places, minlength=self.size)

    def single_mask(self) -> npt.NDArray[np.bool_]:
        """Which pairs belong to a service with a single place."""
        per_service = np.bincount(self.services, minlength=max(self.service_count, 1))
        mask: npt.NDArray[np.bool_] = (per_service == 1)[self.services]  # a flag per service, then per pair
        return mask

    def single(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.places[self.single_mask()], minlength=self.size)

    def up(self, parent: Index, size: int) -> _Level:
        """The pairs one level up: each place replaced by its parent."""
        return _Level(self.services, parent[self.places], size, self.service_count)


def _unique(values: Index) -> Index:
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


def _max(values: npt.NDArray[np.integer[Any]]) -> int:
    return int(values.max()) if values.size else 0


def _array(values: list[int], bound: int) -> Index:
    """``values`` (indices or counts up to ``bound``) as an array, in 32 bits when they fit.

    np.fromiter with the count: about 5x faster than np.asarray on a list of Python ints with
    older numpy, and a third faster than going through array.array with numpy 2; a value that
    does not fit the type raises instead of wrapping.
    """
    return np.fromiter(values, dtype=_index_type(bound), count=len(values))


def metrics(topo: Topology) -> dict[str, MetricValue]:
    """The metrics of one topology, in the order of ``METRICS``, from its arrays.

    Vectorised passes (see :class:`_Level`): the distinct (service, place) pairs at each
    level of the containment tree, machine -> host -> rack -> site, each derived from
    the level below. A level's pairs give its blast radius (services per place) and its
    outage (services with a single place). No graph is built; the cost is a sort of the
    pods' pairs per level.
    """
    services = topo.services
    hosts = topo.hosts
    machines = hosts + topo.vms
    pod_service = np.repeat(np.arange(services, dtype=_index_type(services)),
                            np.diff(_array(topo.service_start, topo.pods)))
    pod_node = _array(topo.pod_node, topo.nodes)
    node_machine = _array(topo.node_machine, machines)
    vm_parent = _array(topo.vm_parent, machines)
    nesting = bool(np.any(vm_parent >= hosts))  # a VM inside a VM
    if nesting:
        host_list, vm_chains = machine_hosts(topo)
        machine_host = _array(host_list, hosts)
    else:  # each VM's parent is its host: no chains to follow
        machine_host = np.concatenate((np.arange(hosts, dtype=vm_parent.dtype), vm_parent))

    level_machine = _Level(pod_service, node_machine[pod_node], machines, services)
    pods_on_node = np.bincount(pod_node, minlength=topo.nodes)
    del pod_service, pod_node  # the arrays the size of the pods, freed before the levels above allocate theirs
    level_host = level_machine.up(machine_host, hosts) if topo.vms else level_machine
    level_rack = level_host.up(_array(topo.host_rack, topo.racks), topo.racks)
    level_site = level_rack.up(_array(topo.rack_site, topo.site_count), topo.site_count)

    touched_host = level_host.touched()
    outage_host = level_host.single()
    rack_single = level_rack.single_mask()
    outage_rack = np.bincount(level_rack.places[rack_single], minlength=level_rack.size)
    spof_vms = 0
    touched_vm = level_machine.touched()  # per machine; a VM's own pods
    if nesting:  # a VM also holds the pods of the VMs inside it
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
    tenant_of = _array(topo.service_tenant, topo.tenant_count)
    tenants = int(_unique(tenant_of.copy()).size)
    if tenants > 1:
        tenant_level = _Level(tenant_of[level_machine.services], level_machine.places, machines, topo.tenant_count)
        tenants_per_kernel = _max(tenant_level.touched())
        del tenant_level
    else:
        tenants_per_kernel = 1 if topo.pods else 0

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
