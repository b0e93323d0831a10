"""Topology files: a real fleet described in YAML (format in docs/fault-domains.md).

::

    advisor_topology: 1
    name: shop-prod
    sites:
      - name: dc-1
        racks:
          - {name: rack-a, hosts: [host-1, host-2]}
    vms:
      - {name: vm-1, parent: host-1}        # parent: a host, or a VM (nested)
    nodes:
      - {name: node-1, parent: vm-1, cluster: prod}   # parent: the host or VM whose kernel runs it
    clusters:
      - {name: prod, control_plane: [node-1]}
    tenants: [team-a]
    services:
      - name: web
        tenant: team-a
        pods: [node-1, {node: node-2, count: 2}]

Every problem is a :class:`~advisor.errors.DataError` with the ``file:line:col`` of
the offending key or value. Problems of one phase (structure through the model of
:mod:`advisor.faultdomain.file`, then names, then references) are reported together.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from advisor import yamlio
from advisor.errors import did_you_mean
from advisor.faultdomain.file import TOPOLOGY_FORMAT, TopologyFile
from advisor.faultdomain.metrics import Result, analyze_topology
from advisor.faultdomain.model import FLEET, Topology
from advisor.faultdomain.shape import WORD, Path, Raw, Reader, Ref, read_structure
from advisor.validation import validate

__all__ = ["TOPOLOGY_FORMAT", "analyze_file", "load_topology", "parse_topology"]


@dataclass
class Named:
    kind: str
    index: int
    path: Path


def _unique(r: Reader, refs: Sequence[Ref], what: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, ref in enumerate(refs):
        if ref.name in index:
            first = refs[index[ref.name]]
            r.fail(ref.path, f"{what} {ref.name!r} is declared twice (first at line {r.line(first.path)})",
                   f"give each {what} its own name")
        else:
            index[ref.name] = i
    return index


def _resolve(r: Reader, raw: Raw) -> Topology:
    """Phases 2 and 3: names, references, cycles; then the arrays."""
    table: dict[str, Named] = {}
    host_rack_name: dict[str, str] = {}

    def declare(ref: Ref, kind: str, index: int, rack: str | None = None) -> None:
        first = table.get(ref.name)
        if first is None:
            table[ref.name] = Named(kind, index, ref.path)
            if rack is not None:
                host_rack_name[ref.name] = rack
            return
        if kind == "host" and first.kind == "host":
            r.fail(ref.path, f"host {ref.name!r} is in two racks, {host_rack_name[ref.name]!r} "
                   f"(line {r.line(first.path)}) and {rack!r}", "list each host under one rack")
            return
        r.fail(ref.path, f"name {ref.name!r} is already used by the {WORD[first.kind]} at line {r.line(first.path)}",
               "give every site, rack, host, VM and node its own name")

    for i, ref in enumerate(raw.sites):
        declare(ref, "site", i)
    for i, (ref, _site) in enumerate(raw.racks):
        declare(ref, "rack", i)
    for i, (ref, rack) in enumerate(raw.hosts):
        declare(ref, "host", i, raw.racks[rack][0].name)
    for i, (ref, _parent) in enumerate(raw.vms):
        declare(ref, "vm", i)
    for i, (ref, _parent, _cluster) in enumerate(raw.nodes):
        declare(ref, "node", i)
    clusters = _unique(r, [c for c, _ in raw.clusters], "cluster")
    _unique(r, [s for s, _, _ in raw.services], "service")
    tenants = _unique(r, raw.tenants, "tenant") if raw.tenants is not None else None
    r.check()

    hosts = len(raw.hosts)
    machines = [ref.name for ref, _ in raw.hosts] + [ref.name for ref, _ in raw.vms]

    def machine_of(owner: str, what: str, parent: Ref) -> int:
        if parent.name == owner:
            r.fail(parent.path, f"{what} {owner!r} is declared as its own parent", "give the host or VM that runs it")
            return -1
        found = table.get(parent.name)
        if found is None:
            r.fail(parent.path, f"{what} {owner!r} has unknown parent {parent.name!r}",
                   did_you_mean(parent.name, machines) or "give the name of a host or VM")
            return -1
        if found.kind not in ("host", "vm"):
            r.fail(parent.path, f"parent {parent.name!r} of {what} {owner!r} is a {WORD[found.kind]}",
                   "a VM or node runs on a host or a VM")
            return -1
        return found.index if found.kind == "host" else hosts + found.index

    vm_parent = [machine_of(ref.name, "VM", parent) for ref, parent in raw.vms]
    node_machine = [machine_of(ref.name, "node", parent) for ref, parent, _ in raw.nodes]
    r.check()
    _cycles(r, raw, vm_parent, hosts)

    cluster_names = [c.name for c, _ in raw.clusters]
    node_cluster: list[int] = []
    for ref, _parent, cluster in raw.nodes:
        if cluster is None:
            node_cluster.append(0 if len(raw.clusters) == 1 else -1)
        elif cluster.name in clusters:
            node_cluster.append(clusters[cluster.name])
        else:
            node_cluster.append(-1)
            r.fail(cluster.path, f"node {ref.name!r} is in unknown cluster {cluster.name!r}",
                   did_you_mean(cluster.name, cluster_names) or "declare it under clusters:")

    node_names = [ref.name for ref, _, _ in raw.nodes]

    def node_of(name: str, path: Path, owner: str) -> int:
        found = table.get(name)
        if found is not None and found.kind == "node":
            return found.index
        hint = did_you_mean(name, node_names)
        if hint is None:
            hint = (f"{name!r} is a {WORD[found.kind]}; give the name of a Kubernetes node"
                    if found is not None else "declare the node under nodes:")
        r.fail(path, f"{owner} on unknown node {name!r}", hint)
        return -1

    control_plane: list[list[int]] = []
    cp_cluster: dict[int, int] = {}
    for c, (cluster, members) in enumerate(raw.clusters):
        indices: list[int] = []
        for member in members:
            n = node_of(member.name, member.path, f"cluster {cluster.name!r} has a control-plane member")
            if n < 0:
                continue
            if n in cp_cluster:
                other = raw.clusters[cp_cluster[n]][0].name
                r.fail(member.path, f"node {member.name!r} is listed twice as a control-plane member "
                       f"(in {other!r} and {cluster.name!r})", "list each control-plane node once")
                continue
            if node_cluster[n] not in (-1, c):
                r.fail(member.path, f"node {member.name!r} is in cluster {cluster_names[node_cluster[n]]!r} "
                       f"but in the control plane of {cluster.name!r}", "fix the node's cluster or this list")
                continue
            cp_cluster[n] = c
            node_cluster[n] = c
            indices.append(n)
        control_plane.append(indices)

    tenant_names: list[str] = [t.name for t in raw.tenants] if raw.tenants is not None else []
    tenant_index = dict(tenants) if tenants is not None else {}
    service_tenant: list[int] = []
    service_start = [0]
    pod_node: list[int] = []
    for service, tenant, pods in raw.services:
        name = tenant.name if tenant is not None else "default"
        t = tenant_index.get(name)
        if t is None:
            if tenants is not None and tenant is not None:
                r.fail(tenant.path, f"service {service.name!r} has unknown tenant {name!r}",
                       did_you_mean(name, tenant_names) or "declare it under tenants:")
            t = len(tenant_names)
            tenant_names.append(name)
            tenant_index[name] = t
        service_tenant.append(t)
        for node, count, _path in pods:
            n = node_of(node.name, node.path, f"service {service.name!r} has a pod")
            pod_node.extend([n] * count)
        service_start.append(len(pod_node))
    r.check()

    return Topology(
        option=FLEET,
        label=raw.label,
        site_count=len(raw.sites),
        rack_site=[site for _, site in raw.racks],
        host_rack=[rack for _, rack in raw.hosts],
        vm_parent=vm_parent,
        node_machine=node_machine,
        node_cluster=node_cluster,
        service_start=service_start,
        pod_node=pod_node,
        service_tenant=service_tenant,
        tenant_count=len(tenant_names),
        cluster_count=len(raw.clusters),
        control_plane=control_plane,
        names={
            "site": [s.name for s in raw.sites],
            "rack": [ref.name for ref, _ in raw.racks],
            "host": [ref.name for ref, _ in raw.hosts],
            "vm": [ref.name for ref, _ in raw.vms],
            "node": node_names,
            "service": [s.name for s, _, _ in raw.services],
            "tenant": tenant_names,
            "cluster": cluster_names,
        },
    )


def _cycles(r: Reader, raw: Raw, vm_parent: list[int], hosts: int) -> None:
    """Report each cycle of VM parents once, at the first VM of the cycle in file order."""
    state = [0] * len(vm_parent)  # 0 new, 1 on the current walk, 2 done
    for start in range(len(vm_parent)):
        walk: list[int] = []
        v = start
        while v >= 0 and state[v] == 0:
            state[v] = 1
            walk.append(v)
            parent = vm_parent[v]
            v = parent - hosts if parent >= hosts else -1
        if v >= 0 and state[v] == 1:
            loop = walk[walk.index(v):]
            first = min(loop)
            at = loop.index(first)
            ordered = loop[at:] + loop[:at] + [first]
            chain = " -> ".join(raw.vms[i][0].name for i in ordered)
            r.fail(raw.vms[first][1].path, f"VM {raw.vms[first][0].name!r} is in a cycle of parents: {chain}",
                   "a VM's chain of parents must end at a host")
        for w in walk:
            state[w] = 2
    r.check()


def parse_topology(doc: yamlio.Document, *, max_blast_radius_pct: float = 10.0) -> Topology:
    """Validate a parsed topology document and build its :class:`Topology`."""
    raw = read_structure(doc, validate(TopologyFile, doc))
    topo = _resolve(Reader(doc), raw)
    topo.max_blast_radius_pct = max_blast_radius_pct
    return topo


def load_topology(path: str | os.PathLike[str], *, display: str | None = None,
                  max_blast_radius_pct: float = 10.0) -> Topology:
    """Read a topology file; every problem is a DataError with ``file:line:col``."""
    doc = yamlio.load(path, display=display, expect=dict)
    return parse_topology(doc, max_blast_radius_pct=max_blast_radius_pct)


def analyze_file(path: str | os.PathLike[str], *, display: str | None = None,
                 max_blast_radius_pct: float = 10.0) -> Result:
    """Load a topology file and compute its metrics (one option, ``"fleet"``)."""
    topo = load_topology(path, display=display, max_blast_radius_pct=max_blast_radius_pct)
    name = display if display is not None else str(path)
    return Result(name, (analyze_topology(topo),), None)
