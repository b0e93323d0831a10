"""Fault-domain graph: blast radius, kernel sharing and control-plane quorum of both options.

From a profile's answers the package generates the topology of the bare-metal and
the VM-backed option (sites, racks, hosts, VMs, nodes, kernels, pods, control
planes), builds a networkx graph of the components and computes the metrics defined
in :data:`METRICS` (docs/fault-domains.md). A real fleet can be described in a
topology file instead (:func:`load_topology`).

This package returns data and strings; it never prints.
"""

from __future__ import annotations

from advisor.faultdomain.fleet import FleetParams, generate
from advisor.faultdomain.graph import VertexIds, build_graph
from advisor.faultdomain.mermaid import to_mermaid
from advisor.faultdomain.metrics import (
    FACT_DESCRIPTIONS,
    FACT_TYPES,
    METRICS,
    MetricSpec,
    MetricValue,
    OptionResult,
    Result,
    analyze,
    analyze_params,
    analyze_topology,
    compute_metrics,
    graph_facts,
    params_facts,
)
from advisor.faultdomain.model import BARE_METAL, FLEET, OPTIONS, VM, FleetTooLarge, Topology
from advisor.faultdomain.render import format_value, metrics_headers, metrics_table, to_json
from advisor.faultdomain.topology import analyze_file, load_topology, parse_topology

__all__ = [
    "BARE_METAL",
    "FACT_DESCRIPTIONS",
    "FACT_TYPES",
    "FLEET",
    "METRICS",
    "OPTIONS",
    "VM",
    "FleetParams",
    "FleetTooLarge",
    "MetricSpec",
    "MetricValue",
    "OptionResult",
    "Result",
    "Topology",
    "VertexIds",
    "analyze",
    "analyze_file",
    "analyze_params",
    "analyze_topology",
    "build_graph",
    "compute_metrics",
    "format_value",
    "generate",
    "graph_facts",
    "params_facts",
    "load_topology",
    "metrics_headers",
    "metrics_table",
    "parse_topology",
    "to_json",
    "to_mermaid",
]
