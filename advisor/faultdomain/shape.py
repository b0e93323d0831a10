"""Phase 1 of reading a topology file: the shapes, keys and types of its entries.

:func:`read_structure` turns the parsed document into a :class:`Raw` list of names with
their positions, collecting every problem of this phase; :mod:`advisor.faultdomain.topology`
then resolves names and references and builds the arrays.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from advisor import yamlio
from advisor.errors import DataError, Problem, did_you_mean, one_of
from advisor.faultdomain.model import MAX_PODS

__all__ = ["TOPOLOGY_FORMAT", "TOP_KEYS", "WORD", "Path", "Raw", "Reader", "Ref", "dotted", "read_structure"]

#: The ``version`` this module reads.
TOPOLOGY_FORMAT = 1

Path = tuple[str | int, ...]

TOP_KEYS = {"version": False, "name": False, "sites": True, "vms": False, "nodes": True, "clusters": False,
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

WORD = {"site": "site", "rack": "rack", "host": "host", "vm": "VM", "node": "node"}


def dotted(path: Path) -> str:
    if not path:
        return "the top level"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class Reader:
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
            self.fail(path, f"{dotted(path)} must be a mapping, got {yamlio.kind_of(value)}",
                      f"write key: value lines with {one_of(keys)}")
            return None
        ok = True
        meant: set[str] = set()
        for k in value:
            if k not in keys:
                ok = False
                close = difflib.get_close_matches(str(k), list(keys), n=1, cutoff=0.6)
                meant.update(close)
                where = "at the top level" if not path else f"in {dotted(path)}"
                self.fail(path + (k,), f"unknown key {k!r} {where}",
                          did_you_mean(str(k), keys) or f"allowed keys: {one_of(keys)}", key=True)
        for k, required in keys.items():
            if required and k not in value and k not in meant:
                ok = False
                self.fail(path, f"{dotted(path)} has no {k!r}", _MISSING_HINT.get(k, "add it"))
        return value if ok else None

    def seq(self, value: object, path: Path, *, nonempty: bool = False) -> list[Any] | None:
        if not isinstance(value, list):
            self.fail(path, f"{dotted(path)} must be a list, got {yamlio.kind_of(value)}",
                      "write [a, b] or one '- item' line per entry")
            return None
        if nonempty and not value:
            self.fail(path, f"{dotted(path)} is empty", _MISSING_HINT.get(str(path[-1]), "add at least one entry"))
            return None
        return value

    def text(self, value: object, path: Path) -> str | None:
        if not isinstance(value, str):
            hint = "quote it" if isinstance(value, int | float) and not isinstance(value, bool) else "write a name"
            self.fail(path, f"{dotted(path)} must be a string, got {yamlio.kind_of(value)}", hint)
            return None
        if not value.strip():
            self.fail(path, f"{dotted(path)} is empty", "write a name")
            return None
        return value


@dataclass
class Ref:
    name: str
    path: Path


@dataclass
class Raw:
    label: str
    sites: list[Ref] = field(default_factory=list)
    racks: list[tuple[Ref, int]] = field(default_factory=list)  # (rack, site index)
    hosts: list[tuple[Ref, int]] = field(default_factory=list)  # (host, rack index)
    vms: list[tuple[Ref, Ref]] = field(default_factory=list)  # (vm, parent)
    nodes: list[tuple[Ref, Ref, Ref | None]] = field(default_factory=list)  # (node, parent, cluster)
    clusters: list[tuple[Ref, list[Ref]]] = field(default_factory=list)
    tenants: list[Ref] | None = None
    services: list[tuple[Ref, Ref | None, list[tuple[Ref, int, Path]]]] = field(default_factory=list)


def read_structure(r: Reader, data: dict[str, Any]) -> Raw:
    """Phase 1: shapes, keys and types."""
    top = r.mapping(data, (), TOP_KEYS)
    raw = Raw(label=r.doc.name)
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
        raw.sites.append(Ref(name or "?", sp + ("name",)))
        for j, rack_item in enumerate(r.seq(site["racks"], sp + ("racks",)) or []):
            rp = sp + ("racks", j)
            rack = r.mapping(rack_item, rp, _RACK)
            if rack is None:
                continue
            rack_name = r.text(rack["name"], rp + ("name",))
            rack_index = len(raw.racks)
            raw.racks.append((Ref(rack_name or "?", rp + ("name",)), site_index))
            for k, host in enumerate(r.seq(rack["hosts"], rp + ("hosts",)) or []):
                host_name = r.text(host, rp + ("hosts", k))
                if host_name is not None:
                    raw.hosts.append((Ref(host_name, rp + ("hosts", k)), rack_index))

    for i, item in enumerate(r.seq(top.get("vms", []), ("vms",)) or []):
        vp: Path = ("vms", i)
        vm = r.mapping(item, vp, _VM)
        if vm is None:
            continue
        name = r.text(vm["name"], vp + ("name",))
        parent = r.text(vm["parent"], vp + ("parent",))
        if name is not None and parent is not None:
            raw.vms.append((Ref(name, vp + ("name",)), Ref(parent, vp + ("parent",))))

    for i, item in enumerate(r.seq(top["nodes"], ("nodes",), nonempty=True) or []):
        np_: Path = ("nodes", i)
        node = r.mapping(item, np_, _NODE)
        if node is None:
            continue
        name = r.text(node["name"], np_ + ("name",))
        parent = r.text(node["parent"], np_ + ("parent",))
        cluster = r.text(node["cluster"], np_ + ("cluster",)) if "cluster" in node else None
        if name is not None and parent is not None:
            raw.nodes.append((Ref(name, np_ + ("name",)), Ref(parent, np_ + ("parent",)),
                              Ref(cluster, np_ + ("cluster",)) if cluster is not None else None))

    for i, item in enumerate(r.seq(top.get("clusters", []), ("clusters",)) or []):
        cp: Path = ("clusters", i)
        cluster_map = r.mapping(item, cp, _CLUSTER)
        if cluster_map is None:
            continue
        name = r.text(cluster_map["name"], cp + ("name",))
        members: list[Ref] = []
        for k, member in enumerate(r.seq(cluster_map["control_plane"], cp + ("control_plane",), nonempty=True) or []):
            member_name = r.text(member, cp + ("control_plane", k))
            if member_name is not None:
                members.append(Ref(member_name, cp + ("control_plane", k)))
        if name is not None:
            raw.clusters.append((Ref(name, cp + ("name",)), members))

    if "tenants" in top:
        raw.tenants = []
        for k, tenant in enumerate(r.seq(top["tenants"], ("tenants",)) or []):
            tenant_name = r.text(tenant, ("tenants", k))
            if tenant_name is not None:
                raw.tenants.append(Ref(tenant_name, ("tenants", k)))

    total = 0
    for i, item in enumerate(r.seq(top["services"], ("services",), nonempty=True) or []):
        svp: Path = ("services", i)
        service = r.mapping(item, svp, _SERVICE)
        if service is None:
            continue
        name = r.text(service["name"], svp + ("name",))
        tenant = r.text(service["tenant"], svp + ("tenant",)) if "tenant" in service else None
        pods: list[tuple[Ref, int, Path]] = []
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
                    r.fail(pp + ("count",), f"{dotted(pp + ('count',))} must be a whole number, got {got}",
                           "give how many pods of the service run on that node")
                    continue
                if count < 1:
                    r.fail(pp + ("count",), f"{dotted(pp + ('count',))} must be at least 1, got {count}",
                           f"give how many pods of {name!r} run on {node_name!r}, or remove the entry")
                    continue
                total += count
                if total > MAX_PODS:
                    r.fail(pp + ("count",), f"more than {MAX_PODS:,} pods in the file",
                           "describe a representative part of the fleet")
                    r.check()
                if node_name is not None:
                    pods.append((Ref(node_name, pp + ("node",)), count, pp))
            else:
                node_name = r.text(pod, pp)
                if node_name is not None:
                    total += 1
                    pods.append((Ref(node_name, pp), 1, pp))
        if name is not None:
            raw.services.append((Ref(name, svp + ("name",)), Ref(tenant, svp + ("tenant",)) if tenant else None,
                                 pods))
    r.check()
    return raw
