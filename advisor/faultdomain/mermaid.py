"""A readable Mermaid ``flowchart`` summary of the analysed options.

One site, one rack and one host are expanded per option, with the host's VMs, nodes,
kernels and a few pods; everything else is a count ("3 more racks (15 hosts)"). The
diagram therefore has a few dozen vertices whatever the fleet size.

The syntax is kept conservative so that GitHub, GitLab and mermaid's own parser accept
it: ids are letters and digits, every label is double-quoted, and labels contain no
quote, bracket, brace, pipe, angle bracket, ampersand, hash, percent or semicolon.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from advisor.faultdomain.metrics import OptionResult, Result
from advisor.faultdomain.model import BARE_METAL, VM, Topology

__all__ = ["to_mermaid"]

#: Pods shown under the expanded node; VMs shown under the expanded host.
SHOWN_PODS = 3
SHOWN_VMS = 4

_UNSAFE = re.compile(r"[^A-Za-z0-9 .,:'()/+=_\-]")
_PREFIX = {BARE_METAL: "bm", VM: "vm"}


def _label(text: str) -> str:
    return '"' + _UNSAFE.sub("_", text) + '"'


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class _Chart:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lines: list[str] = []
        self.count = 0

    def vertex(self, text: str, parent: str | None = None, *, note: bool = False) -> str:
        """A box under ``parent``: a solid arrow for what the parent contains, a dotted line for a note on it."""
        vid = f"{self.prefix}{self.count}"
        self.count += 1
        self.lines.append(f"    {vid}[{_label(text)}]")
        if parent is not None:
            self.lines.append(f"    {parent} {'-.-' if note else '-->'} {vid}")
        return vid


def _machine_hosts(t: Topology) -> list[int]:
    """Host index of every machine (hosts, then VMs), following nested VM parents."""
    result = list(range(t.hosts)) + [-1] * t.vms
    for v in range(t.vms):
        chain = []
        m = t.hosts + v
        while result[m] < 0:
            chain.append(m)
            m = t.vm_parent[m - t.hosts]
        for c in chain:
            result[c] = result[m]
    return result


def _option(o: OptionResult, prefix: str) -> list[str]:
    t = o.topology
    m = o.metrics
    chart = _Chart(prefix)
    machine_host = _machine_hosts(t)
    pods_on_node = [0] * t.nodes
    for n in t.pod_node:
        pods_on_node[n] += 1
    pods_on_host = [0] * t.hosts
    for n, count in enumerate(pods_on_node):
        pods_on_host[machine_host[t.node_machine[n]]] += count
    hosts_in_rack = [0] * t.racks
    for r in t.host_rack:
        hosts_in_rack[r] += 1

    vms_text = f"{_plural(t.vms, 'VM')}, " if t.vms else ""
    title = (f"{o.label}: {_plural(t.hosts, 'host')}, {vms_text}{_plural(t.nodes, 'node')}, "
             f"{_plural(int(m['kernels']), 'kernel')}, {_plural(t.pods, 'pod')}")
    lines = [f"  subgraph {prefix}[{_label(title)}]", "    direction TB"]
    if t.site_count == 0 or t.racks == 0 or t.hosts == 0:
        chart.vertex("empty fleet")
        return lines + chart.lines + ["  end"]

    site = t.rack_site[0]
    site_racks = [r for r in range(t.racks) if t.rack_site[r] == site]
    site_hosts = sum(hosts_in_rack[r] for r in site_racks)
    sv = chart.vertex(f"site {t.name('site', site)}: {_plural(len(site_racks), 'rack')}, "
                      f"{_plural(site_hosts, 'host')}")
    if t.site_count > 1:
        chart.vertex(f"{_plural(t.site_count - 1, 'more site')} ({_plural(t.hosts - site_hosts, 'host')})")
    rack = site_racks[0]
    rv = chart.vertex(f"rack {t.name('rack', rack)}: {_plural(hosts_in_rack[rack], 'host')}", sv)
    if len(site_racks) > 1:
        chart.vertex(f"{_plural(len(site_racks) - 1, 'more rack')} "
                     f"({_plural(site_hosts - hosts_in_rack[rack], 'host')})", sv)
    rack_hosts = [h for h in range(t.hosts) if t.host_rack[h] == rack]
    if not rack_hosts:
        return lines + chart.lines + ["  end"]
    host = rack_hosts[0]
    hv = chart.vertex(f"host {t.name('host', host)}: {_plural(pods_on_host[host], 'pod')}", rv)
    if len(rack_hosts) > 1:
        chart.vertex(f"{_plural(len(rack_hosts) - 1, 'more host')} in {t.name('rack', rack)}", rv)

    nodes_on: dict[int, list[int]] = {}
    for n, machine in enumerate(t.node_machine):
        if machine_host[machine] == host:
            nodes_on.setdefault(machine, []).append(n)
    vms = [v for v in range(t.vms) if t.vm_parent[v] == host]
    expanded = False

    control_plane = {n for members in t.control_plane for n in members}

    def show_nodes(machine: int, parent: str, kernel: str) -> None:
        nonlocal expanded
        for n in nodes_on.get(machine, []):
            role = "control-plane node" if n in control_plane else "node"
            nv = chart.vertex(f"{role} {t.name('node', n)} on {kernel}: {_plural(pods_on_node[n], 'pod')}", parent)
            if not expanded and pods_on_node[n]:
                expanded = True
                _pods(t, n, nv, chart)

    show_nodes(host, hv, "the host kernel")
    for v in vms[:SHOWN_VMS]:
        vv = chart.vertex(f"VM {t.name('vm', v)} with its own kernel", hv)
        show_nodes(t.hosts + v, vv, "the VM kernel")
    if len(vms) > SHOWN_VMS:
        chart.vertex(f"{_plural(len(vms) - SHOWN_VMS, 'more VM')} on {t.name('host', host)}", hv)

    tenants = _plural(int(m["tenants_per_kernel"]), "tenant")
    # the summaries are notes on the site they describe, linked to it (not boxes floating in the subgraph)
    chart.vertex(
        f"worst host failure degrades {m['host_blast_radius_pct']:.1f} pct of services, "
        f"worst rack {m['rack_blast_radius_pct']:.1f} pct, at most {tenants} per kernel", sv, note=True
    )
    if t.cluster_count:
        lost = int(m["control_plane_quorum_loss_clusters"])
        chart.vertex(
            f"control plane: {_plural(t.cluster_count, 'cluster')}, {m['control_plane_members']} members, "
            + (f"one host failure loses quorum in {_plural(lost, 'cluster')}" if lost
               else "no single host failure loses quorum"), sv, note=True
        )
    return lines + chart.lines + ["  end"]


def _pods(t: Topology, node: int, parent: str, chart: _Chart) -> None:
    shown = 0
    total = 0
    for p, n in enumerate(t.pod_node):
        if n != node:
            continue
        total += 1
        if shown < SHOWN_PODS:
            s = bisect_right(t.service_start, p) - 1
            tenant = t.name("tenant", t.service_tenant[s])
            chart.vertex(f"pod of {t.name('service', s)} ({tenant})", parent)
            shown += 1
    if total > shown:
        chart.vertex(f"{_plural(total - shown, 'more pod')}", parent)


def to_mermaid(result: Result) -> str:
    """A Mermaid ``flowchart`` of every option of ``result``, one subgraph each."""
    lines = ["flowchart TB"]
    for i, option in enumerate(result.options):
        lines.extend(_option(option, _PREFIX.get(option.option, f"opt{i}x")))
    return "\n".join(lines) + "\n"
