"""The Kubernetes API as the runner sees it: the few calls it makes, the official client behind them, pods read.

The official ``kubernetes`` client is imported lazily, on the first API call, so
that the command line starts fast and works without it (``--render-only`` does not
need it). Tests inject a fake API object with the same method names
(:class:`KubernetesAPI`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

from advisor.errors import MeasurementError
from advisor.measure.runners.k8s_manifests import CONTAINER

__all__ = ["FATAL_WAITING", "KubernetesAPI", "PodView", "api_error", "get_path", "node_facts", "official_api",
           "one_line"]

#: Waiting reasons that will not resolve by waiting longer.
FATAL_WAITING = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
                            "CreateContainerError", "ErrImageNeverPull", "RunContainerError"})


class KubernetesAPI(Protocol):
    """The few calls of the official client (BatchV1Api + CoreV1Api) the runner makes.

    :func:`official_api` adapts the real client; tests pass a fake with these names.
    Return values are the client's model objects (``V1Pod``, ``V1PodList``, ``V1Node``).
    """

    def create_namespaced_job(self, namespace: str, body: dict[str, Any]) -> Any: ...

    def delete_namespaced_job(self, name: str, namespace: str, *, propagation_policy: str) -> Any: ...

    def delete_collection_namespaced_job(self, namespace: str, *, label_selector: str,
                                         propagation_policy: str) -> Any: ...

    def list_namespaced_pod(self, namespace: str, *, label_selector: str) -> Any: ...

    def read_namespaced_pod_log(self, name: str, namespace: str, *, container: str) -> Any: ...

    def read_node(self, name: str) -> Any: ...

    def exec_in_pod(self, name: str, namespace: str, *, container: str, command: Sequence[str],
                    timeout: float) -> tuple[int, str, str]:
        """Run ``command`` (an argv, no shell) in the pod's container: ``(exit code, stdout, stderr)``.

        Raises TimeoutError when it has not ended within ``timeout`` seconds.
        """
        ...


class _OfficialAPI:
    """The official client's BatchV1Api and CoreV1Api behind :class:`KubernetesAPI`."""

    def __init__(self, api_client: Any) -> None:
        import kubernetes.client as client  # the optional extra, imported on first use
        self._batch = client.BatchV1Api(api_client)
        self._core = client.CoreV1Api(api_client)

    def create_namespaced_job(self, namespace: str, body: dict[str, Any]) -> Any:
        return self._batch.create_namespaced_job(namespace, body)

    def delete_namespaced_job(self, name: str, namespace: str, *, propagation_policy: str) -> Any:
        return self._batch.delete_namespaced_job(name, namespace, propagation_policy=propagation_policy)

    def delete_collection_namespaced_job(self, namespace: str, *, label_selector: str,
                                         propagation_policy: str) -> Any:
        return self._batch.delete_collection_namespaced_job(namespace, label_selector=label_selector,
                                                            propagation_policy=propagation_policy)

    def list_namespaced_pod(self, namespace: str, *, label_selector: str) -> Any:
        return self._core.list_namespaced_pod(namespace, label_selector=label_selector)

    def read_namespaced_pod_log(self, name: str, namespace: str, *, container: str) -> Any:
        return self._core.read_namespaced_pod_log(name, namespace, container=container)

    def read_node(self, name: str) -> Any:
        return self._core.read_node(name)

    def exec_in_pod(self, name: str, namespace: str, *, container: str, command: Sequence[str],
                    timeout: float) -> tuple[int, str, str]:
        from kubernetes.stream import stream  # pods/exec over a websocket (channel.k8s.io)
        resp = stream(self._core.connect_get_namespaced_pod_exec, name, namespace, container=container,
                      command=list(command), stdin=False, stdout=True, stderr=True, tty=False,
                      _preload_content=False)
        try:
            resp.run_forever(timeout=max(timeout, 0.001))
            if resp.is_open():
                raise TimeoutError(f"exec in pod {name} did not end within {timeout:g} s")
            out, err = resp.read_channel(1), resp.read_channel(2)
            return int(resp.returncode), str(out or ""), str(err or "")
        finally:
            resp.close()


def official_api(kubeconfig: str | None, context: str | None) -> KubernetesAPI:
    """The real API from a kubeconfig (or the in-cluster service account when there is none)."""
    try:
        import kubernetes.config as config
    except ImportError:
        raise MeasurementError("the Kubernetes runner needs the 'kubernetes' Python package",
                               "pip install 'advisor[kubernetes]'") from None
    try:
        if kubeconfig is None and context is None and config.incluster_config.SERVICE_HOST_ENV_NAME in os.environ:
            config.load_incluster_config()
            return _OfficialAPI(None)
        return _OfficialAPI(config.new_client_from_config(config_file=kubeconfig, context=context))
    except Exception as exc:  # the client raises ConfigException, FileNotFoundError, yaml errors
        where = kubeconfig or "$KUBECONFIG or ~/.kube/config"
        raise MeasurementError(f"cannot load the kubeconfig ({where}, context {context or 'current'}): "
                               f"{one_line(exc)}", "check kubeconfig and context in the targets file") from None


def api_error(target: str, namespace: str, what: str, exc: BaseException) -> MeasurementError:
    """The clear error for a failed API call (refused, failed, or the API unreachable)."""
    status = getattr(exc, "status", None)
    if status in (401, 403):
        return MeasurementError(
            f"{target}: the Kubernetes API refused to {what} in namespace {namespace!r} ({status})",
            "the kubeconfig user needs create/delete on jobs, get/list on pods, create on pods/exec "
            "(and get on nodes); see docs/measurement.md")
    if status is not None:
        reason = getattr(exc, "reason", "") or ""
        return MeasurementError(f"{target}: Kubernetes API error while trying to {what}: {status} {reason}",
                                "check the namespace and the cluster's events (kubectl get events)")
    return MeasurementError(f"{target}: cannot reach the Kubernetes API to {what}: {one_line(exc)}",
                            "check kubeconfig, context and that the cluster is up")


def node_facts(node: Any) -> dict[str, str]:
    """What a V1Node says about the machine: kubelet, OS image, runtime, instance type, zone."""
    facts: dict[str, str] = {}
    info = get_path(node, "status", "node_info")
    if info is not None:
        facts["kubelet"] = str(getattr(info, "kubelet_version", "") or "")
        facts["os_image"] = str(getattr(info, "os_image", "") or "")
        facts["container_runtime"] = str(getattr(info, "container_runtime_version", "") or "")
    labels = get_path(node, "metadata", "labels") or {}
    for key in ("node.kubernetes.io/instance-type", "topology.kubernetes.io/zone"):
        if key in labels:
            facts[key] = str(labels[key])
    return facts


def one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def get_path(obj: Any, *path: str) -> Any:
    """``obj.a.b.c`` that stops at the first None."""
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


class PodView:
    """What the runner needs from a V1Pod."""

    def __init__(self, pod: Any) -> None:
        self.name: str = get_path(pod, "metadata", "name") or ""
        self.phase: str = get_path(pod, "status", "phase") or "Pending"
        self.node: str | None = get_path(pod, "spec", "node_name")
        self.ip: str | None = get_path(pod, "status", "pod_ip")
        self.host_ip: str | None = get_path(pod, "status", "host_ip")
        self.exit_code: int | None = None
        self.waiting: str | None = None
        self.message = ""
        self.running = False
        for status in get_path(pod, "status", "container_statuses") or []:
            if getattr(status, "name", CONTAINER) != CONTAINER:
                continue
            terminated = get_path(status, "state", "terminated")
            if terminated is not None:
                self.exit_code = int(terminated.exit_code)
                self.message = " ".join(x for x in (terminated.reason, terminated.message) if x)
            waiting = get_path(status, "state", "waiting")
            if waiting is not None:
                self.waiting = waiting.reason
                self.message = " ".join(x for x in (waiting.reason, waiting.message) if x)
            self.running = get_path(status, "state", "running") is not None
        for cond in get_path(pod, "status", "conditions") or []:
            if getattr(cond, "type", "") == "PodScheduled" and getattr(cond, "status", "") == "False":
                self.message = " ".join(x for x in (cond.reason, cond.message) if x)

    @property
    def finished(self) -> bool:
        return self.phase in ("Succeeded", "Failed")
