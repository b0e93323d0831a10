"""The Kubernetes runner and its Job manifests.

No real API server can run here (only package registries are reachable: kind and
k3s pull images, and neither Debian nor PyPI ships a runnable kube-apiserver), so:

* every Job manifest is validated against the official Kubernetes OpenAPI schemas of
  several minor versions (kubernetes-validate ships them);
* the orchestration (create, wait, collect logs, clean up on success, failure,
  timeout and Ctrl-C) runs against :class:`FakeKubernetesAPI`, a FAKE in-process API
  whose "kubelet" runs the container command on this machine. It returns the official
  client's model objects, so the runner reads them exactly as it reads a real API's.

docs/measurement.md ("Kubernetes targets") has the live verification against a real cluster.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from advisor import yamlio
from advisor.errors import DataError, ExitCode, MeasurementError
from advisor.measure.api import ProbeError, ProbeTimeout, Runner
from advisor.measure.manager import load_registry
from advisor.measure.runners import kubernetes as kmod
from advisor.measure.runners.k8s_manifests import (
    LABEL_PREFIX,
    KubernetesOptions,
    job_manifest,
    job_name,
)
from advisor.measure.runners.k8s_render import render_manifests
from advisor.measure.runners.kubernetes import KubernetesRunner
from advisor.measure.targets import load_targets

#: Mostly waiting (start timeouts and process groups stopping in a fake API server): started first (tests/conftest.py).
pytestmark = pytest.mark.waits

# test dependencies (pyproject's test extras): the official schemas and the official client's models
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
k8s = pytest.importorskip("kubernetes.client", reason="pip install kubernetes")

#: Kubernetes minor versions every manifest must validate against (strict: no unknown fields).
K8S_VERSIONS = ("1.29.0", "1.33.0", "1.37.0")


def assert_valid(doc: dict[str, Any]) -> None:
    for version in K8S_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:  # the full message is pages long
            pytest.fail(f"invalid for Kubernetes {version}: {str(exc).splitlines()[0]} at {list(exc.path)}")


# -- the FAKE API --------------------------------------------------------------------------

@dataclass
class FakeNode:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    #: (key, value, effect) of NoSchedule/NoExecute taints
    taints: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class FakePod:
    name: str
    job: str
    body: dict[str, Any]
    labels: dict[str, str]
    node: str | None = None
    phase: str = "Pending"
    waiting: tuple[str, str] | None = None
    unschedulable: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    exit_code: int | None = None
    terminated_reason: str | None = None


class FakeKubernetesAPI:
    """A FAKE of the few BatchV1Api/CoreV1Api calls the runner makes. Not a Kubernetes API server.

    Scheduling honours nodeSelector, NoSchedule taints/tolerations and the required pod
    anti-affinity of the manifests; the "kubelet" runs ``command + args`` as a local
    process (``$$`` -> ``$`` as Kubernetes does), logs to a file, and deletion kills it.
    ``exec_in_pod`` runs a command "in" a running pod: a local process carrying the pod's
    name in its environment (``FAKE_POD_ENV``), so deleting the pod kills every process
    started in it, background sessions included, as deleting a real pod does.
    Every created Job is validated against the Kubernetes OpenAPI schema first.
    """

    def __init__(self, nodes: list[FakeNode], tmp: Path, *, bad_images: tuple[str, ...] = (),
                 fail_with: int | None = None) -> None:
        self.nodes = nodes
        self.tmp = tmp
        self.bad_images = bad_images
        self.fail_with = fail_with
        self.jobs: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, FakePod] = {}
        self.created: list[dict[str, Any]] = []
        self.deleted: list[tuple[str, str]] = []
        self.collections_deleted: list[tuple[str, str]] = []
        self.max_slots_per_node: dict[str, int] = {}
        self.execs: list[tuple[str, list[str]]] = []
        self.ever: list[str] = []
        self.lock = threading.RLock()

    # BatchV1Api
    def create_namespaced_job(self, namespace: str, body: dict[str, Any]) -> Any:
        if self.fail_with is not None:
            raise k8s.ApiException(status=self.fail_with, reason="Forbidden")
        assert_valid(body)
        name = body["metadata"]["name"]
        with self.lock:
            if name in self.jobs:
                raise k8s.ApiException(status=409, reason="AlreadyExists")
            assert body["metadata"]["namespace"] == namespace
            self.jobs[name] = body
            self.created.append(body)
            pod_name = f"{name}-{secrets.token_hex(3)}"
            labels = dict(body["spec"]["template"]["metadata"]["labels"])
            self.pods[pod_name] = FakePod(pod_name, name, body, labels)
            self.ever.append(pod_name)
        return k8s.V1Job(metadata=k8s.V1ObjectMeta(name=name, namespace=namespace))

    def delete_namespaced_job(self, name: str, namespace: str, *, propagation_policy: str) -> Any:
        with self.lock:
            if name not in self.jobs:
                raise k8s.ApiException(status=404, reason="NotFound")
            self.deleted.append((name, propagation_policy))
            del self.jobs[name]
            for pod in [p for p in self.pods.values() if p.job == name]:
                self._kill(pod)
                del self.pods[pod.name]
        return k8s.V1Status(status="Success")

    def delete_collection_namespaced_job(self, namespace: str, *, label_selector: str,
                                         propagation_policy: str) -> Any:
        self.collections_deleted.append((label_selector, propagation_policy))
        key, _, value = label_selector.partition("=")
        for name, body in list(self.jobs.items()):
            if body["metadata"]["labels"].get(key) == value:
                self.delete_namespaced_job(name, namespace, propagation_policy=propagation_policy)
        return k8s.V1Status(status="Success")

    # CoreV1Api
    def list_namespaced_pod(self, namespace: str, *, label_selector: str) -> Any:
        key, _, value = label_selector.partition("=")
        with self.lock:
            for pod in list(self.pods.values()):
                self._advance(pod)
            items = [self._model(p) for p in self.pods.values() if p.labels.get(key) == value]
        return k8s.V1PodList(items=items)

    def read_namespaced_pod_log(self, name: str, namespace: str, *, container: str) -> Any:
        pod = self.pods.get(name)
        if pod is None:
            raise k8s.ApiException(status=404, reason="NotFound")
        assert container == "probe"
        return pod.log_path.read_text() if pod.log_path is not None and pod.log_path.exists() else ""

    def read_node(self, name: str) -> Any:
        node = next(n for n in self.nodes if n.name == name)
        return k8s.V1Node(
            metadata=k8s.V1ObjectMeta(name=name, labels={**node.labels, "kubernetes.io/hostname": name}),
            status=k8s.V1NodeStatus(
                addresses=[k8s.V1NodeAddress(type="InternalIP", address="127.0.0.1")],
                node_info=k8s.V1NodeSystemInfo(
                    architecture="amd64", boot_id="b", container_runtime_version="containerd://1.7.0",
                    kernel_version=os.uname().release, kube_proxy_version="", kubelet_version="v1.33.0",
                    machine_id="m", operating_system="linux", os_image="Debian GNU/Linux 12", system_uuid="u")))

    def exec_in_pod(self, name: str, namespace: str, *, container: str, command: list[str],
                    timeout: float) -> tuple[int, str, str]:
        with self.lock:
            pod = self.pods.get(name)
            if pod is not None:
                self._advance(pod)
            if pod is None or pod.phase != "Running":
                raise k8s.ApiException(status=404 if pod is None else 400, reason="pod is not running")
            assert container == "probe" and all(isinstance(w, str) for w in command)
            self.execs.append((name, list(command)))
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=self.tmp, env={**os.environ, FAKE_POD_ENV: name})
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException as exc:  # the client gives up on the stream: the command goes on in the pod
            if isinstance(exc, subprocess.TimeoutExpired):
                raise TimeoutError(f"exec in {name} did not end within {timeout} s") from None
            raise
        return proc.returncode, out.decode(), err.decode()

    # the fake scheduler and kubelet
    def _fits(self, pod: FakePod, node: FakeNode) -> bool:
        spec = pod.body["spec"]["template"]["spec"]
        labels = {**node.labels, "kubernetes.io/hostname": node.name}
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            return False
        tolerations = spec.get("tolerations") or []
        for key, value, _effect in node.taints:
            if not any(t.get("operator") == "Exists" and t.get("key") in (None, key)
                       or (t.get("key") == key and t.get("value") == value) for t in tolerations):
                return False
        for term in spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]:
            for other in self.pods.values():
                if other is pod or other.node != node.name or other.phase not in ("Pending", "Running"):
                    continue
                if all(_matches(expr, other.labels) for expr in term["labelSelector"]["matchExpressions"]):
                    return False
        return True

    def _advance(self, pod: FakePod) -> None:
        if pod.node is None:
            node = next((n for n in self.nodes if self._fits(pod, n)), None)
            if node is None:
                pod.unschedulable = (f"0/{len(self.nodes)} nodes are available: "
                                     "didn't match node selector or anti-affinity")
                return
            pod.node, pod.unschedulable = node.name, None
            container = pod.body["spec"]["template"]["spec"]["containers"][0]
            if container["image"] in self.bad_images:
                pod.waiting = ("ErrImagePull", f"failed to pull image {container['image']!r}")
                return
            argv = [w.replace("$$", "$") for w in container["command"] + container.get("args", [])]
            pod.log_path = self.tmp / f"{pod.name}.log"
            try:
                pod.proc = subprocess.Popen(argv, stdout=pod.log_path.open("wb"), stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.tmp)
            except OSError as exc:
                pod.phase, pod.exit_code, pod.terminated_reason = "Failed", 128, f"StartError: {exc}"
                return
            pod.phase = "Running"
            slots = {p.labels[f"{LABEL_PREFIX}/slot"] for p in self.pods.values()
                     if p.node == pod.node and p.phase == "Running"}
            self.max_slots_per_node[pod.node] = max(self.max_slots_per_node.get(pod.node, 0), len(slots))
        if pod.phase == "Running" and pod.proc is not None and pod.proc.poll() is not None:
            pod.exit_code = pod.proc.returncode
            pod.phase = "Succeeded" if pod.exit_code == 0 else "Failed"
            pod.terminated_reason = "Completed" if pod.exit_code == 0 else "Error"

    def _kill(self, pod: FakePod) -> None:
        if pod.proc is not None and pod.proc.poll() is None:
            os.killpg(pod.proc.pid, signal.SIGKILL)
            pod.proc.wait()
        for pid in _pids_in({pod.name}):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # SIGKILL takes effect when the process next runs: on a busy CPU a killed process still shows as
        # running for a moment. A Foreground deletion returns when the pod's processes are gone.
        deadline = time.monotonic() + 10
        while _pids_in({pod.name}) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _model(self, pod: FakePod) -> Any:
        state: Any
        if pod.exit_code is not None:
            state = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
                exit_code=pod.exit_code, reason=pod.terminated_reason))
        elif pod.waiting is not None:
            state = k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason=pod.waiting[0],
                                                                              message=pod.waiting[1]))
        elif pod.phase == "Running":
            state = k8s.V1ContainerState(running=k8s.V1ContainerStateRunning())
        else:
            state = None
        conditions = None
        if pod.unschedulable:
            conditions = [k8s.V1PodCondition(type="PodScheduled", status="False", reason="Unschedulable",
                                             message=pod.unschedulable)]
        statuses = None if state is None else [k8s.V1ContainerStatus(
            name="probe", image="i", image_id="", ready=pod.phase == "Running", restart_count=0, state=state)]
        return k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name=pod.name, labels=dict(pod.labels)),
            spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="probe")], node_name=pod.node),
            status=k8s.V1PodStatus(phase=pod.phase, pod_ip="10.244.0.9" if pod.node else None,
                                   host_ip="127.0.0.1" if pod.node else None,
                                   conditions=conditions, container_statuses=statuses))

    def running_processes(self) -> int:
        """Live processes of the pods: their containers' and everything started in them (exec)."""
        mains = sum(1 for p in self.pods.values() if p.proc is not None and p.proc.poll() is None)
        return mains + len(_pids_in(set(self.ever)))

    def exec_processes(self, pod: str) -> int:
        return len(_pids_in({pod}))

    def close(self) -> None:
        for pod in list(self.pods.values()):
            self._kill(pod)


FAKE_POD_ENV = "ADVISOR_FAKE_K8S_POD"


def _pids_in(pods: set[str]) -> list[int]:
    """Live processes started by ``exec_in_pod`` in one of ``pods``; zombies excluded."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        values = [e.split(b"=", 1)[1].decode() for e in env if e.startswith(FAKE_POD_ENV.encode() + b"=")]
        if values and state != "Z" and values[0] in pods:
            found.append(int(entry.name))
    return found


def _matches(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    value = labels.get(expr["key"])
    if expr["operator"] == "In":
        return value in expr["values"]
    if expr["operator"] == "NotIn":
        return value not in expr["values"]
    raise AssertionError(f"operator {expr['operator']} not faked")


# -- fixtures ------------------------------------------------------------------------------

POOLS = [
    FakeNode("metal-1", {"pool": "metal"}),
    FakeNode("metal-2", {"pool": "metal"}),
    FakeNode("vm-1", {"pool": "vm"}, taints=[("dedicated", "vm", "NoSchedule")]),
]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeKubernetesAPI]:
    api = FakeKubernetesAPI([FakeNode(n.name, dict(n.labels), list(n.taints)) for n in POOLS], tmp_path,
                            bad_images=("registry.example/missing:1",))
    yield api
    api.close()


def opts(**overrides: Any) -> KubernetesOptions:
    data: dict[str, Any] = {"image": "registry.example/advisor-probe:1", "namespace": "bench",
                            "node_selector": {"pool": "metal"}, "start_timeout": 5}
    data.update(overrides)
    return KubernetesOptions.model_validate(data)


def make_runner(fake: FakeKubernetesAPI, name: str = "metal", **overrides: Any) -> KubernetesRunner:
    return KubernetesRunner(name, opts(**overrides), api=fake, poll_interval=0.02, delete_wait=5)


# -- manifests -----------------------------------------------------------------------------

MANIFEST_OPTIONS = [
    {},
    {"node_selector": {"pool": "vm", "node.kubernetes.io/instance-type": "m5.metal"},
     "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "vm", "effect": "NoSchedule"},
                     {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}],
     "cpu": "2", "memory": "2Gi", "privileged": True, "host_network": True, "service_account": "advisor",
     "image_pull_secrets": ["regcred"], "node": "worker-7", "image_pull_policy": "Always"},
    {"cpu": "500m", "node_selector": {}, "scratch_host_path": None},
]


@pytest.mark.parametrize("options", MANIFEST_OPTIONS)
@pytest.mark.parametrize("timeout", [12.5, None])
def test_job_manifests_validate_against_the_kubernetes_schemas(options: dict[str, Any],
                                                               timeout: float | None) -> None:
    doc = job_manifest(opts(**options), target="metal", name=job_name("metal", "sysbench", "1-abcd"),
                       argv=["sysbench", "cpu", "--time=2", "run"], probe="cpu", slot="metal-abc123",
                       timeout=timeout, env={"ADVISOR_PEER_ADDRESS": "x"})
    assert_valid(doc)
    pod = doc["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"] == ["sysbench"]
    assert pod["containers"][0]["args"] == ["cpu", "--time=2", "run"]
    assert pod["restartPolicy"] == "Never" and doc["spec"]["backoffLimit"] == 0
    deadline = doc["spec"]["activeDeadlineSeconds"]
    assert deadline == (13 + 5 if timeout is not None else 6 * 3600 + 5)
    # the manifest survives a YAML round trip through the project's writer
    assert_valid(yamlio.parse(yamlio.dump(doc), "job.yaml").plain())


def test_argv_is_data_not_shell_and_not_kubernetes_variables() -> None:
    argv = ["printf", "%s\n", "$(id)", "$HOME", "`id`", "a; rm -rf /", "$$"]
    doc = job_manifest(opts(), target="metal", name="advisor-metal-x-1", argv=argv, probe="x", slot="s",
                       timeout=5)
    c = doc["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["printf"]
    assert c["args"] == ["%s\n", "$$(id)", "$$HOME", "`id`", "a; rm -rf /", "$$$$"]
    assert [w.replace("$$", "$") for w in c["args"]] == argv[1:]  # what the kubelet hands the process


def test_job_names_are_dns_labels() -> None:
    name = job_name("a" * 32, "Some Probe_Name" * 5, "12-abcd")
    assert len(name) <= 63 and name.endswith("-12-abcd")
    assert all(ch.isalnum() or ch == "-" for ch in name) and name == name.lower()


def test_fairness_anti_affinity_keeps_other_runners_off_the_node() -> None:
    doc = job_manifest(opts(), target="metal", name="n", argv=["true"], probe="p", slot="metal-1a2b3c", timeout=1)
    term = doc["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert {"key": f"{LABEL_PREFIX}/group", "operator": "NotIn", "values": ["metal-1a2b3c"]} in \
        term["labelSelector"]["matchExpressions"]


PILOT = """\
advisor_targets: 1
targets:
  - name: metal
    role: bare-metal
    runner: kubernetes
    context: pilot
    namespace: advisor-bench
    image: registry.example/advisor-probe:1
    node_selector: {pool: metal}
    cpu: "2"
    memory: 2Gi
    host_network: true
  - name: vm
    role: vm
    runner: kubernetes
    context: pilot
    namespace: advisor-bench
    image: registry.example/advisor-probe:1
    node_selector: {pool: vm}
    tolerations:
      - {key: dedicated, operator: Equal, value: vm, effect: NoSchedule}
    cpu: "2"
    memory: 2Gi
    host_network: true
    peer: metal
"""


def test_render_manifests_for_a_pilot_cluster(tmp_path: Path) -> None:
    path = tmp_path / "pilot.yaml"
    path.write_text(PILOT)
    targets = load_targets(path)
    registry = load_registry()
    probes = [registry.probes[n] for n in sorted(registry.probes)]
    assert {"cpu", "net"} <= {p.name for p in probes}
    files = render_manifests(targets, probes, "quick")
    assert files, "nothing rendered"
    for fname, text in files.items():
        assert fname.endswith(".yaml") and "/" not in fname
        doc = yamlio.parse(text, fname).plain()
        assert_valid(doc)
    cpu = [f for f in files if f.startswith("vm--cpu-") and f.endswith("-run.yaml")]
    assert cpu, sorted(files)
    cpu_doc = yamlio.parse(files[cpu[-1]], "x").plain()
    pod = cpu_doc["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"pool": "vm"}
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "vm", "effect": "NoSchedule"}]
    assert any(f.startswith("metal--cpu-") for f in files)
    # the two-host probe: the server runs on the peer (metal), the client gets its address from the env
    servers = [f for f in files if f.startswith("metal--net-for-vm-") and f.endswith("-server.yaml")]
    assert servers, sorted(files)
    assert "sockperf" in files[servers[0]] and "server" in files[servers[0]]
    clients = [yamlio.parse(files[f], f).plain() for f in files if f.startswith("vm--net-") and f.endswith("-run.yaml")]
    envs = [c["spec"]["template"]["spec"]["containers"][0].get("env") for c in clients]
    assert any(e and e[0]["name"] == "ADVISOR_PEER_ADDRESS" for e in envs)
    # every probe's tool is rendered, not only the commands before its first helper (the audit found
    # the fio and cyclictest Jobs missing)
    tools = {name: {yamlio.parse(t, f).plain()["spec"]["template"]["spec"]["containers"][0]["command"][0]
                    for f, t in files.items() if f.startswith(f"vm--{name}-")}
             for name in ("cpu", "memory", "disk", "net", "jitter", "noisy")}
    assert "fio" in tools["disk"] and "cyclictest" in tools["jitter"] and "cyclictest" in tools["noisy"]
    assert "stress-ng" in {yamlio.parse(t, f).plain()["spec"]["template"]["spec"]["containers"][0]["command"][0]
                           for f, t in files.items() if f.startswith("vm--noisy-") and f.endswith("-server.yaml")}
    sysbench = [yamlio.parse(t, f).plain()["spec"]["template"]["spec"]["containers"][0]
                for f, t in files.items() if f.startswith("vm--memory-")]
    assert any("--memory-access-mode=rnd" in " ".join(c["command"] + c.get("args", [])) for c in sysbench)


def test_render_manifests_skips_other_runners_and_reports_bad_options(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("advisor_targets: 1\ntargets:\n  - name: a\n    role: bare-metal\n  - name: b\n    role: vm\n"
                    "    runner: kubernetes\n    image: 'bad image'\n")
    registry = load_registry()
    with pytest.raises(DataError) as err:
        render_manifests(load_targets(path), [registry.probes["cpu"]], "quick")
    assert f"{path}:8:" in err.value.format()
    path.write_text("advisor_targets: 1\ntargets:\n  - name: a\n    role: bare-metal\n  - name: b\n    role: vm\n")
    assert render_manifests(load_targets(path), [registry.probes["cpu"]], "quick") == {}


@pytest.mark.parametrize(("line", "text"), [
    ("namespace: Bad_NS", "namespace"),
    ("node_selector: {'bad key!': x}", "node_selector"),
    ("tolerations: [{key: a, operator: Maybe}]", "operator"),
    ("cpu: lots", "cpu"),
    ("image: '-oops image'", "image"),
    ("unknown_option: 1", "unknown_option"),
])
def test_bad_kubernetes_options_are_reported_with_positions(tmp_path: Path, line: str, text: str) -> None:
    path = tmp_path / "t.yaml"
    image = "" if line.startswith("image") else "    image: registry.example/p:1\n"
    path.write_text("advisor_targets: 1\ntargets:\n  - name: a\n    role: bare-metal\n    runner: kubernetes\n"
                    f"{image}    {line}\n  - name: b\n    role: vm\n")
    with pytest.raises(DataError) as err:
        kmod.from_spec(load_targets(path)[0])
    assert f"{path}:" in err.value.format() and text in err.value.format()
    assert err.value.exit_code == ExitCode.DATA


def test_missing_kubeconfig_points_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("advisor_targets: 1\ntargets:\n  - name: a\n    role: bare-metal\n    runner: kubernetes\n"
                    "    image: p:1\n    kubeconfig: nope/config\n  - name: b\n    role: vm\n")
    with pytest.raises(DataError) as err:
        kmod.from_spec(load_targets(path)[0])
    assert f"{path}:7:" in err.value.format()


def test_the_client_library_is_imported_lazily() -> None:
    code = ("import sys, advisor.measure.runners.kubernetes as k, advisor.measure.manager as m; "
            "m.load_registry(); print('kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_plugin_hook_provides_the_kubernetes_runner() -> None:
    assert kmod.advisor_runners()["kubernetes"] is kmod.from_spec
    assert load_registry().runners["kubernetes"] is kmod.from_spec


# -- orchestration against the FAKE API ---------------------------------------------------

def test_every_command_runs_in_one_pod_deleted_on_close(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake)
    assert isinstance(runner, Runner)
    done = runner.run(["sh", "-c", "echo hello; echo warn >&2"], timeout=10)
    assert (done.returncode, done.stdout, done.stderr) == (0, "hello\n", "warn\n")
    again = runner.run(["sh", "-c", "echo $PPID; cat /proc/self/cgroup >/dev/null"], timeout=10, cpus=[0])
    assert again.returncode == 0
    assert len(fake.created) == 1, "one pod for all of the target's commands"
    assert {pod for pod, _ in fake.execs} == {runner.pod}
    assert fake.execs[-1][1][:4] == ["timeout", "-k", "2", "10"] and "taskset" in fake.execs[-1][1]
    assert runner.node in ("metal-1", "metal-2") and fake.deleted == []
    runner.close()
    assert fake.deleted == [(fake.created[0]["metadata"]["name"], "Foreground")]
    assert fake.jobs == {} and fake.pods == {} and fake.running_processes() == 0
    runner.close()  # idempotent


def test_failure_returns_the_exit_code(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake)
    done = runner.run(["sh", "-c", "echo broken; exit 3"], timeout=10)
    assert (done.returncode, done.stdout) == (3, "broken\n")
    runner.close()
    assert fake.jobs == {} and len(fake.deleted) == 1


def test_timeout_kills_the_command_group_in_the_pod(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake)
    start = time.monotonic()
    with pytest.raises(ProbeTimeout) as err:
        runner.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
    assert time.monotonic() - start < 10
    assert err.value.exit_code == ExitCode.MEASUREMENT
    assert runner.pod is not None and fake.exec_processes(runner.pod) == 0  # the whole group, child included
    assert runner.run(["true"], timeout=5).returncode == 0  # the pod serves the next command
    runner.close()
    assert fake.jobs == {} and fake.deleted[0][1] == "Foreground"
    assert fake.running_processes() == 0


def test_ctrl_c_deletes_the_pod(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake)
    runner.run(["true"], timeout=5)
    pod = next(iter(fake.pods))
    main = threading.main_thread().ident
    assert main is not None

    def ctrl_c_once_the_command_runs() -> None:
        # `timeout` and its `sleep` both run in the pod; then a real SIGINT to the main thread, as a
        # terminal's Ctrl-C: it interrupts the wait for the command (_thread.interrupt_main would only
        # set a flag, seen when the command ends 30 s later)
        deadline = time.monotonic() + 20
        while fake.exec_processes(pod) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        signal.pthread_kill(main, signal.SIGINT)

    timer = threading.Thread(target=ctrl_c_once_the_command_runs, daemon=True)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runner.run(["sleep", "30"], timeout=60)
    timer.join()
    assert time.monotonic() - started < 25, "the interrupt did not stop the command"
    assert fake.jobs == {} and len(fake.deleted) == 1
    assert fake.running_processes() == 0


def test_image_pull_errors_fail_fast_and_clean_up(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake, image="registry.example/missing:1")
    start = time.monotonic()
    with pytest.raises(ProbeError, match="ErrImagePull"):
        runner.run(["true"], timeout=10)
    assert time.monotonic() - start < 4
    assert fake.jobs == {}


def test_unschedulable_pod_is_reported_after_the_start_timeout(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake, node_selector={"pool": "gpu"})
    with pytest.raises(ProbeError, match="did not start within 5 s") as err:
        runner.run(["true"], timeout=10)
    assert "node_selector" in err.value.format()
    assert fake.jobs == {}


def test_tainted_pool_needs_its_toleration(fake: FakeKubernetesAPI) -> None:
    tolerated = make_runner(fake, "vm", node_selector={"pool": "vm"},
                            tolerations=[{"key": "dedicated", "value": "vm", "effect": "NoSchedule"}])
    assert tolerated.run(["true"], timeout=10).returncode == 0
    assert tolerated.node == "vm-1"


def test_targets_never_share_a_node(fake: FakeKubernetesAPI) -> None:
    a, b = make_runner(fake, "a"), make_runner(fake, "b")
    errors: list[BaseException] = []

    def work(r: KubernetesRunner) -> None:
        try:
            for _ in range(4):
                r.run(["sleep", "0.1"], timeout=10)
        except BaseException as exc:  # noqa: B036 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert a.node != b.node and {a.node, b.node} == {"metal-1", "metal-2"}
    assert len(fake.created) == 2 and max(fake.max_slots_per_node.values()) == 1
    for r in (a, b):
        r.close()
    assert fake.running_processes() == 0


def test_a_sibling_pod_runs_on_its_targets_node_and_others_stay_off(fake: FakeKubernetesAPI) -> None:
    """The noisy probe's neighbour: the sibling's pod joins its target's node and group; a third runner's pod
    still needs a node of its own."""
    target, sibling, other = make_runner(fake, "vm"), make_runner(fake, "vm-nb"), make_runner(fake, "x")
    sibling.beside(target)
    assert sibling.run(["true"], timeout=10).returncode == 0
    assert target.pod is not None and sibling.node == target.node and sibling.group == target.group
    assert other.run(["true"], timeout=10).returncode == 0
    assert other.node not in (None, target.node) and max(fake.max_slots_per_node.values()) == 2
    with pytest.raises(ProbeError, match="a kubernetes sibling sits beside a kubernetes target"):
        sibling.beside(FakeRunnerForK8s())  # type: ignore[arg-type]
    for r in (sibling, target, other):
        r.close()
    assert fake.running_processes() == 0 and fake.jobs == {}


class FakeRunnerForK8s:
    name, kind = "local-one", "local"


def test_one_node_pool_holds_one_target_at_a_time(fake: FakeKubernetesAPI) -> None:
    fake.nodes[:] = [FakeNode("only", {"pool": "metal"})]
    a, b = make_runner(fake, "a"), make_runner(fake, "b")
    assert a.run(["true"], timeout=10).returncode == 0
    with pytest.raises(ProbeError, match="did not start within 5 s") as err:
        b.run(["true"], timeout=10)
    assert "a node of its own" in err.value.format()
    a.close()
    assert b.run(["true"], timeout=10).returncode == 0
    b.close()
    assert fake.max_slots_per_node == {"only": 1} and fake.jobs == {}


def test_background_processes_share_the_pod_and_stop_with_their_group(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake, host_network=True)
    handle = runner.spawn(["sh", "-c", "echo serving; sleep 30 & sleep 30"])
    antagonist = runner.spawn(["sleep", "30"], cpus=[0])
    assert len(fake.created) == 1, "server, antagonist and runs in one pod"
    assert runner.address() == "127.0.0.1"  # the node's InternalIP
    time.sleep(0.3)
    assert runner.pod is not None and fake.exec_processes(runner.pod) >= 3  # the server's two, the antagonist
    done = handle.stop()
    assert "serving" in done.stdout
    assert handle.stop() is done
    assert runner.run(["true"], timeout=5).returncode == 0
    assert fake.exec_processes(runner.pod) == 1  # only the antagonist is left
    runner.close()
    runner.close()
    assert antagonist.stop().returncode == -15
    assert fake.running_processes() == 0 and fake.jobs == {}


def test_address_needs_host_network(fake: FakeKubernetesAPI) -> None:
    with pytest.raises(ProbeError, match="host_network"):
        make_runner(fake).address()


def test_which_is_one_exec_for_the_common_tools(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake)
    assert runner.which("sh")
    assert not runner.which("advisor-no-such-tool")
    execs = len(fake.execs)
    assert runner.which("taskset") == (subprocess.run(["sh", "-c", "command -v taskset"]).returncode == 0)
    assert len(fake.execs) == execs  # cached from the first lookup
    with pytest.raises(MeasurementError) as err:
        runner.preflight(["sh", "advisor-no-such-tool"])
    assert "apt-get install advisor-no-such-tool" in err.value.format()


def test_hostile_arguments_stay_data(fake: FakeKubernetesAPI, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    args = [f"$(touch {marker})", "$HOME", f"`touch {marker}`", f"x; touch {marker}", "$$", "$(HOME)"]
    done = make_runner(fake).run(["printf", "%s\\n", *args], timeout=10)
    assert done.stdout.splitlines() == args
    assert not marker.exists()


def test_placement_through_the_api(fake: FakeKubernetesAPI) -> None:
    runner = make_runner(fake, cpu="1")
    placement = runner.placement("vm")
    assert placement.runner == "kubernetes" and placement.role == "vm"
    assert placement.hostname in ("metal-1", "metal-2")
    assert placement.kernel == os.uname().release
    assert placement.cpus_online >= 1
    assert placement.extra["kubelet"] == "v1.33.0" and placement.extra["namespace"] == "bench"
    assert placement.cgroup is not None and "cpu=1" in placement.cgroup


def test_api_refusal_is_a_clear_measurement_error(tmp_path: Path) -> None:
    api = FakeKubernetesAPI(list(POOLS), tmp_path, fail_with=403)
    with pytest.raises(MeasurementError) as err:
        KubernetesRunner("metal", opts(), api=api, poll_interval=0.02).run(["true"], timeout=5)
    assert err.value.exit_code == ExitCode.MEASUREMENT
    assert "refused" in err.value.format() and "create/delete on jobs" in err.value.format()


def test_stdin_is_refused(fake: FakeKubernetesAPI) -> None:
    with pytest.raises(ProbeError, match="standard input"):
        make_runner(fake).run(["cat"], timeout=5, stdin="x")
    assert fake.created == []


@pytest.mark.xdist_group("cpu1")  # holds the CPU-1 lock for its benchmark (cpu_heavy): one worker runs these
def test_cpu_probe_through_the_kubernetes_runner(fake: FakeKubernetesAPI) -> None:
    probe = load_registry().probes["cpu"]
    runner = make_runner(fake)
    if not runner.which("sysbench"):
        pytest.skip("sysbench is not installed (see .ci/debian-packages)")
    from sshd_fixture import cpu_heavy

    with cpu_heavy():
        figures = probe.run(runner, budget="quick")
    assert figures["events_per_s"] > 0
    assert len(fake.created) == 1 and len(fake.execs) > 1  # the probe's commands in one pod
    runner.close()
    assert fake.jobs == {} and fake.running_processes() == 0


# -- the official client, end to end over HTTP on 127.0.0.1 --------------------------------

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeAPIServer:
    """A FAKE Kubernetes API server: FakeKubernetesAPI behind HTTP on 127.0.0.1, for the official client.

    It serves only the REST paths the runner uses, and pods/exec as a websocket, so the real
    client (its request building, JSON encoding, model decoding and exec stream) is exercised
    through the runner's adapter.
    """

    def __init__(self, api: FakeKubernetesAPI) -> None:
        self.api = api
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _reply(self, code: int, obj: Any, text: str | None = None) -> None:
                data = (text if text is not None else json.dumps(
                    k8s.ApiClient().sanitize_for_serialization(obj))).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                parts = url.path.strip("/").split("/")
                outer.requests.append((method, url.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                try:
                    if parts[:2] == ["apis", "batch"] and method == "POST":
                        self._reply(201, outer.api.create_namespaced_job(parts[4], body))
                    elif parts[:2] == ["apis", "batch"] and method == "DELETE" and len(parts) == 7:
                        policy = query.get("propagationPolicy") or (body or {}).get("propagationPolicy", "")
                        self._reply(200, outer.api.delete_namespaced_job(parts[6], parts[4],
                                                                         propagation_policy=policy))
                    elif parts[:2] == ["apis", "batch"] and method == "DELETE":
                        self._reply(200, outer.api.delete_collection_namespaced_job(
                            parts[4], label_selector=query["labelSelector"],
                            propagation_policy=query.get("propagationPolicy", "")))
                    elif parts[:2] == ["api", "v1"] and parts[2] == "nodes":
                        self._reply(200, outer.api.read_node(parts[3]))
                    elif parts[-1] == "exec" and method == "GET":
                        self._exec(parts[5], parts[3], parse_qs(url.query))
                    elif parts[-1] == "log":
                        text = outer.api.read_namespaced_pod_log(parts[5], parts[3], container=query["container"])
                        self._reply(200, None, text)
                    elif parts[-1] == "pods":
                        self._reply(200, outer.api.list_namespaced_pod(parts[3],
                                                                       label_selector=query["labelSelector"]))
                    else:
                        self._reply(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                except k8s.ApiException as exc:
                    self._reply(int(exc.status), {"kind": "Status", "code": exc.status, "reason": exc.reason})

            def _exec(self, pod: str, namespace: str, query: dict[str, list[str]]) -> None:
                """pods/exec: a websocket (RFC 6455) speaking v4.channel.k8s.io, as the API server does."""
                key = self.headers["Sec-WebSocket-Key"]
                accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
                assert "v4.channel.k8s.io" in self.headers["Sec-WebSocket-Protocol"]
                self.send_response(101, "Switching Protocols")
                for name, value in (("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                    ("Sec-WebSocket-Accept", accept), ("Sec-WebSocket-Protocol", "v4.channel.k8s.io")):
                    self.send_header(name, value)
                self.end_headers()
                rc, out, err = outer.api.exec_in_pod(pod, namespace, container=query["container"][0],
                                                     command=query["command"], timeout=3600)
                status: dict[str, Any] = {"metadata": {}, "status": "Success"} if rc == 0 else {
                    "metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                    "details": {"causes": [{"reason": "ExitCode", "message": str(rc)}]}}
                for channel, data in ((1, out.encode()), (2, err.encode()), (3, json.dumps(status).encode())):
                    if data:
                        self._frame(0x82, bytes([channel]) + data)
                self._frame(0x88, b"")
                self.close_connection = True

            def _frame(self, opcode: int, payload: bytes) -> None:
                n = len(payload)
                size = bytes([n]) if n < 126 else bytes([126]) + n.to_bytes(2, "big") if n < 65536 \
                    else bytes([127]) + n.to_bytes(8, "big")
                self.wfile.write(bytes([opcode]) + size + payload)
                self.wfile.flush()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_DELETE(self) -> None:  # noqa: N802
                self._handle("DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(f"""\
apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {{server: "http://127.0.0.1:{self.port}"}}
users:
  - name: tester
    user: {{token: not-a-secret}}
contexts:
  - name: fake-pilot
    context: {{cluster: fake, user: tester}}
current-context: other
""")
        return path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_official_client_through_a_fake_api_server(fake: FakeKubernetesAPI, tmp_path: Path) -> None:
    server = FakeAPIServer(fake)
    try:
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
        targets = tmp_path / "pilot.yaml"
        targets.write_text("advisor_targets: 1\ntargets:\n  - name: metal\n    role: bare-metal\n"
                           "    runner: kubernetes\n    kubeconfig: kubeconfig\n    context: fake-pilot\n"
                           "    namespace: bench\n    image: registry.example/advisor-probe:1\n"
                           "    node_selector: {pool: metal}\n    start_timeout: 5\n"
                           "  - name: vm\n    role: vm\n")
        runner = kmod.from_spec(load_targets(targets)[0])
        runner.poll_interval = 0.02
        assert runner.options.kubeconfig == str(kubeconfig)
        done = runner.run(["printf", "%s\\n", "$(id)", "a b"], timeout=10)
        assert (done.returncode, done.stdout) == (0, "$(id)\na b\n")
        failed = runner.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
        assert (failed.returncode, failed.stdout, failed.stderr) == (3, "out\n", "err\n")
        assert any(p.endswith("/exec") for _, p in server.requests)  # pods/exec over the websocket
        placement = runner.placement("bare-metal")
        assert placement.extra["kubelet"] == "v1.33.0"
        with pytest.raises(ProbeTimeout):
            runner.run(["sleep", "30"], timeout=0.3)
        runner.spawn(["sleep", "30"])
        runner.close()
        assert fake.jobs == {} and fake.running_processes() == 0
        methods = {(m, p.split("/")[-1] if m == "DELETE" else "") for m, p in server.requests}
        assert ("POST", "") in methods and any(m == "DELETE" for m, _ in methods)
        assert all(policy == "Foreground" for _, policy in fake.deleted)
    finally:
        server.close()


def test_unreachable_api_server_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n"
        f"  - name: c\n    cluster: {{server: 'http://127.0.0.1:{port}'}}\n"
        "users:\n  - name: u\n    user: {token: t}\n"
        "contexts:\n  - name: x\n    context: {cluster: c, user: u}\ncurrent-context: x\n")
    runner = KubernetesRunner("metal", opts(kubeconfig=str(config)), poll_interval=0.02)
    with pytest.raises(MeasurementError, match="cannot reach the Kubernetes API") as err:
        runner.run(["true"], timeout=5)
    assert err.value.exit_code == ExitCode.MEASUREMENT
    bad = KubernetesRunner("metal", opts(kubeconfig=str(config), context="missing"), poll_interval=0.02)
    with pytest.raises(MeasurementError, match="cannot load the kubeconfig"):
        bad.run(["true"], timeout=5)


def test_measure_render_only_writes_valid_manifests_and_runs_nothing(tmp_path: Path) -> None:
    from advisor.cli import run

    path = tmp_path / "pilot.yaml"
    path.write_text(PILOT)
    out = tmp_path / "manifests"
    assert run(["measure", "--targets", str(path), "--probe", "cpu", "--render-only", str(out)]) == 0
    files = sorted(out.glob("*.yaml"))
    assert files and {f.name.split("--")[0] for f in files} == {"metal", "vm"}
    for f in files:
        assert_valid(yamlio.parse(f.read_text(), f.name).plain())
    assert not list(tmp_path.glob("measurement-*")), "--render-only must not run or write a result"


def test_measure_render_only_without_kubernetes_targets_is_a_usage_error(tmp_path: Path) -> None:
    from advisor.cli import run

    path = tmp_path / "local.yaml"
    path.write_text("advisor_targets: 1\ntargets:\n  - name: a\n    role: bare-metal\n    runner: local\n")
    assert run(["measure", "--targets", str(path), "--render-only", str(tmp_path / "m")]) == 2
