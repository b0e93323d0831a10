"""Generated clusters, shaped exactly as ``kubectl get ... -o json`` prints them.

Every object validates against the Kubernetes OpenAPI schemas (tests/test_observe_dumps.py
checks that with kubernetes-validate). Four estates cover the platforms observe tells
apart: bare metal (Metal3 providerIDs), a vSphere estate, a public cloud (AWS) and a
KubeVirt cluster on bare metal. benchmarks/bench_observe.py builds its 10,000-node
estate from the same builders.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

K8S_VERSIONS = ("1.29.0", "1.33.0")


def node(name: str, *, provider_id: str | None = None, labels: dict[str, str] | None = None,
         kubelet: str = "v1.30.4", kernel: str = "6.1.0-25-amd64", os_image: str = "Debian GNU/Linux 12 (bookworm)",
         runtime: str = "containerd://1.7.20", extra: dict[str, str] | None = None, cpu: str = "64") -> dict[str, Any]:
    allocatable = {"cpu": cpu, "memory": "263855236Ki", "pods": "110", "ephemeral-storage": "450000000000",
                   "hugepages-1Gi": "0", "hugepages-2Mi": "0", **(extra or {})}
    spec: dict[str, Any] = {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]}
    if provider_id:
        spec["providerID"] = provider_id
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "1",
                     "creationTimestamp": "2026-01-05T10:00:00Z",
                     "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                "kubernetes.io/arch": "amd64", **(labels or {})}},
        "spec": spec,
        "status": {
            "capacity": dict(allocatable), "allocatable": allocatable,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": "2026-11-30T10:00:00Z",
                            "lastTransitionTime": "2026-01-05T10:01:00Z"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.10"}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": "0" * 32, "systemUUID": "4c4c4544-0042-3010-8056-b2c04f4e3232",
                         "bootID": "b0" * 16, "kernelVersion": kernel, "osImage": os_image,
                         "containerRuntimeVersion": runtime, "kubeletVersion": kubelet,
                         "kubeProxyVersion": kubelet, "operatingSystem": "linux", "architecture": "amd64"},
        },
    }


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": f"uid-ns-{name}", "resourceVersion": "1",
                         "creationTimestamp": "2026-01-05T10:00:00Z",
                         "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _template(app: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": f"registry.example/{app}:1.0",
                                     "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


def workload(kind: str, ns: str, name: str, replicas: int = 3) -> dict[str, Any]:
    group = "apps/v1"
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}, "template": _template(name)}
    status: dict[str, Any] = {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas}
    if kind == "DaemonSet":
        status = {"observedGeneration": 1, "currentNumberScheduled": replicas, "desiredNumberScheduled": replicas,
                  "numberMisscheduled": 0, "numberReady": replicas}
    else:
        spec["replicas"] = replicas
    if kind == "StatefulSet":
        spec["serviceName"] = name
    return {"apiVersion": group, "kind": kind,
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{kind}-{ns}-{name}", "generation": 1,
                         "resourceVersion": "1", "creationTimestamp": "2026-01-05T10:00:00Z",
                         "labels": {"app": name}},
            "spec": spec, "status": status}


def pod(ns: str, name: str, node_name: str, *, owner: tuple[str, str] | None = None,
        template_hash: str | None = None, gpus: int = 0, rdma: bool = False,
        phase: str = "Running") -> dict[str, Any]:
    app = owner[1] if owner else name
    labels = {"app": app}
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": f"uid-pod-{ns}-{name}", "resourceVersion": "1",
                            "creationTimestamp": "2026-11-01T08:00:00Z", "labels": labels}
    if owner is not None:
        kind, owner_name = owner
        if kind == "Deployment":
            kind, owner_name = "ReplicaSet", f"{owner_name}-{template_hash}"
            labels["pod-template-hash"] = str(template_hash)
        meta["ownerReferences"] = [{"apiVersion": "batch/v1" if kind == "Job" else "apps/v1", "kind": kind,
                                    "name": owner_name, "uid": f"uid-{kind}-{owner_name}", "controller": True,
                                    "blockOwnerDeletion": True}]
    resources: dict[str, Any] = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
    if gpus:
        resources["limits"]["nvidia.com/gpu"] = str(gpus)
        resources["requests"]["nvidia.com/gpu"] = str(gpus)
    if rdma:
        resources["limits"]["rdma/hca_shared_devices_a"] = "1"
        resources["requests"]["rdma/hca_shared_devices_a"] = "1"
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": meta,
        "spec": {"nodeName": node_name, "restartPolicy": "Always", "schedulerName": "default-scheduler",
                 "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
                 "containers": [{"name": app, "image": f"registry.example/{app}:1.0", "imagePullPolicy": "IfNotPresent",
                                 "ports": [{"containerPort": 8080, "protocol": "TCP"}], "resources": resources,
                                 "env": [{"name": "LOG_LEVEL", "value": "info"}],
                                 "volumeMounts": [{"name": "kube-api-access", "mountPath":
                                                   "/var/run/secrets/kubernetes.io/serviceaccount",
                                                   "readOnly": True}]}],
                 "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                     {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": phase, "hostIP": "10.0.0.10", "podIP": "10.244.1.10",
                   "startTime": "2026-11-01T08:00:01Z", "qosClass": "Burstable",
                   "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-01T08:00:05Z"}],
                   "containerStatuses": [{"name": app, "ready": True, "restartCount": 0, "started": True,
                                          "image": f"registry.example/{app}:1.0", "imageID": "",
                                          "containerID": "containerd://" + "ab" * 32,
                                          "state": {"running": {"startedAt": "2026-11-01T08:00:03Z"}}}]},
    }


def crd(group: str, plural: str, kind: str) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}", "uid": f"uid-crd-{plural}.{group}", "resourceVersion": "1",
                         "creationTimestamp": "2026-01-05T10:00:00Z"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}


def version(git: str = "v1.30.4") -> dict[str, Any]:
    major, minor = git.lstrip("v").split(".")[:2]
    return {"clientVersion": {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"},
            "kustomizeVersion": "v5.4.2",
            "serverVersion": {"major": major, "minor": minor, "gitVersion": git, "platform": "linux/amd64"}}


def as_list(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


# ------------------------------------------------------------------ the four estates

CRDS_COMMON = [crd("cert-manager.io", "certificates", "Certificate"),
               crd("acme.cert-manager.io", "orders", "Order"),
               crd("monitoring.coreos.com", "servicemonitors", "ServiceMonitor"),
               crd("snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot"),
               crd("payments.example.com", "ledgers", "Ledger")]


def _services(nodes: Sequence[str], per_node: int, *, namespaces: Sequence[str], replicas: int = 3,
              gpu_every: int = 0) -> Iterator[dict[str, Any]]:
    """Deployments spread over ``nodes``: each node hosts ``per_node`` distinct ones (plus a DaemonSet pod)."""
    services = max(1, len(nodes) * per_node // replicas)
    for i in range(services):
        ns = namespaces[i % len(namespaces)]
        name = f"svc-{i:05d}"
        yield workload("Deployment", ns, name, replicas)
        for r in range(replicas):
            target = nodes[(i * replicas + r) % len(nodes)]
            gpus = 1 if gpu_every and i % gpu_every == 0 else 0
            yield pod(ns, f"{name}-7d9f8c6b5-{r:05d}", target, owner=("Deployment", name),
                      template_hash="7d9f8c6b5", gpus=gpus)
    yield workload("DaemonSet", "kube-system", "kube-proxy")
    for n in nodes:
        yield pod("kube-system", f"kube-proxy-{n}", n, owner=("DaemonSet", "kube-proxy"))


def estate(kind: str, nodes: int = 6, per_node: int = 4) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``kubectl get nodes,namespaces,pods,... -A -o json``, ``kubectl version -o json``) of one cluster."""
    names = [f"{kind}-node-{i:05d}" for i in range(nodes)]
    tenants = ["team-a", "team-b", "team-c"]
    items: list[dict[str, Any]] = []
    extra: dict[str, str] = {}
    if kind == "bare-metal":
        def pid(n: str) -> str:
            return f"metal3://metal3/{n}/{n}-machine"
        labels = lambda i: {"topology.kubernetes.io/zone": f"rack-{i % 4}"}  # noqa: E731
        extra = {"intel.com/intel_sriov_netdevice": "8", "hugepages-1Gi": "16Gi"}
        kubelet = ["v1.29.6", "v1.30.4"]
    elif kind == "vsphere":
        def pid(n: str) -> str:
            return f"vsphere://4236{zlib.crc32(n.encode()) % 10**8:08d}-6bb9-38ae-35ab-0abfe1e41dcc"
        labels = lambda i: {"node.kubernetes.io/instance-type": "vsphere-vm.cpu-16.mem-64gb.os-photon"}  # noqa: E731
        kubelet = ["v1.28.9+vmware.1", "v1.29.4+vmware.1", "v1.30.2+vmware.1"]
    elif kind == "aws":
        def pid(n: str) -> str:
            return f"aws:///eu-west-1a/i-0{zlib.crc32(n.encode()):016x}"
        labels = lambda i: {"node.kubernetes.io/instance-type": "p4d.24xlarge" if i == 0 else "m6i.2xlarge",  # noqa: E731
                            "topology.kubernetes.io/zone": f"eu-west-1{'abc'[i % 3]}",
                            "topology.kubernetes.io/region": "eu-west-1"}
        kubelet = ["v1.30.4-eks-a737599"]
    elif kind == "kubevirt":
        def pid(n: str) -> str:
            return f"metal3://metal3/{n}/{n}-machine"
        labels = lambda i: {"topology.kubernetes.io/zone": f"rack-{i % 2}", "kubevirt.io/schedulable": "true"}  # noqa: E731
        extra = {"devices.kubevirt.io/kvm": "1k", "devices.kubevirt.io/tun": "1k",
                 "devices.kubevirt.io/vhost-net": "1k"}
        kubelet = ["v1.31.1"]
    else:
        raise ValueError(kind)
    for i, n in enumerate(names):
        node_extra = dict(extra)
        if kind == "aws" and i == 0:
            node_extra["nvidia.com/gpu"] = "8"
        items.append(node(n, provider_id=pid(n), labels=labels(i), kubelet=kubelet[i % len(kubelet)],
                          extra=node_extra))
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease", "cert-manager", *tenants]:
        items.append(namespace(ns, {"tenant": ns.split("-")[-1]} if ns in tenants else None))
    svc = list(_services(names, per_node, namespaces=tenants, gpu_every=0))
    if kind == "aws":
        svc.append(pod("team-a", "inference-0", names[0], owner=("StatefulSet", "inference"), gpus=1))
        svc.append(workload("StatefulSet", "team-a", "inference", 1))
    pods = [o for o in svc if o["kind"] == "Pod"]
    others = [o for o in svc if o["kind"] != "Pod"]
    items += pods
    items += [o for o in others if o["kind"] == "Deployment"]
    items += [o for o in others if o["kind"] == "StatefulSet"]
    items += [o for o in others if o["kind"] == "DaemonSet"]
    crds = list(CRDS_COMMON)
    if kind == "kubevirt":
        crds += [crd("kubevirt.io", "virtualmachines", "VirtualMachine"),
                 crd("kubevirt.io", "virtualmachineinstances", "VirtualMachineInstance"),
                 crd("cdi.kubevirt.io", "datavolumes", "DataVolume"),
                 crd("k8s.cni.cncf.io", "network-attachment-definitions", "NetworkAttachmentDefinition")]
    if kind == "bare-metal":
        crds.append(crd("sriovnetwork.openshift.io", "sriovnetworks", "SriovNetwork"))
    items += crds
    server = {"bare-metal": "v1.30.4", "vsphere": "v1.30.2+vmware.1", "aws": "v1.30.4-eks-a737599",
              "kubevirt": "v1.31.1"}[kind]
    return as_list(items), version(server)


def write_folder(folder: Path, dump: dict[str, Any], ver: dict[str, Any] | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cluster.json").write_text(json.dumps(dump, indent=4) + "\n", encoding="utf-8")
    if ver is not None:
        (folder / "version.json").write_text(json.dumps(ver, indent=2) + "\n", encoding="utf-8")
    return folder


#: the estate shipped in docs/examples/estate (used by README.md and docs/observe.md): folder -> (kind, nodes)
EXAMPLE_ESTATE = {"prod": ("bare-metal", 4), "edge": ("vsphere", 3)}


def example_files() -> dict[str, str]:
    """Relative path -> text of every file of docs/examples/estate."""
    out: dict[str, str] = {}
    for folder, (kind, nodes) in EXAMPLE_ESTATE.items():
        dump, ver = estate(kind, nodes=nodes, per_node=3)
        out[f"{folder}/cluster.json"] = json.dumps(dump, indent=4) + "\n"
        out[f"{folder}/version.json"] = json.dumps(ver, indent=2) + "\n"
    return out


if __name__ == "__main__":  # python tests/observe_estates.py docs/examples/estate
    import sys

    root = Path(sys.argv[1])
    for name, text in example_files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
        print(f"wrote {root / name}")
