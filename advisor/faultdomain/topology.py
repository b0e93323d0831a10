"""Topology files: a real fleet described in YAML (format in docs/fault-domains.md).

::

    version: 1
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
the offending key or value. Problems of one phase (structure, names, references) are
reported together.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from advisor import yamlio
from advisor.errors import DataError, Problem, did_you_mean, one_of
from advisor.faultdomain.metrics import Result, analyze_topology
from advisor.faultdomain.model import FLEET, MAX_PODS, Topology
from advisor.validation import foreign

__all__ = ["TOPOLOGY_FORMAT", "analyze_file", "load_topology", "parse_topology"]

#: The ``version`` this module reads.
TOPOLOGY_FORMAT = 1

Path = tuple[str | int, ...]

_TOP = {"version": False, "name": False, "sites": True, "vms": False, "nodes": True, "clusters": False,
        "tenants": False, "services": True}
_SITE = {"name": True, "racks": True}
_RACK = {"name": True, "hosts": True}
_VM = {"name": True, "parent": True}
_NODE = {"name": True, "parent": True, "cluster": False}
_CLUSTER = {"name": True, "control_plane": True}
_SERVICE = {"name": True, "tenant": False, "pods": True}
_POD = {"node": True, "count": False}

_MISSING_HINT = {
    "name": "give it a name",
    "sites": "list the sites, their racks and hosts",
    "racks": "list the site's racks",
    "hosts": "list the rack's hosts by name",
    "parent": "give the host or VM that runs it",
    "nodes": "list the Kubernetes nodes",
    "control_plane": "list the cluster's control-plane nodes",
    "services": "list the services and where their pods run",
    "pods": "list the nodes its pods run on",
    "node": "give the node the pods run on",
}

_WORD = {"site": "site", "rack": "rack", "host": "host", "vm": "VM", "node": "node"}


def _dotted(path: Path) -> str:
    if not path:
        return "the top level"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class _Named:
    kind: str
    index: int
    path: Path


@dataclass
class _Reader:
    doc: yamlio.Document
    problems: list[Problem] = field(default_factory=list)

    def fail(self, path: Path, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.problems.append(Problem(message, hint, self.doc.where(path, key=key)))

    def check(self) -> None:
        if self.problems:
            raise DataError(self.problems[0].message, problems=self.problems)

    def line(self, path: Path) -> int:
        return self.doc.where(path).line

    def mapping(self, value: object, path: Path, keys: dict[str, bool]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"{_dotted(path)} must be a mapping, got {yamlio.kind_of(value)}",
                      f"write key: value lines with {one_of(keys)}")
            return None
        ok = True
        meant: set[str] = set()
        for k in value:
            if k not in keys:
                ok = False
                close = difflib.get_close_matches(str(k), list(keys), n=1, cutoff=0.6)
                meant.update(close)
                where = "at the top level" if not path else f"in {_dotted(path)}"
                self.fail(path + (k,), f"unknown key {k!r} {where}",
                          did_you_mean(str(k), keys) or f"allowed keys: {one_of(keys)}", key=True)
        for k, required in keys.items():
            if required and k not in value and k not in meant:
                ok = False
                self.fail(path, f"{_dotted(path)} has no {k!r}", _MISSING_HINT.get(k, "add it"))
        return value if ok else None

    def seq(self, value: object, path: Path, *, nonempty: bool = False) -> list[Any] | None:
        if not isinstance(value, list):
            self.fail(path, f"{_dotted(path)} must be a list, got {yamlio.kind_of(value)}",
                      "write [a, b] or one '- item' line per entry")
            return None
        if nonempty and not value:
            self.fail(path, f"{_dotted(path)} is empty", _MISSING_HINT.get(str(path[-1]), "add at least one entry"))
            return None
        return value

    def text(self, value: object, path: Path) -> str | None:
        if not isinstance(value, str):
            hint = "quote it" if isinstance(value, int | float) and not isinstance(value, bool) else "write a name"
            self.fail(path, f"{_dotted(path)} must be a string, got {yamlio.kind_of(value)}", hint)
            return None
        if not value.strip():
            self.fail(path, f"{_dotted(path)} is empty", "write a name")
            return None
        return value


@dataclass
class _Ref:
    name: str
    path: Path


@dataclass
class _Raw:
    label: str
    sites: list[_Ref] = field(default_factory=list)
    racks: list[tuple[_Ref, int]] = field(default_factory=list)  # (rack, site index)
    hosts: list[tuple[_Ref, int]] = field(default_factory=list)  # (host, rack index)
    vms: list[tuple[_Ref, _Ref]] = field(default_factory=list)  # (vm, parent)
    nodes: list[tuple[_Ref, _Ref, _Ref | None]] = field(default_factory=list)  # (node, parent, cluster)
    clusters: list[tuple[_Ref, list[_Ref]]] = field(default_factory=list)
    tenants: list[_Ref] | None = None
    services: list[tuple[_Ref, _Ref | None, list[tuple[_Ref, int, Path]]]] = field(default_factory=list)


def _structure(r: _Reader, data: dict[str, Any]) -> _Raw:
    """Phase 1: shapes, keys and types."""
    top = r.mapping(data, (), _TOP)
    raw = _Raw(label=r.doc.name)
    if top is None:
        r.check()
        return raw
    if "version" in top:
        version = top["version"]
        if version != TOPOLOGY_FORMAT or isinstance(version, bool):
            r.fail(("version",), f"unsupported topology format version {version!r}",
                   f"this advisor reads version {TOPOLOGY_FORMAT}")
    if "name" in top:
        label = r.text(top["name"], ("name",))
        raw.label = label or raw.label

    sites = r.seq(top["sites"], ("sites",), nonempty=True) or []
    for i, item in enumerate(sites):
        sp: Path = ("sites", i)
        site = r.mapping(item, sp, _SITE)
        if site is None:
            continue
        name = r.text(site["name"], sp + ("name",))
        site_index = len(raw.sites)
        raw.sites.append(_Ref(name or "?", sp + ("name",)))
        for j, rack_item in enumerate(r.seq(site["racks"], sp + ("racks",)) or []):
            rp = sp + ("racks", j)
            rack = r.mapping(rack_item, rp, _RACK)
            if rack is None:
                continue
            rack_name = r.text(rack["name"], rp + ("name",))
            rack_index = len(raw.racks)
            raw.racks.append((_Ref(rack_name or "?", rp + ("name",)), site_index))
            for k, host in enumerate(r.seq(rack["hosts"], rp + ("hosts",)) or []):
                host_name = r.text(host, rp + ("hosts", k))
                if host_name is not None:
                    raw.hosts.append((_Ref(host_name, rp + ("hosts", k)), rack_index))

    for i, item in enumerate(r.seq(top.get("vms", []), ("vms",)) or []):
        vp: Path = ("vms", i)
        vm = r.mapping(item, vp, _VM)
        if vm is None:
            continue
        name = r.text(vm["name"], vp + ("name",))
        parent = r.text(vm["parent"], vp + ("parent",))
        if name is not None and parent is not None:
            raw.vms.append((_Ref(name, vp + ("name",)), _Ref(parent, vp + ("parent",))))

    for i, item in enumerate(r.seq(top["nodes"], ("nodes",), nonempty=True) or []):
        np_: Path = ("nodes", i)
        node = r.mapping(item, np_, _NODE)
        if node is None:
            continue
        name = r.text(node["name"], np_ + ("name",))
        parent = r.text(node["parent"], np_ + ("parent",))
        cluster = r.text(node["cluster"], np_ + ("cluster",)) if "cluster" in node else None
        if name is not None and parent is not None:
            raw.nodes.append((_Ref(name, np_ + ("name",)), _Ref(parent, np_ + ("parent",)),
                              _Ref(cluster, np_ + ("cluster",)) if cluster is not None else None))

    for i, item in enumerate(r.seq(top.get("clusters", []), ("clusters",)) or []):
        cp: Path = ("clusters", i)
        cluster_map = r.mapping(item, cp, _CLUSTER)
        if cluster_map is None:
            continue
        name = r.text(cluster_map["name"], cp + ("name",))
        members: list[_Ref] = []
        for k, member in enumerate(r.seq(cluster_map["control_plane"], cp + ("control_plane",), nonempty=True) or []):
            member_name = r.text(member, cp + ("control_plane", k))
            if member_name is not None:
                members.append(_Ref(member_name, cp + ("control_plane", k)))
        if name is not None:
            raw.clusters.append((_Ref(name, cp + ("name",)), members))

    if "tenants" in top:
        raw.tenants = []
        for k, tenant in enumerate(r.seq(top["tenants"], ("tenants",)) or []):
            tenant_name = r.text(tenant, ("tenants", k))
            if tenant_name is not None:
                raw.tenants.append(_Ref(tenant_name, ("tenants", k)))

    total = 0
    for i, item in enumerate(r.seq(top["services"], ("services",), nonempty=True) or []):
        svp: Path = ("services", i)
        service = r.mapping(item, svp, _SERVICE)
        if service is None:
            continue
        name = r.text(service["name"], svp + ("name",))
        tenant = r.text(service["tenant"], svp + ("tenant",)) if "tenant" in service else None
        pods: list[tuple[_Ref, int, Path]] = []
        for k, pod in enumerate(r.seq(service["pods"], svp + ("pods",), nonempty=True) or []):
            pp = svp + ("pods", k)
            if isinstance(pod, dict):
                entry = r.mapping(pod, pp, _POD)
                if entry is None:
                    continue
                node_name = r.text(entry["node"], pp + ("node",))
                count = entry.get("count", 1)
                if isinstance(count, bool) or not isinstance(count, int):
                    got = yamlio.kind_of(count)
                    r.fail(pp + ("count",), f"{_dotted(pp + ('count',))} must be a whole number, got {got}",
                           "give how many pods of the service run on that node")
                    continue
                if count < 1:
                    r.fail(pp + ("count",), f"{_dotted(pp + ('count',))} must be at least 1, got {count}",
                           f"give how many pods of {name!r} run on {node_name!r}, or remove the entry")
                    continue
                total += count
                if total > MAX_PODS:
                    r.fail(pp + ("count",), f"more than {MAX_PODS:,} pods in the file",
                           "describe a representative part of the fleet")
                    r.check()
                if node_name is not None:
                    pods.append((_Ref(node_name, pp + ("node",)), count, pp))
            else:
                node_name = r.text(pod, pp)
                if node_name is not None:
                    total += 1
                    pods.append((_Ref(node_name, pp), 1, pp))
        if name is not None:
            raw.services.append((_Ref(name, svp + ("name",)), _Ref(tenant, svp + ("tenant",)) if tenant else None,
                                 pods))
    r.check()
    return raw


def _unique(r: _Reader, refs: Sequence[_Ref], what: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, ref in enumerate(refs):
        if ref.name in index:
            first = refs[index[ref.name]]
            r.fail(ref.path, f"{what} {ref.name!r} is declared twice (first at line {r.line(first.path)})",
                   f"give each {what} its own name")
        else:
            index[ref.name] = i
    return index


def _resolve(r: _Reader, raw: _Raw) -> Topology:
    """Phases 2 and 3: names, references, cycles; then the arrays."""
    table: dict[str, _Named] = {}
    host_rack_name: dict[str, str] = {}

    def declare(ref: _Ref, kind: str, index: int, rack: str | None = None) -> None:
        first = table.get(ref.name)
        if first is None:
            table[ref.name] = _Named(kind, index, ref.path)
            if rack is not None:
                host_rack_name[ref.name] = rack
            return
        if kind == "host" and first.kind == "host":
            r.fail(ref.path, f"host {ref.name!r} is in two racks, {host_rack_name[ref.name]!r} "
                   f"(line {r.line(first.path)}) and {rack!r}", "list each host under one rack")
            return
        r.fail(ref.path, f"name {ref.name!r} is already used by the {_WORD[first.kind]} at line {r.line(first.path)}",
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

    def machine_of(owner: str, what: str, parent: _Ref) -> int:
        if parent.name == owner:
            r.fail(parent.path, f"{what} {owner!r} is declared as its own parent", "give the host or VM that runs it")
            return -1
        found = table.get(parent.name)
        if found is None:
            r.fail(parent.path, f"{what} {owner!r} has unknown parent {parent.name!r}",
                   did_you_mean(parent.name, machines) or "give the name of a host or VM")
            return -1
        if found.kind not in ("host", "vm"):
            r.fail(parent.path, f"parent {parent.name!r} of {what} {owner!r} is a {_WORD[found.kind]}",
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
            hint = (f"{name!r} is a {_WORD[found.kind]}; give the name of a Kubernetes node"
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


def _cycles(r: _Reader, raw: _Raw, vm_parent: list[int], hosts: int) -> None:
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
    reader = _Reader(doc)
    raw = _structure(reader, doc.plain())
    topo = _resolve(reader, raw)
    topo.max_blast_radius_pct = max_blast_radius_pct
    return topo


def load_topology(path: str | os.PathLike[str], *, display: str | None = None,
                  max_blast_radius_pct: float = 10.0) -> Topology:
    """Read a topology file; every problem is a DataError with ``file:line:col``."""
    doc = yamlio.load(path, display=display, expect=dict)
    other = foreign(doc, list(_TOP))
    if other is not None:  # some other file: say so, never list its lines as unknown keys
        raise DataError("", problems=[other])
    return parse_topology(doc, max_blast_radius_pct=max_blast_radius_pct)


def analyze_file(path: str | os.PathLike[str], *, display: str | None = None,
                 max_blast_radius_pct: float = 10.0) -> Result:
    """Load a topology file and compute its metrics (one option, ``"fleet"``)."""
    topo = load_topology(path, display=display, max_blast_radius_pct=max_blast_radius_pct)
    name = display if display is not None else str(path)
    return Result(name, (analyze_topology(topo),), None)
