"""The networkx graph of a fleet's components.

Vertices are integers in consecutive ranges, one range per kind (see
:class:`VertexIds`), so that a 300,000-vertex graph stays small: no attribute dicts,
no string ids. Edges:

* containment, parent to child: ``fleet -> site -> rack -> host -> (vm -> ...) -> node -> pod``
  (a VM's parent is a host or, nested, another VM; a node's parent is the machine
  whose kernel runs it);
* membership: ``service -> pod`` for every pod of the service;
* control plane: ``cluster -> node`` for every control-plane member of the cluster.

The containment edges form a tree rooted at the ``fleet`` vertex (0); a failure of a
vertex takes down its whole subtree. Metrics walk this tree (see
:mod:`advisor.faultdomain.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

from advisor.faultdomain.model import Topology

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["KINDS", "VertexIds", "build_graph"]

#: Vertex kinds, in the order of their id ranges.
KINDS = ("fleet", "site", "rack", "host", "vm", "node", "pod", "service", "cluster")


@dataclass(frozen=True)
class VertexIds:
    """First vertex id of each kind; kind ``k`` owns ``[start[k], start[k + 1])``."""

    site: int
    rack: int
    host: int
    vm: int
    node: int
    pod: int
    service: int
    cluster: int
    end: int

    @classmethod
    def of(cls, topo: Topology) -> VertexIds:
        site = 1
        rack = site + topo.site_count
        host = rack + topo.racks
        vm = host + topo.hosts
        node = vm + topo.vms
        pod = node + topo.nodes
        service = pod + topo.pods
        cluster = service + topo.services
        end = cluster + topo.cluster_count
        return cls(site, rack, host, vm, node, pod, service, cluster, end)

    def machine(self, machine: int) -> int:
        """Vertex of a machine index (hosts first, then VMs: the same numbering)."""
        return self.host + machine

    def kind(self, vertex: int) -> str:
        """Kind of a vertex id."""
        bounds = (1, self.site, self.rack, self.host, self.vm, self.node, self.pod, self.service, self.cluster)
        if not 0 <= vertex < self.end:
            raise ValueError(f"vertex {vertex} is not in this graph")
        kind = KINDS[0]
        for name, start in zip(KINDS[1:], bounds[1:], strict=True):
            if vertex >= start:
                kind = name
        return kind


def _shift(values: list[int], offset: int) -> list[int]:
    return [offset + v for v in values]


def build_graph(topo: Topology) -> nx.DiGraph[int]:
    """Build the component graph of a topology (see the module docstring).

    The graph's ``graph["ids"]`` holds the :class:`VertexIds` used.
    """
    import networkx as nx  # imported here: importing the package stays fast

    ids = VertexIds.of(topo)
    g: nx.DiGraph[int] = nx.DiGraph(ids=ids)
    g.add_nodes_from(range(ids.end))
    # zip over prepared lists builds the edge tuples in C, much faster than generators
    g.add_edges_from(zip(repeat(0), range(ids.site, ids.rack)))
    g.add_edges_from(zip(_shift(topo.rack_site, ids.site), range(ids.rack, ids.host), strict=True))
    g.add_edges_from(zip(_shift(topo.host_rack, ids.rack), range(ids.host, ids.vm), strict=True))
    g.add_edges_from(zip(_shift(topo.vm_parent, ids.host), range(ids.vm, ids.node), strict=True))
    g.add_edges_from(zip(_shift(topo.node_machine, ids.host), range(ids.node, ids.pod), strict=True))
    g.add_edges_from(zip(_shift(topo.pod_node, ids.node), range(ids.pod, ids.service), strict=True))
    start = topo.service_start
    owners = [ids.service + s for s in range(topo.services) for _ in range(start[s + 1] - start[s])]
    g.add_edges_from(zip(owners, range(ids.pod, ids.service), strict=True))
    del owners
    g.add_edges_from(
        (ids.cluster + c, ids.node + n) for c, members in enumerate(topo.control_plane) for n in members
    )
    return g
