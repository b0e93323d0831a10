"""Profile answers derived from cluster snapshots, each with its exact derivation.

One function per answer key; docs/observe.md describes each one in the same words.
A derivation reads only the kinds it names; a cluster that lacks one of them (not
dumped, refused, timed out) is left out of that answer and the answer is marked
partial. What no cluster shows stays a question (:class:`Unobserved`).
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from advisor.observe.platform import Platform, classify
from advisor.observe.snapshot import RESOURCE, Node, Snapshot, is_gpu, shown

__all__ = ["PLATFORM_GROUPS", "SYSTEM_NAMESPACES", "Estate", "Observed", "Settings", "Unobserved", "derive"]

#: namespaces of the platform itself (shell-style patterns), never counted as tenants or services
SYSTEM_NAMESPACES: tuple[str, ...] = (
    "default", "kube-*", "openshift", "openshift-*", "*-system", "cattle-*", "vmware-system-*", "tanzu-*",
    "cert-manager", "ingress-nginx", "kubevirt", "cdi", "local-path-storage", "tigera-operator",
    "calico-apiserver", "gpu-operator", "nvidia-gpu-operator", "rook-ceph", "sriov-network-operator",
)
#: CRD API groups of Kubernetes itself, distributions, clouds and CNIs (a group equal to or ending in one)
PLATFORM_GROUPS: tuple[str, ...] = (
    "k8s.io", "x-k8s.io", "kubernetes.io", "openshift.io", "cattle.io", "gke.io", "cloud.google.com",
    "k8s.aws", "amazonaws.com", "azure.com", "microsoft.com", "vmware.com", "projectcalico.org", "tigera.io",
    "cilium.io", "antrea.io",
)
_NOT_SERVICES = {"DaemonSet", "Job", "CronJob", "Node"}
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")
#: the order ties are broken in (the questionnaire's order)
_VIRT_ORDER = ("vsphere", "openstack", "kvm-proxmox", "hyper-v", "nutanix", "public-cloud")


@dataclass(frozen=True)
class Settings:
    """The options that change a derivation (kept in the provenance, reused by re-observation)."""

    tenant_label: str | None = None
    system_namespaces: tuple[str, ...] = ()
    platform_groups: tuple[str, ...] = ()
    assume_bare_metal: bool = False
    _system: dict[str, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.tenant_label:
            out["tenant_label"] = self.tenant_label
        if self.system_namespaces:
            out["system_namespaces"] = list(self.system_namespaces)
        if self.platform_groups:
            out["platform_groups"] = list(self.platform_groups)
        if self.assume_bare_metal:
            out["assume_bare_metal"] = True
        return out

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> Settings:
        o = options or {}
        return cls(o.get("tenant_label"), tuple(o.get("system_namespaces", ())),
                   tuple(o.get("platform_groups", ())), bool(o.get("assume_bare_metal", False)))

    def system(self, namespace: str) -> bool:
        known = self._system.get(namespace)
        if known is None:  # asked once per pod: patterns are matched once per namespace
            known = self._system[namespace] = any(fnmatch.fnmatchcase(namespace, p)
                                                  for p in SYSTEM_NAMESPACES + self.system_namespaces)
        return known

    def platform_group(self, group: str) -> bool:
        return any(group == g or group.endswith("." + g) for g in PLATFORM_GROUPS + self.platform_groups)

    def platform(self, node: Node) -> Platform:
        found = classify(node)
        if found.kind == "unknown" and self.assume_bare_metal:
            return Platform("bare-metal", "unknown", None, "--assume-bare-metal")
        return found


@dataclass(frozen=True)
class Observed:
    key: str
    value: Any
    derivation: str
    sources: tuple[str, ...]
    #: why the answer may be incomplete (clusters or kinds missing); None when complete
    partial: str | None = None


@dataclass(frozen=True)
class Unobserved:
    key: str
    reason: str


@dataclass
class Estate:
    """Everything observed: answers, what stayed a question, and a per-cluster node summary."""

    observed: list[Observed] = field(default_factory=list)
    unobserved: list[Unobserved] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def answer(self, key: str) -> Observed | None:
        return next((o for o in self.observed if o.key == key), None)


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_Derivation = Callable[[Sequence[Snapshot], Settings], tuple[Any, str]]
#: key, kinds it needs (a cluster without them is left out), kinds it also reads when present, function
_DERIVATIONS: list[tuple[str, tuple[str, ...], tuple[str, ...], _Derivation]] = []


def _derives(key: str, *kinds: str, uses: tuple[str, ...] = ()) -> Callable[[_Derivation], _Derivation]:
    def register(func: _Derivation) -> _Derivation:
        _DERIVATIONS.append((key, kinds, uses, func))
        return func
    return register


def derive(snapshots: Sequence[Snapshot], settings: Settings | None = None,
           keys: Sequence[str] | None = None) -> Estate:
    """Derive every answer the snapshots allow (or only ``keys``)."""
    settings = settings or Settings()
    estate = Estate(summary=[_summary(s, settings) for s in snapshots])
    for key, kinds, uses, func in _DERIVATIONS:
        if keys is not None and key not in keys:
            continue
        usable = [s for s in snapshots if all(s.has(k) for k in kinds)]
        if not usable:
            names = " and ".join(RESOURCE[k] for k in kinds)
            estate.unobserved.append(Unobserved(key, f"no cluster with {names} read" if kinds else "no cluster read"))
            continue
        try:
            value, how = func(usable, settings)
        except _Skip as skip:
            estate.unobserved.append(Unobserved(key, skip.reason))
            continue
        gaps = [f"{s.name}: no {' or '.join(RESOURCE[k] for k in kinds if not s.has(k))}"
                for s in snapshots if s not in usable]
        gaps += [f"{s.name}: {s.incomplete[k]}" for s in usable for k in kinds + uses if k in s.incomplete]
        sources = tuple(sorted({src for s in usable for k in kinds + uses for src in s.read.get(k, ())} or
                               {s.name for s in usable}))
        estate.observed.append(Observed(key, value, how, sources, "; ".join(gaps) or None))
    return estate


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _median(values: Sequence[int]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _p90(values: Sequence[int]) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# ---------------------------------------------------------------- the derivations


@_derives("clusters")
def _clusters(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    return len(snaps), f"number of clusters observed ({len(snaps)})"


@_derives("k8s_versions_in_production", "Node")
def _versions(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    minors = {f"{m.group(1)}.{m.group(2)}" for s in snaps for n in s.nodes
              if (m := _VERSION.match(n.kubelet_version))}
    if not minors:
        raise _Skip("no node reports a kubelet version")
    shown = ", ".join(sorted(minors, key=lambda v: tuple(int(x) for x in v.split("."))))
    return len(minors), f"distinct kubelet minor versions over all nodes ({shown})"


@_derives("crd_count", "CustomResourceDefinition")
def _crd_count(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    names = {c.name for s in snaps for c in s.crds if c.name}
    return len(names), f"distinct CRD names over all clusters ({len(names)})"


@_derives("crd_owning_teams", "CustomResourceDefinition")
def _crd_teams(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    groups = {c.group for s in snaps for c in s.crds if c.group}
    own = {g for g in groups if not settings.platform_group(g)}
    return len(own), (f"distinct CRD API groups ({len(groups)}) minus the platform's own "
                      f"({len(groups) - len(own)}): {len(own)}")


@_derives("tenant_count", "Namespace")
def _tenants(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    names = {n for s in snaps for n in s.namespaces if n and not settings.system(n)}
    if settings.tenant_label:
        label = settings.tenant_label
        values = {s.namespaces[n][label] for s in snaps for n in s.namespaces
                  if n in names and label in s.namespaces[n]}
        if not values:
            raise _Skip(f"no namespace carries the label {label!r}")
        return len(values), f"distinct values of the namespace label {label!r} ({len(values)})"
    if not names:
        raise _Skip("only system namespaces")
    return len(names), f"distinct names of non-system namespaces over all clusters ({len(names)})"


@_derives("microservices_per_host", "Pod")
def _services_per_node(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    per_node: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
    for s in snaps:
        for pod in s.pods:
            if pod.owner is None or pod.owner[0] in _NOT_SERVICES or settings.system(pod.namespace):
                continue
            per_node.setdefault((s.name, pod.node), set()).add((pod.namespace, *pod.owner))
    counts = [len(v) for v in per_node.values()]
    if not counts:
        raise _Skip("no pod of a Deployment, StatefulSet or other controller outside system namespaces")
    median = _median(counts)
    return max(1, _half_up(median)), (f"distinct owning workloads per node with any: median {median:g}, "
                                      f"p90 {_p90(counts)}, over {_n(len(counts), 'node')}")


@_derives("replicas_per_service", "Deployment", uses=("StatefulSet",))
def _replicas(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    replicas = [w.replicas for s in snaps for w in s.workloads if w.replicas >= 1 and not settings.system(w.namespace)]
    if not replicas:
        raise _Skip("no Deployment or StatefulSet with replicas outside system namespaces")
    median = _median(replicas)
    return max(1, _half_up(median)), (f"median spec.replicas of Deployments and StatefulSets: {median:g} "
                                      f"(p90 {_p90(replicas)}, {_n(len(replicas), 'workload')})")


@_derives("gpu", "Node", "Pod")
def _gpu(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    gpu_nodes = sum(1 for s in snaps for n in s.nodes if any(is_gpu(r) for r in n.extended))
    if not gpu_nodes:
        return "none", "no node has a GPU resource allocatable"
    requests = [(p.gpus, p.rdma) for s in snaps for p in s.pods if p.gpus > 0]
    if not requests:
        raise _Skip(f"{_n(gpu_nodes, 'node')} offer GPUs but no running pod requests one")
    most = max(g for g, _ in requests)
    multi = any(g >= 2 and rdma for g, rdma in requests)
    value = "training-multi-node" if multi else "training" if most >= 2 else "inference"
    return value, (f"{_n(gpu_nodes, 'node')} with GPUs; {_n(len(requests), 'pod')} "
                   f"request{'s' if len(requests) == 1 else ''} GPUs, at most "
                   f"{most} per pod{', with RDMA' if multi else ''}")


@_derives("special_networking", "Node", uses=("CustomResourceDefinition",))
def _networking(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    found: dict[str, str] = {}
    for s in snaps:
        for n in s.nodes:
            lower = {r.lower() for r in n.extended}
            sriov = any("sriov" in r for r in lower)
            if sriov:
                found.setdefault("sr-iov", "an SR-IOV device-plugin resource")
            if any("dpdk" in r or "vfio" in r for r in lower) or (sriov and any(r.startswith("hugepages-")
                                                                                  for r in lower)):
                found.setdefault("dpdk", "a DPDK/vfio resource, or SR-IOV with huge pages")
            if any(r.startswith("rdma/") or "rdma" in r for r in lower):
                found.setdefault("rdma", "an RDMA resource")
        for crd in s.crds:
            if crd.group == "sriovnetwork.openshift.io":
                found.setdefault("sr-iov", "the SR-IOV operator's CRDs")
            elif crd.group == "ptp.openshift.io":
                found.setdefault("ptp", "the PTP operator's CRDs")
            elif crd.name == "network-attachment-definitions.k8s.cni.cncf.io":
                found.setdefault("multus", "the Multus NetworkAttachmentDefinition CRD")
    order = ["sr-iov", "dpdk", "rdma", "ptp", "multus"]
    value = [k for k in order if k in found] or ["none"]
    why = "; ".join(f"{k}: {found[k]}" for k in order if k in found)
    return value, why or "no SR-IOV, DPDK or RDMA resource and no PTP or Multus CRD"


def _platforms(snaps: Sequence[Snapshot], settings: Settings) -> list[Platform]:
    return [settings.platform(n) for s in snaps for n in s.nodes]


@_derives("existing_virtualization", "Node", uses=("CustomResourceDefinition",))
def _virtualization(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    platforms = _platforms(snaps, settings)
    kinds = Counter(p.kind for p in platforms)
    virt = Counter(p.virtualization for p in platforms if p.virtualization)
    kubevirt = [s.name for s in snaps if any(c.group == "kubevirt.io" for c in s.crds)
                or any(n.extended & {"devices.kubevirt.io/kvm"} for n in s.nodes)]
    counts = ", ".join(f"{k} {c}" for k, c in sorted(kinds.items()))
    if virt:
        best = max(virt, key=lambda v: (virt[v], -_VIRT_ORDER.index(v)))
        return best, f"node platforms ({counts}): most nodes run on {best}"
    if kubevirt:
        return "kvm-proxmox", f"node platforms ({counts}); KubeVirt runs VMs in {len(kubevirt)} cluster(s)"
    if kinds and set(kinds) == {"bare-metal"}:
        return "none", f"all {_n(kinds['bare-metal'], 'node')} are bare metal and no cluster runs KubeVirt"
    if kinds.get("container"):
        raise _Skip(f"node platforms ({counts}): container nodes (kind, k3d) say nothing of production")
    raise _Skip(f"node platforms ({counts}): Kubernetes does not show whether these nodes are VMs "
                "(use --assume-bare-metal if they are bare metal)")


@_derives("physical_hosts", "Node")
def _hosts(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    platforms = _platforms(snaps, settings)
    metal = sum(1 for p in platforms if p.kind == "bare-metal")
    if not platforms or metal < len(platforms):
        verb = "is" if len(platforms) - metal == 1 else "are"
        raise _Skip(f"{len(platforms) - metal} of {_n(len(platforms), 'node')} {verb} not known to be bare metal: "
                    "the physical hosts under VMs are not visible to Kubernetes")
    return metal, f"bare-metal nodes over all clusters ({metal})"


@_derives("racks", "Node")
def _zones(snaps: Sequence[Snapshot], settings: Settings) -> tuple[Any, str]:
    zones: set[str] = set()
    missing = 0
    for s in snaps:
        for n in s.nodes:
            zone = n.labels.get("topology.kubernetes.io/zone") or n.labels.get("failure-domain.beta.kubernetes.io/zone")
            if zone:
                zones.add(zone)
            else:
                missing += 1
    if missing or not zones:
        raise _Skip(f"{_n(missing, 'node')} without a topology.kubernetes.io/zone label")
    return len(zones), f"distinct topology.kubernetes.io/zone values over all nodes ({len(zones)})"


# ---------------------------------------------------------------- the node summary


def _summary(snap: Snapshot, settings: Settings) -> str:
    if not snap.nodes:
        return f"{snap.name}: no nodes read"
    platforms = Counter(f"{p.kind}" + (f" ({p.provider})" if p.provider != "unknown" else "")
                        for p in (settings.platform(n) for n in snap.nodes))
    kernels = Counter(n.kernel_version for n in snap.nodes if n.kernel_version)
    runtimes = Counter(n.container_runtime.split("://")[0] for n in snap.nodes if n.container_runtime)
    images = Counter(n.os_image for n in snap.nodes if n.os_image)
    parts = [", ".join(f"{c} {k}" for k, c in platforms.most_common())]
    if images:
        parts.append("OS " + ", ".join(f"{shown(k, 40)} ({c})" for k, c in images.most_common(2)))
    if kernels:
        parts.append("kernel " + ", ".join(f"{shown(k, 40)} ({c})" for k, c in kernels.most_common(2)))
    if runtimes:
        parts.append("runtime " + ", ".join(f"{shown(k, 20)} ({c})" for k, c in runtimes.most_common(2)))
    version = f", server {shown(snap.server_version, 40)}" if snap.server_version else ""
    return f"{snap.name}: {_n(len(snap.nodes), 'node')}{version}: " + "; ".join(parts)
