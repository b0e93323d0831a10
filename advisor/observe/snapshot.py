"""What observation keeps of one cluster: a compact snapshot built item by item.

Dumps and the live API both feed :meth:`Snapshot.add` with plain JSON objects (as
``kubectl get -o json`` prints them); only the fields the derivations read are kept,
so a 300,000-pod cluster fits in a few tens of megabytes. Every string that came from
the cluster is untrusted: it is kept as data and never used as a path, a command or
markup (see :func:`shown`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypedDict

__all__ = ["KINDS", "LIST_KINDS", "CRD", "Node", "Pod", "Snapshot", "Workload", "item_decoder", "shown"]

#: the kinds observation reads, in the order of ``kubectl get nodes,namespaces,pods,...``
KINDS: tuple[str, ...] = ("Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet",
                          "CustomResourceDefinition", "Version")
#: the plural names a person knows them by (kubectl resource names)
RESOURCE = {"Node": "nodes", "Namespace": "namespaces", "Pod": "pods", "Deployment": "deployments",
            "StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "CustomResourceDefinition": "crds",
            "Version": "version"}
LIST_KINDS = {f"{k}List": k for k in KINDS if k != "Version"}

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(value: Any, limit: int = 80) -> str:
    """A cluster-supplied string made safe for one terminal line: controls escaped, length capped."""
    text = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _intern(value: Any) -> str:
    return sys.intern(value) if isinstance(value, str) else ""


@dataclass(frozen=True)
class Node:
    name: str
    provider_id: str
    labels: Mapping[str, str]
    kubelet_version: str
    kernel_version: str
    os_image: str
    container_runtime: str
    system_uuid: str
    #: allocatable resources other than cpu, memory, pods and ephemeral storage, with a non-zero quantity
    extended: frozenset[str]


class Pod(NamedTuple):  # a NamedTuple: 300,000 of them are made in seconds
    namespace: str
    node: str
    #: (kind, name) of the owning workload after resolving ReplicaSet -> Deployment; None if none
    owner: tuple[str, str] | None
    gpus: int
    rdma: bool


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str
    replicas: int


@dataclass(frozen=True)
class CRD:
    name: str
    group: str


_LABELS_KEPT = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type",
                "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone",
                "feature.node.kubernetes.io/cpu-cpuid.HYPERVISOR")
_BASIC = {"cpu", "memory", "pods", "ephemeral-storage"}
_FINISHED = ("Succeeded", "Failed")
_ZERO = re.compile(r"^\s*[+]?0*(\.0*)?([a-zA-Z]{0,2})\s*$")
_GPU = re.compile(r"^(nvidia\.com/(gpu|mig-.*)|amd\.com/gpu|gpu\.intel\.com/.*)$")


def positive(quantity: Any) -> bool:
    """A Kubernetes quantity ("0", "1k", "2") is more than zero."""
    text = str(quantity)
    return bool(text.strip()) and _ZERO.match(text) is None


def is_gpu(resource: str) -> bool:
    return _GPU.match(resource) is not None


def _count(quantity: Any) -> int:
    try:
        return max(0, int(str(quantity).strip()))
    except ValueError:
        return 1 if positive(quantity) else 0


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Snapshot:
    """The observed objects of one cluster and where they came from."""

    #: the cluster as the user named it: ``context:NAME`` or ``dump:FOLDER``
    name: str
    nodes: list[Node] = field(default_factory=list)
    namespaces: dict[str, Mapping[str, str]] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    daemonsets: int = 0
    crds: list[CRD] = field(default_factory=list)
    server_version: str | None = None
    #: kind -> sources (``dump:FILE`` or ``context:NAME``) it was read from
    read: dict[str, set[str]] = field(default_factory=dict)
    #: kind -> why it is incomplete or missing (refused, timed out, truncated file)
    incomplete: dict[str, str] = field(default_factory=dict)
    #: items of kinds observation does not read, by kind
    ignored: dict[str, int] = field(default_factory=dict)

    def mark_read(self, kind: str, source: str) -> None:
        if source not in self.read.get(kind, ()):
            self.read.setdefault(kind, set()).add(source)

    def has(self, kind: str) -> bool:
        return kind in self.read

    def add(self, item: Any, source: str, kind: str | None = None) -> str | None:
        """Keep what the derivations need of one object; return its kind (None if not an object)."""
        if not isinstance(item, dict):
            return None
        kind = kind or item.get("kind")
        if not isinstance(kind, str):
            return None
        if kind == "Pod":  # the hot path: most objects of a cluster are pods
            self._pod(item)
            self.mark_read(kind, source)
            return kind
        meta = _dict(item.get("metadata"))
        spec = _dict(item.get("spec"))
        status = _dict(item.get("status"))
        if kind == "Node":
            self._node(meta, spec, status)
        elif kind == "Namespace":
            labels = _dict(meta.get("labels"))
            self.namespaces[_intern(meta.get("name"))] = {str(k): str(v) for k, v in labels.items()}
        elif kind in ("Deployment", "StatefulSet"):
            replicas = spec.get("replicas", 1)
            self.workloads.append(Workload(kind, _intern(meta.get("namespace")), _intern(meta.get("name")),
                                           replicas if isinstance(replicas, int) else 1))
        elif kind == "DaemonSet":
            self.daemonsets += 1
        elif kind == "CustomResourceDefinition":
            self.crds.append(CRD(str(meta.get("name", "")), str(spec.get("group", ""))))
        else:
            self.ignored[kind] = self.ignored.get(kind, 0) + 1
            return kind
        self.mark_read(kind, source)
        return kind

    def _node(self, meta: Mapping[str, Any], spec: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        labels = _dict(meta.get("labels"))
        info = _dict(status.get("nodeInfo"))
        allocatable = _dict(status.get("allocatable")) or _dict(status.get("capacity"))
        extended = frozenset(_intern(k) for k, v in allocatable.items() if k not in _BASIC and positive(v))
        self.nodes.append(Node(
            name=str(meta.get("name", "")),
            provider_id=str(spec.get("providerID", "")),
            labels={k: str(labels[k]) for k in _LABELS_KEPT if k in labels},
            kubelet_version=str(info.get("kubeletVersion", "")),
            kernel_version=_intern(info.get("kernelVersion")),
            os_image=_intern(info.get("osImage")),
            container_runtime=_intern(info.get("containerRuntimeVersion")),
            system_uuid=str(info.get("systemUUID", "")),
            extended=extended,
        ))

    def _pod(self, item: dict[str, Any]) -> None:
        spec = item.get("spec")
        node = spec.get("nodeName") if type(spec) is dict else None
        if type(node) is not str or not node:
            return  # not placed on a node
        status = item.get("status")
        if type(status) is dict and status.get("phase") in _FINISHED:
            return  # finished: it occupies no node
        meta = _dict(item.get("metadata"))
        gpus, rdma = 0, False
        containers = spec.get("containers") if type(spec) is dict else None
        for container in containers if type(containers) is list else ():
            resources = container.get("resources") if type(container) is dict else None
            if type(resources) is not dict:
                continue
            requests, limits = resources.get("requests"), resources.get("limits")
            names = {*(requests if type(requests) is dict else ()), *(limits if type(limits) is dict else ())}
            if names <= _BASIC:
                continue  # cpu and memory only: the common case
            wanted = {**_dict(requests), **_dict(limits)}
            for name, quantity in wanted.items():
                if name in _BASIC:
                    continue
                if is_gpu(name):
                    gpus += _count(quantity)
                elif "rdma" in name.lower() and positive(quantity):
                    rdma = True
        namespace = meta.get("namespace")
        self.pods.append(Pod(sys.intern(namespace) if type(namespace) is str else "", sys.intern(node),
                             _owner(meta), gpus, rdma))


def _owner(meta: Mapping[str, Any]) -> tuple[str, str] | None:
    """The workload a pod belongs to: Deployment via its ReplicaSet's pod-template-hash, else the controller."""
    refs = _list(meta.get("ownerReferences"))
    for ref in refs:
        ref = _dict(ref)
        if ref.get("controller") is not True and len(refs) > 1:
            continue
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        if not kind or not name:
            continue
        if kind == "ReplicaSet":
            template_hash = _dict(meta.get("labels")).get("pod-template-hash")
            if isinstance(template_hash, str) and template_hash and name.endswith("-" + template_hash):
                return "Deployment", sys.intern(name[: -len(template_hash) - 1])
        return sys.intern(kind), sys.intern(name)
    return None


# ---------------------------------------------------------------- decoding only what is kept


class _Owner(TypedDict, total=False):
    kind: str
    name: str
    controller: bool


class _Meta(TypedDict, total=False):
    name: str
    namespace: str
    labels: dict[str, str]
    ownerReferences: list[_Owner]


class _Resources(TypedDict, total=False):
    requests: dict[str, Any]
    limits: dict[str, Any]


class _Container(TypedDict, total=False):
    resources: _Resources


class _Spec(TypedDict, total=False):
    nodeName: str
    containers: list[_Container]
    providerID: str
    replicas: int
    group: str


class _NodeInfo(TypedDict, total=False):
    kubeletVersion: str
    kernelVersion: str
    osImage: str
    containerRuntimeVersion: str
    systemUUID: str


class _Status(TypedDict, total=False):
    phase: str
    allocatable: dict[str, Any]
    capacity: dict[str, Any]
    nodeInfo: _NodeInfo


class Skeleton(TypedDict, total=False):
    """The fields of any object that :meth:`Snapshot.add` reads; everything else is skipped unread."""

    kind: str
    apiVersion: str
    metadata: _Meta
    spec: _Spec
    status: _Status


def item_decoder() -> Callable[[memoryview], Any]:
    """Decode one JSON object to the :class:`Skeleton` of it (msgspec), or whole (json) where that fails.

    Raises ValueError when the bytes are not exactly one JSON value.
    """
    try:
        import msgspec
    except ImportError:  # slower, same result
        return lambda data: json.loads(bytes(data))
    decoder = msgspec.json.Decoder(Skeleton)

    def decode(data: memoryview) -> Any:
        try:
            return decoder.decode(data)
        except msgspec.ValidationError:
            return json.loads(bytes(data))  # a field of an unexpected type: keep the object as it is
    return decode

