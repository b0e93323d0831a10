"""The names of a validated topology file, with their positions in the file.

Phase 1 (shapes, keys, types) is the model's (:mod:`advisor.faultdomain.file`, through
:mod:`advisor.validation`); :func:`read_structure` lists its names as a :class:`Raw`, and
:mod:`advisor.faultdomain.topology` resolves names and references and builds the arrays,
reporting each problem at the ``file:line:col`` of its name through a :class:`Reader`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor import yamlio
from advisor.errors import DataError, Problem
from advisor.faultdomain.file import TopologyFile

__all__ = ["WORD", "Path", "Raw", "Reader", "Ref", "read_structure"]

Path = tuple[str | int, ...]

WORD = {"site": "site", "rack": "rack", "host": "host", "vm": "VM", "node": "node"}


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


def read_structure(doc: yamlio.Document, data: TopologyFile) -> Raw:
    """Phase 1 done by the model: the names of the validated file, with their positions."""
    raw = Raw(label=data.name or doc.name)
    plain = doc.plain()
    for i, site in enumerate(data.sites):
        sp: Path = ("sites", i)
        site_index = len(raw.sites)
        raw.sites.append(Ref(site.name, sp + ("name",)))
        for j, rack in enumerate(site.racks):
            rp = sp + ("racks", j)
            rack_index = len(raw.racks)
            raw.racks.append((Ref(rack.name, rp + ("name",)), site_index))
            raw.hosts.extend((Ref(host, rp + ("hosts", k)), rack_index) for k, host in enumerate(rack.hosts))
    for i, vm in enumerate(data.vms):
        raw.vms.append((Ref(vm.name, ("vms", i, "name")), Ref(vm.parent, ("vms", i, "parent"))))
    for i, node in enumerate(data.nodes):
        cluster = Ref(node.cluster, ("nodes", i, "cluster")) if node.cluster is not None else None
        raw.nodes.append((Ref(node.name, ("nodes", i, "name")), Ref(node.parent, ("nodes", i, "parent")), cluster))
    for i, c in enumerate(data.clusters):
        members = [Ref(m, ("clusters", i, "control_plane", k)) for k, m in enumerate(c.control_plane)]
        raw.clusters.append((Ref(c.name, ("clusters", i, "name")), members))
    if data.tenants is not None:
        raw.tenants = [Ref(t, ("tenants", k)) for k, t in enumerate(data.tenants)]
    for i, service in enumerate(data.services):
        svp: Path = ("services", i)
        pods: list[tuple[Ref, int, Path]] = []
        for k, pod in enumerate(service.pods):
            pp = svp + ("pods", k)
            written = plain["services"][i]["pods"][k]  # a name, or {node, count}: point at the name
            pods.append((Ref(pod.node, pp + ("node",) if isinstance(written, dict) else pp), pod.count, pp))
        tenant = Ref(service.tenant, svp + ("tenant",)) if service.tenant is not None else None
        raw.services.append((Ref(service.name, svp + ("name",)), tenant, pods))
    return raw
