"""The Kubernetes runner: every command of a target runs in ONE pod on a node of its pool.

On its first command the runner creates a Job whose pod only waits (``sleep``), built
by :func:`~advisor.measure.runners.k8s_manifests.job_manifest` (node selector,
tolerations, anti-affinity against other runners' pods). Every probe command then
runs in that pod through ``pods/exec`` (an argv, no shell): a probe's runs, its
pinned commands (``taskset`` inside the pod's cpuset) and its background processes
(a server, the noisy probe's antagonist) share one pod, one node and one set of
limits, as a workload's containers would. A command runs under ``timeout`` in its
own process group, so a timeout kills all of it; a background process is started
with ``setsid`` and stopped by signalling its group. :meth:`KubernetesRunner.close`
(and a Ctrl-C during a command) deletes the Job (``propagationPolicy: Foreground``),
which ends every process in the pod; ``activeDeadlineSeconds`` and
``ttlSecondsAfterFinished`` clean up server-side if the client dies.

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
from advisor.measure.runners._remote import PLACEMENT_SCRIPT, install_command, placement_from, resolve_path, sections
from advisor.measure.runners.k8s_api import (
    FATAL_WAITING,
    KubernetesAPI,
    PodView,
    api_error,
    get_path,
    node_facts,
    official_api,
)
from advisor.measure.runners.k8s_manifests import CONTAINER, LABEL_PREFIX, KubernetesOptions, job_manifest, job_name
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

#: Tools looked up together on the first ``which`` (one exec instead of one per tool).
COMMON_TOOLS = ("sysbench", "stress-ng", "fio", "sockperf", "cyclictest", "taskset", "setsid", "timeout", "mktemp",
                "getconf", "grep")
#: How long to wait for a deleted Job's pods to disappear (so the next runner has the node alone).
DELETE_WAIT = 60.0
#: Seconds between SIGTERM and SIGKILL for a command that overran its timeout (``timeout -k``).
KILL_GRACE = 2
#: Extra seconds the client waits for an exec beyond the command's own timeout.
EXEC_SLACK = 15.0
#: ``timeout``'s exit codes when it had to stop the command (TERM, then KILL).
_TIMED_OUT = (124, 137)
#: Starts ``"$@"`` in a new session with its output in the file ``$1``; prints the session's id.
_SPAWN = 'log=$1; shift; setsid "$@" >"$log" 2>&1 </dev/null & echo $!'
#: Stops the session ``$1`` (TERM, then KILL after a grace) and prints its output file ``$2``.
_STOP = ('kill -TERM -"$1" 2>/dev/null; i=0; '
         'while kill -0 -"$1" 2>/dev/null && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i+1)); done; '
         'kill -KILL -"$1" 2>/dev/null; cat -- "$2" 2>/dev/null; rm -f -- "$2"')
#: The pod's own process: it waits, reaps the processes orphaned in the pod, and ends on SIGTERM.
_POD_MAIN = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]


class KubernetesHandle:
    """A background process in the runner's pod (a server or an antagonist); :meth:`stop` ends its group."""

    def __init__(self, runner: KubernetesRunner, pgid: int, log: str, argv: tuple[str, ...]) -> None:
        self._runner = runner
        self.pgid = pgid
        self.log = log
        self.argv = argv
        self._started = time.monotonic()
        self._done: Completed | None = None

    def stop(self) -> Completed:
        if self._done is None:
            runner = self._runner
            text = ""
            if runner.pod is not None:
                try:
                    _rc, text, _err = runner._exec(["sh", "-c", _STOP, "sh", str(self.pgid), self.log], 30.0)
                except (MeasurementError, TimeoutError):
                    text = ""  # the pod is going: deleting it ends the process
            self._done = Completed(self.argv, -15, text, "", time.monotonic() - self._started)
            runner._forget(self)
        return self._done


class KubernetesRunner:
    """Runs every command in one pod on the target's node pool (see the module docstring)."""

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
        #: Labels this runner's pod carries; pods of other groups are kept off its node (the group is the slot,
        #: or that of the target this runner sits beside: :meth:`beside`).
        self.slot = f"{name}-{secrets.token_hex(3)}"
        self.group = self.slot
        self._beside: KubernetesRunner | None = None
        #: The node of the runner's pod (or the ``node`` option before it runs).
        self.node: str | None = options.node
        #: The Job of the runner's pod and the pod, once started.
        self.job: str | None = None
        self.pod: str | None = None
        self._seq = 0
        self._lock = threading.RLock()
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
        except (MeasurementError, TimeoutError):
            raise
        except Exception as exc:
            raise api_error(self.name, self.options.namespace, what, exc) from None

    def _pod_of(self, name: str) -> PodView | None:
        listing = self._call("list pods", self.api.list_namespaced_pod, self.options.namespace,
                             label_selector=f"{LABEL_PREFIX}/job={name}")
        pods = [PodView(p) for p in (getattr(listing, "items", None) or [])]
        if not pods:
            return None
        pods.sort(key=lambda p: (not p.finished, p.name))
        return pods[0]

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
        """Wait until the pod runs; ProbeError on a fatal wait, an early end or a start timeout."""
        while True:
            pod = self._pod_of(name)
            if pod is not None:
                if pod.finished:
                    raise ProbeError(f"{self.name}: the probe pod ended before it ran a command ({pod.message})",
                                     f"check the image {self.options.image!r} (see docs/probe-image/Dockerfile)")
                if pod.running:
                    return pod
                if pod.waiting in FATAL_WAITING:
                    raise ProbeError(f"{self.name}: the probe pod cannot start: {pod.message}",
                                     f"check the image {self.options.image!r} (see docs/probe-image/Dockerfile)")
            if time.monotonic() >= deadline_start:
                why = pod.message if pod is not None and pod.message else "no pod was scheduled"
                raise ProbeError(
                    f"{self.name}: the probe pod did not start within {self.options.start_timeout} s ({why})",
                    "check node_selector, tolerations and that a node of the pool is free "
                    "(each kubernetes target needs a node of its own while the session runs)")
            time.sleep(self.poll_interval)

    def beside(self, target: Runner) -> None:
        """Run this runner's pod on the node of ``target``'s pod (this is its ``sibling``: another pod on the same
        node, the noisy probe's neighbour); the two share a group, which keeps every other pod off the node."""
        if not isinstance(target, KubernetesRunner):
            raise ProbeError(f"{self.name}: a kubernetes sibling sits beside a kubernetes target, not {target.name!r} "
                             f"({target.kind})", "give the target a sibling of its own runner kind")
        self._beside = target
        self.group = target.group

    def _ensure_pod(self) -> str:
        """The runner's pod, created (a Job whose container waits) and running on first use."""
        if self._beside is not None and self.pod is None:
            self._beside._ensure_pod()  # its node first: the sibling's pod goes there
            self.node = self._beside.node
        with self._lock:
            if self._closed:
                raise ProbeError(f"{self.name}: the runner is closed", "open a new measurement session")
            if self.pod is not None:
                return self.pod
            name = job_name(self.name, "pod", secrets.token_hex(3))
            self.job = name
            try:  # the create is inside: a Ctrl-C while the API call returns must not leak the Job
                body = job_manifest(self.options, target=self.name, name=name, argv=_POD_MAIN,
                                    probe="session", slot=self.slot, timeout=None, node=self.node, group=self.group)
                self._call("create a Job", self.api.create_namespaced_job, self.options.namespace, body)
                pod = self._wait_running(name, time.monotonic() + self.options.start_timeout)
            except BaseException:
                self._delete(name)
                self.job = None
                raise
            self.node = pod.node or self.node
            self.pod = pod.name
            return pod.name

    def _exec(self, words: Sequence[str], timeout: float) -> tuple[int, str, str]:
        pod = self._ensure_pod()
        rc, out, err = self._call("run a command in the pod (pods/exec)", self.api.exec_in_pod, pod,
                                  self.options.namespace, container=CONTAINER, command=list(words), timeout=timeout)
        return int(rc), out, err

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
        """Run ``argv`` in the runner's pod; the timeout counts from the moment the command starts."""
        if stdin is not None:
            raise ProbeError(f"{self.name}: the kubernetes runner cannot pass standard input",
                             "pass the data as arguments or files in the probe image")
        words = self._command(argv, cpus)
        self._ensure_pod()
        limit = max(1, int(-(-timeout // 1)))
        started = time.monotonic()
        try:
            rc, out, err = self._exec(["timeout", "-k", str(KILL_GRACE), str(limit), *words],
                                      limit + KILL_GRACE + EXEC_SLACK)
        except TimeoutError:
            rc, out, err = _TIMED_OUT[0], "", ""
        except BaseException as exc:
            if not isinstance(exc, Exception):  # Ctrl-C: the pod goes with everything in it
                self.close()
            raise
        if rc in _TIMED_OUT and time.monotonic() - started >= timeout:
            raise ProbeTimeout(f"{self.name}: {shlex.join(words)} did not finish within {timeout:g} s",
                               "its process group was killed; raise the budget or check the node")
        return Completed(tuple(str(a) for a in argv), rc, out, err, time.monotonic() - started)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> KubernetesHandle:
        """Start ``argv`` in the background in the runner's pod (servers and antagonists)."""
        words = self._command(argv, cpus)
        with self._lock:
            self._seq += 1
            log = f"/tmp/advisor-bg-{self.slot}-{self._seq}.log"
        rc, out, err = self._exec(["sh", "-c", _SPAWN, "sh", log, *words], 30.0)
        pgid = out.strip()
        if rc != 0 or not pgid.isdigit():
            raise ProbeError(f"{self.name}: cannot start {shlex.join(words)} in the pod (exit {rc}: {err.strip()})",
                             "the probe image needs /bin/sh and setsid (util-linux; docs/probe-image/Dockerfile)")
        handle = KubernetesHandle(self, int(pgid), log, tuple(str(a) for a in argv))
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
        self._ensure_pod()  # learn the node
        node = self._call("read a node", self.api.read_node, self.node) if self.node else None
        for addr in get_path(node, "status", "addresses") or []:
            if getattr(addr, "type", "") == "InternalIP":
                return str(addr.address)
        raise ProbeError(f"{self.name}: node {self.node!r} has no InternalIP", "check the node's status")

    def placement(self, role: Role) -> Placement:
        done = self.run(["sh", "-c", PLACEMENT_SCRIPT], timeout=60)
        extra = {"namespace": self.options.namespace, "image": self.options.image, "node": self.node or "unknown"}
        if self.options.context:
            extra["context"] = self.options.context
        node = None
        if self.node:
            try:
                node = self._call("read a node", self.api.read_node, self.node)
            except MeasurementError:
                node = None  # RBAC may not allow it: the pod's view is enough
        extra.update(node_facts(node))
        cgroup = (f"kubernetes requests/limits cpu={self.options.cpu} memory={self.options.memory}"
                  if self.options.cpu or self.options.memory else None)
        return placement_from(sections(done.stdout), target=self.name, role=role, runner=self.kind,
                              hostname=self.node, fallback_hostname="unknown", extra=extra, cgroup=cgroup)

    def close(self) -> None:
        """Stop the background processes and delete the runner's Job and pod; idempotent."""
        with self._lock:
            handles = list(self._handles)
        for handle in handles:
            try:
                handle.stop()
            except MeasurementError:
                pass
        with self._lock:
            job, self.job, self.pod = self.job, None, None
            was_closed, self._closed = self._closed, True
        if job is not None:
            self._delete(job)
        if self._api is not None and not was_closed:
            try:
                self._api.delete_collection_namespaced_job(
                    self.options.namespace, label_selector=f"{LABEL_PREFIX}/slot={self.slot}",
                    propagation_policy="Foreground")
            except Exception:
                pass  # best effort; the Jobs' TTL and deadlines clean up server-side


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
