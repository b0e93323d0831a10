"""``advisor measure --render-only``: the Jobs each probe would create, as YAML files to review and apply.

The commands are recorded by running each probe against a recording runner
(:class:`_Recorder`); each becomes the manifest :func:`~advisor.measure.runners.k8s_manifests.job_manifest`
builds, the same one the Kubernetes runner creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor import yamlio
from advisor.measure.api import Budget, Completed, Placement, Probe, Role
from advisor.measure.runners.k8s_manifests import (
    PEER_ADDRESS_VAR,
    KubernetesOptions,
    escape_dollars,
    job_manifest,
    job_name,
)
from advisor.measure.targets import TargetSpec

__all__ = ["render_manifests"]


class _Stop(Exception):
    """Raised into a probe to end a recording."""


class _RecordedHandle:
    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = tuple(argv)

    def stop(self) -> Completed:
        return Completed(self.argv, 0, "", "", 0.0)


class _Recorder:
    """A Runner that records the commands a probe would run instead of running them."""

    kind = "kubernetes"

    def __init__(self, name: str, *, limit: int = 24) -> None:
        self.name = name
        self.commands: list[tuple[str, tuple[str, ...], float | None]] = []
        self.limit = limit

    def _add(self, what: str, argv: Sequence[str], timeout: float | None) -> None:
        if len(self.commands) >= self.limit:
            raise _Stop
        self.commands.append((what, tuple(str(a) for a in argv), timeout))

    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        self._add("run", argv, timeout)
        return Completed(tuple(argv), 0, _canned(argv), "", 0.0)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> _RecordedHandle:
        self._add("server", argv, None)
        return _RecordedHandle(argv)

    def which(self, tool: str) -> bool:
        return True

    def tool_version(self, tool: str) -> str | None:
        return None

    def address(self) -> str:
        return f"$({PEER_ADDRESS_VAR})"

    def placement(self, role: Role) -> Placement:
        raise _Stop

    def close(self) -> None:
        return None


#: Output the recorder gives the helper commands a probe needs an answer from before it reaches its
#: tool (a temporary directory, the allowed CPUs, fio's engines, a cyclictest file), so every
#: probe's tool commands are rendered, not only those before the first helper. Rendered values:
#: directory /tmp/advisor-render, CPU 0, the libaio engine of the probe image.
_CANNED: dict[tuple[str, ...], str] = {
    ("mktemp",): "/tmp/advisor-render\n",
    ("grep", "Cpus_allowed_list"): "Cpus_allowed_list:\t0\n",
    ("fio", "--enghelp"): "Available IO engines:\n\tlibaio\n\tpsync\n",
}
_CYCLICTEST_FILE = ('{"thread": {"0": {"cycles": 1, "min": 1, "avg": 1, "max": 1, "cpu": 0, '
                    '"histogram": {"1": 1}}}}')


def _canned(argv: Sequence[str]) -> str:
    words = tuple(str(a) for a in argv)
    for prefix, text in _CANNED.items():
        if words[:len(prefix)] == prefix:
            return text
    if words[:1] == ("cat",) and words[-1].rsplit("/", 1)[-1].startswith("cyclictest"):
        return _CYCLICTEST_FILE
    return ""


def _record(probe: Probe, runner: _Recorder, peer: _Recorder | None, budget: Budget) -> None:
    try:
        probe.run(runner, budget=budget, peer=peer)
    except Exception:
        pass  # the recorder's empty outputs cannot be parsed: the commands are what counts


def render_manifests(targets: Sequence[TargetSpec], probes: Sequence[Probe], budget: Budget) -> dict[str, str]:
    """``{file name: Job YAML}`` for every probe command on every ``runner: kubernetes`` target.

    The commands are those each probe would run (recorded by running the probe against
    a recording runner that returns empty output, so a probe's commands are rendered up
    to the first one that needs an earlier one's output). Files are named
    ``<target>--<probe>-<NN>-<run|server>.yaml`` in the order the probe runs them; a
    peer's servers are ``<peer>--<probe>-for-<target>-<NN>-server.yaml``. A server
    address a probe would get from its peer is written as ``$(ADVISOR_PEER_ADDRESS)``,
    which Kubernetes expands from the container's env: set that variable's value to the
    server's node address before applying. Targets of other runners are skipped.
    Raises DataError (file:line:col) for invalid options.
    """
    by_name = {t.name: t for t in targets}
    out: dict[str, str] = {}
    for spec in targets:
        if spec.runner != "kubernetes":
            continue
        opts = spec.options_as(KubernetesOptions)
        peer_spec = by_name.get(spec.peer) if spec.peer else None
        for probe in probes:
            recorder = _Recorder(spec.name)
            peer = _Recorder(peer_spec.name) if peer_spec is not None else None
            _record(probe, recorder, peer, budget)
            if peer is not None and peer_spec is not None and peer_spec.runner == "kubernetes":
                peer_opts = peer_spec.options_as(KubernetesOptions)
                for i, (what, argv, timeout) in enumerate(peer.commands, 1):
                    label = f"{probe.name}-for-{spec.name}"
                    name = job_name(peer_spec.name, f"{label}-{what}", f"{i:02d}")
                    doc = job_manifest(peer_opts, target=peer_spec.name, name=name, argv=argv, probe=probe.name,
                                       slot=peer_spec.name, timeout=timeout)
                    out[f"{peer_spec.name}--{label}-{i:02d}-{what}.yaml"] = _dump(doc, probe, what)
            for i, (what, argv, timeout) in enumerate(recorder.commands, 1):
                name = job_name(spec.name, f"{probe.name}-{what}", f"{i:02d}")
                uses_peer = any(f"$({PEER_ADDRESS_VAR})" in a for a in argv)
                words = [escape_dollars(a).replace(f"$$({PEER_ADDRESS_VAR})", f"$({PEER_ADDRESS_VAR})")
                         for a in argv]
                env = {PEER_ADDRESS_VAR: "set-to-the-server-address"} if uses_peer else None
                doc = job_manifest(opts, target=spec.name, name=name, argv=words, probe=probe.name, slot=spec.name,
                                   timeout=timeout, env=env, escape=False)
                out[f"{spec.name}--{probe.name}-{i:02d}-{what}.yaml"] = _dump(doc, probe, what)
    return out


def _dump(doc: dict[str, Any], probe: Probe, what: str) -> str:
    head = (f"# advisor probe {probe.name!r} ({probe.title}): "
            f"{'a background server' if what == 'server' else 'one probe run'}.\n"
            "# Apply with: kubectl apply -f FILE; read the result with: kubectl logs job/NAME\n")
    return head + yamlio.dump(doc)
