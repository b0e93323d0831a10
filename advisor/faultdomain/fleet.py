"""A fleet generated from profile answers: :class:`FleetParams` and :func:`generate`, one topology per option.

The spreading modelled here is documented in docs/fault-domains.md ("Spreading").
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass

from advisor.errors import DataError, did_you_mean, one_of
from advisor.faultdomain.model import (
    CONTROL_PLANE_MEMBERS,
    MAX_HOSTS,
    MAX_NODES,
    MAX_PODS,
    OPTION_LABELS,
    OPTIONS,
    SITE_TYPES,
    VM,
    FleetTooLarge,
    Topology,
)

__all__ = ["FleetParams", "generate"]


#: The fleet parameters that are counts (whole numbers, at least 1), checked and read alike.
COUNT_FIELDS = ("physical_hosts", "racks", "microservices_per_host", "replicas_per_service", "vms_per_host",
                "clusters", "tenant_count", "hosts_per_site")


@dataclass(frozen=True)
class FleetParams:
    """The profile answers the model reads, with their defaults.

    ``services`` is not a profile answer: it overrides the derived number of services
    (``physical_hosts * microservices_per_host // replicas_per_service``, at least 1)
    for callers of the Python API and for tests.
    """

    physical_hosts: int = 20
    racks: int = 4
    microservices_per_host: int = 20
    replicas_per_service: int = 3
    vms_per_host: int = 4
    clusters: int = 3
    tenant_count: int = 5
    site_type: str = "datacenter"
    hosts_per_site: int = 3
    max_blast_radius_pct: float = 10.0
    services: int | None = None

    def __post_init__(self) -> None:
        for name in COUNT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(
                    f"fault-domain model: {name} must be a whole number of at least 1, got {value!r}",
                    "fix the answer in the profile",
                )
        if self.services is not None and (
            isinstance(self.services, bool) or not isinstance(self.services, int) or self.services < 1
        ):
            raise DataError(
                f"fault-domain model: services must be a whole number of at least 1, got {self.services!r}",
                "leave it unset to derive it from the profile",
            )
        if self.site_type not in SITE_TYPES:
            raise DataError(
                f"fault-domain model: unknown site_type {self.site_type!r}",
                did_you_mean(str(self.site_type), SITE_TYPES) or f"use one of {one_of(SITE_TYPES)}",
            )
        limit = self.max_blast_radius_pct
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 <= limit <= 100:
            raise DataError(
                f"fault-domain model: max_blast_radius_pct must be a number from 0 to 100, got {limit!r}",
                "fix the answer in the profile",
            )
        too_big = [
            (self.physical_hosts, MAX_HOSTS, "physical hosts"),
            (self.physical_hosts * self.vms_per_host, MAX_NODES, "VMs"),
            (self.service_count * self.replicas_per_service, MAX_PODS, "pods"),
        ]
        for value, cap, what in too_big:
            if value > cap:
                raise FleetTooLarge(
                    f"fault-domain model: {value:,} {what} is more than the model handles ({cap:,})",
                    "model a representative part of the fleet (one region or cluster) or describe it "
                    "in a topology file",
                )

    @classmethod
    def from_answers(cls, answers: Mapping[str, object]) -> FleetParams:
        """Read the model's keys from profile answers; absent or ``None`` keys take the defaults.

        Other keys of the profile are ignored. Whole-number floats (``20.0``) are accepted
        for counts.
        """
        defaults = cls()
        values: dict[str, object] = {}
        for name in COUNT_FIELDS:
            value = answers.get(name)
            if value is None:
                value = getattr(defaults, name)
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            values[name] = value
        for name in ("site_type", "max_blast_radius_pct"):
            value = answers.get(name)
            values[name] = getattr(defaults, name) if value is None else value
        return cls(**values)  # type: ignore[arg-type]

    @property
    def tenants(self) -> int:
        """Tenants modelled: ``tenant_count`` (1 for a single team)."""
        return self.tenant_count

    @property
    def service_count(self) -> int:
        """Services modelled: the override, or replica slots divided by replicas (at least 1)."""
        if self.services is not None:
            return self.services
        slots = self.physical_hosts * self.microservices_per_host
        return max(1, slots // self.replicas_per_service)



def _racks(p: FleetParams) -> tuple[int, list[int], list[int]]:
    """Sites, the site of each rack and the size of each rack."""
    hosts = p.physical_hosts
    if p.site_type == "edge":
        per_site = p.hosts_per_site
        sites = math.ceil(hosts / per_site)
        sizes = [per_site] * (sites - 1) + [hosts - per_site * (sites - 1)]
        return sites, list(range(sites)), sizes
    racks = min(p.racks, hosts)
    base, extra = divmod(hosts, racks)
    return 1, [0] * racks, [base + 1 if r < extra else base for r in range(racks)]


def generate(p: FleetParams, option: str) -> Topology:
    """The topology of one option (``"bare_metal"`` or ``"vm"``) for a profile.

    Linear in hosts + VMs + pods.
    """
    if option not in OPTIONS:
        raise ValueError(f"unknown option {option!r}")
    vm_option = option == VM
    hosts = p.physical_hosts
    sites, rack_site, sizes = _racks(p)
    host_rack: list[int] = []
    for rack, size in enumerate(sizes):
        host_rack.extend([rack] * size)

    per_host = p.vms_per_host if vm_option else 1
    workers = hosts * per_host
    clusters = min(p.clusters, workers)

    # Worker nodes: node i runs on host i // per_host (bare metal: the host itself,
    # VM: worker VM i); its cluster: i % clusters, or its site's share at even edge sites (_node_clusters).
    if vm_option:
        vm_parent = [i // per_host for i in range(workers)]
        node_machine = list(range(hosts, hosts + workers))
    else:
        vm_parent = []
        node_machine = list(range(hosts))
    # at the edge each rack is a site (_racks): sites of one size, or one site, or sites of mixed sizes
    node_cluster = _node_clusters(workers, clusters, sites if min(sizes) == max(sizes) else 1)

    # Each cluster's worker list, ordered by (rank of the node among the cluster's nodes
    # on its host, rank of the host among the cluster's hosts in its rack, rack). Linear:
    # the nodes are dealt into buckets by (node rank, host rank), and within a bucket they
    # arrive in rack order already (hosts are numbered rack by rack, one per rack a bucket).
    buckets: list[dict[tuple[int, int], list[int]]] = [{} for _ in range(clusters)]
    rows: dict[tuple[int, int], int] = {}
    # the first layer of each list holds one node per distinct host (rank 0 on its host)
    first_layer = [0] * clusters
    for host in range(hosts):
        rack = host_rack[host]
        on_host: dict[int, list[int]] = {}
        for i in range(host * per_host, (host + 1) * per_host):
            c = node_cluster[i]
            seen = on_host.get(c)
            if seen is None:
                row = rows.get((c, rack), 0)
                rows[(c, rack)] = row + 1
                on_host[c] = [row, 1]
                first_layer[c] += 1
                key = (0, row)
            else:
                key = (seen[1], seen[0])
                seen[1] += 1
            bucket = buckets[c].get(key)
            if bucket is None:
                buckets[c][key] = [i]
            else:
                bucket.append(i)
    order: list[list[int]] = []
    for c in range(clusters):
        by_key = buckets[c]
        ranks = 1 + max(rank for rank, _ in by_key)
        host_ranks = 1 + max(row for _, row in by_key)
        ring: list[int] = []
        for rank in range(ranks):
            for row in range(host_ranks):
                ring.extend(by_key.get((rank, row), ()))
        # fresh integers laid out in ring order: the pods below repeat the ring, and reading
        # them back (the metrics' arrays) then walks memory in order instead of at random
        order.append(array("q", ring).tolist())
    del buckets, rows

    # Services: split among the clusters in proportion to their worker nodes and numbered
    # cluster by cluster; the cluster's q-th service has tenant q % T and its replica r
    # runs on L_c[(q * K + r) % |L_c|] (pods are dealt over L_c like cards).
    services = p.service_count
    replicas = p.replicas_per_service
    tenants = p.tenants
    per_cluster = _largest_remainder(services, [len(ring) for ring in order])
    pod_node: list[int] = []
    service_tenant: list[int] = []
    for c in range(clusters):
        ring = order[c]
        need = per_cluster[c] * replicas
        whole, rest = divmod(need, len(ring))
        for _ in range(whole):  # the ring again and again, without a copy of it the size of the pods
            pod_node.extend(ring)
        pod_node.extend(ring[:rest])
        service_tenant.extend((list(range(tenants)) * -(-per_cluster[c] // tenants))[: per_cluster[c]])
    service_start = list(range(0, services * replicas + 1, replicas))

    # Control plane: member j of cluster c sits on the host of L_c[(3c + j) % m_c], m_c being
    # the cluster's distinct hosts (the first m_c entries of L_c, one per host). Bare metal:
    # that host's node itself, so at most min(3, m_c) members. VM: a dedicated control-plane VM.
    control_plane: list[list[int]] = []
    for c in range(clusters):
        ring = order[c]
        distinct_hosts = first_layer[c]
        if vm_option:
            members = []
            for j in range(CONTROL_PLANE_MEMBERS):
                host = ring[(CONTROL_PLANE_MEMBERS * c + j) % distinct_hosts] // per_host
                vm_parent.append(host)
                node_machine.append(hosts + len(vm_parent) - 1)
                node_cluster.append(c)
                members.append(len(node_machine) - 1)
            control_plane.append(members)
        else:
            control_plane.append(
                [
                    ring[(CONTROL_PLANE_MEMBERS * c + j) % distinct_hosts]
                    for j in range(min(CONTROL_PLANE_MEMBERS, distinct_hosts))
                ]
            )

    return Topology(
        option=option,
        label=OPTION_LABELS[option],
        site_count=sites,
        rack_site=rack_site,
        host_rack=host_rack,
        vm_parent=vm_parent,
        node_machine=node_machine,
        node_cluster=node_cluster,
        service_start=service_start,
        pod_node=pod_node,
        service_tenant=service_tenant,
        tenant_count=tenants,
        cluster_count=clusters,
        control_plane=control_plane,
        max_blast_radius_pct=float(p.max_blast_radius_pct),
        names={"site": ["dc-1"]} if p.site_type == "datacenter" else {},
    )


def _node_clusters(workers: int, clusters: int, even_sites: int) -> list[int]:
    """The cluster of each worker node: ``i mod clusters``, or a share of its site's clusters at even edge sites.

    ``even_sites`` is the number of sites where every site has as many hosts, else 1. Where
    there are several and the clusters divide evenly among them, a cluster stays at its site,
    as a store's cluster does: site s (nodes are numbered site by site) holds clusters
    ``s * k .. s * k + k - 1`` (``k = clusters / sites``) and deals its nodes over them.
    Otherwise every cluster has nodes on every site, as evenly as the counts allow. Either
    way a cluster's hosts are ``hosts / clusters``, give or take one: the even placement the
    decision's estimates assume, so the quorum metrics do not step with placement details
    (a cluster per site of uneven size would).
    """
    if even_sites == 1 or clusters % even_sites:
        return [i % clusters for i in range(workers)]
    k, nodes = clusters // even_sites, workers // even_sites
    return [(i // nodes) * k + (i % nodes) % k for i in range(workers)]


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the lower index)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    rest = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:rest]:
        shares[i] += 1
    return shares
