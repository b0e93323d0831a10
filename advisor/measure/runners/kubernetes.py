"""The Kubernetes runner: each command is a Job on a node of the target's pool.

The Job is built by :func:`~advisor.measure.runners.k8s_manifests.job_manifest`
(node selector, tolerations, anti-affinity against other runners' pods, argv as the
container command without a shell). The runner creates it, waits for its pod, reads
the exit code and the pod log (stdout and stderr together), and deletes the Job
(``propagationPolicy: Foreground``) on success, failure, timeout and Ctrl-C.

The API calls, the lazily imported official client and the reading of pods are in
:mod:`advisor.measure.runners.k8s_api`.
"""

from __future__ import annotations

import secrets
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from advisor.errors import MeasurementError
from advisor.measure.api import Completed, Placement, ProbeError, ProbeTimeout, Role, Runner
from advisor.measure.hookspecs import hookimpl
from advisor.measure.runners import cpu_model_from_cpuinfo, parse_virtualization
from advisor.measure.runners._remote import PLACEMENT_SCRIPT, install_command, resolve_path, sections
from advisor.measure.runners.k8s_api import FATAL_WAITING, KubernetesAPI, PodView, get_path, official_api, one_line
from advisor.measure.runners.k8s_manifests import (
    CONTAINER,
    LABEL_PREFIX,
    KubernetesOptions,
    job_manifest,
    job_name,
)
from advisor.measure.runners.k8s_render import render_manifests
from advisor.measure.targets import TargetSpec

__all__ = [
    "KubernetesAPI",
    "KubernetesHandle",
    "KubernetesOptions",
    "KubernetesRunner",
    "advisor_runners",
    "from_spec",
    "official_api",
    "render_manifests",
]

#: Tools looked up together on the first ``which`` (one Job instead of one per tool).
COMMON_TOOLS = ("sysbench", "stress-ng", "fio", "sockperf", "cyclictest", "taskset", "mktemp", "getconf", "grep")
#: How long to wait for a deleted Job's pods to disappear (so the next run has the node alone).
DELETE_WAIT = 60.0


class KubernetesHandle:
    """A background pod (a server or an antagonist); :meth:`stop` deletes its Job."""

    def __init__(self, runner: KubernetesRunner, name: str, argv: tuple[str, ...], pod: PodView) -> None:
        self._runner = runner
        self.name = name
        self.argv = argv
        self.pod = pod
        self._started = time.monotonic()
        self._done: Completed | None = None

    def stop(self) -> Completed:
        if self._done is None:
            runner = self._runner
            pod = runner._pod_of(self.name) or self.pod
            log = runner._log(pod.name) if pod.name else ""
            runner._delete(self.name)
            rc = pod.exit_code if pod.exit_code is not None else -15
            self._done = Completed(self.argv, rc, log, pod.message if rc else "", time.monotonic() - self._started)
            runner._forget(self)
        return self._done


class KubernetesRunner:
    """Runs each command as a Job on the target's node pool (see the module docstring)."""

    kind = "kubernetes"

    def __init__(self, name: str, options: KubernetesOptions, *, api: KubernetesAPI | None = None,
                 api_factory: Callable[[], KubernetesAPI] | None = None, poll_interval: float = 0.5,
                 delete_wait: float = DELETE_WAIT) -> None:
        self.name = name
        self.options = options
        self._api = api
        self._api_factory = api_factory or (lambda: official_api(options.kubeconfig, options.context))
        self.poll_interval = poll_interval
        self.delete_wait = delete_wait
        #: Labels this runner's pods carry; pods of other slots are kept off their node.
        self.slot = f"{name}-{secrets.token_hex(3)}"
        #: The node all runs go to once the first pod has been placed (or the ``node`` option).
        self.node: str | None = options.node
        self._seq = 0
        self._lock = threading.Lock()
        self._handles: list[KubernetesHandle] = []
        self._tools: dict[str, bool] = {}
        self._versions: dict[str, str | None] = {}
        self._closed = False

    # -- API plumbing -----------------------------------------------------------------
    @property
    def api(self) -> KubernetesAPI:
        if self._api is None:
            self._api = self._api_factory()
        return self._api

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MeasurementError:
            raise
        except Exception as exc:
            status = getattr(exc, "status", None)
            ns = self.options.namespace
            if status in (401, 403):
                raise MeasurementError(
                    f"{self.name}: the Kubernetes API refused to {what} in namespace {ns!r} ({status})",
                    "the kubeconfig user needs create/delete on jobs and get/list on pods, pods/log (and get on "
                    "nodes); see docs/measurement.md") from None
            if status is not None:
                reason = getattr(exc, "reason", "") or ""
                raise MeasurementError(f"{self.name}: Kubernetes API error while trying to {what}: {status} {reason}",
                                       "check the namespace and the cluster's events (kubectl get events)") from None
            raise MeasurementError(f"{self.name}: cannot reach the Kubernetes API to {what}: {one_line(exc)}",
                                   "check kubeconfig, context and that the cluster is up") from None

    def _next_name(self, label: str) -> str:
        with self._lock:
            self._seq += 1
            seq = self._seq
        return job_name(self.name, label, f"{seq}-{secrets.token_hex(2)}")

    def _create(self, name: str, argv: Sequence[str], label: str, timeout: float | None) -> None:
        body = job_manifest(self.options, target=self.name, name=name, argv=argv, probe=label, slot=self.slot,
                            timeout=timeout, node=self.node)
        self._call("create a Job", self.api.create_namespaced_job, self.options.namespace, body)

    def _pod_of(self, name: str) -> PodView | None:
        listing = self._call("list pods", self.api.list_namespaced_pod, self.options.namespace,
                             label_selector=f"{LABEL_PREFIX}/job={name}")
        pods = [PodView(p) for p in (getattr(listing, "items", None) or [])]
        if not pods:
            return None
        pods.sort(key=lambda p: (not p.finished, p.name))
        return pods[0]

    def _log(self, pod: str) -> str:
        try:
            text = self._call("read a pod log", self.api.read_namespaced_pod_log, pod, self.options.namespace,
                              container=CONTAINER)
        except MeasurementError:
            return ""
        return text if isinstance(text, str) else str(text or "")

    def _delete(self, name: str) -> None:
        """Delete the Job and its pod (Foreground), then wait briefly for the pod to go."""
        try:
            self.api.delete_namespaced_job(name, self.options.namespace, propagation_policy="Foreground")
        except Exception:
            return  # gone already (404), or best effort: activeDeadlineSeconds and the TTL clean up server-side
        deadline = time.monotonic() + self.delete_wait
        while time.monotonic() < deadline:
            try:
                if self._pod_of(name) is None:
                    return
            except MeasurementError:
                return
            time.sleep(self.poll_interval)

    def _wait_running(self, name: str, deadline_start: float) -> PodView:
        """Wait until the pod runs or ends; ProbeError on a fatal wait or a start timeout."""
        while True:
            pod = self._pod_of(name)
            if pod is not None:
                if pod.running or pod.finished:
                    if pod.node and self.node is None:
                        self.node = pod.node  # sticky: the next runs go to the same node
                    return pod
                if pod.waiting in FATAL_WAITING:
                    raise ProbeError(f"{self.name}: the probe pod cannot start: {pod.message}",
                                     f"check the image {self.options.image!r} (see docs/probe-image/Dockerfile)")
            if time.monotonic() >= deadline_start:
                why = pod.message if pod is not None and pod.message else "no pod was scheduled"
                raise ProbeError(
                    f"{self.name}: the probe pod did not start within {self.options.start_timeout} s ({why})",
                    "check node_selector, tolerations and that a node of the pool is free "
                    "(advisor pods of other targets are kept off it)")
            time.sleep(self.poll_interval)

    def _forget(self, handle: KubernetesHandle) -> None:
        with self._lock:
            if handle in self._handles:
                self._handles.remove(handle)

    @staticmethod
    def _command(argv: Sequence[str], cpus: Sequence[int] | None) -> list[str]:
        words = [str(a) for a in argv]
        if not words:
            raise ProbeError("empty command", "give the program to run")
        if cpus:
            words = ["taskset", "-c", ",".join(str(int(c)) for c in cpus), *words]
        return words

    # -- Runner protocol --------------------------------------------------------------
    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        """Run ``argv`` as a Job; the timeout counts from the moment the container runs."""
        if stdin is not None:
            raise ProbeError(f"{self.name}: the kubernetes runner cannot pass standard input",
                             "pass the data as arguments or files in the probe image")
        words = self._command(argv, cpus)
        label = Path(words[0]).name
        name = self._next_name(label)
        started = time.monotonic()
        try:  # the create is inside: a Ctrl-C while the API call returns must not leak the Job
            self._create(name, words, label, timeout)
            pod = self._wait_running(name, time.monotonic() + self.options.start_timeout)
            run_deadline = time.monotonic() + timeout
            while not pod.finished:
                if time.monotonic() >= run_deadline:
                    raise ProbeTimeout(
                        f"{self.name}: {shlex.join(words)} did not finish within {timeout:g} s",
                        "its Job was deleted; raise the budget or check the node")
                time.sleep(self.poll_interval)
                pod = self._pod_of(name) or pod
            log = self._log(pod.name)
            rc = pod.exit_code if pod.exit_code is not None else (0 if pod.phase == "Succeeded" else 1)
            return Completed(tuple(str(a) for a in argv), rc, log, pod.message if rc else "",
                             time.monotonic() - started)
        finally:  # success, failure, timeout and Ctrl-C alike
            self._delete(name)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> KubernetesHandle:
        """Start ``argv`` as a Job and wait until its pod runs (servers need to be up)."""
        words = self._command(argv, cpus)
        label = Path(words[0]).name
        name = self._next_name(f"{label}-bg")
        try:
            self._create(name, words, label, None)
            pod = self._wait_running(name, time.monotonic() + self.options.start_timeout)
        except BaseException:
            self._delete(name)
            raise
        handle = KubernetesHandle(self, name, tuple(str(a) for a in argv), pod)
        with self._lock:
            self._handles.append(handle)
        return handle

    def missing(self, tools: Iterable[str]) -> list[str]:
        """The tools not in the probe image (one Job for all of them)."""
        names = [str(t) for t in tools]
        unknown = [t for t in names if t not in self._tools]
        if unknown:
            script = 'for t in "$@"; do command -v -- "$t" >/dev/null 2>&1 || echo "$t"; done'
            done = self.run(["sh", "-c", script, "sh", *unknown], timeout=60)
            if done.returncode != 0:
                raise ProbeError(f"{self.name}: cannot look up tools in the image (exit {done.returncode})",
                                 "the probe image needs /bin/sh (see docs/probe-image/Dockerfile)")
            absent = set(done.stdout.split())
            for tool in unknown:
                self._tools[tool] = tool not in absent
        return [t for t in names if not self._tools[t]]

    def which(self, tool: str) -> bool:
        if tool not in self._tools:
            self.missing(dict.fromkeys([tool, *COMMON_TOOLS]))
        return self._tools[tool]

    def preflight(self, tools: Iterable[str]) -> None:
        """MeasurementError naming the tools missing from the image and the packages to add."""
        missing = self.missing(tools)
        if missing:
            raise MeasurementError(
                f"{self.name}: missing in image {self.options.image}: {', '.join(missing)}",
                install_command("the probe image (docs/probe-image/Dockerfile)", missing))

    def tool_version(self, tool: str) -> str | None:
        if tool not in self._versions:
            script = ('command -v -- "$1" >/dev/null 2>&1 || exit 3; '
                      'out=$("$1" --version 2>&1) || out=$("$1" -V 2>&1) || exit 4; '
                      'printf "%s\\n" "$out" | head -n 1')
            done = self.run(["sh", "-c", script, "sh", str(tool)], timeout=60)
            line = done.stdout.strip()
            self._versions[tool] = line if done.returncode == 0 and line else None
        return self._versions[tool]

    def address(self) -> str:
        """The node's InternalIP, where servers with ``host_network: true`` listen."""
        if not self.options.host_network:
            raise ProbeError(
                f"{self.name}: a server in a pod has no address before it starts",
                "set 'host_network: true' on kubernetes targets that serve two-host probes "
                "(the server then listens on the node's address)")
        if self.node is None:
            self.run(["true"], timeout=60)  # learn (and pin) the node
        node = self._call("read a node", self.api.read_node, self.node) if self.node else None
        for addr in get_path(node, "status", "addresses") or []:
            if getattr(addr, "type", "") == "InternalIP":
                return str(addr.address)
        raise ProbeError(f"{self.name}: node {self.node!r} has no InternalIP", "check the node's status")

    def placement(self, role: Role) -> Placement:
        done = self.run(["sh", "-c", PLACEMENT_SCRIPT], timeout=60)
        parts = sections(done.stdout)
        nproc = parts.get("nproc", "").strip()
        detect = parts.get("virt")
        extra = {"namespace": self.options.namespace, "image": self.options.image, "node": self.node or "unknown"}
        if self.options.context:
            extra["context"] = self.options.context
        node = None
        if self.node:
            try:
                node = self._call("read a node", self.api.read_node, self.node)
            except MeasurementError:
                node = None  # RBAC may not allow it: the pod's view is enough
        info = get_path(node, "status", "node_info")
        if info is not None:
            extra["kubelet"] = str(getattr(info, "kubelet_version", "") or "")
            extra["os_image"] = str(getattr(info, "os_image", "") or "")
            extra["container_runtime"] = str(getattr(info, "container_runtime_version", "") or "")
        labels = get_path(node, "metadata", "labels") or {}
        for key in ("node.kubernetes.io/instance-type", "topology.kubernetes.io/zone"):
            if key in labels:
                extra[key] = str(labels[key])
        return Placement(
            target=self.name, role=role, runner=self.kind,
            hostname=self.node or parts.get("hostname", "").strip() or "unknown",
            cpu_model=cpu_model_from_cpuinfo(parts.get("cpuinfo", "")),
            cpus_online=int(nproc) if nproc.isdigit() else 0,
            kernel=parts.get("kernel", "").strip() or "unknown",
            virtualization=parse_virtualization(detect.strip() if detect else None, parts.get("cpuinfo", ""),
                                                parts.get("dmi")),
            cgroup=f"kubernetes requests/limits cpu={self.options.cpu} memory={self.options.memory}"
            if self.options.cpu or self.options.memory else None,
            extra=extra,
        )

    def close(self) -> None:
        """Delete every Job this runner created that is still there; idempotent."""
        with self._lock:
            handles = list(self._handles)
        for handle in handles:
            try:
                handle.stop()
            except MeasurementError:
                pass
        if self._api is not None and not self._closed:
            try:
                self._api.delete_collection_namespaced_job(
                    self.options.namespace, label_selector=f"{LABEL_PREFIX}/slot={self.slot}",
                    propagation_policy="Foreground")
            except Exception:
                pass  # best effort; the Jobs' TTL and deadlines clean up server-side
        self._closed = True


def from_spec(spec: TargetSpec) -> KubernetesRunner:
    """The ``runner: kubernetes`` factory: validate the options (file:line:col errors); connect lazily."""
    opts = spec.options_as(KubernetesOptions)
    if opts.kubeconfig is not None:
        base_dir = None
        if spec.location is not None and spec.location.file and not spec.location.file.startswith("target "):
            base_dir = str(Path(spec.location.file).resolve().parent)
        path = resolve_path(opts.kubeconfig, base_dir)
        if not Path(path).is_file():
            raise spec.error("kubeconfig", f"kubeconfig {opts.kubeconfig!r}: file not found",
                             "give the path of an existing file (relative paths start at the targets file)")
        opts = opts.model_copy(update={"kubeconfig": path})
    return KubernetesRunner(spec.name, opts)


@hookimpl
def advisor_runners() -> dict[str, Callable[[TargetSpec], Runner]]:
    """The built-in ``kubernetes`` runner."""
    return {"kubernetes": from_spec}
