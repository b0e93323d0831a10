"""Kubernetes Job manifests for probe runs (``--render-only`` writes them: :mod:`.k8s_render`).

Pure data: nothing here talks to a cluster or imports the Kubernetes client. The
runner (:mod:`advisor.measure.runners.kubernetes`) creates exactly the manifests
built by :func:`job_manifest`; :func:`~advisor.measure.runners.k8s_render.render_manifests`
writes them as YAML instead of applying them. Every manifest validates against the official Kubernetes OpenAPI
schemas (tests/test_measure_k8s.py, with kubernetes-validate).

Each Job has a single pod that:

* runs the given argv as the container ``command``/``args`` (no shell; every ``$``
  is doubled so that Kubernetes' ``$(VAR)`` expansion leaves the data alone): the
  runner's waiting loop, in whose pod every probe command is exec'd, or in a
  rendered manifest a probe command itself;
* lands on a node of the target's pool (``node_selector`` + ``tolerations``, or
  the ``node`` option);
* keeps other advisor pods off its node: a required pod anti-affinity on
  ``app.kubernetes.io/name=advisor-probe`` for pods of any *other* runner (slot), so
  two targets never share a node;
* is deleted with its Job when the runner closes (``propagationPolicy: Foreground``);
  ``activeDeadlineSeconds`` and ``ttlSecondsAfterFinished`` clean up server-side if
  the client dies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor.measure.api import ProbeError
from advisor.measure.targets import RunnerOptions

__all__ = [
    "APP_LABEL",
    "CONTAINER",
    "LABEL_PREFIX",
    "KubernetesOptions",
    "Toleration",
    "escape_dollars",
    "job_manifest",
    "job_name",
]

#: Prefix of the labels advisor puts on its Jobs and pods.
LABEL_PREFIX = "advisor-k8s.github.io"
#: ``app.kubernetes.io/name`` of every probe pod (the anti-affinity matches on it).
APP_LABEL = "advisor-probe"
#: The name of the probe container in every pod.
CONTAINER = "probe"
#: Longest life of a background pod (server, antagonist), in seconds: its Job's deadline.
SERVER_DEADLINE = 6 * 3600
#: Placeholder for the server's address in rendered manifests (expanded by Kubernetes from the env).
PEER_ADDRESS_VAR = "ADVISOR_PEER_ADDRESS"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_CONTEXT_BAD = re.compile(r"[\x00-\x1f\x7f]")


def _label_key(key: str) -> str:
    prefix, sep, name = key.rpartition("/")
    if (sep and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix))) or not _LABEL_NAME.match(name):
        raise ValueError(f"{key!r} is not a Kubernetes label key ([prefix/]name, letters, digits, '-', '_', '.')")
    return key


def _label_value(value: str) -> str:
    if value != "" and not _LABEL_NAME.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')")
    return value


class Toleration(BaseModel):
    """One pod toleration, as in a pod spec."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    key: str | None = None
    operator: Literal["Exists", "Equal"] = "Equal"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = Field(None, alias="tolerationSeconds", ge=0)

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return None if v is None else _label_key(v)

    @field_validator("value")
    @classmethod
    def _value(cls, v: str | None) -> str | None:
        return None if v is None else _label_value(v)

    def manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operator": self.operator}
        if self.key is not None:
            out["key"] = self.key
        if self.value is not None and self.operator == "Equal":
            out["value"] = self.value
        if self.effect is not None:
            out["effect"] = self.effect
        if self.toleration_seconds is not None:
            out["tolerationSeconds"] = self.toleration_seconds
        return out


class KubernetesOptions(RunnerOptions):
    """The ``runner: kubernetes`` options of a target."""

    kubeconfig: str | None = Field(None, description="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    context: str | None = Field(None, description="kubeconfig context (default: the current one)")
    namespace: str = Field("default", description="namespace of the probe Jobs")
    image: str = Field(description="probe image (see docs/probe-image/Dockerfile)")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    image_pull_secrets: list[str] = Field(default_factory=list)
    node_selector: dict[str, str] = Field(default_factory=dict, description="labels of the pool's nodes")
    tolerations: list[Toleration] = Field(default_factory=list)
    node: str | None = Field(None, description="pin every run to this node (default: the node of the first run)")
    cpu: str | None = Field(None, description="CPU request = limit, e.g. '2' (Guaranteed QoS)")
    memory: str | None = Field(None, description="memory request = limit, e.g. '2Gi'")
    privileged: bool = Field(False, description="run the probe container privileged (cyclictest, perf)")
    host_network: bool = Field(False, description="use the node's network namespace (network probes)")
    service_account: str | None = None
    start_timeout: int = Field(300, ge=5, le=3600, description="seconds to wait for a pod to start (image pull)")
    scratch_host_path: str | None = Field(
        "/var/tmp/advisor", description="node directory mounted at /var/tmp in every probe pod, so that files "
        "(the disk probe's test file) outlive one pod; null for none")

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        if not _DNS_LABEL.match(v):
            raise ValueError(f"namespace {v!r} is not a DNS label (lower-case letters, digits, '-')")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not _IMAGE.match(v):
            raise ValueError(f"image {v!r} is not an image reference (registry/name:tag or @sha256:...)")
        return v

    @field_validator("image_pull_secrets")
    @classmethod
    def _secrets(cls, v: list[str]) -> list[str]:
        for name in v:
            if not _DNS_SUBDOMAIN.match(name) or len(name) > 253:
                raise ValueError(f"image pull secret {name!r} is not a Kubernetes object name")
        return v

    @field_validator("service_account", "node")
    @classmethod
    def _object_name(cls, v: str | None) -> str | None:
        if v is not None and (not _DNS_SUBDOMAIN.match(v) or len(v) > 253):
            raise ValueError(f"{v!r} is not a Kubernetes object name")
        return v

    @field_validator("node_selector")
    @classmethod
    def _selector(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            _label_key(key)
            _label_value(str(value))
        return v

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, v: str | None) -> str | None:
        if v is not None and not _QUANTITY.match(str(v)):
            raise ValueError(f"{v!r} is not a Kubernetes quantity (e.g. 2, 500m, 4Gi)")
        return None if v is None else str(v)

    @field_validator("scratch_host_path")
    @classmethod
    def _host_path(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("/") or v.rstrip("/") == "" or _CONTEXT_BAD.search(v)
                              or "/../" in v + "/"):
            raise ValueError(f"{v!r} must be an absolute directory path on the node (not '/')")
        return v

    @field_validator("context", "kubeconfig")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is not None and (not v or _CONTEXT_BAD.search(v)):
            raise ValueError("must be non-empty text without control characters")
        return v


def escape_dollars(word: str) -> str:
    """Double every ``$``: Kubernetes turns ``$$`` back into ``$`` and expands no ``$(VAR)``."""
    return word.replace("$", "$$")


def _label_safe(text: str) -> str:
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.")[:63].strip("-_.")
    return value or "x"


def job_name(target: str, probe: str, suffix: str) -> str:
    """A DNS-label Job name ``advisor-<target>-<probe>-<suffix>`` (at most 63 characters)."""
    probe_part = re.sub(r"[^a-z0-9-]+", "-", probe.lower()).strip("-") or "run"
    head = f"advisor-{target}-{probe_part}"
    room = 63 - len(suffix) - 1
    return f"{head[:room].rstrip('-')}-{suffix}"


def job_manifest(
    opts: KubernetesOptions,
    *,
    target: str,
    name: str,
    argv: Sequence[str],
    probe: str,
    slot: str,
    timeout: float | None,
    node: str | None = None,
    env: Mapping[str, str] | None = None,
    escape: bool = True,
    group: str | None = None,
) -> dict[str, Any]:
    """The Job that runs ``argv`` once on a node of the target's pool (see the module docstring).

    ``slot`` identifies the runner; ``group`` (default: the slot) the runners that may share a node: pods of
    other groups are kept off it (a target and its sibling, the noisy probe's neighbour, form one group).
    ``timeout`` (seconds of running time; None for servers: :data:`SERVER_DEADLINE`) plus the
    start timeout is the Job's ``activeDeadlineSeconds``.
    """
    if not argv:
        raise ProbeError("empty command", "give the program to run")
    words = [escape_dollars(str(a)) if escape else str(a) for a in argv]
    labels = {
        "app.kubernetes.io/name": APP_LABEL,
        "app.kubernetes.io/managed-by": "advisor",
        f"{LABEL_PREFIX}/target": _label_safe(target),
        f"{LABEL_PREFIX}/probe": _label_safe(probe),
        f"{LABEL_PREFIX}/slot": _label_safe(slot),
        f"{LABEL_PREFIX}/group": _label_safe(group or slot),
        f"{LABEL_PREFIX}/job": name,
    }
    selector = dict(opts.node_selector)
    pinned = node or opts.node
    if pinned:
        selector["kubernetes.io/hostname"] = pinned
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": opts.image,
        "imagePullPolicy": opts.image_pull_policy,
        "command": words[:1],
        "args": words[1:],
        "securityContext": {"privileged": True} if opts.privileged else {"allowPrivilegeEscalation": False},
    }
    resources = {k: v for k, v in (("cpu", opts.cpu), ("memory", opts.memory)) if v is not None}
    if resources:
        container["resources"] = {"requests": dict(resources), "limits": dict(resources)}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 5,
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "In", "values": [APP_LABEL]},
                {"key": f"{LABEL_PREFIX}/group", "operator": "NotIn", "values": [_label_safe(group or slot)]},
            ]},
            "topologyKey": "kubernetes.io/hostname",
        }]}},
        "containers": [container],
    }
    if selector:
        pod_spec["nodeSelector"] = selector
    if opts.tolerations:
        pod_spec["tolerations"] = [t.manifest() for t in opts.tolerations]
    if opts.scratch_host_path:
        pod_spec["volumes"] = [{"name": "scratch",
                                "hostPath": {"path": opts.scratch_host_path, "type": "DirectoryOrCreate"}}]
        container["volumeMounts"] = [{"name": "scratch", "mountPath": "/var/tmp"}]
    if opts.host_network:
        pod_spec["hostNetwork"] = True
        pod_spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    if opts.service_account:
        pod_spec["serviceAccountName"] = opts.service_account
    if opts.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": s} for s in opts.image_pull_secrets]
    spec: dict[str, Any] = {
        "backoffLimit": 0,
        "ttlSecondsAfterFinished": 3600,
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
    }
    # server-side cleanup if advisor dies: a run may last its timeout, a server SERVER_DEADLINE
    running = SERVER_DEADLINE if timeout is None else int(math.ceil(timeout))
    spec["activeDeadlineSeconds"] = running + opts.start_timeout
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": opts.namespace, "labels": labels},
        "spec": spec,
    }
